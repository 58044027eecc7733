"""The bulletin test publication (tests/fixtures/bulletin), built for real and read back from the PDF.

It shares nothing with the 2008 whitepaper but the fonts: other title, publisher, years, tables,
chapters, no 前言 and no cities. Every expected string below is written by hand from its CSVs
(本简报为测试用数据，非真实统计), not computed by the code under test.
"""
from __future__ import annotations

import re

import pymupdf
import pytest
from click.testing import CliRunner

from conftest import BULLETIN, FOOTER_TOP, HEADER_BOTTOM, body_text, copy_bulletin, document_text
from pdf_lines import pdf_lines
from pipeline.cli import cli

TITLE = "2016 年服务外包产业运行简报"

CHAPTERS = ["一、全年运行概况", "二、业务结构变化", "三、离岸来源市场", "四、下阶段展望", "五、统计说明"]
SECTIONS = ["（一）年度规模", "（二）季度走势"]

# Every paragraph as it must read, in order; the figures are those of data/*.csv.
PARAGRAPHS = [
    "2016 年，服务外包合同金额达到 1064.6 亿美元，比上年增长 22.0%；执行金额为 704.1 亿美元，"
    "比上年增长 8.9%，合同执行率为 66.1%。",
    "分季度看，第一季度执行金额 146.2 亿美元；第二季度执行金额 172.5 亿美元；第三季度执行金额 178.9 亿美元；"
    "第四季度执行金额 206.5 亿美元。第四季度执行金额占全年的 29.3%，为全年最高。",
    "按业务类型划分，2016 年信息技术外包（ITO）执行金额为 333.8 亿美元，占 47.4%；业务流程外包（BPO）为 "
    "113.9 亿美元，占 16.2%；知识流程外包（KPO）为 256.4 亿美元，占 36.4%。",
    "知识流程外包增长最快。2013 年至 2016 年，KPO 执行金额由 154.4 亿美元增至 256.4 亿美元，累计增长 66.1%，"
    "高于同期执行金额总体 55.1% 的增幅。",
    "2016 年，离岸服务外包执行金额主要来自美国、欧盟、中国香港、日本四个市场，合计占全年执行金额的 63.2%。"
    "其中美国 165.3 亿美元，欧盟 118.7 亿美元，中国香港 97.5 亿美元，日本 63.2 亿美元。",
    "美国仍是第一大来源市场，占全年执行金额的 23.5%；来自欧盟的业务比上年有所增加，日本市场的份额继续下降。",
    "2013 年至 2016 年，合同金额累计增长 70.8%，在手合同充足。预计下一年度执行金额将保持平稳增长，"
    "知识流程外包和离岸业务仍是主要增长点。",
    "下阶段应继续提高合同执行率，拓展欧盟等新兴来源市场，培育面向研发设计、数据分析的高端服务能力。",
    "合同金额指报告期内新签订的服务外包合同的金额；执行金额指报告期内实际完成并结算的金额。"
    "金额单位均为亿美元，增长率按四舍五入保留一位小数。",
    "本简报为测试用数据，非真实统计：文中全部数字均为虚构，仅用于检验排版流程。",
]

# Anything of the 2008 whitepaper: its genre, publishers, year, subject and front matter.
LEAKS = ["白皮书", "CSIP", "2008", "二〇〇八", "信息产业部", "软件与信息服务外包", "工业和信息化部",
         "中国软件行业协会", "软件与集成电路促进中心", "前言", "基地城市", "大连"]


@pytest.fixture(scope="module")
def pdf(bulletin):
    doc = pymupdf.open(bulletin[0].pdf)
    yield doc
    doc.close()


IMAGE_CAPTION = "图 5-1\u3000简报数据的采集与汇总流程"     # a picture (tests/test_writing.py), not a chart


def _figure_pages(doc):
    """Body pages that show a chart: a 图 N-M caption and its 资料来源 line (not the 图目录, not the image's page)."""
    return [p for p in doc if re.search(r"图 \d+-\d+\u3000", body_text(p)) and "资料来源" in body_text(p)
            and IMAGE_CAPTION not in body_text(p)]


