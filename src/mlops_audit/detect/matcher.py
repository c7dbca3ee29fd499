"""Fast matching of qualified names against signature patterns.

Patterns are indexed by their first dotted segment, so a call is compared only
with the few patterns of its root module; most calls (``print``, ``df.head``)
cost one dictionary miss.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Generic, Iterable, Iterator, TypeVar

__all__ = ["PatternIndex", "normalize_qualname"]

T = TypeVar("T")


def normalize_qualname(name: str) -> str:
    """``mlflow.tracking.MlflowClient().log_metric`` -> ``mlflow.tracking.MlflowClient.log_metric``."""
    return name.replace("()", "") if "()" in name else name


class PatternIndex(Generic[T]):
    """Maps a qualified name to the payloads of every pattern it matches."""

    def __init__(self, rows: Iterable[tuple[str, T]]) -> None:
        self._exact: dict[str, list[T]] = {}
        self._globs: dict[str, list[tuple[str, T]]] = {}
        self._by_last: dict[str, list[tuple[str, T]]] = {}   # "*.log_model": indexed by its last segment
        self._any: list[tuple[str, T]] = []
        self._memo: dict[str, tuple[T, ...]] = {}
        for pattern, payload in rows:
            if "*" not in pattern:
                self._exact.setdefault(pattern, []).append(payload)
                continue
            root = pattern.split(".", 1)[0]
            last = pattern.rsplit(".", 1)[-1]
            if "*" not in root:
                self._globs.setdefault(root, []).append((pattern, payload))
            elif "*" not in last:
                self._by_last.setdefault(last, []).append((pattern, payload))
            else:
                self._any.append((pattern, payload))

    def match(self, name: str) -> tuple[T, ...]:
        """Payloads of every pattern ``name`` matches; memoized, since call names repeat heavily."""
        hit = self._memo.get(name)
        if hit is None:
            hit = self._memo[name] = tuple(self._match(name))
        return hit

    def _match(self, name: str) -> Iterator[T]:
        exact = self._exact.get(name)
        if exact:
            yield from exact
        root = name.split(".", 1)[0]
        for pattern, payload in self._globs.get(root, ()):
            if fnmatchcase(name, pattern):
                yield payload
        for pattern, payload in self._by_last.get(name.rsplit(".", 1)[-1], ()):
            if fnmatchcase(name, pattern):
                yield payload
        for pattern, payload in self._any:
            if fnmatchcase(name, pattern):
                yield payload

    def roots(self) -> set[str]:
        out = {p.split(".", 1)[0] for p in self._exact}
        out.update(self._globs)
        return out
