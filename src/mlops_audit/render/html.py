"""One self-contained HTML file (jinja2 template ``templates/report.html.j2``).

Verdict, maturity and automation first; an inline SVG chart of area scores;
the findings table, filterable by severity, area and text with a few lines of
vanilla JavaScript; the stack inventory with every capability and its
evidence; artifacts; the roadmap. No external request of any kind (no CDN,
font or image: a Content-Security-Policy forbids them), autoescaped
throughout, and a print stylesheet so the page reads on paper.
"""
from __future__ import annotations

from typing import Any

from ..model import Report, Severity
from .markdown import location

__all__ = ["render", "chart_rows"]

_AREA_TITLES = {
    "tracking": "Experiment tracking", "reproducibility": "Reproducibility", "versioning": "Versioning",
    "registry": "Registry and lineage", "data_quality": "Data quality", "testing": "Testing and evaluation",
    "automation": "Automation", "serving": "Serving", "monitoring": "Monitoring", "rollout": "Rollout",
    "llm": "LLM and prompts", "compute": "Training efficiency",
}
_ROADMAP = (("Immediate", "week 1", "immediate"), ("Short term", "month 1", "short_term"),
            ("Medium term", "quarter 1", "medium_term"))
_CHART_BAR = 300  # px for a score of 10
_CHART_ROW = 26


def chart_rows(report: Report) -> list[dict[str, Any]]:
    """Geometry of the area-score bar chart (one row per area; not applicable areas drawn empty)."""
    rows = []
    for i, (area, a) in enumerate(report.areas.items()):
        rows.append({
            "area": area, "title": _AREA_TITLES.get(area, area), "status": a.status, "applicable": a.applicable,
            "score": a.score, "findings": a.findings, "reason": a.reason,
            "y": i * _CHART_ROW, "width": round(a.score / 10 * _CHART_BAR, 1) if a.applicable else 0,
        })
    return rows


def _capabilities(report: Report) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for cid, cap in report.inventory.capabilities.items():
        inverse = cid == "model_artifacts_in_git"  # present is the problem here
        if cap.present:
            state = "problem" if inverse else "present"
        elif cap.declared_only:
            state = "declared"
        else:
            state = "ok" if inverse else "missing"
        evidence = []
        for e in cap.evidence[:3]:
            where = e.path + (f" [cell {e.cell}]" if e.cell else "") + (f":{e.line}" if e.line else "")
            evidence.append(where + (f" ({e.detail})" if e.detail else ""))
        groups.setdefault(cap.area or "other", []).append({
            "id": cid, "label": cid.replace("_", " "), "state": state, "tools": cap.tools, "evidence": evidence,
            "more": max(0, len(cap.evidence) - 3)})
    return [{"area": area, "title": _AREA_TITLES.get(area, area), "items": items} for area, items in groups.items()]


def render(report: Report, **_: object) -> str:
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        from ..config import ConfigError

        raise ConfigError("--format html needs jinja2: pip install 'jinja2>=3.1' (a core dependency: reinstall mlops-audit)") from exc
    env = jinja2.Environment(loader=jinja2.PackageLoader("mlops_audit.render", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["location"] = location
    severities = [s.value for s in Severity]
    findings = [{"f": f, "location": location(f)} for f in report.findings]
    areas_in_findings = sorted({f.area for f in report.findings})
    return env.get_template("report.html.j2").render(
        report=report, s=report.summary, findings=findings, severities=severities,
        finding_areas=[(a, _AREA_TITLES.get(a, a)) for a in areas_in_findings],
        chart=chart_rows(report), chart_bar=_CHART_BAR, chart_row=_CHART_ROW,
        chart_height=max(1, len(report.areas)) * _CHART_ROW, capabilities=_capabilities(report),
        roadmap=[(label, when, getattr(report.roadmap, attr)) for label, when, attr in _ROADMAP],
        area_titles=_AREA_TITLES,
    )
