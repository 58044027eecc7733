"""Build many per-city excerpts: in this process (-j 1) or in a pool of worker processes.

Takes build :class:`~pipeline.build.Options` and the cities wanted; returns
one :class:`~pipeline.model.CityOutcome` per city, in the order asked.  The
project is checked once here first (a content error stops the batch before
any work, exit 1).  Each worker process gets that checked project, data and
all, once (the pool's initializer: inherited under fork, pickled — 80 KB —
under spawn), so every city is built from exactly what was checked even if a
file changes meanwhile; the initializer also loads the fonts once.  A city
that fails is reported and the others go on.  The manifest is written once,
here, when every city is done.

With two workers or more, the charts every excerpt shows are drawn once before
the pool forks, by the chart worker (started while the project is checked, so
matplotlib is imported meanwhile) and its partner; each worker would otherwise
draw them all itself.  A warm batch never imports matplotlib.

Stopping (SIGINT/SIGTERM): while the pool runs, the signal is only recorded
(:func:`pipeline.stopping.recorded`) and the batch, which looks at the record
while it waits, stops every worker itself and then raises the stop; a worker
stopped removes its temp file and exits at once; workers die with the batch
even when it is killed (:func:`pipeline.stopping.die_with_parent`).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable

from . import manifest, stopping
from .stopping import die_with_parent
from .build import (CityBuilder, Options, _warm_up_charts, cache_dir, check, check_writable, checked_output_dir,
                    city_pdf, default_target, edition_parts, output_dir)
from .charts import release_worker, send_charts_early
from .cities import city_profiles, find_city, shard as shard_of
from .files import explain, remove_own_temps
from .model import CityOutcome, ContentError, UsageError

log = logging.getLogger(__name__)

_builder: CityBuilder | None = None   # the worker's loaded project
_worker_error: tuple[object, str] | None = None   # (the project, why) when the initializer failed


def build_cities(options: Options, cities: list[str] | None = None, jobs: int = 1,
                 shard: tuple[int, int] | None = None,
                 on_start: Callable[[list[str]], None] | None = None,
                 on_done: Callable[[CityOutcome], None] | None = None) -> list[CityOutcome]:
    """Build the excerpts of ``cities`` (default: every city) with ``jobs`` processes.

    ``on_start`` gets the city ids about to be built, ``on_done`` each outcome
    as it arrives (a progress bar).  Raises ContentError if the project itself
    is wrong, UsageError for an unknown city; a failure of one city is in its
    outcome, not raised.
    """
    if options.output is not None:
        raise UsageError("-o/--output names one PDF; a batch of cities writes output/cities/<id>.pdf")
    if jobs < 1:
        raise UsageError(f"-j/--jobs must be at least 1; got {jobs}")
    checked_output_dir(options.project)   # output/ unusable: one error (exit 2), not one per city
    if jobs > 1:
        try:
            return _build_cities(options, cities, jobs, shard, on_start, on_done)
        finally:
            release_worker()   # the chart worker _warm_up_charts started, if the batch ended before using it
    return _build_cities(options, cities, jobs, shard, on_start, on_done)


def _build_cities(options: Options, cities, jobs: int, shard, on_start, on_done) -> list[CityOutcome]:
    if jobs > 1:
        # a cold cache: the chart worker imports matplotlib while this process checks the project,
        # then draws the first city's charts (with its partner) while this process lays it out
        _warm_up_charts(options)
    project, _ = check(options)     # the edition's check: fail once, before any worker starts
    ids = [find_city(project, c) for c in cities] if cities else list(city_profiles(project))
    ids = list(dict.fromkeys(ids))
    if ids:
        # output/cities/ a file, a link out, read-only: one error (exit 2), not the same one per city
        check_writable(default_target(project.root, *edition_parts(project), "cities", f"{ids[0]}.pdf").parent)
        check_writable(cache_dir(options) / "charts")
    if shard is not None:
        ids = shard_of(ids, *shard)
    if on_start is not None:
        on_start(ids)
    outcomes: dict[str, CityOutcome] = {}

    def done(outcome: CityOutcome) -> None:
        outcomes[outcome.city] = outcome
        if on_done is not None:
            on_done(outcome)

    try:
        if jobs == 1 or len(ids) <= 1:
            builder = CityBuilder(options, project)
            for city in ids:
                done(_build_one(builder, city))
        else:
            _build_in_pool(options, project, ids, jobs, done)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: the cities finished so far are real output; the one being written was discarded
        finished = [o.result for o in outcomes.values() if o.ok]
        if finished:
            manifest.record(output_dir(project.root), finished)
        raise
    ordered = [outcomes[c] for c in ids]
    built = [o.result for o in ordered if o.ok]
    if built:
        manifest.record(output_dir(project.root), built)
    return ordered


def _build_in_pool(options: Options, project, ids: list[str], jobs: int, done) -> None:
    builder = CityBuilder(options, project)
    first = _waiting_for_charts(options, builder, ids[0])
    drawing = first is not None
    if drawing:
        # the chart worker draws them from now on; meanwhile this process resolves every excerpt (the
        # workers inherit them), then lays out the first, whose writing waits for the charts
        send_charts_early([f.chart for f in first.figures()], builder.project.fonts["sans"],
                          builder.project.fonts["sans-bold"], cache_dir(options) / "charts")
        builder.prepare(ids[1:])
    if drawing or (ids[0] == builder.reference and not builder.plan_stored()):
        done(_build_first_here(builder, ids[0]))   # before the fork: the pool inherits no chart worker
        ids = ids[1:]
    if not ids:
        return
    plan = builder.glyph_plan()   # made once, here: every worker numbers its excerpts' characters by it
    with stopping.recorded():   # stops are acted on below (a stop now raises on leaving)
        # what the workers inherit is left out of their garbage collections: a collection writes to every
        # object it visits, which copied the parent's pages into each worker (~5 % of a batch's page faults)
        gc.freeze()
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(ids)), initializer=_init_worker,
                                   initargs=(options, project, os.getpid(), plan, builder.prepared()))
        try:
            futures = {}
            try:
                for city in ids:   # the workers are forked during the first submit
                    if stopping.received() is not None:
                        break
                    try:
                        futures[pool.submit(_run_city, city)] = city
                    except BrokenProcessPool as e:   # a worker died before all cities were handed out
                        done(CityOutcome(city, city_pdf(project, city), errors=(_describe(e),)))
            finally:
                gc.unfreeze()   # forked: this process collects as before (it may live on: tests, watch)

            def finished(future) -> None:
                city = futures[future]
                try:
                    outcome = future.result()
                except Exception as e:  # the worker process died (killed, out of memory)
                    outcome = CityOutcome(city, city_pdf(project, city), errors=(_describe(e),))
                done(outcome)

            _wait_each(futures, finished, order=ids)
        except BaseException:
            _stop_pool(pool)
            raise
        if stopping.received() is not None:
            _stop_pool(pool)   # the pool's own shutdown would finish every queued city first
        else:
            pool.shutdown(wait=True)


def _wait_each(futures: dict, each, order: list | None = None) -> None:
    """Call ``each`` on every future as it finishes (those finishing together in ``order`` of their
    values), until all have or a stop is received (looked at every STOP_POLL_S)."""
    pending = set(futures)
    while pending and stopping.received() is None:
        finished, pending = wait(pending, timeout=STOP_POLL_S, return_when=FIRST_COMPLETED)
        key = (lambda f: order.index(futures[f])) if order is not None else (lambda f: 0)
        for future in sorted(finished, key=key):
            each(future)


def _waiting_for_charts(options: Options, builder: CityBuilder, city: str):
    """``city``'s excerpt (resolved, and kept for its build) if it shows charts the cache lacks: the
    common charts, or the one its highlighted copy is recoloured from — which every excerpt shows."""
    from .charts import charts_to_draw

    resolved = builder.prepare([city])
    if not resolved:   # a city's own mistake: its build reports it
        return None
    fonts = builder.project.fonts["sans"], builder.project.fonts["sans-bold"]
    missing = charts_to_draw([f.chart for f in resolved[0].figures()], *fonts, cache_dir(options) / "charts")
    return resolved[0] if missing else None


def _build_first_here(builder: CityBuilder, city: str) -> CityOutcome:
    """Build the batch's first excerpt in this process, as ``build --city`` does, when charts it shows
    are not in the cache (the chart worker and its partner draw them while this process lays it out),
    or when it is the first city and its glyph plan is not in the cache (the workers number their
    characters by it).  Every excerpt shows those charts (the common charts, and the one a highlighted
    copy is recoloured from): the workers forked next find them in the cache, and inherit what laying
    the city out kept in memory (broken lines, loaded drawings, compiled templates, made font subsets).
    Each worker would otherwise draw them all."""
    from .charts import keep_matplotlib_config_in

    keep_matplotlib_config_in(cache_dir(builder.options) / "matplotlib")   # before matplotlib is imported
    return _build_one(builder, city)


STOP_POLL_S = 0.1    # how often the batch looks for a recorded stop while it waits for cities
STOP_GRACE_S = 1.5   # a stopped worker removes its temp file and exits at once; one stuck in C code is killed


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now: SIGTERM (each removes its temp file and exits), SIGKILL for any still
    there after STOP_GRACE_S.  Never waits for the pool's threads: they may wait for dead workers."""
    workers = list((getattr(pool, "_processes", None) or {}).values())   # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for process in workers:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in workers:
        if process.is_alive():
            process.kill()
            process.join(1)


