"""a client's balance from indexes alone: what their appointments make due with the index of
who has seen them, and their payments by appointment and amount

Revision ID: 0043
Revises: 0037
Create Date: 2026-11-30 15:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointment_client_id_seen_due', 'appointment',
                    ['client_id', 'status', 'practitioner_id', 'fee_waived', 'price_cents', 'fee_cents'])
    op.drop_index('ix_appointment_client_id_seen', table_name='appointment')
    op.create_index('ix_payment_client_id_appointment_id', 'payment', ['client_id', 'appointment_id', 'amount_cents'])
    op.drop_index('ix_payment_client_id', table_name='payment')


def downgrade():
    op.create_index('ix_payment_client_id', 'payment', ['client_id'])
    op.drop_index('ix_payment_client_id_appointment_id', table_name='payment')
    op.create_index('ix_appointment_client_id_seen', 'appointment', ['client_id', 'status', 'practitioner_id'])
    op.drop_index('ix_appointment_client_id_seen_due', table_name='appointment')
