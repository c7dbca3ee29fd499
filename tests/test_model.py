"""The report classes: JSON out and back, strict reading, immutability, and the whole-audit memo built on them."""
from __future__ import annotations

import dataclasses
import glob
import json
import os
from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.api import _read_memo
from mlops_audit.config import AuditConfig
from mlops_audit.model import Evidence, Report, Severity

from .conftest import FIXTURES, git_init, materialize
from .workflow_support import sample_report


def test_json_round_trip_is_exact() -> None:
    report = sample_report()
    text = report.to_json()
    assert Report.from_json(text) == report
    assert Report.from_json(report.to_json(indent=None)) == report
    assert Report.from_json(text).to_json() == text
    assert isinstance(Report.from_json(text).findings[0].severity, Severity)


def test_json_layout() -> None:
    report = sample_report()
    data = json.loads(report.to_json())
    assert list(data) == ["schema_version", "tool", "target", "inventory", "findings", "areas", "summary",
                          "inspection", "recommendations", "roadmap", "principles"]
    assert data["findings"][0]["severity"] == "critical"
    assert data["inventory"]["capabilities"]["model_registry"]["evidence"] == []
    assert data["findings"][2]["location"] is None  # every field is written, null included
    assert '"schema_version": "1",\n  "tool": {' in report.to_json()
    assert report.to_json(indent=None).startswith('{"schema_version":"1","tool":{"name":"mlops-audit"')
    odd = dataclasses.replace(report, target=dataclasses.replace(report.target, path="données/ü\x01"))
    assert '"path": "données/ü\\u0001"' in odd.to_json()


@pytest.mark.parametrize("mangle", [
    lambda d: "{ not json",
    lambda d: json.dumps([d]),
    lambda d: json.dumps({**d, "extra": 1}),
    lambda d: json.dumps({k: v for k, v in d.items() if k != "tool"}),
    lambda d: json.dumps({**d, "findings": "SRV001"}),
    lambda d: json.dumps({**d, "findings": [{**d["findings"][0], "severity": "urgent"}]}),
    lambda d: json.dumps({**d, "summary": {**d["summary"], "verdict": "MAYBE"}}),
    lambda d: json.dumps({**d, "summary": {**d["summary"], "automation_level": True}}),
    lambda d: json.dumps({**d, "areas": {"serving": {**d["areas"]["serving"], "score": "2.0"}}}),
])
def test_from_json_rejects_what_is_not_a_report(mangle) -> None:
    data = json.loads(sample_report().to_json())
    with pytest.raises(ValueError):
        Report.from_json(mangle(data))


def test_records_are_frozen_values() -> None:
    a, b = Evidence(path="a.py", line=1), Evidence(path="a.py", line=1)
    assert a == b and hash(a) == hash(b) and a != Evidence(path="a.py", line=2)
    assert repr(a) == "Evidence(path='a.py', line=1, detail='', cell=None)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.line = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Evidence("a.py")  # type: ignore[misc]  # keyword-only, like the contract's JSON objects


def test_memo_reads_back_or_is_ignored(tmp_path: Path) -> None:
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    git_init(repo)
    cold = audit(repo, AuditConfig())
    warm = audit(repo, AuditConfig())
    assert dataclasses.replace(warm, inspection=cold.inspection) == cold
    assert _read_memo(None) is None and _read_memo("{}") is None and _read_memo("garbage") is None
    (memo,) = glob.glob(os.path.join(os.environ["MLOPS_AUDIT_CACHE_DIR"], "**", "report-*.json"), recursive=True)
    key = Path(memo).read_text(encoding="utf-8").split("\n", 1)[0]
    Path(memo).write_text(key + '\n{"schema_version": "1", "tool": 3}', encoding="utf-8")
    again = audit(repo, AuditConfig())
    assert dataclasses.replace(again, inspection=cold.inspection) == cold
