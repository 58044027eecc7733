"""The number model (issue 9): one formatter for text, charts and tables; arithmetic with units;
rules with tolerances and evidence; charts that print every datum exactly as the text does.

Charts are read back from the PDF: chart text is the small sans-serif text right above a 图 N-M
caption (body text is serif, captions are 9.5 pt).  Expected values are written out by hand from
the CSV files, never computed by the code under test.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pymupdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import body_text, copy_bulletin, document_text
from pipeline.cli import cli
from pipeline.numbers import NumberError, NumberFormat, Quantity, format_number, percent_of

MINUS = "\u2212"


# ---------------------------------------------------------------- reading charts back from a PDF


def _spans(page):
    return [(s["bbox"], s["text"], s["font"], s["size"]) for b in page.get_text("dict")["blocks"]
            for line in b.get("lines", []) for s in line["spans"]]


def chart_spans(pdf) -> dict[str, list]:
    """图 number → the spans (bbox, text) of the chart above that caption."""
    out = {}
    for page in pdf:
        spans = _spans(page)
        for bbox, text, font, size in spans:
            m = re.match(r"图 (\d+-\d+)\u3000", text)
            if not m or "Sans" not in font:
                continue   # 图目录 entries are serif
            above = [s for s in spans if s[0][3] <= bbox[1] + 0.5]
            # the chart starts below the nearest text that is not chart text (body, caption, header)
            top = max((s[0][3] for s in above if "Sans" not in s[2] or s[3] >= 9.4), default=0)
            out[m.group(1)] = [(s[0], s[1]) for s in above if s[0][1] >= top - 0.5 and "Sans" in s[2] and s[3] < 9.4]
    return out


def chart_texts(pdf) -> dict[str, list[str]]:
    return {k: [t for _, t in v] for k, v in chart_spans(pdf).items()}


def _text_outside_charts(pdf) -> str:
    """Body text and tables: every span that is not chart text."""
    charts = {(round(b[0]), round(b[1]), t) for spans in chart_spans(pdf).values() for b, t in spans}
    parts = []
    for page in pdf:
        parts.append("".join(t for b, t, _, _ in _spans(page) if (round(b[0]), round(b[1]), t) not in charts))
    return "".join(parts)


# chart label → how the text or a table prints the same datum (None: the text does not mention it)
EDITION_CHARTS = {
    "2-1": {"90.4 亿美元（59.5%）": "90.4 亿美元", "61.6 亿美元（40.5%）": "61.6 亿美元", "152 亿美元": "152 亿美元"},
    "2-2": {"22.8": "22.8 亿美元", "129.2": "129.2 亿美元", "56": "56 亿美元", "224": "224 亿美元"},
    "2-3": {"22.8": "22.8 亿美元", "129.2": "129.2 亿美元", "56": "56 亿美元", "224": "224 亿美元",
            "合计 152": "152 亿美元", "合计 280": None},
    "5-1": {"11": "11 个", "6": "6 个", "14": "14 个", "1": None, "3": "3 个"},
    "5-2": {},   # per-city counts: checked against designations.csv below
    "6-1": {"2000 年": "2000", "2002 年": "2002", "2007 年": "2007"},
}
BULLETIN_CHARTS = {
    "1-1": {v: f"{v} 亿美元" if v in ("1064.6", "704.1") else None
            for v in ("623.4", "454.1", "718.3", "559.2", "872.9", "646.4", "1064.6", "704.1")},
    # shares by hand: 333.8/704.1 = 47.41%, 113.9/704.1 = 16.18%, 256.4/704.1 = 36.41%
    "2-1": {"333.8 亿美元（47.4%）": "333.8 亿美元", "113.9 亿美元（16.2%）": "113.9 亿美元",
            "256.4 亿美元（36.4%）": "256.4 亿美元", "704.1 亿美元": "704.1 亿美元"},
    "3-1": {"165.3": "165.3 亿美元", "118.7": "118.7 亿美元", "97.5": "97.5 亿美元", "63.2": "63.2 亿美元"},
    "5-1": {},   # an image block (a PNG with no text; tests/test_writing.py), numbered with the charts
}


@pytest.mark.parametrize("publication", ["edition", "bulletin"])
def test_every_chart_prints_each_datum_exactly_as_the_text(publication, request):
    result, root = request.getfixturevalue(publication)
    expected = EDITION_CHARTS if publication == "edition" else BULLETIN_CHARTS
    with pymupdf.open(result.pdf) as pdf:
        charts = chart_texts(pdf)
        text = _text_outside_charts(pdf)
    assert set(charts) == set(expected), "every chart of the publication is checked"
    for number, labels in expected.items():
        drawn = charts[number]
        for label, in_text in labels.items():
            assert label in drawn, f"图 {number}: {label!r} not drawn; the chart shows {drawn}"
            if in_text:
                assert in_text in text, f"图 {number}: the text does not print {in_text!r} as the chart does"
        for t in drawn:
            assert not re.search(r"(^|[^\d])-\d", t), f"图 {number}: a hyphen as minus sign in {t!r}"
            assert not re.search(r"\d\.\d{3,}", t), f"图 {number}: an unrounded number in {t!r}"


def test_the_city_chart_totals_are_the_designations_per_city(edition):
    result, root = edition
    rows = (root / "data" / "designations.csv").read_text(encoding="utf-8").splitlines()[1:]
    kinds = {"software_base", "export_base", "outsourcing_city", "demo_base", "demo_zone"}
    per_city: dict[str, int] = {}
    for line in rows:
        kind, _, city = line.split(",")[:3]
        if kind in kinds:
            per_city[city] = per_city.get(city, 0) + 1
    with pymupdf.open(result.pdf) as pdf:
        drawn = chart_texts(pdf)["5-2"]
    numbers = [t for t in drawn if t.isdigit()]
    # the totals, longest bar first, follow the axis ticks 0 1 2 3
    assert sorted(numbers[4:], reverse=True) == sorted((str(n) for n in per_city.values()), reverse=True)


# ---------------------------------------------------------------- the formatter


@pytest.mark.parametrize("value, fmt, printed", [
    (Decimal("152"), NumberFormat(unit="亿美元"), "152 亿美元"),           # as the CSV writes it
    (Decimal("90.40"), NumberFormat(), "90.40"),
    (Decimal("109"), NumberFormat(decimals=1), "109.0"),                  # declared decimals
    (Decimal("0.125"), NumberFormat(decimals=2), "0.13"),                 # half up (half-even gives 0.12)
    (Decimal("2.5"), NumberFormat(decimals=0), "3"),
    (Decimal("-3.25"), NumberFormat(decimals=1), f"{MINUS}3.3"),          # true minus, half up away from 0
    (Decimal("-0.04"), NumberFormat(decimals=1), "0.0"),                  # no minus on a rounded zero
    (Decimal("15"), NumberFormat(decimals=1, percent=True), "15.0%"),     # percent without a space
    (Decimal("168700"), NumberFormat(unit="份", scale="万"), "16.87 万份"),
    (Decimal("1234567.5"), NumberFormat(thousands=","), "1,234,567.5"),   # house separator from 5 digits
    (Decimal("1064.6"), NumberFormat(thousands=","), "1064.6"),
    (0.1 + 0.2, NumberFormat(), "0.3"),
])
def test_one_formatter(value, fmt, printed):
    assert format_number(value, fmt, computed=isinstance(value, float)) == printed


def test_quantities_calculate_and_refuse_to_mix_units():
    a, b = Quantity(Decimal("90.4"), "亿美元"), Quantity(Decimal("61.6"), "亿美元")
    assert str(a + b) == "152.0 亿美元" and str(a - b) == "28.8 亿美元" and str(b - a) == f"{MINUS}28.8 亿美元"
    assert str(a * 2) == "180.8 亿美元" and str(a / 2) == "45.2 亿美元" and str(abs(b - a)) == "28.8 亿美元"
    assert str(round(a)) == "90 亿美元" and str(sum([a, b])) == "152.0 亿美元"
    assert a > b and a >= 90.4 and b < 100 and a != b
    assert str(a / b) == "1.47"                      # a ratio of one unit: a bare number, house-rounded
    share = percent_of(a, a + b, 1)                  # 90.4 / 152.0 = 59.47% → 59.5%
    assert share == 59.5 and share.value == Decimal("59.5") and str(share) == "59.5%"
    assert str(percent_of(b, a + b, 1) - share) == f"{MINUS}19.0 个百分点"
    with pytest.raises(NumberError, match=r"cannot add 90.4 亿美元 and 3 家: the units differ \(亿美元 and 家\)"):
        a + Quantity(3, "家")
    with pytest.raises(NumberError, match="家"):
        a < Quantity(3, "家")
    with pytest.raises(NumberError, match="ratio"):
        a / Quantity(3, "家")


# ---------------------------------------------------------------- in templates, on a real build


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def _add_paragraph(root: Path, text: str) -> None:
    _edit_yaml(root / "chapters" / "01-overview.yaml", lambda d: d["blocks"].insert(1, {"paragraph": text}))


def _field(root: Path, table: str, column: str, **props) -> None:
    def change(package):
        resource = next(r for r in package["resources"] if r["name"] == table)
        next(f for f in resource["schema"]["fields"] if f["name"] == column).update(props)
    _edit_yaml(root / "data" / "tables.yaml", change)


def _build(root: Path):
    result = CliRunner().invoke(cli, ["build", "--project", str(root), "-o", str(root / "out.pdf")])
    text = document_text(pymupdf.open(root / "out.pdf")) if result.exit_code == 0 else ""
    return result, text


EX15 = "q('amounts', year=2015, measure='execution')"   # 646.4 亿美元
EX16 = "q('amounts', year=2016, measure='execution')"   # 704.1 亿美元


def test_template_numbers_always_pass_through_the_formatter(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    _add_paragraph(root, "试算：" + "|".join([
        "{{ 0.1 + 0.2 }}",                                         # a raw float: house rule
        f"{{{{ {EX16}.value / {EX15}.value * 100 }}}}",            # 108.926… → 108.93
        f"{{{{ {EX15} - {EX16} }}}}",                              # negative: true minus
        f"{{{{ {EX16} * 2 }}}}", f"{{{{ ({EX15} - {EX16}) | abs }}}}", f"{{{{ {EX16} > 700 }}}}",
        f"{{{{ [{EX15}, {EX16}] | sum }}}}", f"{{{{ {EX16} | round(0) }}}}",
        "{{ pct(1, 3, 0) }}", "{{ pct(1, 3) }}",
        f"{{{{ growth({EX16}, {EX15}) | change }}}}",              # −57.7 / 704.1 = −8.19% → 下降 8.2%
        f"{{{{ growth({EX15}, {EX16}) | change }}}}",              # 57.7 / 646.4 = 8.93% → 增长 8.9%
        "{{ points(pct(1, 3), pct(1, 2)) | change }}",             # 33.3% → 50.0%
        "{{ (pct(1, 2) - pct(1, 3)) }}",
        "{{ -5 }}",
    ]) + "。")
    result, text = _build(root)
    assert result.exit_code == 0, result.output
    assert ("试算：0.3|108.93|−57.7 亿美元|1408.2 亿美元|57.7 亿美元|True|1350.5 亿美元|704 亿美元|33%|33.3%|"
            "下降 8.2%|增长 8.9%|提高 16.7 个百分点|16.7 个百分点|−5。") in text


@pytest.mark.parametrize("expression, message", [
    (f"{{{{ {EX16} + pct(1, 2) }}}}", "cannot add 704.1 亿美元 and 50.0%: the units differ (亿美元 and %)"),
    ("{{ pct(q('quarters', year=2016, quarter=1), " + EX16 + ") }}",
     "pct(): a share of 146.2 家 in 704.1 亿美元: the units differ (家 and 亿美元)"),
    ("{{ pct(1, 3, 0, 5) }}", "pct(part, whole, decimals=…) was called with 4 arguments"),
    (f"{{{{ growth({EX16}) }}}}", "growth(old, new, decimals=…) was called with 1 argument"),
    ("{{ pct('many', 3) }}", "pct(): 'many' is not a number"),
    ("{{ pct(1, 3, decimal=1) }}", "pct(part, whole, decimals=…) was called with an unknown argument 'decimal'"),
])
def test_template_function_errors_are_one_line_naming_file_line_and_function(tmp_path, expression, message):
    root = copy_bulletin(tmp_path / "b")
    _field(root, "quarters", "value", unit="家")       # the declared unit wins over the CSV's unit column
    _add_paragraph(root, "试算：" + expression)
    result, _ = _build(root)
    assert result.exit_code == 1
    # (with 家 declared, the bulletin's own share of Q4 in the year's amount is refused too, on line 23)
    lines = [line for line in result.output.splitlines() if line.startswith("error:") and "blocks[1]" in line]
    assert len(lines) == 1, result.output
    assert re.match(r"error: chapters/01-overview\.yaml:\d+:\d+: blocks\[1\]\.paragraph: data error: ", lines[0])
    assert message in lines[0]
    assert "positional" not in result.output and "Traceback" not in result.output
    assert "Quantity" not in result.output and "_Data" not in result.output


# ---------------------------------------------------------------- rules


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_failing_compound_rule_shows_both_sides_and_the_csv_rows_it_read(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    _replace(root / "data" / "amounts.csv", "2016,execution,704.1", "2016,execution,1704.1")
    result, _ = _build(root)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "起始年份与最近年度的执行金额都小于合同金额" in x)
    # the rule is 'a < b and c < d': the part that is false, with its values; amounts.csv lines 2, 3 (2013)
    # and 8, 9 (2016) are the rows it read
    assert "(1704.1 亿美元 < 1064.6 亿美元 is false); rows used: data/amounts.csv:2-3, 8-9" in line
    assert "True" not in line


def test_approx_allows_a_declared_tolerance_and_explains_a_miss(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    tables = root / "data" / "tables.yaml"
    _replace(tables, "q('services', year=2016, service='ito') + q('services', year=2016, service='bpo') + "
                     "q('services', year=2016, service='kpo') == q('services', year=2016, service='total')",
             "approx(q('services', year=2016, service='ito') + q('services', year=2016, service='bpo') + "
             "q('services', year=2016, service='kpo'), q('services', year=2016, service='total'), 0.1)")
    _replace(root / "data" / "services.csv", "2016,ito,333.8", "2016,ito,333.7")   # parts now sum to 704.0
    result, text = _build(root)
    assert result.exit_code == 0, result.output
    # the donut's centre shows the stated total (services.csv's total row), not the sum of the slices
    with pymupdf.open(root / "out.pdf") as pdf:
        assert "704.1 亿美元" in chart_texts(pdf)["2-1"]
        assert "704.0 亿美元" not in chart_texts(pdf)["2-1"]
    _replace(root / "data" / "services.csv", "2016,ito,333.7", "2016,ito,333.5")   # 0.3 off: beyond 0.1
    result, _ = _build(root)
    assert result.exit_code == 1
    assert ("(703.8 亿美元 and 704.1 亿美元 differ by 0.3 亿美元, more than the tolerance 0.1); "
            "rows used: data/services.csv:14-17") in result.output


# ---------------------------------------------------------------- formats declared once; charts and tables


def test_a_declared_format_prints_the_same_in_text_chart_and_table(tmp_path):
    root = copy_bulletin(tmp_path / "b")
    # Q1 becomes 109 (Q4 takes the difference, so the quarters still add up to 704.1)
    _replace(root / "data" / "quarters.csv", "2016,1,第一季度,146.2", "2016,1,第一季度,109")
    _replace(root / "data" / "quarters.csv", "2016,4,第四季度,206.5", "2016,4,第四季度,243.7")
    _field(root, "quarters", "value", decimals=1)
    _edit_yaml(root / "chapters" / "01-overview.yaml", lambda d: d["blocks"].append({"figure": {
        "id": "quarters-line", "title": "分季度执行金额", "chart": "line", "table": "quarters",
        "x": "name", "y": "value", "source": "测试"}}))
    result, text = _build(root)
    assert result.exit_code == 0, result.output
    assert "第一季度执行金额 109.0 亿美元" in text                  # the text (q())
    with pymupdf.open(root / "out.pdf") as pdf:
        line_chart = chart_texts(pdf)["1-2"]
        table_text = "".join(body_text(p) for p in pdf)
    assert "109.0" in line_chart and "109" not in [t for t in line_chart if t != "109.0"]
    assert "单位：亿美元" in line_chart                                # the unit from the data when the figure has none
    assert "第一季度109.0" in table_text.replace(" ", "").replace("\n", "")  # the table cell


GROWTH_CSV = "year,region,value\n2015,east,12.5\n2015,west,-3.25\n2016,east,8\n2016,west,-7.5\n"


def _growth_project(tmp_path, chart: str, **figure) -> Path:
    root = copy_bulletin(tmp_path / "b")
    (root / "data" / "regional.csv").write_text(GROWTH_CSV, encoding="utf-8")

    def declare(package):
        package["resources"].append({"name": "regional", "path": "regional.csv", "schema": {
            "fields": [{"name": "year", "type": "integer"}, {"name": "region", "type": "string"},
                       {"name": "value", "type": "number", "percent": True, "decimals": 1}],
            "primaryKey": ["year", "region"]}})
    _edit_yaml(root / "data" / "tables.yaml", declare)
    spec = {"id": "regional", "title": "地区增速", "chart": chart, "table": "regional", "x": "year", "y": "value",
            "series": "region", "labels": {"east": "东部", "west": "西部"}, "source": "测试", **figure}
    _edit_yaml(root / "chapters" / "01-overview.yaml", lambda d: d["blocks"].append({"figure": spec}))
    _add_paragraph(root, "西部 2016 年增速为 {{ q('regional', year=2016, region='west') }}。")
    return root


@pytest.mark.parametrize("chart", ["grouped_bar", "line"])
def test_negative_values_and_percent_axes(tmp_path, chart):
    root = _growth_project(tmp_path, chart)
    result, text = _build(root)
    assert result.exit_code == 0, result.output
    assert "西部 2016 年增速为 −7.5%。" in text                       # percent: no space, true minus
    with pymupdf.open(root / "out.pdf") as pdf:
        spans = chart_spans(pdf)["1-2"]
    drawn = [t for _, t in spans]
    for label in ("12.5%", "−3.3%", "8.0%", "−7.5%"):                  # −3.25 rounds half up to −3.3
        assert label in drawn, (label, drawn)
    assert "0%" in drawn and any(t.startswith("−") and t.endswith("%") and t not in ("−3.3%", "−7.5%")
                                 for t in drawn), "a percent axis with negative ticks"
    zero = next(b for b, t in spans if t == "0%")
    below = next(b for b, t in spans if t == "−7.5%")
    # the label of a negative value sits below the zero line (PDF y grows downwards here), outside its bar
    assert below[1] > (zero[1] + zero[3]) / 2


def test_a_negative_stack_is_drawn_below_zero_and_the_total_is_stated(tmp_path):
    root = _growth_project(tmp_path, "stacked_bar")
    result, _ = _build(root)
    assert result.exit_code == 0, result.output
    with pymupdf.open(root / "out.pdf") as pdf:
        spans = chart_spans(pdf)["1-2"]
    drawn = [t for _, t in spans]
    # 12.5 + (−3.25) = 9.25 → 9.3% (half up), 8 + (−7.5) = 0.5%
    assert "合计 9.3%" in drawn and "合计 0.5%" in drawn
    zero = next(b for b, t in spans if t == "0%")
    west = next(b for b, t in spans if t == "−7.5%")
    assert west[1] > zero[3], "the negative part hangs below the zero line"


def test_tables_align_numbers_right_style_totals_and_compute_shares(tmp_path):
    root = copy_bulletin(tmp_path / "b")

    def add_table(chapter):
        chapter["blocks"].append({"table": {
            "id": "service-shares", "title": "业务构成", "table": "services", "where": {"year": 2016},
            "columns": {"service": "业务", "value": "执行金额", "share": "占比", "growth": "比上一项"},
            "computed": {"share": {"share_of": "value"}, "growth": {"growth_of": "value"}},
            "labels": {"ito": "ITO", "bpo": "BPO", "kpo": "KPO"}, "source": "测试"}})
    _edit_yaml(root / "chapters" / "02-structure.yaml", add_table)
    result, text = _build(root)
    assert result.exit_code == 0, result.output
    with pymupdf.open(root / "out.pdf") as pdf:
        page = next(p for p in pdf if "业务构成" in p.get_text() and "占比" in p.get_text())
        words = page.get_text("words")
        spans = _spans(page)
        flat = page.get_text().replace("\n", "")
    # the unit went into the header (no 单位 line); shares of the 合计 row, growth over the row above:
    # 333.8/704.1 = 47.4%, 113.9/704.1 = 16.2%, 256.4/704.1 = 36.4%; 113.9/333.8 − 1 = −65.9%, 256.4/113.9 − 1 = 125.1%
    for expected in ("执行金额（亿美元）", "47.4%", "16.2%", "36.4%", "100.0%", "−65.9%", "125.1%", "合计"):
        assert expected in flat, expected
    # numbers flush right: the right edges of a numeric column's cells line up
    column = [w for w in words if w[4] in ("333.8", "113.9", "256.4", "704.1") and w[1] > 0]
    rights = {round(w[2]) for w in column[-4:]}
    assert len(rights) == 1, column
    # the 合计 row is bold
    total = [s for s in spans if s[1] in ("合计", "704.1") and "Bold" in s[2]]
    assert {s[1] for s in total} == {"合计", "704.1"}


def test_a_negative_horizontal_bar_stays_clear_of_its_category_label(tmp_path):
    root = _growth_project(tmp_path, "barh", where={"year": 2016}, x="region")
    _edit_yaml(root / "chapters" / "01-overview.yaml",
               lambda d: d["blocks"][-1]["figure"].pop("series"))
    result, _ = _build(root)
    assert result.exit_code == 0, result.output
    with pymupdf.open(root / "out.pdf") as pdf:
        spans = chart_spans(pdf)["1-2"]
    west = next(b for b, t in spans if t == "西部")
    value = next(b for b, t in spans if t == "−7.5%")
    east = next(b for b, t in spans if t == "8.0%")
    assert west[2] < value[0], "the value label of the negative bar is right of the category label"
    assert value[2] < east[0], "… and left of the positive bar's label"


MIX_CSV = "year,part,value,total\n2016,a,1.04,6.1\n2016,b,2.03,6.1\n2016,c,3.04,6.1\n"


@pytest.mark.parametrize("chart", ["pie", "stacked_bar"])
def test_a_total_column_is_printed_as_stated(tmp_path, chart):
    root = copy_bulletin(tmp_path / "b")
    (root / "data" / "mix.csv").write_text(MIX_CSV, encoding="utf-8")

    def declare(package):
        package["resources"].append({"name": "mix", "path": "mix.csv", "schema": {
            "fields": [{"name": "year", "type": "integer"}, {"name": "part", "type": "string"},
                       {"name": "value", "type": "number", "decimals": 1, "unit": "亿元"},
                       {"name": "total", "type": "number"}], "primaryKey": ["year", "part"]}})
    _edit_yaml(root / "data" / "tables.yaml", declare)
    spec = {"id": "mix", "title": "构成", "chart": chart, "table": "mix", "y": "value", "total": "total",
            "source": "测试", **({"x": "part"} if chart == "pie" else {"x": "year", "series": "part"})}
    _edit_yaml(root / "chapters" / "01-overview.yaml", lambda d: d["blocks"].append({"figure": spec}))
    result, _ = _build(root)
    assert result.exit_code == 0, result.output
    with pymupdf.open(root / "out.pdf") as pdf:
        drawn = chart_texts(pdf)["1-2"]
    # parts 1.0 + 2.0 + 3.0 as printed; the data states 6.1 (1.04 + 2.03 + 3.04 = 6.11)
    assert ("6.1 亿元" if chart == "pie" else "合计 6.1") in drawn, drawn
    assert not any("6.0" in t or "6.11" in t for t in drawn), drawn
