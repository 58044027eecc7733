"""chapters/theme.yaml: page size, margins, type sizes, colours and the chart palette, proved on the bulletin.

Expected values are written by hand: 16开 is 185 × 260 mm = 524.4 × 737.0 pt (1 mm = 72 / 25.4 pt);
the colours are the theme file's own.
"""
from __future__ import annotations

import pymupdf
import pytest
from click.testing import CliRunner

from conftest import copy_bulletin
from pipeline.cli import cli

MM = 72 / 25.4
# a smaller book: 16开, margins 22 / 20 mm, at least 18 mm at the sides, a wine-red accent, another palette
THEME = """\
page_size: 16开
margins: {top: 22, bottom: 20, side: 18}
body_size: 10
leading: 16
colours: {accent: "#7a1f2b", grey: "#555555", rule: "#b0a0a0"}
palette: ["#7A1F2B", "#c8742c", "#111111", "#e9d8a6"]
heading_sizes: {chapter: 15, section: 11.5}
caption_size: 9
note_size: 8.5
"""
# line-end punctuation keeps its blank half past the text edge, as in the house look (docs/typesetting.md)
HALF_WIDTH_AT_LINE_END = "，。、；：！？）」』"


def _fills(path) -> set[str]:
    """Every fill colour drawn in the PDF (charts are vector drawings), as #rrggbb."""
    found = set()
    with pymupdf.open(path) as pdf:
        for page in pdf:
            for drawing in page.get_drawings():
                if drawing.get("fill"):
                    found.add("#%02x%02x%02x" % tuple(round(c * 255) for c in drawing["fill"][:3]))
    return found


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    root = copy_bulletin(tmp_path_factory.mktemp("themed"))
    (root / "chapters" / "theme.yaml").write_text(THEME, encoding="utf-8")
    out = root / "themed.pdf"
    result = CliRunner().invoke(cli, ["build", "--project", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_16kai_page_size(themed):
    with pymupdf.open(themed) as pdf:
        for page in pdf:
            assert page.rect.width == pytest.approx(524.4, abs=0.1)
            assert page.rect.height == pytest.approx(737.0, abs=0.1)


def test_text_stays_inside_the_margins(themed):
    left, right = 18 * MM, 185 * MM - 18 * MM
    top, bottom = 22 * MM, 260 * MM - 20 * MM
    with pymupdf.open(themed) as pdf:
        chars = 0
        lefts, rights = [], []
        for page in list(pdf)[1:]:          # the cover is drawn to the paper's edge
            for block in page.get_text("rawdict")["blocks"]:
                for line in block.get("lines", ()):
                    for span in line["spans"]:
                        for ch in span["chars"]:
                            x0, y0, x1, y1 = ch["bbox"]
                            if not ch["c"].strip():
                                continue
                            if ch["c"] in HALF_WIDTH_AT_LINE_END:
                                x1 -= span["size"] / 2
                            assert left - 0.01 <= x0 and x1 <= right + 0.01, (page.number, ch["c"], ch["bbox"])
                            # in the text block, else the running head (8 mm above it) or the folio (8 mm
                            # above the paper's edge), nowhere else
                            in_block = top - 0.5 <= y0 and y1 <= bottom + 0.5
                            in_head = top - 8 * MM - 12 <= y0 and y1 <= top - 8 * MM + 6
                            in_folio = y0 >= page.rect.height - 8 * MM - 12 and y1 <= page.rect.height
                            assert in_block or in_head or in_folio, (page.number, ch["c"], ch["bbox"])
                            chars += 1
                            if in_block:
                                lefts.append(x0)
                                rights.append(x1)
        assert chars > 1000
        # and the text fills the measure: 42 characters of 10 pt (at least 18 mm each side of 185 mm),
        # centred: from 52.2 pt to 472.2 pt
        assert min(lefts) == pytest.approx(52.2, abs=0.1)
        assert max(rights) == pytest.approx(472.2, abs=0.1)


def test_body_text_at_the_themes_size(themed):
    with pymupdf.open(themed) as pdf:
        sizes = [round(span["size"], 2) for block in pdf[4].get_text("dict")["blocks"]
                 for line in block.get("lines", ()) for span in line["spans"] if "合同金额达到" in span["text"]]
    assert sizes == [10.0]


def test_palette_and_accent_change_the_colours_in_the_pdf(themed, bulletin):
    result, _ = bulletin
    house, themed_fills = _fills(result.pdf), _fills(themed)
    assert {"#7a1f2b", "#c8742c", "#111111"} <= themed_fills      # series colours and the accent
    assert not {"#7a1f2b", "#c8742c"} & house
    assert "#267a8a" in house and "#267a8a" not in themed_fills   # the house palette's second colour


def _check(tmp_path, theme: str):
    root = copy_bulletin(tmp_path / "bulletin")
    (root / "chapters" / "theme.yaml").write_text(theme, encoding="utf-8")
    return CliRunner().invoke(cli, ["check", "--project", str(root)])


def _one_error(result) -> str:
    """The one error line a content mistake gets (exit 1)."""
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_an_unknown_page_size_is_one_located_error(tmp_path):
    result = _check(tmp_path, "margins: {top: 20}\npage_size: B7\n")
    error = _one_error(result)
    assert error.startswith("error: chapters/theme.yaml:2:") and "page_size" in error
    assert "16开" in error and "Traceback" not in result.output


def test_a_palette_too_close_in_lightness_is_one_located_error(tmp_path):
    # #1f4e79 (L* 32) and #2e6b3f (L* 40) are only 8 apart: one grey in print
    result = _check(tmp_path, 'palette:\n  - "#1f4e79"\n  - "#f4eddc"\n  - "#2e6b3f"\n')
    error = _one_error(result)
    assert error.startswith("error: chapters/theme.yaml:4:"), error
    assert "#2e6b3f" in error and "#1f4e79" in error and "L*" in error


def _last_size(path, start: str) -> float:
    """The size of the last span that starts with ``start`` (the body's, not the 目录's or 图目录's)."""
    found = []
    with pymupdf.open(path) as pdf:
        for page in pdf:
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", ()):
                    found += [round(span["size"], 2) for span in line["spans"] if span["text"].startswith(start)]
    assert found, start
    return found[-1]


# what the bulletin sets at each size: a chapter title, a （一） heading, a figure's and a table's caption,
# a 资料来源 line, a 注： line and a footnote at the page foot
SIZED = {"chapter": "一、全年运行概况", "section": "（一）年度规模", "figure caption": "图 1-1",
         "table caption": "表 1-1", "source": "资料来源：", "note": "注：1. 各季度", "footnote": "①采集口径"}


def test_heading_caption_and_note_sizes_come_from_the_theme(themed, bulletin):
    result, _ = bulletin
    house = {what: _last_size(result.pdf, text) for what, text in SIZED.items()}
    assert house == {"chapter": 16.0, "section": 12.0, "figure caption": 9.5, "table caption": 9.5,
                     "source": 9.0, "note": 9.0, "footnote": 9.0}
    themed_sizes = {what: _last_size(themed, text) for what, text in SIZED.items()}
    assert themed_sizes == {"chapter": 15.0, "section": 11.5, "figure caption": 9.0, "table caption": 9.0,
                            "source": 8.5, "note": 8.5, "footnote": 8.5}


def test_front_matter_titles_follow_the_chapter_size(themed):
    assert _last_size(themed, "目录") == 15.0


def test_headings_out_of_rank_are_located_errors(tmp_path):
    result = _check(tmp_path, "body_size: 10\nheading_sizes:\n  chapter: 14\n  section: 15\n")
    error = _one_error(result)
    assert error.startswith("error: chapters/theme.yaml:3:"), error
    assert "14 pt" in error and "15 pt" in error
    result = _check(tmp_path / "again", "heading_sizes: {subsection: 9}\n")
    error = _one_error(result)
    assert error.startswith("error: chapters/theme.yaml:1:") and "smaller than the body text (10.5 pt)" in error
    result = _check(tmp_path / "third", "caption_size: 30\n")
    assert result.exit_code == 1 and "chapters/theme.yaml:1:" in result.output and "caption_size" in result.output
