"""Chart cache: each ChartSpec drawn once to a JSON drawing (vector.py) named by the hash of everything that shapes it."""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

from ..cachestore import CacheStore, cache_secret
from ..model import ChartImage, ChartSpec
from ..stopping import die_with_parent
from .draw import _draw, preload
from .partner import draw_share
from .recolour import _highlight_barh

# Bump when the house style below changes: it is part of every cache key.
STYLE_VERSION = "16"   # 16: JSON drawings (vector.py) instead of SVG

WIDTH_PT = 430.0
HEIGHTS_PT = {"pie": 215.0, "bar": 215.0, "grouped_bar": 225.0, "stacked_bar": 225.0, "timeline": 170.0,
              "line": 225.0}


def _height(spec: ChartSpec) -> float:
    if spec.kind == "barh":
        return max(180.0, 60.0 + 17.0 * len(spec.categories))
    return HEIGHTS_PT.get(spec.kind, 215.0)


_keys: dict[tuple, str] = {}   # cache_key's results per process: asdict() of a spec costs ~0.4 ms


def cache_key(spec: ChartSpec, font_stamp: str, library_version: str) -> str:
    known = _keys.get((spec, font_stamp, library_version))
    if known is not None:
        return known
    payload = json.dumps({"spec": asdict(spec), "style": STYLE_VERSION, "font": font_stamp,
                          "matplotlib": library_version}, ensure_ascii=False, sort_keys=True, default=str)
    key = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
    if len(_keys) < 10_000:   # a bound for a long watch session
        _keys[(spec, font_stamp, library_version)] = key
    return key


def _matplotlib_version() -> str:
    # Read the installed version without importing matplotlib (a warm build must not pay for it).
    from ..versions import installed_version

    return installed_version("matplotlib") or "-"


def font_stamp(font_paths: list[Path]) -> str:
    """Identify the font files cheaply but safely: name, size and a hash of the first and last 64 KiB."""
    h = hashlib.sha256()
    for p in font_paths:
        size = p.stat().st_size
        with open(p, "rb") as f:
            h.update(p.name.encode())
            h.update(str(size).encode())
            h.update(f.read(65536))
            f.seek(max(0, size - 65536))
            h.update(f.read())
    return h.hexdigest()[:16]


def render_charts(specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path,
                  cache_dir: Path) -> tuple[list[ChartImage], int]:
    """Return one ChartImage per spec (same order, drawing ready) and how many were drawn (not cached)."""
    with start_charts(specs, sans_font, sans_bold_font, cache_dir, parallel=False) as charts:
        return [replace(img, drawing=img.drawing_bytes(), pending=None) for img in charts.images], charts.drawn


def start_charts(specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path, cache_dir: Path,
                 parallel: bool = True) -> "ChartBatch":
    """One ChartImage per spec (same order), at once: the size comes from the spec, the drawing from the
    cache or, for charts not cached, from a worker process drawing them while the caller lays out
    the document (``image.drawing_bytes()`` waits for it).  Use as a context manager.

    ``cache_dir`` is the chart store (``output/.cache/charts``): a drawing is used
    only if its seal verifies and it is a whole drawing in the format; else it is
    drawn again and replaces the entry (see pipeline/cachestore.py).

    A batch already sent to the worker by :func:`send_charts_early` for the same
    charts is picked up, not sent again.
    """
    global _early
    early, _early = _early, None
    if early is not None:
        if parallel and early.specs == list(specs) and early.cache_dir == Path(cache_dir):
            return early
        early.cancel()
    return ChartBatch(specs, sans_font, sans_bold_font, Path(cache_dir), parallel)


def send_charts_early(specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path, cache_dir: Path) -> None:
    """If a chart worker is running (a cold build started it: warm_up), send it ``specs`` now, as soon
    as the document is resolved: it draws them while the build checks its glyphs and lays out, and
    :func:`start_charts` with the same charts picks the batch up."""
    global _early
    if _worker is None or _early is not None:
        return
    _early = ChartBatch(specs, sans_font, sans_bold_font, Path(cache_dir), parallel=True)


def charts_to_draw(specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path, cache_dir: Path) -> list[ChartSpec]:
    """The charts ``specs`` still need drawn (not in the cache), each once; for a city's highlighted
    copy, the common chart it is recoloured from.  A batch has these drawn once, before its pool
    forks (each of its workers would otherwise draw every one of them itself)."""
    store = CacheStore(Path(cache_dir), cache_secret(Path(cache_dir).parent))
    stamp, version = font_stamp([sans_font, sans_bold_font]), _matplotlib_version()

    def cached(spec: ChartSpec) -> bool:
        return _verified_entry(store, f"{cache_key(spec, stamp, version)}.json") is not None

    wanted: dict[str, ChartSpec] = {}
    for spec in specs:
        if spec.kind == "barh" and spec.highlight:   # a highlighted copy is recoloured from it (ChartBatch)
            spec = replace(spec, highlight=())
        name = cache_key(spec, stamp, version)
        if name not in wanted and not cached(spec):
            wanted[name] = spec
    return list(wanted.values())


