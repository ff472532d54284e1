"""a practitioner's sessions still booked, by start: the review's sessions to settle

Revision ID: 0055
Revises: 0050
Create Date: 2026-11-30 21:55:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0055'
down_revision = '0050'
branch_labels = None
depends_on = None

BOOKED = "status = 'booked'"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads the practitioner's own weeks by practitioner_id and start, quickly
    # The review reads the sessions nobody marked over the last 60 days: by start alone,
    # PostgreSQL walked every practitioner's appointments of those weeks (0.6 ms of the
    # busy day's 1.0 ms read on the large practice).
    op.create_index('ix_appointment_booked_practitioner_id_start_at', 'appointment', ['practitioner_id', 'start_at'],
                    postgresql_where=sa.text(BOOKED))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_appointment_booked_practitioner_id_start_at', table_name='appointment')
