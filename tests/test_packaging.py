"""What `pip install .` ships: every module of the pipeline, its stages' subpackages included."""
from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT


def test_a_built_package_holds_every_module(tmp_path):
    # setuptools' build_py reads pyproject.toml as pip's backend does; a plain install once lacked
    # pipeline/typeset/, resolve/ and charts/ (the package list named only the top package).
    # Built in a copy, so no egg-info is left in (or read from) the checkout.
    src = tmp_path / "src"
    shutil.copytree(ROOT / "pipeline", src / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    code = ("import sys; from setuptools import setup; "
            f"sys.argv = ['setup.py', '-q', 'build_py', '--build-lib', {str(tmp_path / 'lib')!r}]; setup()")
    subprocess.run([sys.executable, "-c", code], cwd=src, check=True, capture_output=True, timeout=120)
    shipped = {p.relative_to(tmp_path / "lib").as_posix() for p in (tmp_path / "lib").rglob("*.py")}
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline").rglob("*.py")}
    assert "pipeline/typeset/document.py" in sources and "pipeline/resolve/__init__.py" in sources
    assert shipped == sources