def test_title_on_the_cover_and_in_the_metadata(pdf):
    cover = pdf[0].get_text().replace("\n", "")
    assert "2016 年服务外包产业运行简报" in cover          # cover_title: two lines, read back joined
    assert "服务外包运行监测课题组" in cover
    assert "二〇一七年三月" in cover
    meta = pdf.metadata
    assert meta["title"] == TITLE
    assert meta["author"] == "服务外包运行监测课题组"
    assert meta["keywords"] == "服务外包, 合同金额, 执行金额, KPO, 离岸市场"
    assert meta["creationDate"].startswith("D:201703")


def test_copyright_page_says_the_data_are_fictional(pdf):
    text = pdf[1].get_text().replace("\n", "")
    assert f"书\u3000\u3000名：{TITLE}" in text
    assert "版\u3000\u3000次：2017 年版" in text
    assert "本简报为测试用数据，非真实统计。" in text


def test_outline_has_every_chapter_and_section_and_no_preface(pdf):
    toc = pdf.get_toc()
    assert [t for level, t, page in toc if level == 1] == ["目录", "图目录", "表目录"] + CHAPTERS
    assert [t for level, t, page in toc if level == 2] == SECTIONS
    # chapter one opens page 1 (the first arabic folio)
    first = next(page for level, t, page in toc if t == CHAPTERS[0]) - 1
    assert pdf[first].get_label() == "1"
    assert body_text(pdf[first]).startswith(CHAPTERS[0])


def test_every_paragraph_appears_verbatim_and_in_order(pdf):
    text = document_text(pdf)
    position = 0
    for paragraph in PARAGRAPHS:
        found = text.find(paragraph, position)
        assert found >= 0, f"not found (verbatim, after position {position}): {paragraph[:30]}…"
        position = found + len(paragraph)


def test_every_csv_figure_is_printed_with_its_unit(pdf):
    text = document_text(pdf)
    printed = ["1064.6 亿美元", "704.1 亿美元",                                  # amounts.csv, 2016
               "146.2 亿美元", "172.5 亿美元", "178.9 亿美元", "206.5 亿美元",  # quarters.csv
               "333.8 亿美元", "113.9 亿美元", "256.4 亿美元", "154.4 亿美元",  # services.csv
               "165.3 亿美元", "118.7 亿美元", "97.5 亿美元", "63.2 亿美元"]    # origins.csv
    for figure in printed:
        assert figure in text, figure
    # every amount of amounts.csv is a bar label of the grouped bar chart
    chart = body_text(_figure_pages(pdf)[0])
    for value in ("623.4", "454.1", "718.3", "559.2", "872.9", "646.4", "1064.6", "704.1"):
        assert value in chart, value


def test_three_vector_charts_of_three_kinds(pdf):
    pages = _figure_pages(pdf)
    captions = [m for p in pages for m in re.findall(r"图 (\d+-\d+)\u3000", body_text(p))]
    assert captions == ["1-1", "2-1", "3-1"]
    for page in pages:
        assert not page.get_images(), "charts must be vector, not raster"
        assert len(page.get_drawings()) > 5
    text = document_text(pdf)
    assert "图 1-1\u30002013 年至 2016 年服务外包合同金额与执行金额" in text
    assert "图 2-1\u30002016 年服务外包执行金额的业务构成" in text
    assert "图 3-1\u30002016 年离岸服务外包执行金额的主要来源市场" in text
    assert text.count("资料来源：服务外包运行监测课题组（测试数据）") == 5   # three charts, one table, one image
    pie = body_text(pages[1])
    assert "知识流程外包（KPO）" in pie and "256.4 亿美元（36.4%）" in pie
    barh = body_text(pages[2])
    assert all(name in barh for name in ("美国", "欧盟", "日本", "中国香港"))


