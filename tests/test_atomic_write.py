"""A build killed while it typesets leaves the previous PDF as it was.

``pipeline.build.atomic_output`` writes the PDF to a hidden temp file beside
the target (``output/2008/.whitepaper-2008.pdf.whitepaper-*.tmp``) and renames it over the
target only when the whole PDF is written.  Here a real ``whitepaper build``
is SIGKILLed at several moments after that temp file appears.  Every kill that
lands while the temp file exists (typesetting takes about a second, so at least
the early ones do) must leave the previous PDF byte-identical; no kill may ever
leave anything but the previous PDF or the complete new one at the target.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import time

import pymupdf
import pytest

from conftest import copy_project
from test_errors import whitepaper_executable

PDF_NAME = "2008/whitepaper-2008.pdf"   # output/<edition>/
TEMP_GLOB = "2008/.whitepaper-2008.pdf.whitepaper-*.tmp"
DELAYS = (0.0, 0.05, 0.2, 0.5)   # seconds after the temp file appears; typesetting takes about 1 s


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_build_keeps_the_previous_pdf(tmp_path, edition):
    root = copy_project(tmp_path / "project")
    output = root / "output"
    shutil.copytree(edition[1] / "output", output)     # the previous good PDF, and warm caches
    target = output / PDF_NAME
    previous = target.read_bytes()
    # a build that completed would now write a different PDF (ITO + BPO still add up)
    _edit(root / "data" / "market.csv", "2007,ito,90.4", "2007,ito,100.4")
    _edit(root / "data" / "market.csv", "2007,bpo,61.6", "2007,bpo,51.6")
    command = whitepaper_executable() + ["build", "--project", str(root)]
    visible = sorted(p.name for p in output.iterdir() if not p.name.startswith("."))

    outcomes = []
    for delay in DELAYS:
        left_before = set(output.glob(TEMP_GLOB))   # temp files of earlier kills stay: a later build copes
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not set(output.glob(TEMP_GLOB)) - left_before and proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
        mid_write = proc.returncode == -signal.SIGKILL and bool(set(output.glob(TEMP_GLOB)) - left_before)
        after = target.read_bytes()
        if mid_write:
            # killed before the rename: the previous PDF, byte for byte
            assert after == previous, f"killed {delay} s into typesetting, the previous PDF changed"
        outcomes.append((delay, mid_write, after))
        target.write_bytes(previous)

        # no partial PDF, nor anything else, beside it: only the hidden temp file is left behind
        assert sorted(p.name for p in output.iterdir() if not p.name.startswith(".")) == visible

    # on a slow or a fast machine the early kills land while typesetting; a late one may come after the rename
    assert sum(mid_write for _, mid_write, _ in outcomes) >= 2, \
        f"the build was not caught while typesetting: {[(d, m) for d, m, _ in outcomes]}"

    # leftover temp files do not stop the next build, which writes the complete new PDF
    assert len(list(output.glob(TEMP_GLOB))) >= 2
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    new = target.read_bytes()
    assert new != previous
    with pymupdf.open(target) as doc:
        assert "ITO 市场规模约为 100.4 亿美元" in "".join(p.get_text() for p in doc).replace("\n", "")
    for delay, mid_write, after in outcomes:
        assert after in (previous, new), f"killed {delay} s into typesetting: a partial PDF at the target"


# ---------------------------------------------------------------- the temp sweep and the environment

import os
import sys

from test_errors import RAW_CONTROL

HOUR = 3600


def _run(argv, **kw):
    return subprocess.run(whitepaper_executable() + argv, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, **kw)


def _one_error_line(proc, exit_code: int, *wanted: str) -> str:
    output = proc.stdout + proc.stderr
    assert proc.returncode == exit_code, output
    assert "Traceback" not in output and not RAW_CONTROL.search(output), output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    for text in wanted:
        assert text in lines[0], output
    return lines[0]


def test_the_temp_sweep_removes_only_its_own_stale_temp_files(tmp_path, edition):
    """A build writing DIR/report.pdf may delete DIR/.report.pdf.whitepaper-XXXXXXXX.tmp older
    than an hour (a killed build's), and nothing else: not another program's .x.tmp, not a
    younger temp file (a build running now), not another target's."""
    root = edition[1]
    folder = tmp_path / "shared"
    folder.mkdir()
    old = time.time() - 2 * HOUR
    names = {
        ".draft.docx.tmp": True,                          # someone else's: kept
        ".report.pdf.abc.tmp": True,                      # not our pattern: kept
        ".report.pdf.whitepaper-abcd1234.tmp": False,     # ours, stale: removed
        ".other.pdf.whitepaper-abcd1234.tmp": True,       # ours, another target: kept
        "report.pdf.whitepaper-abcd1234.tmp": True,       # no leading dot: not a name we make
    }
    for name in names:
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, (old, old))
    (folder / ".report.pdf.whitepaper-0123abcd.tmp").write_bytes(b"x")   # young: a build running now
    names[".report.pdf.whitepaper-0123abcd.tmp"] = True
    (folder / ".report.pdf.whitepaper-1111aaaa.tmp").symlink_to(folder / ".draft.docx.tmp")
    os.utime(folder / ".report.pdf.whitepaper-1111aaaa.tmp", (old, old), follow_symlinks=False)
    names[".report.pdf.whitepaper-1111aaaa.tmp"] = True                   # a link is not our temp file

    done = _run(["build", "--project", str(root), "-o", str(folder / "report.pdf")])
    assert done.returncode == 0, done.stderr
    for name, kept in names.items():
        assert os.path.lexists(folder / name) == kept, name
    assert (folder / ".draft.docx.tmp").read_bytes() == b"x"
    assert {p.name for p in folder.iterdir()} == {n for n, kept in names.items() if kept} | {"report.pdf"}


