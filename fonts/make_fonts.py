#!/usr/bin/env python3
"""Make the TrueType fonts in fonts/ from Debian's Noto CJK collections.

ReportLab embeds only TrueType (glyf) outlines; Noto Serif/Sans CJK ship as
CFF collections (`.ttc`, Simplified Chinese is face 2).  This script subsets
each face to the GBK repertoire (plus ASCII and the typographic marks of
GB/T 15834) and redraws its cubic CFF outlines as TrueType quadratics.

    apt-get install fonts-noto-cjk      # the source collections
    python fonts/make_fonts.py          # rewrites fonts/*.ttf (about 3 min a face)
    python fonts/make_fonts.py --add-minus   # only adds U+2212 to fonts made without it

The output is committed, so building the whitepaper never needs this script.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SC_FACE_INDEX = 2  # JP, KR, SC, TC, HK in each collection

# (output file, source collection)
FACES = [
    ("NotoSerifSC-Regular.ttf", "NotoSerifCJK-Regular.ttc"),
    ("NotoSerifSC-Bold.ttf", "NotoSerifCJK-Bold.ttc"),
    ("NotoSansSC-Regular.ttf", "NotoSansCJK-Regular.ttc"),
    ("NotoSansSC-Bold.ttf", "NotoSansCJK-Bold.ttc"),
]

# Marks named by the typesetting rules (clreq / GB/T 15834) that GBK lacks
# or that we want whatever GBK says.
EXTRA_CHARS = "‼⁇⸺⋯‧・–—…·“”‘’「」『』〔〕〖〗【】《》〈〉（）［］｛｝、，。．：；！？～／％‰℃¥￥＄£€•●○■□▲△◆◇※→←↑↓−"


def gbk_repertoire() -> set[int]:
    """Every code point that GBK can encode, plus printable ASCII."""
    codepoints = set(range(0x20, 0x7F))
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                ch = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
            codepoints.add(ord(ch))
    codepoints.update(ord(c) for c in EXTRA_CHARS)
    codepoints.add(0x3000)  # ideographic space
    return codepoints


def _to_quadratic(font: TTFont, max_err: float = 1.0) -> None:
    """Replace the CFF table with glyf/loca (after fontTools' otf2ttf snippet)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    quad = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        quad[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = quad
    del font["CFF "]
    for tag in ("VORG",):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in quad.items():
        advance, _ = hmtx[name]
        hmtx[name] = (advance, getattr(g, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(glyph_order)
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    maxp.maxComponentElements = max(
        (len(g.components) for g in quad.values() if hasattr(g, "components")), default=0)
    maxp.maxComponentDepth = 1 if maxp.maxComponentElements else 0
    maxp.maxPoints = maxp.maxContours = 0
    maxp.maxCompositePoints = maxp.maxCompositeContours = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and ReportLab does not need them
    font.sfntVersion = "\x00\x01\x00\x00"
    font["head"].glyphDataFormat = 0


def make_face(out_name: str, source_name: str, out_dir: Path) -> str:
    start = time.monotonic()
    font = TTFont(SOURCE_DIR / source_name, fontNumber=SC_FACE_INDEX)
    options = subset.Options()
    options.layout_features = []          # ReportLab does no shaping
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=gbk_repertoire())
    subsetter.subset(font)
    _to_quadratic(font)
    out = out_dir / out_name
    font.save(out)
    return f"{out_name}: {font['maxp'].numGlyphs} glyphs, {out.stat().st_size / 1e6:.1f} MB, {time.monotonic() - start:.0f} s"


def add_minus_sign(path: Path) -> str:
    """Give a font made before U+2212 joined EXTRA_CHARS its minus sign (negative numbers print
    with it): the horizontal bar of its '+', as wide and as high, which is how Noto draws '−'."""
    font = TTFont(path)
    cmap = font.getBestCmap()
    if 0x2212 in cmap:
        return f"{path.name}: has U+2212 already"
    plus = font["glyf"][cmap[0x2B]]
    points = list(plus.getCoordinates(font["glyf"])[0])
    x_min, x_max = min(x for x, _ in points), max(x for x, _ in points)
    bar = sorted({y for x, y in points if x == x_min})
    low, high = bar[0], bar[-1]
    pen = TTGlyphPen(None)
    pen.moveTo((x_min, low))
    pen.lineTo((x_min, high))
    pen.lineTo((x_max, high))
    pen.lineTo((x_max, low))
    pen.closePath()
    name = "uni2212"
    order = font.getGlyphOrder() + [name]
    font.setGlyphOrder(order)
    font["glyf"].glyphOrder = order
    font["glyf"][name] = pen.glyph()
    font["glyf"][name].recalcBounds(font["glyf"])
    font["hmtx"][name] = (font["hmtx"][cmap[0x2B]][0], x_min)
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap[0x2212] = name
    font["maxp"].numGlyphs = len(font.getGlyphOrder())
    font.save(path)
    return f"{path.name}: U+2212 added ({x_min}..{x_max} × {low}..{high})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--add-minus", action="store_true",
                        help="only add U+2212 (the minus sign) to the fonts in --out, drawn from their '+'")
    args = parser.parse_args(argv)
    if args.add_minus:
        for out_name, _ in FACES:
            print(add_minus_sign(args.out / out_name), flush=True)
        return 0
    if not SOURCE_DIR.is_dir():
        print(f"{SOURCE_DIR} not found: apt-get install fonts-noto-cjk", file=sys.stderr)
        return 1
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(make_face, o, s, args.out) for o, s in FACES]
        for f in futures:
            print(f.result(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
