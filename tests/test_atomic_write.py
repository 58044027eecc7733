"""A build killed while it typesets leaves the previous PDF as it was.

``pipeline.build.atomic_output`` writes the PDF to a hidden temp file beside
the target (``output/2008/.whitepaper-2008.pdf.*.tmp``) and renames it over the
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
TEMP_GLOB = "2008/.whitepaper-2008.pdf.*.tmp"
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
