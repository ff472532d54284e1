"""online booking: the settings, who and what may be booked online, holds waiting for the
client's e-mailed confirmation, the requests the public pages' limits count, and appointments
booked online

Revision ID: 0027
Revises: 0029
Create Date: 2026-11-30 00:39:38

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_request'))
    )
    with op.batch_alter_table('public_request', schema=None) as batch_op:
        batch_op.create_index('ix_public_request_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_public_request_email_at', ['email', 'at'], unique=False)

    op.create_table('online_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('min_notice_hours', sa.Integer(), nullable=False),
    sa.Column('days_ahead', sa.Integer(), nullable=False),
    sa.Column('hold_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_online_booking_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_booking'))
    )
    op.create_table('online_service',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_online_service_service_id_service')),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_online_service'))
    )
    op.create_table('online_practitioner',
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('existing_clients_only', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_online_practitioner_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('practitioner_id', name=op.f('pk_online_practitioner'))
    )
    op.create_table('booking_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wants_reminders', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_booking_hold_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_booking_hold_policy_id_policy')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_booking_hold_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_booking_hold_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_hold'))
    )
    with op.batch_alter_table('booking_hold', schema=None) as batch_op:
        batch_op.create_index('ix_booking_hold_address_created_at', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_booking_hold_practitioner_id_start_at', ['practitioner_id', 'start_at'], unique=False)

    # A plain ADD COLUMN (SQLite too): no table copy of the practice's largest table.
    op.add_column('appointment', sa.Column('booked_online', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later) rather than a copy of the table.
    op.drop_column('appointment', 'booked_online')

    with op.batch_alter_table('booking_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_hold_practitioner_id_start_at')
        batch_op.drop_index('ix_booking_hold_address_created_at')

    op.drop_table('booking_hold')
    op.drop_table('online_practitioner')
    op.drop_table('online_service')
    op.drop_table('online_booking')
    with op.batch_alter_table('public_request', schema=None) as batch_op:
        batch_op.drop_index('ix_public_request_email_at')
        batch_op.drop_index('ix_public_request_address_at')

    op.drop_table('public_request')
