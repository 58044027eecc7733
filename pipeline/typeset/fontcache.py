"""What ReportLab learns from a TrueType face, kept as plain data so a build does not parse it again.

ReportLab's TTFontFace reads a face's name, metrics, whole character map and
every glyph's width in Python at registration: about 80 ms for each of our
four GBK-size faces, every build.  Here the parsed face's attributes are
written once to a cache entry (a line of JSON and the packed arrays of the
character map and widths, sealed like every entry, see pipeline/cachestore.py),
named by the font file's sha256 and the ReportLab version, and a later build
restores them (about 2 ms a face).  What only subsetting needs (the
file's bytes, its table directory, the glyph offsets and horizontal metrics)
is read when the PDF is written, for the glyphs actually used, with
``struct`` rather than ReportLab's byte-at-a-time reader.

Only the attribute types below are written; a face holding anything else is
not cached (it is parsed every time, as before).  A restored face equals a
parsed one attribute for attribute (tests/test_font_cache.py).
"""
from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from reportlab import Version
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFStream
from reportlab.pdfbase.ttfonts import TTEncoding, TTFont, TTFontFace, TTFontFile, TTFNameBytes

FORMAT = 3

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
        self._loaded = _file_stamp(filename)   # the file these metrics came from (see _read_file)
        self._made: dict[tuple[int, ...], bytes] = {}   # subsets made, by their characters

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
        # what TTFontParser.__init__ does for a single-face file (the only kind we cache), on the file mapped
        # into memory, not read: subsetting touches the few hundred glyphs a PDF uses, not 8 MB of outlines
        # (reading the three or four faces cost ~20 ms of a warm build)
        d = self.__dict__
        with open(self._source, "rb") as f:
            if _file_stamp(f.fileno()) != self._loaded:
                raise FontChanged(self._source)
            d["_ttf_data"] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
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


    def makeSubset(self, subset):  # noqa: N802 - ReportLab's name
        # a file rewritten in place after it was mapped (a long ``watch``) would show through the mapping:
        # glyphs of another font under these metrics, or a crash past its new end
        if _file_stamp(self._source) != self._loaded:
            raise FontChanged(self._source)
        # documents numbering their characters by one glyph plan embed the same subsets (glyphplan.py)
        key = tuple(subset)
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= _KEEP_SUBSETS:   # a long ``watch``: keep the recent ones
                self._made.clear()
            made = self._made[key] = super().makeSubset(subset)
        return made

    def addSubsetObjects(self, doc, fontname, subset):  # noqa: N802 - ReportLab's name
        ref = super().addSubsetObjects(doc, fontname, subset)
        descriptor = _referenced(doc, ref)
        font_file = _referenced(doc, descriptor.dict.get("FontFile2")) if descriptor is not None else None
        if doc.compression and isinstance(font_file, PDFStream):
            font_file.filters = [SHARED_FLATE]   # the same subset is compressed once per process
        return ref

    def get_table(self, tag):
        # the glyph outlines (most of the file) are read glyph by glyph when subsetting: no copy of the
        # whole table for each subset of 256 characters, as ReportLab's slice makes
        if tag == "glyf":
            pos, length = self.get_table_pos(tag)
            return _BytesView(memoryview(self._ttf_data)[pos:pos + length])
        return super().get_table(tag)


class FontChanged(Exception):
    """A font file changed after this process loaded its metrics."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def _file_stamp(file) -> tuple[int, int, int, int]:
    """What tells a file's versions apart: device, inode, size, modification time (a path or an open fd)."""
    st = os.fstat(file) if isinstance(file, int) else os.stat(file)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


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

    def addObjects(self, doc):  # noqa: N802 - ReportLab's name
        # ReportLab's, then each subset's widths and ToUnicode map are formatted and compressed once per
        # process: documents numbering their characters by one glyph plan have the same ones (glyphplan.py)
        state = self.state.get(doc)
        names = [self.getSubsetInternalName(n, doc)[1:] for n in range(len(state.subsets))] if state else []
        super().addObjects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name in names:
            pdf_font = fonts.get(name)
            widths = getattr(pdf_font, "Widths", None)
            if isinstance(widths, PDFArray):
                pdf_font.Widths = _SharedNumbers(widths.sequence)
            cmap = _referenced(doc, getattr(pdf_font, "ToUnicode", None))
            if doc.compression and isinstance(cmap, PDFStream):
                cmap.filters = [SHARED_FLATE]


