"""Compare two editions number by number: what ``whitepaper diff OLD NEW`` reports.

Takes two loaded projects (two editions of one project, or two project
folders); resolves each with a :class:`~pipeline.resolve.Trace`, so every
printed value is known by where it is bound — file, block, expression and its
occurrence in a loop — and returns a :class:`Diff`: each number whose value
changed (old → new, with its sentence), chart points and table cells that
changed, and the sentences, figures and tables only one side has.  Unchanged
numbers are not listed.  Stdlib only (plus the resolver).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .load import dotted
from .model import Figure, Paragraph, Project, ResolvedDocument, SourcePos, TableBlock
from .resolve import Trace, resolve_traced
from .resolve.markup import normalize_text

_DIGIT = re.compile(r"[0-9０-９]")
_SENTENCE_END = "。！？；"


@dataclass(frozen=True)
class Change:
    """One printed number that differs: in a sentence (``kind`` text), a chart point or a table cell."""

    kind: str          # "text", "figure" or "table"
    where: str         # chapters/02-market.yaml:5 blocks[0].paragraph · 图 2-2 · 表 5-1
    bound: str         # the expression ({{ q('market', year=base_year, segment='total') }}), series or column
    old: str
    new: str
    context: str = ""  # the sentence (new edition) holding it; a chart's title; a table's row


@dataclass(frozen=True)
class Difference:
    """A sentence, figure or table that only one side has."""

    kind: str          # "sentence", "figure" or "table"
    where: str
    text: str


@dataclass
class Diff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)
    added: list[Difference] = field(default_factory=list)
    removed: list[Difference] = field(default_factory=list)
    # for the --pdf proof: where a paragraph of the new edition starts → spans of its changed values
    highlights: dict[SourcePos, list[tuple[int, int]]] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"old": self.old, "new": self.new,
                "changes": [c.__dict__ for c in self.changes],
                "added": [d.__dict__ for d in self.added], "removed": [d.__dict__ for d in self.removed]}


def compare(old: Project, new: Project, old_label: str, new_label: str,
            old_epoch: int = 0, new_epoch: int = 0) -> Diff:
    old_doc, old_trace = resolve_traced(old, old_epoch)
    new_doc, new_trace = resolve_traced(new, new_epoch)
    diff = Diff(old_label, new_label)
    _compare_texts(_rekey(old_trace, old.edition.path), _rekey(new_trace, new.edition.path), diff)
    _compare_figures(old_doc, new_doc, diff)
    _compare_tables(old_doc, new_doc, diff)
    return diff


# ---------------------------------------------------------------- texts


@dataclass
class _Located:
    """A traced text: its final wording, and each bound value's key and span in it."""

    text: str
    pos: SourcePos
    values: dict[tuple[str, int], tuple[str, int, int]]   # (expression, n-th of it) → (value, start, end)


EDITION = "(edition)"


def _rekey(trace: Trace, edition_file: str) -> Trace:
    """Two editions' files have different names (editions/2008.yaml, editions/2009.yaml): match their texts
    by key path alone."""
    def key(k):
        return (EDITION, *k[1:]) if k[0] == edition_file else k

    out = Trace()
    out.bindings = {key(k): v for k, v in trace.bindings.items()}
    out.texts = {key(k): v for k, v in trace.texts.items()}
    out.edition_file = edition_file
    return out


def _locate(trace: Trace) -> dict[tuple[str, tuple], _Located]:
    out = {}
    for key, (text, pos) in trace.texts.items():
        values = {}
        seen: dict[str, int] = {}
        cursor = 0
        for _, expression, _, value in trace.bindings.get(key, ()):
            nth = seen.get(expression, 0)
            seen[expression] = nth + 1
            printed = normalize_text(value)
            if not printed:
                continue
            at = text.find(printed, cursor)
            if at < 0:
                continue   # printed inside markup or joined differently: matched, not placed
            values[(expression, nth)] = (printed, at, at + len(printed))
            cursor = at + len(printed)
        out[key] = _Located(text, pos, values)
    return out


def _sentence(text: str, at: int) -> tuple[int, int]:
    start = max((text.rfind(ch, 0, at) for ch in _SENTENCE_END), default=-1) + 1
    ends = [i for i in (text.find(ch, at) for ch in _SENTENCE_END) if i >= 0]
    return start, (min(ends) + 1 if ends else len(text))


def _sentences(located: _Located) -> list[tuple[str, str]]:
    """(skeleton, sentence): the skeleton has each bound number replaced, so a sentence whose numbers
    changed is the same sentence; one whose words changed is not."""
    text = located.text
    spans = sorted((s, e) for value, s, e in located.values.values() if _DIGIT.search(value))
    out = []
    start = 0
    while start < len(text):
        _, end = _sentence(text, start)
        skeleton, cursor = "", start
        for s, e in spans:
            if start <= s < end:
                skeleton += text[cursor:s] + "\u2026"
                cursor = e
        skeleton += text[cursor:end]
        out.append((skeleton.strip(), text[start:end].strip()))
        start = end
    return [(k, s) for k, s in out if s]


def _where(key: tuple[str, tuple, str], line: int, edition_file: str) -> str:
    file, path = key[0], key[1]
    file = edition_file if file == EDITION else file
    return f"{file}:{line} {dotted(path)}" if line else f"{file} {dotted(path)}"


