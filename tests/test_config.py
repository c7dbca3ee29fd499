"""Configuration: every key of [tool.mlops-audit] / .mlops-audit.toml, its errors, and CLI overrides."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig, ConfigError, find_config, load_config, with_overrides

from .conftest import FIXTURES, materialize
from .workflow_support import wft_rules  # noqa: F401  (fixture)

REPO = FIXTURES / "workflow" / "suppress"


def _pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + body, encoding="utf-8")
    return tmp_path


def _load(tmp_path: Path, body: str) -> AuditConfig:
    return load_config(str(_pyproject(tmp_path, body)))


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, body)
    return str(exc.value)


# -- every key ----------------------------------------------------------------------------------------------
def test_no_configuration_gives_defaults(tmp_path: Path) -> None:
    assert load_config(str(tmp_path)) == AuditConfig()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(str(tmp_path)) is None


def test_rule_selection_keys(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    c = _load(tmp_path, '[tool.mlops-audit]\nselect = ["WFT90"]\nextend-select = ["AUT900"]\n'
                        'ignore = ["WFT903", "wft904"]\n')
    assert (c.select, c.extend_select, c.ignore) == (("WFT90",), ("AUT900",), ("WFT903", "WFT904"))
    assert c.rule_enabled("WFT901") and c.rule_enabled("AUT900")
    assert not c.rule_enabled("WFT903") and not c.rule_enabled("AUT901")
    assert c.source.endswith("pyproject.toml")


def test_per_file_ignores_and_severity(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    c = _load(tmp_path, '[tool.mlops-audit.per-file-ignores]\n"notebooks/*" = ["WFT901"]\n"**/legacy_*.py" = "WFT"\n'
                        '\n[tool.mlops-audit.severity]\nWFT902 = "LOW"\n')
    assert c.per_path_ignores == {"notebooks/*": ("WFT901",), "**/legacy_*.py": ("WFT",)}
    assert c.ignored_at("WFT901", "notebooks/deep/a.ipynb")
    assert c.ignored_at("WFT906", "legacy_io.py") and c.ignored_at("WFT906", "src/legacy_io.py")
    assert not c.ignored_at("WFT901", "src/a.py")
    assert c.severity_overrides == {"WFT902": "low"}


def test_stakes_applicability_areas_exclude_fail_on_baseline(tmp_path: Path) -> None:
    c = _load(tmp_path, '[tool.mlops-audit]\nstakes = "low"\nareas = ["serving", "monitoring"]\n'
                        'exclude = ["vendor_copy/", "*.generated.py"]\nfail-on = "high"\nbaseline = "ci/baseline.json"\n'
                        '[tool.mlops-audit.applicability]\nserving = false\nllm = true\n')
    assert c.stakes == "low"
    assert c.areas == ("serving", "monitoring")
    assert c.applicability == {"serving": False, "llm": True}
    assert c.exclude == ("vendor_copy/", "*.generated.py")
    match = c.exclude_matcher()
    assert match("vendor_copy/x.py") and match("src/a.generated.py") and not match("src/a.py")
    assert c.fail_on == "high"
    assert c.baseline == str(tmp_path / "ci" / "baseline.json")  # relative to the file that names it


def test_contracts(tmp_path: Path) -> None:
    c = _load(tmp_path, """
[tool.mlops-audit.contracts]
latency-p50-ms = 40
latency-p95-ms = 120.5
latency-p99-ms = 300
throughput-qps = 50
error-budget = "0.1%"

[[tool.mlops-audit.contracts.drift]]
feature = "age"
metric = "psi"
threshold = 0.2
window = "7d"
runbook = "docs/runbooks/drift.md"

[[tool.mlops-audit.contracts.drift]]
type = "categorical"
metric = "chi2"
threshold = 0.05

