"""Safe file access for every stage: atomic writes, our own temp names, inputs that are files.

Writes go to a private temporary file in the target's folder, named
``.<target>.whitepaper-<random>.tmp`` (a name only we make), which is then
renamed over the target: builds running at the same time, or a build killed
halfway, leave either the old file or the new one, never half of either.  A
later write to the same target removes that target's own temp files once they
are an hour old, and nothing else.

Reads of project inputs open the file without blocking and refuse anything
that is not a regular file (a FIFO would hang the build, a device never ends).

OS errors become one sentence naming the file and what to do
(:func:`explain`).  Stdlib only; any stage may use it.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import stat
import time
from pathlib import Path

from .model import ContentError, Problem, SourcePos, UsageError

log = logging.getLogger(__name__)

TEMP_TAG = "whitepaper"
STALE_AFTER_S = 3600   # a temp file this old belongs to a killed build; a running build's is younger

# What an errno means to someone running the command, and what to do about it.
_REASONS = {
    errno.ENOSPC: ("the disk is full", "free some space and run the command again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space and run the command again"),
    errno.EROFS: ("the file system is read-only", "make it writable (one PDF can go elsewhere with -o FILE)"),
    errno.EACCES: ("permission denied", "make it writable for you (one PDF can go elsewhere with -o FILE)"),
    errno.EPERM: ("operation not permitted", "make it writable for you (one PDF can go elsewhere with -o FILE)"),
    errno.EISDIR: ("it is a folder", "move that folder away, or name another file with -o FILE"),
    errno.ENOTDIR: ("a file stands where a folder should be", "move that file away"),
    errno.EEXIST: ("a file stands where a folder should be", "move that file away"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter name"),
    errno.ELOOP: ("a symbolic link is in the way", "remove the link"),
    errno.EBUSY: ("it is in use by the system (a mount point?)", "name an ordinary file"),
    errno.EIO: ("an input/output error", "check the disk"),
}


def explain(error: OSError, path: Path | str | None = None, action: str = "cannot write") -> str:
    """``<file>: cannot write: the disk is full; free some space and run the command again``."""
    where = error.filename if error.filename not in (None, "") else path
    if path is not None and f".{TEMP_TAG}-" in Path(str(where)).name:
        where = path   # the target, not our random temp name
    reason, todo = _REASONS.get(error.errno, (error.strerror or "the operating system refused", ""))
    text = f"{action}: {reason}" + (f"; {todo}" if todo else "")
    return f"{where}: {text}" if where not in (None, "") else text


# ---------------------------------------------------------------- temp files


def temp_prefix(target: Path) -> str:
    return f".{Path(target).name}.{TEMP_TAG}-"


def is_own_temp(name: str, target: Path) -> bool:
    """True for the names :func:`make_temp` gives ``target``'s temp files."""
    return re.fullmatch(re.escape(temp_prefix(target)) + r"[0-9a-f]{8}\.tmp", name) is not None


# Temp files this process made and has not yet renamed or removed.  Ctrl-C or SIGTERM can land
# anywhere (a signal caught by another thread, such as a BLAS worker, is handled by the main thread
# at its next bytecode), so a name is registered before the file is created; the CLI removes them.
_own_temps: set[str] = set()


def make_temp(target: Path) -> tuple[int, str]:
    """A new private temp file beside ``target`` (first removing this target's stale ones):
    ``.<target>.whitepaper-<8 random hex digits>.tmp``, created exclusively, mode 0600.

    Call :func:`forget_temp` once it is renamed or removed."""
    target = Path(target)
    remove_stale_temps(target)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(target.parent, f"{temp_prefix(target)}{secrets.token_hex(4)}.tmp")
        _own_temps.add(tmp)
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:   # another build's name: try the next
            _own_temps.discard(tmp)
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def forget_temp(tmp: str) -> None:
    _own_temps.discard(tmp)


def remove_own_temps() -> None:
    """Remove the temp files this process still has (called when it is interrupted)."""
    for tmp in list(_own_temps):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _own_temps.discard(tmp)


def remove_stale_temps(target: Path) -> None:
    """Delete temp files a killed build left for ``target``: our exact name pattern, regular files we
    own, older than an hour (a parallel build's is younger).  Never anything else in the folder."""
    target = Path(target)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    now = time.time()
    prefix = temp_prefix(target)
    for name in names:
        if not name.startswith(prefix) or not is_own_temp(name, target):   # most names: no regular expression
            continue
        path = target.parent / name
        try:
            st = path.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and now - st.st_mtime > STALE_AFTER_S:
                path.unlink()
        except OSError:
            pass


