"""A stopped or killed command stops at once and leaves no process behind.

Real ``whitepaper`` commands, real signals, real processes: each command runs
in its own process group (as a shell job does); its descendants are found by
scanning /proc.  A command that does not end is a failure after a generous
timeout (never a hung test run), and its process group is killed.

- SIGTERM (CI cancelling a job) to a ``--all-cities -j 2`` batch, and SIGINT
  to its whole process group (Ctrl-C in a terminal), at several moments: while
  the workers start, once the first excerpt is written, near the end.  The
  batch stops: exit 143/130, one line, no temp file, no process left; the
  excerpts already written are whole.
- SIGKILL to a single build while its chart process runs, and to a batch: no
  worker survives its command (an orphan would wait for work for ever).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pymupdf
import pytest

from conftest import copy_project
from test_errors import whitepaper_executable

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes in /proc (Linux)")

HANG_S = 120          # a command still running this long after its signal is hung
GONE_S = 10           # how long a killed command's workers may take to disappear
STOP_LINE = "no half-written file was left (a PDF being written keeps its previous version)"
CITIES = "output/2008/cities"


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, …, starttime at 19]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _descendants(pid: int) -> set[tuple[int, str]]:
    """Every live process below ``pid``, as (pid, start time) so a reused pid is not mistaken for it."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child[0])
    return found


def _alive(process: tuple[int, str]) -> bool:
    fields = _stat(process[0])
    return fields is not None and fields[19] == process[1] and fields[0] != "Z"


