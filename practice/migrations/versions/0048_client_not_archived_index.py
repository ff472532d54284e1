"""the client list's count of clients not archived, read from an index of their ids alone

Revision ID: 0048
Revises: 0042
Create Date: 2026-11-30 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0048'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite counts them quickly from an index it already has
    op.create_index('ix_client_not_archived', 'client', ['id'], postgresql_where=sa.text('archived_at IS NULL'))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_client_not_archived', table_name='client')