def _stop_worker(signum, frame) -> None:
    """A worker's SIGINT/SIGTERM: remove the temp file of the city being written and exit, at once.

    No unwinding: library code that catches every exception could swallow a
    KeyboardInterrupt and go on writing.  The PDF is renamed into place only
    when whole, so the city being built keeps its previous PDF.  Exiting
    quietly keeps multiprocessing from printing a worker's traceback."""
    remove_own_temps()
    os._exit(128 + signum)


def _init_worker(options: Options, project, parent_pid: int, plan, documents: dict) -> None:
    """Pool initializer: the checked project and data, the glyph plan, the fonts' coverage and the fonts,
    once per worker.

    A failure here (an unreadable font …) is kept and reported for each city
    this worker is given, rather than breaking the pool with a bare traceback.
    """
    global _builder, _worker_error
    die_with_parent(parent_pid)   # a batch killed by SIGKILL leaves no worker waiting for work
    for signum in stopping.STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _stop_worker)
    if stopping.received() is not None:   # stopped while being forked (see stopping.recorded)
        _stop_worker(stopping.received(), None)
    from .charts import draw_inline

    draw_inline()   # a chart process of a worker would outlive a stopped batch
    try:
        builder = CityBuilder(options, project)
        builder.adopt(plan, documents)
        builder.load_fonts()
        _builder = builder
    except ContentError as e:
        _worker_error = (project, "; ".join(str(p) for p in e.problems))
    except Exception as e:
        log.error("worker start failed:\n%s", traceback.format_exc())
        _worker_error = (project, _describe(e))


def _run_city(city: str) -> CityOutcome:
    if _builder is None:
        project, why = _worker_error or (None, "not initialised")
        target = city_pdf(project, city) if project is not None else Path(f"{city}.pdf")
        return CityOutcome(city, target, errors=(f"the worker could not start: {why}",))
    return _build_one(_builder, city)


def _build_one(builder: CityBuilder, city: str) -> CityOutcome:
    target = city_pdf(builder.project, city)
    try:
        return CityOutcome(city, target, result=builder.build(city))
    except ContentError as e:
        return CityOutcome(city, target, errors=tuple(str(p) for p in e.problems))
    except UsageError as e:
        return CityOutcome(city, target, errors=(str(e),))
    except OSError as e:   # the environment, not a bug: say which file and what to do
        return CityOutcome(city, target, errors=(explain(e, target, "failed"),))
    except Exception as e:
        # one city's bug must not stop the other cities: report it with its traceback in the log
        log.error("city %s failed:\n%s", city, traceback.format_exc())
        return CityOutcome(city, target, errors=(_describe(e),))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
