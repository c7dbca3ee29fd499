"""Test-only rules and helpers for the developer-workflow tests (suppressions, baseline, CLI, renderers).

The workflow features must not depend on which ML rules exist at the moment,
so these tests register a handful of tiny rules (ids WFT9xx) for their own
duration and remove them afterwards. Each flags something simple and exact
in one kind of file: pickle.load calls (Python and notebooks), unpinned
requirements, untagged Dockerfile base images, ``debug = true`` in YAML/TOML,
a repository-level and a notebook file-level finding.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest

from mlops_audit.model import Severity
from mlops_audit.rules import REGISTRY, all_rules, rule
from mlops_audit.rules._base import Hit, RuleContext

WFT_IDS = ("WFT901", "WFT902", "WFT903", "WFT904", "WFT905", "WFT906")
_COMMON = dict(area="reproducibility", rationale="Test-only rule.", stakes_sensitive=False)


def _pickle_loads(ctx: RuleContext) -> Iterator[Hit]:
    for py in ctx.facts.code_units():
        for call in py.calls:
            if call.qualname == "pickle.load":
                yield Hit(py.path, call.line, f"{py.path}:{call.line} unpickles data", end_line=call.end_line,
                          cell=call.cell, key=f"pickle.load@{call.scope}")


def _unpinned(ctx: RuleContext) -> Iterator[Hit]:
    for m in ctx.facts.manifests:
        if m.kind == "requirements":
            for r in m.requirements:
                if not r.pinned:
                    yield Hit(m.path, r.line, f"{m.path}:{r.line} {r.name} is not pinned", key=r.name)


def _untagged_base(ctx: RuleContext) -> Iterator[Hit]:
    for d in ctx.facts.dockerfiles:
        for ins in d.instructions:
            if ins.instruction == "FROM":
                image = ins.value.split()[0]
                if ":" not in image or image.endswith(":latest"):
                    yield Hit(d.path, ins.line, f"{d.path}:{ins.line} base image {image} is not pinned", key=image)


def _debug_on(ctx: RuleContext) -> Iterator[Hit]:
    for doc in ctx.facts.configs:
        if isinstance(doc.data, dict) and doc.data.get("debug") is True:
            yield Hit(doc.path, doc.line_of("debug"), f"{doc.path} turns debug on", key="debug")


def _repo_level(ctx: RuleContext) -> Iterator[Hit]:
    yield Hit(None, None, "the repository has no model card", key="model-card")


def _notebook_file(ctx: RuleContext) -> Iterator[Hit]:
    for nb in ctx.facts.notebooks:
        yield Hit(nb.path, None, f"{nb.path} is a notebook", key="notebook")


_SPECS = (
    (dict(id="WFT901", name="test-pickle-load", severity=Severity.HIGH, title="pickle.load call",
          remediation={"sklearn": "Use skops.", "default": "Load with a safe format."},
          bad="pickle.load(fh)", good="safetensors.load(fh)", concept="unsafe_deserialization"), _pickle_loads),
    (dict(id="WFT902", name="test-unpinned-requirement", severity=Severity.MEDIUM, title="Unpinned requirement",
          remediation="Pin it."), _unpinned),
    (dict(id="WFT903", name="test-untagged-base-image", severity=Severity.LOW, title="Untagged base image",
          remediation="Pin a digest."), _untagged_base),
    (dict(id="WFT904", name="test-debug-enabled", severity=Severity.CRITICAL, title="Debug enabled",
          remediation="Turn debug off."), _debug_on),
    (dict(id="WFT905", name="test-no-model-card", severity=Severity.INFO, title="No model card",
          remediation="Write MODEL_CARD.md."), _repo_level),
    (dict(id="WFT906", name="test-notebook-present", severity=Severity.MEDIUM, title="Notebook in the repository",
          remediation="Move the code to modules."), _notebook_file),
)


@contextmanager
def registered_test_rules() -> Iterator[tuple[str, ...]]:
    all_rules()  # load the real rules first so the registry is complete
    try:
        for meta, check in _SPECS:
            rule(**_COMMON, **meta)(check)
        yield WFT_IDS
    finally:
        for rid in WFT_IDS:
            REGISTRY.pop(rid, None)


@pytest.fixture
def wft_rules() -> Iterator[tuple[str, ...]]:
    """Register the WFT9xx test rules for one test."""
    with registered_test_rules() as ids:
        yield ids
