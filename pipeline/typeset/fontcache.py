"""What ReportLab learns from a TrueType face, kept as JSON so a build does not parse it again.

ReportLab's TTFontFace reads a face's name, metrics, whole character map and
every glyph's width in Python at registration: about 80 ms for each of our
four GBK-size faces, every build.  Here the parsed face's attributes are
written once to a cache entry (plain JSON, sealed like every entry, see
pipeline/cachestore.py), named by the font file's sha256 and the ReportLab
version, and a later build restores them.  What only subsetting needs (the
file's bytes, its table directory, the glyph offsets and horizontal metrics)
is read when the PDF is written, for the glyphs actually used, with
``struct`` rather than ReportLab's byte-at-a-time reader.

Only the attribute types below are written; a face holding anything else is
not cached (it is parsed every time, as before).  A restored face equals a
parsed one attribute for attribute (tests/test_font_cache.py).
"""
from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Sequence
from pathlib import Path

from reportlab import Version
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTEncoding, TTFont, TTFontFace, TTFontFile, TTFNameBytes

FORMAT = 2

# Read from the file when first needed (subsetting at write time), never cached.
_FROM_FILE = frozenset({"_ttf_data", "_pos", "table", "tables", "hmetrics", "glyphPos", "validate"})
# Needed by nothing we do (ReportLab's text shaping only): parsed in full if ever asked for.
_ON_DEMAND = frozenset({"glyphToChar"})
_DERIVED = frozenset({"_pdfScale"})   # a function of unitsPerEm


class CachedFace(TTFontFace):
    """A TTFontFace restored from the cache; file-backed tables are read on first use."""

    def __init__(self, filename: str, attributes: dict):
        pdfmetrics.TypeFace.__init__(self, None)
        self.__dict__.update(attributes)
        self.filename = filename   # where the file is now (the entry may have been made elsewhere)
        units = self.unitsPerEm
        # the same function ReportLab's parser makes: exact floats, so widths are identical
        if units == 1000:
            self._pdfScale = lambda x: x
        else:
            _1000mult = 1000 / units
            self._pdfScale = lambda x: x * _1000mult
        self._source = filename

    def __getattr__(self, name):
        # only called for attributes not restored: the ones subsetting (or shaping) needs
        if name in _FROM_FILE and "_source" in self.__dict__ and "_ttf_data" not in self.__dict__:
            self._read_file()
            return self.__dict__[name]
        if name in _ON_DEMAND and "_source" in self.__dict__:
            self.__dict__[name] = getattr(TTFontFile(self._source), name)
            return self.__dict__[name]
        raise AttributeError(name)

    def _read_file(self) -> None:
        # what TTFontParser.__init__ does for a single-face file (the only kind we cache)
        d = self.__dict__
        with open(self._source, "rb") as f:
            d["_ttf_data"] = f.read()
        d["_pos"] = 0
        d["validate"] = 0
        if self.readHeader():
            raise ValueError("font collections are not cached")
        self.readTableDirectory()
        data = self._ttf_data
        hhea = self.get_table_pos("hhea")[0]
        (number_of_hmetrics,) = struct.unpack_from(">H", data, hhea + 34)
        head = self.get_table_pos("head")[0]
        (loca_format,) = struct.unpack_from(">H", data, head + 50)
        self.hmetrics = _HMetrics(data, self.get_table_pos("hmtx")[0], number_of_hmetrics, self.numGlyphs,
                                  self._pdfScale)
        self.glyphPos = _GlyphOffsets(data, self.get_table_pos("loca")[0], loca_format, self.numGlyphs + 1)
        self._pos = 0


    def get_table(self, tag):
        # the glyph outlines (most of the file) are read glyph by glyph when subsetting: no copy of the
        # whole table for each subset of 256 characters, as ReportLab's slice makes
        if tag == "glyf":
            pos, length = self.get_table_pos(tag)
            return _BytesView(memoryview(self._ttf_data)[pos:pos + length])
        return super().get_table(tag)


class _BytesView:
    """A table of the font file whose slices are bytes (what subsetting does with it), without copying it."""

    def __init__(self, view: memoryview):
        self._view = view

    def __len__(self) -> int:
        return len(self._view)

    def __getitem__(self, part: slice) -> bytes:
        if not isinstance(part, slice):
            raise TypeError("a table is read in slices")
        return self._view[part].tobytes()


class _HMetrics(Sequence):
    """The face's (advance, left side bearing) pairs as ReportLab's parser lists them, read from the
    file per glyph: a subset asks for a few hundred of 20 000 glyphs, and unpacking them all as
    tuples took longer than the rest of subsetting."""

    def __init__(self, data: bytes, offset: int, full_pairs: int, glyphs: int, scale):
        self._data, self._offset, self._full, self._glyphs = data, offset, full_pairs, glyphs
        # after the full pairs, ReportLab pairs each left side bearing with the last advance, scaled
        (last,) = struct.unpack_from(">H", data, offset + 4 * (full_pairs - 1))
        self._last = scale(last)

    def __len__(self) -> int:
        return self._glyphs

    def __getitem__(self, glyph: int):
        if not 0 <= glyph < self._glyphs:
            raise IndexError(glyph)
        if glyph < self._full:
            return struct.unpack_from(">HH", self._data, self._offset + 4 * glyph)
        (lsb,) = struct.unpack_from(">H", self._data, self._offset + 4 * self._full + 2 * (glyph - self._full))
        return self._last, lsb


class _GlyphOffsets(Sequence):
    """The 'loca' table's glyph offsets (bytes into 'glyf'), read from the file per glyph."""

    def __init__(self, data: bytes, offset: int, long_format: int, count: int):
        self._data, self._offset, self._count = data, offset, count
        self._long = bool(long_format)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise IndexError(index)
        if self._long:
            return struct.unpack_from(">L", self._data, self._offset + 4 * index)[0]
        return struct.unpack_from(">H", self._data, self._offset + 2 * index)[0] << 1


