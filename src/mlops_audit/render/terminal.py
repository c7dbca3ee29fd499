"""Terminal view (rich): verdict first, then the stack, area scores, findings by
severity with path:line, the capability inventory by area, recommendations and
the roadmap. Colour only on a TTY and never with NO_COLOR.
"""
from __future__ import annotations

import io
import os
from typing import Iterable

from ..model import Finding, Report

__all__ = ["render"]

_SEV_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
_VERDICT_STYLE = {"READY": "bold green", "NEEDS_ATTENTION": "bold yellow", "NOT_READY": "bold red"}
_STATUS = {"pass": ("PASS", "green"), "partial": ("PARTIAL", "yellow"), "fail": ("FAIL", "red"),
           "not_applicable": ("N/A", "dim")}
_AREA_TITLES = {
    "tracking": "Experiment tracking", "reproducibility": "Reproducibility", "versioning": "Versioning",
    "registry": "Registry and lineage", "data_quality": "Data quality", "testing": "Testing and evaluation",
    "automation": "Automation", "serving": "Serving", "monitoring": "Monitoring", "rollout": "Rollout",
    "llm": "LLM and prompts", "compute": "Training efficiency",
}


def _loc(f: Finding) -> str:
    if f.location is None:
        return "(repository)"
    loc = f.location.path
    if f.location.cell is not None:
        loc += f"[cell {f.location.cell}]"
    if f.location.line:
        loc += f":{f.location.line}"
    return loc


