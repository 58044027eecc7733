#!/usr/bin/env python3
"""Time the edit loop: cold build, warm build after a one-paragraph edit, no-op build, and
`whitepaper watch` from a save to the new PDF.  Whole processes (imports and all), medians.

    python benchmarks/bench_iterate.py            # 7 runs each, prints a Markdown table

Runs on a private copy of the project (the repository's output/ is untouched).
The paragraph edit toggles one word of chapters/02-market.yaml, so every
warm build and every watch rebuild typesets a changed document.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, copy_project, machine  # noqa: E402

CHAPTER = "chapters/02-market.yaml"
WORDS = ("市场规模达到了", "市场规模已达到")


def command() -> list[str]:
    script = Path(sys.executable).parent / "whitepaper"   # the console script, not a pyenv shim
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pipeline.cli"]


def toggle_paragraph(project: Path) -> None:
    path = project / CHAPTER
    text = path.read_text(encoding="utf-8")
    old, new = WORDS if WORDS[0] in text else WORDS[::-1]
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def watch_times(project: Path, env: dict, runs: int) -> list[float]:
    """Save → new PDF (its file replaced), as seen from outside the watching process."""
    pdf = project / "output" / "whitepaper-2008.pdf"
    proc = subprocess.Popen(command() + ["watch"], cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    built = threading.Semaphore(0)

    def pump() -> None:
        for line in proc.stdout:
            if "  wrote " in line:
                built.release()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not built.acquire(timeout=120):
            raise SystemExit("watch did not build")
        times = []
        for _ in range(runs):
            time.sleep(0.3)
            before = pdf.stat().st_ino, pdf.stat().st_mtime_ns
            start = time.perf_counter()
            toggle_paragraph(project)
            while (pdf.stat().st_ino, pdf.stat().st_mtime_ns) == before:
                time.sleep(0.002)
            times.append(time.perf_counter() - start)
            built.acquire(timeout=60)
        return times
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    cmd = command()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        cold, warm, noop = [], [], []
        for _ in range(args.runs):
            shutil.rmtree(project / "output", ignore_errors=True)
            cold.append(timed(cmd + ["build"], project, env))
            toggle_paragraph(project)
            warm.append(timed(cmd + ["build"], project, env))
            noop.append(timed(cmd + ["build"], project, env))
        watch = watch_times(project, env, args.runs)
    rows = [("cold (no output/, no cache)", cold), ("warm: one paragraph changed", warm),
            ("no-op: nothing changed", noop), ("watch: save → new PDF", watch)]
    print(f"machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("| measure | median | min | max | runs |")
    print("|---|---|---|---|---|")
    for name, values in rows:
        print(f"| {name} | **{statistics.median(values):.2f} s** | {min(values):.2f} s | {max(values):.2f} s | "
              f"{len(values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
