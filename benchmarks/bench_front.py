#!/usr/bin/env python3
"""Where a warm build's CPU time goes, stage by stage (issue 11: the front of the pipeline).

    python benchmarks/bench_front.py                         # 7 fresh processes, medians
    python benchmarks/bench_front.py --baseline /path/to/older/checkout   # timed alternately with it

Each run is a fresh process that does what ``whitepaper build`` does after a one-word edit of
chapters/02-market.yaml (charts cached): imports, the up-to-date check, load, validate, resolve,
the glyph check, typesetting and writing, and the records. Each stage's CPU time
(``time.process_time``) is printed as a median: CPU time is far less disturbed than wall time by
other work on a shared machine. The interpreter's own start-up is not included.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, copy_project, machine  # noqa: E402
from bench_iterate import copy_tree_project, toggle_paragraph  # noqa: E402

STAGES = r'''
import json, time
clock, laps, t0 = time.process_time, {}, time.process_time()
def lap(name):
    global t0
    now = clock(); laps[name] = laps.get(name, 0.0) + now - t0; t0 = now
import click; lap("import click")
import pipeline.model; lap("import pipeline.model (dataclasses)")
import pipeline.files, pipeline.freshness, pipeline.manifest; lap("import files, freshness, manifest")
import yaml, pipeline.load; lap("import yaml, pipeline.load")
import pipeline.validate; lap("import pipeline.validate")
import jinja2, pipeline.resolve; lap("import jinja2, pipeline.resolve")
import pipeline.build as b, pipeline.cli; lap("import pipeline.build, pipeline.cli")
from pipeline.load import load_project
from pipeline.resolve import resolve_document
from pipeline.validate import glyph_problems, validate_project
from pathlib import Path
options = b.Options(project=Path("."))
root, cache = Path(".").resolve(), b.cache_dir(options)
b.freshness.up_to_date(root, cache, None, None, None); lap("up-to-date check")
project = load_project(options.project); lap("load_project")
assert not validate_project(project); lap("validate_project")
ed = project.edition.data
import inspect
cached = {"cache_dir": cache} if "cache_dir" in inspect.signature(resolve_document).parameters else {}   # as build does
document = resolve_document(project, b.document_epoch(ed["year"], ed.get("month")), **cached); lap("resolve_document")
import pipeline.typeset; lap("import pipeline.typeset (ReportLab)")
coverage = pipeline.typeset.font_coverage(project.fonts, cache); lap("font_coverage (fonts from the cache)")
assert not glyph_problems(document, coverage, project.root); lap("glyph_problems")
import pipeline.charts; lap("import pipeline.charts")
result = b.render_pdf(project, document, b.default_target(project.root, *b.edition_parts(project), "bench.pdf"), options)
lap("render_pdf (layout, charts from the cache, writing)")
b.manifest.record(b.output_dir(project.root), [result])
b.freshness.record(root, cache, None, None, result.pdf, result.pages, result.sha256, b.manifest.input_files(project))
lap("manifest and freshness records")
print(json.dumps(laps))
'''


def stage_times(tree: Path, project: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # users have .pyc files
    toggle_paragraph(project)
    out = subprocess.run([sys.executable, "-c", STAGES], cwd=project, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another checkout (code and project) to time alternately")
    args = parser.parse_args()
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    results: dict[str, list[dict]] = {name: [] for name, _ in trees}
    with tempfile.TemporaryDirectory() as tmp:
        projects = {"this tree": copy_project(Path(tmp) / "ours")}
        if args.baseline:
            projects["baseline"] = copy_tree_project(args.baseline, Path(tmp) / "baseline")
        for name, tree in trees:   # a first build fills the caches (charts, drawings, fonts, tables)
            env = {**os.environ, "PYTHONPATH": str(tree)}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=projects[name], env=env,
                           check=True, stdout=subprocess.DEVNULL)
        for _ in range(args.runs):   # alternately, so both see the same machine load
            for name, tree in trees:
                results[name].append(stage_times(tree, projects[name]))
        for project in projects.values():
            shutil.rmtree(project / "output", ignore_errors=True)
    print(f"machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    names = [name for name, _ in trees]
    print("| stage (CPU ms, median) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    stages = list(results["this tree"][0])
    for stage in stages + ["total (after interpreter start-up)"]:
        cells = []
        for name in names:
            runs = results[name]
            values = [sum(r.values()) if stage.startswith("total") else r.get(stage, 0.0) for r in runs]
            cells.append(f"{1000 * statistics.median(values):.1f}")
        print(f"| {stage} | " + " | ".join(cells) + " |")
    print(f"({args.runs} runs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
