"""Registering the four PDF faces, their glyph coverage and advance widths."""
from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics

from ..manifest import file_digest
from .fontcache import load_font
from .styles import FONT_ROLES, SERIF


def register_fonts(font_files: dict[str, Path], cache_dir: Path | None = None) -> None:
    """Register the four faces once per process (cheap to call again).

    With ``cache_dir`` (``output/.cache``), what ReportLab parses from each face
    is kept there as a sealed entry and restored by later builds (fontcache.py).
    """
    from reportlab.pdfbase.ttfonts import TTFError

    from ..model import ContentError, Problem, SourcePos

    store = None
    for role, name in FONT_ROLES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            path = Path(font_files[role])
            rel = f"fonts/{path.name}"
            try:
                if cache_dir is not None and store is None:
                    from ..cachestore import open_store

                    store = open_store(cache_dir, "fonts")
                digest = file_digest(path, store.folder) if store is not None else None
                pdfmetrics.registerFont(load_font(name, path, store, digest))
            except (TTFError, OSError) as e:
                raise ContentError([Problem(SourcePos(rel), "", f"cannot use this font for {role} text: {e}; "
                                                                "restore the file from the repository")]) from None
            except Exception:   # noqa: BLE001 — a truncated or damaged file fails anywhere in the parser
                raise ContentError([Problem(SourcePos(rel), "", f"cannot use this font for {role} text: the file "
                                                                "is damaged or cut short (not a complete TrueType "
                                                                "font); restore it from the repository")]) from None
    # Without this ReportLab puts a non-embedded Helvetica into the page resources (the canvas
    # default; renderPDF's, for SVG images, is set where they are drawn: images.py).
    rl_config.canvas_basefontname = SERIF


def font_coverage(font_files: dict[str, Path], cache_dir: Path | None = None) -> dict[str, AbstractSet[int]]:
    """The code points each face can print, read from the fonts as ReportLab parsed them
    (the glyph check before typesetting uses the very cmaps that will set the text).

    Each is a view of the registered face's character map: no copy of its 20 000 entries."""
    register_fonts(font_files, cache_dir)
    return {Path(font_files[role]).name: pdfmetrics.getFont(name).face.charToGlyph.keys()
            for role, name in FONT_ROLES.items()}


@lru_cache(maxsize=None)
def _widths(font: str) -> tuple[dict, float]:
    face = pdfmetrics.getFont(font).face
    return face.charWidths, face.defaultWidth


def advance(font: str, char: str) -> float:
    """Advance width of one character in em (the line breaker's measure)."""
    widths, default = _widths(font)
    return widths.get(ord(char), default) / 1000.0
