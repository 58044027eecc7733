"""Budgets: nothing a chapter, a rule or a data file says can hang or exhaust a build.

One test per family, several hostile inputs each; every one must be answered with exit 1 and
one ``error: file:line`` naming the limit.  ``test_the_limits_hold_in_a_real_process`` runs the
worst of them through the real ``whitepaper`` executable with a memory ceiling: before the
budgets existed each of them hung for minutes or ran out of memory.
"""
from __future__ import annotations

import os
import resource
import subprocess

import pytest
from click.testing import CliRunner

from conftest import copy_project
from pipeline.cli import cli
from test_errors import whitepaper_executable

CHAPTER = "chapters/02-market.yaml"
ANCHOR = "{{ base_year }} 年，中国的软件"   # the start of the chapter's first paragraph


def _edit(root, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(root, rel: str, needle: str) -> int:
    text = (root / rel).read_text(encoding="utf-8")
    return text[:text.index(needle)].count("\n") + 1


def _check(root) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", "--project", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.startswith("error: ")]


def _assert_one_located_error(root, rel: str, line: int, message: str) -> None:
    code, errors = _check(root)
    assert code == 1, errors
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"error: {rel}:{line}:"), errors
    assert message in errors[0], errors


TEMPLATE_ATTACKS = [
    ("{{ 'x' * 10**8 }}", "repeating a text or list"),
    ("{{ [1, 2] * 10**7 }}", "repeating a text or list"),
    ("{{ 10 ** (10 ** 8) }}", "an exponent of 100000000"),
    ("{{ 7 ** 5000 }}", "a whole number of more than 100 digits"),
    ("{{ (10 ** 60) * (10 ** 60) }}", "a whole number of more than 100 digits"),
    ("{{ 10.0 ** 400 }}", "a number too large"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "loop iterations"),
    ("{% for i in rows('market') %}{% for j in rows('market') %}{% for k in rows('market') %}"
     "{% for l in rows('market') %}{% for m in rows('market') %}{% for n in rows('market') %}"
     "{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "loop iterations"),
    ("{{ range(10 ** 9) | sum }}", "range() of 1,000,000,000 numbers"),
    ("{% macro f(n) %}{% if n < 40 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}",
     "loop iterations and calls"),
    ("{{ '{:x>100000000}'.format(1) }}", "a format width or precision of 100000000"),
    ("{{ '{:.5000f}'.format(1.5) }}", "a format width or precision of 5000"),
    ("{{ '{0:{1}}'.format(1, 100000000) }}", "a format width or precision of 100000000"),
    ("{{ '%0100000000d' % 1 }}", "a format width or precision of 100000000"),
    ("{{ '%*d' % (100000000, 1) }}", "'*' width"),
    ("{{ '%0100000000d' | format(1) }}", "a format width or precision of 100000000"),
    ("{{ 'x'.ljust(10 ** 8) }}", "ljust() to a width of 100000000"),
    ("{{ '1'.zfill(10 ** 8) }}", "zfill() to a width of 100000000"),
    ("{{ 'x' | center(10 ** 8) }}", "center to a width of 100000000"),
    ("{{ ('x' * 1000) | replace('x', 'y' * 1000) }}", "replace() making a text"),
    ("{{ ('x' * 1000).replace('x', 'y' * 1000) }}", "replace() making a text"),
    ("{{ ('x' * 90000).join(['a', 'b', 'c']) }}", "a text of more than 100,000 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "a text of more than 100,000 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "more than 100,000 characters or items"),
    ("{% for i in range(99999) %}{{ i }}{% endfor %}", "the block renders to more than 100,000 characters"),
]


@pytest.mark.parametrize("attack,message", TEMPLATE_ATTACKS, ids=[a for a, _ in TEMPLATE_ATTACKS])
def test_a_template_over_budget_is_one_located_error(attack, message, tmp_path):
    root = copy_project(tmp_path / "p")
    _edit(root, CHAPTER, ANCHOR, f"{attack} {ANCHOR}")
    _assert_one_located_error(root, CHAPTER, _line_of(root, CHAPTER, attack), message)


RULE_ATTACKS = [
    ("10 ** (10 ** 8) > 0", "an exponent of 100000000"),
    ("('x' * 10 ** 8) | length > 0", "repeating a text or list"),
    ("range(10 ** 9) | sum > 0", "range() of 1,000,000,000 numbers"),
    ("'{:x>100000000}'.format(1) != ''", "a format width or precision of 100000000"),
    ("'%0100000000d' % 1 != ''", "a format width or precision of 100000000"),
]


@pytest.mark.parametrize("attack,message", RULE_ATTACKS, ids=[a for a, _ in RULE_ATTACKS])
def test_a_rule_over_budget_is_one_located_error(attack, message, tmp_path):
    root = copy_project(tmp_path / "p")
    _edit(root, "data/tables.yaml", 'check: "forecast_year > base_year"', f'check: "{attack}"')
    _assert_one_located_error(root, "data/tables.yaml", _line_of(root, "data/tables.yaml", attack), message)


def _alias_bomb(levels: int = 9) -> str:
    text = 'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels):
        text += f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text


YAML_ATTACKS = [
    ("billion-laughs", _alias_bomb(), "lol8:", "YAML too large: aliases (*name) expand this file"),
    ("deep-flow", "deep: " + "[" * 3000 + "]" * 3000 + "\n", "deep:", "YAML too deep"),
    ("deep-block", "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v\n", "k48:", "YAML too deep"),
    ("recursive-alias", "loop: &me [1, *me]\n", "loop:", "refers to the value it is inside of"),
]


@pytest.mark.parametrize("name,text,at,message", YAML_ATTACKS, ids=[a[0] for a in YAML_ATTACKS])
def test_yaml_over_budget_is_one_located_error(name, text, at, message, tmp_path):
    root = copy_project(tmp_path / "p")
    rel = "chapters/03-enterprises.yaml"
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + "x-extra:\n" + "".join(
        "  " + line + "\n" for line in text.splitlines()), encoding="utf-8")
    _assert_one_located_error(root, rel, _line_of(root, rel, at), message)


