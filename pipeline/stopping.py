"""How a command stops: SIGINT/SIGTERM recorded as well as raised, and workers that die with it.

Python runs a signal handler in the main thread between two bytecodes, so
the KeyboardInterrupt it raises can land anywhere: in library code that
catches every exception (ReportLab has many bare ``except:``) and turns it
into another error or swallows it, in a finalizer or a fork handler (Python
prints "Exception ignored" and goes on).  So our handler also *records* the
signal: whatever became of the exception, the command ends as stopped
(:func:`received`), and a batch can hold the exception back altogether while
its pool runs (:func:`recorded`).

A pool worker waits for work on a queue whose write end it holds itself, so
it never sees end-of-file: if the command dies without stopping it (SIGKILL,
out of memory), it would wait for ever and hold the command's stdout and
stderr open.  :func:`die_with_parent` asks Linux to kill it with its parent.
"""
from __future__ import annotations

import contextlib
import os
import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: int | None = None   # the stop signal this process received, if any
_command_pid = -1   # the process that installed the command's handlers (handle_stops)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like SIGINT's KeyboardInterrupt, so cleanup runs the same way."""


def received() -> int | None:
    """The stop signal (SIGINT or SIGTERM) this process received, even if its exception was lost."""
    return _received


def handled() -> None:
    """The stop was taken as the way to end (``watch``): not an error any more."""
    global _received
    _received = None


def raise_stop(signum: int) -> None:
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _raise_on_stop(signum, frame) -> None:
    global _received
    if os.getpid() != _command_pid:
        # a worker just forked, before it set its own handlers (Ctrl-C reaches the whole process
        # group): leave quietly, its command stops it anyway; an exception here would be a traceback
        os._exit(128 + signum)
    _received = signum
    raise_stop(signum)


def _record_stop(signum, frame) -> None:
    global _received
    _received = signum


def handle_stops() -> None:
    """The command's handlers (main thread): SIGINT raises KeyboardInterrupt, SIGTERM Terminated; both recorded."""
    global _command_pid
    _command_pid = os.getpid()
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:   # a background job's ignored SIGINT stays so
            signal.signal(signum, _raise_on_stop)


@contextlib.contextmanager
def recorded():
    """Within: SIGINT/SIGTERM are only recorded (the code looks at :func:`received` itself); on leaving,
    the handlers are restored and a stop received (now or earlier) is raised by the restored handler.

    For a process pool: an exception raised while the pool forks could land between a worker's fork
    and the pool recording it (that worker never stopped), or in a worker just forked, which still
    runs this process's handler; a worker forked meanwhile inherits the record instead."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield   # signal handlers belong to the main thread
        return
    previous = {signum: signal.signal(signum, _record_stop) for signum in STOP_SIGNALS
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if _received in previous:
            handler = previous[_received]
            if callable(handler):
                handler(_received, None)   # ours and Python's default raise: KeyboardInterrupt, Terminated
            elif handler == signal.SIG_DFL:
                signal.raise_signal(_received)


def die_with_parent(parent_pid: int) -> None:
    """In a worker just started by ``parent_pid``: be SIGKILLed when that process dies.

    The kernel ties the signal to the *thread* that forked, so the worker must
    be forked by a thread that lives as long as the command (the main thread).
    If the parent died before this call, the worker has already been handed to
    init or to a subreaper (whose pid is not necessarily 1): it leaves at once.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # not Linux: the parent's shutdown ends the worker
        pass
    if os.getppid() != parent_pid:
        os._exit(0)
