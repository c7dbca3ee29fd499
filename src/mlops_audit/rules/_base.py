"""The rule model: metadata declared once with ``@rule``, plus a pure check.

A check receives a ``RuleContext`` (facts, detection, configuration, stakes)
and yields ``Hit``s; the engine turns hits into ``Finding``s with severity,
remediation fitted to the detected stack, and a fingerprint that survives line
shifts. ``rules``, ``rules ID``, the docs pages, SARIF rule metadata and the
seed traceability table all read ``REGISTRY``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from .._patterns import lazy
from .._records import record
from ..model import Severity

if TYPE_CHECKING:
    from ..config import AuditConfig
    from ..detect import Detection
    from ..facts import Facts

__all__ = ["RuleMeta", "Rule", "Hit", "RuleContext", "rule", "REGISTRY", "AREA_PREFIX", "all_rules"]

AREA_PREFIX = {
    "tracking": "TRK", "reproducibility": "REP", "versioning": "VER", "registry": "REG",
    "data_quality": "DAT", "testing": "TST", "automation": "AUT", "serving": "SRV",
    "monitoring": "MON", "rollout": "ROL", "llm": "LLM", "compute": "CMP", "security": "SEC",
    "notebooks": "NBK",
}
# security is not an area of capabilities.yaml: its findings are scored under the area they endanger
SECURITY_AREA_OF = "reproducibility"
_ID = lazy(r"^[A-Z]{3}\d{3}$")
_NAME = lazy(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@record()
class RuleMeta:
    id: str
    name: str                 # kebab-case, states the problem: model-loaded-per-request
    area: str                 # an area of capabilities.yaml
    severity: Severity
    title: str
    rationale: str            # why it matters, citing the source where there is one
    remediation: str | Mapping[str, str]   # text, or {tool: text, ..., "default": text}
    seeds: tuple[str, ...] = ()            # seed-checks.md item ids this rule covers
    concept: str | None = None             # report-contract defect concept
    references: tuple[str, ...] = ()
    fixable: bool = False                  # `mlops-audit fix` can scaffold it
    bad: str = ""                          # example that triggers the rule
    good: str = ""                         # the same, fixed
    requires: tuple[str, ...] = ()         # applicability: "serving", "llm", "deep_learning", "training", ...
    stakes_sensitive: bool = True          # low stakes demote, high stakes keep
    principle: str = ""                    # craft-mlops principle the gap belongs to
    tools: tuple[str, ...] = ()            # tools the recommendation suggests

    def remediation_for(self, tools: Iterable[str]) -> str:
        if isinstance(self.remediation, str):
            return self.remediation
        for tool in tools:
            if tool in self.remediation:
                return self.remediation[tool]
        return self.remediation.get("default", next(iter(self.remediation.values()), ""))


@record()
class Hit:
    """One occurrence a check found. ``path`` None means a repository-level finding."""

    path: str | None
    line: int | None = None
    message: str = ""
    end_line: int | None = None
    cell: int | None = None
    key: str = ""                     # stable identity for the fingerprint (defaults to the message)
    severity: Severity | None = None  # override the rule's default for this occurrence


@record()
class Rule:
    meta: RuleMeta
    check: Callable[["RuleContext"], Iterable[Hit]]


@dataclass
class RuleContext:
    facts: "Facts"
    detection: "Detection"
    config: "AuditConfig"
    stakes: str = "medium"
    cache: dict = field(default_factory=dict)   # memo shared by the checks of one audit

    def memo(self, key: str, compute: Callable[[], object]) -> object:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


REGISTRY: dict[str, Rule] = {}


def rule(**meta: object) -> Callable[[Callable[[RuleContext], Iterable[Hit]]], Callable[[RuleContext], Iterable[Hit]]]:
    """Declare a rule: metadata and check in one place. The decorator is the only registration."""
    m = RuleMeta(**meta)  # type: ignore[arg-type]
    if not _ID.match(m.id):
        raise ValueError(f"bad rule id {m.id!r}")
    if not _NAME.match(m.name):
        raise ValueError(f"bad rule name {m.name!r}")
    if m.id in REGISTRY:
        raise ValueError(f"duplicate rule id {m.id}")

    def register(check: Callable[[RuleContext], Iterable[Hit]]) -> Callable[[RuleContext], Iterable[Hit]]:
        REGISTRY[m.id] = Rule(m, check)
        return check
    return register


def all_rules() -> list[Rule]:
    """Every rule, in id order (imports the area modules on first use)."""
    from . import load_all

    load_all()
    return [REGISTRY[k] for k in sorted(REGISTRY)]

