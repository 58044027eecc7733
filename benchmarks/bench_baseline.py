#!/usr/bin/env python3
"""Our cold build against the matplotlib + Typst peer pipeline, run alternately in one session.

    pip install -e '.[bench]'
    python benchmarks/bench_baseline.py --runs 9
    python benchmarks/bench_baseline.py --runs 9 --before /path/to/older/checkout   # also time another tree

Each round times, as whole fresh processes and in a rotating order:
- ours, cold: ``python -m pipeline.cli build`` with ``output/.cache`` deleted first
  (every chart drawn, nothing cached) except ``output/.cache/matplotlib``,
  matplotlib's own list of the machine's fonts, which the peer's matplotlib
  keeps too (in ``~/.cache/matplotlib``); with ``--fresh-matplotlib`` both lose
  it every round (a first build on a new machine: +0.2 s each). Then ours again:
  the same build with nothing changed (a no-op rebuild; ``bench_iterate.py``
  times edits);
- the peer: ``benchmarks/typst_peer.py run`` (matplotlib draws the same six charts
  to SVG, Typst sets the same resolved text with the same fonts; see that file);
- with ``--before DIR``: the cold build of the source tree in DIR (e.g. ``main``).
Every process runs with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is
removed from the environment: an installed package has its ``.pyc`` files).
Prints medians, the ratio of medians (ours cold / peer) and the median of each
round's ratio (steadier when the machine's load drifts). Each variant works
on its own copy of the project, so the repository's output/ is untouched.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import copy_project, machine  # noqa: E402


CPU: dict[str, list[float]] = {}   # user + system seconds of each timed process, by variant


def timed(cmd: list[str], cwd: Path, pythonpath: Path, name: str, mplconfig: Path | None = None) -> float:
    """Wall time of one process; its CPU time goes to CPU[name] (steadier on a busy machine)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if mplconfig is not None:
        env["MPLCONFIGDIR"] = str(mplconfig)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(name, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", type=Path, help="also time the cold build of this source tree (e.g. a main checkout)")
    parser.add_argument("--fresh-matplotlib", action="store_true",
                        help="cold includes matplotlib's font list, for ours and the peer alike")
    args = parser.parse_args()
    try:
        import typst  # noqa: F401
    except ImportError:
        sys.exit("the peer needs the typst package: pip install -e '.[bench]'")
    py = sys.executable
    peer_script = str(ROOT / "benchmarks" / "typst_peer.py")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ours = copy_project(tmp / "ours")
        peer = tmp / "peer"
        subprocess.run([py, peer_script, "prepare", "--project", str(ours), "--out", str(peer)], check=True)

        times: dict[str, list[float]] = {"ours cold": [], "ours again": [], "peer": []}

        def clear_cache(project: Path) -> None:
            cache = project / "output" / ".cache"
            for entry in cache.iterdir() if cache.is_dir() else ():
                if entry.name != "matplotlib" or args.fresh_matplotlib:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

        def ours_round() -> None:
            clear_cache(ours)
            times["ours cold"].append(timed([py, "-m", "pipeline.cli", "build"], ours, ROOT, "ours cold"))
            times["ours again"].append(timed([py, "-m", "pipeline.cli", "build"], ours, ROOT, "ours again"))

        def peer_round() -> None:
            mplconfig = None
            if args.fresh_matplotlib:
                mplconfig = tmp / "peer-matplotlib"
                shutil.rmtree(mplconfig, ignore_errors=True)
            times["peer"].append(timed([py, peer_script, "run", str(peer)], tmp, ROOT, "peer", mplconfig))

        rounds = [ours_round, peer_round]
        if args.before:
            before = copy_project(tmp / "before", args.before.resolve())
            times["before cold"] = []

            def before_round() -> None:
                clear_cache(before)
                times["before cold"].append(timed([py, "-m", "pipeline.cli", "build"], before, args.before.resolve(),
                                                  "before cold"))

            rounds.append(before_round)
        load = os.getloadavg()[0]   # before the runs; also printed after them
        for i in range(args.runs + 1):          # round 0 warms the OS file cache and is not counted
            for step in rounds[i % len(rounds):] + rounds[:i % len(rounds)]:
                step()
            if i == 0:
                for values in (*times.values(), *CPU.values()):
                    values.clear()
        pages = subprocess.run(["pdfinfo", str(peer / "peer.pdf")], capture_output=True, text=True, check=False).stdout
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{time.strftime('%Y-%m-%d %H:%M')} — {machine()} — load {load:.2f} → {os.getloadavg()[0]:.2f}"
          f" — {args.runs} runs each" + (" — matplotlib's font list rebuilt every run" if args.fresh_matplotlib else ""))
    print("| process | median | min | max | CPU time (median) |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {median[name]:.2f} s | {min(values):.2f} s | {max(values):.2f} s | "
              f"{statistics.median(CPU[name]):.2f} s |")
    for name in ("ours cold", "before cold"):
        if name in times:
            paired = statistics.median(a / b for a, b in zip(times[name], times["peer"]))
            cpu = statistics.median(CPU[name]) / statistics.median(CPU["peer"])
            print(f"{name} / peer: {median[name] / median['peer']:.2f} × (ratio of medians); "
                  f"{paired:.2f} × (median of the rounds' ratios); {cpu:.2f} × in CPU time")
    print("peer PDF:", " ".join(line for line in pages.splitlines() if line.startswith("Pages")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
