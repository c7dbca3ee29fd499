"""Accumulates capability evidence while detectors run.

Evidence is kept ordered and capped so reports stay readable and deterministic;
tools keep the order of first sight; manifest mentions are kept apart, because
they only make a tool "declared".
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Hit", "Evidence", "MAX_EVIDENCE"]

MAX_EVIDENCE = 8


@dataclass(frozen=True, order=True)
class Hit:
    path: str
    line: int | None
    detail: str = ""
    cell: int | None = None


@dataclass
class _Cap:
    tools: dict[str, None] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    declared: dict[str, Hit] = field(default_factory=dict)


class Evidence:
    def __init__(self, capability_ids: list[str]) -> None:
        self.caps: dict[str, _Cap] = {cid: _Cap() for cid in capability_ids}

    def add(self, capability: str, tool: str, path: str, line: int | None, detail: str = "",
            cell: int | None = None) -> None:
        cap = self.caps.setdefault(capability, _Cap())
        if tool:
            cap.tools.setdefault(tool, None)
        cap.hits.append(Hit(path, line, detail, cell))

    def declare(self, capability: str, tool: str, path: str, line: int | None, detail: str) -> None:
        self.caps[capability].declared.setdefault(tool, Hit(path, line, detail))

    def present(self, capability: str) -> bool:
        cap = self.caps.get(capability)
        return bool(cap and cap.hits)

    def tools(self, capability: str) -> list[str]:
        cap = self.caps.get(capability)
        return list(cap.tools) if cap else []

    def hits(self, capability: str) -> list[Hit]:
        """Deduplicated, sorted evidence, at most MAX_EVIDENCE, spread over distinct files first."""
        cap = self.caps.get(capability)
        unique = sorted(set(cap.hits)) if cap else []
        by_file: dict[str, list[Hit]] = {}
        for h in unique:
            by_file.setdefault(h.path, []).append(h)
        picked: list[Hit] = []
        rnd = 0
        while len(picked) < MAX_EVIDENCE and any(len(v) > rnd for v in by_file.values()):
            for hits in by_file.values():
                if len(hits) > rnd and len(picked) < MAX_EVIDENCE:
                    picked.append(hits[rnd])
            rnd += 1
        return sorted(picked)
