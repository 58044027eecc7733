"""`whitepaper watch`, for real: a process started, files edited, the PDF read back, the process stopped."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pymupdf

from conftest import ROOT, copy_bulletin, copy_project


class Watcher:
    """`whitepaper watch` in a subprocess; its stdout and stderr lines arrive on one queue."""

    def __init__(self, project: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "watch", "--project", str(project), *args],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def next_build(self, timeout: float = 120) -> list[str]:
        """Lines up to and including the next build's summary line."""
        got, end = [], time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            got.append(line)
            if "  wrote " in line or "build failed" in line:
                return got
        raise AssertionError(f"no build within {timeout} s: {got}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)


def _text(pdf: Path) -> str:
    with pymupdf.open(pdf) as doc:
        return "".join(page.get_text() for page in doc).replace("\n", "")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_watch_rebuilds_on_save_and_keeps_the_last_good_pdf(tmp_path):
    root = copy_project(tmp_path / "project")
    pdf = root / "output" / "2008" / "whitepaper-2008.pdf"
    w = Watcher(root)
    try:
        assert "first build" in w.next_build()[-1]
        assert "中国的软件与信息服务外包市场规模达到了" in _text(pdf)

        chapter = root / "chapters" / "02-market.yaml"
        _edit(chapter, "市场规模达到了", "市场规模已达")
        line = w.next_build()[-1]
        assert "wrote" in line and "chapters/02-market.yaml" in line
        assert "中国的软件与信息服务外包市场规模已达" in _text(pdf)

        # a data edit reaches text and chart alike
        market = root / "data" / "market.csv"
        _edit(market, "2007,ito,90.4", "2007,ito,90.5")
        _edit(market, "2007,bpo,61.6", "2007,bpo,61.5")
        w.next_build()
        assert "90.5 亿美元（59.5%）" in _text(pdf)

        # a broken save: the problem is reported, the PDF stays the last good one
        good = pdf.read_bytes()
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nbad: [\n", encoding="utf-8")
        lines = w.next_build()
        assert any(line.startswith("error: chapters/02-market.yaml:") for line in lines), lines
        assert "build failed" in lines[-1]
        assert pdf.read_bytes() == good
        assert "Traceback" not in "\n".join(lines)

        # fixed: built again
        chapter.write_text(chapter.read_text(encoding="utf-8").replace("\nbad: [\n", ""), encoding="utf-8")
        assert "wrote" in w.next_build()[-1]
    finally:
        code = w.stop()
    assert code == 0


def test_watch_previews_one_city(tmp_path):
    root = copy_project(tmp_path / "project")
    w = Watcher(root, "--city", "大连")
    try:
        assert "cities/dalian.pdf" in w.next_build()[-1]
        pdf = root / "output" / "2008" / "cities" / "dalian.pdf"
        _edit(root / "chapters" / "02-market.yaml", "市场规模达到了", "市场规模已达")  # a national-context chapter
        assert "wrote" in w.next_build()[-1]
        assert "中国的软件与信息服务外包市场规模已达" in _text(pdf)
    finally:
        assert w.stop() == 0


def test_watch_an_unknown_city_is_a_usage_error(tmp_path):
    root = copy_project(tmp_path / "project")
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "watch", "--project", str(root), "--city", "大莲"],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "unknown city" in result.stderr


def test_watch_the_bulletin(tmp_path):
    root = copy_bulletin(tmp_path / "bulletin")
    out = tmp_path / "bulletin.pdf"
    w = Watcher(root, "-o", str(out))
    try:
        w.next_build()
        before = out.read_bytes()
        chapter = sorted((root / "chapters").glob("0*.yaml"))[0]
        chapter.write_text(chapter.read_text(encoding="utf-8").replace("title:", "title: 新", 1), encoding="utf-8")
        assert "wrote" in w.next_build()[-1]
        assert out.read_bytes() != before and "新全年运行概况" in _text(out)
    finally:
        assert w.stop() == 0


def test_watch_one_edition_of_several(tmp_path):
    """--edition as build has it: this year's edition (default: the newest), an unknown year exit 2."""
    root = copy_project(tmp_path / "project")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    made = subprocess.run([sys.executable, "-m", "pipeline.cli", "new-edition", "--project", str(root), "2009"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    w = Watcher(root, "--edition", "2008")
    try:
        assert "2008/whitepaper-2008.pdf" in w.next_build()[-1]
        pdf = root / "output" / "2008" / "whitepaper-2008.pdf"
        _edit(root / "editions" / "2008.yaml", "guidance: 工业和信息化部", "guidance: 工业和信息化部（修订版）")
        line = w.next_build()[-1]
        assert "wrote" in line and "editions/2008.yaml" in line and "2008/whitepaper-2008.pdf" in line
        assert "修订版" in _text(pdf)
        assert not (root / "output" / "2009").exists()
    finally:
        assert w.stop() == 0
    wrong = subprocess.run([sys.executable, "-m", "pipeline.cli", "watch", "--project", str(root), "--edition", "2010"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "2010" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_second_save_in_the_same_clock_tick_with_the_same_size_is_seen(tmp_path):
    """File times advance in ticks of a few milliseconds: a second save within one tick that keeps the
    size (90.4 → 90.5) leaves time and size as they were; a recent file is compared by content too."""
    from pipeline.watch import changes, snapshot

    root = copy_bulletin(tmp_path / "bulletin")
    data = next((root / "data").glob("*.csv"))
    name = data.relative_to(root).as_posix()
    text = data.read_text(encoding="utf-8")
    data.write_text(text, encoding="utf-8")   # saved now
    st = data.stat()
    before = snapshot(root)
    digit = next(ch for ch in text if ch.isdigit())
    data.write_text(text.replace(digit, str((int(digit) + 1) % 10), 1), encoding="utf-8")
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))   # within the same tick: the same time, the same size
    assert (data.stat().st_mtime_ns, data.stat().st_size) == (st.st_mtime_ns, st.st_size)
    after = snapshot(root)
    assert changes(before, after) == (name,)
    # once the file is no longer recent its content is not read: that alone is no change
    assert changes(after, {**after, name: after[name][:2]}) == ()


def test_a_font_rewritten_in_place_while_watching_is_a_clear_error(tmp_path):
    """The fonts' outlines are mapped into memory, not read: a font file rewritten in place under a running
    `watch` must not show through as another font's glyphs (or a crash), but say so; the PDF stays."""
    import shutil

    root = copy_bulletin(tmp_path / "bulletin")
    (root / "fonts").unlink()
    shutil.copytree(ROOT / "fonts", root / "fonts")   # real files, to rewrite
    pdf = root / "output" / "whitepaper-2017.pdf"
    w = Watcher(root)
    try:
        assert "first build" in w.next_build()[-1]
        good = pdf.read_bytes()
        face = root / "fonts" / "NotoSerifSC-Regular.ttf"
        with open(face, "r+b") as f:   # in place: the same file, other bytes
            f.seek(0, os.SEEK_END)
            f.write(b"\0" * 4)
        lines = w.next_build()
        assert any(line.startswith("error: fonts/NotoSerifSC-Regular.ttf") and "run the command again" in line
                   for line in lines), lines
        assert "build failed" in lines[-1] and "Traceback" not in "\n".join(lines)
        assert pdf.read_bytes() == good
    finally:
        code = w.stop()
    assert code == 0
