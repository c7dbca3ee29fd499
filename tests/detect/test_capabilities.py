"""Stack detection against hand-written fixture repositories, one capability at a time.

Layout: ``tests/fixtures/capabilities/<capability_id>/<case>/`` is a small
repository; ``<case>`` starts with ``positive`` or ``negative`` (``positive``,
``negative``, ``positive_notebook``, ``negative_test_only``...). Its
``expected.yaml`` says what detection must report for that capability::

    present: true            # required
    declared_only: false     # optional
    tools: [mlflow]          # optional, exact canonical names, order-insensitive
    evidence: ["train.py:12"]  # optional, a subset of the reported "path:line"
    source: serving/positive_x  # optional: audit that case's files (one repository, two capabilities)

``expected.yaml`` itself is not part of the audited repository. A
``.fixture-git`` file makes the harness commit the fixture to a fresh git
repository first (git facts: tracked files, LFS pointers).

Files this repository's own git would ignore (a fixture's ``.gitignore`` and
what it ignores, ``.venv/``, ``build/``) are stored under a ``_fx_`` name and
renamed when the fixture is staged: ``_fx_dot_gitignore`` -> ``.gitignore``,
``_fx_dot_venv/`` -> ``.venv/``, ``_fx_build/`` -> ``build/``, ``_fx_models/``
-> ``models/``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlops_audit import audit
from mlops_audit.capabilities import capabilities
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize

CAP_FIXTURES = FIXTURES / "capabilities"
_KEYS = {"present", "declared_only", "tools", "evidence", "source"}  # source: another case's files, reused


def _cases() -> list[tuple[str, str]]:
    if not CAP_FIXTURES.exists():
        return []
    return sorted((cap.name, case.name) for cap in CAP_FIXTURES.iterdir() if cap.is_dir()
                  for case in cap.iterdir() if case.is_dir())


CASES = _cases()


def _expected(src: Path) -> dict:
    data = yaml.safe_load((src / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("present"), bool), f"{src}: expected.yaml needs present"
    assert set(data) <= _KEYS, f"{src}: unknown keys {set(data) - _KEYS}"
    return data


def _fixture_name(name: str) -> str:
    if not name.startswith("_fx_"):
        return name
    name = name[len("_fx_"):]
    return "." + name[len("dot_"):] if name.startswith("dot_") else name


def _stage(src: Path, stage: Path) -> Path:
    """Copy a fixture without its expected.yaml, giving ``_fx_`` names their real spelling."""
    shutil.copytree(src, stage, symlinks=True, ignore=shutil.ignore_patterns("expected.yaml"))
    for path in sorted(stage.rglob("_fx_*"), key=lambda p: -len(p.parts)):  # deepest first
        path.rename(path.with_name(_fixture_name(path.name)))
    return stage


def _audit_fixture(src: Path, tmp_path: Path, source: str | None = None):
    """Audit a fixture; ``source`` ("capability/case") audits that case's files instead (one repository can be
    the positive case of one capability and the negative case of another)."""
    stage = _stage(CAP_FIXTURES / source if source else src, tmp_path / "stage")
    repo = materialize(stage, tmp_path / "repo")
    return audit(repo, AuditConfig(use_cache=False))


def test_every_capability_has_positive_and_negative_fixtures() -> None:
    for cid in capabilities():
        cases = [case for cap, case in CASES if cap == cid]
        assert any(c.startswith("positive") for c in cases), f"{cid}: no positive fixture"
        assert any(c.startswith("negative") for c in cases), f"{cid}: no negative fixture"
    unknown = {cap for cap, _ in CASES} - set(capabilities())
    assert not unknown, f"fixture folders for unknown capability ids: {unknown}"


def test_fixture_names_match_expectations() -> None:
    for cap, case in CASES:
        expected = _expected(CAP_FIXTURES / cap / case)
        if case.startswith("positive"):
            assert expected["present"] is True, f"{cap}/{case}: a positive case must expect present: true"
        elif case.startswith("negative"):
            assert expected["present"] is False, f"{cap}/{case}: a negative case must expect present: false"
        else:
            pytest.fail(f"{cap}/{case}: case folders start with positive or negative")


@pytest.mark.parametrize(("capability", "case"), CASES, ids=[f"{c}/{k}" for c, k in CASES])
def test_capability_fixture(capability: str, case: str, tmp_path: Path) -> None:
    src = CAP_FIXTURES / capability / case
    expected = _expected(src)
    report = _audit_fixture(src, tmp_path, expected.get("source"))
    cap = report.inventory.capabilities[capability]
    found = [f"{e.path}:{e.line}" if e.line is not None else e.path for e in cap.evidence]
    where = f"{capability}/{case}: tools={cap.tools} evidence={found}"
    assert cap.present is expected["present"], where
    if "declared_only" in expected:
        assert cap.declared_only is expected["declared_only"], where
    if "tools" in expected:
        assert sorted(cap.tools) == sorted(expected["tools"]), where
    missing = [e for e in expected.get("evidence") or [] if e not in found]
    assert not missing, f"{where}: missing evidence {missing}"
