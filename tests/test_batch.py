"""A city batch does the work every excerpt shares once, not once per worker."""
from __future__ import annotations

from conftest import copy_project
from pipeline.batch import build_cities
from pipeline.build import Options, build


def test_a_cold_parallel_batch_draws_each_chart_once(cities_build, tmp_path):
    """-j 2 (the session's batch, after the edition) draws as many charts as -j 1 from the same state, where
    one process draws each chart once: the two workers do not each draw the charts every excerpt shows.
    The excerpts are the same bytes either way."""
    root, parallel = cities_build
    one = copy_project(tmp_path / "project")
    build(Options(project=one))   # as the session's batch: the edition first
    serial = {o.city: o for o in build_cities(Options(project=one), jobs=1)}
    assert all(o.ok for o in serial.values())
    drawn_serial = sum(o.result.charts_rendered for o in serial.values())
    assert drawn_serial > 0
    assert sum(o.result.charts_rendered for o in parallel.values()) == drawn_serial
    for city, outcome in serial.items():
        assert outcome.pdf.read_bytes() == parallel[city].pdf.read_bytes(), city
