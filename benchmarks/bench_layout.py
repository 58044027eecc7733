#!/usr/bin/env python3
"""Time the typesetting stage (layout and writing) of warm builds, this tree against a baseline checkout.

    python benchmarks/bench_layout.py --baseline OLD --runs 7               # the shipped edition
    python benchmarks/bench_layout.py --baseline OLD --runs 3 --scaled 82   # and a 500-page scaled edition

OLD is another checkout (or ``git archive``) with its own pipeline/, chapters/ and data/.
Each run is a fresh ``build --force`` process with the charts in the cache (a warm build);
for the shipped edition one word of a paragraph changes before each run, as in
bench_iterate.py.  The two trees run alternately, round by round, so both see the same
machine load.  Reported per tree (medians): the whole process's wall and CPU time
(user + system), its peak RSS, the CPU and wall time of ``typeset_document`` (the
stage: layout, drawing the cached charts into the PDF, subsetting the fonts, writing
to memory) and the CPU time of importing ``pipeline.typeset`` (ReportLab with it).
CPU times are far less disturbed by other load on a shared machine than wall times.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, machine  # noqa: E402
from bench_iterate import copy_tree_project, toggle_paragraph  # noqa: E402

# Runs in the build process: times the import of the typesetting stage and each call of its entry
# point (build.py imports it from the package when it typesets), then runs the CLI as usual.
DRIVER = r"""
import json, os, sys, time
import pipeline.build
t = time.process_time()
import pipeline.typeset as typeset
import_cpu = time.process_time() - t
stage = {"cpu": 0.0, "wall": 0.0}
inner = typeset.typeset_document
def timed(*args, **kwargs):
    c, w = time.process_time(), time.perf_counter()
    try:
        return inner(*args, **kwargs)
    finally:
        stage["cpu"] += time.process_time() - c
        stage["wall"] += time.perf_counter() - w
typeset.typeset_document = timed
from pipeline.cli import main
sys.argv = ["whitepaper", "build", "--force"]
try:
    main()
finally:
    with open(os.environ["BENCH_LAYOUT_OUT"], "w") as f:
        json.dump({"import_cpu": import_cpu, "stage_cpu": stage["cpu"], "stage_wall": stage["wall"]}, f)
"""


def one_build(tree: Path, project: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "BENCH_LAYOUT_OUT": str(out)}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)    # users have .pyc files
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter();"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss)")
    wall, cpu, rss = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-c", DRIVER], cwd=project,
                                    env=env, check=True, capture_output=True, text=True).stdout.split()
    result = json.loads(out.read_text())
    result.update(wall=float(wall), cpu=float(cpu), rss_mib=int(rss) / 1024)
    return result


def scaled(tree: Path, factor: int, dest: Path) -> Path:
    """The scaled project (benchmarks/scaled_project.py), built once cold so that its charts are cached."""
    from scaled_project import make_scaled_project

    project = make_scaled_project(factor, dest)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout to time alternately")
    parser.add_argument("--scaled", type=int, metavar="FACTOR", help="a scaled edition instead of the shipped one")
    args = parser.parse_args()
    trees = {"this tree": ROOT, "baseline": args.baseline.resolve()}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        projects = {}
        for name, tree in trees.items():
            dest = tmp / name.replace(" ", "-")
            if args.scaled:
                projects[name] = scaled(tree, args.scaled, dest)
            else:
                projects[name] = copy_tree_project(tree, dest)
                shutil.copytree(tree / "editions", dest / "editions", dirs_exist_ok=True)
                one_build(tree, dest, tmp / "warm-up.json")   # charts into the cache, .pyc files written
        for _ in range(args.runs):
            for name, tree in trees.items():
                if not args.scaled:
                    toggle_paragraph(projects[name])
                results[name].append(one_build(tree, projects[name], tmp / "result.json"))
    what = f"scaled edition ×{args.scaled}" if args.scaled else "shipped edition, one paragraph changed"
    print(f"{what}; machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("| tree | process wall | process CPU | typeset_document CPU | its wall | import pipeline.typeset CPU "
          "| peak RSS | runs |")
    print("|---|---|---|---|---|---|---|---|")
    med = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in results.items()}
    for name, m in med.items():
        print(f"| {name} | {m['wall']:.2f} s | {m['cpu']:.2f} s | **{m['stage_cpu']:.3f} s** | {m['stage_wall']:.3f} s "
              f"| {1000 * m['import_cpu']:.0f} ms | {max(r['rss_mib'] for r in results[name]):.0f} MiB "
              f"| {len(results[name])} |")
    ours, base = med["this tree"], med["baseline"]
    print(f"| this / baseline | {ours['wall'] / base['wall']:.2f} | {ours['cpu'] / base['cpu']:.2f} "
          f"| {ours['stage_cpu'] / base['stage_cpu']:.2f} | {ours['stage_wall'] / base['stage_wall']:.2f} "
          f"| {ours['import_cpu'] / base['import_cpu']:.2f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
