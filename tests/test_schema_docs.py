"""The JSON Schemas published in docs/schema/ are what `whitepaper schema` writes from pipeline/schema.py."""
from __future__ import annotations

import json

import jsonschema
import yaml
from click.testing import CliRunner

from conftest import ROOT
from pipeline.cli import cli

PUBLISHED = ROOT / "docs" / "schema"


def test_published_schemas_equal_what_the_command_writes(tmp_path):
    result = CliRunner().invoke(cli, ["schema", "--out", str(tmp_path / "schema")])
    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "schema").iterdir()}
    published = {p.name: p.read_text(encoding="utf-8") for p in PUBLISHED.glob("*.json")}
    assert set(written) == {"edition.schema.json", "chapter.schema.json", "tables.schema.json", "theme.schema.json"}
    assert written == published, "docs/schema/ is out of date: run `whitepaper schema` and commit docs/schema/"


def test_published_schemas_are_valid_and_accept_the_shipped_project():
    def schema(name):
        s = json.loads((PUBLISHED / f"{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(s)
        return jsonschema.Draft202012Validator(s)

    def load(rel):
        return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))

    edition = load("editions/2008.yaml")
    schema("edition").validate(edition)
    schema("tables").validate(load("data/tables.yaml"))
    chapter = schema("chapter")
    for name in edition["chapters"]:
        chapter.validate(load(f"chapters/{name}"))


def test_schema_command_refuses_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["schema", "--out", str(blocker / "schema")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.startswith("error: ")
    assert "cannot write: a file stands where a folder should be" in result.output
