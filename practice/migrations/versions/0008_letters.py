"""letters: issued letters (frozen PDFs), the practice's versioned texts, letter settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_size', sa.String(length=10), server_default='A4', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_letter_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_settings'))
    )
    op.create_table('letter_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_letter_template_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_template')),
    sa.UniqueConstraint('kind', 'version', name='uq_letter_template_kind_version')
    )
    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('inquiry_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('specialist_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('page_size', sa.String(length=10), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['practitioner.id'], name=op.f('fk_letter_author_id_practitioner')),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_letter_inquiry_id_inquiry')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_letter_referral_id_referral')),
    sa.ForeignKeyConstraint(['specialist_id'], ['specialist.id'], name=op.f('fk_letter_specialist_id_specialist')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_letter_client_id_client')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_letter_issued_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter')),
    sa.UniqueConstraint('uuid', name=op.f('uq_letter_uuid'))
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_inquiry_id'), ['inquiry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_kind'), ['kind'], unique=False)



def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_kind'))
        batch_op.drop_index(batch_op.f('ix_letter_issued_at'))
        batch_op.drop_index(batch_op.f('ix_letter_inquiry_id'))
        batch_op.drop_index(batch_op.f('ix_letter_client_id'))
        batch_op.drop_index(batch_op.f('ix_letter_author_id'))

    op.drop_table('letter')
    op.drop_table('letter_template')
    op.drop_table('letter_settings')
