"""Every rule against its own fixtures: exact (rule, path, line) sets.

Layout: tests/fixtures/rules/<RULE_ID>/positive/ and .../negative/ are small
repositories. ``positive/expected.txt`` lists the findings the rule must report
there, one per line: ``path:line``, ``path`` (file-level) or ``.``
(repository-level); ``#`` starts a comment. The negative repository must give
no finding of that rule (near-misses live there). A ``.fixture-git`` file makes
the harness commit the fixture to a fresh git repository first.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.rules import all_rules

from ..conftest import FIXTURES, materialize

RULE_FIXTURES = FIXTURES / "rules"
RULE_IDS = sorted(p.name for p in RULE_FIXTURES.iterdir() if p.is_dir()) if RULE_FIXTURES.exists() else []


def _expected(path: Path) -> set[str]:
    out = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.add(line)
    return out


def _found(report, rule_id: str) -> set[str]:
    out = set()
    for f in report.findings:
        if f.rule != rule_id:
            continue
        if f.location is None:
            out.add(".")
        elif f.location.line is None:
            out.add(f.location.path)
        else:
            out.add(f"{f.location.path}:{f.location.line}")
    return out


def _run(src: Path, tmp_path: Path, rule_id: str):
    repo = materialize(src, tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False, select=(rule_id,)))
    # a rule that raises is reported as a note, with no findings: a negative fixture must not pass that way
    assert [n for n in report.inspection.notes if n.startswith("rule ")] == []
    return report


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_positive_fixture(rule_id: str, tmp_path: Path) -> None:
    src = RULE_FIXTURES / rule_id / "positive"
    assert (src / "expected.txt").exists(), f"{rule_id}: positive fixture needs expected.txt"
    report = _run(src, tmp_path, rule_id)
    assert _found(report, rule_id) == _expected(src / "expected.txt")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_negative_fixture(rule_id: str, tmp_path: Path) -> None:
    src = RULE_FIXTURES / rule_id / "negative"
    assert src.is_dir(), f"{rule_id}: needs a negative fixture"
    report = _run(src, tmp_path, rule_id)
    assert _found(report, rule_id) == set()


def test_every_rule_has_fixtures() -> None:
    missing = [r.meta.id for r in all_rules() if r.meta.id not in RULE_IDS]
    assert missing == [], f"rules without fixtures: {missing}"
