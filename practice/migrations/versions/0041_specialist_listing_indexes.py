"""the directory's reads of every active entry (the area filter's list, the count of entries
to check) and matching's reads of who offers a modality and which referrals named it,
answered from indexes holding what they read

Revision ID: 0041
Revises: 0039
Create Date: 2026-11-30 11:35:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0041'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade():
    # Each leads with the column the single-column index held, so it also serves its reads
    # (the area filter, "checked within", the list of entries to check).
    op.create_index('ix_specialist_area', 'specialist', ['area_key', 'retired_at', 'area'])
    op.create_index('ix_specialist_verified', 'specialist', ['verified_on', 'retired_at'])
    op.drop_index('ix_specialist_area_key', table_name='specialist')
    op.drop_index('ix_specialist_verified_on', table_name='specialist')
    op.create_index('ix_specialist_modality_by_modality', 'specialist_modality', ['modality_id', 'specialist_id'])
    op.drop_index('ix_specialist_modality_modality_id', table_name='specialist_modality')
    op.create_index('ix_referral_need_by_modality', 'referral_need', ['modality_id', 'referral_id'])
    op.drop_index('ix_referral_need_modality_id', table_name='referral_need')


def downgrade():
    op.create_index('ix_specialist_area_key', 'specialist', ['area_key'])
    op.create_index('ix_specialist_verified_on', 'specialist', ['verified_on'])
    op.drop_index('ix_specialist_area', table_name='specialist')
    op.drop_index('ix_specialist_verified', table_name='specialist')
    op.create_index('ix_specialist_modality_modality_id', 'specialist_modality', ['modality_id'])
    op.drop_index('ix_specialist_modality_by_modality', table_name='specialist_modality')
    op.create_index('ix_referral_need_modality_id', 'referral_need', ['modality_id'])
    op.drop_index('ix_referral_need_by_modality', table_name='referral_need')
