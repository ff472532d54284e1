"""Inserting many rows at once (imports), many rows a statement rather than one INSERT each,
with their new ids in the order of the rows. Free of the practice's tables: the referral
network uses it too."""

from sqlalchemy import insert, select


def insert_rows(session, model, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts of the same columns) into `model`'s table; their ids, in order.

    PostgreSQL sends them in batches and matches each id to its row (RETURNING sorted by the
    rows' order). SQLite cannot sort a batch's RETURNING, so the rows go in one executemany
    and the ids are read back: SQLite lets one connection write at a time and this one holds
    the lock once it has inserted, so the newest ids are these rows', given in turn."""
    if not rows:
        return []
    if session.connection().dialect.name == "postgresql":
        return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    session.execute(insert(model), rows)
    newest = session.scalars(select(model.id).order_by(model.id.desc()).limit(len(rows)))
    return sorted(newest)
