"""the reports' conduct counts per local day (conduct_day_count), the practice's and each
practitioner's, filled from the conduct record; each practitioner's active clients
(active_clients), and the clients by when they came

Revision ID: 0037
Revises: 0041
Create Date: 2026-11-30 12:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conduct_day_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.Column('safety', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['incident_category.id'], name=op.f('fk_conduct_day_count_category_id_incident_category')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_conduct_day_count_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conduct_day_count'))
    )
    op.create_index('ix_conduct_day_count_practitioner_id_day', 'conduct_day_count', ['practitioner_id', 'day', 'kind', 'category_id', 'severity', 'safety', 'count'], unique=False)
    op.create_index('ix_conduct_day_count_day', 'conduct_day_count', ['day'], unique=False)
    op.create_table('active_clients',
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_active_clients_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('practitioner_id', name=op.f('pk_active_clients'))
    )
    op.create_index('ix_client_created_at_primary_practitioner_id', 'client', ['created_at', 'primary_practitioner_id'], unique=False)
    # Filled by the code that keeps it (the local day needs the time zone's rules, which
    # SQLite does not have), as `practice rebuild-reports` fills it.
    from practice.reports import summary
    with Session(bind=op.get_bind()) as session:
        summary.rebuild_conduct(session)
        summary.rebuild_active_clients(session)


def downgrade():
    op.drop_index('ix_client_created_at_primary_practitioner_id', table_name='client')
    op.drop_table('active_clients')
    op.drop_index('ix_conduct_day_count_day', table_name='conduct_day_count')
    op.drop_index('ix_conduct_day_count_practitioner_id_day', table_name='conduct_day_count')
    op.drop_table('conduct_day_count')
