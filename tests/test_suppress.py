"""Inline suppressions: every form, in every file kind, counted and checked for hygiene."""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.suppress import extract, parse_directive

from .conftest import FIXTURES, materialize
from .workflow_support import wft_rules  # noqa: F401  (fixture)

REPO = FIXTURES / "workflow" / "suppress"


def _where(f) -> str:
    if f.location is None:
        return f"{f.rule} ."
    loc = f.location
    return f"{f.rule} {loc.path}" + (f"[{loc.cell}]" if loc.cell else "") + (f":{loc.line}" if loc.line else "")


@pytest.fixture
def report(wft_rules, tmp_path: Path):  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    return audit(repo, AuditConfig(use_cache=False, select=("WFT", "AUT9")))


def test_fixture_findings_exactly(report) -> None:
    assert sorted(_where(f) for f in report.findings) == sorted([
        # not suppressed: no reason (8), malformed reason (14), '#' inside a string (15)
        "WFT901 train.py:8", "WFT901 train.py:14", "WFT901 train.py:15",
        "WFT901 analysis.ipynb[3]:3",            # the cell's second pickle.load has no comment
        "WFT902 requirements.txt:3",             # scikit-learn, no comment
        "WFT903 Dockerfile:4",                   # second FROM, no comment above it
        "WFT904 prod.yaml:1",
        "WFT904 settings.toml:1",                # its suppression has no reason
        "WFT905 .",                              # repository-level: cannot be suppressed inline
        "WFT906 analysis.ipynb",                 # file-level; markdown text is not a suppression
        "AUT900 train.py:8", "AUT900 train.py:14", "AUT900 settings.toml:1",
        "AUT901 train.py:13",                    # WFT902 named but idle there
        "AUT901 train.py:16",                    # nothing to silence on that line
        "AUT901 train.py:17",                    # ZZZ999 names no rule
    ])


def test_suppressed_findings_are_counted(report) -> None:
    # train.py: 7 (same line), 11 (comment line above), 12 (prefix), 13 (two ids), 18 and 21 (multi-line call);
    # requirements.txt pandas; Dockerfile FROM python:latest (comment line above); config.yaml debug;
    # analysis.ipynb cell 3 line 2; scratch.ipynb file-level WFT906 (suppressed from a code cell)
    assert report.summary.suppressed == 11
    assert '"suppressed": 11' in report.to_json()


def test_suppression_hygiene_messages(report) -> None:
    by_where = {_where(f): f for f in report.findings if f.rule.startswith("AUT9")}
    assert "gives no reason" in by_where["AUT900 train.py:8"].message
    assert "put the reason after ' -- '" in by_where["AUT900 train.py:14"].message
    assert "no WFT902 finding" in by_where["AUT901 train.py:13"].message
    assert "ZZZ999 names no rule" in by_where["AUT901 train.py:17"].message
    assert all(f.severity.value == "info" for f in by_where.values())


def test_unused_is_not_claimed_for_rules_that_did_not_run(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False, select=("WFT902", "AUT9")))
    unused = sorted(_where(f) for f in report.findings if f.rule == "AUT901")
    # WFT901 did not run: its suppressions cannot be judged; the idle WFT902 id and the unknown id still can
    assert unused == ["AUT901 train.py:13", "AUT901 train.py:17"]


def test_hygiene_rules_can_be_ignored(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False, select=("WFT",)))
    assert not [f for f in report.findings if f.rule.startswith("AUT9")]
    assert report.summary.suppressed == 11


def test_suppressions_come_from_the_cache_too(wft_rules, tmp_path: Path) -> None:  # noqa: F811
    repo = materialize(REPO, tmp_path / "repo")
    (repo / "extra.py").write_text("x = 1\n")
    first = audit(repo, AuditConfig(select=("WFT", "AUT9")))
    (repo / "extra.py").write_text("x = 2\n")  # defeat the whole-report memo, keep per-file facts cached
    second = audit(repo, AuditConfig(select=("WFT", "AUT9")))
    assert second.inspection.cached_files > 0
    assert second.summary.suppressed == first.summary.suppressed == 11
    assert [f.fingerprint for f in second.findings] == [f.fingerprint for f in first.findings]


