"""The cache is data someone else may have written (CI restores output/.cache): it must never run
code, and never be believed over the inputs it claims to come from.

Each build runs in a fresh process, as a user's would: nothing is remembered in memory.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from conftest import ROOT, copy_project


class _Payload:
    """A pickle that, when loaded, creates a file: proof that the cache ran code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _build(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("WHITEPAPER_CACHE_SECRET", None)
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--force", "--project", str(project)],
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A project built once (cold): its root and the PDF's bytes."""
    root = copy_project(tmp_path_factory.mktemp("cache-trust") / "project")
    result = _build(root)
    assert result.returncode == 0, result.stderr
    return root, (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes()


def _cache(root: Path) -> Path:
    return root / "output" / ".cache"


def _pdf_text(pdf: Path) -> str:
    with pymupdf.open(pdf) as doc:
        return "".join(page.get_text() for page in doc)


def test_pickles_in_the_cache_never_run(built, tmp_path, monkeypatch):
    root, clean = built
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    # the worst case first: every entry a pickle under a valid seal (as if the secret had leaked), so
    # each reaches the parser of its kind (chart drawing and font JSON, digests, build stamps)
    from pipeline.cachestore import open_store

    monkeypatch.delenv("WHITEPAPER_CACHE_SECRET", raising=False)   # the key file the builds use
    planted = 0
    for seal in sorted(_cache(root).rglob("*.mac")):
        entry = seal.with_suffix("")
        store = open_store(_cache(root), entry.parent.relative_to(_cache(root)).as_posix())
        store.put(entry.name, payload)
        assert store.get(entry.name) == payload      # sealed with the key the build reads: it gets through
        planted += 1
    assert planted > 12 and {p.parent.name for p in _cache(root).rglob("*.mac")} >= {"charts", "fonts"}
    result = _build(root)
    assert not marker.exists()
    assert result.returncode == 0, result.stderr
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean
    # now every cache file (entries and seals alike) is a pickle
    poisoned = 0
    for path in _cache(root).rglob("*"):
        if path.is_file():
            path.write_bytes(payload)
            poisoned += 1
    assert poisoned > 12
    result = _build(root)
    assert not marker.exists()
    assert result.returncode == 0, result.stderr
    # and the cache only ever cost time: the PDF is the one the inputs make
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean


def _entry_showing(charts: Path, text: bytes) -> Path:
    found = [entry for entry in charts.glob("*.json") if text in entry.read_bytes()]
    assert len(found) == 1, found
    return found[0]


def test_a_poisoned_chart_is_drawn_again_from_the_data(built):
    root, clean = built
    charts = _cache(root) / "charts"
    # the pie chart's label for data/market.csv's 2007 ITO value (90.4)
    entry = _entry_showing(charts, "90.4 亿美元（59.5%）".encode())
    entry.write_bytes(entry.read_bytes().replace("90.4 亿美元".encode(), "9999 亿美元".encode()))
    result = _build(root)
    assert result.returncode == 0, result.stderr
    text = _pdf_text(root / "output" / "2008" / "whitepaper-2008.pdf")
    assert "9999" not in text
    assert "90.4 亿美元（59.5%）" in text
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean
    assert b"9999" not in entry.read_bytes()  # and the entry was replaced


def test_a_sealed_entry_under_another_name_is_not_believed(built):
    """Swapping two charts' files (each with its own seal) must not swap the charts."""
    root, clean = built
    charts = _cache(root) / "charts"
    pie = _entry_showing(charts, "90.4 亿美元（59.5%）".encode())
    other = next(entry for entry in sorted(charts.glob("*.json")) if entry != pie)
    for suffix in ("", ".mac"):
        a, b = Path(f"{pie}{suffix}"), Path(f"{other}{suffix}")
        data_a, data_b = a.read_bytes(), b.read_bytes()
        a.write_bytes(data_b)
        b.write_bytes(data_a)
    result = _build(root)
    assert result.returncode == 0, result.stderr
    assert "2 charts drawn" in result.stdout, result.stdout
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean


def test_a_truncated_chart_is_drawn_again(built):
    root, clean = built
    charts = _cache(root) / "charts"
    for entry in charts.glob("*.json"):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    result = _build(root)
    assert result.returncode == 0, result.stderr
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean
    # and the next build finds whole entries again: nothing to draw
    result = _build(root)
    assert result.returncode == 0 and "0 charts drawn" in result.stdout, result.stdout + result.stderr


def test_a_sealed_drawing_outside_the_format_is_drawn_again(built, monkeypatch):
    """Even under a valid seal (the secret leaked), a chart entry that is JSON but not a drawing in
    the format (another font, class, attribute or value type) is drawn again, not built nor trusted."""
    import json

    from pipeline.cachestore import open_store

    root, clean = built
    monkeypatch.delenv("WHITEPAPER_CACHE_SECRET", raising=False)   # the key file the builds use
    store = open_store(_cache(root), "charts")
    poisons = [
        lambda n: n["a"].update(fontName="Helvetica") if n["k"] == "String" else None,
        lambda n: n.update(k="Image") if n["k"] == "Path" else None,
        lambda n: n["a"].update(fileName="/etc/passwd") if n["k"] == "Group" else None,
        lambda n: n["a"].update(points="0 0 9 9") if n["k"] == "Path" else None,
    ]
    entries = sorted(charts.name for charts in (_cache(root) / "charts").glob("*.json"))
    assert len(entries) >= len(poisons)
    for name, poison in zip(entries, poisons):
        doc = json.loads(store.get(name))
        stack = [doc["drawing"]]
        while stack:
            node = stack.pop()
            poison(node)
            stack.extend(node.get("c", ()))
        store.put(name, json.dumps(doc).encode())
    result = _build(root)
    assert result.returncode == 0, result.stderr
    assert f"{len(poisons)} charts drawn" in result.stdout, result.stdout
    assert (root / "output" / "2008" / "whitepaper-2008.pdf").read_bytes() == clean
