"""data/tables.yaml is a Frictionless Data Package: standard tools read it, the build checks
its keys and constraints itself (without importing frictionless)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from conftest import BULLETIN, ROOT

PACKAGES = [ROOT / "data" / "tables.yaml", BULLETIN / "data" / "tables.yaml"]


@pytest.mark.parametrize("path", PACKAGES, ids=["edition", "bulletin"])
def test_the_dictionary_uses_the_table_schema_vocabulary(path):
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "tables" not in package and package["resources"]
    for resource in package["resources"]:
        assert (path.parent / resource["path"]).is_file()
        names = [f["name"] for f in resource["schema"]["fields"]]
        header = (path.parent / resource["path"]).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert names == header, resource["name"]
        assert set(resource["schema"]["primaryKey"]) <= set(names)


def test_foreign_keys_are_declared_not_written_as_rules():
    package = yaml.safe_load(PACKAGES[0].read_text(encoding="utf-8"))
    designations = next(r for r in package["resources"] if r["name"] == "designations")
    references = {(tuple(fk["fields"]), fk["reference"]["resource"]) for fk in designations["schema"]["foreignKeys"]}
    assert {(("city",), "cities"), (("designation",), "designation_types")} <= references
    assert not any("cities" in r["check"] and "reject" in r["check"] for r in designations.get("rules", []))


@pytest.mark.parametrize("path", PACKAGES, ids=["edition", "bulletin"])
def test_frictionless_validates_the_data_folder_as_it_is(path):
    import frictionless   # a test dependency only: the build never imports it (tested below)
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_build_does_not_import_frictionless():
    code = ("import sys; from pipeline.load import load_project; from pipeline.validate import validate_project; "
            f"p = load_project({str(ROOT)!r}); assert not validate_project(p); "
            "print('frictionless' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
