"""Module-level regular expressions compiled on first use.

The detectors and rules hold a few hundred patterns. Python's regex compiler
is slow: compiling them all at import was a quarter of a small repository's
scan, and a small scan uses only some of them. ``lazy(pattern)`` stands in
for ``re.compile(pattern)``. On first use it compiles and keeps the pattern's
methods as its own attributes, so later calls cost what a compiled pattern's
do.
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["lazy"]

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")


class lazy:  # noqa: N801 - used where ``re.compile`` was, and reads like it
    """A ``re.Pattern`` that is compiled the first time any of its attributes is read."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # reached only for attributes not set on the instance: the first use compiles and binds the methods
        compiled = self.__dict__.get("compiled")
        if compiled is None:
            if name.startswith("__"):
                raise AttributeError(name)  # protocol probes (copy, pickle) must not compile
            compiled = self.compiled = re.compile(*self._source)
            for method in _METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"
