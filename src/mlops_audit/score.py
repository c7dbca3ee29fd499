"""Scoring: findings + inventory + stakes -> per-area scores, maturity, automation
level, verdict, recommendations and roadmap.

Scorecard-style: an area that does not apply is ``not_applicable``, never a
silent pass or a fail. Maturity counts the seven areas of the review
(tracking, registry, serving, monitoring, automation/retraining, rollout, data
quality) over those that apply, mapped onto Initial / Defined / Measured /
Optimizing. The upper levels also need automation: Measured needs training as a
pipeline that CI tests (automation level 2), Optimizing needs continuous
training (level 3); a repository without training code needs CI that runs its
tests for either. Otherwise maturity is held at Defined, whatever the area
scores (a tidy research repository with nothing automated is not "Optimizing").
The six-principle view (automation, versioning, tracking, testing, monitoring,
reproducibility) is reported beside it.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .applicability import AREAS
from .model import AreaScore, Finding, Maturity, PrincipleScore, Recommendation, Roadmap, Severity, Summary

if TYPE_CHECKING:
    from .config import AuditConfig
    from .detect import Detection

__all__ = ["score", "MATURITY_AREAS", "PRINCIPLES", "maturity_level", "automation_level", "verdict_of",
           "PRIORITY_POLICY"]

MATURITY_AREAS = ("tracking", "registry", "serving", "monitoring", "automation", "rollout", "data_quality")
PRINCIPLES = {
    "automation": ("automation",),
    "versioning": ("versioning", "registry"),
    "experiment_tracking": ("tracking",),
    "testing": ("testing",),
    "monitoring": ("monitoring", "serving"),
    "reproducibility": ("reproducibility",),
}
PRIORITY_POLICY = {
    "critical": "fix before the next deployment",
    "high": "fix within the current sprint",
    "medium": "put on the backlog",
    "low": "fix when convenient",
    "info": "for information",
}
_WEIGHT = {Severity.CRITICAL: 4.0, Severity.HIGH: 2.0, Severity.MEDIUM: 0.8, Severity.LOW: 0.25, Severity.INFO: 0.0}
_LEVELS = ((7, "Optimizing"), (5, "Measured"), (3, "Defined"), (0, "Initial"))


def maturity_level(n: int) -> str:
    for floor, name in _LEVELS:
        if n >= floor:
            return name
    return "Initial"


def _area_score(findings: list[Finding]) -> tuple[str, float]:
    penalty = 0.0
    by_rule: dict[str, int] = {}
    for f in findings:
        # repeated hits of one rule weigh less than distinct problems
        n = by_rule.get(f.rule, 0)
        penalty += _WEIGHT[f.severity] / (1 + n)
        by_rule[f.rule] = n + 1
    value = round(max(0.0, 10.0 - penalty), 1)
    severities = {f.severity for f in findings}
    if Severity.CRITICAL in severities or value < 4:
        return "fail", value
    if Severity.HIGH in severities or value < 8:
        return "partial", value
    return "pass", value


def automation_level(detection: "Detection") -> int:
    """0 manual, 1 pipeline, 2 CI/CD, 3 continuous training."""
    return _automation(detection)[0]


def _automation(detection: "Detection") -> tuple[int, str]:
    caps = detection.inventory.capabilities
    ci_tests = caps["ci"].present and caps["ci_runs_tests"].present
    if not caps["pipeline_orchestration"].present:
        if not detection.training_files:
            # nothing is trained here (e.g. an app calling a hosted LLM): say so instead of blaming a pipeline
            return 0, ("no training pipeline: the repository trains no model; "
                       + ("CI runs its tests" if ci_tests else "no CI runs its tests either"))
        return 0, "manual: training is not defined as a pipeline"
    tools = ", ".join(caps["pipeline_orchestration"].tools)
    if not ci_tests:
        return 1, f"pipeline ({tools}), but no CI that tests and delivers it"
    if not caps["scheduled_retraining"].present:
        return 2, f"pipeline ({tools}) with CI running the tests; retraining is not triggered automatically"
    return 3, f"continuous training: pipeline ({tools}), CI, and an automatic retraining trigger"


# automation rules whose fix adds the missing automation capability (used to project maturity)
_AUTOMATION_FIXES = {"AUT001": "pipeline_orchestration", "AUT002": "scheduled_retraining",
                     "AUT003": "ci_runs_tests", "AUT004": "ci_runs_tests"}


def _maturity_cap(detection: "Detection", fixed: frozenset[str] = frozenset()) -> tuple[int, str]:
    """The highest maturity score the automation supports, and what would lift it ("" when nothing caps).

    ``fixed`` names rules whose findings are assumed fixed (the projection): fixing AUT001 adds a pipeline, etc.
    """
    caps = detection.inventory.capabilities
    have = {cid for cid in ("pipeline_orchestration", "scheduled_retraining") if caps[cid].present}
    if caps["ci"].present and caps["ci_runs_tests"].present:
        have.add("ci_runs_tests")
    have |= {cap for rule, cap in _AUTOMATION_FIXES.items() if rule in fixed}
    if not detection.training_files:
        if "ci_runs_tests" in have:
            return 7, ""
        return 4, "run the tests in CI"
    if not {"pipeline_orchestration", "ci_runs_tests"} <= have:
        return 4, "define training as a pipeline that CI tests (automation level 2)"
    if "scheduled_retraining" not in have:
        return 6, "trigger retraining automatically (continuous training, automation level 3)"
    return 7, ""


def verdict_of(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if Severity.CRITICAL in severities:
        return "NOT_READY"
    if Severity.HIGH in severities:
        return "NEEDS_ATTENTION"
    return "READY"


def _maturity(areas: dict[str, AreaScore]) -> tuple[int, list[str]]:
    applicable = [a for a in MATURITY_AREAS if areas[a].applicable]
    if not applicable:
        return 0, []
    points = sum(1.0 if areas[a].status == "pass" else 0.5 if areas[a].status == "partial" else 0.0
                 for a in applicable)
    n = int(round(7 * points / len(applicable)))
    weakest = sorted((a for a in applicable if areas[a].status != "pass"), key=lambda a: areas[a].score)
    return n, weakest


def _next_step(n: int, weakest: list[str], areas: dict[str, AreaScore], findings: list[Finding],
               raw: int | None = None, cap: int = 7, lift: str = "") -> str:
    """What lifts maturity one level: the weakest areas' gaps, and the automation when it holds the level."""
    if n >= 7:
        return "Optimizing: keep the gates green and review the roadmap quarterly."
    target = next(floor for floor, _ in sorted(_LEVELS) if floor > n) if n < 7 else 7
    name = maturity_level(target)
    auto_rules = list(dict.fromkeys(f.rule for f in findings if f.area == "automation"))[:3]

    def automate(cited: list[str]) -> str:
        more = [r for r in auto_rules if r not in cited]
        return f"automating: {lift}" + (f" ({', '.join(more)})" if more else "")
    if raw is not None and raw > cap:
        # the areas already score higher: automation is what holds the level
        return (f"Reach {name} ({target}/7) by {automate([])}. The areas alone score {raw}/7, but without that "
                f"automation maturity stays {maturity_level(n)}.")
    focus = weakest[:3]
    worst = [f for f in findings if f.area in focus and f.severity.rank >= Severity.HIGH.rank]
    rules = list(dict.fromkeys(f.rule for f in worst))[:4]
    if not focus and not any(areas[a].applicable for a in MATURITY_AREAS):
        return "No maturity area applies: the scan found no ML code to assess."
    what = f"the {', '.join(focus)} gaps" if focus else "the open findings"
    by = f" ({', '.join(rules)})" if rules else ""
    also = f" and {automate(rules)}" if cap < target and lift else ""
    return f"Reach {name} ({target}/7) by fixing {what}{by}{also}."


