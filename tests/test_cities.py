"""Per-city excerpts, batch builds, reproducible output and the manifest: real PDFs read back."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys

import pymupdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, body_text, copy_project, document_text
from pipeline.batch import build_cities
from pipeline.build import Options, build
from pipeline.cities import city_profiles, parse_shard, shard
from pipeline.cli import cli
from pipeline.load import load_project
from pipeline.model import Figure, Paragraph, TableBlock, UsageError
from pipeline.resolve import resolve_document

SAMPLE = ["dalian", "yantai", "suzhou"]   # a city with four designations, one with only a training base, a park


def _csv(name):
    with open(ROOT / "data" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


CITIES = {r["id"]: r["name"] for r in _csv("cities.csv")}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _warm_copy(dest, cities_build):
    """A fresh copy of the project with the session's output/ (PDFs, manifest, chart cache): builds stay fast."""
    import shutil

    root = copy_project(dest)
    shutil.copytree(cities_build[0] / "output", root / "output")
    return root


@pytest.fixture(scope="session")
def excerpt_texts(cities_build):
    root, outcomes = cities_build
    texts = {}
    for city, outcome in outcomes.items():
        with pymupdf.open(outcome.pdf) as doc:
            texts[city] = {"all": "".join(p.get_text() for p in doc), "body": document_text(doc),
                           "cover": doc[0].get_text(), "toc": [t for _, t, _ in doc.get_toc()]}
    return texts


def test_every_city_gets_an_excerpt_with_its_profile_and_no_other(cities_build, excerpt_texts):
    root, outcomes = cities_build
    assert sorted(outcomes) == sorted(CITIES)
    profiles = city_profiles(load_project(root))
    for city, name in CITIES.items():
        outcome = outcomes[city]
        assert outcome.ok, outcome.errors
        assert outcome.pdf == root / "output" / "2008" / "cities" / f"{city}.pdf"
        text = excerpt_texts[city]
        assert f"{name}摘编" in text["cover"]
        assert f"2008 年中国软件与信息服务外包产业发展白皮书 · {name}摘编" in text["body"]   # 书名 on the 版权页
        assert f"城市概况：{name}" in text["toc"]
        assert f"城市概况：{name}" in text["body"]
        for other, other_name in CITIES.items():
            if other != city:
                assert f"城市概况：{other_name}" not in text["all"], (city, other)
        held = profiles[city].designations
        assert held, city
        for d in held:
            assert d.type_name in text["body"]
            assert (d.site or d.target_market or d.type_name) in text["body"]


def test_profile_page_lists_every_designation_in_a_table(cities_build):
    root, outcomes = cities_build
    with pymupdf.open(outcomes["dalian"].pdf) as doc:
        page = next(p for p in doc if body_text(p).startswith("城市概况：大连"))   # not the 目录's line
        text = body_text(page)
        assert "大连获批 4 项国家级软件与信息服务外包产业载体及人才实训基地称号" in text
        for row in ("国家软件产业基地第 3 个，共 11 个", "国家软件出口基地第 2 个，共 6 个",
                    "中国服务外包基地城市第 1 个，共 14 个", "对日市场"):
            assert row in text.replace("—", "").replace("2008 年 4 月", ""), row
        # front matter: cover, 版权页, 目录, 图目录 and 表目录, then the city, then 前言
        assert page.get_label() == "v"
        assert body_text(doc[page.number - 2]).startswith("目录")
        assert body_text(doc[page.number + 1]).startswith("前言")
        assert "大连获批的国家级软件与信息服务外包产业载体及人才实训基地" in text     # the table's caption


