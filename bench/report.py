"""bench/results/latest.md and latest.json: the machine, then a table per database."""

import json
import os
import platform
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import weasyprint

RESULTS = Path(__file__).resolve().parent / "results"


def machine(database_versions: dict[str, str]) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, **{kind: version for kind, version in database_versions.items()
                                            if kind != "sqlite"},
        "weasyprint": weasyprint.__version__, "system": platform.platform(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:,.2f} s"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _size(value: int | None) -> str:
    if value is None:
        return ""
    if value >= 1024 * 1024:
        return f"{value / 1024 / 1024:,.1f} MB"
    return f"{value / 1024:,.0f} KB" if value >= 1024 else f"{value} B"


def _queries(counts: dict) -> str:
    return " → ".join(str(value) for value in counts.values())


def _met(row: dict) -> str:
    if row["met"] is None:
        return ""
    return "yes" if row["met"] else "**no**: " + ", ".join(row["misses"])


def table(run: dict) -> list[str]:
    sizes = " → ".join(run["sizes"])
    lines = [
        "| What | p50 | p95 | Baseline (p50) | × baseline p50 / p95 | Queries " + sizes + " | Size | Target | Met |",
        "|---|--:|--:|---|--:|--:|--:|---|---|",
    ]
    for row in run["rows"]:
        ratio = f"{row['ratio_p50']:g} / {row['ratio_p95']:g}" if "ratio_p50" in row else ""
        baseline = f"{row['baseline']} ({_ms(row['baseline_p50_ms'])})" if row.get("baseline_p50_ms") else row["baseline"]
        name = row["name"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {name} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | {baseline} | {ratio} | "
                     f"{_queries(row['queries'])} | {_size(row['bytes'])} | {row['target']} | {_met(row)} |")
    return lines


def markdown(results: dict) -> str:
    m = results["machine"]
    versions = ", ".join(f"{name} {m[name]}" for name in ("sqlite", "postgresql") if name in m)
    lines = [
        "# Benchmark results",
        "",
        f"{m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, {versions}, WeasyPrint "
        f"{m['weasyprint']}; load average at the start {', '.join(str(v) for v in m['load_average'])}.",
        "Times are wall-clock through the Flask test client; each ratio compares with a baseline measured "
        "in the same run, interleaved, so a busy machine moves both. `make bench` wrote this file.",
    ]
    for run in results["runs"]:
        practice = ", ".join(f"{count:,} {table}" for table, count in run["practice"].items())
        met = sum(1 for row in run["rows"] if row["met"])
        targets = sum(1 for row in run["rows"] if row["met"] is not None)
        lines += ["", f"## {run['database']}, {run['size']} practice, {run['rounds']} rounds", "",
                  f"The practice: {practice}.", "", f"Targets met: {met} of {targets}.", ""]
        lines += table(run)
    return "\n".join(lines) + "\n"


def write(results: dict, folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    target = folder / "latest.md"
    target.write_text(markdown(results))
    return target
