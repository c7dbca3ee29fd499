"""Markdown for PR comments and job summaries: compact, escaped, capped, every number from the report."""
from __future__ import annotations

from dataclasses import replace

from mlops_audit.model import Finding, Location, Severity
from mlops_audit.render.markdown import cell, render

from .workflow_support import sample_report


def test_layout() -> None:
    md = render(sample_report())
    lines = md.splitlines()
    assert lines[0] == "## mlops-audit: NOT_READY"
    assert lines[2] == ("`NOT_READY` · maturity `3/7 Defined` · automation `level 1/3` · stakes `high` · "
                        "findings: 1 critical, 2 high, 2 medium, 1 low, 1 info")
    assert "Target `services/churn` at `0123456789` · 2 suppressed inline" in md
    assert "**Next step:** Fix serving." in md
    assert "| Serving | **fail** | 2.0 | 1 |" in md
    assert "Not applicable: LLM and prompts." in md
    assert "### Findings (7)" in md
    assert "| critical | `SRV001` model-loaded-per-request | `src/serve.py:12` |" in md
    assert "| high | `MON001` no-drift-detection | `(repository)` |" in md
    assert "`notebooks/explore.ipynb [cell 4]:2`" in md
    assert "### Roadmap" in md and "- SRV001 Model loaded inside a request handler" in md
    assert not any(ord(ch) > 0x2FFF for ch in md)  # emoji-free


def test_findings_in_severity_order() -> None:
    md = render(sample_report())
    order = [line.split("|")[1].strip() for line in md.splitlines()
             if line.startswith("| ") and line.split("|")[1].strip() in {s.value for s in Severity}]
    ranks = [Severity(s).rank for s in order]
    assert ranks == sorted(ranks, reverse=True)


def test_cells_are_escaped() -> None:
    md = render(sample_report())
    assert "<script>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| a pipe &amp; an ampersand" in md
    assert cell("a\nb\tc") == "a b c"
    assert cell("x" * 400).endswith("…") and len(cell("x" * 400)) == 280


def test_top_50_and_the_rest_counted() -> None:
    report = sample_report()
    many = [Finding(rule="SRV001", severity=Severity.MEDIUM if i % 2 else Severity.LOW, area="serving", title="t",
                    message=f"m{i}", location=Location(path=f"f{i}.py", line=1), fingerprint=f"x{i}")
            for i in range(60)]
    md = render(replace(report, findings=many))
    rows = [line for line in md.splitlines() if line.startswith("| medium") or line.startswith("| low")]
    assert len(rows) == 50
    assert "... and 10 more (5 medium, 5 low); the JSON, SARIF and HTML reports list them all." in md


def test_empty_and_baselined() -> None:
    report = sample_report()
    summary = replace(report.summary, baselined=7, suppressed=0)
    md = render(replace(report, findings=[], summary=summary))
    assert "No findings. Every known finding is in the baseline." in md
    assert "7 known findings baselined" in md
