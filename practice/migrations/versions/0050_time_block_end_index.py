"""the blocked time of a day, found from where it ends: the book and Today ask for the blocks
ending after the day starts and starting before it ends

Revision ID: 0050
Revises: 0048
Create Date: 2026-11-30 19:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0050'
down_revision = '0048'
branch_labels = None
depends_on = None


def upgrade():
    # By start alone, a day's read walks every block the practitioners ever had before it
    # (2,071 on the large practice: 0.21 ms on SQLite); by end, only those still to end.
    op.create_index('ix_time_block_practitioner_id_end_at', 'time_block', ['practitioner_id', 'end_at'])


def downgrade():
    op.drop_index('ix_time_block_practitioner_id_end_at', table_name='time_block')
