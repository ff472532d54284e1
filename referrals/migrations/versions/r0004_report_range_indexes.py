"""the reports' referrals and inquiries of a range read from indexes holding what they
count, instead of a pass over every row (the practice's migration 0042 makes the same
change)

Revision ID: r0004
Revises: r0003
Create Date: 2026-11-30 15:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'r0004'
down_revision = 'r0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referral_referred_on', 'referral',
                    ['referred_on', 'direction', 'specialist_id', 'source', 'outcome', 'client_id', 'by_id'])
    op.create_index('ix_inquiry_received_at', 'inquiry', ['received_at', 'practitioner_id', 'status'])


def downgrade():
    op.drop_index('ix_inquiry_received_at', table_name='inquiry')
    op.drop_index('ix_referral_referred_on', table_name='referral')
