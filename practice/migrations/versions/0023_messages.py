"""messages: the outbox, consent to e-mail, letters by e-mail, the policy acknowledged online

Revision ID: 0023
Revises: 0014
Create Date: 2026-11-29 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('confirmations', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('reminder_hours', sa.String(length=60), server_default='48,2', nullable=False),
    sa.Column('quiet_from', sa.Time(), nullable=True),
    sa.Column('quiet_until', sa.Time(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_message_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_settings'))
    )
    op.create_table('email_consent',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('confirmations', sa.Boolean(), nullable=False),
    sa.Column('reminders', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_email_consent_client_id_client')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_email_consent_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_email_consent'))
    )
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('about_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('server_reply', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'sent', 'failed', 'cancelled')", name=op.f('ck_message_status')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_message_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['user_account.id'], name=op.f('fk_message_cancelled_by_id_user_account')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_message_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_message_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_message_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('key', name=op.f('uq_message_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_message_message_id'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_message_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('acknowledgement_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledgement_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledgement_id'], ['policy_acknowledgement.id'], name=op.f('fk_acknowledgement_request_acknowledgement_id_policy_acknowledgement')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_acknowledgement_request_client_id_client')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_acknowledgement_request_message_id_message')),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_acknowledgement_request_policy_id_policy')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_acknowledgement_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgement_request'))
    )
    with op.batch_alter_table('acknowledgement_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgement_request_client_id'), ['client_id'], unique=False)

    op.create_table('letter_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_letter_delivery_letter_id_letter')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_letter_delivery_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_delivery')),
    sa.UniqueConstraint('letter_id', name=op.f('uq_letter_delivery_letter_id')),
    sa.UniqueConstraint('message_id', name=op.f('uq_letter_delivery_message_id'))
    )
    op.create_table('message_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_attachment_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachment'))
    )
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachment_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('policy_acknowledgement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=64), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('policy_acknowledgement', schema=None) as batch_op:
        batch_op.drop_column('address')

    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachment_message_id'))

    op.drop_table('message_attachment')
    op.drop_table('letter_delivery')
    with op.batch_alter_table('acknowledgement_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgement_request_client_id'))

    op.drop_table('acknowledgement_request')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status_created_at')
        batch_op.drop_index(batch_op.f('ix_message_job_id'))
        batch_op.drop_index(batch_op.f('ix_message_client_id'))
        batch_op.drop_index(batch_op.f('ix_message_appointment_id'))

    op.drop_table('message')
    op.drop_table('email_consent')
    op.drop_table('message_settings')
