"""Audit configuration: a frozen ``AuditConfig``.

Loaded from ``[tool.mlops-audit]`` in pyproject.toml or a ``.mlops-audit.toml``
(see ``load_config``), overridden by command-line options. Unknown keys are an
error that names the key and the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Callable, Mapping

__all__ = ["AuditConfig", "ConfigError", "Contracts"]


class ConfigError(ValueError):
    """A configuration problem the user must fix (exit code 2)."""


@dataclass(frozen=True)
class Contracts:
    """Promises a repository declares that code cannot show: SLOs, drift thresholds, rollout plan."""

    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    throughput_qps: float | None = None
    error_budget: float | None = None
    drift: tuple[Mapping[str, object], ...] = ()      # {feature|type, metric, threshold, window, runbook}
    rollout: Mapping[str, object] = field(default_factory=dict)  # {shadow, canary: [...], rollback, time_to_rollback}
    source: str = ""                                   # the file that declared them

    @property
    def has_latency_slo(self) -> bool:
        return any(v is not None for v in (self.latency_p50_ms, self.latency_p95_ms, self.latency_p99_ms))


@dataclass(frozen=True)
class AuditConfig:
    use_cache: bool = True
    jobs: int | None = None
    select: tuple[str, ...] = ()             # rule ids or prefixes; empty = all
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # glob -> ids/prefixes
    severity_overrides: Mapping[str, str] = field(default_factory=dict)           # id -> severity
    stakes: str | None = None                # high | medium | low; None = detect
    applicability: Mapping[str, bool] = field(default_factory=dict)               # area -> applicable
    exclude: tuple[str, ...] = ()            # path globs
    areas: tuple[str, ...] = ()              # targeted audit: only these areas
    contracts: Contracts = field(default_factory=Contracts)
    source: str = ""                         # where this configuration came from

    def exclude_matcher(self) -> Callable[[str], bool] | None:
        if not self.exclude:
            return None
        patterns = self.exclude

        def match(path: str) -> bool:
            return any(fnmatchcase(path, p) or fnmatchcase(path, p.rstrip("/") + "/*") or path.startswith(p.rstrip("/") + "/")
                       for p in patterns)
        return match

    def rule_enabled(self, rule_id: str) -> bool:
        selected = (not self.select and not self.extend_select) or any(rule_id.startswith(p) for p in self.select)
        selected = selected or any(rule_id.startswith(p) for p in self.extend_select)
        if not self.select and self.extend_select:
            selected = True
        return selected and not any(rule_id.startswith(p) for p in self.ignore)

    def ignored_at(self, rule_id: str, path: str | None) -> bool:
        if path is None:
            return False
        for pattern, ids in self.per_path_ignores.items():
            if fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
                if any(rule_id.startswith(p) for p in ids):
                    return True
        return False
