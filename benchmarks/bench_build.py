#!/usr/bin/env python3
"""Time whole `whitepaper build` processes: cold (empty cache) and warm, median of N runs.

    python benchmarks/bench_build.py            # 5 runs each, prints a Markdown table row
    python benchmarks/bench_build.py --runs 9 --record   # also appends to benchmarks/RESULTS.md

Each run is a fresh process (imports, font loading and all), on a private copy
of the project so the repository's output/ is untouched.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def copy_project(dest: Path, tree: Path = ROOT) -> Path:
    """A private copy of ``tree``'s project (its fonts linked): each checkout builds its own content."""
    for name in ("chapters", "editions", "data"):
        shutil.copytree(tree / name, dest / name)
    (dest / "fonts").symlink_to(tree / "fonts")
    return dest


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
    args = parser.parse_args()
    exe = shutil.which("whitepaper") or sys.exit("whitepaper is not installed (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        cold, warm = [], []
        for _ in range(args.runs):
            shutil.rmtree(project / "output", ignore_errors=True)
            cold.append(timed([exe, "build"], project))
        for _ in range(args.runs):
            warm.append(timed([exe, "build", "--force"], project))  # nothing changed: --force, else a no-op
    row = (f"| {time.strftime('%Y-%m-%d')} | full edition | {statistics.median(cold):.2f} s | "
           f"{statistics.median(warm):.2f} s | {args.runs} | {machine()} |")
    print("| date | build | cold (median) | warm (median) | runs | machine |")
    print(row)
    if args.record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write(row + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
