"""The README's "Make the next edition" walkthrough, run word for word on a copy of the project.

The new rows are the invented test rows of tests/fixtures/edition-2009/ (test data, never data/).
Expected values are computed here from those CSV rows, not taken from the code under test.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pymupdf
import pytest
from click.testing import CliRunner

from conftest import ROOT, copy_project, document_text
from pipeline.build import Options, build
from pipeline.cli import cli

FIXTURE = ROOT / "tests" / "fixtures" / "edition-2009"
HIGHLIGHT = (1.0, 0.87, 0.35)


def walkthrough_commands() -> list[str]:
    """The shell block the README marks as the walkthrough."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- walkthrough: [^>]*-->\s*```sh\n(.*?)\n```", text, re.S)
    assert m, "README.md has no walkthrough block"
    return [line for line in m.group(1).splitlines() if line.strip()]


def _rows(path, year=None):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines[0].startswith(("year,", "id,")):   # the fixture rows have no header
        header = {"market": "year,segment,value,unit,basis", "indicators": "id,year,value,unit,description"}
        lines.insert(0, header[path.stem])
    rows = list(csv.DictReader(lines))
    return [r for r in rows if year is None or r["year"] == str(year)]


def _market(year, source):
    return {r["segment"]: Decimal(r["value"]) for r in _rows(source, year)}


def _pct(part, whole):
    return f"{(part / whole * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _num(d: Decimal) -> str:
    return format(d.normalize(), "f")


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    """A fresh copy of the project: the 2008 PDF built first, then the walkthrough's commands, one by one."""
    root = copy_project(tmp_path_factory.mktemp("walkthrough") / "project")
    shutil.copytree(FIXTURE, root / "tests" / "fixtures" / "edition-2009")
    before = build(Options(project=root)).pdf.read_bytes()    # the 2008 edition, before 2009 existed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # `whitepaper` is this tree's command, whatever is installed on the machine
    prelude = f'whitepaper() {{ "{sys.executable}" -m pipeline.cli "$@"; }}\n'
    ran = []
    for command in walkthrough_commands():
        result = subprocess.run(["bash", "-c", prelude + command], cwd=root, env=env, capture_output=True,
                                text=True, timeout=600)
        ran.append((command, result))
    return root, before, ran


def test_every_command_of_the_walkthrough_succeeds(walkthrough):
    root, _, ran = walkthrough
    for command, result in ran:
        assert result.returncode == 0, f"{command}: {result.stderr}"
    assert (root / "editions" / "2009.yaml").is_file()
    assert (root / "output" / "2009" / "whitepaper-2009.pdf").is_file()
    checked = next(r for c, r in ran if c.strip() == "whitepaper check")
    assert "edition 2008" in checked.stdout and "edition 2009" in checked.stdout


def test_the_2008_pdf_is_byte_identical_to_the_one_built_before_2009_existed(walkthrough):
    root, before, _ = walkthrough
    again = build(Options(project=root, edition="2008"))
    assert again.pdf == root / "output" / "2008" / "whitepaper-2008.pdf"
    assert again.pdf.read_bytes() == before


