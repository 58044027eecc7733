"""Cache entries as verified data, never as code.

A cache folder (``output/.cache``) may have been restored from somewhere else
(CI restores it with ``actions/cache``), so nothing in it is trusted:

- entries are plain data (SVG, JSON, text) that we parse ourselves; nothing
  is unpickled, imported or executed;
- each entry ``NAME`` has a seal ``NAME.mac``: an HMAC-SHA256 of the entry's
  name and bytes, keyed by a secret that does not live in the cache folder
  (``WHITEPAPER_CACHE_SECRET``, else a random key made once in
  ``output/.cache-key``).  The name is the hash of the inputs the entry was
  made from, so a valid seal says "a build holding this secret made these
  bytes from those inputs".  An entry without a valid seal (truncated,
  replaced, copied under another name, or made with another secret) is
  ignored and made again;
- an entry that verifies but does not parse is made again too (the caller's
  parser decides).

Stdlib only; any stage may use it.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from .files import read_input, write_atomically, write_cache
from .model import ContentError, UsageError

log = logging.getLogger(__name__)

SECRET_ENV = "WHITEPAPER_CACHE_SECRET"
KEY_FILE = ".cache-key"   # beside the cache folder, not in it: restoring a cache never brings a key


class CacheStore:
    """One cache folder whose entries are sealed with the build's secret."""

    def __init__(self, folder: Path, secret: bytes):
        self.folder = Path(folder)
        self._secret = secret

    def _seal(self, name: str, data: bytes) -> str:
        mac = hmac.new(self._secret, name.encode("utf-8") + b"\0", hashlib.sha256)
        mac.update(data)
        return mac.hexdigest()

    def path(self, name: str) -> Path:
        return self.folder / name

    def get(self, name: str) -> bytes | None:
        """The entry's bytes if it exists and its seal verifies, else None (make it again)."""
        try:
            data = read_input(self.folder, name)   # a FIFO planted in the cache is refused, not read
            seal = read_input(self.folder, f"{name}.mac").decode("ascii").strip()
        except (OSError, UnicodeDecodeError, ContentError, UsageError):
            return None
        if not hmac.compare_digest(seal, self._seal(name, data)):
            log.info("cache entry %s does not verify; making it again", self.folder / name)
            return None
        return data

    def put(self, name: str, data: bytes) -> None:
        """Store an entry and its seal (each atomically); failing to store only costs time next build."""
        write_cache(self.folder / name, data)
        write_cache(self.folder / f"{name}.mac", self._seal(name, data).encode("ascii"))


def open_store(cache_dir: Path, kind: str) -> CacheStore:
    """The store for one kind of entry (``charts``, ``fonts``, …) under ``cache_dir``."""
    return CacheStore(Path(cache_dir) / kind, cache_secret(Path(cache_dir)))


def cache_secret(cache_dir: Path) -> bytes:
    env = os.environ.get(SECRET_ENV, "")
    if env:
        return env.encode("utf-8")
    return _key_file_secret(str(Path(cache_dir).resolve().parent / KEY_FILE))


@lru_cache(maxsize=None)
def _key_file_secret(key_path: str) -> bytes:
    """A random per-checkout key, made once; concurrent builds agree on the first one written."""
    path = Path(key_path)
    for _ in range(3):
        try:
            key = read_input(path.parent, path.name).decode("ascii").strip()   # never blocks on a FIFO
            if len(key) == 64:
                return key.encode("ascii")
        except (OSError, UnicodeDecodeError, ContentError, UsageError):
            pass
        try:
            tmp = path.with_name(f"{KEY_FILE}.{secrets.token_hex(8)}.tmp")
            write_atomically(tmp, secrets.token_hex(32).encode("ascii"))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # fails if another build made the key first: then use theirs
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        except (OSError, UsageError) as e:   # write_atomically names the file in a UsageError
            log.info("cannot keep a cache key in %s (%s): caches are not reused", path, e)
            break
    # no key can be kept: a key for this process only, so nothing cached before is trusted
    return _process_secret()


@lru_cache(maxsize=None)
def _process_secret() -> bytes:
    return secrets.token_hex(32).encode("ascii")
