"""mlops-audit: how production-ready is this ML system, and what to fix first.

    >>> from mlops_audit import audit
    >>> report = audit("path/to/repo")
    >>> report.summary.verdict
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["audit", "Report", "__version__"]

if TYPE_CHECKING:
    from .model import Report


def __getattr__(name: str) -> Any:
    # lazy: `mlops-audit --help` must not pay for the whole pipeline
    if name == "audit":
        from .api import audit

        return audit
    if name == "Report":
        from .model import Report

        return Report
    raise AttributeError(name)
