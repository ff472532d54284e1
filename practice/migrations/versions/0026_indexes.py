"""indexes the pages of a large practice need, and the record of whole-chain checks

Revision ID: 0026
Revises: 0023
Create Date: 2026-11-29 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointment_start_at', 'appointment', ['start_at'])
    op.drop_index('ix_appointment_client_id', table_name='appointment')
    op.create_index('ix_appointment_client_id_start_at', 'appointment', ['client_id', 'start_at'])
    op.create_index('ix_payment_paid_at', 'payment', ['paid_at'])
    op.create_index('ix_conduct_entry_recorded_at', 'conduct_entry', ['recorded_at'])
    op.create_index('ix_client_primary_practitioner_id', 'client', ['primary_practitioner_id'])
    op.create_index('ix_client_sort_name', 'client', [sa.text('lower(display_name)'), 'id'])
    op.drop_index('ix_audit_event_action', table_name='audit_event')
    op.create_index('ix_audit_event_action_at', 'audit_event', ['action', 'at'])
    op.create_table('chain_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('files_checked', sa.Boolean(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('through_seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('bad_entry_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_check'))
    )
    op.create_index('ix_chain_check_checked_at', 'chain_check', ['checked_at'])


def downgrade():
    op.drop_index('ix_chain_check_checked_at', table_name='chain_check')
    op.drop_table('chain_check')
    op.drop_index('ix_audit_event_action_at', table_name='audit_event')
    op.create_index('ix_audit_event_action', 'audit_event', ['action'])
    op.drop_index('ix_client_sort_name', table_name='client')
    op.drop_index('ix_client_primary_practitioner_id', table_name='client')
    op.drop_index('ix_conduct_entry_recorded_at', table_name='conduct_entry')
    op.drop_index('ix_payment_paid_at', table_name='payment')
    op.drop_index('ix_appointment_client_id_start_at', table_name='appointment')
    op.create_index('ix_appointment_client_id', 'appointment', ['client_id'])
    op.drop_index('ix_appointment_start_at', table_name='appointment')
