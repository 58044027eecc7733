"""Editions, periods, chart order, numbers typed into the text: real builds, read back."""
from __future__ import annotations

import json
import re

import pymupdf
from click.testing import CliRunner

from conftest import ROOT, copy_bulletin
from pipeline.build import Options, build
from pipeline.cli import cli

# a year written into a data selection: where: {year: 2007}, q('market', year=2007), rows(…, year=2007)
_LITERAL_YEAR_IN_SELECTION = re.compile(r"(where:[^\n]*|\b(?:q|row|rows)\([^)]*)\b(19|20)\d\d\b")


def test_no_shipped_chapter_selects_data_by_a_literal_year():
    for path in sorted((ROOT / "chapters").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found = _LITERAL_YEAR_IN_SELECTION.search(text)
        assert found is None, f"{path.name}: {found.group(0)}"


def test_the_shipped_project_passes_check_with_no_number_typed_into_the_text():
    result = CliRunner().invoke(cli, ["check", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "ok: edition 2008:" in result.output


def test_a_literal_marked_number_passes_and_an_unmarked_one_is_located(project):
    chapter = project / "chapters" / "06-policies.yaml"
    text = chapter.read_text(encoding="utf-8")
    marked = text.replace("中国政府高度重视", "中国政府（见<lit>国发〔2000〕18 号</lit>）高度重视", 1)
    chapter.write_text(marked, encoding="utf-8")
    assert CliRunner().invoke(cli, ["check", "--project", str(project)]).exit_code == 0
    chapter.write_text(marked.replace("高度重视", "第 3 次高度重视", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--project", str(project)])
    assert result.exit_code == 1
    lines = chapter.read_text(encoding="utf-8").split("\n")
    line = next(i for i, l in enumerate(lines, 1) if "第 3 次" in l)
    column = lines[line - 1].index("3 次") + 1
    assert f"error: chapters/06-policies.yaml:{line}:{column}: blocks[0].paragraph: the number 3 is typed" \
           in result.output
    assert "2000" not in result.output and "18" not in result.output   # marked literal: not reported
    # a build still builds: the check is check's
    assert build(Options(project=project)).pdf.is_file()


def test_a_single_edition_project_builds_where_it_always_did(bulletin):
    result, root = bulletin
    assert result.pdf == root / "output" / "whitepaper-2017.pdf"
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert "whitepaper-2017.pdf" in manifest["pdfs"] and "edition" not in manifest["pdfs"]["whitepaper-2017.pdf"]


def test_the_bulletin_selects_its_periods_by_name_and_orders_its_years(tmp_path):
    root = copy_bulletin(tmp_path / "bulletin")
    for name in ("amounts.csv", "services.csv"):   # newest year first (both: a rule compares their orders)
        csv = root / "data" / name
        header, *rows = csv.read_text(encoding="utf-8").splitlines()
        csv.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    result = build(Options(project=root))
    with pymupdf.open(result.pdf) as doc:
        page = [p for p in doc if "图 1-1" in p.get_text()][-1]
        caption_y = page.search_for("图 1-1")[0].y0
        xs = []
        for year in ("2013 年", "2014 年", "2015 年", "2016 年"):
            rects = [r for r in page.search_for(year) if r.y1 < caption_y]
            assert rects, year
            xs.append(max(rects, key=lambda r: r.y0).x0)
    assert xs == sorted(xs)   # ascending, whatever the CSV's order


def test_all_editions_build_side_by_side_and_the_manifest_keeps_them_apart(project):
    first = CliRunner().invoke(cli, ["build", "--project", str(project)])
    assert first.exit_code == 0 and "2008/whitepaper-2008.pdf" in first.output, first.output
    second = (project / "editions" / "2008.yaml").read_text(encoding="utf-8")
    second = second.replace("year: 2008", "year: 2010").replace("short_title: 中国", "short_title: 再版中国")
    (project / "editions" / "2010.yaml").write_text(second, encoding="utf-8")
    # a new edition file: `build` (the newest) is not "up to date" with the edition built before it
    newest = CliRunner().invoke(cli, ["build", "--project", str(project)])
    assert newest.exit_code == 0 and "2010/whitepaper-2010.pdf" in newest.output, newest.output
    assert "up to date" not in newest.output
    result = CliRunner().invoke(cli, ["build", "--project", str(project), "--all-editions"])
    assert result.exit_code == 0, result.output
    for year in (2008, 2010):
        assert (project / "output" / str(year) / f"whitepaper-{year}.pdf").is_file()
    newest = CliRunner().invoke(cli, ["build", "--project", str(project), "--city", "dalian"])
    assert newest.exit_code == 0, newest.output
    assert (project / "output" / "2010" / "cities" / "dalian.pdf").is_file()
    assert not (project / "output" / "2008" / "cities").exists()
    pdfs = json.loads((project / "output" / "manifest.json").read_text(encoding="utf-8"))["pdfs"]
    assert {k: v["edition"] for k, v in pdfs.items()} == {
        "2008/whitepaper-2008.pdf": "2008", "2010/whitepaper-2010.pdf": "2010", "2010/cities/dalian.pdf": "2010"}
    with pymupdf.open(project / "output" / "2010" / "whitepaper-2010.pdf") as doc:
        assert "2010 年中国软件与信息服务外包产业发展白皮书" in doc[0].get_text().replace("\n", "")


def test_an_edition_without_data_for_its_period_writes_nothing(project):
    edition = project / "editions" / "2008.yaml"
    edition.write_text(edition.read_text(encoding="utf-8").replace("  base: 2007 ", "  base: 2003 "),
                       encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--project", str(project)])
    assert result.exit_code == 1
    assert "error: editions/2008.yaml:9:9: periods.base: 2003: no periodic table has data for it" in result.output
    assert not list(project.glob("output/**/*.pdf")) and not (project / "output" / "manifest.json").exists()


def test_new_edition_moves_year_and_periods_on_and_keeps_comments(project):
    result = CliRunner().invoke(cli, ["new-edition", "--project", str(project), "2011"])
    assert result.exit_code == 0, result.output
    old = (project / "editions" / "2008.yaml").read_text(encoding="utf-8").splitlines()
    new = (project / "editions" / "2011.yaml").read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert changed == [("year: 2008", "year: 2011"),
                       ("  base: 2007       # the market and workforce figures",
                        "  base: 2010       # the market and workforce figures"),
                       ("  forecast: 2010   # the market forecast", "  forecast: 2013   # the market forecast"),
                       ("  current: 2008    # “目前”: the enterprise count, as of writing",
                        "  current: 2011    # “目前”: the enterprise count, as of writing")]
    again = CliRunner().invoke(cli, ["new-edition", "--project", str(project), "2011"])
    assert again.exit_code == 2 and "exists already" in again.output
