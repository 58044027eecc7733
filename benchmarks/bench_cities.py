#!/usr/bin/env python3
"""Time whole `whitepaper build` processes for the city excerpts against the full edition.

    python benchmarks/bench_cities.py                 # 3 runs each, prints Markdown rows
    python benchmarks/bench_cities.py --runs 5 --record   # also appends them to benchmarks/RESULTS.md
    python benchmarks/bench_cities.py --runs 9 --alternate   # issue 11's ratio, the two builds taken in turn

Measures (median of N fresh processes, on a private copy of the project):
the full edition cold and warm, and all 20 city excerpts (`--all-cities`)
with -j 1 and -j 2, cold and warm.  Targets: warm edition ≤ ½ cold edition;
all cities with -j 2 (cold) ≤ 2 × one cold edition.  The machine's load
average is recorded too: on a shared machine, parallel speed-up needs idle cores.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, copy_project, machine  # noqa: E402


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the largest single process) of one command, measured by a wrapper."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter();"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # an installed package has its .pyc files
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, check=True, capture_output=True,
                         text=True, env=env).stdout.split()
    rss = int(out[1]) // (1024 if sys.platform == "darwin" else 1)
    return float(out[0]), rss


def series(exe: str, project: Path, args: list[str], runs: int, cold: bool) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(runs):
        if cold:
            shutil.rmtree(project / "output", ignore_errors=True)
        seconds, rss = run([exe, "build", *args], project)
        times.append(seconds)
        peaks.append(rss)
    return statistics.median(times), max(peaks)


def alternate(exe: str, runs: int) -> int:
    """Cold edition, then cold ``--all-cities -j 2``, ``runs`` rounds; medians and the median round's ratio."""
    editions, batches = [], []
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        series(exe, project, [], 1, cold=True)   # warm the OS file cache (fonts) once, untimed
        for _ in range(runs):
            editions.append(series(exe, project, [], 1, cold=True)[0])
            batches.append(series(exe, project, ["--all-cities", "-j", "2"], 1, cold=True)[0])
    edition, batch = statistics.median(editions), statistics.median(batches)
    per_round = statistics.median(b / e for b, e in zip(batches, editions))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {machine()}; load average at the end: {load:.1f}; {runs} rounds")
    print("| cold edition | 20 excerpts -j 2, cold | ratio of medians | median of the rounds' ratios |")
    print("|---|---|---|---|")
    print(f"| {edition:.2f} s | {batch:.2f} s | {batch / edition:.2f} × | {per_round:.2f} × |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    parser.add_argument("--alternate", action="store_true",
                        help="only issue 11's ratio: the cold edition and the cold -j 2 batch, one after the other "
                             "in each round (a drift in the machine's load hits both alike)")
    args = parser.parse_args()
    exe = shutil.which("whitepaper") or sys.exit("whitepaper is not installed (pip install -e .)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.alternate:
        return alternate(exe, args.runs)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        series(exe, project, [], 1, cold=True)   # warm the OS file cache (fonts) once, untimed
        edition_cold, rss = series(exe, project, [], args.runs, cold=True)
        # --force: since the no-op build, a warm build without it says 'up to date' and typesets nothing
        edition_warm, _ = series(exe, project, ["--force"], args.runs, cold=False)
        rows.append(("full edition", edition_cold, edition_warm, rss, ""))
        for jobs in (1, 2):
            cold, rss = series(exe, project, ["--all-cities", "-j", str(jobs)], args.runs, cold=True)
            warm, _ = series(exe, project, ["--all-cities", "-j", str(jobs)], args.runs, cold=False)
            rows.append((f"20 city excerpts, -j {jobs}", cold, warm, rss, f"{cold / edition_cold:.2f} × cold edition"))
    header = "| date | build | cold (median) | warm (median) | peak RSS | note | runs | load | machine |"
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for name, cold, warm, rss, note in rows:
        if name == "full edition":
            note = f"warm = {warm / cold:.2f} × cold"
        lines.append(f"| {time.strftime('%Y-%m-%d')} | {name} | {cold:.2f} s | {warm:.2f} s | {rss / 1024:.0f} MiB | "
                     f"{note} | {args.runs} | {load:.1f} | {machine()} |")
    print("\n".join(lines))
    if args.record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
