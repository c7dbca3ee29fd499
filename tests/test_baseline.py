"""Baselines: write, read, apply; the round trip reports nothing on an unchanged (or merely shifted)
repository and exactly the added finding after a change."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops_audit.baseline import apply_baseline, gate_findings, load_baseline, parse_baseline, render_baseline
from mlops_audit.cli import main
from mlops_audit.config import ConfigError
from mlops_audit.model import Finding, Location, Report, Severity
from mlops_audit.rules import all_rules

from .conftest import FIXTURES, materialize
from .workflow_support import sample_report

REPO = FIXTURES / "workflow" / "baseline"


def _unsafe_load_rules() -> str:
    """The rules for unsafe deserialization, whatever their ids are today (torch.load without weights_only)."""
    ids = [r.meta.id for r in all_rules() if r.meta.concept == "unsafe_deserialization"]
    assert ids, "no rule of concept unsafe_deserialization is registered"
    return ",".join(ids)


def _scan(repo: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["scan", str(repo), "--select", _unsafe_load_rules(), "--format", "json",
                                       "--no-cache", "-q", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_round_trip(tmp_path: Path) -> None:
    repo = materialize(REPO, tmp_path / "repo")
    baseline = tmp_path / "baseline.json"
    code, first = _scan(repo, "--write-baseline", str(baseline), "--fail-on", "high")
    assert code == 0                        # writing a baseline never trips the gate
    known = len(first["findings"])
    assert known == 2
    written = json.loads(baseline.read_text())
    assert written["version"] == 1 and written["count"] == known
    assert {row["path"] for row in written["fingerprints"]} == {"src/train.py"}

    # unchanged repository: nothing new
    code, again = _scan(repo, "--baseline", str(baseline), "--fail-on", "high")
    assert (code, again["findings"], again["summary"]["baselined"]) == (0, [], known)
    assert again["summary"]["counts"]["high"] == 0
    assert again["summary"]["verdict"] == first["summary"]["verdict"]  # the repository's state is unchanged

    # code that only moves keeps its fingerprints
    train = repo / "src" / "train.py"
    train.write_text('"""Moved down by a new header."""\n\nimport os\n\n' + train.read_text().split('\n', 1)[1])
    code, shifted = _scan(repo, "--baseline", str(baseline), "--fail-on", "high")
    assert (code, shifted["findings"], shifted["summary"]["baselined"]) == (0, [], known)

    # one new unsafe load: exactly one new finding, on its line, and the gate trips
    lines = train.read_text().splitlines()
    lines += ["", "", "def load_teacher(path):", "    return torch.load(path)", ""]
    train.write_text("\n".join(lines))
    code, changed = _scan(repo, "--baseline", str(baseline), "--fail-on", "high")
    assert code == 1
    assert [(f["location"]["path"], f["location"]["line"]) for f in changed["findings"]] == \
        [("src/train.py", len(lines) - 1)]
    assert changed["summary"]["baselined"] == known


def test_a_json_report_works_as_a_baseline(tmp_path: Path) -> None:
    repo = materialize(REPO, tmp_path / "repo")
    _, first = _scan(repo)
    report_file = tmp_path / "old.json"
    report_file.write_text(json.dumps(first))
    _, again = _scan(repo, "--baseline", str(report_file))
    assert again["findings"] == [] and again["summary"]["baselined"] == len(first["findings"])


def test_baseline_file_from_configuration(tmp_path: Path) -> None:
    repo = materialize(REPO, tmp_path / "repo")
    _scan(repo, "--write-baseline", str(repo / "ci-baseline.json"))
    (repo / ".mlops-audit.toml").write_text('baseline = "ci-baseline.json"\nfail-on = "high"\n')
    code, report = _scan(repo)
    assert code == 0 and report["findings"] == [] and report["summary"]["baselined"] == 2


# -- units ----------------------------------------------------------------------------------------------------
def _finding(rule: str, sev: Severity, path: str | None, fp: str) -> Finding:
    return Finding(rule=rule, severity=sev, area="serving", title="t", message="m", fingerprint=fp,
                   location=Location(path=path, line=3) if path else None)


def test_render_baseline_is_sorted_and_line_free() -> None:
    text = render_baseline([_finding("SRV002", Severity.HIGH, "b.py", "f2"), _finding("SRV001", Severity.LOW, None, "f1"),
                            _finding("SRV001", Severity.LOW, "a.py", "f3")])
    doc = json.loads(text)
    assert doc["fingerprints"] == [{"fingerprint": "f1", "rule": "SRV001", "path": "."},
                                   {"fingerprint": "f3", "rule": "SRV001", "path": "a.py"},
                                   {"fingerprint": "f2", "rule": "SRV002", "path": "b.py"}]
    assert "line" not in text
    assert parse_baseline(text).fingerprints == {"f1", "f2", "f3"}


@pytest.mark.parametrize("text, message", [
    ("{not json", "invalid JSON"),
    ('{"version": 9, "fingerprints": []}', "unsupported baseline version 9"),
    ('{"something": 1}', "expected 'fingerprints'"),
    ('{"version": 1, "fingerprints": [{"rule": "X"}]}', "non-empty 'fingerprint'"),
])
def test_bad_baselines(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_baseline(text, "b.json")


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the baseline"):
        load_baseline(str(tmp_path / "nope.json"))


def test_apply_baseline_recounts_and_keeps_the_verdict() -> None:
    report: Report = sample_report()
    known = parse_baseline(render_baseline(report.findings[1:]))
    out = apply_baseline(report, known)
    assert out.findings == report.findings[:1]
    assert out.summary.baselined == len(report.findings) - 1
    assert sum(out.summary.counts.values()) == 1
    assert out.summary.verdict == report.summary.verdict


@pytest.mark.parametrize("level, expected", [("critical", 1), ("high", 3), ("medium", 5), ("low", 6), (None, 0)])
def test_gate_thresholds(level: str | None, expected: int) -> None:
    assert len(gate_findings(sample_report(), level)) == expected


def test_gate_rejects_unknown_level() -> None:
    with pytest.raises(ConfigError):
        gate_findings(sample_report(), "info")
