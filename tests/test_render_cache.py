"""The render cache (pipeline/resolve/rendercache.py): a build reuses the texts an earlier build rendered
from the same template and the same data, and nothing else — same PDF bytes, no stale text, problems
reported exactly as without it, an entry it cannot verify ignored."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_bulletin, copy_project

from pipeline.build import Options, build
from pipeline.cachestore import open_store
from pipeline.load import load_project
from pipeline.model import ContentError
from pipeline.resolve import resolve_document, templates
from pipeline.validate import validate_project

EPOCH = 1_700_000_000


def _resolve(root: Path, cached: bool = True, city: str | None = None):
    """The resolved document, or the problems as printed (with the render cache or without)."""
    project = load_project(root)
    assert not validate_project(project)
    try:
        return resolve_document(project, EPOCH, city, cache_dir=root / "output" / ".cache" if cached else None)
    except ContentError as e:
        return [str(p) for p in e.problems]


def _compiled_after(fn) -> set[str]:
    """The template sources (and rule expressions) Jinja2 compiled while ``fn`` ran."""
    templates._compiled.clear()   # the per-process memo: empty, so every compile shows in it
    fn()
    return {key[-1] for key in templates._compiled}


def _entries(root: Path) -> list[Path]:
    return sorted((root / "output" / ".cache" / "resolved").glob("*.json"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _paragraphs(document) -> str:
    return "\n".join(b.text for chapter in document.chapters for b in chapter.blocks if hasattr(b, "runs"))


@pytest.mark.parametrize("publication", ["edition", "bulletin"])
def test_a_warm_build_compiles_only_what_has_footnotes_and_writes_the_same_bytes(tmp_path, monkeypatch, publication):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    root = (copy_project if publication == "edition" else copy_bulletin)(tmp_path / publication)
    cold = build(Options(project=root)).pdf.read_bytes()
    warm_result = []
    compiled = _compiled_after(lambda: warm_result.append(build(Options(project=root))))
    assert warm_result[0].pdf.read_bytes() == cold
    # a paragraph that calls footnote() is rendered every time (its note is numbered by the render)
    assert compiled == {s for s in compiled if "footnote(" in s}
    if publication == "bulletin":
        assert compiled, "the bulletin's footnotes were expected to be rendered again"
        assert any(b.notes for chapter in _resolve(root).chapters for b in chapter.blocks if hasattr(b, "notes")
                   and hasattr(b, "runs"))
    for entry in _entries(root):
        entry.unlink()   # no cache at all: the same bytes again
    assert build(Options(project=root)).pdf.read_bytes() == cold


def test_a_build_whose_texts_all_hit_does_not_import_jinja2(tmp_path):
    root = copy_project(tmp_path / "project")
    _resolve(root)
    code = ("import sys; from pipeline.build import Options, check; check(Options(project=sys.argv[1])); "
            "print('jinja2' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": str(EPOCH)}   # the date _resolve used
    result = subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_changed_data_value_changes_the_text_although_no_template_changed(project):
    before = _paragraphs(_resolve(project))
    assert "90.4" in before
    market = project / "data" / "market.csv"   # ITO + BPO still make the total (a rule)
    _edit(market, "2007,ito,90.4", "2007,ito,90.5")
    _edit(market, "2007,bpo,61.6", "2007,bpo,61.5")
    after = _resolve(project)
    assert "90.5" in _paragraphs(after) and "90.4" not in _paragraphs(after)
    assert after == _resolve(project, cached=False)


def test_a_changed_paragraph_alone_is_rendered_again(project):
    _resolve(project)
    chapter = project / "chapters" / "02-market.yaml"
    _edit(chapter, "市场规模达到了", "市场规模已达到")
    changed = []
    compiled = _compiled_after(lambda: changed.append(_resolve(project)))
    assert len(compiled) == 1 and "市场规模已达到" in compiled.pop()
    assert "市场规模已达到" in _paragraphs(changed[0])
    assert changed[0] == _resolve(project, cached=False)
    # the entry keeps what this build used, not every version the paragraph ever had
    entries = _entries(project)
    assert len(entries) == 1
    count = len(json.loads(entries[0].read_text())["entries"])
    _edit(chapter, "市场规模已达到", "市场规模达到了")
    _resolve(project)
    assert len(json.loads(entries[0].read_text())["entries"]) == count


def test_a_template_error_is_reported_at_its_line_on_a_warm_build(project):
    _resolve(project)
    chapter = project / "chapters" / "02-market.yaml"
    _edit(chapter, "{{ base_year }} 年，中国的软件", "{{ base_yaer }} 年，中国的软件")
    problems = _resolve(project)
    assert problems == _resolve(project, cached=False)
    assert any(p.startswith("chapters/02-market.yaml:") and "base_yaer" in p for p in problems), problems


def test_data_that_breaks_a_cached_text_and_a_rule_is_reported_as_without_the_cache(tmp_path):
    root = copy_bulletin(tmp_path / "bulletin")
    _resolve(root)
    _edit(root / "data" / "services.csv", "2016,kpo,256.4", "2016,kpo,266.4")
    problems = _resolve(root)
    assert problems == _resolve(root, cached=False)
    assert any("tables.yaml" in p and "2016 年 ITO、BPO 与 KPO 之和等于总额" in p for p in problems), problems


def test_each_city_has_its_own_texts(project):
    dalian = _resolve(project, city="dalian")
    assert dalian == _resolve(project, city="dalian", cached=False)
    assert _resolve(project, city="dalian") == dalian   # warm
    shanghai = _resolve(project, city="shanghai")
    assert shanghai == _resolve(project, city="shanghai", cached=False)
    assert shanghai.edition.subtitle != dalian.edition.subtitle


def test_a_city_excerpt_from_a_warm_cache_is_the_same_pdf(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    root = copy_project(tmp_path / "project")
    cold = build(Options(project=root, city="dalian")).pdf.read_bytes()
    assert build(Options(project=root, city="dalian")).pdf.read_bytes() == cold


@pytest.mark.parametrize("damage", ["tampered", "unsealed", "sealed but not ours"])
def test_an_entry_that_does_not_verify_or_parse_is_ignored(project, damage):
    clean = _resolve(project, cached=False)
    _resolve(project)
    [entry] = _entries(project)
    data = json.loads(entry.read_text())
    if damage == "tampered":   # every cached text says 9999, the seal is the old one
        data["entries"] = {k: "9999" for k in data["entries"]}
        entry.write_text(json.dumps(data))
    elif damage == "unsealed":
        data["entries"] = {k: "9999" for k in data["entries"]}
        entry.write_text(json.dumps(data))
        entry.with_name(entry.name + ".mac").unlink()
    else:   # sealed with the build's own secret, but not a map of texts
        open_store(project / "output" / ".cache", "resolved").put(entry.name, b'{"format": 1, "entries": [1, 2]}')
    assert _resolve(project) == clean


def test_excerpts_of_one_process_share_renders_that_do_not_depend_on_the_city(project):
    """A batch resolves twenty excerpts in one process: a text that names no city-dependent value is
    rendered once for all of them.  Each excerpt is resolved exactly as alone (its city's name where a
    text names it: fails when the key leaves out the context values a text names)."""
    import pipeline.resolve as resolve

    loaded = load_project(project)
    assert not validate_project(loaded)
    resolve._renders_of[:] = [None, {}]
    alone = resolve_document(loaded, EPOCH, "changsha")
    resolve._renders_of[:] = [None, {}]
    resolve_document(loaded, EPOCH, "dalian")
    offered = len(resolve._renders_of[1])
    assert offered > 20, "dalian's texts were not offered to the other excerpts"
    after = resolve_document(loaded, EPOCH, "changsha")
    assert after == alone
    assert "长沙" in after.edition.subtitle
    assert len(resolve._renders_of[1]) < 1.5 * offered   # changsha took most of its texts from dalian's
