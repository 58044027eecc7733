#!/usr/bin/env python3
"""Our Chinese paragraph setter vs ReportLab's own ``wordWrap='CJK'``, same text, same measure.

    python benchmarks/bench_linebreak.py [--runs 5] [--record]

Sets the whitepaper's body text (tests/fixtures/source_paragraphs.txt) once and
repeated 100 times into a PDF of the body measure (43 characters at 10.5 pt),
with each engine; median wall time of several runs in this process (fonts
registered beforehand, so both pay only for setting and writing).
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.load import FONT_FILES  # noqa: E402
from pipeline.model import TextRun  # noqa: E402
from pipeline.typeset import BODY_SIZE, CHARS_PER_LINE, register_fonts, typeset_samples  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    fonts = {role: ROOT / "fonts" / name for role, name in FONT_FILES.items()}
    register_fonts(fonts)
    text = (ROOT / "tests" / "fixtures" / "source_paragraphs.txt").read_text(encoding="utf-8")
    paragraphs = [(TextRun(line),) for line in text.splitlines() if line.strip()]
    width = CHARS_PER_LINE * BODY_SIZE
    rows = []
    for repeat, runs in ((1, args.runs), (100, max(3, args.runs // 2))):
        times = {}
        for engine in ("reportlab", "whitepaper"):
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                typeset_samples(paragraphs * repeat, width, fonts, io.BytesIO(), engine=engine)
                samples.append(time.perf_counter() - start)
            times[engine] = statistics.median(samples)
        ratio = times["whitepaper"] / times["reportlab"]
        rows.append(f"| {time.strftime('%Y-%m-%d')} | body text ×{repeat} ({sum(len(p[0].text) for p in paragraphs) * repeat} chars) "
                    f"| {times['reportlab']:.3f} s | {times['whitepaper']:.3f} s | {ratio:.2f}× | {runs} | "
                    f"{os.cpu_count()} cores, Python {platform.python_version()} |")
    print("| date | text | ReportLab CJK | ours | ratio | runs | machine |")
    print("\n".join(rows))
    if args.record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
