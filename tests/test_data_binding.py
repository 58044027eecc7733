"""Editing a CSV value changes the sentence and the chart that use it."""
from __future__ import annotations

import pymupdf

from conftest import document_text
from pipeline.build import Options, build


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _chart_drawings(pdf, number):
    """The vector drawings on the page that shows figure ``number`` (not the 图目录 page)."""
    with pymupdf.open(pdf) as doc:
        page = next(p for p in doc if f"图 {number}\u3000" in p.get_text() and "资料来源" in p.get_text())
        return [(tuple(d["rect"]), d.get("fill")) for d in page.get_drawings()]


def test_changing_a_csv_value_changes_sentence_and_chart(project):
    first = build(Options(project=project, output=project / "output" / "before.pdf"))
    before_text = document_text(pymupdf.open(first.pdf))
    assert "ITO 市场规模约为 90.4 亿美元" in before_text
    # keep ITO + BPO = total so the consistency rule still holds
    market = project / "data" / "market.csv"
    _replace(market, "2007,ito,90.4", "2007,ito,100.4")
    _replace(market, "2007,bpo,61.6", "2007,bpo,51.6")
    second = build(Options(project=project, output=project / "output" / "after.pdf"))
    after_text = document_text(pymupdf.open(second.pdf))
    assert "ITO 市场规模约为 100.4 亿美元" in after_text
    assert "BPO 市场规模约为 51.6 亿美元" in after_text
    assert "90.4" not in after_text
    # only the chart that reads those rows was drawn again
    assert second.charts_rendered == 1
    caption = "2-1"
    assert _chart_drawings(first.pdf, caption) != _chart_drawings(second.pdf, caption)


def test_derived_shares_follow_the_data(project):
    market = project / "data" / "market.csv"
    _replace(market, "2007,offshore,22.8", "2007,offshore,30.4")
    _replace(market, "2007,onshore,129.2", "2007,onshore,121.6")
    result = build(Options(project=project))
    text = document_text(pymupdf.open(result.pdf))
    assert "规模达到 30.4 亿美元，约占产业总体市场规模的 20.0%" in text
    assert "市场规模约为 121.6 亿美元，约占产业总体市场规模的 80.0%" in text