def test_excerpt_rules_national_chapters_in_full_the_rest_about_the_city(excerpt_texts):
    chapters = {}
    for name in sorted((ROOT / "chapters").glob("[0-9]*.yaml")):
        data = yaml.safe_load(name.read_text(encoding="utf-8"))
        chapters[data["number"]] = data
    cn = "零一二三四五六七八九十"
    for city in SAMPLE:
        toc = excerpt_texts[city]["toc"]
        for number, data in chapters.items():
            title = data["title"] if number == 0 else f"{cn[number]}、{data['title']}"
            mode = data.get("excerpt", "city")
            if mode == "full":
                assert title in toc, (city, title)
            if mode == "none":
                assert title not in toc, (city, title)
    dalian, yantai = excerpt_texts["dalian"]["body"], excerpt_texts["yantai"]["body"]
    # the training-base paragraph names 大连 and 烟台: in both; the carriers paragraph does not name 烟台
    assert "大连（对日）" in dalian and "烟台（对韩）" in yantai
    assert "中国先后批准确定了" in dalian and "中国先后批准确定了" not in yantai
    # the chart of designations per city shows 大连, not 烟台 (no base, zone or city designation)
    assert "图 5-2" in dalian and "图 5-2" not in yantai
    # numbers stay those of the full edition
    assert "表 5-1" in yantai and "图 5-1" in yantai


def _table_rows_text(pdf, caption: str) -> str:
    with pymupdf.open(pdf) as doc:
        for page in reversed(doc):   # the last page naming it: the table, not the 表目录
            text = body_text(page)
            if caption in text:
                start = text.index(caption)
                return text[start:text.index("资料来源", start)]
    raise AssertionError(f"{caption} not found in {pdf}")


def test_city_table_is_reduced_to_the_citys_row(cities_build):
    root, outcomes = cities_build
    for city in SAMPLE:
        rows = _table_rows_text(outcomes[city].pdf, "表 5-1")
        assert CITIES[city] in rows
        assert [n for c, n in CITIES.items() if c != city and n in rows] == []
    assert "江苏苏州工业园区" in _table_rows_text(outcomes["suzhou"].pdf, "表 5-1")


def _figure_fills(pdf, caption: str):
    with pymupdf.open(pdf) as doc:
        page = next(p for p in reversed(doc) if caption in p.get_text())   # the figure, not the 图目录
        return [(tuple(round(v, 1) for v in d["rect"]), d.get("fill")) for d in page.get_drawings() if d.get("fill")]


def test_highlighted_chart_differs_between_cities(cities_build):
    root, outcomes = cities_build
    dalian = _figure_fills(outcomes["dalian"].pdf, "图 5-2")
    shanghai = _figure_fills(outcomes["shanghai"].pdf, "图 5-2")
    assert dalian != shanghai
    muted = (0.831, 0.831, 0.831)   # the neutral grey of the other cities, #d4d4d4
    for fills in (dalian, shanghai):
        assert any(all(abs(a - b) < 0.01 for a, b in zip(fill, muted)) for _, fill in fills)
    # a chart that does not show cities is the same drawing in every excerpt
    assert _figure_fills(outcomes["dalian"].pdf, "图 2-1") == _figure_fills(outcomes["shanghai"].pdf, "图 2-1")


def test_warm_rebuild_in_one_process_draws_no_chart_and_is_byte_identical(cities_build):
    """-j 2 from a cold cache (the session build) and -j 1 from a warm one: the same bytes."""
    root, outcomes = cities_build
    first = {c: outcomes[c].pdf.read_bytes() for c in SAMPLE}
    again = build_cities(Options(project=root), SAMPLE, jobs=1)
    assert [o.city for o in again] == SAMPLE
    assert sum(o.result.charts_rendered for o in again) == 0
    for o in again:
        assert o.pdf.read_bytes() == first[o.city], o.city


def test_warm_edition_rebuild_draws_no_chart_and_is_byte_identical(edition):
    result, root = edition
    before = result.pdf.read_bytes()
    again = build(Options(project=root))
    assert again.charts_rendered == 0 and again.charts_cached > 0
    assert again.pdf.read_bytes() == before
    assert again.sha256 == hashlib.sha256(before).hexdigest()


