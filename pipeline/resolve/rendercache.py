"""Rendered text kept across builds, so a build compiles only the templates whose source changed.

Compiling a Jinja2 template costs 1.5–2 ms, rendering it far less; a fresh
``whitepaper build`` process would compile every template and rule of the
document although a writer changed one paragraph.  This cache keeps what each
render *produced* — plain text, never compiled code — keyed by everything the
render could see:

- the template source, and whether it renders inside a paragraph (where
  ``ref(…, page=true)`` and ``footnote()`` are allowed);
- the template context at that moment (edition, periods, the city of an
  excerpt …), as its ``repr``;
- a salt made once per build: this module's format, the pipeline's version and
  code (``freshness.code_fingerprint``), Python's, Jinja2's and MarkupSafe's
  versions, every data table as loaded (rows, declared formats), the edition
  and data dictionary as parsed, the periods, the theme, the city, the
  document date, and what ``ref()`` can print (every target's id, bookmark
  and label).

A render is stored only when it succeeded and left nothing behind but its
text: one that raised (a problem) or called ``footnote()`` (which numbers the
note in the build's list) is rendered again next time, so its problem or note
comes out exactly as without a cache.  A consistency rule is stored only when
it held; a failing rule is evaluated again and explains itself as always.

One sealed entry per command (``output/.cache/resolved/<name>.json``, see
pipeline/cachestore.py): a JSON map key → text, read once and written once,
holding only the keys this build used, so it never grows beyond one document.
An entry that does not verify or parse is ignored; a key not in it is
rendered.  Stdlib only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path

from ..cachestore import CacheStore, open_store
from ..model import Project

log = logging.getLogger(__name__)

FORMAT = 1
KIND = "resolved"


class RenderCache:
    """The texts one build may reuse (``get``) and the texts it used (``put``, saved by ``save``)."""

    def __init__(self, store: CacheStore, name: str, salt: str):
        self._store, self._name, self._salt = store, name, salt
        self._found = self._read()
        self._used: dict[str, str] = {}

    def _read(self) -> dict[str, str]:
        data = self._store.get(self._name)
        if data is None:
            return {}
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            parsed = None
        entries = parsed.get("entries") if isinstance(parsed, dict) and parsed.get("format") == FORMAT else None
        if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in entries.items()):
            log.info("cache entry %s does not parse; rendering again", self._store.path(self._name))
            return {}
        return entries

    def key(self, *parts: str) -> str:
        """The key of a render: the salt and ``parts``, each length-prefixed (no two lists share a key)."""
        h = hashlib.sha256(self._salt.encode("ascii"))
        for part in parts:
            data = part.encode("utf-8", "surrogatepass")
            h.update(b"%d:" % len(data))
            h.update(data)
        return h.hexdigest()

    def get(self, key: str) -> str | None:
        text = self._found.get(key)
        if text is not None:
            self._used[key] = text
        return text

    def put(self, key: str, text: str) -> None:
        self._used[key] = text

    def save(self) -> None:
        """Write the texts this build used, unless they are exactly what was read."""
        if self._used == self._found:
            return
        data = {"format": FORMAT, "entries": dict(sorted(self._used.items()))}
        self._store.put(self._name, json.dumps(data, ensure_ascii=True, sort_keys=True).encode("ascii"))


def open_render_cache(cache_dir: Path, project: Project, city: str | None, epoch: int,
                      targets: list[tuple[str, str, str]]) -> RenderCache:
    """The cache of one command's renders (the edition, or one city's excerpt) under ``cache_dir``."""
    name = hashlib.sha256(json.dumps([project.edition.path, project.edition_key, city],
                                     ensure_ascii=True).encode("ascii")).hexdigest()[:32]
    return RenderCache(open_store(cache_dir, KIND), f"{name}.json", _salt(project, city, epoch, targets))


def _salt(project: Project, city: str | None, epoch: int, targets: list[tuple[str, str, str]]) -> str:
    """Everything besides a template's source and context that can change what it renders."""
    from .. import __version__
    from ..freshness import code_fingerprint
    from ..versions import installed_version

    h = hashlib.sha256()
    # code_fingerprint: the code as this process imported it (taken once)
    for part in (f"format {FORMAT}", __version__, code_fingerprint(), sys.version, f"jinja2 {installed_version('jinja2')}",
                 f"markupsafe {installed_version('markupsafe')}",
                 project.edition.path, project.edition_key, repr(project.edition.data),
                 repr(project.tables_doc.data), repr(sorted(project.tables.items())),
                 repr(sorted(project.periods.items())), repr(project.theme), repr(city), repr(epoch),
                 repr(sorted(targets))):
        data = part.encode("utf-8", "surrogatepass")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()

