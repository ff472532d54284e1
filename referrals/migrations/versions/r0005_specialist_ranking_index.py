"""what matching reads of each colleague offering a need, held by an index of their ids
(PostgreSQL only; the practice's migration 0053 makes the same change)

Revision ID: r0005
Revises: r0004
Create Date: 2026-11-30 21:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'r0005'
down_revision = 'r0004'
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
