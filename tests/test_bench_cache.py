"""The benchmark's cache keeps a few builds of each size, so switching branches rebuilds nothing."""

import os

from bench import cache


def _build(folder, name: str, used_at: float, suffixes=(".json", ".sqlite", ".pgdump")) -> None:
    for suffix in suffixes:
        path = folder / f"{name}{suffix}"
        path.write_text("x")
        os.utime(path, (used_at, used_at))


def test_the_most_recently_used_builds_of_a_size_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE", tmp_path)
    for age, key in enumerate(["k0", "k1", "k2", "k3", "k4"]):
        _build(tmp_path, f"large-{key}", used_at=1_000_000 - age * 100)
    _build(tmp_path, "demo-old", used_at=1)

    cache._mark_used("large", tmp_path / "large-k4.json")  # the oldest, used again now

    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == ["demo-old.json", "demo-old.pgdump", "demo-old.sqlite",
                    "large-k0.json", "large-k0.pgdump", "large-k0.sqlite",
                    "large-k1.json", "large-k1.pgdump", "large-k1.sqlite",
                    "large-k4.json", "large-k4.pgdump", "large-k4.sqlite"]


def test_a_build_is_as_recent_as_its_newest_file(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE", tmp_path)
    _build(tmp_path, "demo-a", used_at=100)
    _build(tmp_path, "demo-b", used_at=200)
    _build(tmp_path, "demo-c", used_at=300)
    _build(tmp_path, "demo-d", used_at=50, suffixes=(".json", ".sqlite"))
    _build(tmp_path, "demo-d", used_at=400, suffixes=(".pgdump",))  # its PostgreSQL dump just made

    cache._prune("demo")

    assert {path.name.split(".")[0] for path in tmp_path.iterdir()} == {"demo-b", "demo-c", "demo-d"}