def render(report: Report, color: bool | None = None, width: int | None = None, verbose: bool = False,
           **_: object) -> str:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

    if color is None:
        color = False
    buf = io.StringIO()
    # text from the repository is printed as it is: no markup (``pkg[extra]`` would vanish, ``[/x]`` raise) and
    # no emoji codes
    console = Console(file=buf, force_terminal=color, no_color=not color or "NO_COLOR" in os.environ,
                      width=width or 110, highlight=False, soft_wrap=False, markup=False, emoji=False)
    # everything is collected and printed in one call: rich lays out the same lines, without the fixed
    # cost of a print per line (a third of this function's time)
    parts: list[RenderableType] = []
    out = parts.append
    s = report.summary
    inv = report.inventory

    head = Text("mlops-audit ", style="bold")
    head.append(f"{report.target.path}")
    if report.target.commit:
        head.append(f" @ {report.target.commit[:10]}{' (dirty)' if report.target.dirty else ''}", style="dim")
    out(head)
    if s is not None:
        line = Text("Verdict: ")
        line.append(s.verdict, style=_VERDICT_STYLE[s.verdict])
        line.append(f"   Maturity {s.maturity.score}/{s.maturity.max} ({s.maturity.level})"
                    f"   Automation level {s.automation_level}/3   Stakes {s.stakes}")
        out(line)
        counts = "  ".join(f"{k}: {v}" for k, v in s.counts.items() if v)
        extra = "".join(f"   ({n} {label})" for n, label in ((getattr(s, "suppressed", 0), "suppressed inline"),
                                                             (getattr(s, "baselined", 0), "in the baseline")) if n)
        out(Text(f"Findings: {counts or 'none'}{extra}"))
        if s.maturity.next_step:
            out(Text(f"Next step: {s.maturity.next_step}", style="italic"))
        if s.projected_verdict and s.projected_maturity:
            out(Text(f"After the immediate fixes: {s.projected_verdict}; after the critical and high ones: "
                     f"maturity {s.projected_maturity.score}/7 ({s.projected_maturity.level})", style="dim"))
        if s.automation_reason:
            out(Text(f"Automation: {s.automation_reason}", style="dim"))
        if report.principles:
            marks = {"pass": "✓", "partial": "~", "fail": "✗", "not_applicable": "-"}
            out(Text(f"Principles {s.principles_score}/6: " + "  ".join(
                f"{marks[p.status]} {name}" for name, p in report.principles.items()), style="dim"))
    out("")

    # stack
    fws = ", ".join(f.name + (f" ({f.declared})" if f.declared else "") for f in inv.frameworks) or "none detected"
    out(Text("Stack", style="bold underline"))
    out(f"  frameworks: {fws}")
    for cid in ("experiment_tracking", "serving", "model_registry", "pipeline_orchestration", "llm_usage", "ci"):
        cap = inv.capabilities.get(cid)
        if cap and (cap.present or cap.declared_only):
            note = " (declared only)" if cap.declared_only else ""
            out(f"  {cid}: {', '.join(cap.tools) or 'yes'}{note}")
    lc = inv.lifecycle
    out(f"  lifecycle present: {', '.join(lc.present) or 'none'}")
    out(Text(f"  lifecycle missing: {', '.join(lc.missing) or 'none'}",
             style="yellow" if lc.missing else ""))
    out("")

    # areas
    if report.areas:
        table = Table(title="Areas", title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("area")
        table.add_column("status")
        table.add_column("score", justify="right")
        table.add_column("findings", justify="right")
        for area, a in report.areas.items():
            label, style = _STATUS[a.status]
            table.add_row(_AREA_TITLES.get(area, area), Text(label, style=style),
                          "-" if not a.applicable else f"{a.score:.1f}", str(a.findings) if a.applicable else "-")
        out(table)
        out("")

    # findings
    out(Text(f"Findings ({len(report.findings)})", style="bold underline"))
    if not report.findings:
        out("  none")
    for sev in ("critical", "high", "medium", "low", "info"):
        group = [f for f in report.findings if f.severity.value == sev]
        if not group:
            continue
        out(Text(f" {sev.upper()} ({len(group)}) ", style=_SEV_STYLE[sev]))
        for f in group:
            t = Text("  ")
            t.append(f"{f.rule}", style="bold")
            t.append(f" [{f.area}] ", style="dim")
            t.append(_loc(f), style="underline")
            t.append(f"  {f.message}")
            out(t)
            if verbose and f.remediation:
                out(Text(f"      fix: {f.remediation}", style="green"))
    out("")

    # capabilities by area
    out(Text("Capabilities", style="bold underline"))
    by_area: dict[str, list[tuple[str, object]]] = {}
    for cid, cap in inv.capabilities.items():
        by_area.setdefault(cap.area or "other", []).append((cid, cap))
    for area, caps in by_area.items():
        out(Text(f" {_AREA_TITLES.get(area, area)}", style="bold"))
        for cid, cap in caps:
            mark, style = _mark(cid, cap)
            t = Text(f"   {mark} ", style=style)
            t.append(cid)
            if cap.tools:  # type: ignore[attr-defined]
                t.append(f"  {', '.join(cap.tools)}", style="cyan")  # type: ignore[attr-defined]
            ev = cap.evidence[:2 if not verbose else 8]  # type: ignore[attr-defined]
            if ev:
                t.append("  " + ", ".join(_ev(e) for e in ev), style="dim")
            out(t)
    out("")

    art = inv.artifacts
    if art.models or art.notebooks or art.prompts or art.eval_sets:
        out(Text("Artifacts", style="bold underline"))
        for m in art.models[:20]:
            out(f"  model     {m.path}  {_size(m.bytes)}  storage={m.storage}")
        for nb in art.notebooks[:20]:
            out(f"  notebook  {nb.path}  {nb.cells} cells  {'in order' if nb.in_order else 'OUT OF ORDER'}")
        for p in art.prompts[:10]:
            out(f"  prompt    {p.path}")
        for e in art.eval_sets[:10]:
            out(f"  eval set  {e.path}")
        out("")

    if report.roadmap.immediate or report.roadmap.short_term or report.roadmap.medium_term:
        out(Text("Roadmap", style="bold underline"))
        for label, items in (("Immediate (week 1)", report.roadmap.immediate),
                             ("Short term (month 1)", report.roadmap.short_term),
                             ("Medium term (quarter 1)", report.roadmap.medium_term)):
            if items:
                out(Text(f" {label}", style="bold"))
                for item in _limit(items, 8 if not verbose else 100):
                    out(f"   - {item}")
        out("")

    if verbose and report.recommendations:
        out(Text("Recommendations", style="bold underline"))
        for r in report.recommendations:
            out(Text(f" [{r.principle}] {r.gap}  ({r.priority})", style="bold"))
            out(f"   {r.recommendation}")
            if r.tools:
                out(Text(f"   tools: {', '.join(r.tools)}", style="dim"))
        out("")

    ins = report.inspection
    kinds = ", ".join(f"{k} {v}" for k, v in ins.files_by_kind.items())
    out(Text(f"Inspected: {kinds or 'no files'}", style="dim"))
    if ins.skipped:
        reasons: dict[str, int] = {}
        for sk in ins.skipped:
            reasons[sk.reason] = reasons.get(sk.reason, 0) + 1
        out(Text("Skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
                 + "  (--format json lists them)", style="dim"))
    for note in ins.notes:
        out(Text(f"Note: {note}", style="yellow"))
    out(Text(f"Done in {ins.duration_seconds:.2f}s"
             + (f" ({ins.cached_files} files from cache)" if ins.cached_files else ""), style="dim"))
    console.print(*parts, sep="\n")
    return buf.getvalue()


def _mark(cid: str, cap: object) -> tuple[str, str]:
    present = getattr(cap, "present")
    if cid == "model_artifacts_in_git":  # present is the problem: a red cross, and absence is just absence
        return ("✗", "red") if present else ("·", "dim")
    if present:
        return "✓", "green"
    if getattr(cap, "declared_only"):
        return "~", "yellow"
    return "·", "dim"


def _ev(e: object) -> str:
    path = getattr(e, "path")
    cell = getattr(e, "cell", None)
    line = getattr(e, "line", None)
    return f"{path}{f'[cell {cell}]' if cell else ''}{f':{line}' if line else ''}"


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n:.1f} TB"


def _limit(items: list[str], n: int) -> Iterable[str]:
    yield from items[:n]
    if len(items) > n:
        yield f"... and {len(items) - n} more"
