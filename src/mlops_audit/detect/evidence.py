"""Accumulates capability evidence while detectors run.

Evidence is kept ordered and capped so reports stay readable and deterministic;
tools keep the order of first sight; manifest mentions are kept apart, because
they only make a tool "declared".

Test files count only for the testing capabilities (capabilities.yaml counting
rules). That holds for every kind of evidence, so it is enforced here, once:
an MLproject, a conda.yaml or a compose file under ``tests/`` is a fixture of
the test suite, not the project's pipeline or environment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..facts import is_test_path

__all__ = ["Hit", "Evidence", "MAX_EVIDENCE", "TESTING_CAPABILITIES", "in_test_suite"]

MAX_EVIDENCE = 8

# The testing area of capabilities.yaml, plus the CI capability that is about running the tests.
TESTING_CAPABILITIES = frozenset({"unit_tests", "model_tests", "evaluation_gate", "ci_runs_tests"})
_CODE_SUFFIXES = (".py", ".ipynb")


def in_test_suite(path: str) -> bool:
    """True when ``path`` belongs to the test suite, so its evidence counts only for testing capabilities.

    Python files and notebooks follow ``facts.is_test_path`` (tests/ folders, test_*.py, *_test.py,
    conftest.py), the same test the collector applies to ``PyFile.is_test``. Other files count as test files
    only inside a tests/, test/ or testing/ folder: the file-name forms are Python conventions, and a
    workflow named ``.github/workflows/test_release.yml`` is the project's CI, not a test fixture.
    """
    if path.endswith(_CODE_SUFFIXES):
        return is_test_path(path)
    folder, sep, _name = path.rpartition("/")
    return bool(sep) and is_test_path(folder + "/_")  # only the folders decide: "_" is no test-file name


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
    tool_paths: dict[str, set[str]] = field(default_factory=dict)  # tool -> files that gave it


class Evidence:
    def __init__(self, capability_ids: list[str]) -> None:
        self.caps: dict[str, _Cap] = {cid: _Cap() for cid in capability_ids}
        self._test_paths: dict[str, bool] = {}

    def _test_only(self, capability: str, path: str) -> bool:
        """Evidence from a test file offered for a capability that tests cannot show."""
        if capability in TESTING_CAPABILITIES:
            return False
        scoped = self._test_paths.get(path)
        if scoped is None:
            scoped = self._test_paths[path] = in_test_suite(path)
        return scoped

    def add(self, capability: str, tool: str, path: str, line: int | None, detail: str = "",
            cell: int | None = None) -> None:
        if self._test_only(capability, path):
            return
        cap = self.caps.setdefault(capability, _Cap())
        if tool:
            cap.tools.setdefault(tool, None)
            cap.tool_paths.setdefault(tool, set()).add(path)
        cap.hits.append(Hit(path, line, detail, cell))

    def declare(self, capability: str, tool: str, path: str, line: int | None, detail: str) -> None:
        if self._test_only(capability, path):
            return  # tests/.../conda.yaml naming mlflow does not declare the project's tracking tool
        self.caps[capability].declared.setdefault(tool, Hit(path, line, detail))

    def retract(self, capability: str, keep: Callable[[Hit], bool] = lambda h: False) -> None:
        """Withdraw the evidence ``keep`` rejects (all of it by default), and every tool that no remaining
        evidence file named. Declarations in manifests stay."""
        cap = self.caps.get(capability)
        if cap is None:
            return
        cap.hits[:] = [h for h in cap.hits if keep(h)]
        paths = {h.path for h in cap.hits}
        for tool in [t for t in cap.tools if not (cap.tool_paths.get(t, set()) & paths)]:
            del cap.tools[tool]
            cap.tool_paths.pop(tool, None)

    def present(self, capability: str) -> bool:
        cap = self.caps.get(capability)
        return bool(cap and cap.hits)

    def tools(self, capability: str) -> list[str]:
        cap = self.caps.get(capability)
        return list(cap.tools) if cap else []

    def tool_files(self, capability: str, tool: str) -> set[str]:
        """The files whose evidence named ``tool`` for ``capability``."""
        cap = self.caps.get(capability)
        return set(cap.tool_paths.get(tool, ())) if cap else set()

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
