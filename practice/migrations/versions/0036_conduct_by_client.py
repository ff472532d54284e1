"""a client's conduct entries by when they happened, in one index (the record's pages, the
client page's history and the ladder of next steps read a client's latest entries)

Revision ID: 0036
Revises: 0033
Create Date: 2026-11-30 08:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    # Leads with client_id, so it also serves what the single-column index served.
    op.create_index('ix_conduct_entry_client_occurred', 'conduct_entry', ['client_id', 'occurred_from', 'seq'])
    op.drop_index('ix_conduct_entry_client_id', table_name='conduct_entry')


def downgrade():
    op.create_index('ix_conduct_entry_client_id', 'conduct_entry', ['client_id'])
    op.drop_index('ix_conduct_entry_client_occurred', table_name='conduct_entry')
