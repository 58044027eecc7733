"""Check a loaded project against the schemas and its own cross-references.

Takes a :class:`~pipeline.model.Project`; returns a list of located
:class:`~pipeline.model.Problem` (never raises for user mistakes), so that
one run reports every mistake at once.
"""
from __future__ import annotations

import difflib
import numbers
import re
from functools import lru_cache
from typing import Iterable

from .cities import city_declaration_problems, city_tables
from .files import read_input
from .load import dotted
from .model import ContentError, Problem, Project, SourcePos, UsageError, YamlDoc
from .schema import CHAPTER, EDITION, TABLES, THEME

# the data dictionary's keys before it spoke the Frictionless vocabulary, and what they are now called
_FRICTIONLESS_NAMES = {"tables": "resources", "file": "path", "key": "schema.primaryKey",
                       "columns": "schema.fields"}

# Ids that become file names (output/cities/<id>.pdf): no '/', '..', spaces, control characters or
# anything else a file system or shell treats specially, so data can never place a file outside output/.
SAFE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SAFE_ID_RULE = "lower-case letters a-z, digits, '-' and '_', starting with a letter or digit, at most 64"


@lru_cache(maxsize=None)
def _validator(schema_id: int):
    import jsonschema   # ~45 ms to import: only for a document the quick check below does not pass

    return {id(s): jsonschema.Draft202012Validator(s) for s in (CHAPTER, EDITION, TABLES, THEME)}[schema_id]


def validate_project(project: Project) -> list[Problem]:
    problems: list[Problem] = []
    problems += schema_problems(project.edition, EDITION)
    problems += schema_problems(project.tables_doc, TABLES)
    for chapter in project.chapters:
        problems += schema_problems(chapter, CHAPTER)
    if problems:
        return problems  # cross-references need well-formed documents
    problems += _chapter_numbers(project)
    problems += _references(project)
    problems += _table_keys(project)
    problems += city_declaration_problems(project)
    problems += file_name_id_problems(project)
    problems += _periods(project)
    return problems


def _periods(project: Project) -> list[Problem]:
    """A period field is part of its table's key and holds years; each period the edition names is a
    year some periodic table has data for."""
    problems = []
    doc = project.tables_doc
    periodic = []
    for index, resource in enumerate(doc.data["resources"]):
        for i, field in enumerate(resource["schema"]["fields"]):
            if field.get("period") is not True:
                continue
            at = ("resources", index, "schema", "fields", i, "period")
            if field["name"] not in (resource["schema"].get("primaryKey") or []):
                problems.append(Problem(doc.pos(at), dotted(at),
                                        f"the period field '{field['name']}' must be part of the primaryKey of "
                                        f"{resource['name']}, so the table can hold many periods"))
            if field["type"] != "integer":
                problems.append(Problem(doc.pos(at), dotted(at),
                                        f"the period field '{field['name']}' must be of type integer (a year)"))
            table = project.tables.get(resource["name"])
            if table is not None:
                periodic.append(table)
    edition = project.edition
    declared = edition.data.get("periods") if isinstance(edition.data, dict) else None
    if not isinstance(declared, dict) or not periodic:
        return problems
    for name, year in declared.items():
        if any(r.get(t.period) == year for t in periodic for r in t.rows):
            continue
        held = sorted({r.get(t.period) for t in periodic for r in t.rows if isinstance(r.get(t.period), int)})
        problems.append(Problem(edition.pos(("periods", name)), f"periods.{name}",
                                f"{year}: no periodic table has data for it "
                                f"({', '.join(t.name for t in periodic)} hold {', '.join(map(str, held))})"))
    return problems


def file_name_id_problems(project: Project) -> list[Problem]:
    """Every id that names an output file must match SAFE_ID; reported at its CSV line."""
    problems = []
    roles = city_tables(project)
    if roles is None:
        return problems
    table, column = project.tables[roles.cities], "id"   # a city's id names its excerpt
    for row, line in zip(table.rows, table.lines):
        value = row.get(column)
        if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
            problems.append(Problem(SourcePos(table.file, line), f"column '{column}'",
                                    f"'{value}' cannot name a file (output/cities/<{column}>.pdf): "
                                    f"use {SAFE_ID_RULE}"))
    return problems


