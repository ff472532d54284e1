"""print copies of image attachments, for the evidence report

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment_print_copy',
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('original_width', sa.Integer(), nullable=False),
    sa.Column('original_height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_attachment_print_copy_attachment_id_attachment')),
    sa.PrimaryKeyConstraint('attachment_id', name=op.f('pk_attachment_print_copy'))
    )


def downgrade():
    op.drop_table('attachment_print_copy')
