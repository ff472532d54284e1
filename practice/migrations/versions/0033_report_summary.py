"""the reports' summary: figures per practitioner and local day (day_figures), and the
appointments still owed for (owing_appointment), filled from the existing rows

Revision ID: 0033
Revises: 0034
Create Date: 2026-11-30 08:30:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('day_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('late_cancellations', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('sessions_cents', sa.Integer(), nullable=False),
    sa.Column('fees_cents', sa.Integer(), nullable=False),
    sa.Column('waived_cents', sa.Integer(), nullable=False),
    sa.Column('collected_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_day_figures_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_day_figures'))
    )
    op.create_index('ix_day_figures_day_practitioner_id', 'day_figures', ['day', 'practitioner_id'], unique=True)
    op.create_table('owing_appointment',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owed_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_owing_appointment_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_owing_appointment_client_id_client')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_owing_appointment_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_owing_appointment'))
    )
    op.create_index('ix_owing_appointment_start_at', 'owing_appointment', ['start_at', 'practitioner_id', 'client_id', 'owed_cents'], unique=False)
    # Filled by the code that keeps it (the local day needs the time zone's rules, which
    # SQLite does not have): the appointments' part of what `practice rebuild-reports` does.
    from practice.reports import summary
    with Session(bind=op.get_bind()) as session:
        summary.rebuild_figures(session)


def downgrade():
    op.drop_index('ix_owing_appointment_start_at', table_name='owing_appointment')
    op.drop_table('owing_appointment')
    op.drop_index('ix_day_figures_day_practitioner_id', table_name='day_figures')
    op.drop_table('day_figures')