def _mount_tmpfs(where, room_for, *options: str) -> bool:
    """A small tmpfs (root only), room for the folder ``room_for`` and 2 MB more: a real full disk or a
    real read-only file system, no mocks."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    size_k = sum(p.stat().st_size for p in room_for.rglob("*") if p.is_file()) // 1024 + 2048
    return subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((f"size={size_k}k",) + options), "tmpfs",
                           str(where)], capture_output=True).returncode == 0


def _umount(where) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


def test_a_full_disk_is_one_error_line_and_keeps_the_previous_pdf(tmp_path, edition):
    root = copy_project(tmp_path / "project")
    output = root / "output"
    if not _mount_tmpfs(output, edition[1] / "output"):
        pytest.skip("needs root to mount a small tmpfs (a real full disk)")
    try:
        shutil.copytree(edition[1] / "output", output, dirs_exist_ok=True)   # warm caches, previous PDF
        target = output / PDF_NAME
        previous = target.read_bytes()
        # fill the disk, leaving less room than a PDF takes
        free = os.statvfs(output).f_bavail * os.statvfs(output).f_frsize
        (output / "filler").write_bytes(b"\0" * max(free - 64 * 1024, 0))
        for argv in (["build", "--project", str(root)], ["build", "--project", str(root), "--city", "dalian"]):
            proc = _run(argv)
            _one_error_line(proc, 2, "cannot write: the disk is full; free some space")
            assert target.read_bytes() == previous
            assert not [p.name for p in output.rglob("*.tmp")], "a temp file was left behind"
    finally:
        _umount(output)


def test_a_read_only_output_folder_is_one_error_line(tmp_path, edition):
    root = copy_project(tmp_path / "project")
    output = root / "output"
    staging = tmp_path / "staging"
    shutil.copytree(edition[1] / "output", staging)
    if not _mount_tmpfs(output, staging):
        pytest.skip("needs root to mount a read-only tmpfs (chmod does not stop root)")
    try:
        shutil.copytree(staging, output, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(output)], check=True)
        previous = (output / PDF_NAME).read_bytes()
        line = _one_error_line(_run(["build", "--project", str(root)]), 2,
                               "cannot write: the file system is read-only; make it writable")
        assert line.startswith(f"error: {output / PDF_NAME}:")
        # a batch says it once, before any city, not once per city
        line = _one_error_line(_run(["build", "--project", str(root), "--all-cities", "-j", "2"]), 2,
                               "cannot write: the file system is read-only")
        assert line.startswith(f"error: {output / '2008' / 'cities'}:")
        assert (output / PDF_NAME).read_bytes() == previous
        # check renders nothing: a read-only output/ only costs it the table cache
        assert _run(["check", "--project", str(root)]).returncode == 0
        # -o elsewhere still works: charts come from the (read-only) cache, the manifest is not touched
        done = _run(["build", "--project", str(root), "-o", str(tmp_path / "elsewhere.pdf")])
        assert done.returncode == 0, done.stderr
    finally:
        _umount(output)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_o_never_replaces_a_device(tmp_path, edition):
    """As root, -o /dev/full once turned the device into a regular file: a device node made here
    (the null device's numbers) must stay a device, and the build must say why it refused."""
    import stat as st

    device = tmp_path / "null-device"
    os.mknod(device, 0o666 | st.S_IFCHR, os.makedev(1, 3))
    link = tmp_path / "link.pdf"
    link.symlink_to(device)
    for given in (device, link):
        _one_error_line(_run(["build", "--project", str(edition[1]), "-o", str(given)]), 2,
                        "is a device, not a file; -o must name an ordinary file")
        assert st.S_ISCHR(os.stat(device).st_mode)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs SIGTERM")
def test_sigterm_is_handled_like_ctrl_c(tmp_path, edition):
    """CI cancelling a job sends SIGTERM: the temp file goes, the previous PDF stays, one line, exit 143."""
    root = copy_project(tmp_path / "project")
    output = root / "output"
    shutil.copytree(edition[1] / "output", output)
    previous = (output / PDF_NAME).read_bytes()
    _edit(root / "data" / "market.csv", "2007,ito,90.4", "2007,ito,100.4")
    _edit(root / "data" / "market.csv", "2007,bpo,61.6", "2007,bpo,51.6")
    caught = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen(whitepaper_executable() + ["build", "--project", str(root)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not list(output.glob(TEMP_GLOB)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        mid_write = proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        if proc.returncode == 0:      # finished before the signal landed: nothing to check this time
            (output / PDF_NAME).write_bytes(previous)
            continue
        caught.append(mid_write)
        assert proc.returncode == 128 + sig, err
        assert err.strip() == f"error: stopped by {sig.name}; no half-written file was left (a PDF being written keeps its previous version)"
        assert "Traceback" not in err
        assert not list(output.glob(TEMP_GLOB)), "the temp file was left behind"
        assert (output / PDF_NAME).read_bytes() == previous
    assert caught, "the build finished before either signal arrived"


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs SIGTERM")
def test_a_lock_file_we_may_not_write_is_locked_read_only(tmp_path, edition):
    """Another user's output/.manifest.lock (here: immutable, which stops root too) once crashed the
    build with a traceback; flock needs no write access, so the build goes on and records its PDF."""
    import json

    root = copy_project(tmp_path / "project")
    output = root / "output"
    shutil.copytree(edition[1] / "output", output)
    lock = output / ".manifest.lock"
    lock.touch()
    if subprocess.run(["chattr", "+i", str(lock)], capture_output=True).returncode != 0:
        pytest.skip("needs chattr +i (root, a file system with attributes)")
    try:
        done = _run(["build", "--project", str(root)])
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert PDF_NAME in json.loads((output / "manifest.json").read_text(encoding="utf-8"))["pdfs"]
    finally:
        subprocess.run(["chattr", "-i", str(lock)], capture_output=True)
