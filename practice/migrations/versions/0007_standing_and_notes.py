"""standing changes and private notes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:20:00

"""
import sqlalchemy as sa
from alembic import op

from practice.migrations.guards import append_only_guard, drop_append_only_guard

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standing_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('from_standing', sa.String(length=20), nullable=False),
    sa.Column('to_standing', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_standing_change_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_standing_change_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_change'))
    )
    with op.batch_alter_table('standing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_change_client_id'), ['client_id'], unique=False)
    append_only_guard('standing_change')

    op.create_table('private_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('colleague', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_private_note_author_id_user_account')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_private_note_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_private_note'))
    )
    with op.batch_alter_table('private_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_private_note_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_private_note_client_id'), ['client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('private_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_private_note_client_id'))
        batch_op.drop_index(batch_op.f('ix_private_note_author_id'))
    op.drop_table('private_note')
    drop_append_only_guard('standing_change')
    with op.batch_alter_table('standing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_change_client_id'))
    op.drop_table('standing_change')
