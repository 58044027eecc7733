#!/usr/bin/env python3
"""What `whitepaper check` costs now that it draws the charts and lays the PDF out in memory.

    python benchmarks/bench_check.py --baseline /path/to/old/checkout --content /path/to/old/checkout --runs 5

Times `python -m pipeline.cli check` and `… build` with this tree and, alternating run by run, with
the baseline's ``pipeline`` (a checkout whose check only loaded, validated and resolved), on one
copy of a project (``--content``: take its chapters/ and data/ from another checkout, one both
trees can build).  "cold": output/.cache removed before each run (charts drawn);
"warm": the cache from the run before (charts found there).  Medians of ``--runs`` runs.
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
from bench_build import ROOT, machine  # noqa: E402


def project_copy(dest: Path, content: Path) -> Path:
    for name in ("chapters", "data"):
        shutil.copytree(content / name, dest / name)
    (dest / "fonts").symlink_to(ROOT / "fonts")
    return dest


def seconds(tree: Path, project: Path, command: str, cold: bool) -> float:
    if cold:
        shutil.rmtree(project / "output" / ".cache", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", command, "--project", str(project)],
                          env=env, capture_output=True, text=True, cwd=project)
    took = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{command} failed with {tree}:\n{proc.stdout}{proc.stderr}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--content", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = ["| command | cache | this tree (median) | baseline (median) | this − baseline | runs |",
            "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp) / "project", args.content)
        seconds(ROOT, project, "build", cold=False)   # untimed: output/ and the OS file cache
        for command in ("check", "build"):
            for cold in (True, False):
                ours, base = [], []
                for _ in range(args.runs):
                    ours.append(seconds(ROOT, project, command, cold))
                    base.append(seconds(args.baseline, project, command, cold))
                mine, theirs = statistics.median(ours), statistics.median(base)
                rows.append(f"| {command} | {'cold' if cold else 'warm'} | {mine:.2f} s | {theirs:.2f} s | "
                            f"{mine - theirs:+.2f} s | {args.runs} |")
                print(rows[-1], flush=True)
    print(f"\n{time.strftime('%Y-%m-%d')}, {machine()}, load {os.getloadavg()[0]:.1f}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
