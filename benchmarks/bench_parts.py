#!/usr/bin/env python3
"""Time the parts the speed work changed, each against what it replaced, alternately in one session.

    python benchmarks/bench_parts.py --runs 7

- fonts: registering the four faces, ReportLab parsing them vs restored from the font cache
  (fresh processes: what every build pays);
- charts: the six charts from the chart stage onto a PDF page, svglib parsing matplotlib's SVG and
  ReportLab's renderPDF drawing the shapes vs our JSON drawing written as operators by
  pipeline/typeset/drawings.py (in one process);
- cold build: charts drawn by a worker started with the build (matplotlib imported there while
  the project loads; drawing while the document is laid out) vs drawn in the build's own
  process between resolving and layout, as before (whole processes, output/ deleted each time).
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

FONT_SNIPPET = """
import sys, time
from pathlib import Path
from pipeline.load import FONT_FILES
from pipeline.typeset.fonts import register_fonts
fonts = {{role: Path({fonts!r}) / name for role, name in FONT_FILES.items()}}
start = time.perf_counter()
register_fonts(fonts, {cache})
print(time.perf_counter() - start)
"""

# the chart stage's default (a worker) switched off: what a build did before
INLINE_BUILD = ("import pipeline.charts as charts, pipeline.charts.cache as c; "
                "c.start_charts.__defaults__ = (False,); charts.warm_up = lambda *a: None; "
                "from pipeline.cli import main; main()")


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def fonts(runs: int, tmp: Path) -> tuple[list[float], list[float]]:
    cache = tmp / "font-cache" / ".cache"
    parsed, cached = [], []
    run([sys.executable, "-c", FONT_SNIPPET.format(fonts=str(ROOT / "fonts"), cache=repr(str(cache)))])  # fill it
    for _ in range(runs):
        parsed.append(float(run([sys.executable, "-c", FONT_SNIPPET.format(fonts=str(ROOT / "fonts"),
                                                                            cache="None")]).stdout))
        cached.append(float(run([sys.executable, "-c", FONT_SNIPPET.format(fonts=str(ROOT / "fonts"),
                                                                            cache=repr(str(cache)))]).stdout))
    return parsed, cached


def charts(runs: int, project: Path) -> tuple[list[float], list[float]]:
    """The six charts onto PDF pages: svglib parsing matplotlib's SVG and renderPDF drawing it (before)
    vs our JSON drawing (pipeline/charts/vector.py) written by pipeline/typeset/drawings.py (after);
    in one process, fonts registered."""
    import io

    from reportlab.graphics import renderPDF
    from reportlab.pdfgen.canvas import Canvas

    sys.path.insert(0, str(ROOT))
    from pipeline.build import Options, check
    from pipeline.charts.cache import chart_size
    from pipeline.charts.draw import _draw, draw_svg
    from pipeline.typeset import drawings
    from pipeline.typeset.images import _parse_svg
    from pipeline.typeset.fonts import register_fonts
    from pipeline.typeset.styles import SANS, SANS_BOLD

    built, document = check(Options(project=project))
    register_fonts(built.fonts)
    fonts = (built.fonts["sans"], built.fonts["sans-bold"])
    specs = [f.chart for f in document.figures()]
    svgs = [draw_svg(spec, *fonts, chart_size(spec)) for spec in specs]
    data = [_draw(spec, *fonts, chart_size(spec)) for spec in specs]
    roles = {"sans": SANS, "sans-bold": SANS_BOLD}
    before, after = [], []
    for _ in range(runs):
        start = time.perf_counter()
        canvas = Canvas(io.BytesIO(), invariant=1)
        for svg in svgs:
            renderPDF.draw(_parse_svg(svg), canvas, 0, 0)
            canvas.showPage()
        before.append(time.perf_counter() - start)
        start = time.perf_counter()
        canvas = Canvas(io.BytesIO(), invariant=1)
        for d in data:
            drawings.loads(d, fonts=roles).draw(canvas)
            canvas.showPage()
        after.append(time.perf_counter() - start)
    return before, after


def cold(runs: int, project: Path) -> tuple[list[float], list[float]]:
    inline, worker = [], []
    for _ in range(runs):
        for times, args in ((inline, [sys.executable, "-c", INLINE_BUILD, "build"]),
                            (worker, [sys.executable, "-m", "pipeline.cli", "build"])):
            shutil.rmtree(project / "output", ignore_errors=True)
            start = time.perf_counter()
            run(args, cwd=project)
            times.append(time.perf_counter() - start)
    return inline, worker


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        rows = [("register the four faces", "ReportLab parses them", "from the font cache", *fonts(args.runs, Path(tmp)))]
        rows.append(("cold build (whole process)", "charts drawn first, inline", "drawn by a worker meanwhile",
                     *cold(args.runs, project)))
        rows.append(("the 6 charts onto PDF pages", "svglib + renderPDF", "our JSON drawing, our operators",
                     *charts(args.runs, project)))
    print(f"machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("| part | before | median | after | median | after / before | runs |")
    print("|---|---|---|---|---|---|---|")
    for name, what_before, what_after, before, after in rows:
        b, a = statistics.median(before), statistics.median(after)
        print(f"| {name} | {what_before} | {b:.3f} s | {what_after} | **{a:.3f} s** | {a / b:.2f} | {len(before)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