def _compare_texts(old_trace: Trace, new_trace: Trace, diff: Diff) -> None:
    old, new = _locate(old_trace), _locate(new_trace)
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], str(k[1]))):
        before, after = old.get(key), new.get(key)
        where = _where(key, (after or before).pos.line, (new_trace if after else old_trace).edition_file)
        if before is not None and after is not None:
            for bound, (value, s, e) in after.values.items():
                if bound not in before.values:
                    continue
                was = before.values[bound][0]
                if was != value and (_DIGIT.search(was) or _DIGIT.search(value)):
                    a, b = _sentence(after.text, s)
                    diff.changes.append(Change("text", where, "{{ %s }}" % bound[0], was, value,
                                               after.text[a:b].strip()))
                    diff.highlights.setdefault(after.pos, []).append((s, e))
        old_sentences = [s for s in _sentences(before)] if before else []
        new_sentences = [s for s in _sentences(after)] if after else []
        old_skeletons = [k for k, _ in old_sentences]
        new_skeletons = [k for k, _ in new_sentences]
        for skeleton, sentence in old_sentences:
            if skeleton in new_skeletons:
                new_skeletons.remove(skeleton)
            else:
                diff.removed.append(Difference("sentence", where, sentence))
        for skeleton, sentence in new_sentences:
            if skeleton in old_skeletons:
                old_skeletons.remove(skeleton)
            else:
                diff.added.append(Difference("sentence", where, sentence))


# ---------------------------------------------------------------- figures and tables


def _number(value: float) -> str:
    d = Decimal(repr(float(value))).normalize()
    return format(d, "f") if d == d.to_integral_value() or d.as_tuple().exponent < 0 else str(d)


def _compare_figures(old_doc: ResolvedDocument, new_doc: ResolvedDocument, diff: Diff) -> None:
    old = {f.id: f for f in old_doc.figures()}
    new = {f.id: f for f in new_doc.figures()}
    for fid in old.keys() - new.keys():
        diff.removed.append(Difference("figure", f"图 {old[fid].number} ({fid})", old[fid].title))
    for fid in new.keys() - old.keys():
        diff.added.append(Difference("figure", f"图 {new[fid].number} ({fid})", new[fid].title))
    for fid, after in new.items():
        if fid in old:
            _compare_points(old[fid], after, diff)


def _compare_points(before: Figure, after: Figure, diff: Diff) -> None:
    """Each chart point by its series and its place on the axis: its category and its value."""
    where = f"图 {after.number} ({after.id})"
    old_series = dict(before.chart.series)
    for s_index, (name, values) in enumerate(after.chart.series):
        was = old_series.get(name)
        if was is None and s_index < len(before.chart.series):
            was = before.chart.series[s_index][1]
        was = was or ()
        for i in range(max(len(values), len(was))):
            new_point = (_point(after, i, values))
            old_point = (_point(before, i, was))
            if new_point != old_point:
                diff.changes.append(Change("figure", where, name or after.chart.unit or "值", old_point or "—",
                                           new_point or "—", after.title))


def _point(figure: Figure, i: int, values) -> str:
    if i >= len(values) or i >= len(figure.chart.categories):
        return ""
    return f"{figure.chart.categories[i]}: {_number(values[i])}"


def _compare_tables(old_doc: ResolvedDocument, new_doc: ResolvedDocument, diff: Diff) -> None:
    old = {t.id: t for t in old_doc.tables()}
    new = {t.id: t for t in new_doc.tables()}
    for tid in old.keys() - new.keys():
        diff.removed.append(Difference("table", f"表 {old[tid].number} ({tid})", old[tid].title))
    for tid in new.keys() - old.keys():
        diff.added.append(Difference("table", f"表 {new[tid].number} ({tid})", new[tid].title))
    for tid, after in new.items():
        if tid in old:
            _compare_cells(old[tid], after, diff)


def _compare_cells(before: TableBlock, after: TableBlock, diff: Diff) -> None:
    where = f"表 {after.number} ({after.id})"
    for r in range(max(len(before.rows), len(after.rows))):
        old_row = before.rows[r] if r < len(before.rows) else None
        new_row = after.rows[r] if r < len(after.rows) else None
        if old_row is None:
            diff.added.append(Difference("table row", where, " | ".join(new_row)))
            continue
        if new_row is None:
            diff.removed.append(Difference("table row", where, " | ".join(old_row)))
            continue
        for c, header in enumerate(after.header):
            was = old_row[c] if c < len(old_row) else ""
            now = new_row[c] if c < len(new_row) else ""
            if was != now and (_DIGIT.search(was) or _DIGIT.search(now)):
                diff.changes.append(Change("table", where, f"{header}（第 {r + 1} 行）", was, now, " | ".join(new_row)))


# ---------------------------------------------------------------- the proof


def proof_document(document: ResolvedDocument, diff: Diff) -> ResolvedDocument:
    """The new edition with every changed number of its paragraphs marked (highlighted when typeset)."""
    from dataclasses import replace

    chapters = []
    for chapter in document.chapters:
        blocks = tuple(_marked(b, diff.highlights[b.pos]) if isinstance(b, Paragraph) and b.pos in diff.highlights
                       else b for b in chapter.blocks)
        chapters.append(replace(chapter, blocks=blocks))
    return replace(document, chapters=tuple(chapters))


def _marked(paragraph: Paragraph, spans: list[tuple[int, int]]) -> Paragraph:
    from dataclasses import replace

    runs, offset = [], 0
    for run in paragraph.runs:
        cuts = sorted({0, len(run.text), *(min(max(p - offset, 0), len(run.text)) for s in spans for p in s)})
        for a, b in zip(cuts, cuts[1:]):
            inside = any(s <= offset + a and offset + b <= e for s, e in spans)
            runs.append(replace(run, text=run.text[a:b], mark=inside))
        offset += len(run.text)
    return replace(paragraph, runs=tuple(r for r in runs if r.text))
