"""JSON: the public report contract (report-contract.md), schema_version 1."""
from __future__ import annotations

from ..model import Report

__all__ = ["render"]


def render(report: Report, **_: object) -> str:
    return report.to_json(indent=2) + "\n"
