"""Run the rules and scoring: Facts + Detection + config -> findings, areas, summary.

Policy lives here, not in the CLI: which rules run (selection, targeted areas,
applicability), stakes-adjusted severities, per-path ignores, and the order
findings are reported in.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from ._patterns import lazy
from .applicability import applicable_areas, detect_stakes
from .model import Finding, Location, Severity
from .rules import REGISTRY, RuleContext, all_rules
from .rules._base import Hit, Rule
from .suppress import UNUSED_SUPPRESSION, apply_suppressions

if TYPE_CHECKING:
    from .config import AuditConfig
    from .detect import Detection
    from .facts import Facts

__all__ = ["evaluate", "fingerprint", "adjust_severity"]

_DIGITS = lazy(r"\d+")
_DEMOTE = {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW,
           Severity.LOW: Severity.LOW, Severity.INFO: Severity.INFO}


def fingerprint(rule_id: str, path: str | None, key: str, occurrence: int) -> str:
    """Stable across line shifts: rule, path and a line-free key of what was found."""
    norm = _DIGITS.sub("#", key) if key else ""
    raw = f"{rule_id}\0{path or '.'}\0{norm}\0{occurrence}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def adjust_severity(severity: Severity, stakes: str, sensitive: bool) -> Severity:
    """Low stakes demote one level (a research prototype is not failed for lacking a canary)."""
    if sensitive and stakes == "low":
        return _DEMOTE[severity]
    return severity


def _finding(rule: Rule, hit: Hit, ctx: RuleContext, occurrence: int) -> Finding:
    meta = rule.meta
    severity = hit.severity or meta.severity
    override = ctx.config.severity_overrides.get(meta.id)
    if override:
        severity = Severity(override)
    else:
        severity = adjust_severity(severity, ctx.stakes, meta.stakes_sensitive)
    tools = _stack_tools(ctx)
    location = None
    if hit.path is not None:
        location = Location(path=hit.path, line=hit.line, end_line=hit.end_line or hit.line, cell=hit.cell)
    message = hit.message or meta.title
    if hit.cell and hit.path and hit.line:
        # lines in notebooks count within a cell: "nb.ipynb:6" would point at the JSON, so name the cell
        message = message.replace(f"{hit.path}:{hit.line}", f"{hit.path} cell {hit.cell}, line {hit.line}")
    return Finding(
        rule=meta.id, name=meta.name, concept=meta.concept, severity=severity, area=meta.area, title=meta.title,
        message=message, location=location, remediation=meta.remediation_for(tools),
        fingerprint=fingerprint(meta.id, hit.path, hit.key or hit.message, occurrence),
    )


def _stack_tools(ctx: RuleContext) -> list[str]:
    """Tools in use, most specific first, so remediation speaks the project's own stack."""
    def compute() -> list[str]:
        inv = ctx.detection.inventory
        tools: list[str] = []
        for cid in ("experiment_tracking", "model_registry", "serving", "llm_usage", "pipeline_orchestration",
                    "data_versioning", "ci"):
            tools.extend(inv.capabilities[cid].tools)
        tools.extend(f.name for f in inv.frameworks)
        return list(dict.fromkeys(tools))
    return ctx.memo("stack_tools", compute)  # type: ignore[return-value]


def evaluate(facts: "Facts", detection: "Detection", config: "AuditConfig"):
    from .score import score

    stakes = config.stakes or detect_stakes(facts, detection)
    applicable = applicable_areas(facts, detection, config)
    ctx = RuleContext(facts=facts, detection=detection, config=config, stakes=stakes)
    findings: list[Finding] = []
    notes: list[str] = []
    ran: set[str] = set()
    selected = [rule for rule in all_rules() if config.rule_enabled(rule.meta.id)
                and not (config.areas and rule.meta.area not in config.areas)
                and applicable.get(rule.meta.area, True)]
    for rule_id, hits, error in (_check(r, ctx) for r in selected):
        if error:  # one broken rule must not sink the report
            notes.append(f"rule {rule_id} failed: {error}")
            continue
        ran.add(rule_id)
        findings.extend(_findings_of(REGISTRY[rule_id], hits, ctx))
    # inline suppressions (suppress.py): counted, never silently dropped; unused ones reported
    findings, suppressed, unused = apply_suppressions(_dedupe(findings), facts.suppressions, ran, REGISTRY.keys())
    if UNUSED_SUPPRESSION in ran:
        findings.extend(_findings_of(REGISTRY[UNUSED_SUPPRESSION], unused, ctx))
    findings.sort(key=lambda f: (-f.severity.rank, f.area, f.rule,
                                 f.location.path if f.location else "", (f.location.line or 0) if f.location else 0))
    areas, summary, recommendations, roadmap, principles = score(findings, detection, applicable, stakes, config)
    summary = replace(summary, suppressed=suppressed)
    return findings, areas, summary, recommendations, roadmap, principles, notes


def _check(rule: Rule, ctx: RuleContext) -> tuple[str, list[Hit], str]:
    """Run one check. Checks stay in this process: forking workers was measured and rejected, because
    touching the inherited facts heap copies it page by page (reference counts write to every object)."""
    try:
        return rule.meta.id, list(rule.check(ctx)), ""
    except Exception as exc:
        return rule.meta.id, [], f"{type(exc).__name__}: {exc}"


def _findings_of(rule: Rule, hits: list[Hit], ctx: RuleContext) -> list[Finding]:
    """Findings of one rule's hits: per-path ignores applied, repeated keys numbered for the fingerprint, and
    a hit that repeats an earlier one word for word at the same place dropped (``torch.load(a), torch.load(b)``
    on one line is one thing to fix)."""
    out: list[Finding] = []
    seen: dict[str, int] = {}
    said: set[tuple[str, int | None, int | None, str]] = set()
    for hit in hits:
        if ctx.config.ignored_at(rule.meta.id, hit.path):
            continue
        where = (hit.path, hit.line, hit.cell, hit.message)
        if where in said:
            continue
        said.add(where)
        k = f"{hit.path}\0{hit.key or hit.message}"
        seen[k] = seen.get(k, 0) + 1
        out.append(_finding(rule, hit, ctx, seen[k] - 1))
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.fingerprint in seen:
            continue
        seen.add(f.fingerprint)
        out.append(f)
    return out