# -- parsing ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("comment, ids, reason, error", [
    ("# mlops-audit: ignore[SEC001] -- trusted file", ("SEC001",), "trusted file", ""),
    ("# mlops-audit: ignore[SEC001,REP002] -- two", ("SEC001", "REP002"), "two", ""),
    ("# mlops-audit: ignore[ SEC001 , REP ] -- spaced, prefix", ("SEC001", "REP"), "spaced, prefix", ""),
    ("# mlops-audit: ignore[SEC001]", ("SEC001",), "", ""),
    ("# mlops-audit: ignore[SEC001] --   ", ("SEC001",), "", ""),
    ("# mlops-audit: ignore[SEC001] why not", ("SEC001",), "", "put the reason after"),
    ("# mlops-audit: ignore -- no ids", (), "", "malformed"),
    ("# mlops-audit: ignore[] -- empty", (), "", "no rule id"),
    ("# mlops-audit: ignore[sec001] -- lower case", ("sec001",), "", "not a rule id"),
    ("# mlops-audit: disable[SEC001] -- wrong verb", (), "", "malformed"),
])
def test_parse_directive(comment: str, ids: tuple[str, ...], reason: str, error: str) -> None:
    got_ids, got_reason, got_error = parse_directive(comment)
    assert got_ids == ids
    assert got_reason == reason
    assert (error in got_error) if error else got_error == ""


def test_extract_python_uses_comments_only() -> None:
    text = ('x = "# mlops-audit: ignore[SEC001] -- string"\n'
            'y = load()  # mlops-audit: ignore[SEC001] -- comment\n'
            '"""\n# mlops-audit: ignore[SEC002] -- docstring line\n"""\n')
    (s,) = extract("python", "a.py", text)
    assert (s.line, s.target, s.ids, s.reason) == (2, 2, ("SEC001",), "comment")


def test_extract_standalone_comment_targets_next_code_line() -> None:
    text = "# mlops-audit: ignore[SEC001] -- above\n\n# other comment\nz = load()\n"
    (s,) = extract("python", "a.py", text)
    assert (s.line, s.target) == (1, 4)


def test_extract_python_with_syntax_error_falls_back_to_lines() -> None:
    text = "def broken(:\n    x = load()  # mlops-audit: ignore[SEC001] -- still honoured\n"
    (s,) = extract("python", "a.py", text)
    assert (s.line, s.reason) == (2, "still honoured")


@pytest.mark.parametrize("kind, path, text, line, target", [
    ("config", "c.yaml", "a: 1\nkey: x  # mlops-audit: ignore[SRV001] -- yaml\n", 2, 2),
    ("config", "c.toml", "[t]\n# mlops-audit: ignore[SRV001] -- toml\nkey = 1\n", 2, 3),
    ("dockerfile", "Dockerfile", "# mlops-audit: ignore[REP006] -- docker\nFROM python:latest\n", 1, 2),
    ("dockerfile", "Dockerfile", "FROM x:1\nRUN pip install y  # mlops-audit: ignore[REP003] -- shell\n", 2, 2),
    ("manifest", "requirements.txt", "torch  # mlops-audit: ignore[REP003] -- pinned upstream\n", 1, 1),
])
def test_extract_comment_kinds(kind: str, path: str, text: str, line: int, target: int) -> None:
    (s,) = extract(kind, path, text)
    assert (s.line, s.target) == (line, target)
    assert s.reason


def test_extract_ignores_hashes_inside_values_and_prose() -> None:
    assert extract("config", "c.yaml", "url: http://x/#mlops-audit: ignore[SRV001] -- no\n") == ()
    assert extract("prose", "README.md", "# mlops-audit: ignore[SRV001] -- a heading\n") == ()
    assert extract("config", "c.json", '{"a": "# mlops-audit: ignore[SRV001] -- json"}') == ()


def test_extract_notebook_cells() -> None:
    import json

    nb = {"cells": [
        {"cell_type": "markdown", "source": "# mlops-audit: ignore[SEC001] -- markdown"},
        {"cell_type": "code", "source": ["!pip install x\n", "m = load()  # mlops-audit: ignore[SEC001] -- ok\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (s,) = extract("notebook", "n.ipynb", json.dumps(nb))
    assert (s.cell, s.line, s.target, s.reason) == (2, 2, 2, "ok")