_KEEP_SUBSETS = 256   # subsets kept per face (~30 KB each)


def _referenced(doc, ref):
    """The object a reference names in ``doc`` (None for anything else)."""
    name = getattr(ref, "name", None)
    return doc.idToObject.get(name) if isinstance(name, str) else None


class _SharedNumbers(PDFArray):
    """An array of numbers (a subset's widths), formatted once per process: numbers format the same in
    every document."""

    _formatted: dict[tuple, bytes] = {}

    def format(self, document, IND=b"\n "):  # noqa: N803 - ReportLab's name
        key = (tuple(self.sequence), IND)
        out = self._formatted.get(key)
        if out is None:
            if len(self._formatted) >= 4 * _KEEP_SUBSETS:
                self._formatted.clear()
            out = self._formatted[key] = super().format(document, IND)
        return out


class _SharedFlate:
    """ReportLab's FlateDecode filter, each content compressed once per process (font subsets and their
    ToUnicode maps, the same in documents sharing a glyph plan)."""

    pdfname = "FlateDecode"

    def __init__(self):
        self._done: dict[bytes, bytes] = {}
        self._size = 0

    def encode(self, text) -> bytes:
        if isinstance(text, str):
            text = text.encode("utf8")
        out = self._done.get(text)
        if out is None:
            out = zlib.compress(text)
            if self._size > _KEEP_COMPRESSED:
                self._done.clear()
                self._size = 0
            self._done[text] = out
            self._size += len(text) + len(out)
        return out

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


_KEEP_COMPRESSED = 64 << 20   # bytes of contents and their compressed forms kept
SHARED_FLATE = _SharedFlate()


def entry_name(font_digest: str) -> str:
    return f"face-{font_digest[:32]}.rl{Version}-v{FORMAT}.face"


# An entry is one line of JSON (the face's attributes; ASCII, so it holds no raw newline), a newline, then
# the packed arrays it names: each little-endian, of the narrowest of these codes that holds its values.
# Reading one is a JSON parse of a few hundred bytes and a struct.unpack per array, every length checked.
_ITEM_SIZES = {"H": 2, "I": 4, "q": 8, "d": 8}


