#!/usr/bin/env python3
"""Where a cold full-edition build spends its time, stage by stage (wall clock, no profiler).

    python benchmarks/profile_cold.py --runs 5
    python benchmarks/profile_cold.py --runs 5 --cpu    # CPU seconds per stage instead of wall

Each run is a fresh process that does the work of ``whitepaper build`` on a
private copy of the project with no cache, one stage after another so each can
be timed (a real build draws the charts in a worker process while it lays out
the document, so its wall time is less than this sum); medians over the runs.  For detail inside a
stage: ``python -X importtime -m pipeline.cli build`` and
``python -m cProfile -s cumulative -m pipeline.cli build`` (both with
``output/.cache`` deleted first).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# --cpu: this process's CPU time instead of wall time (steadier on a shared machine; counted from
# the interpreter's start, so start-up is included in the first stage)
CLOCK = time.process_time if "--cpu" in sys.argv else time.perf_counter
START = 0.0 if "--cpu" in sys.argv else CLOCK()
ROOT = Path(__file__).resolve().parents[1]


def one_run(project: Path) -> dict[str, float]:
    """The stages of one cold build, in this process (run by the parent in a fresh interpreter)."""
    marks: dict[str, float] = {}
    last = START

    def mark(name: str) -> None:
        nonlocal last
        now = CLOCK()
        marks[name] = now - last
        last = now

    sys.path.insert(0, str(ROOT))
    import pipeline.cli  # noqa: F401  (what the command imports before it runs)
    from pipeline import build as b
    from pipeline.load import load_project
    from pipeline.resolve import resolve_document
    from pipeline.validate import glyph_problems, validate_project
    mark("import pipeline.cli (click, jinja2, jsonschema, yaml)")
    options = b.Options(project=project)
    project_data = load_project(project)
    mark("load: YAML chapters + CSV tables")
    problems = validate_project(project_data)
    assert not problems, problems
    mark("validate (schemas, references, rules)")
    ed = project_data.edition.data
    document = resolve_document(project_data, b.document_epoch(ed["year"], ed.get("month")))
    mark("resolve (templates)")
    from pipeline.typeset import font_coverage
    coverage = font_coverage(project_data.fonts)
    mark("ReportLab: import + parse the four TTF fonts")
    assert not glyph_problems(document, coverage, project_data.root)
    mark("glyph check")
    from pipeline import charts
    charts.preload(project_data.fonts["sans"], project_data.fonts["sans-bold"])
    mark("import matplotlib")
    figures = document.figures()
    images, drawn = charts.render_charts([f.chart for f in figures], project_data.fonts["sans"],
                                         project_data.fonts["sans-bold"], b.cache_dir(options) / "charts")
    assert drawn == len(figures)
    mark(f"draw {drawn} charts (JSON drawings)")
    from pipeline.typeset import typeset_document
    from pipeline.typeset.figures import chart_drawing
    for image in images:
        chart_drawing(image)   # kept in memory for typeset_document below, as a build does
    mark("turn the chart drawings into ReportLab shapes")
    target = project / "output" / "profile.pdf"
    with open(target, "wb") as out:
        typeset_document(document, {f.id: img for f, img in zip(figures, images)}, project_data.fonts, out,
                         b.cache_dir(options))
    mark("typeset: lay out and write the PDF")
    from pipeline import manifest
    manifest.inputs_hash(project_data, None, document.epoch, b.cache_dir(options) / "fonts")
    mark("manifest inputs hash (font digests, cold)")
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", action="store_true", help="CPU seconds of the process per stage, not wall time")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child)))
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_build import copy_project, machine

    runs: list[dict[str, float]] = []
    walls: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        for i in range(args.runs + 1):   # the first run warms the OS file cache; not counted
            import shutil
            shutil.rmtree(project / "output", ignore_errors=True)
            (project / "output").mkdir()
            start = time.perf_counter()
            env = {**os.environ}
            env.pop("PYTHONDONTWRITEBYTECODE", None)   # an installed package has its .pyc files
            out = subprocess.run([sys.executable, __file__, "--child", str(project)] + ["--cpu"] * args.cpu,
                                 check=True, capture_output=True, text=True, env=env).stdout
            if i:
                walls.append(time.perf_counter() - start)
                runs.append(json.loads(out))
    print(f"{machine()}; medians of {args.runs} fresh processes" + ("; CPU time" if args.cpu else "; wall time"))
    print("| stage | median |")
    print("|---|---|")
    for name in runs[0]:
        print(f"| {name} | {statistics.median(r[name] for r in runs) * 1000:.0f} ms |")
    if not args.cpu:
        rest = statistics.median(w - sum(r.values()) for w, r in zip(walls, runs))
        print(f"| interpreter start-up and exit (the rest) | {rest * 1000:.0f} ms |")
    print(f"| **whole process (wall)** | **{statistics.median(walls) * 1000:.0f} ms** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
