"""The build manifest: ``output/manifest.json`` lists every PDF built, with what it was built from.

Takes :class:`~pipeline.model.BuildResult` objects; merges them into the
manifest (one entry per PDF, keyed by its path relative to ``output/``) and
writes it atomically under a lock, so a city build never drops the edition's
entry and two builds finishing at once do not lose each other's entries.
The manifest holds no timestamps: same inputs, same manifest.  Stdlib only.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import stat
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import __version__
from .cachestore import CacheStore, cache_secret
from .files import _write, explain, read_input
from .model import BuildResult, ContentError, Project, UsageError
from .versions import installed_version

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
# Libraries whose version changes the PDF bytes (read without importing them).
_OUTPUT_LIBRARIES = ("reportlab", "matplotlib", "svglib")


@lru_cache(maxsize=None)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))   # a FIFO must not block us
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a file; cached per process by (path, size, mtime) so a batch hashes each font once.

    With ``cache_dir``, digests of large files (the 7–9 MB fonts) are also kept
    there across builds.
    """
    st = os.stat(path)
    if cache_dir is None or st.st_size < (1 << 20):
        return _file_digest(str(path), st.st_size, st.st_mtime_ns)
    known = _large_digests.get((str(path), st.st_size, st.st_mtime_ns))
    if known is not None:   # once per process: a batch records every excerpt's inputs
        return known
    key = hashlib.sha256(f"{Path(path).name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:24]
    store = CacheStore(Path(cache_dir), cache_secret(Path(cache_dir).parent))  # sealed: see cachestore.py
    name = f"sha256-{key}.txt"
    cached = store.get(name)
    if cached is not None and len(cached.strip()) == 64:
        digest = cached.strip().decode("ascii")
    else:
        digest = _file_digest(str(path), st.st_size, st.st_mtime_ns)
        store.put(name, digest.encode("ascii"))  # a read-only cache only costs the hashing next time
    _large_digests[(str(path), st.st_size, st.st_mtime_ns)] = digest
    return digest


_large_digests: dict[tuple[str, int, int], str] = {}


@lru_cache(maxsize=None)
def tool_versions() -> str:
    return ", ".join([f"whitepaper {__version__}"] +
                     [f"{name} {installed_version(name) or '-'}" for name in _OUTPUT_LIBRARIES])


def input_files(project: Project) -> list[Path]:
    """Every file a build reads: the edition, its chapters, the data dictionary, the CSVs, the fonts, the images."""
    root = project.root
    files = {root / project.edition.path, root / project.tables_doc.path}
    files.update(root / doc.path for doc in project.chapters)
    files.update(root / table.file for table in project.tables.values())
    files.update(project.fonts.values())
    files.update(root / rel for rel in _image_files(project) if (root / rel).is_file())
    return sorted(files)


def _image_files(project: Project) -> list[str]:
    """The pictures of image blocks and the cover logo (project-relative)."""
    found = []
    logo = project.edition.data.get("logo") if isinstance(project.edition.data, dict) else None
    if isinstance(logo, dict) and isinstance(logo.get("file"), str):
        found.append(logo["file"])
    for doc in project.chapters:
        for block in (doc.data or {}).get("blocks") or ():
            spec = block.get("image") if isinstance(block, dict) else None
            if isinstance(spec, dict) and isinstance(spec.get("file"), str):
                found.append(spec["file"])
    return found


def inputs_hash(project: Project, city: str | None, epoch: int, cache_dir: Path | None = None) -> str:
    """A hash of everything that decides a PDF's bytes: files, tool versions, the city and the date."""
    h = hashlib.sha256()
    for path in input_files(project):
        try:
            name = path.relative_to(project.root).as_posix()
        except ValueError:
            name = path.name
        h.update(f"{name}\0{file_digest(path, cache_dir)}\n".encode())
    h.update(f"tools\0{tool_versions()}\ncity\0{city or ''}\nepoch\0{epoch}\n".encode())
    return h.hexdigest()


def entry(result: BuildResult) -> dict:
    out = {"kind": "city" if result.city else "edition", "city": result.city, "pages": result.pages,
           "sha256": result.sha256, "bytes": result.pdf.stat().st_size if result.pdf.exists() else None,
           "inputs": result.inputs, "tool": tool_versions()}
    if result.edition:
        out["edition"] = result.edition   # a project of several editions: which one (its path says it too)
    return out


def manifest_key(output_dir: Path, pdf: Path) -> str:
    return Path(os.path.relpath(Path(pdf).resolve(), Path(output_dir).resolve())).as_posix()


def record(output_dir: Path, results: list[BuildResult]) -> Path:
    """Merge ``results`` into ``output_dir/manifest.json`` (atomic replace, under a lock); return its path.

    Only PDFs under ``output_dir`` are recorded (a PDF written elsewhere with -o
    is not build output).  An OS error is a UsageError naming the file.
    """
    output_dir = Path(output_dir)
    path = output_dir / MANIFEST
    inside = [r for r in results if Path(r.pdf).resolve().is_relative_to(output_dir.resolve())]
    if not inside:
        return path
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with _locked(output_dir / ".manifest.lock"):
            pdfs = read(output_dir)
            for result in inside:
                pdfs[manifest_key(output_dir, result.pdf)] = entry(result)
            # a PDF deleted since it was recorded is no longer built output
            pdfs = {k: v for k, v in pdfs.items() if (output_dir / k).is_file()}
            data = {"format": FORMAT, "pdfs": dict(sorted(pdfs.items()))}
            text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            _write(path, text.encode("utf-8"), durable=True)
    except OSError as e:
        raise UsageError(explain(e, path)) from None
    return path


def read(output_dir: Path) -> dict[str, dict]:
    """The manifest's entries ({} when there is none, or it is unreadable: it is rebuilt, not trusted)."""
    path = Path(output_dir) / MANIFEST
    try:
        data = json.loads(read_input(output_dir, MANIFEST).decode("utf-8"))   # a FIFO there must not hang us
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, ContentError, UsageError) as e:
        log.warning("%s is unreadable (%s); starting a new one", path, e)
        return {}
    pdfs = data.get("pdfs") if isinstance(data, dict) else None
    return dict(pdfs) if isinstance(pdfs, dict) else {}


@contextmanager
def _locked(lock_path: Path):
    """An exclusive advisory lock (POSIX flock) around read-merge-write; no-op where flock is missing.

    The lock file is opened without following a symbolic link and without
    truncating, and must be a regular file: a link planted there cannot make us
    create or touch a file elsewhere.  A lock file we may not write (another
    user's) is locked read-only: flock does not need write access.
    """
    try:
        import fcntl
    except ImportError:  # Windows: os.replace keeps the file whole, a rare lost update is the cost
        yield
        return
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags | os.O_RDWR, 0o644)
    except PermissionError:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"{lock_path}: the lock file is not a regular file; delete it and build again")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