def test_every_sentence_of_the_2009_edition_shows_the_new_numbers(walkthrough):
    root = walkthrough[0]
    base, forecast = _market(2008, FIXTURE / "market.csv"), _market(2011, FIXTURE / "market.csv")
    workforce = _rows(FIXTURE / "indicators.csv", 2008)[0]
    enterprises = _rows(FIXTURE / "indicators.csv", 2009)[0]
    whole = forecast["offshore"] + forecast["onshore"]
    expected = [
        f"2008 年，中国的软件与信息服务外包市场规模达到了 {_num(base['total'])} 亿美元，其中 ITO 市场规模约为 "
        f"{_num(base['ito'])} 亿美元，BPO 市场规模约为 {_num(base['bpo'])} 亿美元。",
        f"规模达到 {_num(base['offshore'])} 亿美元，约占产业总体市场规模的 {_pct(base['offshore'], base['total'])}",
        f"市场规模约为 {_num(base['onshore'])} 亿美元，约占产业总体市场规模的 {_pct(base['onshore'], base['total'])}",
        f"预计2011 年，离岸外包市场规模将达到 {_num(forecast['offshore'])} 亿美元，占产业总体市场规模的 "
        f"{_pct(forecast['offshore'], whole)}；在岸外包市场规模将达到 {_num(forecast['onshore'])} 亿美元，"
        f"占产业总体市场规模的 {_pct(forecast['onshore'], whole)}。",
        f"企业总数达到 {enterprises['value']} 家",
        f"2008 年，中国软件与信息服务外包从业人员达到 {workforce['value']} 万",
        "图 2-1 2008 年中国软件与信息服务外包市场结构（按业务性质）",
        "图 2-2 离岸外包与在岸外包市场规模（2008 年与 2011 年预计）",
        "《2009 年中国软件与信息服务外包产业发展白皮书》",
    ]
    with pymupdf.open(root / "output" / "2009" / "whitepaper-2009.pdf") as doc:
        text = re.sub(r"\s", "", document_text(doc))
        cover = doc[0].get_text().replace("\n", "")
        everything = "".join(p.get_text() for p in doc)
    for sentence in expected:
        assert re.sub(r"\s", "", sentence) in text, sentence
    assert "2009 年中国软件与信息服务外包产业发展白皮书" in cover
    assert "2009 年版权所有" in everything
    old = _market(2007, ROOT / "data" / "market.csv")
    for gone in (f"{_num(old['total'])}亿美元", f"{_num(old['ito'])}亿美元", f"{_num(old['offshore'])}亿美元",
                 "2007年，中国的软件", "2010年", "30万", "3000家"):
        assert gone not in text, gone


def _figure_page(doc, caption):
    """The page of the figure itself (the last page naming it; 图目录 comes first)."""
    return [p for p in doc if caption in p.get_text().replace("\n", "")][-1]


def _tick(page, label, caption_y):
    """The x of an axis label: its occurrence above the caption (the caption repeats the years)."""
    rects = [r for r in page.search_for(label) if r.y1 < caption_y]
    assert rects, label
    return max(rects, key=lambda r: r.y0).x0


def test_every_chart_of_the_2009_edition_shows_the_new_years_in_order_with_the_forecast_marked(walkthrough):
    root = walkthrough[0]
    base, forecast = _market(2008, FIXTURE / "market.csv"), _market(2011, FIXTURE / "market.csv")
    with pymupdf.open(root / "output" / "2009" / "whitepaper-2009.pdf") as doc:
        pie = _figure_page(doc, "图 2-1")
        assert f"{_num(base['total'])} 亿美元" in pie.get_text()       # the pie's total
        for caption in ("图 2-2", "图 2-3"):
            page = _figure_page(doc, caption)
            words = page.get_text()
            caption_y = page.search_for(caption)[0].y0
            for value in (base["offshore"], base["onshore"], forecast["offshore"], forecast["onshore"]):
                assert _num(value) in words, (caption, value)
            assert "（预计）" in words                                   # 2011 is a forecast in the data
            assert _tick(page, "2008 年", caption_y) < _tick(page, "2011 年", caption_y)
            for old in ("22.8", "129.2", "224"):
                assert old not in words, (caption, old)
        stacked = _figure_page(doc, "图 2-3").get_text()
        assert f"合计 {_num(base['offshore'] + base['onshore'])}" in stacked


