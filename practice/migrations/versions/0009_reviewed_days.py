"""days marked reviewed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviewed_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_reviewed_day_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_reviewed_day_reviewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewed_day')),
    sa.UniqueConstraint('practitioner_id', 'day', name='uq_reviewed_day')
    )


def downgrade():
    op.drop_table('reviewed_day')
