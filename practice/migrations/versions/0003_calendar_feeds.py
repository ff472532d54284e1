"""calendar feeds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:52:36.439974

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_practitioner_schedule_feed_token'), ['feed_token'])

    with op.batch_alter_table('scheduling_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_shows_names', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('scheduling_policy', schema=None) as batch_op:
        batch_op.drop_column('feed_shows_names')

    with op.batch_alter_table('practitioner_schedule', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_practitioner_schedule_feed_token'), type_='unique')
        batch_op.drop_column('feed_token')

