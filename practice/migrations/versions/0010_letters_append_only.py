"""issued letters are append-only

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 09:00:00

An issued letter is frozen: its row (the PDF, its SHA-256, what it says and to whom) is
complete when it is inserted, and the database refuses any UPDATE or DELETE of it, as it
does for the conduct record and the audit trail.
"""
from practice.migrations.guards import append_only_guard, drop_append_only_guard

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    append_only_guard('letter')


def downgrade():
    drop_append_only_guard('letter')