def test_table_caption_unit_and_rows(pdf):
    text = document_text(pdf)
    caption = "表 1-1\u30002016 年分季度服务外包执行金额"
    at = text.rfind(caption)                   # the body's caption, after the 表目录's line
    assert at > text.find(caption) >= 0
    after = text[at:]
    assert after.startswith(caption + "单位：亿美元季度执行金额")
    assert "第一季度146.2第二季度172.5第三季度178.9第四季度206.5" in after
    toc_pages = "".join(p.get_text() for p in pdf if "表目录" in p.get_text())
    assert "表 1-1\u30002016 年分季度服务外包执行金额" in toc_pages


def test_nothing_of_the_2008_whitepaper_leaks_in(pdf):
    texts = [page.get_text() for page in pdf]                      # the whole page: cover, headers, folios
    texts += [v for v in pdf.metadata.values() if isinstance(v, str)]
    texts += [t for level, t, page in pdf.get_toc()]
    texts.append(pdf.get_xml_metadata() or "")
    for leak in LEAKS:
        hits = [t[:40] for t in texts if leak in t]
        assert not hits, f"{leak!r} in {hits}"


def test_running_header_is_the_bulletins(pdf):
    for page in pdf[2:]:
        header = page.get_text("text", clip=pymupdf.Rect(0, 0, page.rect.width, HEADER_BOTTOM))
        assert header.startswith("服务外包产业运行简报")


def test_no_line_starts_with_closing_punctuation(bulletin):
    lines = pdf_lines(bulletin[0].pdf, font_substring="Serif", clip=pymupdf.Rect(0, HEADER_BOTTOM, 595, FOOTER_TOP))
    starts = [line.visible[0].c for line in lines if line.visible]
    assert starts
    assert not [c for c in starts if c in "，。、；：？！）》”%"]


def test_check_passes_in_place_through_the_relative_fonts_link():
    assert (BULLETIN / "fonts").is_symlink()
    result = CliRunner().invoke(cli, ["check", "--project", str(BULLETIN)])
    assert result.exit_code == 0, result.output


def test_a_broken_sum_is_caught_by_the_bulletins_own_rule(tmp_path):
    root = copy_bulletin(tmp_path / "bulletin")
    services = root / "data" / "services.csv"
    text = services.read_text(encoding="utf-8")
    assert "2016,kpo,256.4" in text
    services.write_text(text.replace("2016,kpo,256.4", "2016,kpo,266.4"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--project", str(root)])
    assert result.exit_code == 1, result.output
    assert "tables.yaml" in result.output
    assert "2016 年 ITO、BPO 与 KPO 之和等于总额" in result.output
    assert "Traceback" not in result.output


def test_the_pdf_does_not_depend_on_where_the_project_lies(tmp_path, monkeypatch):
    """Same inputs, same bytes, wherever the folder is (CI checks out at other paths): the bulletin
    has a bitmap image, whose PDF object was once named after its file's absolute path."""
    from pipeline.build import Options, build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pdfs = []
    for where in ("one", "second/place"):
        root = copy_bulletin(tmp_path / where / "bulletin")
        pdfs.append(build(Options(project=root)).pdf.read_bytes())
    assert pdfs[0] == pdfs[1]


def test_the_periods_table_is_the_one_the_data_dictionary_names(tmp_path):
    """No table name is the pipeline's: the bulletin's periods live wherever data/tables.yaml's
    ``periods:`` points, and a name that is no resource is an error at its line."""
    from conftest import copy_bulletin
    from pipeline.build import Options, check
    from pipeline.model import ContentError

    root = copy_bulletin(tmp_path / "bulletin")
    _, before = check(Options(project=root))
    (root / "data" / "periods.csv").rename(root / "data" / "spans.csv")
    tables = root / "data" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    text = text.replace("  - name: periods\n    path: periods.csv\n", "  - name: spans\n    path: spans.csv\n")
    tables.write_text(text.replace("\nperiods: periods ", "\nperiods: spans "), encoding="utf-8")
    _, after = check(Options(project=root))
    assert after.chapters == before.chapters   # the same text, numbers and tables
    tables.write_text(text.replace("\nperiods: periods ", "\nperiods: span "), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        check(Options(project=root))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("periods:"))
    assert [str(p) for p in info.value.problems] == [
        f"data/tables.yaml:{line}:10: periods: no resource named 'span' in data/tables.yaml (did you mean 'spans'?)"]
