"""CSV files as people save them: quoted line breaks, open quotes, GBK, a BOM, CRLF, ragged rows.

Each test writes a real file into a copy of the project and loads it.  Expected
line and column numbers are found by searching the written file's text, the way
an editor would show them, never taken from the loader.
"""
from __future__ import annotations

import csv
import io
import logging
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from pipeline.load import load_project
from pipeline.model import ContentError

POLICIES = "data/policies.csv"
HEADER = "order,title,doc_number,year\n"


def write(project, rel: str, text: str, encoding: str = "utf-8") -> str:
    (project / rel).write_bytes(text.encode(encoding))
    return text


def where(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the only occurrence of ``needle``."""
    assert text.count(needle) == 1, needle
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def problems(project) -> list:
    with pytest.raises(ContentError) as caught:
        load_project(project)
    return caught.value.problems


def test_a_quoted_line_break_stays_in_the_cell_and_later_lines_are_counted_right(project):
    text = write(project, POLICIES, HEADER +
                 '1,"鼓励软件产业和集成电路产业\n发展的若干政策",国发【2000】18 号,2000\n'
                 '2,"振兴软件产业行动纲要\n\n（2002-2005）",国办发【2002】47 号,2002\n'
                 "3,国务院关于加快发展服务业的若干意见,国发[2007]7 号,2007\n")
    table = load_project(project).tables["policies"]
    assert [row["title"] for row in table.rows] == [
        "鼓励软件产业和集成电路产业\n发展的若干政策", "振兴软件产业行动纲要\n\n（2002-2005）",
        "国务院关于加快发展服务业的若干意见"]
    # each row's line is the line it starts on
    assert list(table.lines) == [where(text, "1,\"")[0], where(text, "2,\"")[0], where(text, "3,国务院")[0]]
    assert list(table.lines) == [2, 4, 7]


def test_an_error_after_a_quoted_line_break_names_the_line_of_the_row(project):
    text = write(project, POLICIES, HEADER +
                 '1,"鼓励软件产业和集成电路产业\n发展的若干政策",国发【2000】18 号,2000\n'
                 "2,振兴软件产业行动纲要（2002-2005）,国办发【2002】47 号,2002年\n"
                 "3,国务院关于加快发展服务业的若干意见,国发[2007]7 号,2007\n")
    (problem,) = problems(project)
    assert (problem.pos.file, problem.pos.line) == (POLICIES, where(text, "2002年")[0])
    assert "'2002年' is not a whole number" in problem.message


def test_an_unclosed_quote_at_the_end_is_reported_where_it_opens(project):
    text = write(project, POLICIES, HEADER +
                 "1,鼓励软件产业和集成电路产业发展的若干政策,国发【2000】18 号,2000\n"
                 '2,"振兴软件产业行动纲要（2002-2005）,国办发【2002】47 号,2002\n'
                 "3,国务院关于加快发展服务业的若干意见,国发[2007]7 号,2007\n")
    (problem,) = problems(project)
    assert (problem.pos.line, problem.pos.column) == where(text, '"振兴')
    assert "never closed" in problem.message


def test_an_unclosed_quote_closed_by_a_later_quote_is_reported_where_it_opens(project):
    text = write(project, POLICIES, HEADER +
                 '1,"鼓励软件产业和集成电路产业发展的若干政策,国发【2000】18 号,2000\n'
                 "2,振兴软件产业行动纲要（2002-2005）,国办发【2002】47 号,2002\n"
                 '3,"国务院关于加快发展服务业的若干意见",国发[2007]7 号,2007\n')
    (problem,) = problems(project)
    assert (problem.pos.line, problem.pos.column) == where(text, '"鼓励')
    assert f"runs on to line {where(text, '国务院')[0]}" in problem.message
    assert "closing quote missing" in problem.message


def test_text_after_a_closing_quote_is_an_error_on_its_line(project):
    text = write(project, POLICIES, HEADER +
                 '1,"鼓励软件产业"和集成电路产业发展的若干政策,国发【2000】18 号,2000\n')
    (problem,) = problems(project)
    assert problem.pos.line == where(text, "和集成")[0]
    assert "after the closing quote" in problem.message


def test_a_doubled_quote_is_a_quote_inside_a_cell(project):
    write(project, POLICIES, HEADER + '1,"关于""若干政策""的说明",国发【2000】18 号,2000\n')
    assert load_project(project).tables["policies"].rows[0]["title"] == '关于"若干政策"的说明'


def test_ragged_rows_are_each_reported_in_one_run(project):
    text = write(project, POLICIES, HEADER +
                 "1,鼓励软件产业和集成电路产业发展的若干政策,国发【2000】18 号,2000,多余\n"
                 "2,振兴软件产业行动纲要（2002-2005）,2002\n"
                 "3,国务院关于加快发展服务业的若干意见,国发[2007]7 号,2007\n")
    found = [(p.pos.line, p.message) for p in problems(project)]
    assert len(found) == 2
    assert found[0][0] == where(text, "多余")[0]
    assert found[0][1].startswith("this row has 5 cells but the header has 4")
    assert found[1][0] == where(text, "2,振兴")[0]
    assert found[1][1].startswith("this row has 3 cells but the header has 4")


def test_gbk_and_utf8_with_bom_read_the_same_as_utf8(project, caplog):
    original = (project / POLICIES).read_text(encoding="utf-8")
    expected = load_project(project).tables["policies"].rows
    write(project, POLICIES, original, encoding="utf-8-sig")   # Excel's "CSV UTF-8"
    assert load_project(project).tables["policies"].rows == expected
    write(project, POLICIES, original, encoding="gbk")         # a Chinese Excel's default
    with caplog.at_level(logging.WARNING, logger="pipeline.load"):
        assert load_project(project).tables["policies"].rows == expected
    assert any("policies.csv is encoded in GB18030/GBK" in r.getMessage() for r in caplog.records)


def test_crlf_line_ends_and_blank_lines(project):
    text = write(project, POLICIES, (HEADER + "\n1,鼓励软件产业和集成电路产业发展的若干政策,国发【2000】18 号,2000\n"
                                     "\n,,,\n2,振兴软件产业行动纲要（2002-2005）,国办发【2002】47 号,2002\n"
                                     ).replace("\n", "\r\n"))
    table = load_project(project).tables["policies"]
    assert [row["order"] for row in table.rows] == [1, 2]
    assert list(table.lines) == [where(text, "1,鼓励")[0], where(text, "2,振兴")[0]]
    assert table.rows[0]["year"] == 2000 and table.rows[0]["doc_number"] == "国发【2000】18 号"


def test_a_column_named_twice_in_the_header(project):
    write(project, POLICIES, "order,title,doc_number,year,title\n1,甲,国发,2000,乙\n")
    (problem,) = problems(project)
    assert (problem.pos.line, problem.key) == (1, "column 'title'")
    assert "appears twice in the header" in problem.message


def test_excel_trailing_commas_in_the_header_are_ignored_but_a_value_under_them_is_not(project):
    write(project, POLICIES, "order,title,doc_number,year,,\n1,甲,国发,2000,,\n2,乙,国发,2001,,\n")
    assert [row["title"] for row in load_project(project).tables["policies"].rows] == ["甲", "乙"]
    text = write(project, POLICIES, "order,title,doc_number,year,,\n1,甲,国发,2000,,\n2,乙,国发,2001,,遗漏\n")
    (problem,) = problems(project)
    assert problem.pos.line == where(text, "遗漏")[0]
    assert "'遗漏' is in a column with no name" in problem.message


def test_reading_the_data_does_not_import_pandas(project):
    code = ("import sys; from pathlib import Path; from pipeline.load import load_project; "
            f"load_project(Path({str(project)!r})); print('pandas' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


CELL_TEXT = st.text(alphabet=st.sampled_from(['"', ",", "\n", " ", "a", "中", "，", "1"]), max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELL_TEXT, CELL_TEXT), min_size=1, max_size=5))
def test_what_the_csv_writer_writes_is_read_back_at_its_lines(project, cells):
    """Cells holding quotes, commas and line breaks, written by Python's csv writer, come back
    (trimmed) with each row's first line counted in the written file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["order", "title", "doc_number", "year"])
    starts = []
    for i, (title, number) in enumerate(cells, 1):
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow([i, title, number, 2000 + i])
    write(project, POLICIES, out.getvalue())
    table = load_project(project).tables["policies"]
    assert [(row["title"], row["doc_number"]) for row in table.rows] == [(t.strip(), n.strip()) for t, n in cells]
    assert list(table.lines) == starts


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(['"', ",", "\n", "\r", " ", "1", "中", "\x00", "\ufeff"]), max_size=40))
def test_any_text_in_a_csv_is_loaded_or_answered_with_a_line_in_the_file(project, body):
    text = write(project, POLICIES, HEADER + body)
    try:
        load_project(project)
    except ContentError as e:
        lines = len(text.splitlines()) or 1
        assert all(1 <= p.pos.line <= lines for p in e.problems if p.pos.file == POLICIES), e.problems
