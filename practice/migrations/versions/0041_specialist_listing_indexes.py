"""the directory's reads of every active entry (the area filter's list, the count of entries
to check) answered from two indexes holding what they read, not from the wide rows

Revision ID: 0041
Revises: 0036
Create Date: 2026-11-30 11:35:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0041'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    # Each leads with the column the single-column index held, so it also serves its reads
    # (the area filter, "checked within", the list of entries to check).
    op.create_index('ix_specialist_area', 'specialist', ['area_key', 'retired_at', 'area'])
    op.create_index('ix_specialist_verified', 'specialist', ['verified_on', 'retired_at'])
    op.drop_index('ix_specialist_area_key', table_name='specialist')
    op.drop_index('ix_specialist_verified_on', table_name='specialist')


def downgrade():
    op.create_index('ix_specialist_area_key', 'specialist', ['area_key'])
    op.create_index('ix_specialist_verified_on', 'specialist', ['verified_on'])
    op.drop_index('ix_specialist_area', table_name='specialist')
    op.drop_index('ix_specialist_verified', table_name='specialist')
