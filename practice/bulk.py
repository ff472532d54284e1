"""Inserting many rows at once (imports), many rows a statement rather than one INSERT each,
with their new ids in the order of the rows, and looking up thousands of keys at once. Free
of the practice's tables: the referral network uses it too."""

import json

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Insert,
    Integer,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
)


def insert_rows(session, model, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts of the same columns) into `model`'s table; their ids, in order.

    PostgreSQL: the ids are taken from the table's sequence first, all in one statement, and
    the rows go in with them, in one INSERT from an array a column (no RETURNING to sort back
    into the rows' order, which cost the server more than the rows themselves). SQLite has no
    sequence: the rows go in one executemany and the ids are read back, since SQLite lets
    one connection write at a time and this one holds the lock once it has inserted, so the
    newest ids are these rows', given in turn."""
    if not rows:
        return []
    # Into the table, not the model: without the ORM's bulk insert sorting each row into its
    # mapper's columns first (rows here are the table's columns).
    table = model.__table__
    if session.connection().dialect.name == "postgresql":
        ids = _next_ids(session, model, len(rows))
        session.execute(_insert_columns(session, table, [row | {"id": id} for row, id in zip(rows, ids, strict=True)]))
        return ids
    session.execute(insert(table), rows)
    newest = session.scalars(select(model.id).order_by(model.id.desc()).limit(len(rows)))
    return sorted(newest)


def _insert_columns(session, table, rows: list[dict]) -> Insert:
    """One INSERT of `rows` (PostgreSQL) from an array a column, read back as rows by
    `unnest`: the server runs one statement instead of one a row (a batched executemany),
    5,000 clients in about two thirds of the time."""
    names = list(rows[0])
    arrays = [_array(session, table.c[name], [row[name] for row in rows]) for name in names]
    columns = func.unnest(*arrays).table_valued(*names).render_derived()
    return insert(table).from_select(names, select(*columns.c))


def _next_ids(session, model, count: int) -> list[int]:
    """`count` new ids from the sequence of `model`'s id column (PostgreSQL), ascending."""
    sequence = func.pg_get_serial_sequence(model.__tablename__, "id")
    return sorted(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))


def in_many(session, column, values) -> ColumnElement[bool]:
    """`column IN values` for many values (an import's thousands of phone numbers, say), as
    one parameter rather than a parameter each, which SQLAlchemy, psycopg and the server
    each spend time on (looking up a 5,000-row file's phones and addresses among the clients
    on PostgreSQL: about 600 → 70 ms). PostgreSQL takes an array (`= ANY`); SQLite, which has
    no arrays, a JSON list read by its json_each, the values as the column's type stores them."""
    dialect = session.connection().dialect
    values = list(values)
    if dialect.name == "postgresql":
        return column == any_(_array(session, column, values))
    stored = column.type.dialect_impl(dialect).bind_processor(dialect)
    listed = json.dumps([stored(value) for value in values] if stored else values)
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(None, listed))))


def _array(session, column, values: list) -> ColumnElement:
    """`values` as one PostgreSQL array of `column`'s type, sent in the array's text form:
    psycopg's own list dumper looks at every element with regular expressions in Python,
    a large part of the CPU of an import, which sends tens of thousands of values. Each value
    is written by str() after the column type's own processing: right for text, numbers,
    booleans, dates and times (what imports hold), not for bytes."""
    dialect = session.connection().dialect
    stored = column.type.dialect_impl(dialect).bind_processor(dialect)
    values = [stored(value) for value in values] if stored else values
    text = ",".join("NULL" if value is None else _quoted(str(value)) for value in values)
    return cast(bindparam(None, "{" + text + "}", type_=Text), ARRAY(column.type))


def _quoted(text: str) -> str:
    """An element of an array's text form: in double quotes, backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def in_ids(column, name: str, dialect: str) -> ColumnElement[bool]:
    """`column IN` the ids given as the parameter `name` (its value: `ids_value`), in a
    statement built once: one parameter however many. A list parameter had SQLAlchemy write
    the statement out again on every run (the review's read of what was done for the day's
    clients names them seven times: about a third of SQLAlchemy's time running it)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def ids_value(ids: list[int], dialect: str):
    """The value of an `in_ids` parameter: an array on PostgreSQL, a JSON list on SQLite."""
    return ids if dialect == "postgresql" else json.dumps(ids)
