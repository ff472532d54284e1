"""indexes that cover what the reports count: appointments over a period, payments by
appointment and by day, clients per practitioner, conduct entries by when they happened

Revision ID: 0031
Revises: 0027
Create Date: 2026-11-30 05:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointment_start_at_figures', 'appointment',
                    ['start_at', 'id', 'status', 'practitioner_id', 'client_id', 'price_cents', 'fee_cents',
                     'fee_waived', 'late_minutes'])
    # The wider indexes begin with the columns of the ones they replace.
    op.drop_index('ix_payment_appointment_id', table_name='payment')
    op.create_index('ix_payment_appointment_id_amount_cents', 'payment', ['appointment_id', 'amount_cents'])
    op.drop_index('ix_payment_paid_at', table_name='payment')
    op.create_index('ix_payment_paid_at_amount_cents', 'payment', ['paid_at', 'amount_cents'])
    op.drop_index('ix_client_primary_practitioner_id', table_name='client')
    op.create_index('ix_client_primary_practitioner_id_caseload', 'client',
                    ['primary_practitioner_id', 'archived_at', 'standing', 'created_at'])
    op.create_index('ix_conduct_entry_occurred_from', 'conduct_entry', ['occurred_from'])


def downgrade():
    op.drop_index('ix_conduct_entry_occurred_from', table_name='conduct_entry')
    op.drop_index('ix_client_primary_practitioner_id_caseload', table_name='client')
    op.create_index('ix_client_primary_practitioner_id', 'client', ['primary_practitioner_id'])
    op.drop_index('ix_payment_paid_at_amount_cents', table_name='payment')
    op.create_index('ix_payment_paid_at', 'payment', ['paid_at'])
    op.drop_index('ix_payment_appointment_id_amount_cents', table_name='payment')
    op.create_index('ix_payment_appointment_id', 'payment', ['appointment_id'])
    op.drop_index('ix_appointment_start_at_figures', table_name='appointment')
