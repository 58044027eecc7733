#!/usr/bin/env python3
"""Time the edit loop: cold build, warm build after a one-paragraph edit, no-op build, and
`whitepaper watch` from a save to the new PDF.  Whole processes (imports and all), medians.

    python benchmarks/bench_iterate.py            # 7 runs each, prints a Markdown table
    python benchmarks/bench_iterate.py --baseline /path/to/older/checkout   # timed alternately with it

Runs on a private copy of the project (the repository's output/ is untouched).
The paragraph edit toggles one word of chapters/02-market.yaml, so every
warm build and every watch rebuild typesets a changed document.
"""
from __future__ import annotations

import argparse
import os
import resource
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
    # python -m: the same interpreter start-up as the console script, for this tree and a baseline alike
    return [sys.executable, "-m", "pipeline.cli"]


def copy_tree_project(tree: Path, dest: Path) -> Path:
    for name in ("chapters", "data", "editions"):
        if (tree / name).is_dir():   # a project of several editions keeps its edition files there
            shutil.copytree(tree / name, dest / name)
    (dest / "fonts").symlink_to(tree / "fonts")
    return dest


def build_loop(tree: Path, project: Path, runs: int, edit: bool = True) -> tuple[list, list, list]:
    """cold, warm (one paragraph changed), no-op: ``runs`` of each, with ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("SOURCE_DATE_EPOCH", None)
    cold, warm, noop = [], [], []
    who = "ours" if tree == ROOT else "baseline"
    for _ in range(runs):
        shutil.rmtree(project / "output", ignore_errors=True)
        cold.append(timed(command() + ["build"], project, env, f"{who} cold"))
        toggle_paragraph(project)
        warm.append(timed(command() + ["build"], project, env, f"{who} warm"))
        noop.append(timed(command() + ["build"], project, env, f"{who} noop"))
    return cold, warm, noop


def toggle_paragraph(project: Path) -> None:
    path = project / CHAPTER
    text = path.read_text(encoding="utf-8")
    old, new = WORDS if WORDS[0] in text else WORDS[::-1]
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CPU: dict[str, list[float]] = {}   # CPU seconds (user + system) of each timed process, by label


def timed(cmd: list[str], cwd: Path, env: dict, label: str = "") -> float:
    """Wall time of one process; its CPU time goes to CPU[label] (less disturbed by a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(label, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def watch_times(project: Path, env: dict, runs: int) -> list[float]:
    """Save → new PDF (its file replaced), as seen from outside the watching process."""
    proc = subprocess.Popen(command() + ["watch"], cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    built = threading.Semaphore(0)
    written: list[Path] = []   # the PDF each rebuild replaced, as watch reports it

    def pump() -> None:
        for line in proc.stdout:
            if "  wrote " in line:
                written.append(project / line.split("  wrote ", 1)[1].split(" (", 1)[0].strip())
                built.release()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not built.acquire(timeout=120):
            raise SystemExit("watch did not build")
        times = []
        pdf = written[-1]
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
    parser.add_argument("--baseline", type=Path, help="another checkout (code and project) to time alternately")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    ours: dict[str, list] = {"cold": [], "warm": [], "noop": []}
    theirs: dict[str, list] = {"cold": [], "warm": [], "noop": []}
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        base_project = copy_tree_project(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        for _ in range(args.runs):   # alternately, one round each, so both see the same machine load
            if base_project is not None:
                for key, values in zip(theirs, build_loop(args.baseline, base_project, 1)):
                    theirs[key] += values
            for key, values in zip(ours, build_loop(ROOT, project, 1)):
                ours[key] += values
        watch = watch_times(project, env, args.runs)
    rows = [("cold (no output/, no cache)", "cold"), ("warm: one paragraph changed", "warm"),
            ("no-op: nothing changed", "noop")]
    print(f"machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("| measure | this tree: wall (median) | min–max | CPU (median) | baseline: wall | CPU | wall ratio "
          "| runs |")
    print("|---|---|---|---|---|---|---|---|")
    for name, key in rows:
        mine = statistics.median(ours[key])
        cpu = statistics.median(CPU[f"ours {key}"])
        base = f"{statistics.median(theirs[key]):.2f} s" if theirs[key] else "—"
        base_cpu = f"{statistics.median(CPU[f'baseline {key}']):.2f} s" if theirs[key] else "—"
        ratio = f"{mine / statistics.median(theirs[key]):.2f}" if theirs[key] else "—"
        print(f"| {name} | **{mine:.2f} s** | {min(ours[key]):.2f}–{max(ours[key]):.2f} s | {cpu:.2f} s | {base} "
              f"| {base_cpu} | {ratio} | {len(ours[key])} |")
    print(f"| watch: save → new PDF | **{statistics.median(watch):.2f} s** | {min(watch):.2f}–{max(watch):.2f} s "
          f"| — | — | — | — | {len(watch)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
