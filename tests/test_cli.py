"""The scan command: formats and outputs, the gate, every exit code, overrides, progress; the diff command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlops_audit.cli import EXIT_GATE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, _Progress, main

from .conftest import FIXTURES, materialize
from .workflow_support import wft_rules  # noqa: F401  (fixture)

REPO = FIXTURES / "workflow" / "suppress"


@pytest.fixture
def repo(wft_rules, tmp_path: Path) -> Path:  # noqa: F811
    return materialize(REPO, tmp_path / "repo")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


# -- exit codes -----------------------------------------------------------------------------------------------
def test_exit_0_without_gate(repo: Path) -> None:
    r = run("scan", repo, "--select", "WFT", "--no-cache", "--format", "json")
    assert r.exit_code == EXIT_OK, r.output
    assert json.loads(r.stdout)["summary"]["counts"]["critical"] == 2


def test_exit_0_when_gate_holds_and_1_when_it_trips(repo: Path) -> None:
    held = run("scan", repo, "--select", "WFT902", "--no-cache", "--fail-on", "high")
    assert held.exit_code == EXIT_OK, held.output
    assert "gate passed: nothing at or above high" in held.stderr
    tripped = run("scan", repo, "--select", "WFT902", "--no-cache", "--fail-on", "medium")
    assert tripped.exit_code == EXIT_GATE
    assert "gate tripped: 1 finding at or above medium" in tripped.stderr
    assert "suppressed" in tripped.stderr


def test_fail_on_from_configuration(repo: Path) -> None:
    (repo / ".mlops-audit.toml").write_text('select = ["WFT902"]\nfail-on = "medium"\n')
    assert run("scan", repo, "--no-cache", "-q").exit_code == EXIT_GATE
    assert run("scan", repo, "--no-cache", "-q", "--fail-on", "critical").exit_code == EXIT_OK  # CLI wins


@pytest.mark.parametrize("args, message", [
    (["--format", "yaml"], "Invalid value for '--format'"),
    (["--fail-on", "info"], "Invalid value for '--fail-on'"),
    (["--select", "NOPE999"], "'NOPE999' is not a known rule id or prefix"),
    (["--area", "servng"], "did you mean 'serving'?"),
    (["--format", "json", "--output", "/nonexistent-dir/a", "--output", "/nonexistent-dir/b"],
     "more --output than --format"),
    (["--format", "json", "--format", "sarif"], "several formats would go to standard output"),
    (["--baseline", "missing.json"], "cannot read the baseline"),
    (["--format", "json", "--output", "/nonexistent-dir/x.json"], "cannot write /nonexistent-dir/x.json"),
])
def test_exit_2_on_usage_errors(repo: Path, args: list[str], message: str) -> None:
    r = run("scan", repo, "--no-cache", *args)
    assert r.exit_code == EXIT_USAGE, r.output
    assert message in r.output


def test_exit_2_on_config_error_naming_key_and_file(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.mlops-audit]\nslect = ["WFT"]\n')
    r = run("scan", repo, "--no-cache")
    assert r.exit_code == EXIT_USAGE
    assert "pyproject.toml: [tool.mlops-audit] unknown key 'slect' (did you mean 'select'?)" in r.stderr


def test_exit_2_on_explicit_config_errors(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("stakes = 3\n")
    r = run("scan", repo, "--config", bad)
    assert r.exit_code == EXIT_USAGE and "bad.toml: [mlops-audit] 'stakes' must be one of" in r.stderr
    assert run("scan", repo, "--config", tmp_path / "missing.toml").exit_code == EXIT_USAGE


def test_exit_3_on_internal_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlops_audit.api

    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mlops_audit.api, "audit", boom)
    r = run("scan", repo)
    assert r.exit_code == EXIT_INTERNAL
    assert "internal error: RuntimeError: kaboom" in r.stderr
    assert "report it" in r.stderr


def test_help_documents_exit_codes() -> None:
    r = run("scan", "--help")
    assert r.exit_code == 0
    for line in ("0  clean", "1  the gate tripped", "2  usage or configuration error", "3  internal error"):
        assert line in r.output


# -- formats, outputs, overrides --------------------------------------------------------------------------------
def test_several_formats_each_to_its_file(repo: Path, tmp_path: Path) -> None:
    sarif, md, html = tmp_path / "r.sarif", tmp_path / "summary.md", tmp_path / "r.html"
    r = run("scan", repo, "--select", "WFT", "--no-cache", "--format", "sarif", "--output", sarif,
            "--format", "markdown", "-o", md, "--format", "html", "-o", html, "--format", "json")
    assert r.exit_code == EXIT_OK, r.output
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert md.read_text().startswith("## mlops-audit: ")
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert json.loads(r.stdout)["schema_version"] == "1"       # the one format without a file


def test_terminal_output_is_plain_off_a_tty_and_with_no_color(repo: Path) -> None:
    for env in ({}, {"NO_COLOR": "1"}):
        r = run("scan", repo, "--select", "WFT", "--no-cache", env=env)
        assert r.exit_code == EXIT_OK
        assert "\x1b[" not in r.stdout
        assert "Verdict:" in r.stdout


def test_cli_overrides_configuration(repo: Path) -> None:
    (repo / ".mlops-audit.toml").write_text('select = ["WFT904"]\nstakes = "low"\n')
    r = run("scan", repo, "--no-cache", "--format", "json", "--select", "WFT902,WFT903", "--ignore", "WFT903",
            "--stakes", "high")
    report = json.loads(r.stdout)
    assert {f["rule"] for f in report["findings"]} == {"WFT902"}
    assert report["summary"]["stakes"] == "high"


def test_targeted_audit_by_area(repo: Path) -> None:
    r = run("scan", repo, "--no-cache", "--format", "json", "--select", "WFT", "--area", "serving", "--area",
            "monitoring")
    report = json.loads(r.stdout)
    assert report["findings"] == []
    assert report["areas"]["reproducibility"]["reason"] == "not part of this targeted audit"


def test_exclude_option(repo: Path) -> None:
    r = run("scan", repo, "--no-cache", "--format", "json", "--select", "WFT904", "--exclude", "prod.yaml")
    assert {f["location"]["path"] for f in json.loads(r.stdout)["findings"]} == {"settings.toml"}


# -- progress -------------------------------------------------------------------------------------------------
def test_progress_waits_a_second_and_respects_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    off = _Progress(enabled=False)
    off.started -= 10
    off(1, 10)
    assert off.bar is None
    quick = _Progress(enabled=True)
    quick(1, 10)
    assert quick.bar is None        # less than a second in: no bar
    slow = _Progress(enabled=True)
    slow.started -= 2
    slow(5, 10)
    assert slow.bar is not None
    slow.close()
    assert slow.bar is None


# -- diff -----------------------------------------------------------------------------------------------------
def _write_reports(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert run("scan", repo, "--select", "WFT", "--no-cache", "--format", "json", "-o", old).exit_code == 0
    (repo / "prod.yaml").unlink()                                       # fixes one critical finding
    with (repo / "requirements.txt").open("a") as fh:
        fh.write("requests\n")                                          # adds one medium finding
    assert run("scan", repo, "--select", "WFT", "--no-cache", "--format", "json", "-o", new).exit_code == 0
    return old, new


def test_diff(repo: Path, tmp_path: Path) -> None:
    old, new = _write_reports(repo, tmp_path)
    r = run("diff", old, new, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [(f["rule"], f["location"]["path"], f["location"]["line"]) for f in d["new_findings"]] == \
        [("WFT902", "requirements.txt", 4)]
    assert [(f["rule"], f["location"]["path"]) for f in d["fixed_findings"]] == [("WFT904", "prod.yaml")]
    assert d["verdict"] == {"old": "NOT_READY", "new": "NOT_READY"}
    assert d["unchanged_findings"] > 0
    text = run("diff", old, new)
    assert "New findings (1)" in text.stdout and "Fixed findings (1)" in text.stdout
    md = run("diff", old, new, "--format", "markdown")
    assert md.stdout.startswith("## mlops-audit diff: 1 new, 1 fixed")
    assert run("diff", old, new, "--fail-on", "medium").exit_code == 1
    assert run("diff", old, new, "--fail-on", "high").exit_code == 0


def test_diff_rejects_non_reports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}')
    r = run("diff", bad, bad)
    assert r.exit_code == 2 and "not an mlops-audit JSON report" in r.stderr
    assert run("diff", tmp_path / "missing.json", bad).exit_code == 2
