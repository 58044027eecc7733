"""``whitepaper watch``: build, then build again on every save of an input file.

The process stays up, so what a one-off build pays for every time is paid
once: the imports, the fonts (registered once per process), the compiled
templates, the parsed charts, the chart worker with matplotlib imported, and
every YAML file not saved since it was last parsed (``load.remember_parsed_yaml``).  A save costs only the stages
that read what changed, then layout and writing.

Changes are found by polling the modification times of the project's input
folders (chapters/, data/, fonts/, and images/, themes/ or editions/ when present): no
extra dependency, and it works the same on every file system.  A change is
built once the files have stopped changing for one poll, so an editor that
writes a file in several steps causes one build.  A failed build reports its
problems; the last good PDF stays in place (the build writes atomically).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .build import Options, build
from .model import ContentError, UsageError

log = logging.getLogger(__name__)

WATCHED_FOLDERS = ("chapters", "data", "fonts", "images", "themes", "editions")


@dataclass(frozen=True)
class WatchEvent:
    """One build: what triggered it, how it went, how long it took (seconds)."""

    changed: tuple[str, ...]          # project-relative paths; () for the first build
    seconds: float
    pdf: Path | None = None           # the PDF written, when the build succeeded
    pages: int = 0
    problems: tuple[str, ...] = ()    # one line each, when it failed


RECENT_NS = 2_000_000_000   # a file saved this recently is told apart by its content too (see snapshot)
SMALL = 1 << 20             # … when it is small enough to read at every poll


def snapshot(root: Path) -> dict[str, tuple]:
    """(mtime_ns, size) of every file in the watched folders and of top-level YAML files; for a small file
    saved in the last two seconds, its content's digest too.  File times advance in clock ticks of a few
    milliseconds: two saves within one tick that keep the size (90.4 → 90.5) have the same time and size,
    and the second would go unseen (git calls such entries "racy" and compares their content too)."""
    import hashlib

    state: dict[str, tuple] = {}
    candidates = [p for name in WATCHED_FOLDERS if (root / name).is_dir() for p in (root / name).rglob("*")]
    candidates += list(root.glob("*.yaml"))
    now = time.time_ns()
    for path in candidates:
        try:
            st = path.stat()
            if not path.is_file() or path.name.startswith("."):
                continue
            entry: tuple = (st.st_mtime_ns, st.st_size)
            if now - st.st_mtime_ns < RECENT_NS and st.st_size <= SMALL:
                entry += (hashlib.sha256(path.read_bytes()).digest(),)
        except OSError:  # removed meanwhile: the next snapshot will not list it
            continue
        state[path.relative_to(root).as_posix()] = entry
    return state


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> tuple[str, ...]:
    return tuple(sorted(k for k in before.keys() | after.keys() if _differs(before.get(k), after.get(k))))


def _differs(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None or a[:2] != b[:2]:
        return a != b
    return len(a) == len(b) == 3 and a[2] != b[2]   # a digest only while recent: its going is no change


def build_once(options: Options, changed: tuple[str, ...] = ()) -> WatchEvent:
    start = time.perf_counter()
    try:
        result = build(options)
    except ContentError as e:
        return WatchEvent(changed, time.perf_counter() - start, problems=tuple(str(p) for p in e.problems))
    except UsageError as e:
        if not changed:
            raise  # the command line is wrong (an unknown city): nothing to watch for
        return WatchEvent(changed, time.perf_counter() - start, problems=(str(e),))
    return WatchEvent(changed, time.perf_counter() - start, pdf=result.pdf, pages=result.pages)


def watch(options: Options, on_build: Callable[[WatchEvent], None], interval: float = 0.05,
          keep_going: Callable[[], bool] = lambda: True) -> None:
    """Build now, then after every change, calling ``on_build`` after each, while ``keep_going()``."""
    from . import load
    from .charts import keep_worker

    load.remember_parsed_yaml(True)
    keep_worker(True)   # matplotlib stays imported in the chart worker between saves
    root = Path(options.project).resolve()
    options = Options(project=root, output=options.output, cache_dir=options.cache_dir, city=options.city,
                      edition=options.edition)
    seen = snapshot(root)
    on_build(build_once(options))
    while keep_going():
        time.sleep(interval)
        now = snapshot(root)
        changed = changes(seen, now)
        if not changed:
            continue
        # wait until the files stop changing (an editor may save in several writes)
        while True:
            time.sleep(interval)
            settled = snapshot(root)
            if not changes(now, settled):
                break
            changed = changes(seen, settled)
            now = settled
        seen = now
        on_build(build_once(options, changed))
