"""The glyph plan: the same character codes, so the same font subsets, in documents that share most text.

ReportLab numbers each face's characters in the order a document first uses
them and embeds them 256 to a subset.  Two excerpts whose texts differ by a
city's name on the cover therefore number every later character differently:
each makes, compresses and writes its own font subsets and encodes every line
anew, though most of their pages print the same text.

A plan is the numbering of one reference document, face by face (the order it
first used each character).  Given to another document before anything is
drawn, the plan's characters take the same codes there, filling whole subsets;
the document's own characters follow in subsets of their own.  Characters of
the reference's own text that the document does not print are left out first
(:meth:`GlyphPlan.for_text`), so a document embeds no glyph that only the
reference prints.  Documents that apply the same plan embed byte-identical
subsets, made and compressed once per process (fontcache.py), and write shared
lines and charts the same (paragraph.py, drawings.py keep them by
:func:`plan_token`).  Every document still shows exactly its own text: the plan
changes codes, never glyphs.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..model import UNIT_LINE

FORMAT = 1
_SUBSET = 256   # codes per embedded subset (ReportLab's)


@dataclass(frozen=True)
class GlyphPlan:
    """Each face's characters in the reference's first-use order, and the characters of its own text."""

    faces: tuple[tuple[str, tuple[int, ...]], ...]   # (registered face name, code points), in first-use order
    reference_text: frozenset[int] = frozenset()

    def for_text(self, printed: frozenset[int] | set[int]) -> "GlyphPlan":
        """The plan for a document whose text has the characters ``printed``: the reference's characters
        that came from its text and are not in this one are dropped (its city's name …); those that
        came from elsewhere (the theme's running heads, the charts' labels) are kept."""
        drop = self.reference_text - printed
        return GlyphPlan(tuple((name, tuple(c for c in chars if c not in drop)) for name, chars in self.faces))

    def dumps(self) -> bytes:
        return json.dumps({"format": FORMAT, "faces": [[name, list(chars)] for name, chars in self.faces],
                           "reference_text": sorted(self.reference_text)}, separators=(",", ":")).encode("ascii")


def loads_plan(data: bytes) -> GlyphPlan | None:
    """A plan written by :meth:`GlyphPlan.dumps`, or None for anything else (made again)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    faces, text = doc.get("faces"), doc.get("reference_text")
    if not isinstance(faces, list) or not isinstance(text, list) or not all(_code(c) for c in text):
        return None
    out = []
    for face in faces:
        if not (isinstance(face, list) and len(face) == 2 and isinstance(face[0], str)
                and isinstance(face[1], list) and all(_code(c) for c in face[1])):
            return None
        out.append((face[0], tuple(face[1])))
    return GlyphPlan(tuple(out), frozenset(text))


def _code(value) -> bool:
    return type(value) is int and 0 <= value <= 0x10FFFF


def plan_of(pdf_doc, reference_text: frozenset[int]) -> GlyphPlan:
    """The plan a document's numbering makes: called when it has drawn everything, before it is saved."""
    faces = []
    for name in pdf_doc.fontMapping:   # in the order the document first used them
        font = pdfmetrics.getFont(name)
        state = font.state.get(pdf_doc) if isinstance(font, TTFont) else None
        if state is None:
            continue
        preset = TTFont.State(font._asciiReadable, font).assignments   # ASCII, numbered before any use
        chars = tuple(c for c in state.assignments if c not in preset)
        if chars:
            faces.append((name, chars))
    return GlyphPlan(tuple(faces), frozenset(reference_text))


def number_chart_labels(pdf_doc, specs, face: str) -> None:
    """Number the characters of the charts' labels (categories, series, units, values as printed) in
    ``face``, in chart order, before the charts are drawn: so they join the plan taken next, and the
    charts of documents sharing it write the same operators (drawings.py keeps them)."""
    texts = []
    for spec in specs:
        texts += [*spec.categories, *(name for name, _ in spec.series), UNIT_LINE.format(unit=spec.unit),
                  spec.others_label, *spec.labels,
                  *(label for row in spec.value_labels for label in row), *spec.total_labels, *spec.share_labels]
    pdfmetrics.getFont(face).splitString("".join(texts), pdf_doc)


def apply_plan(pdf_doc, plan: GlyphPlan) -> None:
    """Number the plan's characters in ``pdf_doc`` as the reference did, before anything is drawn.

    The characters are given to ReportLab in the reference's order, so it assigns
    the very codes it assigned there; the next new character starts a subset of its own."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, chars in plan.faces:
        if not chars or name not in registered:
            continue
        font = pdfmetrics.getFont(name)
        font.splitString("".join(map(chr, chars)), pdf_doc)
        font.getSubsetInternalName(0, pdf_doc)   # the face's resource name (/F1 …) in the plan's order too
        state = font.state[pdf_doc]
        state.nextCode = -(-state.nextCode // _SUBSET) * _SUBSET


def numbered_by_plan(canvas, font: str, chars: str) -> bool:
    """Whether each of ``chars`` has in ``font`` the code the canvas's glyph plan gives it, so every
    document with the same plan writes them alike: the plan's characters, and ASCII, which ReportLab
    numbers alike everywhere (what paragraph.py and drawings.py keep depends on it)."""
    planned = canvas.glyph_chars.get(font, ())
    return all(ord(ch) < 128 or ord(ch) in planned for ch in chars)


_tokens: dict[tuple, int] = {}
_numbers = itertools.count()   # never reused: what was kept under a number stays that plan's


def plan_token(plan: GlyphPlan | None) -> int | None:
    """A small number standing for the plan's numbering in this process (the key of what is kept for it)."""
    if plan is None:
        return None
    token = _tokens.get(plan.faces)
    if token is None:
        if len(_tokens) >= 64:   # a long ``watch``: every edit makes a new plan
            _tokens.clear()
        token = _tokens[plan.faces] = next(_numbers)
    return token