def score(findings: list[Finding], detection: "Detection", applicable: dict[str, bool], stakes: str,
          config: "AuditConfig"):
    from .applicability import applicability_reason

    by_area: dict[str, list[Finding]] = {a: [] for a in AREAS}
    for f in findings:
        by_area.setdefault(f.area, []).append(f)
    areas: dict[str, AreaScore] = {}
    for area in AREAS:
        if config.areas and area not in config.areas:
            areas[area] = AreaScore(status="not_applicable", score=0.0, applicable=False, findings=0,
                                    reason="not part of this targeted audit")
            continue
        if not applicable.get(area, True):
            reason = "disabled by configuration" if area in config.applicability else \
                applicability_reason(area, None, detection)[1]  # type: ignore[arg-type]
            areas[area] = AreaScore(status="not_applicable", score=0.0, applicable=False, findings=0, reason=reason)
            continue
        status, value = _area_score(by_area[area])
        areas[area] = AreaScore(status=status, score=value, applicable=True, findings=len(by_area[area]))
    raw, weakest = _maturity(areas)
    cap, lift = _maturity_cap(detection)
    n = min(raw, cap)
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    level, reason = _automation(detection)
    # what the roadmap buys: the verdict once the criticals are fixed, maturity once criticals and highs are
    remaining = [f for f in findings if f.severity != Severity.CRITICAL]
    fixed_areas = {a: (_rescore(areas[a], [f for f in by_area[a] if f.severity.rank < Severity.HIGH.rank]))
                   for a in areas}
    pn, pweak = _maturity(fixed_areas)
    fixed_rules = frozenset(f.rule for f in findings if f.severity.rank >= Severity.HIGH.rank)
    pn = min(pn, _maturity_cap(detection, fixed_rules)[0])
    principles = _principles(areas)
    next_step = _next_step(n, weakest, areas, findings, raw=raw, cap=cap, lift=lift)
    summary = Summary(
        verdict=verdict_of(findings),  # type: ignore[arg-type]
        maturity=Maturity(score=n, max=7, level=maturity_level(n), next_step=next_step),
        automation_level=level, automation_reason=reason, stakes=stakes,  # type: ignore[arg-type]
        counts=counts,
        projected_verdict=verdict_of(remaining),  # type: ignore[arg-type]
        projected_maturity=Maturity(score=pn, max=7, level=maturity_level(pn), next_step=""),
        principles_score=sum(1 for p in principles.values() if p.status == "pass"),
    )
    return areas, summary, _recommendations(findings), _roadmap(findings), principles