class CachedTTFont(TTFont):
    """TTFont around a restored face (TTFont.__init__ would parse the file)."""

    def __init__(self, name: str, face: TTFontFace):
        from fnmatch import fnmatch
        from weakref import WeakKeyDictionary

        from reportlab import rl_config
        from reportlab.pdfbase.ttfonts import unShapedFontGlob

        self.fontName = name
        self.face = face
        self.encoding = TTEncoding()
        self.state = WeakKeyDictionary()
        self._asciiReadable = rl_config.ttfAsciiReadable
        self.shapable = not any(fnmatch(name, g) for g in unShapedFontGlob)


def entry_name(font_digest: str) -> str:
    return f"face-{font_digest[:32]}.rl{Version}-json{FORMAT}.json"


def dumps(face: TTFontFace) -> bytes | None:
    """The face's attributes as JSON, or None if it holds something outside the format."""
    out = {}
    for key, value in face.__dict__.items():
        if key in _FROM_FILE or key in _ON_DEMAND or key in _DERIVED:
            continue
        encoded = _encode(value)
        if encoded is _UNSUPPORTED:
            return None
        out[key] = encoded
    return json.dumps({"format": FORMAT, "face": out}, separators=(",", ":")).encode("ascii")


def loads(data: bytes) -> dict:
    """The attributes for CachedFace; raises ValueError for anything outside the format."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("face"), dict):
        raise ValueError("not a cached face")
    keys: dict[str, tuple] = {}   # the character map and the widths have the same keys: unpacked once
    attributes = {key: _decode(value, keys) for key, value in doc["face"].items()}
    for required in ("name", "unitsPerEm", "charToGlyph", "charWidths", "defaultWidth", "numGlyphs"):
        if required not in attributes:
            raise ValueError(f"cached face lacks {required}")
    if type(attributes["unitsPerEm"]) is not int or attributes["unitsPerEm"] <= 0:
        raise ValueError("unitsPerEm")
    return attributes


_UNSUPPORTED = object()
_SCALARS = (int, float, str, type(None), bool)


def _encode(value):
    if type(value) in _SCALARS:
        return value
    if type(value) is TTFNameBytes:
        return {"name": value.ustr}
    if type(value) is bytes:
        return {"bytes": value.decode("latin-1")}
    if type(value) in (list, tuple) and all(type(v) in _SCALARS for v in value):
        return {"tuple" if type(value) is tuple else "list": list(value)}
    if type(value) is dict:
        # the character map and widths (~30 000 entries a face): packed arrays, so loading is
        # one struct.unpack, not 60 000 JSON numbers checked one by one
        key_types, value_types = set(map(type, value)), set(map(type, value.values()))
        if key_types <= {int} and len(value_types) <= 1 and value_types <= {int, float}:
            code = "d" if value_types == {float} else "q"
            try:
                keys = struct.pack(f"<{len(value)}q", *value)
                values = struct.pack(f"<{len(value)}{code}", *value.values())
            except struct.error:
                return _UNSUPPORTED
            return {"intmap": [code, base64.b64encode(keys).decode("ascii"), base64.b64encode(values).decode("ascii")]}
    return _UNSUPPORTED


def _decode(value, unpacked_keys: dict[str, tuple]):
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict) and len(value) == 1:
        (kind, payload), = value.items()
        if kind == "name" and type(payload) is str:
            return TTFNameBytes(payload.encode("utf-8"), "utf-8")
        if kind == "bytes" and type(payload) is str:
            return payload.encode("latin-1")
        if kind in ("list", "tuple") and type(payload) is list and all(type(v) in _SCALARS for v in payload):
            return tuple(payload) if kind == "tuple" else payload
        if kind == "intmap" and type(payload) is list and len(payload) == 3 and payload[0] in ("q", "d"):
            code, packed_keys, values = payload
            if type(packed_keys) is not str or type(values) is not str:
                raise ValueError("intmap")
            keys = unpacked_keys.get(packed_keys)
            if keys is None:
                raw = binascii.a2b_base64(packed_keys, strict_mode=True)
                if len(raw) % 8:
                    raise ValueError("intmap")
                keys = unpacked_keys[packed_keys] = struct.unpack(f"<{len(raw) // 8}q", raw)
            values = binascii.a2b_base64(values, strict_mode=True)
            if len(values) != 8 * len(keys):
                raise ValueError("intmap")
            return dict(zip(keys, struct.unpack(f"<{len(keys)}{code}", values)))
    raise ValueError("value outside the cached face format")


def load_font(name: str, path: Path, store, digest: str | None) -> TTFont:
    """The registered-to-be TTFont for ``path``: restored from ``store`` when a sealed entry loads,
    else parsed (fontparse.py, or ReportLab for a face it does not cover) and stored for the next build."""
    if store is not None and digest is not None:
        data = store.get(entry_name(digest))
        if data is not None:
            try:
                return CachedTTFont(name, CachedFace(str(path), loads(data)))
            except (ValueError, TypeError):  # sealed by us but not loadable: parse the file
                pass
    from .fontparse import parse_face

    face = parse_face(str(path))
    if face is None:   # a face outside what fontparse reads: ReportLab parses it all
        font = TTFont(name, str(path))
        face = font.face
    else:
        attributes = {k: v for k, v in face.__dict__.items() if k not in _FROM_FILE | _ON_DEMAND | _DERIVED}
        font = CachedTTFont(name, CachedFace(str(path), attributes))
    if store is not None and digest is not None:
        data = dumps(face)
        if data is not None:
            store.put(entry_name(digest), data)
    return font