def test_source_date_epoch_sets_the_document_date(cities_build, tmp_path, monkeypatch):
    project = _warm_copy(tmp_path / "project", cities_build)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")   # 2009-02-13 23:31:30 UTC
    result = build(Options(project=project, city="yantai"))
    with pymupdf.open(result.pdf) as doc:
        assert doc.metadata["creationDate"].startswith("D:20090213233130")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    result = build(Options(project=project, city="yantai"))
    with pymupdf.open(result.pdf) as doc:
        assert doc.metadata["creationDate"].startswith("D:20080101")   # the edition's year, never "now"


def test_manifest_lists_edition_and_cities_with_hashes(cities_build):
    root, outcomes = cities_build
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    pdfs = manifest["pdfs"]
    assert "2008/whitepaper-2008.pdf" in pdfs and pdfs["2008/whitepaper-2008.pdf"]["kind"] == "edition"
    for city in CITIES:
        entry = pdfs[f"2008/cities/{city}.pdf"]
        pdf = root / "output" / "2008" / "cities" / f"{city}.pdf"
        assert entry["sha256"] == _sha(pdf)
        assert entry["city"] == city and entry["kind"] == "city"
        with pymupdf.open(pdf) as doc:
            assert entry["pages"] == doc.page_count
        assert len(entry["inputs"]) == 64
    assert len({pdfs[f"2008/cities/{c}.pdf"]["inputs"] for c in CITIES}) == len(CITIES)   # the city is an input
    assert pdfs["2008/whitepaper-2008.pdf"]["sha256"] == _sha(root / "output" / "2008" / "whitepaper-2008.pdf")


def test_a_city_build_keeps_the_editions_manifest_entry_and_inputs_follow_the_data(cities_build, tmp_path):
    project = _warm_copy(tmp_path / "project", cities_build)
    for pdf in (project / "output" / "2008" / "cities").glob("*.pdf"):
        pdf.unlink()
    first = build(Options(project=project, city="大连"))
    manifest = json.loads((project / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["pdfs"]) == {"2008/whitepaper-2008.pdf", "2008/cities/dalian.pdf"}   # deleted PDFs drop out
    market = project / "data" / "market.csv"
    market.write_text(market.read_text(encoding="utf-8").replace("2010,onshore,224", "2010,onshore,225"),
                      encoding="utf-8")
    second = build(Options(project=project, city="dalian"))
    assert second.inputs != first.inputs
    assert second.charts_rendered == 2   # only the two charts that read the 2010 onshore value


def test_shards_cover_every_city_exactly_once():
    ids = list(CITIES)
    for n in range(1, 7):
        shards = [shard(ids, i, n) for i in range(1, n + 1)]
        flat = [c for s in shards for c in s]
        assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat)), n
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
        assert shards == [shard(list(reversed(ids)), i, n) for i in range(1, n + 1)]   # order-independent
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0", "1-4"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_unknown_city_exits_2_with_the_known_list_and_a_suggestion(project):
    result = CliRunner().invoke(cli, ["build", "--project", str(project), "--city", "大莲"])
    assert result.exit_code == 2, result.output
    assert "error: unknown city '大莲' (did you mean 大连 (dalian)" in result.output
    for city, name in CITIES.items():
        assert f"{name} ({city})" in result.output
    result = CliRunner().invoke(cli, ["build", "--project", str(project), "--city", "shanghia"])
    assert result.exit_code == 2 and "did you mean 上海 (shanghai)?" in result.output
    assert not (project / "output" / "2008" / "cities").exists()


def test_city_by_name_or_id_resolves_the_same_document(project):
    loaded = load_project(project)
    by_name = resolve_document(loaded, 0, "大连")
    by_id = resolve_document(loaded, 0, "dalian")
    assert by_name == by_id and by_id.city_profile.id == "dalian"


