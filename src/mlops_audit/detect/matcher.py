"""Fast matching of qualified names against signature patterns.

Patterns are indexed by their first dotted segment, so a call is compared only
with the few patterns of its root module; most calls (``print``, ``df.head``)
cost one dictionary miss.
"""
from __future__ import annotations

import re
from fnmatch import translate
from typing import Generic, Iterable, TypeVar

__all__ = ["PatternIndex", "normalize_qualname"]

T = TypeVar("T")


def normalize_qualname(name: str) -> str:
    """``mlflow.tracking.MlflowClient().log_metric`` -> ``mlflow.tracking.MlflowClient.log_metric``."""
    return name.replace("()", "") if "()" in name else name


class PatternIndex(Generic[T]):
    """Maps a qualified name to the payloads of every pattern it matches."""

    def __init__(self, rows: Iterable[tuple[str, T]]) -> None:
        self._exact: dict[str, list[T]] = {}
        self._globs: dict[str, _Globs[T]] = {}
        self._by_last: dict[str, _Globs[T]] = {}   # "*.log_model": indexed by its last segment
        self._any: _Globs[T] = _Globs()
        self._memo: dict[str, tuple[T, ...]] = {}
        for pattern, payload in rows:
            if "*" not in pattern:
                self._exact.setdefault(pattern, []).append(payload)
                continue
            root = pattern.split(".", 1)[0]
            last = pattern.rsplit(".", 1)[-1]
            if "*" not in root:
                self._globs.setdefault(root, _Globs()).add(pattern, payload)
            elif "*" not in last:
                self._by_last.setdefault(last, _Globs()).add(pattern, payload)
            else:
                self._any.add(pattern, payload)

    def match(self, name: str) -> tuple[T, ...]:
        """Payloads of every pattern ``name`` matches; memoized, since call names repeat heavily."""
        hit = self._memo.get(name)
        if hit is None:
            hit = self._memo[name] = self._match(name)
        return hit

    def _match(self, name: str) -> tuple[T, ...]:
        found = list(self._exact.get(name, ()))
        globs = self._globs.get(name.split(".", 1)[0])
        if globs is not None:
            found.extend(globs.match(name))
        globs = self._by_last.get(name.rsplit(".", 1)[-1])
        if globs is not None:
            found.extend(globs.match(name))
        found.extend(self._any.match(name))
        return tuple(found)

    def roots(self) -> set[str]:
        out = {p.split(".", 1)[0] for p in self._exact}
        out.update(self._globs)
        return out


class _Globs(Generic[T]):
    """Glob patterns in order, with one combined regular expression that rejects most names in a single
    match instead of one ``fnmatchcase`` per pattern (each test is ``fnmatchcase``'s own translation).

    Nothing is translated or compiled until a name reaches the group: compiling a few hundred
    patterns up front costs a small repository's scan ~20 ms, and most groups are never asked.
    """

    def __init__(self) -> None:
        self._patterns: list[tuple[str, T]] = []
        self._any: re.Pattern[str] | None = None
        self._rows: list[tuple[re.Pattern[str], T]] | None = None

    def add(self, pattern: str, payload: T) -> None:
        self._patterns.append((pattern, payload))
        self._any = self._rows = None

    def match(self, name: str) -> list[T]:
        if not self._patterns:
            return []
        if self._any is None:
            self._any = re.compile("|".join(f"(?:{translate(p)})" for p, _ in self._patterns))
        if self._any.match(name) is None:
            return []
        if self._rows is None:
            self._rows = [(re.compile(translate(p)), payload) for p, payload in self._patterns]
        return [payload for rx, payload in self._rows if rx.match(name) is not None]
