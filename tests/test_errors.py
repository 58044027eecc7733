"""Every user mistake is answered clearly: the corpus in tests/broken/.

Each ``tests/broken/*.yaml`` file describes one mistake made in a copy of the
shipped project and what the ``whitepaper`` command must answer::

    description: what the user did wrong
    edits:                                 # applied in order to the copy
      - file: chapters/02-market.yaml      # project-relative
        replace: "chart: pie"              # text that must occur in the file …
        with: "chart: bars"                # … replaced (first occurrence only)
      - {file: data/cities.csv, encode: gbk}         # re-encode the file
      - {file: data/x.csv, write: "a,b\\n"}          # (over)write the file
      - {file: chapters/07-ip-protection.yaml, delete: true}
      - {file: data/x.csv, replace: "a", with: "b", times: 50}  # … with "b" 50 times
      - {file: fonts/NotoSerifSC-Regular.ttf, truncate: 0.3}  # keep the first 30 % (fonts/ is copied first)
      - {file: data/market.csv, fifo: true}          # replace the file by a FIFO (named pipe)
      - {file: output/2008/whitepaper-2008.pdf, folder: true}   # … by an empty folder
      - {file: output/.manifest.lock, symlink: "{root}/elsewhere"}   # … by a symbolic link
    env: {SOURCE_DATE_EPOCH: "abc"}        # environment variables for the run
    argv: [build, --project, "{root}"]     # the default; {root} is the copy
    exit: 1                                # 0 ok, 1 content error, 2 usage error
    location:                              # an output line starts with "error: <file>:<line>:<column>:"
      file: chapters/02-market.yaml
      at: "bars"                           # where this text is in the edited file (it must occur once)
    message: "did you mean 'bar'?"         # … and contains this text
    subprocess: true                       # also run the real `whitepaper` executable
    pdf_contains: "…"                      # exit 0 only: text the new PDF must contain
    variants:                              # a family: more inputs answered alike, each run on a
      - {argv: [...], message: "…"}        # fresh copy; a variant's keys (edits, argv, env,
      - {edits: [...], location: …}        # location, message) replace the case's

``location`` may also be a fixed string (``data/market.csv:3``); with ``at``,
``line_only: true`` leaves the column out (templates: Jinja2 gives no column).
Anchoring on text keeps the cases right when someone edits the shipped chapters.
Sub-folders of ``tests/broken/`` hold families (several inputs of one kind of
mistake, one test each, in tests/test_error_net.py); their cases may also set
``env`` (environment variables for the command) and ``in_process: false`` (run
only the real executable: fonts are registered once per process).
``encoding`` (default utf-8) is how ``replace``/``write`` read and write the
file; ``latin-1`` writes exact bytes (``"\\xff"`` is the byte 0xFF).

For every case the test asserts the exit code, the location and message on
one ``error:`` line, no traceback, no raw control character (an escape
sequence from data or arguments must be shown escaped), and — for a failed
build — that output/ holds exactly what it held before, with the previous PDF
byte-identical.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, copy_project
from pipeline.cli import cli

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))
KEYS = {"description", "edits", "argv", "exit", "location", "message", "subprocess", "pdf_contains", "env",
        "variants"}
VARIANT_KEYS = {"edits", "argv", "location", "message", "env"}
# C0 (but newline and tab), DEL and C1: a message printing one of these lets data drive the terminal
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PDF_NAME = "2008/whitepaper-2008.pdf"   # output/<edition>/


def _load_case(path: Path) -> dict:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict) and set(case) <= KEYS, f"{path.name}: unknown keys {set(case) - KEYS}"
    assert case.get("description") and case.get("exit") in (0, 1, 2), path.name
    if case["exit"]:
        assert case.get("message"), f"{path.name}: a failing case must name a message"
    else:
        assert case.get("pdf_contains"), f"{path.name}: a succeeding case must say what the PDF shows"
    for variant in case.get("variants") or ():
        assert isinstance(variant, dict) and set(variant) <= VARIANT_KEYS, f"{path.name}: bad variant {variant}"
    return case


def _variants(case: dict) -> list[dict]:
    """The case itself, then each variant: the case with the variant's keys in place of its own."""
    return [case] + [{**case, **variant} for variant in case.get("variants") or ()]


