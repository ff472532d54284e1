"""Throwaway databases for the test session: a SQLite file or a private PostgreSQL cluster.

The schema is built once by the migrations into a template; each test gets a fresh copy."""

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import closing
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
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin_execute(self, statement: str) -> None:
        engine = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
        engine.dispose()


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
    kind = "postgresql"
    TEMPLATE = "practice_template"

    def __init__(self, cluster: PostgresCluster):
        self.cluster = cluster
        cluster.admin_execute(f"CREATE DATABASE {self.TEMPLATE}")

    def template_url(self) -> str:
        return self.cluster.url(self.TEMPLATE)

    def fresh(self, folder: Path) -> str:
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
        self.cluster.admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
