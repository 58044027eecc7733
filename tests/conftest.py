"""Shared fixtures: a private copy of the shipped project, and one full build of it per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import os

import pymupdf
import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed so a run is reproducible; locally they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

from pipeline.build import Options, build

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """Copy chapters/, editions/ and data/ (small, editable) and link fonts/ (large, read-only)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("chapters", "editions", "data"):
        shutil.copytree(ROOT / name, dest / name)
    (dest / "fonts").symlink_to(ROOT / "fonts", target_is_directory=True)
    return dest


BULLETIN = ROOT / "tests" / "fixtures" / "bulletin"


def copy_bulletin(dest: Path) -> Path:
    """Copy the bulletin test publication; its fonts link (relative, ../../../fonts) becomes an absolute
    link to the repository's fonts/, so the copy builds wherever it lives."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("chapters", "data", "images"):
        shutil.copytree(BULLETIN / name, dest / name)
    (dest / "fonts").symlink_to((BULLETIN / "fonts").resolve(), target_is_directory=True)
    return dest


@pytest.fixture(scope="session")
def bulletin(tmp_path_factory):
    """The bulletin test publication, built once: (BuildResult, project root)."""
    root = copy_bulletin(tmp_path_factory.mktemp("bulletin"))
    result = build(Options(project=root))
    return result, root


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """The shipped edition, built once: (BuildResult, project root)."""
    root = copy_project(tmp_path_factory.mktemp("edition"))
    result = build(Options(project=root))
    return result, root


@pytest.fixture(scope="session")
def edition_pdf(edition):
    doc = pymupdf.open(edition[0].pdf)
    yield doc
    doc.close()


@pytest.fixture(scope="session")
def cities_build(tmp_path_factory):
    """The edition, then all 20 excerpts with -j 2 from a cold cache: (project root, {city: CityOutcome})."""
    root = copy_project(tmp_path_factory.mktemp("cities"))
    build(Options(project=root))
    from pipeline.batch import build_cities

    outcomes = build_cities(Options(project=root), jobs=2)
    return root, {o.city: o for o in outcomes}


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


# Body text area (points from the top of an A4 page): excludes running header and footer.
HEADER_BOTTOM = 75
FOOTER_TOP = 842 - 60


def body_text(page) -> str:
    """The page's text inside the text block, lines joined without separators."""
    rect = pymupdf.Rect(0, HEADER_BOTTOM, page.rect.width, FOOTER_TOP)
    # TEXT_INHIBIT_SPACES: only the glyphs in the PDF (our spaces are real glyphs), no space guessed
    # from a wide gap in a loosely justified line
    flags = pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_INHIBIT_SPACES
    return page.get_text("text", clip=rect, flags=flags).replace("\n", "")


def document_text(doc) -> str:
    return "".join(body_text(p) for p in doc)


def source_paragraphs() -> list[str]:
    path = ROOT / "tests" / "fixtures" / "source_paragraphs.txt"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
