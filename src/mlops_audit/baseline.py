"""The CI gate: baselines (report only what is new) and the ``--fail-on`` threshold.

A baseline is a JSON file listing the fingerprints of accepted findings
(``--write-baseline``). Fingerprints hash the rule, the path and a line-free
key of what was found, so a baseline survives edits that only move code.
``apply_baseline`` leaves out the findings it lists and says how many in
``summary.baselined``; ``summary.counts`` then counts the findings still
reported, while verdict, maturity and area scores keep describing the whole
repository. A previous JSON report works as a baseline too.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Iterable

from ._records import record
from .config import FAIL_ON_LEVELS, ConfigError
from .model import Finding, Report, Severity

__all__ = ["Baseline", "BASELINE_VERSION", "load_baseline", "parse_baseline", "render_baseline",
           "apply_baseline", "gate_findings"]

BASELINE_VERSION = 1


@record()
class Baseline:
    fingerprints: frozenset[str]
    source: str = ""


def _key(f: Finding) -> str:
    return f.fingerprint or f"{f.rule}\0{f.location.path if f.location else '.'}\0{f.message}"


def render_baseline(findings: Iterable[Finding]) -> str:
    """Baseline JSON for these findings: sorted, line-free, so re-writing it gives a small diff."""
    rows = sorted({_key(f): {"fingerprint": _key(f), "rule": f.rule,
                             "path": f.location.path if f.location else "."} for f in findings}.values(),
                  key=lambda r: (r["path"], r["rule"], r["fingerprint"]))
    doc = {"version": BASELINE_VERSION, "tool": "mlops-audit", "count": len(rows), "fingerprints": rows}
    return json.dumps(doc, indent=2) + "\n"


def parse_baseline(text: str, source: str = "<baseline>") -> Baseline:
    """A baseline file, or a JSON report of an earlier scan (its findings become the baseline)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: not a baseline: invalid JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("fingerprints"), list):
        if data.get("version") != BASELINE_VERSION:
            raise ConfigError(f"{source}: unsupported baseline version {data.get('version')!r} "
                              f"(this mlops-audit writes version {BASELINE_VERSION})")
        fps = [row.get("fingerprint") if isinstance(row, dict) else row for row in data["fingerprints"]]
    elif isinstance(data, dict) and isinstance(data.get("findings"), list):
        fps = [f.get("fingerprint") for f in data["findings"] if isinstance(f, dict)]
    else:
        raise ConfigError(f"{source}: not a baseline: expected 'fingerprints' (from --write-baseline) "
                          "or 'findings' (a JSON report)")
    if not all(isinstance(fp, str) and fp for fp in fps):
        raise ConfigError(f"{source}: every baseline entry needs a non-empty 'fingerprint' string")
    return Baseline(frozenset(fps), source)  # type: ignore[arg-type]


def load_baseline(path: str) -> Baseline:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from exc
    return parse_baseline(text, path)


def apply_baseline(report: Report, baseline: Baseline) -> Report:
    """The report without the findings the baseline accepts; ``summary.baselined`` counts them."""
    kept = [f for f in report.findings if _key(f) not in baseline.fingerprints]
    if report.summary is None:
        return replace(report, findings=kept)
    counts = {s.value: 0 for s in Severity}
    for f in kept:
        counts[f.severity.value] += 1
    summary = replace(report.summary, counts=counts,
                      baselined=report.summary.baselined + len(report.findings) - len(kept))
    return replace(report, findings=kept, summary=summary)


def gate_findings(report: Report, fail_on: str | None) -> list[Finding]:
    """Findings at or above ``fail_on`` (critical | high | medium | low): the ones that trip the CI gate."""
    if fail_on is None:
        return []
    if fail_on not in FAIL_ON_LEVELS:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON_LEVELS)}, got {fail_on!r}")
    floor = Severity(fail_on).rank
    return [f for f in report.findings if f.severity.rank >= floor]
