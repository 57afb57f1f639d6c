"""The one entry of the benchmarks: run the chosen ones, print one table, write JSON.

`python -m bench.run` (the station) and `python -m bench.central` (the central office) each
hand a `Suite` to `main`, which reads the same options:

    --quick          shorter runs
    --only a,b       only these benchmarks of the suite, in this order
    --json PATH      where the results go (default: the suite's file in bench/results/)
    --strict         exit 1 when a target is missed (otherwise a miss is reported, not an error)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import Benchmark, Context, Measure

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Suite:
    """The benchmarks of one command, in the order they run; the libraries whose versions are
    recorded with the results; the JSON file written unless --json says otherwise."""

    benchmarks: dict[str, Benchmark]
    libraries: tuple[str, ...]
    results: Path


def command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def machine(workdir: Path, libraries: tuple[str, ...]) -> dict[str, Any]:
    """What the numbers were measured on."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    disk = shutil.disk_usage(workdir)
    mount = command_output(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", str(workdir)])
    versions = {}
    for name in libraries:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "lscpu": command_output(["lscpu"]).splitlines()[:10],
        "memory_gb": round(total_kb / 2**20, 1),
        "disk": {"path": str(workdir), "mount": mount, "free_gb": round(disk.free / 2**30, 1)},
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "mosquitto": command_output(["/usr/sbin/mosquitto", "-h"]).splitlines()[0:1],
        "libraries": versions,
    }


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if float(value).is_integer():
        text = f"{int(value):,}"
    elif magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(measures: list[Measure]) -> str:
    """The results as a Markdown table (readable in a terminal too)."""
    header = ("measure", "value", "raw baseline", "÷ baseline", "target", "result")
    rows = [header]
    for m in measures:
        verdict = {True: "met", False: "MISSED", None: ""}[m.met]
        baseline = f"{number(m.baseline, m.unit)} ({m.baseline_name})" if m.baseline_name else ""
        ratio = "-" if m.ratio is None else f"{m.ratio:.2f}"
        rows.append((m.name, number(m.value, m.unit), baseline, ratio, m.target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(suite: Suite, description: str, argv: list[str] | None = None) -> int:
    """Run `suite` as the command line asks; 1 if --strict and a target was missed."""
    names = list(suite.benchmarks)
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--only", default="", help=f"comma-separated: {','.join(names)}")
    parser.add_argument("--json", type=Path, default=suite.results)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name] or names
    unknown = set(chosen) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = datetime.now(UTC)
    measures: list[Measure] = []
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="printstation-bench-") as tmp:
        ctx = Context(Path(tmp), quick=args.quick)
        info = machine(ctx.workdir, suite.libraries)
        print(f"{info['nproc']} CPUs, {info['memory_gb']} GB, Python {info['python']}", end="")
        print(f", SQLite {info['sqlite']}; benchmarks: {', '.join(chosen)}", flush=True)
        for name in chosen:
            began = time.perf_counter()
            print(f"  {name} …", end="", flush=True)
            measures += suite.benchmarks[name](ctx)
            timings[name] = round(time.perf_counter() - began, 1)
            print(f" {timings[name]} s", flush=True)

    print()
    print(table(measures))
    missed = [m.name for m in measures if m.met is False]
    print(f"\n{len(missed)} target(s) missed" + (f": {', '.join(missed)}" if missed else ""))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": timings,
        "machine": info,
        "measures": [m.as_dict() for m in measures],
    }
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {args.json}")
    return 1 if args.strict and missed else 0
