"""The scheduled CI workflow: well-formed, complete, and running only commands our CLI has."""
from __future__ import annotations

import shlex

import click
import pytest
import yaml

from conftest import ROOT
from pipeline.cities import parse_shard
from pipeline.cli import cli

WORKFLOW = ROOT / ".github" / "workflows" / "whitepaper.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def _runs(workflow) -> list[tuple[str, str]]:
    """(job, command line) for every line of every run: step."""
    out = []
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if line.strip() and not line.strip().startswith("#"):
                    out.append((name, line.strip()))
    return out


def test_triggers_push_and_a_weekly_cron(workflow):
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    [schedule] = triggers["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert day == "*" and month == "*" and weekday not in ("*", "") and not minute.startswith("*")


def test_jobs_check_test_build_edition_and_sharded_cities(workflow):
    jobs = workflow["jobs"]
    runs = _runs(workflow)
    assert any(line == "whitepaper check" for _, line in runs)
    assert any("pytest" in line for _, line in runs)
    assert any(line.startswith("whitepaper build") and "--all-cities" not in line for _, line in runs)
    cities = [job for job in jobs.values() if any("--all-cities" in str(s.get("run", "")) for s in job["steps"])]
    assert len(cities) == 1
    matrix = cities[0]["strategy"]["matrix"]["shard"]
    assert cities[0]["strategy"]["fail-fast"] is False
    assert len(matrix) >= 2 and sorted(matrix) == list(range(1, len(matrix) + 1))
    shard_line = next(line for _, line in runs if "--shard" in line)
    assert f"${{{{ matrix.shard }}}}/{len(matrix)}" in shard_line
    for job in jobs.values():
        if job is not jobs.get("test"):
            assert "test" in job.get("needs", ()), "builds wait for check and tests"


def test_pdfs_and_manifest_are_uploaded(workflow):
    uploaded = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                uploaded.append(step["with"]["path"])
    text = "\n".join(uploaded)
    assert "output/*/whitepaper-*.pdf" in text and "output/*/cities/*.pdf" in text   # output/<edition>/…
    assert text.count("output/manifest.json") == 2


def test_every_whitepaper_command_exists_with_its_options(workflow):
    """Parse each `whitepaper …` line with our real Click command: an unknown command or option fails."""
    seen = 0
    for job, line in _runs(workflow):
        words = shlex.split(line.replace("${{ matrix.shard }}", "1"))
        if not words or words[0] != "whitepaper":
            continue
        for stop in (">", ">>", "|", "&&", ";", "2>"):
            if stop in words:
                words = words[:words.index(stop)]
        args = words[1:]
        while args and args[0].startswith("-"):
            assert args.pop(0) in ("-v", "--verbose"), line   # the group's own options
        name, rest = args[0], args[1:]
        parent = click.Context(cli, info_name="whitepaper")
        command = cli.get_command(parent, name)
        assert command is not None, f"{job}: `{line}`: no command '{name}'"
        try:
            ctx = command.make_context(name, list(rest), parent=parent)
        except click.UsageError as e:   # an unknown option, a missing value, a bad number …
            pytest.fail(f"{job}: `{line}`: {e}")
        if ctx.params.get("shard"):
            parse_shard(ctx.params["shard"])
        seen += 1
    assert seen >= 3
