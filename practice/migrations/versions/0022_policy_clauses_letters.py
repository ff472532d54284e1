"""the policy in clauses with topics; the service an inquiry asks for; how to pay a balance;
the colleagues a letter offered

Each version's payment terms and conduct statement become its clauses, one per paragraph.
The practice files them under topics later; until then a clause is "other", except the
paragraphs that are this product's own default text (migration 0005), whose topic is known.

Revision ID: 0022
Revises: 0026
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op

from practice.migrations.guards import append_only_guard, drop_append_only_guard

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0026'
branch_labels = None
depends_on = None

# The default texts version 1 was given (0005), as they were written.
DEFAULT_PAYMENT = (
    "Payment is due at the end of each session, by card, cash or bank transfer. "
    "A fee for a late cancellation or a missed appointment is due before the next session "
    "is booked."
)
DEFAULT_CONDUCT = (
    "This is a professional practice. Sessions are therapeutic and non-sexual, and take "
    "place only at booked times. Please contact the practice only about appointments, "
    "through its own phone number, e-mail or booking page, and respect the practitioner's "
    "privacy and personal time. If anything about a session makes you uncomfortable, "
    "please say so at once. Behaviour that is threatening, abusive or sexual ends the "
    "session straight away, and the practice may decline further appointments."
)
KNOWN = {DEFAULT_PAYMENT: "payment", DEFAULT_CONDUCT: "conduct"}


def paragraphs(text):
    chunks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [" ".join(line.strip() for line in chunk.strip().split("\n")).strip()
            for chunk in chunks if chunk.strip()]


def upgrade():
    clause = op.create_table('policy_clause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_clause_policy_id_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_clause'))
    )
    with op.batch_alter_table('policy_clause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_clause_policy_id'), ['policy_id'], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, payment_terms, conduct_statement FROM policy ORDER BY id")).all()
    clauses = []
    for policy_id, payment_terms, conduct_statement in rows:
        texts = paragraphs(payment_terms) + paragraphs(conduct_statement)
        clauses += [{"policy_id": policy_id, "position": position, "topic": KNOWN.get(text, "other"), "text": text}
                    for position, text in enumerate(texts, start=1)]
    if clauses:
        op.bulk_insert(clause, clauses)
    # Not in batch mode: on SQLite a batch would copy and drop policy, which acknowledgements
    # and conduct entries refer to. A plain column has a plain DROP COLUMN (SQLite 3.35+).
    op.drop_column('policy', 'payment_terms')
    op.drop_column('policy', 'conduct_statement')

    op.add_column('inquiry', sa.Column('service_id', sa.Integer(), nullable=True))
    op.add_column('letter_settings', sa.Column('how_to_pay', sa.Text(), server_default='', nullable=False))

    op.create_table('letter_referral',
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_letter_referral_letter_id_letter')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_letter_referral_referral_id_referral')),
    sa.PrimaryKeyConstraint('letter_id', 'referral_id', name=op.f('pk_letter_referral'))
    )
    with op.batch_alter_table('letter_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_referral_referral_id'), ['referral_id'], unique=False)
    append_only_guard('letter_referral')


def downgrade():
    drop_append_only_guard('letter_referral')
    op.drop_table('letter_referral')
    op.drop_column('letter_settings', 'how_to_pay')
    op.drop_column('inquiry', 'service_id')

    op.add_column('policy', sa.Column('payment_terms', sa.Text(), server_default='', nullable=False))
    op.add_column('policy', sa.Column('conduct_statement', sa.Text(), server_default='', nullable=False))
    connection = op.get_bind()
    written = {}
    for policy_id, topic, text in connection.execute(sa.text(
            "SELECT policy_id, topic, text FROM policy_clause ORDER BY policy_id, position")):
        payment, conduct = written.setdefault(policy_id, ([], []))
        (payment if topic == "payment" else conduct).append(text)
    for policy_id, (payment, conduct) in written.items():
        connection.execute(sa.text("UPDATE policy SET payment_terms = :payment, conduct_statement = :conduct "
                                   "WHERE id = :id"),
                           {"payment": "\n\n".join(payment), "conduct": "\n\n".join(conduct), "id": policy_id})
    op.drop_table('policy_clause')
