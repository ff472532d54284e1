"""the reports' referrals, standing changes and inquiries of a range read from indexes
holding what they count, instead of a pass over every row of those tables

Revision ID: 0042
Revises: 0037
Create Date: 2026-11-30 15:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referral_referred_on', 'referral',
                    ['referred_on', 'direction', 'specialist_id', 'source', 'outcome', 'client_id', 'by_id'])
    op.create_index('ix_standing_change_changed_at', 'standing_change',
                    ['changed_at', 'from_standing', 'to_standing', 'client_id'])
    op.create_index('ix_inquiry_received_at', 'inquiry', ['received_at', 'practitioner_id', 'status'])


def downgrade():
    op.drop_index('ix_inquiry_received_at', table_name='inquiry')
    op.drop_index('ix_standing_change_changed_at', table_name='standing_change')
    op.drop_index('ix_referral_referred_on', table_name='referral')