def dumps(face: TTFontFace) -> bytes | None:
    """The face's attributes as an entry, or None if it holds something outside the format."""
    arrays: list[tuple[str, bytes]] = []
    out = {}
    for key, value in face.__dict__.items():
        if key in _FROM_FILE or key in _ON_DEMAND or key in _DERIVED:
            continue
        encoded = _encode(value, arrays)
        if encoded is _UNSUPPORTED:
            return None
        out[key] = encoded
    header = json.dumps({"format": FORMAT, "face": out, "arrays": [[code, len(packed) // _ITEM_SIZES[code]]
                                                                   for code, packed in arrays]},
                        separators=(",", ":"), ensure_ascii=True)
    return header.encode("ascii") + b"\n" + b"".join(packed for _, packed in arrays)


def loads(data: bytes) -> dict:
    """The attributes for CachedFace; raises ValueError for anything outside the format."""
    header, newline, packed = data.partition(b"\n")
    doc = json.loads(header)
    if (not newline or not isinstance(doc, dict) or doc.get("format") != FORMAT
            or not isinstance(doc.get("face"), dict) or type(doc.get("arrays")) is not list):
        raise ValueError("not a cached face")
    arrays = []   # (code, bytes) of each array, in the order the header lists them
    offset = 0
    for item in doc["arrays"]:
        if not (type(item) is list and len(item) == 2 and item[0] in _ITEM_SIZES and type(item[1]) is int
                and item[1] >= 0):
            raise ValueError("array")
        code, count = item
        end = offset + count * _ITEM_SIZES[code]
        arrays.append((code, packed[offset:end]))
        offset = end
    if offset != len(packed):
        raise ValueError("the arrays are not the length the header says")
    attributes = {key: _decode(value, arrays) for key, value in doc["face"].items()}
    for required in ("name", "unitsPerEm", "charToGlyph", "charWidths", "defaultWidth", "numGlyphs"):
        if required not in attributes:
            raise ValueError(f"cached face lacks {required}")
    if type(attributes["unitsPerEm"]) is not int or attributes["unitsPerEm"] <= 0:
        raise ValueError("unitsPerEm")
    return attributes


_UNSUPPORTED = object()
_SCALARS = (int, float, str, type(None), bool)


def _encode(value, arrays: list[tuple[str, bytes]]):
    if type(value) in _SCALARS:
        return value
    if type(value) is TTFNameBytes:
        return {"name": value.ustr}
    if type(value) is bytes:
        return {"bytes": value.decode("latin-1")}
    if type(value) in (list, tuple) and all(type(v) in _SCALARS for v in value):
        return {"tuple" if type(value) is tuple else "list": list(value)}
    if type(value) is dict:
        # the character map and widths (~30 000 entries a face): packed arrays of keys and of values
        key_types, value_types = set(map(type, value)), set(map(type, value.values()))
        if key_types <= {int} and len(value_types) <= 1 and value_types <= {int, float}:
            keys = _pack(list(value), arrays)
            common, count = Counter(value.values()).most_common(1)[0] if value else (None, 0)
            if count > len(value) // 2:
                # the widths: most are one em, and a dict made with fromkeys holds one object for them all
                others = {k: v for k, v in value.items() if v != common}
                parts = [keys, common, _pack(list(others), arrays), _pack(list(others.values()), arrays)]
            else:
                parts = [keys, _pack(list(value.values()), arrays)]
            if None in parts:
                return _UNSUPPORTED
            return {"intmap": parts}
    return _UNSUPPORTED


def _pack(numbers: list, arrays: list[tuple[str, bytes]]) -> int | None:
    """The index of ``numbers`` packed among ``arrays`` (added unless an equal array is there)."""
    if any(type(n) is float for n in numbers):
        code = "d"
    elif not numbers or (min(numbers) >= 0 and max(numbers) < 1 << 16):
        code = "H"
    elif min(numbers) >= 0 and max(numbers) < 1 << 32:
        code = "I"
    else:
        code = "q"
    try:
        array = (code, struct.pack(f"<{len(numbers)}{code}", *numbers))
    except struct.error:
        return None
    if array not in arrays:
        arrays.append(array)
    return arrays.index(array)


def _decode(value, arrays: list[tuple[str, bytes]]):
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
        if kind == "intmap" and type(payload) is list and len(payload) == 2:   # [keys, values]
            keys, values = (_array(i, arrays) for i in payload)
            return _int_map(keys, values).copy()   # a copy: ReportLab may add to one face's map (shaping)
        if kind == "intmap" and type(payload) is list and len(payload) == 4:
            # [keys, the value most keys have, the keys with another value, their values]
            keys, common, other_keys, other_values = payload
            keys, other_keys, other_values = (_array(i, arrays) for i in (keys, other_keys, other_values))
            if type(common) not in (int, float) or keys[0] == "d":
                raise ValueError("intmap")
            mapping = _all_mapped_to(keys, common).copy()
            others = _int_map(other_keys, other_values)
            if not mapping.keys() >= others.keys():
                raise ValueError("intmap")
            mapping.update(others)
            return mapping
    raise ValueError("value outside the cached face format")


def _array(index, arrays: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    if type(index) is not int or not 0 <= index < len(arrays):
        raise ValueError("array")
    return arrays[index]


@lru_cache(maxsize=32)
def _int_map(keys: tuple[str, bytes], values: tuple[str, bytes]) -> dict:
    """A character map or widths table, built once per process for each payload: the regular and bold
    faces of a family have the same character map, and copying a dict is faster than building it."""
    if keys[0] == "d" or len(keys[1]) // _ITEM_SIZES[keys[0]] != len(values[1]) // _ITEM_SIZES[values[0]]:
        raise ValueError("intmap")
    return dict(zip(_unpack(*keys), _unpack(*values)))


@lru_cache(maxsize=32, typed=True)
def _all_mapped_to(keys: tuple[str, bytes], value: int | float) -> dict:
    """The widths before their exceptions: the same for the regular and the bold face of a family."""
    return dict.fromkeys(_unpack(*keys), value)


@lru_cache(maxsize=32)
def _unpack(code: str, packed: bytes) -> tuple:
    """The numbers of one array (the four faces' character maps list the same characters)."""
    return struct.unpack(f"<{len(packed) // _ITEM_SIZES[code]}{code}", packed)


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