NUMBER_ATTACKS = [
    ("1e-1000000", "has more than 15 decimal places"),
    ("0.0000000000000000001", "has more than 15 decimal places"),
    ("1e400", "is too large"),
    ("1" * 40, "is too large"),
    ("9" * 100000, "is too large"),
    ("12345678901234567890.123456789012", "more than 30 significant digits"),
    ("NaN", "is not a number"),
    ("inf", "is not a number"),
    ("-Infinity", "is not a number"),
]


@pytest.mark.parametrize("cell,message", NUMBER_ATTACKS, ids=[c[:24] for c, _ in NUMBER_ATTACKS])
def test_an_absurd_number_in_a_csv_is_one_located_error(cell, message, tmp_path):
    root = copy_project(tmp_path / "p")
    _edit(root, "data/market.csv", "2010,onshore,224,", f"2010,onshore,{cell},")
    _assert_one_located_error(root, "data/market.csv", _line_of(root, "data/market.csv", "2010,onshore,"), message)


def _limited_memory():
    ceiling = 3 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


@pytest.mark.parametrize("rel,old,new", [
    (CHAPTER, ANCHOR, "{{ 10 ** (10 ** 8) }}" + ANCHOR),
    (CHAPTER, ANCHOR, "{{ '{:x>1000000000}'.format(1) }}" + ANCHOR),
    (CHAPTER, ANCHOR, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" + ANCHOR),
    ("data/market.csv", "2010,onshore,224,", "2010,onshore,1e-1000000,"),
    ("chapters/03-enterprises.yaml", "number:", "x-bomb:\n" + "".join(
        "  " + line + "\n" for line in _alias_bomb(10).splitlines()) + "number:"),
], ids=["power", "format-width", "nested-loops", "csv-digits", "alias-bomb"])
def test_the_limits_hold_in_a_real_process(rel, old, new, tmp_path):
    """Before the budgets each of these hung or ran out of memory; the timeout only stops a hang."""
    root = copy_project(tmp_path / "p")
    _edit(root, rel, old, new)
    proc = subprocess.run(whitepaper_executable() + ["build", "--project", str(root)], capture_output=True,
                          text=True, timeout=60, preexec_fn=_limited_memory,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert output.startswith(f"error: {rel}:"), output
    assert not (root / "output" / "2008" / "whitepaper-2008.pdf").exists()
