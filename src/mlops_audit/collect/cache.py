"""Per-file facts cache, kept in the user's cache directory.

Never inside the audited repository (the audit leaves it byte-for-byte
untouched). One file per target holds, for each path, (size, mtime_ns,
content digest, kind, facts): a stat match reuses facts without reading the
file, a digest match reuses them without parsing it. Entries are tied to the
tool version, so an upgrade starts cold rather than trusting stale facts.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from typing import Any

__all__ = ["FactsCache", "cache_dir", "digest"]

_FORMAT = 3


def code_fingerprint() -> str:
    """Identity of the installed mlops-audit code: cached facts and memoized reports never outlive it.

    Stats of the package's own modules (cheap), so an editable install that
    changes a rule or a collector invalidates what was cached.
    """
    global _CODE_FP
    if _CODE_FP is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        h = hashlib.sha1()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml", ".json")):
                    st = os.stat(os.path.join(dirpath, name))
                    h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _CODE_FP = h.hexdigest()[:16]
    return _CODE_FP


_CODE_FP: str | None = None


def cache_dir() -> str:
    """``$MLOPS_AUDIT_CACHE_DIR``, else the platform's user cache directory."""
    explicit = os.environ.get("MLOPS_AUDIT_CACHE_DIR")
    if explicit:
        return explicit
    if sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    elif os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "mlops-audit")


def _loads(blob: Any) -> Any:
    return pickle.loads(blob) if isinstance(blob, bytes) else blob


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FactsCache:
    """Load once, look up per file, save once (atomically).

    Facts are stored as pickled bytes per file and unpickled only when used, so
    an unchanged tree can be recognised without materialising its facts.
    """

    def __init__(self, target: str, version: str, enabled: bool = True) -> None:
        self.enabled = enabled
        self.version = f"{version}+{code_fingerprint()}"
        key = hashlib.sha1(os.path.realpath(target).encode("utf-8", "surrogateescape")).hexdigest()[:20]
        self.path = os.path.join(cache_dir(), f"facts-{key}.pickle")
        self.entries: dict[str, tuple[int, int, str, str, Any]] = {}
        self.fresh: dict[str, tuple[int, int, str, str, Any]] = {}
        self.hits = 0
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                payload = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return
        if isinstance(payload, dict) and payload.get("format") == _FORMAT and payload.get("version") == self.version:
            self.entries = payload.get("entries", {})

    def by_stat(self, rel: str, size: int, mtime_ns: int) -> tuple[str, Any] | None:
        entry = self.entries.get(rel)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns:
            self.fresh[rel] = entry
            self.hits += 1
            return entry[3], _loads(entry[4])
        return None

    def stat_digest(self, rel: str, size: int, mtime_ns: int) -> str | None:
        """The cached content digest when the file's stat is unchanged (nothing is unpickled)."""
        entry = self.fresh.get(rel) or self.entries.get(rel)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns:
            return entry[2]
        return None

    def by_digest(self, rel: str, size: int, mtime_ns: int, dig: str) -> tuple[str, Any] | None:
        entry = self.entries.get(rel)
        if entry is not None and entry[2] == dig:
            self.fresh[rel] = (size, mtime_ns, dig, entry[3], entry[4])
            self.hits += 1
            return entry[3], _loads(entry[4])
        return None

    def put(self, rel: str, size: int, mtime_ns: int, dig: str, kind: str, blob: bytes) -> None:
        """Store pickled facts as produced by a worker."""
        self.fresh[rel] = (size, mtime_ns, dig, kind, blob)

    def memo_path(self) -> str:
        return self.path.replace("facts-", "report-").replace(".pickle", ".json")

    def read_memo(self, key: str) -> str | None:
        """The report saved for exactly this state of the target, as JSON text."""
        if not self.enabled:
            return None
        try:
            with open(self.memo_path(), encoding="utf-8") as fh:
                first = fh.readline().strip()
                if first != key:
                    return None
                return fh.read()
        except OSError:
            return None

    def write_memo(self, key: str, report_json: str) -> None:
        if not self.enabled:
            return
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(key + "\n" + report_json)
            os.replace(tmp, self.memo_path())
        except OSError:
            pass

    def save(self) -> None:
        if not self.enabled:
            return
        if self.fresh.keys() == self.entries.keys() and self.hits == len(self.fresh):
            return  # nothing changed
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"format": _FORMAT, "version": self.version, "entries": self.fresh}, fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only cache directory only costs speed
