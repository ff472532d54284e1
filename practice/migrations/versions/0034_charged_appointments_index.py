"""the charged appointments (a fee not waived for a no-show or late cancellation) by client,
for the fees clients still owe

Revision ID: 0034
Revises: 0035
Create Date: 2026-11-30 08:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0035'
branch_labels = None
depends_on = None

# As scheduling.models.CHARGED, word for word (SQLite matches a query's condition to it as text).
CHARGED = "fee_cents > 0 AND NOT fee_waived AND status IN ('no_show', 'late_cancelled')"


def upgrade():
    op.create_index('ix_appointment_charged_client_id', 'appointment', ['client_id', 'fee_cents'],
                    sqlite_where=sa.text(CHARGED), postgresql_where=sa.text(CHARGED))


def downgrade():
    op.drop_index('ix_appointment_charged_client_id', table_name='appointment')
