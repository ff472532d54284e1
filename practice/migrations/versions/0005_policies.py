"""policies: the versioned policy set and clients' acknowledgements

Version 1 is the attendance policy the practice already had (scheduling_policy), or the
usual defaults, with a payment-terms and conduct statement the practice can change by
publishing version 2. The attendance columns then leave scheduling_policy.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:47:27.552269

"""
from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ATTENDANCE = ("late_grace_minutes", "session_ends_on_time", "cancellation_window_hours",
              "late_cancel_fee_percent", "no_show_fee_percent")
DEFAULTS = {"late_grace_minutes": 10, "session_ends_on_time": True, "cancellation_window_hours": 24,
            "late_cancel_fee_percent": 50, "no_show_fee_percent": 100}
# Version 1 is the policy that was always in force: the earliest version applies to
# everything before the next one, so its date is only a floor (pages say "from the start").
FIRST_VERSION_FROM = date(2000, 1, 1)

PAYMENT_TERMS = (
    "Payment is due at the end of each session, by card, cash or bank transfer. "
    "A fee for a late cancellation or a missed appointment is due before the next session "
    "is booked."
)
CONDUCT_STATEMENT = (
    "This is a professional practice. Sessions are therapeutic and non-sexual, and take "
    "place only at booked times. Please contact the practice only about appointments, "
    "through its own phone number, e-mail or booking page, and respect the practitioner's "
    "privacy and personal time. If anything about a session makes you uncomfortable, "
    "please say so at once. Behaviour that is threatening, abusive or sexual ends the "
    "session straight away, and the practice may decline further appointments."
)


def upgrade():
    policy = op.create_table('policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('late_grace_minutes', sa.Integer(), nullable=False),
    sa.Column('session_ends_on_time', sa.Boolean(), nullable=False),
    sa.Column('cancellation_window_hours', sa.Integer(), nullable=False),
    sa.Column('late_cancel_fee_percent', sa.Integer(), nullable=False),
    sa.Column('no_show_fee_percent', sa.Integer(), nullable=False),
    sa.Column('payment_terms', sa.Text(), nullable=False),
    sa.Column('conduct_statement', sa.Text(), nullable=False),
    sa.Column('escalate_late_arrivals', sa.Integer(), server_default='3', nullable=False),
    sa.Column('escalate_late_arrivals_days', sa.Integer(), server_default='90', nullable=False),
    sa.Column('escalate_no_shows', sa.Integer(), server_default='2', nullable=False),
    sa.Column('escalate_no_shows_days', sa.Integer(), server_default='365', nullable=False),
    sa.Column('escalate_late_cancellations', sa.Integer(), server_default='3', nullable=False),
    sa.Column('escalate_late_cancellations_days', sa.Integer(), server_default='90', nullable=False),
    sa.Column('escalate_unpaid', sa.Integer(), server_default='2', nullable=False),
    sa.Column('escalate_unpaid_days', sa.Integer(), server_default='180', nullable=False),
    sa.Column('escalate_boundary', sa.Integer(), server_default='2', nullable=False),
    sa.Column('escalate_boundary_days', sa.Integer(), server_default='90', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('late_cancel_fee_percent BETWEEN 0 AND 100', name=op.f('ck_policy_late_cancel_fee_range')),
    sa.CheckConstraint('no_show_fee_percent BETWEEN 0 AND 100', name=op.f('ck_policy_no_show_fee_range')),
    sa.CheckConstraint('version > 0', name=op.f('ck_policy_positive_version')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_policy_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_version'))
    )
    op.create_table('policy_acknowledgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_policy_acknowledgement_client_id_client')),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_acknowledgement_policy_id_policy')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_policy_acknowledgement_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_acknowledgement'))
    )
    with op.batch_alter_table('policy_acknowledgement', schema=None) as batch_op:
        batch_op.create_index('ix_policy_acknowledgement_client_id_policy_id', ['client_id', 'policy_id'], unique=False)

    old = sa.table('scheduling_policy', sa.column('id', sa.Integer),
                   *(sa.column(name) for name in ATTENDANCE))
    existing = op.get_bind().execute(
        sa.select(*(old.c[name] for name in ATTENDANCE)).order_by(old.c.id).limit(1)).mappings().first()
    attendance = dict(existing) if existing else dict(DEFAULTS)
    attendance["session_ends_on_time"] = bool(attendance["session_ends_on_time"])  # SQLite: 0/1
    op.bulk_insert(policy, [{
        "version": 1, "effective_from": FIRST_VERSION_FROM, **attendance,
        "payment_terms": PAYMENT_TERMS, "conduct_statement": CONDUCT_STATEMENT,
        "created_at": datetime.now(timezone.utc), "created_by_id": None,
    }])

    with op.batch_alter_table('scheduling_policy', schema=None) as batch_op:
        for name in ATTENDANCE:
            batch_op.drop_column(name)


def downgrade():
    with op.batch_alter_table('scheduling_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_grace_minutes', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('session_ends_on_time', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('cancellation_window_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('late_cancel_fee_percent', sa.Integer(), server_default='50', nullable=False))
        batch_op.add_column(sa.Column('no_show_fee_percent', sa.Integer(), server_default='100', nullable=False))
    _copy_policy_in_force_back()

    with op.batch_alter_table('policy_acknowledgement', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_acknowledgement_client_id_policy_id')

    op.drop_table('policy_acknowledgement')
    op.drop_table('policy')


def _copy_policy_in_force_back():
    """The version in force today (or the earliest) becomes the one attendance policy again."""
    bind = op.get_bind()
    policy = sa.table('policy', sa.column('version'), sa.column('effective_from'),
                      *(sa.column(name) for name in ATTENDANCE))
    old = sa.table('scheduling_policy', sa.column('id'), *(sa.column(name) for name in ATTENDANCE))
    columns = [policy.c[name] for name in ATTENDANCE]
    today = datetime.now(timezone.utc).date()
    values = bind.execute(sa.select(*columns).where(policy.c.effective_from <= today)
                          .order_by(policy.c.version.desc()).limit(1)).mappings().first()
    values = values or bind.execute(sa.select(*columns).order_by(policy.c.version).limit(1)).mappings().first()
    if values is None:
        return
    if bind.execute(sa.select(old.c.id).limit(1)).first() is None:
        bind.execute(old.insert().values(**values))
    else:
        bind.execute(old.update().values(**values))
