"""Built practices, kept under bench/.cache/ so a rerun takes minutes, not tens of minutes.

A practice is keyed by a hash of the generator's code, the size and the migrations' files
(not only the head's id: a branch re-chained at a merge keeps its id but not its schema):
change any of them and the next run builds afresh. SQLite keeps the built file;
PostgreSQL keeps a `pg_dump` of it, restored into a throwaway cluster started the way the
tests start theirs (tests/databases.py). Each run works on a copy, never on the cache."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing, contextmanager
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.generate import NOW, SIZES, Landmarks, build
from practice import create_app
from practice.clock import FixedClock
from practice.db import db
from tests.databases import PostgresCluster, postgres_bindir

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
MIGRATIONS = BENCH.parent / "practice" / "migrations"


def cache_key(size_name: str) -> str:
    digest = hashlib.sha256()
    digest.update((BENCH / "generate.py").read_bytes())
    digest.update(repr(SIZES[size_name]).encode())
    for migration in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(migration.name.encode() + migration.read_bytes())
    return digest.hexdigest()[:16]


KEPT_BUILDS = 3  # of each size, so switching between branches of different schemas rebuilds nothing


def _prune(size_name: str) -> None:
    """Forget this size's builds beyond the most recently used few (a large one is about 0.5 GB)."""
    last_used: dict[str, float] = {}
    for path in CACHE.glob(f"{size_name}-*"):
        stem = path.name.split(".")[0]
        last_used[stem] = max(last_used.get(stem, 0.0), path.stat().st_mtime)
    for stem in sorted(last_used, key=last_used.__getitem__, reverse=True)[KEPT_BUILDS:]:
        for path in CACHE.glob(f"{stem}.*"):
            path.unlink()


def _mark_used(size_name: str, landmarks_file: Path) -> None:
    landmarks_file.touch()
    _prune(size_name)


def make_app(url: str, instance: Path, **config):
    app = create_app({"PRACTICE_DATABASE_URL": url, "PRACTICE_INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, **config})
    app.extensions["practice"].clock = FixedClock(NOW)
    return app


def _generate(url: str, size_name: str, workdir: Path) -> Landmarks:
    """Migrate an empty database to head and build the practice in it."""
    app = make_app(url, workdir / "instance")
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        if db.engine.dialect.name == "sqlite":  # one writer, rebuilt from scratch if lost
            db.session.execute(sa.text("PRAGMA synchronous=OFF"))
        landmarks = build(db.session, SIZES[size_name])
        db.session.remove()
        db.engine.dispose()
    print(f"  built the {size_name} practice in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{count:,} {table}" for table, count in landmarks.counts.items()), flush=True)
    return landmarks


def _save_landmarks(path: Path, landmarks: Landmarks) -> None:
    path.write_text(json.dumps(asdict(landmarks), indent=1))


def _load_landmarks(path: Path) -> Landmarks:
    return Landmarks(**json.loads(path.read_text()))


class SQLitePractices:
    kind = "sqlite"

    def __init__(self, workdir: Path):
        self.workdir = workdir

    def version(self) -> str:
        return sqlite3.sqlite_version

    def practice(self, size_name: str) -> tuple[str, Landmarks]:
        """A working copy of the cached practice (built first when missing)."""
        stem = CACHE / f"{size_name}-{cache_key(size_name)}"
        cached, landmarks_file = stem.with_suffix(".sqlite"), stem.with_suffix(".json")
        if not cached.exists():
            CACHE.mkdir(exist_ok=True)
            print(f"Building the {size_name} practice on SQLite (cached as {cached.name})...", flush=True)
            building = self.workdir / f"building-{size_name}.sqlite"
            landmarks = _generate(f"sqlite:///{building}", size_name, self.workdir)
            with closing(sqlite3.connect(building)) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _save_landmarks(landmarks_file, landmarks)
            shutil.move(building, cached)
        _mark_used(size_name, landmarks_file)
        copy = self.workdir / f"{size_name}.sqlite"
        shutil.copyfile(cached, copy)
        return f"sqlite:///{copy}", _load_landmarks(landmarks_file)

    def close(self) -> None:
        pass


class PostgresPractices:
    kind = "postgresql"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.bindir = postgres_bindir()
        self.cluster = PostgresCluster(self.bindir)
        self.cluster.start()

    def version(self) -> str:
        engine = sa.create_engine(self.cluster.url("postgres"))
        with engine.connect() as connection:
            version = connection.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
        return version

    def _tool(self, name: str, *args: str) -> None:
        subprocess.run([str(self.bindir / name), "-h", "127.0.0.1", "-p", str(self.cluster.port),
                        "-U", "postgres", *args], check=True, capture_output=True, text=True)

    def practice(self, size_name: str) -> tuple[str, Landmarks]:
        """A fresh database restored from the cached dump (built and dumped first when missing)."""
        stem = CACHE / f"{size_name}-{cache_key(size_name)}"
        dump, landmarks_file = stem.with_suffix(".pgdump"), stem.with_suffix(".json")
        name = f"bench_{size_name}"
        self.cluster.admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.cluster.admin_execute(f"CREATE DATABASE {name}")
        url = self.cluster.url(name)
        if not dump.exists():
            CACHE.mkdir(exist_ok=True)
            print(f"Building the {size_name} practice on PostgreSQL (cached as {dump.name})...", flush=True)
            landmarks = _generate(url, size_name, self.workdir)
            _reset_sequences(url)
            partial = dump.with_suffix(".partial")
            self._tool("pg_dump", "--format=custom", f"--file={partial}", name)
            if not landmarks_file.exists():
                _save_landmarks(landmarks_file, landmarks)
            partial.rename(dump)
        else:
            print(f"Restoring the {size_name} practice on PostgreSQL from {dump.name}...", flush=True)
            self._tool("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={name}", str(dump))
        # A server's autovacuum would have gathered statistics long ago; a fresh restore has none.
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        engine.dispose()
        _mark_used(size_name, landmarks_file)
        return url, _load_landmarks(landmarks_file)

    def close(self) -> None:
        self.cluster.stop()


def _reset_sequences(url: str) -> None:
    """The generator gives rows their ids; the sequences must continue after them."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in sa.inspect(connection).get_table_names():
            columns = {c["name"] for c in sa.inspect(connection).get_columns(table)}
            if "id" in columns:
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table}), 1))"))
    engine.dispose()


@contextmanager
def practices(kind: str):
    """SQLite or PostgreSQL practices in a temporary folder removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="practice-bench-"))
    os.chmod(workdir, 0o755)
    provider = SQLitePractices(workdir) if kind == "sqlite" else PostgresPractices(workdir)
    try:
        yield provider
    finally:
        provider.close()
        shutil.rmtree(workdir, ignore_errors=True)