def schema_problems(doc: YamlDoc, schema: dict) -> list[Problem]:
    try:
        if is_valid(doc.data, schema):
            return []
    except _Unsure:
        pass
    validator = _validator(id(schema))   # it finds and words every problem
    problems = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_explain(doc, error, schema))
    # one message per location and text
    return sorted(set(problems))


# ---------------------------------------------------------------- the quick check
#
# Most documents are valid, and proving that needs only the few keywords our schemas use, with
# jsonschema's own meaning (Draft 2020-12: its type checks, re.search for patterns, equality
# that never takes True for 1).  Whatever the check is not sure of raises _Unsure, and
# jsonschema decides; any document not proved valid is validated, and its problems worded, by
# jsonschema.  tests/test_fast_paths.py holds the two to the same verdicts.


class _Unsure(Exception):
    """A keyword or value the quick check does not decide."""


def _is_type(instance, name: str) -> bool:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "integer":
        return isinstance(instance, int) or isinstance(instance, float) and instance.is_integer()
    if name == "number":
        return isinstance(instance, numbers.Number)
    raise _Unsure(name)


def _enum(instance, values, schema) -> bool:
    if isinstance(instance, str):
        return any(isinstance(v, str) and v == instance for v in values)
    if instance is None:
        return any(v is None for v in values)
    raise _Unsure("enum")


def _additional(instance, allowed, schema) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unsure("patternProperties")
    declared = schema.get("properties", {})
    extras = [key for key in instance if key not in declared]
    if isinstance(allowed, dict):
        return all(is_valid(instance[key], allowed) for key in extras)
    return bool(allowed) or not extras


def _items(instance, each, schema) -> bool:
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        raise _Unsure("prefixItems")
    return all(is_valid(item, each) for item in instance)


def _unique(instance, unique, schema) -> bool:
    if not unique or not isinstance(instance, list):
        return True
    if not all(isinstance(item, str) for item in instance):
        raise _Unsure("uniqueItems")
    return len(set(instance)) == len(instance)


_KEYWORDS = {
    "type": lambda i, v, s: any(_is_type(i, t) for t in ([v] if isinstance(v, str) else v)),
    "enum": _enum,
    "properties": lambda i, v, s: not isinstance(i, dict) or all(is_valid(i[k], sub) for k, sub in v.items() if k in i),
    "additionalProperties": _additional,
    "required": lambda i, v, s: not isinstance(i, dict) or all(k in i for k in v),
    "items": _items,
    "minItems": lambda i, v, s: not isinstance(i, list) or len(i) >= v,
    "maxItems": lambda i, v, s: not isinstance(i, list) or len(i) <= v,
    "uniqueItems": _unique,
    "minLength": lambda i, v, s: not isinstance(i, str) or len(i) >= v,
    "pattern": lambda i, v, s: not isinstance(i, str) or re.search(v, i) is not None,
    "minimum": lambda i, v, s: not _is_type(i, "number") or not i < v,
    "maximum": lambda i, v, s: not _is_type(i, "number") or not i > v,
    "minProperties": lambda i, v, s: not isinstance(i, dict) or len(i) >= v,
    "maxProperties": lambda i, v, s: not isinstance(i, dict) or len(i) <= v,
    "propertyNames": lambda i, v, s: not isinstance(i, dict) or all(is_valid(k, v) for k in i),
    "anyOf": lambda i, v, s: any(is_valid(i, sub) for sub in v),
    "oneOf": lambda i, v, s: sum(is_valid(i, sub) for sub in v) == 1,
}
_ANNOTATIONS = {"$schema", "$comment", "title", "description", "default", "examples"}


def is_valid(instance, schema) -> bool:
    """Whether jsonschema's Draft 2020-12 validator finds ``instance`` valid; raises _Unsure for what
    this check does not know (a keyword, a kind of value)."""
    if schema is True or schema is False:
        return schema
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise _Unsure(keyword)
        if not check(instance, value, schema):
            return False
    return True


