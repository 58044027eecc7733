"""A face restored from the font cache is the face ReportLab parses, and the PDF does not depend on it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFontFace

from conftest import ROOT, copy_project
from pipeline.typeset import fontcache

FONTS = sorted((ROOT / "fonts").glob("*.ttf"))


@pytest.mark.parametrize("path", FONTS, ids=[p.name for p in FONTS])
def test_a_restored_face_equals_the_parsed_one(path):
    parsed = TTFontFace(str(path))
    data = fontcache.dumps(parsed)
    assert data is not None
    restored = fontcache.CachedFace(str(path), fontcache.loads(data))
    # what only subsetting (and shaping) needs is read from the file on first use
    assert restored._ttf_data[:] == parsed._ttf_data   # the file, mapped into memory rather than read
    for name in ("table", "tables", "glyphToChar"):
        assert getattr(restored, name) == getattr(parsed, name), name
    for name in ("hmetrics", "glyphPos"):    # read per glyph from the file: the same items as ReportLab's lists
        assert len(getattr(restored, name)) == len(getattr(parsed, name)), name
        assert list(getattr(restored, name)) == getattr(parsed, name), name
    # _pos: the reader's position (every read seeks first); _ttf_data, hmetrics, glyphPos: compared above;
    # _loaded: which version of the file the metrics came from; _made: the subsets made so far
    ignore = {"_pdfScale", "_source", "_pos", "_ttf_data", "hmetrics", "glyphPos", "_loaded", "_made"}
    assert ({k: v for k, v in restored.__dict__.items() if k not in ignore}
            == {k: v for k, v in parsed.__dict__.items() if k not in ignore})
    assert [restored._pdfScale(x) for x in (0, 1, 997, 2048)] == [parsed._pdfScale(x) for x in (0, 1, 997, 2048)]
    assert restored.name.ustr == parsed.name.ustr
    text = "中国软件与信息服务外包，ITO（59.5%）"
    subset = [0] + sorted({ord(c) for c in text})
    assert restored.makeSubset(subset) == parsed.makeSubset(subset)


def _other_faces() -> list[Path]:
    """TrueType faces every install has: matplotlib's (DejaVu at 2048 units per em, STIX at 1000,
    Computer Modern): other character maps and scales than our Noto subsets."""
    import matplotlib

    return sorted(Path(matplotlib.get_data_path(), "fonts", "ttf").glob("*.ttf"))


@pytest.mark.parametrize("path", FONTS + _other_faces(), ids=lambda p: p.name)
def test_the_bulk_parse_equals_reportlabs(path):
    """fontparse reads the character map and widths in bulk: every kept attribute, and the order
    of the two big dictionaries, as ReportLab's own parse gives them."""
    from pipeline.typeset.fontparse import parse_face

    parsed = TTFontFace(str(path))
    bulk = parse_face(str(path))
    assert bulk is not None
    kept = set(parsed.__dict__) - fontcache._FROM_FILE - fontcache._ON_DEMAND - fontcache._DERIVED
    assert kept >= {"charToGlyph", "charWidths", "defaultWidth", "name", "ascent", "descent", "bbox"}
    for name in sorted(kept):
        assert bulk.__dict__[name] == parsed.__dict__[name], name
    assert list(bulk.charToGlyph.items()) == list(parsed.charToGlyph.items())
    assert list(bulk.charWidths.items()) == list(parsed.charWidths.items())
    restored = fontcache.CachedFace(str(path), fontcache.loads(fontcache.dumps(bulk)))
    text = "中国软件与信息服务外包，ITO（59.5%）"
    subset = [0] + sorted({ord(c) for c in text if ord(c) in parsed.charToGlyph})
    assert restored.makeSubset(subset) == parsed.makeSubset(subset)


def test_a_face_entry_outside_the_format_is_refused():
    good = fontcache.dumps(TTFontFace(str(FONTS[0])))
    header, packed = good.split(b"\n", 1)
    assert fontcache.loads(good)["numGlyphs"] > 1000
    for bad in (b"[]", b"[]\n", b'{"format": 2, "face": {"name": {"pickle": "x"}}}',
                b'{"format": 3, "face": {"name": {"pickle": "x"}}, "arrays": []}\n',
                b'{"format": 3, "face": {"charToGlyph": {"intmap": [0, 1]}}, "arrays": [["H", 2]]}\n\0\0\0\0',
                b'{"format": 3, "face": {"charToGlyph": {"intmap": [0, 1]}}, "arrays": [["H", 2], ["H", 1]]}\n'
                b'\0\0\0\0\0\0',                                       # two keys, one value
                b'{"format": 3, "face": {"charToGlyph": {"intmap": [0, 0]}}, "arrays": [["d", 1]]}\n' + bytes(8),
                b'{"format": 3, "face": {}, "arrays": [["b", 1]]}\n\0',   # a code outside the format
                # widths of one common value but for a key the map does not have, or a common value not a number
                b'{"format": 3, "face": {"charWidths": {"intmap": [0, 1000, 1, 0]}}, "arrays": [["H", 1], ["H", 1]]}'
                b'\n\1\0\2\0',
                b'{"format": 3, "face": {"charWidths": {"intmap": [0, "x", 1, 1]}}, "arrays": [["H", 1], ["H", 0]]}'
                b'\n\1\0',
                header.replace(b'"format":3', b'"format":2') + b"\n" + packed,
                header + b"\n" + packed[:-2],                               # cut short
                header + b"\n" + packed + b"\0\0",                          # longer than the header says
                header + packed,                                             # no header line
                header.replace(b'"unitsPerEm":1000', b'"unitsPerEm":-1') + b"\n" + packed):
        with pytest.raises(ValueError):
            fontcache.loads(bad)


def _build(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--force", "--project", str(project)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_pdf_is_the_same_with_and_without_the_font_cache(tmp_path):
    root = copy_project(tmp_path / "project")
    pdf = root / "output" / "2008" / "whitepaper-2008.pdf"
    assert _build(root).returncode == 0
    faces = sorted((root / "output" / ".cache" / "fonts").glob("face-*.face"))
    assert len(faces) == len(FONTS)
    first = pdf.read_bytes()
    assert _build(root).returncode == 0        # every face restored from the cache
    assert pdf.read_bytes() == first
    for face in faces:                          # a damaged entry is parsed again, not believed
        entry = face.read_bytes()
        assert b'"unitsPerEm":1000' in entry
        face.write_bytes(entry.replace(b'"unitsPerEm":1000', b'"unitsPerEm":2000'))
    result = _build(root)
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes() == first