# ---------------------------------------------------------------- writing


def _write(target: Path, data: bytes, durable: bool = False) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp(target)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:   # a record others read (the manifest): on disk before it replaces the old one
                f.flush()
                os.fsync(f.fileno())
        if durable:
            os.chmod(tmp, 0o644)   # make_temp's 0600 would hide it from other users
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        forget_temp(tmp)


def write_atomically(target: Path, data: bytes, durable: bool = False) -> None:
    """Replace ``target`` with ``data`` in one step (``durable``: fsynced, readable by all);
    an OS error is a UsageError naming the file (exit 2)."""
    try:
        _write(target, data, durable)
    except OSError as e:
        raise UsageError(explain(e, target)) from None


def write_cache(target: Path, data: bytes) -> None:
    """write_atomically for a cache entry: failing to store it only costs time next build."""
    try:
        _write(target, data)
    except OSError as e:
        log.info("could not cache %s: %s", target, e)


# ---------------------------------------------------------------- the -o target


# The project's input folders: -o may not write into them.
INPUT_FOLDERS = ("chapters", "data", "fonts", "images", "themes", "editions")


def check_output_file(given: str | Path, project_root: Path, inputs: tuple[Path, ...] = ()) -> Path:
    """The PDF ``-o`` names, or a UsageError (exit 2) when writing it would destroy something.

    Refused: an empty name, a folder, anything but a regular file (a device such
    as /dev/null, a FIFO, a socket), a file in the project's input folders or
    among ``inputs`` (the files the project reads), an existing file that is not
    a PDF, and a folder that does not exist (outside ``output/``).  Symbolic
    links are followed before deciding.
    """
    text = str(given)
    if not text.strip():
        raise UsageError("-o/--output: the file name is empty; name the PDF to write, e.g. -o report.pdf")
    path = Path(os.path.abspath(text))
    folder_hint = f"-o names a folder; name the PDF file to write in it, e.g. -o {text.rstrip('/' + os.sep)}/report.pdf"
    real = path.resolve()
    root = Path(project_root).resolve()
    for folder in INPUT_FOLDERS:
        if real.is_relative_to((root / folder).resolve()):
            raise UsageError(f"{text}: is inside the project's {folder}/ folder, which holds its inputs; "
                             "write the PDF to output/ or elsewhere")
    if real in {Path(p).resolve() for p in inputs}:
        raise UsageError(f"{text}: is an input of the project; write the PDF to output/ or elsewhere")
    if text.endswith(("/", os.sep)):
        raise UsageError(f"{text}: {folder_hint}")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        in_the_way = next((p for p in real.parents if p.exists() and not p.is_dir()), real.parent)
        raise UsageError(f"{text}: {in_the_way} is a file, not a folder; choose another path") from None
    except OSError as e:
        raise UsageError(explain(e, text, "cannot write")) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{text}: {folder_hint}")
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{text}: is {file_kind(st.st_mode)}, not a file; -o must name an ordinary file")
        if st.st_size and not _is_pdf(real):
            raise UsageError(f"{text}: exists and is not a PDF; -o only replaces PDFs: "
                             "delete the file first or choose another name")
    elif not real.parent.is_dir() and not real.parent.is_relative_to(root / "output"):
        # output/ and folders in it are ours to create; anywhere else, a missing folder is a typo
        raise UsageError(f"{text}: the folder {path.parent} does not exist; create it first")
    return path


def _is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return b"%PDF-" in f.read(1024)
    except OSError:
        return False


# ---------------------------------------------------------------- reading


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """'a FIFO (named pipe)', 'a device' … for anything that is not a regular file."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_input(root: Path, rel: str) -> bytes:
    """The bytes of the project file ``rel``.

    Opened without blocking and checked with fstat before reading, so a FIFO or
    a device in place of a chapter or CSV is a located error (exit 1), never a
    hang.  FileNotFoundError passes through (callers say which file was
    expected); other OS errors (permission denied …) are a UsageError (exit 2).
    """
    path = Path(root) / rel
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ContentError([Problem(SourcePos(rel), "", "is a folder, not a file; replace it with the file")]) \
            from None
    except OSError as e:
        raise UsageError(explain(e, rel, "cannot read")) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ContentError([Problem(SourcePos(rel), "",
                                        f"is {file_kind(st.st_mode)}, not a regular file; replace it with the file")])
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as e:
        raise UsageError(explain(e, rel, "cannot read")) from None
    finally:
        os.close(fd)
