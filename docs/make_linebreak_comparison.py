#!/usr/bin/env python3
"""Render docs/linebreak-before-after.png: the same paragraphs set by ReportLab's
``wordWrap='CJK'`` (before) and by our line breaker (after), side by side.

    python docs/make_linebreak_comparison.py      # needs pdftoppm (poppler-utils)
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.load import FONT_FILES  # noqa: E402
from pipeline.model import TextRun  # noqa: E402
from pipeline.typeset import BODY_SIZE, typeset_samples  # noqa: E402


def main() -> None:
    fonts = {role: ROOT / "fonts" / name for role, name in FONT_FILES.items()}
    lines = (ROOT / "tests" / "fixtures" / "source_paragraphs.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = [(TextRun(t),) for t in lines[:6] if t.strip()]
    images = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("reportlab", "whitepaper"):
            pdf = Path(tmp) / f"{engine}.pdf"
            with open(pdf, "wb") as f:
                typeset_samples(paragraphs, 18 * BODY_SIZE, fonts, f, engine=engine, page_height=520)
            subprocess.run(["pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", str(pdf), str(Path(tmp) / engine)],
                           check=True)
            images.append(Image.open(next(Path(tmp).glob(f"{engine}*.png"))).convert("RGB"))
    w, h = images[0].size
    label_h = 44
    out = Image.new("RGB", (2 * w + 20, h + label_h), "white")
    draw = ImageDraw.Draw(out)
    font = ImageFont.truetype(str(fonts["sans-bold"]), 20)
    for i, (img, label) in enumerate(zip(images, ("ReportLab wordWrap='CJK'（之前）", "whitepaper 的中文断行（之后）"))):
        out.paste(img, (i * (w + 20), label_h))
        draw.text((i * (w + 20) + 36, 10), label, fill="#1f4e79", font=font)
    draw.line([(w + 10, 0), (w + 10, h + label_h)], fill="#cccccc", width=2)
    out.save(ROOT / "docs" / "linebreak-before-after.png")


if __name__ == "__main__":
    main()
