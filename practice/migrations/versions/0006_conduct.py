"""the conduct record: categories (seeded), hash-chained entries, attachments, communications

Entries, attachments and communications are append-only (the database refuses UPDATE and
DELETE).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:48:47.181033

"""
import sqlalchemy as sa
from alembic import op

from practice.migrations.guards import append_only_guard, drop_append_only_guard

# The taxonomy of DOMAIN.md: (code, label, safety)
CATEGORIES = [
    ("constant_contact", "Contacts the practitioner constantly between bookings (calls, texts, messages)", False),
    ("drops_in", "Drops in at the workplace without a booking", False),
    ("gifts", "Sends gifts or turns up with gifts or flowers without a booking", False),
    ("approaches_outside", "Approaches the practitioner outside the work location", False),
    ("romantic", "Declares love or romantic feelings", False),
    ("rescue", "Offers to \"rescue\" the practitioner (money, a home or business, asks them to stop working)", False),
    ("unwanted_disclosure", "Discloses very personal information the practitioner did not want to hear", False),
    ("will_not_leave", "Will not leave on time", False),
    ("pressure", "Pressures for services or practices outside the practitioner's boundaries or safety rules", False),
    ("personal_information", "Asks for personal information (real name, address) or uses it", False),
    ("uncomfortable", "Makes the practitioner feel uncomfortable or unsafe", False),
    ("stalking", "Stalking (following, watching, monitoring, turning up repeatedly)", True),
    ("threats", "Threats, aggression or violence", True),
]

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('safety', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_category')),
    sa.UniqueConstraint('code', name=op.f('uq_incident_category_code'))
    )
    op.create_table('communication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_communication_client_id_client')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_communication_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication'))
    )
    with op.batch_alter_table('communication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communication_client_id'), ['client_id'], unique=False)

    op.create_table('conduct_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.Column('safety', sa.Boolean(), nullable=False),
    sa.Column('occurred_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_conduct_entry_policy_id_policy')),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('effect', sa.Text(), nullable=False),
    sa.Column('witnesses', sa.Text(), nullable=False),
    sa.Column('police_reference', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('related_ids', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_conduct_entry_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['category_id'], ['incident_category.id'], name=op.f('fk_conduct_entry_category_id_incident_category')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_conduct_entry_client_id_client')),
    sa.ForeignKeyConstraint(['corrects_id'], ['conduct_entry.id'], name=op.f('fk_conduct_entry_corrects_id_conduct_entry')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_conduct_entry_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conduct_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_conduct_entry_hash')),
    sa.UniqueConstraint('seq', name=op.f('uq_conduct_entry_seq'))
    )
    with op.batch_alter_table('conduct_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conduct_entry_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conduct_entry_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index('uq_conduct_entry_automatic', ['appointment_id', 'kind'], unique=True, sqlite_where=sa.text("source = 'automatic'"), postgresql_where=sa.text("source = 'automatic'"))

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['conduct_entry.id'], name=op.f('fk_attachment_entry_id_conduct_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_entry_id'), ['entry_id'], unique=False)

    category = sa.table('incident_category', sa.column('code'), sa.column('label'),
                        sa.column('safety', sa.Boolean()), sa.column('position'))
    op.bulk_insert(category, [
        {"code": code, "label": label, "safety": safety, "position": position}
        for position, (code, label, safety) in enumerate(CATEGORIES, start=1)
    ])
    for table in ('conduct_entry', 'attachment', 'communication'):
        append_only_guard(table)


def downgrade():
    for table in ('communication', 'attachment', 'conduct_entry'):
        drop_append_only_guard(table)
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_entry_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('conduct_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_conduct_entry_automatic', sqlite_where=sa.text("source = 'automatic'"), postgresql_where=sa.text("source = 'automatic'"))
        batch_op.drop_index(batch_op.f('ix_conduct_entry_corrects_id'))
        batch_op.drop_index(batch_op.f('ix_conduct_entry_client_id'))

    op.drop_table('conduct_entry')
    with op.batch_alter_table('communication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communication_client_id'))

    op.drop_table('communication')
    op.drop_table('incident_category')
