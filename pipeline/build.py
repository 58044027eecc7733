"""Run the stages in order: load → validate → resolve → charts → typeset → write.

Nothing reaches ``output/`` until every chapter is loaded, validated and
resolved and the whole PDF has been typeset in memory; the PDF is then written
to a temporary file beside the target and renamed over it, so a failed or
killed build leaves the previous PDF untouched.
"""
from __future__ import annotations

import calendar
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .load import load_project
from .model import BuildResult, ContentError, Project, ResolvedDocument
from .resolve import resolve_document
from .validate import glyph_problems, validate_project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    project: Path = Path(".")
    output: Path | None = None       # default: <project>/output/whitepaper-<year>.pdf
    cache_dir: Path | None = None    # default: <project>/output/.cache


def output_dir(project_root: Path) -> Path:
    return Path(project_root) / "output"


def cache_dir(options: Options) -> Path:
    return options.cache_dir or output_dir(options.project) / ".cache"


def document_epoch(edition_year: int, edition_month: int | None) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the edition's own date — never "now"."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    return calendar.timegm((edition_year, edition_month or 1, 1, 0, 0, 0))


def check(options: Options) -> tuple[Project, ResolvedDocument]:
    """Load, validate and resolve (rules and glyphs included); render nothing. Raises ContentError."""
    project = load_project(options.project)
    problems = validate_project(project)
    if problems:
        raise ContentError(problems)
    ed = project.edition.data
    document = resolve_document(project, document_epoch(ed["year"], ed.get("month")))
    _check_glyphs(project, document, options)
    return project, document


def _check_glyphs(project: Project, document: ResolvedDocument, options: Options) -> None:
    from .load import font_coverage

    fonts_cache = cache_dir(options) / "fonts"
    coverage = {path.name: font_coverage(path, fonts_cache) for path in project.fonts.values()}
    problems = glyph_problems(document, coverage, project.root)
    if problems:
        raise ContentError(problems)


def build(options: Options) -> BuildResult:
    project, document = check(options)
    target = options.output or output_dir(project.root) / f"whitepaper-{document.edition.year}.pdf"
    return render_pdf(project, document, Path(target), options)


def render_pdf(project: Project, document: ResolvedDocument, target: Path, options: Options) -> BuildResult:
    from .charts import render_charts
    from .typeset import typeset_document

    figures = document.figures()
    images, drawn = render_charts([f.chart for f in figures], project.fonts["sans"], project.fonts["sans-bold"],
                                  cache_dir(options) / "charts")
    by_id = {f.id: img for f, img in zip(figures, images)}
    log.info("charts: %d drawn, %d from cache", drawn, len(figures) - drawn)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as out:
        pages = typeset_document(document, by_id, project.fonts, out)
    return BuildResult(pdf=target, pages=pages, charts_rendered=drawn, charts_cached=len(figures) - drawn)


class atomic_output:
    """Write to a hidden temp file in the target's folder; rename over the target only on success."""

    def __init__(self, target: Path):
        self.target = target

    def __enter__(self):
        _remove_stale_temps(self.target.parent)
        fd, self.tmp = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp")
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()
            if exc_type is None:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp makes 0600; a PDF is for sharing
                os.replace(self.tmp, self.target)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)
        return False


def _remove_stale_temps(folder: Path) -> None:
    """Temp files left by a killed build (older than an hour, so a parallel build's file is safe)."""
    import time

    for p in folder.glob(".*.tmp"):
        try:
            if time.time() - p.stat().st_mtime > 3600:
                p.unlink()
        except OSError:
            pass
