"""SARIF: valid against the official 2.1.0 schema, and shaped the way GitHub code scanning reads it."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.render.sarif import FINGERPRINT_KEY, build, render
from mlops_audit.rules import REGISTRY, all_rules

from .conftest import FIXTURES, materialize
from .workflow_support import sample_report, wft_rules  # noqa: F401  (fixture)

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _validate(log: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).iter_errors(log),
                    key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="module")
def log() -> dict:
    return json.loads(render(sample_report()))


def test_sample_report_validates(log: dict) -> None:
    _validate(log)
    levels = {r["level"] for r in log["runs"][0]["results"]}
    assert levels == {"error", "warning", "note"}


def test_real_audit_validates(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(FIXTURES / "workflow" / "suppress", tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False))
    log = build(report)
    _validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings)
    assert any(r["ruleId"] == "WFT905" for r in results)   # the repository-level one


def test_driver_rules_come_from_the_registry(log: dict) -> None:
    driver = log["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids[:len(all_rules())] == [r.meta.id for r in all_rules()]
    assert "XYZ001" in ids                                     # a finding's rule the registry lacks
    srv = next(r for r in driver["rules"] if r["id"] == "SRV001")
    meta = REGISTRY["SRV001"].meta
    assert srv["name"] == meta.name
    assert srv["shortDescription"]["text"] == meta.title
    assert srv["fullDescription"]["text"] == meta.rationale
    assert "## How to fix" in srv["help"]["markdown"] and srv["help"]["text"]
    assert srv["defaultConfiguration"]["level"] == "error"
    assert {"serving", "model_load_per_request"} <= set(srv["properties"]["tags"])
    assert srv["properties"]["precision"]
    assert "security-severity" not in srv["properties"]


def test_security_rules_carry_security_severity(log: dict) -> None:
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    sec = [r for rid, r in rules.items() if rid.startswith("SEC")]
    assert sec, "no SEC rule registered"
    for r in sec:
        score = r["properties"]["security-severity"]
        assert isinstance(score, str) and 0.0 < float(score) <= 10.0
        assert "security" in r["properties"]["tags"]


def test_results(log: dict) -> None:
    run = log["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"][FINGERPRINT_KEY].startswith("fp-")
        (loc,) = r["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["physicalLocation"]["region"]["startLine"] >= 1   # GitHub needs a start line
    assert [by_rule[k]["level"] for k in ("SRV001", "SEC001", "TRK001", "REP006", "NBK001")] == \
        ["error", "error", "warning", "note", "note"]
    # a relative sub-folder target prefixes its path, so URIs are repository-relative
    srv = by_rule["SRV001"]["locations"][0]["physicalLocation"]
    assert srv["artifactLocation"]["uri"] == "services/churn/src/serve.py"
    assert srv["region"] == {"startLine": 12, "endLine": 14}
    # repository-level: anchored on the main manifest the report names, flagged as such
    mon = by_rule["MON001"]
    assert mon["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "services/churn/requirements.txt"
    assert mon["properties"]["repositoryLevel"] is True
    # notebook: on the .ipynb, cell and line in the message and properties
    trk = by_rule["TRK001"]
    assert trk["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("notebooks/explore.ipynb")
    assert trk["properties"]["notebookCell"] == 4 and trk["properties"]["cellLine"] == 2
    assert "(notebook cell 4, line 2)" in trk["message"]["text"]
    # file-level
    assert by_rule["NBK001"]["properties"]["fileLevel"] is True


def test_run_metadata(log: dict) -> None:
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    assert run["automationDetails"]["id"] == "mlops-audit/services/churn/"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == "rule XYZ002 failed: boom"
    assert run["properties"]["mlopsAudit"]["verdict"] == "NOT_READY"


def test_deterministic() -> None:
    assert render(sample_report()) == render(sample_report())


def test_absolute_target_is_not_prefixed() -> None:
    report = sample_report()
    report = replace(report, target=replace(report.target, path="/abs/repo"))
    uri = build(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/serve.py"
