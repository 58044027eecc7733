"""A second drawing process for the chart worker, forked once matplotlib is imported.

A cold build's charts are drawn by one worker process while the build lays out
the document (cache.py).  Importing matplotlib is most of that worker's time,
and the import can be shared: when a batch has two charts or more to draw, the
worker forks a partner that inherits the imported matplotlib and draws every
other chart of the batch (the odd-numbered ones) while the worker draws the
even-numbered ones; the worker hands them back in the order the build asks for
them.  The pair draws a batch in about half the time, with one import.

The partner only draws and sends its results to the worker over a pipe; it
dies with the worker (PR_SET_PDEATHSIG, Linux), ignores nothing the worker
would obey (SIGINT and SIGTERM end it at once), and a chart it could not draw
or send is drawn by the worker itself, so any error is raised where it would
have been without a partner.
"""
from __future__ import annotations

import os
import signal
from typing import Callable

_current: "_Partner | None" = None   # the partner of the batch being drawn (in the worker process)


def draw_share(batch: int, specs: tuple, index: int, fonts: tuple, draw: Callable):
    """``draw(specs[index], *fonts)``, in the chart worker: even indexes drawn here, odd ones by
    the batch's partner (started at the batch's first job)."""
    global _current
    if len(specs) < 2 or not hasattr(os, "fork"):
        return draw(specs[index], *fonts)
    if _current is None or _current.batch != batch:
        if _current is not None:
            _current.reap()
        _current = _Partner(batch, specs, fonts, draw)
    if index % 2 == 0:
        return draw(specs[index], *fonts)
    result = _current.result(index)
    return result if result is not None else draw(specs[index], *fonts)


class _Partner:
    def __init__(self, batch: int, specs: tuple, fonts: tuple, draw: Callable):
        from multiprocessing.connection import Pipe

        self.batch = batch
        self.received: dict[int, object] = {}
        self.left = len(range(1, len(specs), 2))   # results still to come
        self.reader, writer = Pipe(duplex=False)
        worker = os.getpid()
        try:
            self.pid = os.fork()
        except OSError:   # no process to spare: the worker draws them all
            self.pid = None
            writer.close()
            return
        if self.pid == 0:
            _partner_main(self.reader, writer, specs, fonts, draw, worker)   # never returns
        writer.close()

    def result(self, index: int):
        """The partner's drawing of specs[index], or None if it has none (failed, or died)."""
        while index not in self.received and self.pid is not None:
            try:
                i, result = self.reader.recv()
            except (EOFError, OSError):
                self.reap()
                break
            self.received[i] = result
            self.left -= 1
            if not self.left:   # it has sent its last drawing and exits: reap it now, no zombie left
                self.reap()
        return self.received.pop(index, None)

    def reap(self) -> None:
        if not self.reader.closed:
            self.reader.close()
        if self.pid:
            try:
                os.waitpid(self.pid, 0)   # it has sent all it will, or is ending: no zombie left
            except ChildProcessError:
                pass
        self.pid = None


def _partner_main(reader, writer, specs: tuple, fonts: tuple, draw: Callable, worker: int) -> None:
    try:
        reader.close()
        signal.signal(signal.SIGINT, signal.SIG_DFL)    # a stop ends the partner now, whatever it draws
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from ..stopping import die_with_parent

        die_with_parent(worker)
        for index in range(1, len(specs), 2):
            try:
                result = draw(specs[index], *fonts)
            except Exception:   # noqa: BLE001 — the worker draws it again and raises the error itself
                result = None
            writer.send((index, result))
    except BaseException:   # noqa: BLE001 — a broken pipe (the worker is gone): nothing to report to
        pass
    finally:
        os._exit(0)   # never run the worker's cleanup (atexit, pool machinery) in this copy of it
