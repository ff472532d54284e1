"""the care team: access grants, identity matches with blocked clients, cancellations by
the practice, and the indexes that find a person and a record's viewers

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('care_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_care_grant_client_id_client')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_care_grant_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_care_grant_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_care_grant_revoked_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_grant'))
    )
    with op.batch_alter_table('care_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_grant_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_grant_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('identity_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('matched_client_id', sa.Integer(), nullable=False),
    sa.Column('matched_on', sa.String(length=100), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=10), server_default='', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_identity_match_client_id_client')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_identity_match_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['matched_client_id'], ['client.id'], name=op.f('fk_identity_match_matched_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_match')),
    sa.UniqueConstraint('client_id', 'matched_client_id', name='uq_identity_match_pair')
    )
    with op.batch_alter_table('identity_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_match_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_match_matched_client_id'), ['matched_client_id'], unique=False)

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_date_of_birth'), ['date_of_birth'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_by_practice', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Cancellations made by letters before this column existed carry the letter's wording.
    op.execute("UPDATE appointment SET cancelled_by_practice = true "
               "WHERE cancel_reason LIKE 'Cancelled by the practice:%'")

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('cancelled_by_practice')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_date_of_birth'))
    with op.batch_alter_table('identity_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_match_matched_client_id'))
        batch_op.drop_index(batch_op.f('ix_identity_match_client_id'))
    op.drop_table('identity_match')
    with op.batch_alter_table('care_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_grant_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_care_grant_client_id'))
    op.drop_table('care_grant')
