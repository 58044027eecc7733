"""The front of the pipeline's shortcuts give exactly what the long way gives.

- YAML: libyaml's parser reads every file as the pure-Python loader does (the same data, value
  and key positions, errors);
- templates: a text without template syntax renders as Jinja2 would render it;
- validation: the quick schema check agrees with jsonschema on every document it decides.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.load as load
from pipeline.model import ContentError

ROOT = Path(__file__).resolve().parent.parent

needs_libyaml = pytest.mark.skipif(load._FastLoader is None, reason="PyYAML without libyaml: one loader only")

TRICKY = {
    "anchors-and-merge.yaml": "base: &b {unit: 亿元, decimals: 1}\nfields:\n  value:\n    <<: *b\n    decimals: 2\n"
                              "list: [*b, *b]\n",
    "block-scalars.yaml": "a: |\n  第一行\n\n  第三行\nb: >-\n\n\n    折叠的\n    文本\nc: |+\n  保留\n\n",
    "quoted-multiline.yaml": 'a: "一行\n  二行 \\u4e2d"\nb: \'it\'\'s\n\n  ok\'\n',
    "scalars.yaml": "n: [010, 0x1F, 1_000, 1e3, .5, -.inf, .nan, yes, No, ~, null, 2008-06-30, '2008', !!str 12]\n",
    "keys.yaml": "? [a, b]\n: complex\n1: one\n3.5: x\n",
    "nesting.yaml": "a:\n- - - [1, {b: [2, {c: 3}]}]\n",
    "documents.yaml": "---\na: 1\n...\n",
    "empty.yaml": "",
    "comments-only.yaml": "# nothing\n",
    "crlf.yaml": "a: 1\r\nb: |\r\n  x\r\n  y\r\n",
    "duplicate-key.yaml": "a: 1\nb: 2\na: 3\n",
    "tab.yaml": "a:\n\tb: 1\n",
    "unclosed-quote.yaml": 'a: "open\nb: 2\nc: "x"\n',
    "bad-indent.yaml": "a: 1\n b: 2\n",
    "two-documents.yaml": "a: 1\n---\nb: 2\n",
    "unknown-alias.yaml": "a: *nope\n",
    "alias-bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]\n",
    "too-deep.yaml": "a: " + "[" * 60 + "]" * 60 + "\n",
    "python-tag.yaml": "a: !!python/object:os.system ls\n",
    "control-character.yaml": "a: b\x07c\n",
    "bom-in-text.yaml": "a: \ufeffb\n",
}


def _read(root: Path, rel: str, fast: bool, monkeypatch):
    monkeypatch.setattr(load, "_FastLoader", load._FastLoader if fast else None)
    try:
        doc = load._load_yaml(root, rel)
        return doc.data, doc.positions, doc.key_positions
    except ContentError as e:
        return [str(p) for p in e.problems]


def _both(root: Path, rel: str) -> tuple:
    with pytest.MonkeyPatch.context() as mp:
        fast = _read(root, rel, True, mp)
    with pytest.MonkeyPatch.context() as mp:
        pure = _read(root, rel, False, mp)
    return fast, pure


def _repository_yaml() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.y*ml")
                  if not {".git", "output"} & set(p.relative_to(ROOT).parts))


@needs_libyaml
def test_every_yaml_file_of_the_repository_loads_the_same_both_ways():
    files = _repository_yaml()
    assert len(files) > 20 and "editions/2008.yaml" in files
    different = [rel for rel in files if (lambda r: r[0] != r[1])(_both(ROOT, rel))]
    assert different == []


@needs_libyaml
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_yaml_loads_or_fails_the_same_both_ways(name, tmp_path):
    (tmp_path / name).write_text(TRICKY[name], encoding="utf-8", newline="")
    fast, pure = _both(tmp_path, name)
    assert fast == pure


@needs_libyaml
def test_the_fast_path_is_the_one_taken_for_a_clean_file(tmp_path, monkeypatch):
    made = []
    real = load._FastLoader

    class Counting(real):
        def __init__(self, stream):
            made.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(load, "_FastLoader", Counting)
    (tmp_path / "a.yaml").write_text("a: |\n  文本\nb: [1, 2]\n", encoding="utf-8")
    doc = load._load_yaml(tmp_path, "a.yaml")
    assert made and doc.data == {"a": "文本\n", "b": [1, 2]}
    assert str(doc.pos(("a",))) == "a.yaml:2:3" and str(doc.pos(("b", 1))) == "a.yaml:3:8"


# ---------------------------------------------------------------- texts without template syntax

PLAIN_TEXTS = [
    "",
    "\n",
    "一段没有数据的文字。",
    "末尾一个换行\n",
    "末尾两个换行\n\n",
    "Windows 换行\r\n第二行\r\n",
    "旧 Mac 换行\r第二行\r",
    "混合\r\n\n\r换行\n",
    "  前后的空格  \n",
    "大括号 { 与 } 不是模板，%} 和 }} 也不是；{ {",
    "x" * 100_001,
]


@pytest.mark.parametrize("source", PLAIN_TEXTS, ids=range(len(PLAIN_TEXTS)))
def test_a_text_without_template_syntax_renders_as_jinja_would(source):
    from pipeline.resolve.templates import BudgetError, _Data, _from_string, is_plain_text, make_environment

    env = make_environment(_Data(load.load_project(ROOT), 1))
    assert is_plain_text(source)

    def outcome(render):
        try:
            return render()
        except BudgetError as e:
            return f"BudgetError: {e}"

    compiled = outcome(lambda: env.render_text(_from_string(env, source), {}))
    assert outcome(lambda: env.render_plain(source)) == compiled


@pytest.mark.parametrize("source", ["{{ 1 }}", "{% if true %}x{% endif %}", "{# note #}", "a {{"])
def test_template_syntax_is_never_taken_for_plain_text(source):
    from pipeline.resolve.templates import is_plain_text

    assert not is_plain_text(source)


# ---------------------------------------------------------------- the quick schema check

def _documents() -> list[tuple[str, object, dict]]:
    """(name, data, schema) of every edition, data dictionary, chapter and theme we have."""
    from pipeline.schema import CHAPTER, EDITION, TABLES, THEME
    from test_theme import THEME as THEME_TEXT

    docs = []
    for root in (ROOT, ROOT / "tests" / "fixtures" / "bulletin"):
        for path in sorted((root / "chapters").glob("*.yaml")) + sorted((root / "editions").glob("*.yaml")):
            data = load._load_yaml(root, path.relative_to(root).as_posix()).data
            schema = EDITION if "year" in data and "chapters" in data else CHAPTER
            docs.append((path.relative_to(ROOT).as_posix(), data, schema))
        docs.append((f"{root.name}/data/tables.yaml", load._load_yaml(root, "data/tables.yaml").data, TABLES))
    import yaml

    docs.append(("theme", yaml.safe_load(THEME_TEXT), THEME))
    return docs


def _mutations(data, rng, count: int):
    """``count`` copies of ``data``, each with one value replaced, one key dropped or one key added."""
    import copy
    import datetime
    from decimal import Decimal

    values = [None, True, False, 0, 1, -3, 2.0, 1.5, float("nan"), Decimal("2.5"), "", "x", "2008", "bar",
              "sans", "#1f4e79", [], ["a", "a"], [1], {}, {"k": 1}, datetime.date(2008, 6, 30)]
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))

    walk(data, ())
    for _ in range(count):
        doc = copy.deepcopy(data)
        path = rng.choice(paths)
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = rng.random()
        if not path:
            doc = rng.choice(values)
        elif action < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(values))
        elif action < 0.85 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "titel", 3])] = rng.choice(values)
        else:
            parent.append(copy.deepcopy(parent[path[-1]]))
        yield doc


def test_the_quick_schema_check_agrees_with_jsonschema():
    import random

    import jsonschema

    from pipeline.validate import _Unsure, is_valid

    rng = random.Random(11)
    decided = {True: 0, False: 0}
    disagree = []
    for name, data, schema in _documents():
        validator = jsonschema.Draft202012Validator(schema)
        assert is_valid(data, schema) and validator.is_valid(data), name
        for doc in _mutations(data, rng, 120):
            try:
                quick = is_valid(doc, schema)
            except _Unsure:
                continue
            decided[quick] += 1
            if quick != validator.is_valid(doc):
                disagree.append((name, doc))
    assert disagree == []
    assert decided[True] > 100 and decided[False] > 500, decided   # both verdicts exercised


@pytest.mark.parametrize("schema, instance", [
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 1),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, None),
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, 2.0),
    ({"type": "integer"}, True),
    ({"type": "number"}, __import__("decimal").Decimal("1.5")),
    ({"enum": ["a", None]}, None),
    ({"enum": [1, "2"]}, "1"),
    ({"uniqueItems": True}, ["a", "b", "a"]),
    ({"pattern": "^a"}, "ba"),
    ({"pattern": "a"}, "ba"),
    ({"minimum": 1}, float("nan")),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ab": 1, "Cd": 2}),
    ({"additionalProperties": {"type": "string"}, "properties": {"a": {}}}, {"a": 1, "b": 2}),
    ({"items": {"type": "string"}, "minItems": 1}, []),
])
def test_the_quick_check_means_what_jsonschema_means(schema, instance):
    import jsonschema

    from pipeline.validate import is_valid

    assert is_valid(instance, schema) == jsonschema.Draft202012Validator(schema).is_valid(instance)
