"""`build` with nothing changed since the last build says so and leaves the PDF alone; any input change,
a changed or missing PDF, another document date or --force builds."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, copy_bulletin, copy_project


def _build(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if env is None:
        full_env.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--project", str(project), *args],
                            env=full_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def _built(result) -> bool:
    if "is up to date" in result.stdout:
        return False
    assert result.stdout.startswith("wrote "), result.stdout
    return True


def test_nothing_changed_nothing_built(tmp_path):
    root = copy_project(tmp_path / "project")
    pdf = root / "output" / "2008" / "whitepaper-2008.pdf"
    assert _built(_build(root))
    before = pdf.stat().st_mtime_ns, pdf.read_bytes()
    result = _build(root)
    assert not _built(result) and str(pdf) in result.stdout
    assert (pdf.stat().st_mtime_ns, pdf.read_bytes()) == before

    # one paragraph edited: built again, and the new text is in the PDF
    chapter = root / "chapters" / "02-market.yaml"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("市场规模达到了", "市场规模达到", 1), encoding="utf-8")
    assert _built(_build(root))
    assert pdf.read_bytes() != before[1]
    assert not _built(_build(root))

    # data values edited (ITO + BPO still make the total: a consistency rule)
    market = root / "data" / "market.csv"
    market.write_text(market.read_text(encoding="utf-8").replace("2007,ito,90.4", "2007,ito,90.5")
                      .replace("2007,bpo,61.6", "2007,bpo,61.5"), encoding="utf-8")
    assert _built(_build(root))

    # the PDF damaged or gone, another date, --force: built
    with open(pdf, "ab") as f:
        f.write(b"\n")
    assert _built(_build(root))
    pdf.unlink()
    assert _built(_build(root)) and pdf.is_file()
    assert _built(_build(root, env={"SOURCE_DATE_EPOCH": "1200000000"}))
    assert not _built(_build(root, env={"SOURCE_DATE_EPOCH": "1200000000"}))
    assert _built(_build(root))
    assert _built(_build(root, "--force"))

    # a city's excerpt has its own record
    assert _built(_build(root, "--city", "dalian"))
    assert not _built(_build(root, "--city", "dalian"))
    assert not _built(_build(root))

    # a record that does not verify is no record
    for stamp in (root / "output" / ".cache" / "builds").glob("*.json"):
        stamp.write_bytes(stamp.read_bytes().replace(b'"pages": ', b'"pages": 9'))
    assert _built(_build(root))


def test_the_bulletin_is_not_built_twice_either(tmp_path):
    root = copy_bulletin(tmp_path / "bulletin")
    out = tmp_path / "bulletin.pdf"
    assert _built(_build(root, "-o", str(out)))
    assert not _built(_build(root, "-o", str(out)))
    (root / "data" / next(p.name for p in (root / "data").glob("*.csv"))).open("a").write("")  # touched, same bytes
    assert not _built(_build(root, "-o", str(out)))


def test_an_edit_of_the_pipelines_own_code_builds_again(tmp_path):
    """The stamp holds the code that built the PDF: a changed module (an upgrade, a fix) is not 'up to date'."""
    import shutil

    code = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    root = copy_bulletin(tmp_path / "bulletin")

    def build() -> bool:
        env = {**os.environ, "PYTHONPATH": str(code)}
        env.pop("SOURCE_DATE_EPOCH", None)
        result = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--project", str(root)], env=env,
                                cwd=tmp_path, capture_output=True, text=True, timeout=300)   # cwd: not the repository's code
        assert result.returncode == 0, result.stderr
        assert str(code) in subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"],
                                           env=env, cwd=tmp_path, capture_output=True, text=True).stdout
        return _built(result)

    assert build()
    assert not build()
    module = code / "pipeline" / "words.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# a fix\n", encoding="utf-8")
    assert build()
    assert not build()