def test_diff_lists_every_changed_number_and_nothing_else(walkthrough):
    root = walkthrough[0]
    result = CliRunner().invoke(cli, ["diff", "--project", str(root), "2008", "2009", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["added"] == [] and listed["removed"] == []
    old_base, old_fc = _market(2007, ROOT / "data" / "market.csv"), _market(2010, ROOT / "data" / "market.csv")
    new_base, new_fc = _market(2008, FIXTURE / "market.csv"), _market(2011, FIXTURE / "market.csv")
    chapters = "".join((ROOT / "chapters" / p.name).read_text(encoding="utf-8")
                       for p in sorted((ROOT / "chapters").glob("*.yaml")))
    edition = (ROOT / "editions" / "2008.yaml").read_text(encoding="utf-8")
    title = "{} 年中国软件与信息服务外包产业发展白皮书"
    expected = Counter()
    expected[("2008", "2009")] += edition.count("{{ edition.year }}")     # title, cover line, copyright
    from pipeline.wording import WORDING   # the house words the edition does not override (2008 年版)
    expected[("2008", "2009")] += sum(default.count("{{ edition.year }}") for key, (default, _) in WORDING.items()
                                      if f"\n  {key}:" not in edition and not key.startswith(("excerpt_", "profile_")))
    expected[(title.format(2008), title.format(2009))] += chapters.count("{{ edition.title }}")
    expected[("2007", "2008")] += chapters.count("{{ base_year }}")
    expected[("2010", "2011")] += chapters.count("{{ forecast_year }}")
    for segment in ("total", "ito", "bpo", "offshore", "onshore"):
        expected[(f"{_num(old_base[segment])} 亿美元", f"{_num(new_base[segment])} 亿美元")] += 1
    for segment in ("offshore", "onshore"):
        expected[(f"{_num(old_fc[segment])} 亿美元", f"{_num(new_fc[segment])} 亿美元")] += 1
        expected[(_pct(old_base[segment], old_base["total"]), _pct(new_base[segment], new_base["total"]))] += 1
        expected[(_pct(old_fc[segment], old_fc["offshore"] + old_fc["onshore"]),
                  _pct(new_fc[segment], new_fc["offshore"] + new_fc["onshore"]))] += 1
    old_ind = {r["id"]: r for r in _rows(ROOT / "data" / "indicators.csv")}
    new_ind = {r["id"]: r for r in _rows(FIXTURE / "indicators.csv")}
    expected[(f"{old_ind['enterprises']['value']} 家", f"{new_ind['enterprises']['value']} 家")] += 1
    expected[(f"{old_ind['employment']['value']} 万", f"{new_ind['employment']['value']} 万")] += 1
    text = Counter((c["old"], c["new"]) for c in listed["changes"] if c["kind"] == "text")
    assert text == expected

    # chart points: (year, value) old → new, per series of the two market charts; the pie's two shares
    points = Counter(tuple(tuple(re.findall(r"\d+(?:\.\d+)?", side)) for side in (c["old"], c["new"]))
                     for c in listed["changes"] if c["kind"] == "figure")
    want = Counter()
    for segment in ("ito", "bpo"):
        want[((_num(old_base[segment]),), (_num(new_base[segment]),))] += 1
    for _ in range(2):   # 图 2-2 and 图 2-3
        for segment in ("offshore", "onshore"):
            want[(("2007", _num(old_base[segment])), ("2008", _num(new_base[segment])))] += 1
            want[(("2010", _num(old_fc[segment])), ("2011", _num(new_fc[segment])))] += 1
    assert points == want
    assert not [c for c in listed["changes"] if c["kind"] == "table"]   # the tables hold no periodic data


def test_diff_pdf_highlights_each_changed_number(walkthrough, tmp_path):
    root = walkthrough[0]
    proof = tmp_path / "proof.pdf"
    result = CliRunner().invoke(cli, ["diff", "--project", str(root), "2008", "2009", "--pdf", str(proof)])
    assert result.exit_code == 0, result.output
    new_total = _num(_market(2008, FIXTURE / "market.csv")["total"])
    with pymupdf.open(proof) as doc:
        page = next(p for p in doc if "市场规模达到了" in p.get_text())
        marks = [d["rect"] for d in page.get_drawings()
                 if d.get("fill") and all(abs(a - b) < 0.01 for a, b in zip(d["fill"], HIGHLIGHT))]
        changed = page.search_for(f"{new_total} 亿美元")[0]
        assert any(m.intersects(changed) for m in marks)
        unchanged = page.search_for("市场规模达到了")[0]
        assert not any(m.intersects(unchanged) for m in marks)
    assert not (root / "output" / "manifest.json").read_text(encoding="utf-8").count("proof")
