"""The cities of a project: profiles, lookup by name or id, and CI shards.

Takes a loaded :class:`~pipeline.model.Project`; which of its tables hold the
cities, the designations they hold and the kinds of designation is declared
in the data dictionary (``cities:`` in data/tables.yaml, see
:data:`CITY_ROLES`); a project without that declaration has no cities.
Returns :class:`~pipeline.model.CityProfile` objects, a city id for what the
user typed, or the share of the cities one CI job builds.  Stdlib only.
"""
from __future__ import annotations

import difflib
import weakref
from dataclasses import dataclass

from .model import CityDesignation, CityProfile, Problem, Project, UsageError

# The keys of the ``cities:`` declaration → the fields the named resource must have (and may have).
# ``resource`` holds one row per city: ``id`` names its excerpt's file (output/<year>/cities/<id>.pdf),
# ``name`` is how the text writes it.
CITY_ROLES = {
    "resource": (("id", "name"), ()),
    "designations": (("city", "designation"), ("order", "site", "target_market")),
    "designation_types": (("id", "name"), ("count", "as_of")),
}


@dataclass(frozen=True)
class CityTables:
    """The table names the data dictionary gives the city roles ("" = the project has no such table)."""

    cities: str
    designations: str = ""
    designation_types: str = ""


def city_tables(project: Project) -> CityTables | None:
    """The declared city tables, or None when the project declares no cities (or the declaration
    names a table that is not loaded; :func:`city_declaration_problems` says why)."""
    doc = project.tables_doc
    decl = doc.data.get("cities") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(decl, dict):
        return None
    usable = {}
    for role, (required, _optional) in CITY_ROLES.items():
        name = decl.get(role)
        table = project.tables.get(name) if isinstance(name, str) else None
        if table is not None and set(required) <= set(table.columns):
            usable[role] = name
    if "resource" not in usable:
        return None
    return CityTables(cities=usable.pop("resource"), **usable)


