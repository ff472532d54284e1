"""scheduling

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:48:13.284720

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('scheduling_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('late_grace_minutes', sa.Integer(), nullable=False),
    sa.Column('session_ends_on_time', sa.Boolean(), nullable=False),
    sa.Column('cancellation_window_hours', sa.Integer(), nullable=False),
    sa.Column('late_cancel_fee_percent', sa.Integer(), nullable=False),
    sa.Column('no_show_fee_percent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_policy'))
    )
    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('buffer_after_minutes >= 0', name=op.f('ck_service_buffer_not_negative')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_service_positive_duration')),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_service_price_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service'))
    )
    op.create_table('practitioner_schedule',
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('max_sessions_per_day', sa.Integer(), nullable=True),
    sa.Column('min_notice_hours', sa.Integer(), nullable=False),
    sa.Column('booking_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_practitioner_schedule_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('practitioner_id', name=op.f('pk_practitioner_schedule'))
    )
    op.create_table('time_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('external_uid', sa.String(length=500), nullable=True),
    sa.Column('occurrence_key', sa.String(length=40), nullable=True),
    sa.CheckConstraint('start_at < end_at', name=op.f('ck_time_block_starts_before_ends')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_time_block_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_block')),
    sa.UniqueConstraint('practitioner_id', 'external_uid', 'occurrence_key', name='uq_time_block_import')
    )
    with op.batch_alter_table('time_block', schema=None) as batch_op:
        batch_op.create_index('ix_time_block_practitioner_id_start_at', ['practitioner_id', 'start_at'], unique=False)

    op.create_table('working_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.CheckConstraint('starts < ends', name=op.f('ck_working_hours_starts_before_ends')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_working_hours_weekday_range')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_working_hours_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_working_hours'))
    )
    with op.batch_alter_table('working_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_working_hours_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_minutes', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.Integer(), nullable=False),
    sa.Column('fee_waived', sa.Boolean(), nullable=False),
    sa.Column('fee_waiver_reason', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('end_at <= held_until', name=op.f('ck_appointment_held_covers_session')),
    sa.CheckConstraint('start_at < end_at', name=op.f('ck_appointment_starts_before_ends')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_appointment_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_appointment_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_appointment_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_appointment_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment')),
    sa.UniqueConstraint('uuid', name=op.f('uq_appointment_uuid'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_appointment_practitioner_id_start_at', ['practitioner_id', 'start_at'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payment_positive_amount')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_payment_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_payment_client_id_client')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_payment_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_client_id'), ['client_id'], unique=False)

    guard_against_overlaps()
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standing', sa.String(length=20), server_default='active', nullable=False))

    


def guard_against_overlaps():
    """PostgreSQL itself refuses two live appointments of one practitioner whose held time
    overlaps. (SQLite has no such constraint: the booking service checks there, inside one
    write transaction.)"""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_no_overlap EXCLUDE USING gist "
        "(practitioner_id WITH =, tstzrange(start_at, held_until) WITH &&) "
        "WHERE (status NOT IN ('cancelled', 'late_cancelled'))"
    )


def downgrade():
    
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('standing')

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_client_id'))
        batch_op.drop_index(batch_op.f('ix_payment_appointment_id'))

    op.drop_table('payment')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_practitioner_id_start_at')
        batch_op.drop_index(batch_op.f('ix_appointment_client_id'))

    op.drop_table('appointment')
    with op.batch_alter_table('working_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_working_hours_practitioner_id'))

    op.drop_table('working_hours')
    with op.batch_alter_table('time_block', schema=None) as batch_op:
        batch_op.drop_index('ix_time_block_practitioner_id_start_at')

    op.drop_table('time_block')
    op.drop_table('practitioner_schedule')
    op.drop_table('service')
    op.drop_table('scheduling_policy')
    