def test_block_rules_in_the_chapter_yaml(project):
    carriers = project / "chapters" / "05-carriers.yaml"
    text = carriers.read_text(encoding="utf-8")
    text = text.replace("excerpt: always   # true of every designated city", "excerpt: never")
    text = text.replace("blocks:\n", "blocks:\n  - heading: {title: 无关的小节}\n  - paragraph: 与任何城市无关的一段。\n"
                                     "  - heading: {title: 载体}\n", 1)
    carriers.write_text(text, encoding="utf-8")
    concepts = project / "chapters" / "01-concepts.yaml"
    text = concepts.read_text(encoding="utf-8")
    concepts.write_text(text.replace("  - paragraph: >-\n      按地域分类",
                                     "  - paragraph:\n      excerpt: never\n      text: >-\n        按地域分类"),
                        encoding="utf-8")
    loaded = load_project(project)
    edition = resolve_document(loaded, 0)
    dalian = resolve_document(loaded, 0, "dalian")
    chapter5 = next(c for c in dalian.chapters if c.number == 5)
    titles = [getattr(b, "title", None) for b in chapter5.blocks]
    assert "无关的小节" not in titles and "载体" in titles   # a heading stays only with something of its section
    assert not any(isinstance(b, Paragraph) and b.text.startswith("围绕着") for b in chapter5.blocks)
    assert [b.number for b in chapter5.blocks if isinstance(b, (Figure, TableBlock))] == ["5-1", "5-1", "5-2"]
    chapter1 = next(c for c in dalian.chapters if c.number == 1)
    assert len(chapter1.blocks) == 1   # 'never' wins over the chapter's 'full'
    # the full edition ignores excerpt rules
    assert len(next(c for c in edition.chapters if c.number == 1).blocks) == 2