class ChartBatch:
    def __init__(self, specs: list[ChartSpec], sans_font: Path, sans_bold_font: Path, cache_dir: Path,
                 parallel: bool):
        self.specs, self.cache_dir = list(specs), cache_dir
        self.store = CacheStore(cache_dir, cache_secret(cache_dir.parent))
        stamp = font_stamp([sans_font, sans_bold_font])
        version = _matplotlib_version()
        self.fonts = (sans_font, sans_bold_font)
        self._ready: dict[str, bytes] = {}
        self._pending: dict[str, object] = {}   # entry name → Future (or the spec, when drawn inline)
        self.images: list[ChartImage] = []
        missing: dict[str, ChartSpec] = {}
        for spec in specs:
            copy = spec.kind == "barh" and bool(spec.highlight)
            if copy:
                # a city's copy of the city chart is the common chart recoloured, not drawn again
                # (matplotlib would spend as long on it as on the whole chart), nor kept: recolouring
                # (~1 ms) costs less than reading and checking a kept copy; named after its common chart
                base_name = f"{cache_key(replace(spec, highlight=()), stamp, version)}.json"
                name = f"{base_name}+{_highlight_name(spec)}"
            else:
                name = f"{cache_key(spec, stamp, version)}.json"
            if name not in self._ready and name not in missing:
                if copy:
                    base = self._cached(base_name)
                    drawing = _highlight_barh(base, spec) if base is not None else None
                else:
                    drawing = self._cached(name)
                if drawing is not None:
                    self._ready[name] = drawing
                else:
                    missing[name] = spec
            self.images.append(ChartImage(self.store.path(name), WIDTH_PT, _height(spec),
                                          pending=partial(self._drawing, name)))
        self.drawn = len(missing)
        self._specs = dict(missing)
        if missing and parallel and not _inline and not _in_daemon():
            # one worker: on two cores the other one lays out the document meanwhile; once it has
            # imported matplotlib it forks a partner to draw every other chart (partner.py)
            # (a batch worker is a daemon and may not start processes: it draws inline)
            pool = chart_worker(sans_font, sans_bold_font)
            batch, specs = next(_batches), tuple(missing.values())
            for index, name in enumerate(missing):
                self._pending[name] = pool.submit(draw_share, batch, specs, index, self.fonts, _draw_chart)
        else:
            self._pending.update(missing)

    def _cached(self, name: str) -> bytes | None:
        return _verified_entry(self.store, name)

    def _drawing(self, name: str) -> bytes:
        if name not in self._ready:
            job = self._pending.pop(name)
            if hasattr(job, "result"):
                from concurrent.futures.process import BrokenProcessPool   # imported with the worker

                try:
                    drawing, base = job.result()
                except BrokenProcessPool:   # the worker died (killed?): a new one next time, inline now
                    _forget_worker()
                    drawing, base = _draw_chart(self._specs[name], *self.fonts)
            else:
                drawing, base = _draw_chart(job, *self.fonts)
            if base is not None:   # a highlighted copy: its common chart is kept, the copy is not
                self.store.put(base[0], base[1])
            else:
                self.store.put(name, drawing)  # sealed; several builds may share the cache
            self._ready[name] = drawing
        return self._ready[name]

    def __enter__(self) -> "ChartBatch":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()
        release_worker()

    def cancel(self) -> None:
        """Charts nobody will wait for (a failed build): not drawn if not started yet."""
        for job in self._pending.values():
            if hasattr(job, "cancel"):
                job.cancel()


_worker = None   # the process drawing charts for this one
_batches = itertools.count()   # names each batch of charts sent to the worker (its partner draws for one)
_keep_worker = False
_inline = False   # this process draws its charts itself (see draw_inline)
_early: "ChartBatch | None" = None   # charts sent to the worker before the layout asked (send_charts_early)


def draw_inline() -> None:
    """Never start a chart worker in this process: a batch worker (its pool already uses every
    core) whose chart process, orphaned when the batch is stopped, would live on for ever."""
    global _inline
    _inline = True


def keep_worker(on: bool) -> None:
    """Keep the chart worker between builds (``watch``: matplotlib stays imported there).
    Only for a process that forks nothing else: a pool's manager thread makes forking unsafe."""
    global _keep_worker
    _keep_worker = on


