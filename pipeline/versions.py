"""Installed libraries' versions, for cache keys and the manifest, without importing the libraries.

``importlib.metadata.version`` would do, but importing it (and the e-mail parser it reads
``METADATA`` with) and searching for each distribution costs about 15 ms, paid by every build
and by a no-op ``build``.  An installed distribution's folder already carries its version in its
name (``reportlab-4.2.2.dist-info``, the wheel and PEP 376 layout), so we look for that folder in
the same places, in the same order, as ``importlib.metadata`` does; a library installed any other
way (an ``.egg-info`` folder, a zip) is asked of ``importlib.metadata`` itself.  Stdlib only.
"""
from __future__ import annotations

import os
import re
import sys
from functools import lru_cache


def _normalized(name: str) -> str:
    # PEP 503 names compare case-insensitively, with runs of -, _ and . alike
    return re.sub(r"[-_.]+", "_", name).lower()


@lru_cache(maxsize=None)
def _distributions(entry: str) -> tuple[tuple[str, str | None], ...]:
    """(normalized name, version) of each ``NAME-VERSION.dist-info`` folder in one sys.path entry;
    version None for metadata we do not read ourselves (an ``.egg-info``, an odd folder name)."""
    try:
        names = sorted(os.listdir(entry or "."))
    except OSError:   # a zip file, a missing folder
        return ()
    found = []
    for folder in names:
        stem, dot, kind = folder.rpartition(".")
        if not dot or kind.lower() not in ("dist-info", "egg-info"):
            continue
        name, dash, version = stem.partition("-")
        ours = kind.lower() == "dist-info" and dash and version and "-" not in version
        found.append((_normalized(name), version if ours else None))
    return tuple(found)


@lru_cache(maxsize=None)
def installed_version(name: str) -> str | None:
    """The version of the installed distribution ``name`` (None if it is not installed)."""
    wanted = _normalized(name)
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        versions = [version for dist, version in _distributions(entry) if dist == wanted]
        if len(versions) == 1 and versions[0] is not None:
            return versions[0]
        if versions:   # egg-info, or several versions side by side: let importlib.metadata choose
            break
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
