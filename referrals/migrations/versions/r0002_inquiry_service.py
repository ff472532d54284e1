"""the host's service an inquiry asks for (a plain id: the practice's migration 0022 adds the
same column)

Revision ID: r0002
Revises: r0001
Create Date: 2026-11-29 22:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'r0002'
down_revision = 'r0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_column('service_id')