def _explain(doc: YamlDoc, error, schema: dict) -> Iterable[Problem]:
    """One jsonschema ValidationError as located problems."""
    path = tuple(error.absolute_path)
    key = dotted(path) or "(top level)"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        for extra in sorted(set(error.instance) - set(allowed), key=str):
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.5)
            if schema is TABLES and extra in _FRICTIONLESS_NAMES:
                close = [_FRICTIONLESS_NAMES[extra]]
            hint = f" (did you mean '{close[0]}'?)" if close else f"; allowed: {', '.join(allowed)}"
            yield Problem(doc.key_pos(path + (extra,)), dotted(path + (extra,)), f"unknown key{hint}")
        return
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield Problem(doc.pos(path), key, f"missing required key '{missing}'")
        return
    if error.validator in ("minProperties", "maxProperties") and path and path[-2:-1] and isinstance(path[-1], int):
        yield Problem(doc.pos(path), key, "a block must have exactly one of: paragraph, heading, list, figure, image, table")
        return
    if error.validator == "enum":
        choices = error.validator_value
        close = difflib.get_close_matches(str(error.instance), [str(c) for c in choices], n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield Problem(doc.pos(path), key,
                      f"expected one of {', '.join(map(str, choices))}; got {error.instance!r}{hint}")
        return
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        yield Problem(doc.pos(path), key, f"expected {_article(expected)}; got {_describe(error.instance)}")
        return
    choices = [e for e in error.context or () if e.validator == "enum"] if error.validator == "anyOf" else []
    if choices and isinstance(error.instance, str):
        # a named choice or a literal value (theme.yaml's page_size): a text that is no choice names the choices
        yield from _explain(doc, choices[0], schema)
        return
    if choices and isinstance(error.instance, list):
        # the literal value's own failure (e.g. [w, h] with one number), not "expected text"
        own = [e for e in error.context if e.validator not in ("enum", "type") or e.relative_path]
        if own:
            yield from _explain(doc, own[0], schema)
            return
    if error.validator == "anyOf" and error.context:
        # paragraph: a string or {text, excerpt}; explain the more specific failure
        best = min(error.context, key=lambda e: len(e.absolute_path) * -1)
        if isinstance(error.instance, dict):
            yield from _explain(doc, best, schema)
        elif error.instance == "":
            yield Problem(doc.pos(path), key, "must not be empty")
        else:
            yield Problem(doc.pos(path), key, f"expected text; got {_describe(error.instance)}")
        return
    if error.validator in ("minLength", "minItems", "minProperties") and error.validator_value == 1:
        yield Problem(doc.pos(path), key, "must not be empty")
        return
    if error.validator in ("minimum", "maximum"):
        bound = "at least" if error.validator == "minimum" else "at most"
        yield Problem(doc.pos(path), key, f"expected {bound} {error.validator_value}; got {_describe(error.instance)}")
        return
    if error.validator == "pattern":
        what = error.schema.get("description") or f"text matching {error.validator_value}"
        yield Problem(doc.pos(path), key, f"{_describe(error.instance)} has the wrong form: {what}")
        return
    yield Problem(doc.pos(path), key, error.message)


def _article(t: str) -> str:
    names = {"string": "text", "integer": "a whole number", "object": "a mapping (key: value)",
             "array": "a list", "number": "a number", "null": "nothing"}
    return " or ".join(names.get(p.strip(), p) for p in t.split(" or "))


def _describe(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{value!r} (a yes/no value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"


def _chapter_numbers(project: Project) -> list[Problem]:
    problems = []
    seen: dict[int, str] = {}
    for doc in project.chapters:
        number = doc.data["number"]
        if number in seen:
            problems.append(Problem(doc.pos(("number",)), "number",
                                    f"chapter number {number} is also used by {seen[number]}"))
        seen[number] = doc.path
    return problems


def _references(project: Project) -> list[Problem]:
    """Figures and tables must name declared tables and columns; ids must be unique."""
    problems = []
    ids: dict[str, str] = {}

    def unique(doc, path, value) -> None:
        # one namespace for figures, images, tables, headings and chapters: ref('id') must be unambiguous
        if value in ids:
            problems.append(Problem(doc.pos(path), dotted(path), f"id '{value}' is already used at {ids[value]}"))
        else:
            ids[value] = str(doc.pos(path))

    for doc in project.chapters:
        if doc.data.get("id"):
            unique(doc, ("id",), doc.data["id"])
        for i, block in enumerate(doc.data["blocks"]):
            kind = next(iter(block))
            spec = block[kind]
            base = ("blocks", i, kind)
            if kind in ("image", "heading") and spec.get("id"):
                unique(doc, base + ("id",), spec["id"])
            if kind not in ("figure", "table"):
                continue
            unique(doc, base + ("id",), spec["id"])
            table = project.tables.get(spec["table"])
            if table is None:
                hint = _hint(spec["table"], project.tables)
                problems.append(Problem(doc.pos(base + ("table",)), dotted(base + ("table",)),
                                        f"no table '{spec['table']}' in data/tables.yaml{hint}"))
                continue
            columns = list(table.columns) + [c for r in table.rows[:1] for c in r if c not in table.columns]
            wanted = []
            if kind == "figure":
                wanted = [("x", spec["x"]), ("series", spec.get("series")), ("label", spec.get("label"))]
                if spec.get("y") not in (None, "count"):
                    wanted.append(("y", spec["y"]))
                total = spec.get("total")
                wanted += [("total", total)] if isinstance(total, str) else [("total", k) for k in total or {}]
            elif spec.get("view") is None:
                computed = spec.get("computed") or {}
                wanted = [("columns", c) for c in spec["columns"] if c not in computed]
                wanted += [("computed", how.get("share_of") or how.get("growth_of")) for how in computed.values()]
            elif spec.get("view") == "city_matrix":
                wanted = [("view", "city"), ("view", "designation")]   # one row per city, a column per designation
            wanted += [("where", c) for c in (spec.get("where") or {})]
            for field, column in wanted:
                if column is None or column in columns:
                    continue
                hint = _hint(column, columns) if field != "view" else f", which view {spec['view']} needs"
                # columns and where name columns by their keys: point at the key itself
                keyed = field in ("columns", "where") or (field == "total" and isinstance(spec.get("total"), dict))
                at = doc.key_pos(base + (field, column)) if keyed else doc.pos(base + (field,))
                problems.append(Problem(at, dotted(base + (field,)),
                                        f"table '{spec['table']}' ({table.file}) has no column '{column}'{hint}"))
    return problems


def _table_keys(project: Project) -> list[Problem]:
    """primaryKey and foreignKeys name declared fields and resources; every foreign key value
    exists in the table it refers to (reported at the CSV row)."""
    problems = []
    doc = project.tables_doc
    for index, resource in enumerate(doc.data["resources"]):
        base = ("resources", index, "schema")
        declared = [f["name"] for f in resource["schema"]["fields"]]
        names = [(("primaryKey", i), c) for i, c in enumerate(resource["schema"].get("primaryKey") or [])]
        for k, fk in enumerate(resource["schema"].get("foreignKeys") or []):
            names += [(("foreignKeys", k, "fields", i), c) for i, c in enumerate(fk["fields"])]
        for path, column in names:
            if column not in declared:
                problems.append(Problem(doc.pos(base + path), dotted(base + path),
                                        f"'{column}' is not a field of {resource['name']}{_hint(column, declared)}"))
        for k, fk in enumerate(resource["schema"].get("foreignKeys") or []):
            ref = fk["reference"]
            at = base + ("foreignKeys", k, "reference")
            target = project.tables.get(ref["resource"])
            if target is None:
                problems.append(Problem(doc.pos(at + ("resource",)), dotted(at + ("resource",)),
                                        f"no resource '{ref['resource']}' in data/tables.yaml"
                                        f"{_hint(ref['resource'], project.tables)}"))
                continue
            for i, column in enumerate(ref["fields"]):
                if column not in target.columns:
                    problems.append(Problem(doc.pos(at + ("fields", i)), dotted(at + ("fields", i)),
                                            f"'{column}' is not a field of {target.name}{_hint(column, target.columns)}"))
            if len(ref["fields"]) != len(fk["fields"]):
                problems.append(Problem(doc.pos(at), dotted(at), "as many fields as the foreign key has are needed"))
    if problems:
        return problems
    for table in project.tables.values():
        for columns, target_name, target_columns, _ in table.foreign_keys:
            target = project.tables.get(target_name)
            if target is None:
                continue
            known = {tuple(str(r.get(c)) for c in target_columns) for r in target.rows}
            for row, line in zip(table.rows, table.lines):
                values = tuple(row.get(c) for c in columns)
                if any(v is None or v == "" for v in values):
                    continue   # an empty cell refers to nothing (Frictionless: null)
                if tuple(map(str, values)) not in known:
                    shown = ", ".join(map(str, values))
                    hint = _hint(shown, [", ".join(k) for k in known]) if len(columns) == 1 else ""
                    problems.append(Problem(SourcePos(table.file, line), f"column '{', '.join(columns)}'",
                                            f"'{shown}' is not in {target.name}.{'+'.join(target_columns)} "
                                            f"({target.file}; a declared foreign key){hint}"))
    return problems


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def glyph_problems(document, coverage: dict[str, frozenset[int]], root) -> list[Problem]:
    """Every character to be printed must be in every face that may print it: no blank boxes.

    ``coverage`` maps a font file name to its code points.  A missing character
    is reported where it first occurs in the chapter or data files.
    """
    seen: set[str] = set(_printable(coverage))   # what earlier documents of the process found in every face
    problems = []
    for text, pos in document.texts():
        for ch in text or "":
            if ch in seen or ch in "\n\t":
                continue
            seen.add(ch)
            missing = [name for name, codes in coverage.items() if ord(ch) not in codes]
            if not missing:
                _printable(coverage).add(ch)
            else:
                where = _find_char(root, ch) or pos
                problems.append(Problem(where or SourcePos("chapters"), "",
                                        f"character '{ch}' (U+{ord(ch):04X}) is not in the font"
                                        f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                                        "replace it or add a font that has it"))
    return problems


def _printable(coverage: dict) -> set[str]:
    """Characters every face of ``coverage`` has, as far as the documents checked so far showed (a batch
    checks twenty excerpts with the same faces); kept for the last coverage asked about."""
    if _printable_in[0] is not coverage:
        _printable_in[:] = [coverage, set()]
    return _printable_in[1]


_printable_in: list = [None, set()]   # [the coverage (held, so its id is not another's), its printable characters]


def _find_char(root, ch: str):
    """The first file:line:column in chapters/ or data/ where ``ch`` occurs."""
    from pathlib import Path

    for folder in ("chapters", "data"):
        for path in sorted(Path(root, folder).glob("*")):
            if path.suffix not in (".yaml", ".yml", ".csv"):
                continue
            try:
                raw = read_input(Path(root), f"{folder}/{path.name}")   # skips a FIFO instead of hanging
            except (OSError, ContentError, UsageError):
                continue
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030", errors="replace")
            for n, line in enumerate(text.splitlines(), 1):
                col = line.find(ch)
                if col >= 0:
                    return SourcePos(f"{folder}/{path.name}", n, col + 1)
    return None


# ---------------------------------------------------------------- numbers typed into the text

# A number in the text: ASCII or full-width digits, with a decimal part.
_DIGITS = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
# What is not prose: template expressions and statements, <lit>…</lit> (marked literal), other tags.
_NOT_PROSE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<lit>.*?</lit>|<[^<>]*>", re.S)
_TEXT_KEYS_CHAPTER = ("title", "source", "unit")
_TEXT_KEYS_EDITION = ("title", "short_title", "subtitle", "copyright", "publisher", "guidance")


def literal_numbers(project: Project) -> list[Problem]:
    """Every number typed straight into the text of the chapters or the edition file, located.

    Numbers come from data/ through ``{{ … }}``; a number that really is part of the wording (a
    document number, an ordinal, a date that is not data) is marked ``<lit>…</lit>``.
    """
    problems = []
    for doc in (project.edition, *project.chapters):
        for path in _text_paths(doc):
            for pos, digits in _literals_in(doc, path):
                problems.append(Problem(pos, dotted(path),
                                        f"the number {digits} is typed into the text; take it from data/ "
                                        "with {{ … }}, or mark it <lit>…</lit> if it is part of the wording"))
    return problems


def _text_paths(doc: YamlDoc) -> list[tuple]:
    data = doc.data if isinstance(doc.data, dict) else {}
    if "blocks" not in data:   # the edition file
        paths = [(k,) for k in _TEXT_KEYS_EDITION if isinstance(data.get(k), str)]
        for key in ("cover_title", "co_publishers", "keywords"):
            paths += [(key, i) for i, v in enumerate(data.get(key) or ()) if isinstance(v, str)]
        return paths
    paths = [("title",)] if isinstance(data.get("title"), str) else []
    for i, block in enumerate(data.get("blocks") or ()):
        if not isinstance(block, dict) or len(block) != 1:
            continue
        kind, spec = next(iter(block.items()))
        base = ("blocks", i, kind)
        if isinstance(spec, str):
            paths.append(base)
            continue
        if not isinstance(spec, dict):
            continue
        paths += [base + (k,) for k in ("text", "note", *_TEXT_KEYS_CHAPTER) if isinstance(spec.get(k), str)]
        for key in ("items", "note"):   # list items; notes under a figure, image or table
            if isinstance(spec.get(key), list):
                paths += [base + (key, j) for j, v in enumerate(spec[key]) if isinstance(v, str)]
        for key in ("labels", "columns"):
            if isinstance(spec.get(key), dict):
                paths += [base + (key, k) for k, v in spec[key].items() if isinstance(v, str)]
    return paths


def _literals_in(doc: YamlDoc, path: tuple) -> list[tuple[SourcePos, str]]:
    """Digits outside {{ }}, {% %}, tags and <lit>, read from the file itself so the position is exact."""
    start = doc.pos(path)
    if not doc.text or not start.line:
        return []
    lines = doc.text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    begin = offsets[start.line - 1] + max(start.column - 1, 0)
    later = [offsets[p.line - 1] + max(p.column - 1, 0)
             for p in (*doc.positions.values(), *doc.key_positions.values())
             if p.line and (p.line, p.column) > (start.line, start.column)]
    end = min(later, default=len(doc.text))
    region = doc.text[begin:end]
    before = doc.text[:begin]
    if not re.search(r"[|>][+-]?[0-9]?\s*(#[^\n]*)?\n[ \t\n]*$", before):   # a block scalar runs to the next key
        line_start = before[before.rfind("\n") + 1:]
        region = region[:_scalar_end(region, in_flow="{" in line_start or "[" in line_start)]
    prose = _NOT_PROSE.sub(lambda m: " " * len(m.group()), region)
    found = []
    for m in _DIGITS.finditer(prose):
        at = begin + m.start()
        line = doc.text.count("\n", 0, at) + 1
        column = at - (doc.text.rfind("\n", 0, at) + 1) + 1
        found.append((SourcePos(doc.path, line, column), m.group()))
    return found


def _scalar_end(region: str, in_flow: bool) -> int:
    """Where a quoted or plain YAML scalar that starts the region ends: its closing quote, or the comment,
    line end or flow separator after it."""
    if region.startswith('"'):
        i = 1
        while i < len(region):
            if region[i] == "\\":
                i += 2
                continue
            if region[i] == '"':
                return i + 1
            i += 1
        return len(region)
    if region.startswith("'"):
        i = 1
        while i < len(region):
            if region[i] == "'":
                if region[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(region)
    m = re.search(r"\s#|\n|,\s|\}|\]" if in_flow else r"\s#|\n", region)
    return m.start() if m else len(region)
