"""Cross-references and footnotes: what ``ref('id')`` and ``footnote('…')`` put into the text.

Numbers are known before any text is rendered (a first walk over the chapter
files numbers every figure, image, table, heading and chapter the way the
resolver does), so ``ref('id')`` can point forward.  A template function
returns a *marker* in the rendered text — private-use characters around the
target key and the printed label — and the markers become styled text runs
once the document's blocks are final: only then is it known whether a per-city
excerpt still holds the target (a link to a block left out would lead nowhere).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Footnote, SourcePos, TextRun, chapter_key, heading_key
from .quantities import TemplateDataError, cn_numeral

# Private-use characters: a writer cannot type them by accident, the fonts have no glyph for them
# (so one left behind would be caught by the glyph check), and they survive Jinja2 and the markup parser.
REF_OPEN, REF_MID, REF_CLOSE = "\ue000", "\ue001", "\ue002"
PAGE_OPEN, PAGE_CLOSE = "\ue003", "\ue004"
NOTE_OPEN, NOTE_CLOSE = "\ue005", "\ue006"
MARKER_CHARS = "\ue000-\ue006"

_MARKER = re.compile(f"{REF_OPEN}([^{REF_MID}]*){REF_MID}([^{REF_CLOSE}]*){REF_CLOSE}"
                     f"|{PAGE_OPEN}([^{PAGE_CLOSE}]*){PAGE_CLOSE}"
                     f"|{NOTE_OPEN}(\\d+){NOTE_CLOSE}")

# The page number of a reference is drawn once the layout is done, into a box this wide (digits):
# a 1-digit number is centred in it, a wider label is condensed to fit.
PAGE_PLACEHOLDER = "00"
# A footnote mark's placeholder (all circled numbers ①…⑩ have the same advance).
NOTE_PLACEHOLDER = "①"


@dataclass(frozen=True)
class Target:
    """Something a reference can point at."""

    id: str
    key: str          # the bookmark the typesetter makes for it
    label: str        # what ref() prints: 图 2-1, 表 5-1, 第二章, （三）
    pos: SourcePos


class Numbering:
    """The numbers of every block of every chapter (one walk, before rendering)."""

    def __init__(self, chapters):
        self.block_numbers: dict[tuple[str, int], str] = {}   # (chapter file, block index) → "2-1" / "（一）"
        self.targets: dict[str, Target] = {}
        for doc in chapters:
            number = doc.data["number"]
            figure_no = table_no = section_no = 0
            if doc.data.get("id"):
                label = f"第{cn_numeral(number)}章" if number else str(doc.data["title"])
                self._add(doc.data["id"], chapter_key(number), label, doc.pos(("id",)))
            for i, block in enumerate(doc.data["blocks"]):
                kind, spec = next(iter(block.items()))
                if kind in ("figure", "image"):
                    figure_no += 1
                    self.block_numbers[(doc.path, i)] = f"{number}-{figure_no}"
                    self._add(spec["id"], f"fig-{spec['id']}", f"图 {number}-{figure_no}",
                              doc.pos(("blocks", i, kind, "id")))
                elif kind == "table":
                    table_no += 1
                    self.block_numbers[(doc.path, i)] = f"{number}-{table_no}"
                    self._add(spec["id"], f"tab-{spec['id']}", f"表 {number}-{table_no}",
                              doc.pos(("blocks", i, kind, "id")))
                elif kind == "heading":
                    section_no += 1
                    level = spec.get("level", 2)
                    label = f"（{cn_numeral(section_no)}）" if level == 2 else f"{section_no}."
                    self.block_numbers[(doc.path, i)] = label
                    if spec.get("id"):
                        self._add(spec["id"], heading_key(number, label), label.rstrip("."),
                                  doc.pos(("blocks", i, kind, "id")))

    def _add(self, id_: str, key: str, label: str, pos: SourcePos) -> None:
        self.targets.setdefault(str(id_), Target(str(id_), key, label, pos))   # validate reports duplicates

    def target(self, id_) -> Target:
        id_ = str(id_)
        if id_ not in self.targets:
            from ..load import did_you_mean

            raise TemplateDataError(f"ref(): no figure, table, chapter or heading has the id '{id_}'"
                                    f"{did_you_mean(id_, self.targets)}", needle=id_)
        return self.targets[id_]


class Writing:
    """The template functions ref() and footnote(), and the markers they leave in the text."""

    def __init__(self, numbering: Numbering):
        self.numbering = numbering
        self.in_paragraph = False          # footnote() and ref(page=true) only in paragraphs and list items
        self.notes: list[str] = []         # footnote texts (markup), by global index

    def ref(self, id_, page: bool = False) -> str:
        target = self.numbering.target(id_)
        out = f"{REF_OPEN}{target.key}{REF_MID}{target.label}{REF_CLOSE}"
        if page:
            if not self.in_paragraph:
                raise TemplateDataError("ref(…, page=true) is allowed in paragraphs and list items only "
                                        "(a page number needs a line to sit on)")
            out += f"{PAGE_OPEN}{target.key}{PAGE_CLOSE}"
        return out

    def footnote(self, text) -> str:
        if not self.in_paragraph:
            raise TemplateDataError("footnote() is allowed in paragraphs and list items only")
        text = str(text)
        if not text.strip():
            raise TemplateDataError("footnote() needs a text")
        if NOTE_OPEN in text:
            raise TemplateDataError("a footnote cannot hold another footnote")
        self.notes.append(text)
        return f"{NOTE_OPEN}{len(self.notes) - 1}{NOTE_CLOSE}"


def has_markers(text: str) -> bool:
    return bool(_MARKER.search(text))


def plain_text(text: str) -> str:
    """A caption's text: a reference prints its label (no link, no page number)."""
    return _MARKER.sub(lambda m: m.group(2) if m.group(2) is not None else "", text)


def expand_runs(runs, present: set[str], note_runs, unresolved) -> tuple[tuple[TextRun, ...], tuple[Footnote, ...]]:
    """Turn the markers inside ``runs`` into runs: a linked label, a page number, a footnote mark.

    ``present`` holds the bookmark keys the document will have; a reference to
    anything else prints its label without a link and without a page number,
    and is reported through ``unresolved(key)``.  ``note_runs(index)`` gives a
    footnote's runs.  ``#key`` links written as markup are resolved by the caller.
    """
    out: list[TextRun] = []
    notes: list[Footnote] = []
    for run in runs:
        text = run.text
        at = 0
        for m in _MARKER.finditer(text):
            if m.start() > at:
                out.append(_with(run, text[at:m.start()]))
            at = m.end()
            if m.group(1) is not None:
                key, label = m.group(1), m.group(2)
                if key in present:
                    out.append(_with(run, label, link=f"#{key}"))
                else:
                    unresolved(key)
                    out.append(_with(run, label, link=None))
            elif m.group(3) is not None:
                key = m.group(3)
                if key in present:
                    out.append(_with(run, "（第 "))
                    out.append(_with(run, PAGE_PLACEHOLDER, link=f"#{key}", page_of=key))
                    out.append(_with(run, " 页）"))
            else:
                index = int(m.group(4))
                notes.append(note_runs(index))
                out.append(_with(run, NOTE_PLACEHOLDER, link=None, sup=True, sub=False, note=len(notes) - 1))
        if at < len(text):
            out.append(_with(run, text[at:]))
    return tuple(r for r in out if r.text), tuple(notes)


def _with(run: TextRun, text: str, **changes) -> TextRun:
    from dataclasses import replace

    return replace(run, text=text, **changes)
