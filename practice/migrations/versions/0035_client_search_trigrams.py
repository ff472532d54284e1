"""a trigram index of the clients' search text and phone on PostgreSQL (pg_trgm)

Revision ID: 0035
Revises: 0032
Create Date: 2026-11-30 08:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no trigram index; its search walks ix_client_search quickly
    # pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may add it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index('ix_client_search_trigrams', 'client', ['search_text', 'phone'],
                    postgresql_using='gin',
                    postgresql_ops={'search_text': 'gin_trgm_ops', 'phone': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_client_search_trigrams', table_name='client')
    # The extension stays: dropping it could break anything else in the database that uses it.
