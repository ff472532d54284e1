"""what matching reads of each colleague offering a need, held by an index of their ids
(PostgreSQL only): the ranking reads the candidates from it, not from every row of the table

Revision ID: 0053
Revises: 0055
Create Date: 2026-11-30 21:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0053'
down_revision = '0055'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads the candidates by rowid; an index would not be used
    op.create_index('ix_specialist_ranking', 'specialist', ['id'],
                    postgresql_include=['retired_at', 'accepting', 'verified_on', 'name_key'])


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_specialist_ranking', table_name='specialist')
