"""Random input never crashes ``whitepaper check`` or ``build``: exit 0 or 1, never a traceback.

Two kinds of random input go into a copy of the project:
- text (template and markup fragments, emoji, characters outside the fonts)
  put into a paragraph, both as data (the YAML stays valid) and spliced
  into the raw file (the YAML may break);
- random YAML structures replacing a whole chapter file, half of them
  chapter-shaped (figures and tables naming real tables and columns) so they
  get past the schema into cross-references, resolve, charts and typesetting.
A failed build must leave the previous PDF byte-identical.
"""
from __future__ import annotations

import os
import shutil

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, copy_project
from pipeline.cli import cli
from pipeline.schema import CHART_KINDS

CHAPTER = "chapters/03-enterprises.yaml"
PDF_NAME = "2008/whitepaper-2008.pdf"   # output/<edition>/

FRAGMENTS = ["{{", "}}", "{%", "%}", "{#", "#}", "{", "}", "<", ">", "&", "&amp;", "<b>", "</b>", "<i>", "</a>",
             '<a href="javascript:x">', "<img src=x>", "'", '"', "\\", "\n", "\t", ":", "- ", "#", "|",
             "base_year", "q('market', year=base_year, segment='total')", "rows('cities')", "names(", ")",
             "__class__", ".", "|cn", "for x in", "endfor", "if", "😀", "𠀀", "\u200b", "\x00", "中国", "１２"]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=12).map("".join)
titles = st.one_of(st.sampled_from(["标题", "{{ base_year }} 年的标题"]), texts)   # mostly valid, to get further

KEYS = ["number", "title", "blocks", "paragraph", "heading", "figure", "table", "text", "level", "id",
        "chart", "x", "y", "series", "where", "columns", "view", "unit", "source", "excerpt"]
# values that mean something to the schema: chart kinds, tables, columns, ids
WORDS = ["bar", "pie", "barh", "timeline", "grouped_bar", "market", "designations", "policies", "cities",
         "year", "segment", "value", "city", "designation", "count", "title", "id", "a-b", "city_matrix",
         "always", "city", "{{ base_year }}", ""]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 2100), st.floats(allow_nan=True),
                    st.sampled_from(WORDS), st.text(max_size=8))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)), children,
                                               max_size=5)),
    max_leaves=20)
# chapter-shaped documents, to get past the schema into cross-references and resolve
specs = st.dictionaries(st.sampled_from(KEYS), st.one_of(
    scalars, st.lists(st.sampled_from(WORDS), max_size=3),
    st.dictionaries(st.sampled_from(WORDS), st.one_of(scalars, st.lists(scalars, max_size=2)), max_size=3)),
    max_size=8)
TABLES = ["market", "designations", "designation_types", "policies", "cities", "events", "indicators"]
COLUMNS = ["year", "segment", "value", "city", "designation", "order", "count", "id", "name", "title", "basis"]
cell_values = st.one_of(st.integers(2000, 2012), st.sampled_from(WORDS[:-3]), scalars)
column_values = st.one_of(cell_values, st.lists(cell_values, max_size=3))
figures = st.fixed_dictionaries(
    {"id": st.sampled_from(["f-a", "f-b"]), "title": titles, "chart": st.sampled_from(CHART_KINDS),
     "table": st.sampled_from(TABLES), "x": st.sampled_from(COLUMNS)},
    optional={"y": st.sampled_from(COLUMNS + ["count"]), "series": st.sampled_from(COLUMNS),
              "label": st.sampled_from(COLUMNS), "where": st.dictionaries(st.sampled_from(COLUMNS), column_values,
                                                                          max_size=2),
              "labels": st.dictionaries(st.sampled_from(WORDS), st.text(max_size=4), max_size=2)})
tables = st.fixed_dictionaries(
    {"id": st.sampled_from(["t-a", "t-b"]), "title": titles, "table": st.sampled_from(TABLES),
     "columns": st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=4), min_size=1, max_size=3)},
    optional={"view": st.just("city_matrix"), "where": st.dictionaries(st.sampled_from(COLUMNS), column_values,
                                                                      max_size=2)})
blocks = st.lists(st.one_of(
    st.builds(lambda f: {"figure": f}, figures),
    st.builds(lambda t: {"table": t}, tables),
    st.builds(lambda t: {"paragraph": t}, titles),
    st.dictionaries(st.sampled_from(["paragraph", "heading", "figure", "table"]), st.one_of(texts, specs),
                    min_size=1, max_size=2)), min_size=1, max_size=4)
chapters = st.fixed_dictionaries({"number": st.one_of(st.just(3), st.integers(0, 12), scalars),
                                  "title": st.one_of(titles, scalars), "blocks": blocks})

# 20 examples a test keeps the suite fast; WHITEPAPER_FUZZ_EXAMPLES=2000 for a long hunt
FUZZ_SETTINGS = settings(max_examples=int(os.environ.get("WHITEPAPER_FUZZ_EXAMPLES", 20)), deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory, edition):
    root = copy_project(tmp_path_factory.mktemp("fuzz") / "project")
    shutil.copytree(edition[1] / "output", root / "output")
    return root


def _run_check_and_build(root) -> None:
    pdf = root / "output" / PDF_NAME
    before = pdf.read_bytes()
    runner = CliRunner()
    for command in ("check", "build"):
        result = runner.invoke(cli, [command, "--project", str(root)])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{command} crashed: {result.exception!r}\n{result.output}"
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert all(line.startswith("error: ") for line in lines[:-1]), result.output
            if command == "build":
                assert pdf.read_bytes() == before, "a failed build changed the previous PDF"


def _restore(root) -> str:
    source = (ROOT / CHAPTER).read_text(encoding="utf-8")
    (root / CHAPTER).write_text(source, encoding="utf-8")
    return source


@FUZZ_SETTINGS
@given(text=texts, raw=st.booleans())
def test_random_paragraph_text(fuzz_root, text, raw):
    source = _restore(fuzz_root)
    if raw:
        # spliced into the file as typed: the YAML itself may break
        edited = source.replace("目前，", "目前，" + text, 1)
    else:
        data = yaml.safe_load(source)
        data["blocks"][0]["paragraph"] = text
        edited = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (fuzz_root / CHAPTER).write_text(edited, encoding="utf-8")
    _run_check_and_build(fuzz_root)


@FUZZ_SETTINGS
@given(content=st.one_of(structures, chapters))
def test_random_yaml_structure_as_a_chapter(fuzz_root, content):
    _restore(fuzz_root)
    (fuzz_root / CHAPTER).write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    _run_check_and_build(fuzz_root)
