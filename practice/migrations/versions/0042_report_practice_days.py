"""the reports' whole-practice figures per local day (practice_day_figures), filled from
day_figures; the reports' referrals, standing changes and inquiries of a range read from
indexes holding what they count, instead of a pass over every row of those tables

Revision ID: 0042
Revises: 0038
Create Date: 2026-11-30 15:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0038'
branch_labels = None
depends_on = None

FIGURES = ('attended', 'late', 'no_shows', 'late_cancellations', 'cancelled', 'booked',
           'sessions_cents', 'fees_cents', 'waived_cents', 'collected_cents')


def upgrade():
    op.create_table('practice_day_figures',
    sa.Column('day', sa.Date(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES],
    sa.PrimaryKeyConstraint('day', name=op.f('pk_practice_day_figures'))
    )
    columns = ', '.join(FIGURES)
    sums = ', '.join(f'sum({name})' for name in FIGURES)
    op.execute(f'INSERT INTO practice_day_figures (day, {columns}) SELECT day, {sums} FROM day_figures GROUP BY day')
    op.create_index('ix_referral_referred_on', 'referral',
                    ['referred_on', 'direction', 'specialist_id', 'source', 'outcome', 'client_id', 'by_id'])
    op.create_index('ix_standing_change_changed_at', 'standing_change',
                    ['changed_at', 'from_standing', 'to_standing', 'client_id'])
    op.create_index('ix_inquiry_received_at', 'inquiry', ['received_at', 'practitioner_id', 'status'])


def downgrade():
    op.drop_index('ix_inquiry_received_at', table_name='inquiry')
    op.drop_index('ix_standing_change_changed_at', table_name='standing_change')
    op.drop_index('ix_referral_referred_on', table_name='referral')
    op.drop_table('practice_day_figures')
