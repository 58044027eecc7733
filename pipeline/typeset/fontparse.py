"""ReportLab's parse of a TrueType face, with its character map and widths read in bulk.

ReportLab's ``TTFontFile.extractInfo`` walks the character map and the
horizontal metrics two bytes at a time in Python: about 60 ms for each of our
GBK-size faces (30 000 characters), on every cold build.  Here ReportLab still
parses everything else (names, header, OS/2, post, hhea, maxp: its
``charInfo=0`` mode, a few hundred bytes), and the character map (formats 4
and 12) and the widths are read with ``struct`` in one call each, then turned
into exactly the dictionaries ReportLab builds — same keys, values and order
(tests/test_font_cache.py compares the two on every font we ship).  A face
this module does not cover (a collection, another cmap format, an odd table)
returns None, and the caller lets ReportLab parse it.
"""
from __future__ import annotations

import struct

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFontFace, TTFontFile


def parse_face(path: str) -> TTFontFace | None:
    """The face as ``TTFontFace(path)`` makes it, for every attribute the font cache keeps
    (``glyphToChar``, ``hmetrics`` and ``glyphPos`` are left for fontcache.py to read on demand)."""
    with open(path, "rb") as f:
        if f.read(4) == b"ttcf":   # a collection: ReportLab picks the face
            return None
    face = TTFontFace.__new__(TTFontFace)
    pdfmetrics.TypeFace.__init__(face, None)       # what TTFontFace.__init__ does, then:
    TTFontFile.__init__(face, path, charInfo=0)    # names and metrics, no character map (ReportLab's own code)
    if not {"cmap", "hmtx", "hhea", "loca"} <= set(face.table):
        return None
    data = face._ttf_data
    head = face.get_table_pos("head")[0]
    if struct.unpack_from(">H", data, head + 52)[0] != 0:   # glyphDataFormat: ReportLab refuses it
        return None
    mapping = _character_map(face, data)
    if mapping is None:
        return None
    chars, glyphs = mapping
    widths = _advance_widths(face, data)
    face.charToGlyph = dict(zip(chars, glyphs))
    # ReportLab fills the widths glyph by glyph, each glyph's characters in character-map order
    char_widths = {}
    for i in sorted(range(len(glyphs)), key=glyphs.__getitem__):
        glyph = glyphs[i]
        if glyph < len(widths):   # a glyph the metrics do not list has no width (as in ReportLab)
            char_widths[chars[i]] = widths[glyph]
    face.charWidths = char_widths
    face.defaultWidth = widths[0]
    if 0x20 in face.charToGlyph:
        face.charToGlyph[0xA0] = face.charToGlyph[0x20]
        char_widths[0xA0] = char_widths[0x20]
    elif 0xA0 in face.charToGlyph:
        face.charToGlyph[0x20] = face.charToGlyph[0xA0]
        char_widths[0x20] = char_widths[0xA0]
    return face


def _character_map(face: TTFontFile, data: bytes) -> tuple[list[int], list[int]] | None:
    """(characters, glyphs) in ReportLab's order, from the subtable ReportLab would choose."""
    cmap = face.get_table_pos("cmap")[0]
    version, count = struct.unpack_from(">HH", data, cmap)
    if count == 0 and version != 0:
        count, version = version, count
    chosen, enc = None, 0
    for n in range(count):   # ReportLab's preference, last match wins
        platform, encoding, offset = struct.unpack_from(">HHL", data, cmap + 4 + 8 * n)
        if platform == 3:
            enc, chosen = 1, offset
        elif platform == 1 and encoding == 0 and enc != 1:
            enc, chosen = 2, offset
        elif platform == 1 and encoding == 1:
            enc, chosen = 1, offset
        elif platform == 0 and encoding != 5:
            enc, chosen = 1, offset
    if chosen is None:
        return None
    start = cmap + chosen
    (fmt,) = struct.unpack_from(">H", data, start)
    if fmt == 4:
        return _format4(data, start)
    if fmt == 12:
        return _format12(data, start)
    return None


def _format4(data: bytes, start: int) -> tuple[list[int], list[int]]:
    length, _lang, seg_x2 = struct.unpack_from(">HHH", data, start + 2)
    limit = start + length
    segments = seg_x2 // 2
    ends = struct.unpack_from(f">{segments}H", data, start + 14)
    starts = struct.unpack_from(f">{segments}H", data, start + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, start + 16 + 4 * segments)
    range_start = start + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", data, range_start)
    chars: list[int] = []
    glyphs: list[int] = []
    for n in range(segments):
        first, last, delta, range_offset = starts[n], ends[n], deltas[n], range_offsets[n]
        if last < first:
            continue
        codes = range(first, last + 1)
        chars.extend(codes)
        if range_offset == 0:
            glyphs.extend((c + delta) & 0xFFFF for c in codes)
            continue
        base = range_start + 2 * n + range_offset
        for c in codes:
            at = base + (c - first) * 2
            if at >= limit:   # ReportLab's workaround for broken fonts
                glyphs.append(0)
                continue
            (glyph,) = struct.unpack_from(">H", data, at)
            glyphs.append((glyph + delta) & 0xFFFF if glyph else 0)
    return chars, glyphs


def _format12(data: bytes, start: int) -> tuple[list[int], list[int]]:
    (groups,) = struct.unpack_from(">L", data, start + 12)
    triples = struct.unpack_from(f">{3 * groups}L", data, start + 16)
    chars: list[int] = []
    glyphs: list[int] = []
    for g in range(groups):
        first, last, glyph = triples[3 * g: 3 * g + 3]
        chars.extend(range(first, last + 1))
        glyphs.extend(range(glyph, glyph + last - first + 1))
    return chars, glyphs


def _advance_widths(face: TTFontFile, data: bytes) -> list:
    """Each glyph's advance width, scaled as ReportLab scales it; glyphs past the last full
    metric take its advance."""
    hhea = face.get_table_pos("hhea")[0]
    (full,) = struct.unpack_from(">H", data, hhea + 34)
    pairs = struct.unpack_from(f">{2 * full}H", data, face.get_table_pos("hmtx")[0])
    scale = face._pdfScale
    widths = [scale(aw) for aw in pairs[0::2]]
    widths.extend([widths[-1]] * max(0, face.numGlyphs - full))
    return widths