[tool.mlops-audit.contracts.rollout]
shadow = true
canary = [1, 10, 50, 100]
rollback = "make rollback"
time-to-rollback = "5m"
""").contracts
    assert (c.latency_p50_ms, c.latency_p95_ms, c.latency_p99_ms, c.throughput_qps) == (40.0, 120.5, 300.0, 50.0)
    assert c.error_budget == pytest.approx(0.001)
    assert c.has_latency_slo
    assert c.drift == ({"feature": "age", "metric": "psi", "threshold": 0.2, "window": "7d",
                        "runbook": "docs/runbooks/drift.md"},
                       {"type": "categorical", "metric": "chi2", "threshold": 0.05})
    assert c.rollout == {"shadow": True, "canary": [1, 10, 50, 100], "rollback": "make rollback",
                         "time_to_rollback": "5m"}
    assert c.source.endswith("pyproject.toml")


def test_error_budget_as_fraction(tmp_path: Path) -> None:
    assert _load(tmp_path, "[tool.mlops-audit.contracts]\nerror-budget = 0.01\n").contracts.error_budget == 0.01


# -- where configuration comes from -------------------------------------------------------------------------
def test_own_file_wins_over_pyproject(tmp_path: Path) -> None:
    _pyproject(tmp_path, '[tool.mlops-audit]\nstakes = "high"\n')
    (tmp_path / ".mlops-audit.toml").write_text('stakes = "low"\n')
    c = load_config(str(tmp_path))
    assert c.stakes == "low" and c.source.endswith(".mlops-audit.toml")


def test_explicit_config_file(tmp_path: Path) -> None:
    other = tmp_path / "ci" / "audit.toml"
    other.parent.mkdir()
    other.write_text('stakes = "medium"\n[contracts]\nlatency-p95-ms = 200\n')
    c = load_config(str(tmp_path), str(other))
    assert c.stakes == "medium" and c.contracts.latency_p95_ms == 200.0
    tool_form = tmp_path / "tool.toml"
    tool_form.write_text('[tool.mlops-audit]\nstakes = "high"\n')
    assert load_config(str(tmp_path), str(tool_form)).stakes == "high"


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    _pyproject(tmp_path, "")
    with pytest.raises(ConfigError, match=r"no \[tool.mlops-audit\] table"):
        load_config(str(tmp_path), str(tmp_path / "pyproject.toml"))


# -- errors name the key and the file -----------------------------------------------------------------------
@pytest.mark.parametrize("body, expected", [
    ('[tool.mlops-audit]\nseverty = {}\n', "unknown key 'severty' (did you mean 'severity'?)"),
    ('[tool.mlops-audit]\nextend_select = ["AUT9"]\n', "did you mean 'extend-select'? keys are kebab-case"),
    ('[tool.mlops-audit]\nfrobnicate = 1\n', "unknown key 'frobnicate' (valid keys: select,"),
    ('[tool.mlops-audit.contracts]\nlatency-p90-ms = 1\n', "[tool.mlops-audit.contracts] unknown key 'latency-p90-ms'"),
    ('[[tool.mlops-audit.contracts.drift]]\nfeature = "a"\nmetric = "psi"\nthreshold = 1\nwindw = "7d"\n',
     "unknown key 'windw' (did you mean 'window'?)"),
    ('[tool.mlops-audit.contracts.rollout]\ncanary = [0, 200]\n', "'canary' must list traffic percentages"),
    ('[tool.mlops-audit.contracts.rollout]\ntime_to_rollback = "5m"\n', "did you mean 'time-to-rollback'?"),
    ('[[tool.mlops-audit.contracts.drift]]\nfeature = "a"\nthreshold = 1\n', "'metric' is required"),
    ('[[tool.mlops-audit.contracts.drift]]\nmetric = "psi"\nthreshold = 1\n', "name the monitored 'feature'"),
    ('[[tool.mlops-audit.contracts.drift]]\nfeature = "a"\nmetric = "psi"\nthreshold = "high"\n',
     "'threshold' must be a number"),
    ('[tool.mlops-audit.contracts]\nerror-budget = 5\n', "'error-budget' must be a fraction"),
    ('[tool.mlops-audit.contracts]\nlatency-p95-ms = -3\n', "'latency-p95-ms' must be a positive number"),
    ('[tool.mlops-audit]\nselect = "AUT9000"\n', "'select': 'AUT9000' is not a known rule id or prefix"),
    ('[tool.mlops-audit]\nignore = [1, 2]\n', "'ignore' must be a list of strings"),
    ('[tool.mlops-audit.severity]\nAUT90 = "low"\n', "'AUT90' is not a known rule id (did you mean"),
    ('[tool.mlops-audit.severity]\nAUT900 = "urgent"\n', "'AUT900' must be one of critical, high"),
    ('[tool.mlops-audit]\nstakes = "extreme"\n', "'stakes' must be one of high, medium, low"),
    ('[tool.mlops-audit]\nareas = ["servng"]\n', "unknown area 'servng' (did you mean 'serving'?)"),
    ('[tool.mlops-audit.applicability]\nserving = "no"\n', "'serving' must be true or false"),
    ('[tool.mlops-audit.applicability]\nwebsite = false\n', "unknown area 'website'"),
    ('[tool.mlops-audit.per-file-ignores]\n"tests/*" = ["NOPE01"]\n', "'NOPE01' is not a known rule id"),
    ('[tool.mlops-audit]\nfail-on = "info"\n', "'fail-on' must be one of critical, high, medium, low"),
    ('[tool.mlops-audit]\nselect = [\n', "invalid TOML"),
])
def test_config_errors(tmp_path: Path, body: str, expected: str) -> None:
    msg = _error(tmp_path, body)
    assert expected in msg
    assert "pyproject.toml" in msg


# -- command-line overrides ---------------------------------------------------------------------------------
def test_cli_overrides(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    c = _load(tmp_path, '[tool.mlops-audit]\nselect = ["WFT901"]\nextend-select = ["AUT9"]\nignore = ["WFT903"]\n'
                        'stakes = "low"\nareas = ["serving"]\nexclude = ["a/"]\nfail-on = "critical"\n')
    o = with_overrides(c, select=["WFT902,WFT903"], ignore=["WFT904"], stakes="high",
                       areas=["reproducibility", "monitoring"], exclude=["b/"], fail_on="medium", baseline="x.json")
    assert o.select == ("WFT902", "WFT903") and o.extend_select == ()   # replaces
    assert o.ignore == ("WFT903", "WFT904")                              # adds
    assert o.exclude == ("a/", "b/")                                     # adds
    assert (o.stakes, o.areas, o.fail_on, o.baseline) == ("high", ("reproducibility", "monitoring"), "medium", "x.json")
    assert with_overrides(c) is c
    with pytest.raises(ConfigError, match="command line.*'--area': unknown area 'gpu'"):
        with_overrides(c, areas=["gpu"])


# -- configuration takes effect in an audit -----------------------------------------------------------------
def _rules_at(report) -> set[str]:
    return {f"{f.rule} {f.location.path if f.location else '.'}" for f in report.findings}


def test_configuration_applies_to_the_audit(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    (repo / ".mlops-audit.toml").write_text(
        'select = ["WFT"]\nignore = ["WFT905"]\nexclude = ["prod.yaml"]\n'
        '[per-file-ignores]\n"*.ipynb" = ["WFT906"]\n[severity]\nWFT903 = "critical"\n')
    report = audit(repo, replace(load_config(str(repo)), use_cache=False))
    found = _rules_at(report)
    assert "WFT905 ." not in found                           # ignore
    assert not any(x.startswith("WFT904 prod.yaml") for x in found)   # exclude
    assert not any(x.startswith("WFT906") for x in found)     # per-file-ignores
    assert not any(x.startswith("AUT9") for x in found)       # select
    (docker,) = [f for f in report.findings if f.rule == "WFT903"]
    assert docker.severity.value == "critical"                # severity override
    assert any(s.path == "prod.yaml" and s.reason == "ignored" for s in report.inspection.skipped)


def test_areas_applicability_and_stakes_apply(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    targeted = audit(repo, AuditConfig(use_cache=False, select=("WFT",), areas=("serving",)))
    assert targeted.findings == []
    assert targeted.areas["reproducibility"].reason == "not part of this targeted audit"
    off = audit(repo, AuditConfig(use_cache=False, select=("WFT",), applicability={"reproducibility": False}))
    assert off.findings == [] and off.areas["reproducibility"].status == "not_applicable"
    assert audit(repo, AuditConfig(use_cache=False, select=("WFT",), stakes="high")).summary.stakes == "high"
