"""The chart worker's partner (pipeline/charts/partner.py): a forked process drawing every other
chart of a batch.  Real forks and real matplotlib drawings, in this process standing in for the
chart worker."""
from __future__ import annotations

import os
from dataclasses import replace

import pytest

from conftest import copy_bulletin
from pipeline.build import Options, check
from pipeline.charts.cache import _draw_chart
from pipeline.charts.draw import ChartError
from pipeline.charts.partner import draw_share


@pytest.fixture(scope="module")
def bulletin_charts(tmp_path_factory):
    root = copy_bulletin(tmp_path_factory.mktemp("partner"))
    project, document = check(Options(project=root))
    specs = tuple(f.chart for f in document.figures())
    assert len(specs) >= 3
    return specs, (project.fonts["sans"], project.fonts["sans-bold"])


def _children() -> set[int]:
    """This process's child processes, zombies included (Linux /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


def drawn_by(spec, sans, bold):
    return os.getpid(), spec.title


def test_the_partner_draws_the_odd_charts_and_hands_them_back_in_order(bulletin_charts):
    specs, fonts = bulletin_charts
    results = [draw_share(101, specs, i, fonts, drawn_by) for i in range(len(specs))]
    assert [title for _, title in results] == [s.title for s in specs]
    assert {pid for pid, _ in results[0::2]} == {os.getpid()}
    partner = {pid for pid, _ in results[1::2]}
    assert len(partner) == 1 and partner != {os.getpid()}
    assert partner.isdisjoint(_children())     # reaped once it sent its last drawing: no zombie left


def test_charts_drawn_by_the_pair_are_the_charts_drawn_alone(bulletin_charts):
    specs, fonts = bulletin_charts
    shared = [draw_share(103, specs, i, fonts, _draw_chart) for i in range(len(specs))]
    assert shared == [_draw_chart(spec, *fonts) for spec in specs]


def test_a_chart_the_partner_cannot_draw_fails_as_it_would_alone(bulletin_charts):
    specs, fonts = bulletin_charts
    broken = replace(specs[1], kind="no such kind")
    batch = (specs[0], broken) + specs[2:]
    assert draw_share(104, batch, 0, fonts, _draw_chart) == _draw_chart(specs[0], *fonts)
    with pytest.raises(ChartError):
        draw_share(104, batch, 1, fonts, _draw_chart)
    for i in range(2, len(batch)):
        assert draw_share(104, batch, i, fonts, _draw_chart) == _draw_chart(batch[i], *fonts)