def _rescore(area: AreaScore, findings: list[Finding]) -> AreaScore:
    if not area.applicable:
        return area
    status, value = _area_score(findings)
    return replace(area, status=status, score=value, findings=len(findings))


def _principles(areas: dict[str, AreaScore]) -> dict[str, PrincipleScore]:
    """The six-principle view: each principle's status is its weakest applicable area's."""
    out: dict[str, PrincipleScore] = {}
    order = {"fail": 0, "partial": 1, "pass": 2}
    for name, members in PRINCIPLES.items():
        applicable = [areas[a] for a in members if a in areas and areas[a].applicable]
        if not applicable:
            out[name] = PrincipleScore(status="not_applicable", score=0.0, areas=list(members),
                                       detail="no applicable area")
            continue
        worst = min(applicable, key=lambda a: (order[a.status], a.score))
        score = round(sum(a.score for a in applicable) / len(applicable), 1)
        detail = ", ".join(f"{m} {areas[m].status}" for m in members if m in areas and areas[m].applicable)
        out[name] = PrincipleScore(status=worst.status, score=score, areas=list(members), detail=detail)
    return out


def _principle_of(area: str) -> str:
    for name, areas in PRINCIPLES.items():
        if area in areas:
            return name
    return area


def _recommendations(findings: list[Finding]) -> list[Recommendation]:
    from .rules import REGISTRY

    recs: dict[str, Recommendation] = {}
    for f in findings:
        if f.rule in recs:
            continue
        meta = REGISTRY[f.rule].meta if f.rule in REGISTRY else None
        recs[f.rule] = Recommendation(
            principle=(meta.principle if meta and meta.principle else _principle_of(f.area)),
            gap=f.title, priority=f"{f.severity.value}: {PRIORITY_POLICY[f.severity.value]}",
            recommendation=f.remediation, implementation=(meta.good if meta else ""),
            tools=list(meta.tools) if meta else [], rules=[f.rule],
        )
    return list(recs.values())


def _roadmap(findings: list[Finding]) -> Roadmap:
    immediate: dict[str, int] = {}
    short: dict[str, int] = {}
    medium: dict[str, int] = {}
    for f in findings:
        bucket = immediate if f.severity == Severity.CRITICAL else short if f.severity == Severity.HIGH else medium
        key = f"{f.rule} {f.title}"
        bucket[key] = bucket.get(key, 0) + 1

    def items(d: dict[str, int]) -> list[str]:
        return [k + (f" ({n} places)" if n > 1 else "") for k, n in d.items()]
    return Roadmap(immediate=items(immediate), short_term=items(short), medium_term=items(medium))
