"""Markdown for pull-request comments and GitHub job summaries ($GITHUB_STEP_SUMMARY).

Compact and emoji-free: a verdict line of code-span badges, maturity and
automation, the area table, the findings table in severity order (the first
50; the rest are counted), and the roadmap. GitHub-flavoured tables; every
value comes from the Report.
"""
from __future__ import annotations

from ..model import Finding, Report, Severity

__all__ = ["render", "MAX_FINDINGS", "cell", "location"]

MAX_FINDINGS = 50
_AREA_TITLES = {
    "tracking": "Experiment tracking", "reproducibility": "Reproducibility", "versioning": "Versioning",
    "registry": "Registry and lineage", "data_quality": "Data quality", "testing": "Testing and evaluation",
    "automation": "Automation", "serving": "Serving", "monitoring": "Monitoring", "rollout": "Rollout",
    "llm": "LLM and prompts", "compute": "Training efficiency",
}
_STATUS = {"pass": "pass", "partial": "partial", "fail": "**fail**", "not_applicable": "n/a"}
_ROADMAP = (("Immediate (week 1)", "immediate"), ("Short term (month 1)", "short_term"),
            ("Medium term (quarter 1)", "medium_term"))


def cell(text: str, limit: int = 280) -> str:
    """One table cell: single line, pipes escaped, HTML neutralised, long text cut."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def location(f: Finding) -> str:
    if f.location is None:
        return "(repository)"
    loc = f.location.path
    if f.location.cell is not None:
        loc += f" [cell {f.location.cell}]"
    if f.location.line:
        loc += f":{f.location.line}"
    return loc


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def render(report: Report, max_findings: int = MAX_FINDINGS, **_: object) -> str:
    out: list[str] = []
    s = report.summary
    target = _code(report.target.path)
    if report.target.commit:
        target += f" at {_code(report.target.commit[:10])}" + (" (uncommitted changes)" if report.target.dirty else "")
    out.append(f"## mlops-audit: {s.verdict if s else 'no verdict'}")
    out.append("")
    if s is not None:
        counts = ", ".join(f"{n} {sev}" for sev, n in s.counts.items() if n) or "none"
        out.append(f"{_code(s.verdict)} · maturity {_code(f'{s.maturity.score}/{s.maturity.max} {s.maturity.level}')}"
                   f" · automation {_code(f'level {s.automation_level}/3')} · stakes {_code(s.stakes)}"
                   f" · findings: {counts}")
        extra = []
        if s.baselined:
            extra.append(f"{s.baselined} known finding{'s' if s.baselined != 1 else ''} baselined")
        if s.suppressed:
            extra.append(f"{s.suppressed} suppressed inline")
        out.append("")
        out.append(f"Target {target}" + (f" · {' · '.join(extra)}" if extra else ""))
        if s.automation_reason:
            out.append("")
            out.append(f"**Automation:** {cell(s.automation_reason, 300)}")
        if s.maturity.next_step:
            out.append("")
            out.append(f"**Next step:** {cell(s.maturity.next_step, 500)}")
    else:
        out.append(f"Target {target}")
    out.append("")

    applicable = {a: v for a, v in report.areas.items() if v.applicable}
    if report.areas:
        out.append("### Areas")
        out.append("")
        out.append("| Area | Status | Score | Findings |")
        out.append("|---|---|---:|---:|")
        for area, a in applicable.items():
            out.append(f"| {_AREA_TITLES.get(area, area)} | {_STATUS[a.status]} | {a.score:.1f} | {a.findings} |")
        skipped = [_AREA_TITLES.get(a, a) for a, v in report.areas.items() if not v.applicable]
        if skipped:
            out.append("")
            out.append(f"Not applicable: {', '.join(skipped)}.")
        out.append("")

    out.append(f"### Findings ({len(report.findings)})")
    out.append("")
    if not report.findings:
        out.append("No findings." + (" Every known finding is in the baseline." if s and s.baselined else ""))
    else:
        out.append("| Severity | Rule | Location | Finding |")
        out.append("|---|---|---|---|")
        for f in report.findings[:max_findings]:
            rule = _code(f.rule) + (f" {f.name}" if f.name else "")
            out.append(f"| {f.severity.value} | {rule} | {_code(location(f))} | {cell(f.message or f.title)} |")
        rest = report.findings[max_findings:]
        if rest:
            by_sev = {sev: sum(1 for f in rest if f.severity == sev) for sev in Severity}
            detail = ", ".join(f"{n} {sev.value}" for sev, n in by_sev.items() if n)
            out.append("")
            out.append(f"... and {len(rest)} more ({detail}); the JSON, SARIF and HTML reports list them all.")
    out.append("")

    rm = report.roadmap
    if rm.immediate or rm.short_term or rm.medium_term:
        out.append("### Roadmap")
        out.append("")
        for label, attr in _ROADMAP:
            items = getattr(rm, attr)
            if not items:
                continue
            out.append(f"**{label}**")
            out.append("")
            for item in items[:10]:
                out.append(f"- {cell(item, 200)}")
            if len(items) > 10:
                out.append(f"- ... and {len(items) - 10} more")
            out.append("")
    out.append(f"<sub>mlops-audit {report.tool.version} · static audit, nothing in the repository was executed</sub>")
    return "\n".join(out).rstrip("\n") + "\n"
