"""Atomic file writes for outputs and caches.

Data goes to a private temporary file in the target's folder, which is then
renamed over the target: builds running at the same time, or a build killed
halfway, leave either the old file or the new one, never half of either.
Stdlib only; any stage may use it.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def write_atomically(target: Path, data: bytes) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cache(target: Path, data: bytes) -> None:
    """write_atomically for a cache entry: failing to store it only costs time next build."""
    try:
        write_atomically(target, data)
    except OSError as e:
        log.info("could not cache %s: %s", target, e)
