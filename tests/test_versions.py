"""Library versions read from the installed distributions' folder names agree with importlib.metadata."""
from __future__ import annotations

from importlib.metadata import distributions, version

from pipeline.versions import installed_version


def test_every_installed_distribution_has_the_version_importlib_metadata_gives():
    names = {d.metadata["Name"] for d in distributions() if d.metadata["Name"]}
    assert {"reportlab", "PyYAML"} <= names | {n.lower() for n in names}
    wrong = {n: (installed_version(n), version(n)) for n in sorted(names) if installed_version(n) != version(n)}
    assert wrong == {}


def test_a_name_is_found_however_it_is_spelt_and_a_missing_one_is_none():
    assert installed_version("pyyaml") == installed_version("PyYAML") == version("PyYAML")
    assert installed_version("Jinja2") == installed_version("jinja2")
    assert installed_version("no-such-distribution-here") is None
