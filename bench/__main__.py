"""`python -m bench` (what `make bench` runs): build or restore the practices, measure, and
write bench/results/latest.md and latest.json.

    python -m bench --size large --db sqlite --rounds 10
    python -m bench --profile match --profile /today   # where a request spends its time"""

import argparse
import cProfile
import io
import pstats
import sys

from bench import measure, report
from bench.cache import practices
from bench.generate import SIZES
from bench.measure import Site
from tests.databases import postgres_bindir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="large",
                        help="the practice timed (query counts always compare demo with it)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=10, help="requests of each page (fewer for the long jobs)")
    parser.add_argument("--profile", metavar="NAME", action="append",
                        help="profile an item (a page's name or a URL) instead; may be repeated")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    if "postgresql" in kinds and postgres_bindir() is None:
        print("PostgreSQL binaries not found under /usr/lib/postgresql: skipping PostgreSQL "
              "(`make test` as root installs them).", file=sys.stderr)
        kinds = tuple(kind for kind in kinds if kind != "postgresql")
        if not kinds:
            return 1
    runs, versions = [], {}
    for kind in kinds:
        with practices(kind) as provider:
            versions[kind] = provider.version()
            site, counts = _sites(provider, args.size, skip_large_counts=bool(args.profile))
            try:
                if args.profile:
                    for name in args.profile:
                        profile(site, name)
                    continue
                print(f"Measuring the {args.size} practice on {kind}, {args.rounds} rounds...", flush=True)
                rows = measure.run(site, max(1, args.rounds), counts, provider.workdir)
            finally:
                site.close()
            runs.append({"database": kind, "size": args.size, "rounds": args.rounds, "sizes": list(counts),
                         "practice": site.landmarks.counts, "rows": rows})
    if runs:
        written = report.write({"machine": report.machine(versions), "runs": runs})
        print(written.read_text())
        print(f"Written to {written} and latest.json.")
    return 0


def _sites(provider, size: str, *, skip_large_counts: bool) -> tuple[Site, dict]:
    """The site to time, and the query counts at the demo size and at `size`."""
    url, landmarks = provider.practice("demo")
    demo = Site(url, landmarks, provider.workdir / "instance-demo")
    counts = {"demo": measure.query_counts(demo)}
    if size == "demo":
        return demo, counts
    demo.close()
    url, landmarks = provider.practice(size)
    site = Site(url, landmarks, provider.workdir / f"instance-{size}")
    if not skip_large_counts:
        print(f"Counting the queries of each page at the {size} size...", flush=True)
        counts[size] = measure.query_counts(site)
    return site, counts


def profile(site: Site, name: str) -> None:
    """cProfile of one request: the functions with the most cumulative and own time."""
    items = measure.http_items(site.landmarks)
    path = items.get(name, name)
    site.get(path)  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    sample = site.get(path)
    profiler.disable()
    print(f"{path}: HTTP {sample.status}, {sample.seconds * 1000:,.0f} ms, {sample.queries} queries, "
          f"{sample.size:,} bytes")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(35)
        print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