def release_worker() -> None:
    """End the chart worker after a build (unless kept): a process that goes on to fork others
    (a test run, a batch) must not carry the pool's thread into them."""
    global _early
    if _early is not None:   # sent early, never picked up (the build failed before its layout)
        _early.cancel()
        _early = None
    if not _keep_worker:
        _forget_worker()


def _in_daemon() -> bool:
    """A pool's daemon process (a batch worker) may not start processes of its own. multiprocessing is
    imported only when a worker is started: a warm build never pays for it."""
    mp = sys.modules.get("multiprocessing")
    return mp is not None and mp.current_process().daemon


def chart_worker(sans_font: Path, sans_bold_font: Path):
    """The chart-drawing worker: one process, started for a build (or kept by ``watch``)."""
    global _worker
    if _worker is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        _worker = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_warm_worker,
                                      initargs=(os.getpid(), sans_font, sans_bold_font))
    return _worker


def _forget_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=True, cancel_futures=True)
    _worker = None


def _warm_worker(parent_pid: int, sans_font: Path, sans_bold_font: Path) -> None:
    """Worker initializer: import matplotlib and register the fonts before the first chart is asked for."""
    import signal

    # Ctrl-C reaches the whole process group: the build stops this worker itself (no traceback from here)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent_pid)   # an orphan would wait for work for ever, holding the build's stdout
    preload(sans_font, sans_bold_font)


def warm_up(cache_dir: Path, sans_font: Path, sans_bold_font: Path) -> None:
    """Start the chart worker now if the chart cache is empty (a cold build will draw every chart):
    it imports matplotlib while this process loads, checks and resolves the project."""
    if _inline or _in_daemon() or _worker is not None:
        return
    try:
        cold = not any(Path(cache_dir).glob("*.json"))
    except OSError:
        cold = True
    if cold and Path(sans_font).is_file() and Path(sans_bold_font).is_file():
        chart_worker(sans_font, sans_bold_font).submit(int)   # a first job: the process starts now


def _draw_chart(spec: ChartSpec, sans_font: Path, sans_bold_font: Path) -> tuple[bytes, tuple[str, bytes] | None]:
    """Draw one chart (in a worker process, or inline): its drawing, and for a city's highlighted copy
    the common chart it was recoloured from (its cache entry name and drawing), to cache too."""
    if spec.kind == "barh" and spec.highlight:
        plain = replace(spec, highlight=())
        base = _draw(plain, sans_font, sans_bold_font, chart_size(plain))
        name = f"{cache_key(plain, font_stamp([sans_font, sans_bold_font]), _matplotlib_version())}.json"
        return _highlight_barh(base, spec), (name, base)
    return _draw(spec, sans_font, sans_bold_font, chart_size(spec)), None


def _highlight_name(spec: ChartSpec) -> str:
    """What tells a highlighted copy from its common chart: the categories in colour, the grey ones' key."""
    return hashlib.sha256(json.dumps([spec.highlight, spec.others_label], ensure_ascii=False).encode()).hexdigest()[:16]


def chart_size(spec: ChartSpec) -> tuple[float, float]:
    """The chart's box in points: fixed per kind (the city chart grows with its rows)."""
    return WIDTH_PT, _height(spec)


def chart_boxes(specs: list[ChartSpec]) -> list[ChartImage]:
    """Each chart's box without its drawing: enough to lay a document out (never to write it)."""
    return [ChartImage(Path(), *chart_size(spec)) for spec in specs]


_verified: dict[tuple[str, str], tuple[tuple, bytes]] = {}   # (folder, entry) → (the file's stat, its drawing)


def _verified_entry(store: CacheStore, name: str) -> bytes | None:
    """The cached drawing ``name`` if its seal verifies and it is wholly in the format, else None.
    Kept per process while the file is unchanged: a batch's workers (forked after the shared charts
    were looked at) and ``watch`` do not read and check the same entry again for every excerpt or
    rebuild, and a deleted or replaced entry is looked at afresh."""
    key = (str(store.folder), name)
    try:
        st = os.stat(store.path(name))
    except OSError:
        return None
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    known = _verified.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    drawing = store.get(name)
    if drawing is None or not _whole_drawing(drawing):
        return None
    _verified[key] = (stamp, drawing)
    return drawing


def _whole_drawing(data: bytes) -> bool:
    """A sealed entry is ours, but read it anyway: an entry that is not one drawing wholly in the format
    (pipeline/drawingformat.py: every node, attribute, type and font) is drawn again, never built."""
    from ..drawingformat import check_document

    try:
        check_document(json.loads(data))
    except (ValueError, RecursionError):   # not JSON, or JSON outside the format (FormatError is one)
        return False
    return True