def city_declaration_problems(project: Project) -> list[Problem]:
    """Each table or field the ``cities:`` declaration needs that the data dictionary does not have,
    at the declaration's line."""
    doc = project.tables_doc
    decl = doc.data.get("cities") if isinstance(doc.data, dict) else None
    if not isinstance(decl, dict):
        return []
    resources = {r.get("name"): r for r in doc.data.get("resources") or () if isinstance(r, dict)}
    problems = []
    for role, (required, _optional) in CITY_ROLES.items():
        name = decl.get(role)
        if not isinstance(name, str):
            continue   # the schema reports a missing or malformed entry
        at = ("cities", role)
        if name not in resources:
            close = difflib.get_close_matches(name, [str(n) for n in resources], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(Problem(doc.pos(at), f"cities.{role}",
                                    f"no resource named '{name}' in data/tables.yaml{hint}"))
            continue
        fields = {f.get("name") for f in (resources[name].get("schema") or {}).get("fields") or ()
                  if isinstance(f, dict)}
        missing = [f for f in required if f not in fields]
        if missing:
            problems.append(Problem(doc.pos(at), f"cities.{role}",
                                    f"resource '{name}' has no field{'s' if len(missing) > 1 else ''} {', '.join(repr(f) for f in missing)}; "
                                    f"as cities.{role} it needs the fields {', '.join(required)}"))
    return problems


def city_profiles(project: Project) -> dict[str, CityProfile]:
    """Every city of the cities table (in its order) with the designations it holds (in the order of the
    designation types).  Kept for the last project asked about: an excerpt asks three times."""
    if _profiles_of[0] is not None and _profiles_of[0]() is project:
        return dict(_profiles_of[1])
    profiles = _city_profiles(project)
    _profiles_of[:] = [weakref.ref(project), profiles]
    return dict(profiles)


_profiles_of: list = [None, {}]   # [a weak reference to the project, its profiles]


def _city_profiles(project: Project) -> dict[str, CityProfile]:
    roles = city_tables(project)
    if roles is None:
        return {}
    cities = project.tables[roles.cities]
    types = project.tables.get(roles.designation_types) if roles.designation_types else None
    type_rows = list(types.rows) if types else []
    type_index = {t["id"]: i for i, t in enumerate(type_rows)}
    held: dict[str, list[CityDesignation]] = {}
    designations = project.tables.get(roles.designations) if roles.designations else None
    for r in designations.rows if designations else ():
        t = type_rows[type_index[r["designation"]]] if r.get("designation") in type_index else {}
        held.setdefault(r.get("city"), []).append(CityDesignation(
            type_id=str(r.get("designation") or ""),
            type_name=str(t.get("name") or r.get("designation") or ""),
            rank=r.get("order") if isinstance(r.get("order"), int) else None,
            count=t.get("count") if isinstance(t.get("count"), int) else None,
            site=str(r.get("site") or ""),
            target_market=str(r.get("target_market") or ""),
            as_of=str(t.get("as_of") or ""),
        ))
    out = {}
    for c in cities.rows:
        mine = sorted(held.get(c["id"], ()), key=lambda d: (type_index.get(d.type_id, len(type_index)), d.rank or 0))
        out[c["id"]] = CityProfile(id=c["id"], name=c["name"], designations=tuple(mine), source=cities.file)
    return out


def find_city(project: Project, wanted: str) -> str:
    """The id of the city the user named, by id (``dalian``) or Chinese name (``大连``).

    An unknown city is a :class:`UsageError` (exit code 2: the command line
    asked for something that does not exist) that lists the known cities and
    suggests the closest names and ids.
    """
    profiles = city_profiles(project)
    text = (wanted or "").strip()
    for p in profiles.values():
        if text.lower() == p.id.lower() or text == p.name:
            return p.id
    # 大连市 → 大连: people often add the administrative suffix
    if text.endswith("市"):
        for p in profiles.values():
            if text[:-1] == p.name:
                return p.id
    raise UsageError(unknown_city_message(wanted, profiles))


def unknown_city_message(wanted: str, profiles: dict[str, CityProfile]) -> str:
    if not profiles:
        return (f"unknown city '{wanted}': this publication has no cities (data/tables.yaml has no "
                "cities: declaration)")
    by_key = {p.id: p for p in profiles.values()} | {p.name: p for p in profiles.values()}
    text = wanted.strip().lower()
    scored = sorted(((difflib.SequenceMatcher(None, text, key).ratio(), key) for key in by_key), reverse=True)
    best = scored[0][0] if scored else 0.0
    # the best match and any as good as it (大莲 is as close to 大连 as to 大庆); two-character names match at 0.5
    close = [key for ratio, key in scored if ratio >= 0.5 and ratio >= best - 0.05][:3]
    suggestions: list[str] = []
    for key in close:
        p = by_key[key]
        shown = f"{p.name} ({p.id})"
        if shown not in suggestions:
            suggestions.append(shown)
    hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
    known = ", ".join(f"{p.name} ({p.id})" for p in profiles.values())
    source = next(iter(profiles.values())).source
    return f"unknown city '{wanted}'{hint}; {source} has: {known}"


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' → (2, 4): the second of four shards (1-based, as CI matrices count)."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects I/N with whole numbers, e.g. 1/4; got '{text}'") from None
    if n < 1 or not 1 <= i <= n:
        raise UsageError(f"--shard {text}: I must be between 1 and N (N ≥ 1)")
    return i, n


def shard(city_ids, index: int, count: int) -> list[str]:
    """Shard ``index`` of ``count`` (1-based) of the cities: sorted ids dealt round robin.

    Sorting makes the split independent of the cities table's order and of the
    machine; round robin keeps the shards within one city of each other.
    """
    ids = sorted(set(city_ids))
    return ids[index - 1::count]
