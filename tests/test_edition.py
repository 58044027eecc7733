"""The shipped 2008 edition, built for real and read back from the PDF."""
from __future__ import annotations

import csv
import os
import re
import sys
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pymupdf
import yaml
from click.testing import CliRunner

from conftest import ROOT, body_text, copy_project, document_text, source_paragraphs
from pipeline.cli import cli

CN = "零一二三四五六七八九十"


def _csv(name):
    with open(ROOT / "data" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _chapters():
    edition = yaml.safe_load((ROOT / "editions" / "2008.yaml").read_text(encoding="utf-8"))
    return [yaml.safe_load((ROOT / "chapters" / n).read_text(encoding="utf-8")) for n in edition["chapters"]]


def test_every_source_paragraph_appears_verbatim_and_in_order(edition_pdf):
    text = document_text(edition_pdf)
    position = 0
    for paragraph in source_paragraphs():
        found = text.find(paragraph, position)
        assert found >= 0, f"not found (verbatim, after position {position}): {paragraph[:40]}…"
        position = found + len(paragraph)


def test_every_number_of_the_market_data_is_printed(edition_pdf):
    text = document_text(edition_pdf)
    for row in _csv("market.csv"):
        assert f"{row['value']} {row['unit']}" in text, row
    total = {r["segment"]: Decimal(r["value"]) for r in _csv("market.csv") if r["year"] == "2007"}
    for part in ("offshore", "onshore"):
        share = (total[part] / total["total"] * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert f"{share}%" in text
    forecast = {r["segment"]: Decimal(r["value"]) for r in _csv("market.csv") if r["year"] == "2010"}
    whole = forecast["offshore"] + forecast["onshore"]
    for part in ("offshore", "onshore"):
        share = (forecast[part] / whole * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert f"{share}%" in text


def test_counts_and_lists_come_from_the_designation_data(edition_pdf):
    text = document_text(edition_pdf)
    names = {r["id"]: r["name"] for r in _csv("cities.csv")}
    rows = _csv("designations.csv")
    for kind in _csv("designation_types.csv"):
        listed = [names[r["city"]] for r in sorted(rows, key=lambda r: int(r["order"]))
                  if r["designation"] == kind["id"]]
        assert len(listed) == int(kind["count"])
        if kind["id"] in ("software_base", "export_base", "outsourcing_city"):
            assert f"{'、'.join(listed)} {kind['count']} 个" in text
    for r in _csv("indicators.csv"):
        assert f"{r['value']} {r['unit']}" in text


def test_fonts_are_embedded_subsets_only(edition_pdf):
    fonts = {f for page in edition_pdf for f in page.get_fonts()}
    assert fonts
    for xref, ext, kind, name, *_ in fonts:
        assert ext == "ttf" and kind == "TrueType", name
        assert re.match(r"^[A-Z]{6}\+Noto(Serif|Sans)CJKsc-(Regular|Bold)$", name), name


def test_outline_lists_front_matter_and_every_chapter(edition_pdf):
    titles = [title for level, title, page in edition_pdf.get_toc()]
    for chapter in _chapters():
        n = chapter["number"]
        expected = chapter["title"] if n == 0 else f"{CN[n] if n <= 10 else n}、{chapter['title']}"
        assert expected in titles
    assert {"目录", "图目录", "表目录"} <= set(titles)


def _toc_lines(page):
    """(text, printed page label) for each line of a 目录 page."""
    lines: dict[int, list] = {}
    for x0, y0, x1, y1, word, *_ in page.get_text("words"):
        lines.setdefault(round(y1), []).append((x0, word))
    out = []
    for y in sorted(lines):
        words = [w for _, w in sorted(lines[y])]
        if len(words) >= 2 and re.fullmatch(r"[0-9]+|[ivxlc]+", words[-1]):
            out.append(("".join(words[:-1]), words[-1]))
    return out


def _toc_page(doc):
    """The 目录 page: the one whose text block opens with its title."""
    return next(p for p in doc if body_text(p).startswith("目录"))


def test_toc_page_numbers_are_where_the_chapters_start(edition_pdf):
    toc_page = _toc_page(edition_pdf)
    entries = _toc_lines(toc_page)
    headings = {}
    for page in edition_pdf:
        if page.number == toc_page.number:
            continue
        for block in page.get_text("blocks"):
            text = block[4].replace("\n", "")
            headings.setdefault(text.strip(), page.get_label())
    chapters = _chapters()
    assert len(entries) == len(chapters)
    for text, label in entries:
        assert headings.get(text) == label, (text, label, headings.get(text))


def test_page_labels_roman_front_matter_and_chapter_one_on_page_1(edition_pdf):
    labels = [p.get_label() for p in edition_pdf]
    first_body = next(page for level, title, page in edition_pdf.get_toc() if title.startswith("一、")) - 1
    assert body_text(edition_pdf[first_body]).startswith("一、软件与信息服务外包的基本概念")
    assert labels[first_body] == "1"
    assert labels[:first_body] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][:first_body]
    assert labels[first_body:] == [str(i) for i in range(1, len(labels) - first_body + 1)]
    # the printed folio matches the label
    for page in edition_pdf[2:]:  # the cover and the copyright page carry no folio
        footer = page.get_text("text", clip=pymupdf.Rect(0, 842 - 60, page.rect.width, 842))
        assert f"— {page.get_label()} —" in footer


def test_metadata(edition_pdf):
    meta = edition_pdf.metadata
    assert meta["title"] == "2008 年中国软件与信息服务外包产业发展白皮书"
    assert "CSIP" in meta["author"]
    assert meta["subject"] and "ITO" in meta["keywords"]
    catalog = edition_pdf.xref_object(edition_pdf.pdf_catalog())
    assert "/Lang (zh-CN)" in catalog
    assert meta["creationDate"].startswith("D:2008")


def test_figures_are_vector_with_captions_below_and_sources(edition_pdf):
    figures = 0
    for page in edition_pdf:
        text = body_text(page)
        if "资料来源" in text:
            figures += len(re.findall(r"图 (\d+)-(\d+)", text))
        if re.search(r"图 \d+-\d+\u3000", text) and "资料来源" in text:
            assert not page.get_images(), "charts must be vector, not raster"
            assert len(page.get_drawings()) > 5
    assert figures >= 5
    text = document_text(edition_pdf)
    assert text.count("资料来源：") >= 7
    assert "单位：亿美元" in text  # chart labels are real text in the embedded Hei face


def test_tables_have_numbered_captions(edition_pdf):
    text = document_text(edition_pdf)
    assert "表 5-1" in text and "表 6-1" in text
    assert "鼓励软件产业和集成电路产业发展的若干政策" in text


def test_check_command_passes_on_the_shipped_content():
    result = CliRunner().invoke(cli, ["check", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


def test_stages_before_charts_do_not_import_heavy_libraries():
    code = ("import sys, pipeline.load, pipeline.validate, pipeline.resolve, pipeline.build, pipeline.cli;"
            "print(sorted(m for m in ('reportlab', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_warm_build_does_not_import_matplotlib(tmp_path):
    """Charts in the cache: checking and using them costs no matplotlib import (0.4 s), nor its font list."""
    root = copy_project(tmp_path / "project")
    code = ("import sys; from pathlib import Path; from pipeline.build import Options, build;"
            f"r = build(Options(project=Path({str(root)!r}))); print(r.charts_rendered, 'matplotlib' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert cold.split()[0] != "0"   # drew its charts (in the chart worker)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert warm.split() == ["0", "False"]


def test_version_and_help():
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.strip().endswith("0.1.0")
    for command in (["--help"], ["build", "--help"], ["check", "--help"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_toc_lines_are_links_to_their_pages(edition_pdf):
    toc_page = _toc_page(edition_pdf)
    links = toc_page.get_links()
    entries = _toc_lines(toc_page)
    assert len(links) == len(entries)
    for link in links:
        line = toc_page.get_text("text", clip=link["from"]).replace("\n", "")
        label = re.search(r"([0-9]+|[ivx]+)$", line.strip()).group(1)
        assert edition_pdf[link["page"]].get_label() == label, line
