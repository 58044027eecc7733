"""The glyph plan: excerpts number their characters as the first city's excerpt does, so they embed the
same font subsets; each still prints, and embeds, exactly its own text (pipeline/typeset/glyphplan.py)."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
from collections import Counter

import pymupdf

from conftest import copy_project
from pipeline.build import CityBuilder, Options, build, check, document_epoch
from pipeline.resolve import resolve_document
from pipeline.typeset import glyph_plan_of, typeset_document


def _font_programs(pdf: pymupdf.Document) -> list[str]:
    """The digests of the embedded font programs (FontFile2 streams, as stored)."""
    return [hashlib.sha256(pdf.xref_stream_raw(x)).hexdigest() for x in range(1, pdf.xref_length())
            if pdf.xref_get_key(x, "Length1")[0] != "null"]


def _embedded_chars(pdf: pymupdf.Document) -> set[str]:
    """Every character the embedded subsets map (their ToUnicode maps), beyond ASCII (which ReportLab
    always numbers, whether printed or not)."""
    out = set()
    for x in range(1, pdf.xref_length()):
        kind, value = pdf.xref_get_key(x, "ToUnicode")
        if kind == "xref":
            cmap = pdf.xref_stream(int(value.split()[0])).decode("ascii")
            out |= {chr(int(u, 16)) for u in re.findall(r"<[0-9A-F]{2}> <([0-9A-F]{4})>", cmap) if int(u, 16) > 127}
    return out


def test_excerpts_share_their_font_subsets(cities_build):
    """Excerpts other than the first city's embed the plan's subsets byte for byte.  (Those printing
    the same part of the first city's own text share them all: most cities here.  Before the plan, one
    program was shared by three of the twenty: each excerpt numbered from its cover's city name on.)"""
    root, outcomes = cities_build
    others = list(outcomes)[1:]   # the first city's excerpt makes the plan
    programs = {city: set(_font_programs(pymupdf.open(outcomes[city].pdf))) for city in others}
    counts = Counter(p for ps in programs.values() for p in ps)
    shared_by_most = {p for p, n in counts.items() if n > len(others) // 2}
    assert len(shared_by_most) >= 4, sorted(counts.values(), reverse=True)
    sharing = [city for city, ps in programs.items() if len(ps & shared_by_most) >= 4]
    assert len(sharing) >= 3 * len(others) // 4, sharing


def test_an_excerpt_embeds_only_characters_it_prints(cities_build):
    """No excerpt carries a glyph only the first city's excerpt prints (its city's name, its profile)."""
    root, outcomes = cities_build
    for city, outcome in outcomes.items():
        with pymupdf.open(outcome.pdf) as pdf:
            printed = set("".join(page.get_text() for page in pdf))
            extra = _embedded_chars(pdf) - printed
        assert not extra, (city, sorted(extra))


def test_the_plan_is_the_same_from_the_cache_or_made_anew(tmp_path):
    """An excerpt is the same bytes whether its plan was made by this build, read from the cache, or
    the cache entry was damaged."""
    root = copy_project(tmp_path / "project")
    made = build(Options(project=root, city="dalian"))
    first = made.pdf.read_bytes()
    glyphs = root / "output" / ".cache" / "glyphs"
    entries = [p for p in glyphs.iterdir() if p.suffix == ".json"]
    assert len(entries) == 1
    assert build(Options(project=root, city="dalian")).pdf.read_bytes() == first
    entries[0].write_bytes(b'{"format": 1, "faces": [["SerifSC", [20013]]], "reference_text": []}')  # seal broken
    assert build(Options(project=root, city="dalian")).pdf.read_bytes() == first
    shutil.rmtree(glyphs)
    assert build(Options(project=root, city="dalian")).pdf.read_bytes() == first


def test_making_the_plan_needs_no_chart(tmp_path):
    """The plan comes from the first city's layout with its charts' boxes: an empty chart cache stays
    empty (no matplotlib for a warm excerpt whose first city's charts were never drawn)."""
    root = copy_project(tmp_path / "project")
    options = Options(project=root)
    project, _ = check(options)
    builder = CityBuilder(options, project)
    plan = builder.glyph_plan()
    assert plan is not None and plan.faces
    assert all(chars for _, chars in plan.faces)
    charts = root / "output" / ".cache" / "charts"
    assert not charts.exists() or not list(charts.glob("*.json"))


def test_a_document_set_by_its_own_plan_prints_the_same(bulletin):
    """The plan changes codes, never glyphs: the bulletin (no cities) typeset with the plan it makes
    prints the same text and the same pixels, its characters numbered in the same subsets."""
    result, root = bulletin
    options = Options(project=root)
    project, document = check(options)
    from pipeline.build import draw_charts

    figures = document.figures()
    images, _ = draw_charts(project, figures, options)
    by_id = {f.id: img for f, img in zip(figures, images)}
    plain, planned = io.BytesIO(), io.BytesIO()
    typeset_document(document, by_id, project.fonts, plain)
    plan = glyph_plan_of(document, by_id, project.fonts)
    assert plan.faces and plan.reference_text == document.text_chars()
    typeset_document(document, by_id, project.fonts, planned, glyphs=plan)
    with pymupdf.open(stream=plain.getvalue()) as a, pymupdf.open(stream=planned.getvalue()) as b:
        assert len(a) == len(b)
        for pa, pb in zip(a, b):
            assert pa.get_text() == pb.get_text()
            assert pa.get_pixmap(dpi=72).samples == pb.get_pixmap(dpi=72).samples
        assert _embedded_chars(a) == _embedded_chars(b)


def test_a_plan_leaves_out_what_only_the_reference_prints(edition):
    """Characters of the reference's own text that a document does not print are left out of its plan;
    those the reference printed from elsewhere (running heads, captions' wording) stay."""
    result, root = edition
    options = Options(project=root)
    project, _ = check(options)
    builder = CityBuilder(options, project)
    plan = builder.glyph_plan()
    ed = project.edition.data
    epoch = document_epoch(ed["year"], ed.get("month"))
    other = resolve_document(project, epoch, "yantai", rules=False)
    mine = plan.for_text(other.text_chars())
    only_reference = plan.reference_text - other.text_chars()
    assert only_reference   # the first city's name, at least
    kept = {c for _, chars in mine.faces for c in chars}
    assert not kept & only_reference
    assert kept == {c for _, chars in plan.faces for c in chars} - only_reference


def test_a_line_kept_from_an_earlier_excerpt_is_the_line_written_afresh(tmp_path):
    """Lines and charts an excerpt shares with one written earlier in the process are copied, not drawn
    again (paragraph.py and drawings.py keep them by glyph plan): the excerpt is the same bytes as one
    written with nothing kept, and as one written with the plan made anew; an excerpt with another plan
    (yantai prints less of the first city's text: its charts' labels have other codes) copies nothing
    written under the first."""
    from pipeline.typeset import figures, paragraph

    def forget():
        paragraph._drawn.clear()
        figures._drawings.clear()

    root = copy_project(tmp_path / "project")
    options = Options(project=root)
    project, _ = check(options)
    builder = CityBuilder(options, project)
    forget()
    builder.build("changsha", output=tmp_path / "changsha.pdf")
    kept = len(paragraph._drawn)
    assert kept > 50   # most of its lines (the national chapters at least)
    assert sum(bool(d._written) for d in figures._drawings.values()) >= 3   # the common charts
    copied = builder.build("chengdu", output=tmp_path / "copied.pdf").pdf.read_bytes()
    assert len(paragraph._drawn) < 1.2 * kept   # most of chengdu's lines were changsha's
    other_plan = builder.build("yantai", output=tmp_path / "yantai.pdf").pdf.read_bytes()
    forget()
    fresh = builder.build("chengdu", output=tmp_path / "fresh.pdf").pdf.read_bytes()
    assert copied == fresh
    forget()
    assert builder.build("yantai", output=tmp_path / "yantai-fresh.pdf").pdf.read_bytes() == other_plan
    anew = CityBuilder(options, project)
    anew._plan_store().folder.joinpath(anew._plan_entry()).unlink()
    assert anew.build("chengdu", output=tmp_path / "anew.pdf").pdf.read_bytes() == fresh


def test_a_kept_line_is_kept_for_its_place_and_colour(edition):
    """A line is copied only where it was drawn: the same line lower down, or in another colour, is
    written anew (the key of paragraph.py's kept lines)."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    from pipeline.model import TextRun
    from pipeline.typeset import register_fonts
    from pipeline.typeset.glyphplan import GlyphPlan, apply_plan, plan_token
    from pipeline.typeset.paragraph import CJKParagraph, draw_line
    from pipeline.typeset.styles import BODY, SERIF

    result, root = edition
    register_fonts(check(Options(project=root))[0].fonts)
    text = "软件与信息服务外包产业"
    plan = GlyphPlan(((SERIF, tuple(ord(c) for c in text)),))
    canvas = Canvas(io.BytesIO())
    apply_plan(canvas._doc, plan)
    canvas.glyph_token, canvas.glyph_chars = plan_token(plan), {SERIF: frozenset(ord(c) for c in text)}
    paragraph = CJKParagraph((TextRun(text),), BODY)
    paragraph.wrap(400, 100)
    [line] = paragraph.lines
    written = []
    for y, colour in ((10, colors.black), (10, colors.black), (30, colors.black), (10, colors.red)):
        draw_line(canvas, line, paragraph.runs, 0, y, colour)
        written.append(canvas._code[-1])
    assert written[0] == written[1]
    assert " 30 Tm" in written[2] and " 10 Tm" not in written[2]
    assert written[3] != written[0] and "1 0 0 rg" in written[3]


def test_the_plan_comes_from_whichever_city_the_table_lists_first(tmp_path):
    """Nothing names a reference city: with the cities table reordered (烟台 first), 烟台's excerpt makes
    the plan, and another city's excerpt is the same bytes built alone or in a -j 2 batch."""
    from pipeline.batch import build_cities

    root = copy_project(tmp_path / "project")
    table = root / "data" / "cities.csv"
    header, *rows = table.read_text(encoding="utf-8").splitlines()
    rows.sort(key=lambda row: not row.startswith("yantai,"))
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    options = Options(project=root)
    project, _ = check(options)
    assert CityBuilder(options, project).reference == "yantai"
    outcomes = {o.city: o for o in build_cities(options, ["yantai", "dalian", "xian"], jobs=2)}
    assert all(o.ok for o in outcomes.values())
    in_batch = outcomes["xian"].pdf.read_bytes()
    shutil.rmtree(root / "output" / ".cache" / "glyphs")
    assert build(Options(project=root, city="xian")).pdf.read_bytes() == in_batch
