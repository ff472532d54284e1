"""Runs the referral network's chain on the connection referrals.migrations hands over. Only
the network's own tables are looked at: a site's tables are neither compared nor touched."""

from alembic import context

import referrals.models  # noqa: F401  (every table, for autogenerate)
from practice.db import render_migration_type
from referrals.database import metadata
from referrals.migrations import VERSION_TABLE


def own_table(name, kind, _parent) -> bool:
    return kind != "table" or name in metadata.tables


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    include_name=own_table,
    render_as_batch=True,  # later changes can alter SQLite tables
    compare_type=True,
    render_item=render_migration_type,
)
with context.begin_transaction():
    context.run_migrations()
