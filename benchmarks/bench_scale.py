#!/usr/bin/env python3
"""Time and peak memory of the full edition scaled up: chapters repeated ×N with generated data.

    python benchmarks/bench_scale.py                         # factors 1 10 50 82 (82: just over 500 pages), 1 run each
    python benchmarks/bench_scale.py --factors 10 50 --runs 3 --record

Each factor gets its own temporary project (benchmarks/scaled_project.py), built
cold (no chart cache: every chart is drawn) and warm, each in a fresh process;
peak memory is the build process's maximum resident set size.  Targets: time
linear in pages; a 500-page build under 1 GiB.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, machine  # noqa: E402
from bench_cities import run  # noqa: E402
from scaled_project import make_scaled_project  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 50, 82])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = parser.parse_args()
    exe = shutil.which("whitepaper") or sys.exit("whitepaper is not installed (pip install -e .)")
    lines = ["| date | scale | pages | cold (median) | warm (median) | cold s/page | peak RSS cold | runs | machine |",
             "|---|---|---|---|---|---|---|---|---|"]
    for factor in args.factors:
        with tempfile.TemporaryDirectory() as tmp:
            project = make_scaled_project(factor, Path(tmp) / f"x{factor}")
            cold, warm, peaks = [], [], []
            for _ in range(args.runs):
                shutil.rmtree(project / "output", ignore_errors=True)
                seconds, rss = run([exe, "build"], project)
                cold.append(seconds)
                peaks.append(rss)
            for _ in range(args.runs):
                warm.append(run([exe, "build", "--force"], project)[0])   # --force: else a no-op
            manifest = json.loads((project / "output" / "manifest.json").read_text(encoding="utf-8"))
            pages = next(iter(manifest["pdfs"].values()))["pages"]
        c, w = statistics.median(cold), statistics.median(warm)
        line = (f"| {time.strftime('%Y-%m-%d')} | ×{factor} | {pages} | {c:.1f} s | {w:.1f} s | {c / pages:.3f} | "
                f"{max(peaks) / 1024:.0f} MiB | {args.runs} | {machine()} |")
        lines.append(line)
        print(line, flush=True)
    if args.record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