def test_one_failing_city_does_not_stop_the_others(project):
    # a city the fonts cannot print (U+20000, outside GBK): its excerpt fails the glyph check, the edition does not
    with open(project / "data" / "cities.csv", "a", encoding="utf-8") as f:
        f.write("nocity,\U00020000城\n")
    result = CliRunner().invoke(cli, ["build", "--project", str(project), "--city", "yantai", "--city", "nocity",
                                      "-j", "2", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    by_city = {p["city"]: p for p in report["pdfs"]}
    assert by_city["yantai"]["ok"] and by_city["yantai"]["pages"] > 0 and len(by_city["yantai"]["sha256"]) == 64
    assert not by_city["nocity"]["ok"] and "U+20000" in by_city["nocity"]["errors"][0]
    assert (project / "output" / "2008" / "cities" / "yantai.pdf").is_file()
    assert not (project / "output" / "2008" / "cities" / "nocity.pdf").exists()
    assert "2 city excerpts: 1 built, 1 failed (nocity)" in result.stderr


def test_json_result_of_an_edition_build(edition, tmp_path):
    result, root = edition
    out = tmp_path / "e.pdf"
    run = CliRunner().invoke(cli, ["build", "--project", str(root), "-o", str(out), "--json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert report["ok"] and report["errors"] == []
    [pdf] = report["pdfs"]
    assert pdf["path"] == str(out) and pdf["ok"] and pdf["pages"] == result.pages
    assert pdf["sha256"] == _sha(out) == _sha(result.pdf)


def test_cities_command_lists_every_city_and_its_designations():
    result = CliRunner().invoke(cli, ["cities", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(CITIES)
    dalian = next(line for line in lines if line.startswith("dalian "))
    assert "大连" in dalian and "国家软件出口基地" in dalian and "（对日）" in dalian
    listed = json.loads(CliRunner().invoke(cli, ["cities", "--project", str(ROOT), "--json"]).stdout)
    assert [c["id"] for c in listed] == list(CITIES)
    suzhou = next(c for c in listed if c["id"] == "suzhou")
    assert suzhou["designations"][0]["site"] == "江苏苏州工业园区"


def test_usage_errors_of_city_options(project):
    runner = CliRunner()
    for argv in (["--shard", "1/2"], ["--all-cities", "--shard", "3/2"], ["--all-cities", "--city", "dalian"],
                 ["--all-cities", "-o", "x.pdf"], ["--all-cities", "-j", "0"]):
        result = runner.invoke(cli, ["build", "--project", str(project), *argv])
        assert result.exit_code == 2, (argv, result.output)


def test_concurrent_builds_share_the_cache_safely(project, cities_build):
    """Two processes build the same excerpt at once, cold: same charts, same PDF, same manifest."""
    root, outcomes = cities_build
    exe = [sys.executable, "-m", "pipeline.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(exe + ["build", "--project", str(project), "--city", "dalian"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    pdf = project / "output" / "2008" / "cities" / "dalian.pdf"
    assert pdf.read_bytes() == outcomes["dalian"].pdf.read_bytes()
    cached = list((project / "output" / ".cache" / "charts").iterdir())
    assert not [c for c in cached if c.name.endswith(".tmp")]  # no half-written cache files
    drawings = [c for c in cached if c.suffix == ".json"]   # the charts' drawings (pipeline/charts/vector.py)
    assert drawings and all(json.loads(d.read_bytes())["drawing"]["k"] == "Drawing" for d in drawings)
    # every entry has its seal, and nothing else (no pickle) is in the cache
    # (output/.cache/matplotlib is matplotlib's own font list, kept out of $HOME: not an entry of ours)
    entries = [c for c in (project / "output" / ".cache").rglob("*")
               if c.is_file() and "matplotlib" not in c.relative_to(project / "output" / ".cache").parts[:1]]
    # .face: a font's attributes, a JSON line and packed arrays (pipeline/typeset/fontcache.py)
    assert {c.suffix for c in entries} <= {".json", ".txt", ".face", ".mac"}, entries
    assert {c for c in entries if c.suffix != ".mac"} == {c.with_suffix("") for c in entries if c.suffix == ".mac"}
    manifest = json.loads((project / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdfs"]["2008/cities/dalian.pdf"]["sha256"] == _sha(pdf)


def test_excerpts_embed_only_our_fonts(cities_build):
    """A highlighted (bold) city label must use the embedded bold face, not a fallback (it once came out as boxes)."""
    root, outcomes = cities_build
    import re

    for city in ("dalian", "beijing"):
        with pymupdf.open(outcomes[city].pdf) as doc:
            names = {f[3] for page in doc for f in page.get_fonts()}
        assert names and all(re.match(r"^[A-Z]{6}\+Noto(Serif|Sans)CJKsc-(Regular|Bold)$", n) for n in names), names


def test_bar_and_pie_charts_highlight_the_city_too(tmp_path):
    from pipeline.charts import render_charts
    from pipeline.charts.style import MUTED
    from pipeline.model import ChartSpec

    fonts = load_project(ROOT).fonts
    plain = ChartSpec(kind="bar", title="t", categories=("北京", "大连", "上海"), series=(("个", (3.0, 4.0, 3.0)),),
                      unit="个")
    marked = ChartSpec(**{**plain.__dict__, "highlight": ("大连",)})
    pie = ChartSpec(**{**marked.__dict__, "kind": "pie"})
    images, drawn = render_charts([plain, marked, pie], fonts["sans"], fonts["sans-bold"], tmp_path)
    assert drawn == 3
    fills, fonts_used = zip(*(_fills_and_fonts(json.loads(img.path.read_bytes())["drawing"]) for img in images))
    muted = tuple(int(MUTED[i:i + 2], 16) for i in (1, 3, 5))
    assert muted not in fills[0] and "sans-bold" not in fonts_used[0]
    assert muted in fills[1] and "sans-bold" in fonts_used[1]
    assert muted in fills[2]


def _fills_and_fonts(node: dict, fills=None, fonts=None) -> tuple[set, set]:
    """The fill colours (as 0–255 RGB) and font roles of a chart drawing's shapes."""
    fills, fonts = (set(), set()) if fills is None else (fills, fonts)
    colour = node["a"].get("fillColor")
    if node["k"] == "Path" and colour:
        fills.add(tuple(round(c * 255) for c in colour[:3]))
    if node["k"] == "String":
        fonts.add(node["a"]["fontName"])
    for child in node.get("c", ()):
        _fills_and_fonts(child, fills, fonts)
    return fills, fonts


# ---------------------------------------------------------------- which tables hold the cities

def _rename_city_tables(root) -> None:
    """The project with its city tables under other names (and files): towns, honours, honour_kinds."""
    renames = {"cities": "towns", "designations": "honours", "designation_types": "honour_kinds"}
    tables = root / "data" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    for old, new in renames.items():
        (root / "data" / f"{old}.csv").rename(root / "data" / f"{new}.csv")
        for before, after in ((f"- name: {old}\n", f"- name: {new}\n"), (f"path: {old}.csv", f"path: {new}.csv")):
            assert before in text, before
            text = text.replace(before, after)
        text = text.replace(f"resource: {old},", f"resource: {new},")     # foreign keys
    text = text.replace("resource: cities  ", "resource: towns   ")
    text = text.replace("designations: designations", "designations: honours")
    text = text.replace("designation_types: designation_types", "designation_types: honour_kinds")
    tables.write_text(_renamed_in_templates(text, renames), encoding="utf-8")
    for chapter in (root / "chapters").glob("*.yaml"):
        text = _renamed_in_templates(chapter.read_text(encoding="utf-8"), renames)
        for old, new in renames.items():
            text = text.replace(f"table: {old}\n", f"table: {new}\n")
        chapter.write_text(text, encoding="utf-8")


def _renamed_in_templates(text: str, renames: dict) -> str:
    for old, new in renames.items():
        text = text.replace(f"row('{old}'", f"row('{new}'").replace(f"rows('{old}'", f"rows('{new}'")
    return text


def test_excerpts_build_from_city_tables_of_other_names(tmp_path, cities_build, excerpt_texts):
    """Nothing in pipeline/ knows the tables are called cities, designations and designation_types:
    data/tables.yaml's ``cities:`` says so, and the same excerpt comes out under other names."""
    root = copy_project(tmp_path / "renamed")
    _rename_city_tables(root)
    project = load_project(root)
    assert not {"cities", "designations", "designation_types"} & set(project.tables)
    assert list(city_profiles(project)) == list(CITIES)
    outcome = build(Options(project=root, city="大连"))
    assert outcome.pdf == root / "output" / "2008" / "cities" / "dalian.pdf"
    with pymupdf.open(outcome.pdf) as doc:
        assert "".join(p.get_text() for p in doc) == excerpt_texts["dalian"]["all"]
    result = CliRunner().invoke(cli, ["build", "--project", str(root), "--city", "大莲"])
    assert result.exit_code == 2
    assert "data/towns.csv has: 北京 (beijing)" in result.output


def test_a_publication_that_declares_no_cities_has_none(tmp_path):
    from conftest import copy_bulletin

    root = copy_bulletin(tmp_path / "bulletin")
    listed = CliRunner().invoke(cli, ["cities", "--project", str(root), "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []
    result = CliRunner().invoke(cli, ["build", "--project", str(root), "--city", "dalian"])
    assert result.exit_code == 2
    assert "this publication has no cities (data/tables.yaml has no cities: declaration)" in result.output
    assert not (root / "output").exists() or not list((root / "output").rglob("*.pdf"))
    # the shipped project without its declaration: cities.csv is just a table then
    project = copy_project(tmp_path / "project")
    tables = project / "data" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    start = text.index("\ncities:\n")
    end = text.index("\nresources:")
    tables.write_text(text[:start] + text[end:], encoding="utf-8")
    assert "cities" in load_project(project).tables
    assert city_profiles(load_project(project)) == {}
