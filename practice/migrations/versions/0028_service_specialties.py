"""the specialties each service covers, first filled from specialties named like the service

Revision ID: 0028
Revises: 0022
Create Date: 2026-11-30 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_specialty',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('modality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['modality_id'], ['modality.id'], name=op.f('fk_service_specialty_modality_id_modality')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_specialty_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'modality_id', name=op.f('pk_service_specialty'))
    )
    op.create_index(op.f('ix_service_specialty_modality_id'), 'service_specialty', ['modality_id'])
    # A service named exactly like a specialty ("Sports massage") covers it; the practice
    # chooses the rest on the service's form.
    op.execute(
        "INSERT INTO service_specialty (service_id, modality_id) "
        "SELECT service.id, modality.id FROM service JOIN modality "
        "ON lower(trim(service.name)) = modality.name_key"
    )


def downgrade():
    op.drop_index(op.f('ix_service_specialty_modality_id'), table_name='service_specialty')
    op.drop_table('service_specialty')