def apply_edit(root: Path, edit: dict) -> None:
    path = root / edit["file"]
    encoding = edit.get("encoding", "utf-8")
    if edit.get("fifo") or edit.get("folder") or "symlink" in edit:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        if edit.get("fifo"):
            os.mkfifo(path)
        elif edit.get("folder"):
            path.mkdir()
        else:
            path.symlink_to(edit["symlink"].replace("{root}", str(root)))
    elif edit.get("delete"):
        assert path.exists(), f"nothing to delete at {edit['file']}"
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    elif "write" in edit:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(edit["write"].encode(encoding))
    elif "encode" in edit:
        path.write_bytes(path.read_bytes().decode("utf-8").encode(edit["encode"]))
    elif "replace" in edit:
        text = path.read_bytes().decode(encoding)
        assert edit["replace"] in text, f"{edit['replace']!r} not in {edit['file']}"
        path.write_bytes(text.replace(edit["replace"], edit["with"] * edit.get("times", 1), 1).encode(encoding))
    elif "truncate" in edit:
        _own_copy(root, path)
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * edit["truncate"])])
    else:
        raise AssertionError(f"unknown edit {edit}")


def _own_copy(root: Path, path: Path) -> None:
    """Replace a linked folder on the way to ``path`` (fonts/ links to the repository's fonts)
    by a copy, so an edit never writes through the link into the repository."""
    for parent in reversed(path.relative_to(root).parents):
        folder = root / parent
        if folder.is_symlink():
            target = folder.resolve()
            folder.unlink()
            shutil.copytree(target, folder)


@pytest.fixture(scope="session")
def good_output(edition) -> Path:
    """The output/ folder of the session's good build: the PDF and the chart/font caches."""
    return edition[1] / "output"


def _prepare(tmp_path: Path, good_output: Path, case: dict) -> Path:
    root = copy_project(tmp_path / "project")
    shutil.copytree(good_output, root / "output")
    for edit in case.get("edits") or ():
        apply_edit(root, edit)
    return root


