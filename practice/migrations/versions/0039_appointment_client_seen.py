"""who has seen a client (the care team's rule) from an index of the appointments' client,
status and practitioner

Revision ID: 0039
Revises: 0036
Create Date: 2026-11-30 11:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointment_client_id_seen', 'appointment', ['client_id', 'status', 'practitioner_id'])


def downgrade():
    op.drop_index('ix_appointment_client_id_seen', table_name='appointment')