def _left_after(processes: set[tuple[int, str]], seconds: float) -> set[tuple[int, str]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in processes if _alive(p)}
        if not left:
            return left
        time.sleep(0.05)
    return {p for p in processes if _alive(p)}


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for ``signum`` yet (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(caught >> (signum - 1) & 1)


def _wait_for(condition, proc: subprocess.Popen, what: str, limit: float = HANG_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            return   # ended first: the caller decides whether that is allowed
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"waited {limit} s for {what}")
        time.sleep(0.002)


def _start(command: list[str], capture: bool = True) -> subprocess.Popen:
    # a process group of its own, as a shell job; SIGINT not ignored whatever the test runner does.
    # Not captured: an orphan holding the pipes open must not look like a hung command.
    stream = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(whitepaper_executable() + command, stdout=stream, stderr=stream,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _finish(proc: subprocess.Popen, what: str) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{what}: the command was still running {HANG_S} s after the signal (hung)")


def _pdfs(root: Path) -> list[Path]:
    return sorted((root / CITIES).glob("*.pdf"))


# when to stop the batch: a condition on the project and the command's processes
MOMENTS = {
    "workers starting": lambda root, pid: len(_descendants(pid)) >= 1,
    "first excerpt written": lambda root, pid: len(_pdfs(root)) >= 1,
    "near the end": lambda root, pid: len(_pdfs(root)) >= 16,
}


@pytest.mark.parametrize("signum, moment", [
    (signal.SIGTERM, "workers starting"),
    (signal.SIGTERM, "first excerpt written"),
    (signal.SIGTERM, "near the end"),
    (signal.SIGINT, "workers starting"),
    (signal.SIGINT, "first excerpt written"),
], ids=lambda v: getattr(v, "name", str(v).replace(" ", "-")))
def test_a_stopped_city_batch_stops_at_once(tmp_path, edition, signum, moment):
    """SIGTERM to the command, or SIGINT to its process group (Ctrl-C), stops a `--all-cities -j 2` batch:
    exit 128 + the signal, one line, no temp file, no process left, every excerpt written whole."""
    root = copy_project(tmp_path / "project")
    shutil.copytree(edition[1] / "output" / ".cache", root / "output" / ".cache")   # the edition's charts
    total = len((root / "data" / "cities.csv").read_text(encoding="utf-8").splitlines()) - 1
    proc = _start(["build", "--project", str(root), "--all-cities", "-j", "2"])
    _wait_for(lambda: _catches(proc.pid, signal.SIGTERM), proc, "the command's SIGTERM handler")
    _wait_for(lambda: MOMENTS[moment](root, proc.pid), proc, moment)
    workers = _descendants(proc.pid)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)   # the terminal sends Ctrl-C to the whole foreground group
    else:
        proc.send_signal(signal.SIGTERM)
    out, err = _finish(proc, f"{signum.name} {moment}")

    left = _left_after(workers | _descendants(proc.pid), GONE_S)
    assert not left, f"processes left behind: {left}"
    assert "Traceback" not in err, err
    built = _pdfs(root)
    if proc.returncode == 0:   # near the end, the batch may finish before the signal lands: a whole batch
        assert moment == "near the end", err
        assert len(built) == total
    else:
        assert proc.returncode == 128 + signum, err
        assert err.strip().splitlines() == [f"error: stopped by {signum.name}; {STOP_LINE}"], err
        assert len(built) < total or moment == "near the end", "the batch was not stopped"
    assert not list((root / "output").rglob("*.tmp")), "a temp file was left behind"
    for pdf in built:
        with pymupdf.open(pdf) as doc:
            assert doc.page_count > 1, f"{pdf.name} is not whole"
    manifest = root / "output" / "manifest.json"
    recorded = json.loads(manifest.read_text(encoding="utf-8"))["pdfs"] if manifest.exists() else {}
    assert {k for k in recorded if "/cities/" in k} <= {f"2008/cities/{p.name}" for p in built}


def test_a_killed_build_leaves_no_chart_process(tmp_path):
    """SIGKILL to a single build while its chart process starts or draws: the chart process goes too."""
    root = copy_project(tmp_path / "project")
    survivors = []
    for delay in (0.0, 0.3):   # right after the fork (before it asked to die with its parent), and later
        shutil.rmtree(root / "output" / ".cache" / "charts", ignore_errors=True)   # cold: charts to draw
        proc = _start(["build", "--project", str(root), "--force"], capture=False)
        _wait_for(lambda: bool(_descendants(proc.pid)), proc, "the chart process")
        assert proc.poll() is None, "the build ended before its chart process started"
        time.sleep(delay)
        chart_processes = _descendants(proc.pid)
        proc.kill()
        _finish(proc, "SIGKILL")
        survivors += _left_after(chart_processes, GONE_S)
    for pid, _ in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"chart processes outlived their build: {survivors}"


def test_a_killed_city_batch_leaves_no_worker(tmp_path, edition):
    """SIGKILL to a `--all-cities -j 2` batch: its workers, waiting for cities that will never come, go too."""
    root = copy_project(tmp_path / "project")
    shutil.copytree(edition[1] / "output" / ".cache", root / "output" / ".cache")
    proc = _start(["build", "--project", str(root), "--all-cities", "-j", "2"], capture=False)
    # the first excerpt may be built before the pool starts (it gives the others their glyph plan)
    _wait_for(lambda: len(_pdfs(root)) >= 2, proc, "the second excerpt")
    assert proc.poll() is None, "the batch ended before it could be killed"
    workers = _descendants(proc.pid)
    assert workers, "no worker processes found"
    proc.kill()
    _finish(proc, "SIGKILL")
    left = _left_after(workers, GONE_S)
    for pid, _ in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"batch workers outlived their command: {left}"


SWALLOWING_COMMAND = """
import os, signal, sys, time
import click
from pipeline import stopping
from pipeline.cli import _error_net

@click.command()
@_error_net()
def work():
    try:
        os.kill(os.getpid(), signal.{signal})
        time.sleep(5)   # the handler raises here
    except BaseException:   # as ReportLab's bare 'except:' does
        {then}
    click.echo("went on")

stopping.handle_stops()
work()
"""


@pytest.mark.parametrize("then", ["pass", "raise ValueError('not a colour')"], ids=["swallowed", "turned-into-error"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_whose_exception_library_code_caught_is_still_a_stop(tmp_path, signum, then):
    """Library code that catches every exception may swallow the stop's KeyboardInterrupt or turn it into
    another error: the command still ends as stopped (one line, exit 128 + the signal), not ok, not a bug."""
    script = tmp_path / "work.py"
    script.write_text(SWALLOWING_COMMAND.format(signal=signum.name, then=then), encoding="utf-8")
    import sys

    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=HANG_S,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == 128 + signum, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: stopped by {signum.name}; {STOP_LINE}"]
