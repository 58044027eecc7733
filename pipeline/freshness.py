"""Is the PDF up to date?  A no-op ``build`` answers without loading the project.

After each successful build a stamp records, for that command (project,
``-o`` target, ``--city``), every input file's sha256 (edition, chapters, data
dictionary, CSVs, fonts: the manifest's inputs), the tool versions, a
fingerprint of the pipeline's own code, the document date and the PDF's
sha256.  The next ``build`` of the same command hashes the same files again
(fonts through their sealed digest cache) and, when nothing differs and the
PDF is still the one written, says so instead of typesetting.  The set of
input files cannot change without the edition or the data dictionary, which
are inputs themselves.

Stamps live in ``output/.cache/builds/`` as sealed JSON (pipeline/cachestore.py):
a stamp that does not verify is no stamp, and the build runs.  Stdlib only
(imports nothing heavy: this is the whole of a no-op build).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import __version__
from .cachestore import open_store
from .manifest import file_digest, tool_versions

FORMAT = 1


@dataclass(frozen=True)
class Fresh:
    pdf: Path
    pages: int


def _stamp_name(project: Path, output: Path | None, city: str | None, edition: str | None = None) -> str:
    # the edition asked for, and which edition files exist: a new edition file makes `build` (the newest)
    # another command, never "up to date" with the edition built before it
    editions = sorted(p.name for p in (Path(project) / "editions").glob("*.y*ml"))
    key = json.dumps([str(Path(project).resolve()), str(Path(output).resolve()) if output else None, city,
                      edition, editions], ensure_ascii=False)
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.json"


@cache
def code_fingerprint() -> str:
    """The pipeline's own source files (names, sizes, mtimes): editing the code is a change too.  Taken
    once per process, when first asked (before the build): the code that runs, which a build records."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _epoch_env() -> str | None:
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return env or None


def _digests(root: Path, files: list[str], fonts_cache: Path) -> dict[str, str]:
    return {rel: file_digest(root / rel, fonts_cache) for rel in files}


def record(project_root: Path, cache_dir: Path, output: Path | None, city: str | None, pdf: Path, pages: int,
           pdf_sha256: str, input_files: list[Path], edition: str | None = None) -> None:
    """Remember what this build read and wrote (after the PDF is in place)."""
    root = Path(project_root).resolve()
    files = []
    for path in input_files:
        try:
            files.append(Path(path).resolve().relative_to(root).as_posix())
        except ValueError:  # an input outside the project (a linked font folder): by its absolute path
            files.append(str(Path(path).resolve()))
    store = open_store(cache_dir, "builds")
    stamp = {"format": FORMAT, "files": _digests(root, files, Path(cache_dir) / "fonts"), "tools": tool_versions(),
             "code": code_fingerprint(), "epoch_env": _epoch_env(), "pdf": str(Path(pdf).resolve()),
             "pages": pages, "sha256": pdf_sha256}
    store.put(_stamp_name(root, output, city, edition),
              json.dumps(stamp, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def up_to_date(project_root: Path, cache_dir: Path, output: Path | None, city: str | None,
               edition: str | None = None) -> Fresh | None:
    """The PDF this command would write, if nothing it was built from has changed; else None."""
    root = Path(project_root).resolve()
    name = _stamp_name(root, output, city, edition)
    if not (Path(cache_dir) / "builds" / name).is_file():
        return None   # never built this way (and no key file made just to look)
    data = open_store(cache_dir, "builds").get(name)
    if data is None:
        return None
    try:
        stamp = json.loads(data)
        if stamp.get("format") != FORMAT or stamp["epoch_env"] != _epoch_env():
            return None
        if stamp["tools"] != tool_versions() or stamp["code"] != code_fingerprint():
            return None
        files = stamp["files"]
        for rel, digest in files.items():
            if not (root / rel).is_file() or file_digest(root / rel, Path(cache_dir) / "fonts") != digest:
                return None
        pdf = Path(stamp["pdf"])
        if file_digest(pdf) != stamp["sha256"]:
            return None
        return Fresh(pdf=pdf, pages=int(stamp["pages"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
