"""Throwaway databases for the test session: a SQLite file or a private PostgreSQL cluster.

The schema is built once by the migrations into a template; each test gets a fresh copy."""

import functools
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder. pg_ctl refuses root, so as root it runs as the
    `postgres` system user."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="practice-pg-"))
        self.port = _free_port()
        self.as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_owner, *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        data = self.root / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                  "-l", str(self.root / "server.log"), "start")

    def stop(self) -> None:
        self.admin.dispose()
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin_execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(sa.text(statement))

    @functools.cached_property
    def admin(self) -> sa.Engine:
        """One pooled connection to the maintenance database (a new engine per statement
        cost more than most statements)."""
        return sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")


class SQLiteDatabases:
    kind = "sqlite"

    def __init__(self, root: Path):
        self.template = root / "template.sqlite"

    def template_url(self) -> str:
        return f"sqlite:///{self.template}"

    def fresh(self, folder: Path) -> str:
        target = folder / "practice.sqlite"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def empty(self, folder: Path) -> str:
        """A database with no tables at all (a site other than the practice)."""
        return f"sqlite:///{folder / 'empty.sqlite'}"

    def copy(self, url: str, folder: Path) -> str:
        """A copy of a database a test has filled (no connection may be writing to it)."""
        target = folder / "practice.sqlite"
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as source, \
                closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass


class PostgresDatabases:
    """Copies of the migrated template. Making one costs a few hundred milliseconds (and
    dropping it a hundred more), which over two thousand tests was most of the PostgreSQL
    pass; so a copy a test is done with is emptied and kept for the next test, unless the
    test changed its schema (dropped a trigger, downgraded, restored a backup): then it
    is dropped, as is any database that did not come from the template."""

    kind = "postgresql"
    TEMPLATE = "practice_template"

    def __init__(self, cluster: PostgresCluster):
        self.cluster = cluster
        self.spare: list[str] = []
        cluster.admin_execute(f"CREATE DATABASE {self.TEMPLATE}")

    def template_url(self) -> str:
        return self.cluster.url(self.TEMPLATE)

    def fresh(self, folder: Path) -> str:
        if self.spare:
            return self.cluster.url(self.spare.pop())
        return self._copy_of(self.TEMPLATE)

    def empty(self, folder: Path) -> str:
        """A database with no tables at all (a site other than the practice)."""
        return self._copy_of("template0")

    def copy(self, url: str, folder: Path) -> str:
        """A copy of a database a test has filled (no connection may be open to it)."""
        return self._copy_of(url.rsplit("/", 1)[1])

    def _copy_of(self, template: str) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.cluster.admin_execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.cluster.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.cluster.admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        if self._emptied(url):
            self.spare.append(name)
        else:
            self.cluster.admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _emptied(self, url: str) -> bool:
        """Whether the database has the template's schema, and if so empties it back to the
        template's rows (the seeded ones) and sequences."""
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                if _schema_of(connection) != self._template.schema:
                    return False
                _run(connection, self._template.reset)
            return True
        except sa.exc.DBAPIError:
            return False
        finally:
            engine.dispose()

    @functools.cached_property
    def _template(self) -> "_Template":
        engine = sa.create_engine(self.template_url(), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return _Template.read(connection)
        finally:
            engine.dispose()


# What a database's schema is made of, as text: relations, columns, constraints, indexes,
# triggers (and whether they are on), functions, extensions and the migration it is at.
SCHEMA = """
SELECT md5(string_agg(part, E'\n' ORDER BY part)) FROM (
  SELECT format('rel %s.%s %s', n.nspname, c.relname, c.relkind) AS part
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT format('col %s.%s %s %s %s', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('idx %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL
  SELECT format('trg %s %s', tgenabled, pg_get_triggerdef(oid)) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT format('fn %s %s', proname, md5(prosrc)) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('ext %s %s', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT format('at %s', version_num) FROM public.alembic_version
) AS parts
"""


@dataclass(frozen=True)
class _Template:
    schema: str
    reset: str  # empties every table, puts back the seeded rows and the sequences

    @classmethod
    def read(cls, connection) -> "_Template":
        schema = _schema_of(connection)
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename").scalars().all()
        statements = ["SET LOCAL session_replication_role = replica"]  # no triggers, no FKs
        statements += [f'DELETE FROM "{table}"' for table in tables]
        for table in tables:
            for row in connection.exec_driver_sql(f'SELECT row_to_json(t)::text FROM "{table}" t').scalars():
                statements.append(f'INSERT INTO "{table}" SELECT * FROM json_populate_record(NULL::"{table}", '
                                  f"{_literal(row)})")
        for name, last_value in connection.exec_driver_sql(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"):
            value, called = (last_value, "true") if last_value is not None else (1, "false")
            statements.append(f"SELECT setval({_literal(name)}, {value}, {called})")
        return cls(schema, ";\n".join(statements))


def _schema_of(connection) -> str:
    return _run(connection, SCHEMA).fetchone()[0]


def _run(connection, sql: str):
    """SQL as written: psycopg, given no parameters, does not read %s as one."""
    return connection.connection.driver_connection.execute(sql)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
