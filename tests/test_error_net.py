"""One error net, no silent lies: the families of tests/broken/<family>/.

Each sub-folder of ``tests/broken/`` is a family — several inputs of one kind of mistake that
once escaped as a traceback or printed something false (the format is tests/test_errors.py's).
One test per family runs every input through ``whitepaper build`` and asserts what the corpus
test asserts: the exit code, one ``error:`` line at the file:line with the message, no
traceback, output/ untouched and the previous PDF byte-identical.  For every content mistake
it also runs ``whitepaper check`` and asserts the same error lines: ``check`` ok must mean
``build`` works, so ``check`` fails wherever ``build`` does (a cell taller than a page, a
damaged font, a chart label too long to draw — cases ``check`` used to pass).

The long-heading test reads the PDF back: a chapter title too long for one line is set in
full, on two lines, inside the text block, and the running head is shortened to fit.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pymupdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import copy_project
from pipeline.build import Options, build
from pipeline.cli import cli
from test_errors import (
    BROKEN,
    KEYS,
    PDF_NAME,
    _argv,
    _listing,
    _prepare,
    apply_edit,  # noqa: F401  (the edit format is test_errors')
    check_answer,
    good_output,  # noqa: F401  (the fixture: the session build's output/)
    whitepaper_executable,
)

FAMILIES = sorted(p for p in BROKEN.iterdir() if p.is_dir())


def _load(path: Path, root: Path | None = None) -> dict:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict) and set(case) <= KEYS | {"env", "in_process"}, f"{path}: unknown keys"
    assert case.get("description") and case.get("exit") in (1, 2) and case.get("message"), path.name
    return case


def _with_root(case: dict, root: Path) -> dict:
    return {**case, "message": case["message"].replace("{root}", str(root))}


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def test_every_family_has_several_inputs():
    assert len(FAMILIES) >= 8
    for family in FAMILIES:
        assert len(list(family.glob("*.yaml"))) >= 2, f"{family.name}: a family has several inputs"


def _invoke(argv: list[str], env: dict, real: bool) -> tuple[str, int]:
    if real:
        proc = subprocess.run(whitepaper_executable() + argv, capture_output=True, text=True, timeout=120,
                              env={**os.environ, **env, "PYTHONIOENCODING": "utf-8"})
        return proc.stdout + proc.stderr, proc.returncode
    result = CliRunner().invoke(cli, argv, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output, result.exit_code


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_family_is_answered_with_one_located_line(family, tmp_path, good_output):
    cases = sorted(family.glob("*.yaml"))
    failures = []
    for n, case_file in enumerate(cases):
        case = _load(case_file)
        root = _prepare(tmp_path / f"{n}", good_output, case)
        case = _with_root(case, root)
        before = _listing(root / "output")
        env = case.get("env") or {}
        # in_process: false — only the real command (fonts are registered once per process, and
        # the session's build has registered the good ones in this one)
        runs = [False, True] if case.get("in_process", True) and case.get("subprocess") else \
            [False] if case.get("in_process", True) else [True]
        try:
            for real in runs:
                output, code = _invoke(_argv(case, root), env, real)
                check_answer(case, output, code, root, before)
                if case["exit"] == 1:
                    # check runs everything build runs short of writing: the same problems, the same lines
                    checked, checked_code = _invoke(["check", "--project", str(root)], env, real)
                    assert checked_code == 1, f"check passed where build failed:\n{checked}"
                    assert _errors(checked) == _errors(output), checked
        except AssertionError as e:
            failures.append(f"{case_file.name}: {e}")
    assert not failures, "\n\n".join(failures)


LONG_TITLE = "中国软件与信息服务外包市场现状及其在全球产业格局中的地位和未来发展趋势展望"


def test_a_long_chapter_title_is_set_in_full_inside_the_page(tmp_path):
    root = copy_project(tmp_path / "project")
    chapter = root / "chapters" / "02-market.yaml"
    text = chapter.read_text(encoding="utf-8")
    assert "title: 中国软件与信息服务外包市场现状\n" in text
    chapter.write_text(text.replace("title: 中国软件与信息服务外包市场现状\n", f"title: {LONG_TITLE}\n", 1),
                       encoding="utf-8")
    result = build(Options(project=root))
    assert len(LONG_TITLE) > 33
    with pymupdf.open(result.pdf) as doc:
        for page in doc:
            spans = [(span["bbox"], span["text"], span["size"]) for block in page.get_text("dict")["blocks"]
                     for line in block.get("lines", ()) for span in line["spans"]]
            heading = [(bbox, t) for bbox, t, size in spans if size >= 13 and bbox[1] > 75]
            first = next((bbox for bbox, t in heading if t.startswith("二、")), None)
            if first is not None:
                break
        else:
            raise AssertionError("the chapter heading is not in the PDF")
        heading = [(bbox, t) for bbox, t in heading if first[1] <= bbox[1] < first[1] + 60]
        set_text = "".join(t for _, t in heading).replace(" ", "")
        assert set_text == f"二、{LONG_TITLE}", set_text
        assert len({round(bbox[1]) for bbox, _ in heading}) == 2, "a title this long takes two lines"
        # the text block's right edge: where the justified body lines end
        body_right = max(bbox[2] for bbox, t, size in spans if size < 13 and 75 < bbox[1] < page.rect.height - 60)
        for bbox, t in heading:
            assert bbox[0] >= 0 and bbox[2] <= body_right + 1, f"{t!r} runs past the text block ({bbox})"
        # the running heads (above the text block) of the chapter's other pages name it, shortened to fit
        heads = [(page.number, bbox, t) for page in doc for block in page.get_text("dict")["blocks"]
                 for line in block.get("lines", ()) for span in line["spans"]
                 for bbox, t in [(span["bbox"], span["text"])] if bbox[3] < 75 and t.startswith("二、")]
        assert heads, "no running head names the chapter"
        for number, bbox, t in heads:
            assert t.endswith("…") and bbox[2] <= body_right + 1, (number, t, bbox)
