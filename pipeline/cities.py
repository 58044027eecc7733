"""The cities of a project: profiles, lookup by name or id, and CI shards.

Takes a loaded :class:`~pipeline.model.Project` (``data/cities.csv``,
``designations.csv`` and ``designation_types.csv``); returns
:class:`~pipeline.model.CityProfile` objects, a city id for what the user
typed, or the share of the cities one CI job builds.  Stdlib only.
"""
from __future__ import annotations

import difflib

from .model import CityDesignation, CityProfile, Project, UsageError

# The table of cities; its ``id`` column names each excerpt's file (output/cities/<id>.pdf).
CITIES_TABLE = "cities"


def city_profiles(project: Project) -> dict[str, CityProfile]:
    """Every city of cities.csv (in its order) with the designations it holds (in designation_types order)."""
    cities = project.tables.get(CITIES_TABLE)
    if cities is None:
        return {}
    types = project.tables.get("designation_types")
    type_rows = list(types.rows) if types else []
    type_index = {t["id"]: i for i, t in enumerate(type_rows)}
    held: dict[str, list[CityDesignation]] = {}
    designations = project.tables.get("designations")
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
        out[c["id"]] = CityProfile(id=c["id"], name=c["name"], designations=tuple(mine))
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
    return f"unknown city '{wanted}'{hint}; data/cities.csv has: {known}"


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

    Sorting makes the split independent of cities.csv's order and of the
    machine; round robin keeps the shards within one city of each other.
    """
    ids = sorted(set(city_ids))
    return ids[index - 1::count]
