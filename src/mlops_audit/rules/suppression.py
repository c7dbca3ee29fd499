"""Hygiene of inline suppressions (``# mlops-audit: ignore[ID] -- reason``).

Not an ML defect but part of the CI gate: a silenced finding must say why, and
a suppression that no longer silences anything must go, or it will hide the
next real problem on that line. The comments themselves are collected by
collect/ into ``Facts.suppressions``; matching happens in engine.py through
suppress.py.
"""
from __future__ import annotations

from typing import Iterator

from ..model import Severity
from ..suppress import INVALID_SUPPRESSION, UNUSED_SUPPRESSION, invalid_hits
from ._base import Hit, RuleContext, rule

_REMEDIATION_INVALID = (
    "Write the suppression as `# mlops-audit: ignore[RULE-ID] -- reason`, naming the rule (or several, "
    "comma-separated) and saying why the finding is acceptable here. Until then the finding stays reported."
)
_REMEDIATION_UNUSED = (
    "Delete the comment, or correct the rule id. A stale suppression silently swallows the next finding "
    "that lands on that line."
)


@rule(id=INVALID_SUPPRESSION, name="suppression-without-reason", area="automation", severity=Severity.INFO,
      title="Suppression comment without a reason, or malformed",
      rationale="A suppression is a reviewed decision to accept a risk. Without a stated reason nobody can "
                "re-check that decision later, so mlops-audit honours only suppressions that carry one, and "
                "reports malformed comments instead of guessing what they meant.",
      remediation=_REMEDIATION_INVALID, stakes_sensitive=False, principle="automation",
      bad="model = torch.load(path)  # mlops-audit: ignore[SEC001]",
      good="model = torch.load(path)  # mlops-audit: ignore[SEC001] -- checkpoint built by our own CI job")
def suppression_without_reason(ctx: RuleContext) -> Iterator[Hit]:
    """Every suppression comment that is malformed or gives no reason after ``--``."""
    yield from invalid_hits(ctx.facts.suppressions)


@rule(id=UNUSED_SUPPRESSION, name="unused-suppression", area="automation", severity=Severity.INFO,
      title="Suppression comment that silences nothing",
      rationale="Code moves and rules improve: a suppression whose finding is gone, or whose rule id names no "
                "rule, no longer documents an accepted risk and would hide a new finding on the same line.",
      remediation=_REMEDIATION_UNUSED, stakes_sensitive=False, principle="automation",
      bad="import json  # mlops-audit: ignore[SEC001] -- legacy loader",
      good="import json")
def unused_suppression(ctx: RuleContext) -> Iterator[Hit]:
    """Reported by the engine once every other rule has run (it needs their findings); nothing to do here."""
    return iter(())
