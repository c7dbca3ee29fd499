"""rules: one module per area; each rule is metadata plus a pure check over Facts + Detection.

Nothing here opens a file, runs a process or reads the environment.
"""
from __future__ import annotations

import importlib
import pkgutil

from ._base import REGISTRY, Hit, Rule, RuleContext, RuleMeta, all_rules, rule

__all__ = ["REGISTRY", "Hit", "Rule", "RuleContext", "RuleMeta", "all_rules", "rule", "load_all"]

_loaded = False


def load_all() -> None:
    """Import every area module once; their ``@rule`` decorators fill REGISTRY."""
    global _loaded
    if _loaded:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True