def _listing(folder: Path) -> dict[str, bytes]:
    """Every file in output/ (the caches aside) with its bytes."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(folder).parts}


def _argv(case: dict, root: Path) -> list[str]:
    return [a.replace("{root}", str(root)) for a in case.get("argv") or ["build", "--project", "{root}"]]


def whitepaper_executable() -> list[str]:
    script = Path(sys.executable).with_name("whitepaper")
    if script.is_file():
        return [str(script)]
    found = shutil.which("whitepaper")
    return [found] if found else [sys.executable, "-m", "pipeline.cli"]


def expected_location(case: dict, root: Path) -> str | None:
    """``file:line[:column]`` from the case, resolving ``at`` against the edited file."""
    loc = case.get("location")
    if not isinstance(loc, dict):
        return loc
    text = (root / loc["file"]).read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    assert text.count(loc["at"]) == 1, f"{loc['at']!r} must occur once in {loc['file']}"
    index = text.index(loc["at"])
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{loc['file']}:{line}" if loc.get("line_only") else f"{loc['file']}:{line}:{column}"


def check_answer(case: dict, output: str, exit_code: int, root: Path, before: dict[str, bytes]) -> None:
    assert "Traceback" not in output, output
    assert not RAW_CONTROL.search(output), f"a raw control character in the output: {output!r}"
    assert exit_code == case["exit"], output
    lines = [line for line in output.splitlines() if line.strip()]
    if case["exit"] == 1:
        # one readable line per problem, then the summary
        assert lines and all(line.startswith("error: ") for line in lines[:-1]), output
        assert lines[-1].endswith("found; nothing was written."), output
    location = expected_location(case, root)
    if location:
        prefix = f"error: {location}:"
        located = [line for line in lines if line.startswith(prefix)]
        assert located, f"no line starts with {prefix!r}:\n{output}"
        assert any(case["message"] in line for line in located), \
            f"{case['message']!r} not on a line at {location}:\n{output}"
    elif case.get("message"):
        assert case["message"] in output, output
    if case["exit"]:
        assert _listing(root / "output") == before, "a failed build changed output/"
    else:
        with pymupdf.open(root / "output" / PDF_NAME) as doc:
            text = "".join(page.get_text() for page in doc).replace("\n", "")
        assert case["pdf_contains"] in text


@pytest.mark.parametrize("case_file", CASES, ids=[p.stem for p in CASES])
def test_broken_input_is_answered_clearly(case_file, tmp_path, good_output):
    family = _load_case(case_file)
    for number, case in enumerate(_variants(family)):
        root = _prepare(tmp_path / str(number), good_output, case)
        before = _listing(root / "output")
        if case["exit"] and (root / "output" / PDF_NAME).is_file():
            assert before.get(PDF_NAME) == (good_output / PDF_NAME).read_bytes()

        result = CliRunner().invoke(cli, _argv(case, root), env=case.get("env"))
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        check_answer(case, result.output, result.exit_code, root, before)

        if case.get("subprocess"):
            if not case["exit"]:
                (root / "output" / PDF_NAME).write_bytes((good_output / PDF_NAME).read_bytes())
            proc = subprocess.run(whitepaper_executable() + _argv(case, root), capture_output=True, text=True,
                                  timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8", **(case.get("env") or {})})
            check_answer(case, proc.stdout + proc.stderr, proc.returncode, root, before)


def test_the_corpus_is_large_enough():
    cases = [_load_case(p) for p in CASES]
    assert len(cases) >= 30
    assert {c["exit"] for c in cases} == {0, 1, 2}
    assert sum(bool(c.get("subprocess")) for c in cases) >= 3


DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
DOC_PROJECT = "/home/me/whitepaper"   # the project folder the examples in docs/errors.md show


def _documented_examples() -> list[tuple[str, list[str]]]:
    import re

    text = DOCS.read_text(encoding="utf-8")
    return [(name, block.splitlines())
            for name, block in re.findall(r"<!-- case: ([\w-]+) -->\s*```text\n(.*?)\n```", text, flags=re.S)]


def _shape(line: str) -> str:
    """A message without its numbers: the examples must keep up with the wording, not with line numbers."""
    import re

    return re.sub(r"\d+", "N", line)


@pytest.mark.parametrize("name,lines", _documented_examples(), ids=[n for n, _ in _documented_examples()])
def test_the_examples_in_docs_errors_md_are_what_the_command_prints(name, lines, tmp_path, good_output):
    case = _load_case(BROKEN / f"{name}.yaml")
    root = _prepare(tmp_path, good_output, case)
    result = CliRunner().invoke(cli, _argv(case, root), env=case.get("env"))
    printed = _shape(result.output.replace(str(root), DOC_PROJECT))
    for line in lines:
        assert _shape(line) in printed, f"docs/errors.md shows a message the program no longer prints:\n{line}"


def test_docs_errors_md_has_an_example_of_each_exit_code():
    cases = {name: _load_case(BROKEN / f"{name}.yaml") for name, _ in _documented_examples()}
    assert {c["exit"] for c in cases.values()} == {1, 2}
    assert len(cases) >= 25


def test_a_reader_that_closes_the_output_early_is_no_error(tmp_path):
    """`whitepaper cities | head -3`: the pipe's reader goes away; exit as a shell reports SIGPIPE (141), quietly."""
    root = copy_project(tmp_path / "project")
    read_end, write_end = os.pipe()
    os.close(read_end)   # the reader is gone before the first line is written
    try:
        result = subprocess.run([sys.executable, "-m", "pipeline.cli", "cities", "--project", str(root)],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""
