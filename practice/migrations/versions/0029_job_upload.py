"""the file an import's jobs work on (job_upload)

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_upload_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_upload')),
    sa.UniqueConstraint('job_id', name=op.f('uq_job_upload_job_id'))
    )


def downgrade():
    op.drop_table('job_upload')
