"""Audit configuration: a frozen ``AuditConfig``.

Loaded from ``.mlops-audit.toml`` or ``[tool.mlops-audit]`` in pyproject.toml
at the scanned root, or from an explicit ``--config FILE`` (see
``load_config``), then overridden by command-line options (``with_overrides``).
Keys are kebab-case. An unknown or mistyped key is an error that names the key
and the file, with the closest valid key as a suggestion; the CLI maps every
``ConfigError`` to exit code 2. docs/configuration.md documents every key.
"""
from __future__ import annotations

import os
from dataclasses import field, replace
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterable, Mapping

from ._records import record

__all__ = ["AuditConfig", "ConfigError", "Contracts", "load_config", "with_overrides", "CONFIG_FILE",
           "SEVERITIES", "FAIL_ON_LEVELS", "glob_match"]

CONFIG_FILE = ".mlops-audit.toml"
SEVERITIES = ("critical", "high", "medium", "low", "info")
FAIL_ON_LEVELS = ("critical", "high", "medium", "low")
STAKES = ("high", "medium", "low")


class ConfigError(ValueError):
    """A configuration problem the user must fix (exit code 2)."""


@record()
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


def glob_match(path: str, pattern: str) -> bool:
    """Repo-relative POSIX ``path`` against a glob: ``*`` crosses folders, ``**/`` may match none, a folder
    pattern covers everything below it."""
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
        return True
    return pattern.startswith("**/") and glob_match(path, pattern[3:])


@record()
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
    fail_on: str | None = None               # CI gate: critical | high | medium | low; None = never fail
    baseline: str | None = None              # baseline file (relative to the scanned root when from a file)

    def exclude_matcher(self) -> Callable[[str], bool] | None:
        if not self.exclude:
            return None
        patterns = self.exclude

        def match(path: str) -> bool:
            return any(glob_match(path, p) for p in patterns)
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
            if glob_match(path, pattern) and any(rule_id.startswith(p) for p in ids):
                return True
        return False


# -- loading -------------------------------------------------------------------------------------------------
_TOP_KEYS = ("select", "extend-select", "ignore", "per-file-ignores", "severity", "stakes", "applicability",
             "areas", "exclude", "contracts", "fail-on", "baseline")
_CONTRACT_KEYS = ("latency-p50-ms", "latency-p95-ms", "latency-p99-ms", "throughput-qps", "error-budget",
                  "drift", "rollout")
_DRIFT_KEYS = ("feature", "type", "metric", "threshold", "window", "runbook")
_ROLLOUT_KEYS = ("shadow", "canary", "rollback", "time-to-rollback")


class _Doc:
    """Validation helpers that name the file and the table in every message."""

    def __init__(self, source: str, table: str) -> None:
        self.source = source
        self.table = table

    def error(self, msg: str, table: str | None = None) -> ConfigError:
        return ConfigError(f"{self.source}: [{table or self.table}] {msg}")

    def check_keys(self, data: Mapping[str, Any], allowed: Iterable[str], table: str) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key in allowed:
                continue
            hint = ""
            if isinstance(key, str) and key.replace("_", "-") in allowed:
                hint = f" (did you mean '{key.replace('_', '-')}'? keys are kebab-case)"
            else:
                close = _closest(str(key), allowed)
                hint = f" (did you mean '{close}'?)" if close else f" (valid keys: {', '.join(allowed)})"
            raise self.error(f"unknown key '{key}'{hint}", table)

    def table_of(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(f"'{key}' must be a table, got {_kind(value)}")
        return value

    def strings(self, value: Any, key: str, table: str | None = None) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(f"'{key}' must be a list of strings, got {_kind(value)}", table)
        return tuple(v.strip() for v in value)

    def number(self, value: Any, key: str, table: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.error(f"'{key}' must be a positive number, got {value!r}", table)
        return float(value)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a misspelt word most likely meant (difflib is imported only when a configuration is wrong)."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _rule_ids() -> list[str]:
    from .rules import all_rules

    return [r.meta.id for r in all_rules()]


def _selectors(doc: _Doc, value: Any, key: str, table: str | None = None, exact: bool = False) -> tuple[str, ...]:
    """Rule ids or prefixes (``SEC``, ``SRV0``, ``SRV001``); each must name at least one rule."""
    out = []
    known = _rule_ids()
    for raw in doc.strings(value, key, table):
        for item in (p.strip() for p in raw.split(",")):
            if not item:
                continue
            up = item.upper()
            hits = [r for r in known if r == up] if exact else [r for r in known if r.startswith(up)]
            if not hits:
                close = _closest(up, known)
                hint = f" (did you mean '{close}'?)" if close else ""
                what = "rule id" if exact else "rule id or prefix"
                raise doc.error(f"'{key}': '{item}' is not a known {what}{hint}", table)
            out.append(up)
    return tuple(dict.fromkeys(out))


def _areas(doc: _Doc, value: Any, key: str, table: str | None = None) -> tuple[str, ...]:
    from .applicability import AREAS

    out = []
    for area in doc.strings(value, key, table):
        area = area.replace("-", "_")
        if area not in AREAS:
            close = _closest(area, AREAS)
            hint = f" (did you mean '{close}'?)" if close else f" (areas: {', '.join(AREAS)})"
            raise doc.error(f"'{key}': unknown area '{area}'{hint}", table)
        out.append(area)
    return tuple(dict.fromkeys(out))


def _choice(doc: _Doc, value: Any, key: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise doc.error(f"'{key}' must be one of {', '.join(choices)}, got {value!r}")
    return value.lower()


def _contracts(doc: _Doc, data: Mapping[str, Any], source: str) -> Contracts:
    table = f"{doc.table}.contracts"
    doc.check_keys(data, _CONTRACT_KEYS, table)
    values: dict[str, Any] = {}
    for key in ("latency-p50-ms", "latency-p95-ms", "latency-p99-ms", "throughput-qps"):
        if key in data:
            values[key.replace("-", "_")] = doc.number(data[key], key, table)
    if "error-budget" in data:
        values["error_budget"] = _error_budget(doc, data["error-budget"], table)
    drift: list[Mapping[str, object]] = []
    raw_drift = data.get("drift", [])
    if not isinstance(raw_drift, list):
        raise doc.error("'drift' must be an array of tables: write [[tool.mlops-audit.contracts.drift]]", table)
    for i, item in enumerate(raw_drift, start=1):
        where = f"{table}.drift] [entry {i}"
        if not isinstance(item, dict):
            raise doc.error(f"drift entry {i} must be a table", table)
        doc.check_keys(item, _DRIFT_KEYS, where)
        for key in ("metric",):
            if key not in item:
                raise doc.error(f"'{key}' is required", where)
        if "feature" not in item and "type" not in item:
            raise doc.error("name the monitored 'feature' (or a feature 'type')", where)
        if "threshold" not in item:
            raise doc.error("'threshold' is required", where)
        for key in ("feature", "type", "metric", "runbook"):
            if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                raise doc.error(f"'{key}' must be a non-empty string", where)
        if isinstance(item["threshold"], bool) or not isinstance(item["threshold"], (int, float)):
            raise doc.error(f"'threshold' must be a number, got {item['threshold']!r}", where)
        if "window" in item and (isinstance(item["window"], bool) or not isinstance(item["window"], (str, int))):
            raise doc.error("'window' must be a duration such as \"7d\" or a number of days", where)
        drift.append(dict(item))
    rollout: dict[str, object] = {}
    if "rollout" in data:
        raw = data["rollout"]
        rtable = f"{table}.rollout"
        if not isinstance(raw, dict):
            raise doc.error("'rollout' must be a table", table)
        doc.check_keys(raw, _ROLLOUT_KEYS, rtable)
        if "shadow" in raw and not isinstance(raw["shadow"], bool):
            raise doc.error("'shadow' must be true or false", rtable)
        if "canary" in raw:
            steps = raw["canary"]
            steps = [steps] if isinstance(steps, (int, float)) and not isinstance(steps, bool) else steps
            if not isinstance(steps, list) or not steps or not all(
                    isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s <= 100 for s in steps):
                raise doc.error("'canary' must list traffic percentages in (0, 100], e.g. [1, 10, 50, 100]", rtable)
            raw = {**raw, "canary": list(steps)}
        if "rollback" in raw and not isinstance(raw["rollback"], (str, bool)):
            raise doc.error("'rollback' must be a command, a runbook path or true", rtable)
        if "time-to-rollback" in raw and (isinstance(raw["time-to-rollback"], bool)
                                         or not isinstance(raw["time-to-rollback"], (str, int, float))):
            raise doc.error("'time-to-rollback' must be a duration such as \"5m\" or a number of minutes", rtable)
        rollout = {k.replace("-", "_"): v for k, v in raw.items()}
    return Contracts(drift=tuple(drift), rollout=rollout, source=source, **values)


def _error_budget(doc: _Doc, value: Any, table: str) -> float:
    """A fraction of requests allowed to fail: 0.001, or the string "0.1%"."""
    number: Any = value
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 < number < 1:
        raise doc.error(f"'error-budget' must be a fraction in (0, 1) such as 0.001, or a percentage string "
                        f"such as \"0.1%\", got {value!r}", table)
    return float(number)


def config_from_mapping(data: Mapping[str, Any], source: str = "<config>", table: str = "tool.mlops-audit",
                        base: AuditConfig | None = None) -> AuditConfig:
    """Validate one ``[tool.mlops-audit]`` table (kebab-case keys) into an ``AuditConfig``."""
    doc = _Doc(source, table)
    doc.check_keys(data, _TOP_KEYS, table)
    values: dict[str, Any] = {"source": source}
    if "select" in data:
        values["select"] = _selectors(doc, data["select"], "select")
    if "extend-select" in data:
        values["extend_select"] = _selectors(doc, data["extend-select"], "extend-select")
    if "ignore" in data:
        values["ignore"] = _selectors(doc, data["ignore"], "ignore")
    if "per-file-ignores" in data:
        pfi = doc.table_of(data["per-file-ignores"], "per-file-ignores")
        values["per_path_ignores"] = {glob: _selectors(doc, ids, glob, f"{table}.per-file-ignores")
                                      for glob, ids in pfi.items()}
    if "severity" in data:
        sev_table = f"{table}.severity"
        out = {}
        for rid, level in doc.table_of(data["severity"], "severity").items():
            rule_id = _selectors(doc, rid, rid, sev_table, exact=True)[0]
            if not isinstance(level, str) or level.lower() not in SEVERITIES:
                raise doc.error(f"'{rid}' must be one of {', '.join(SEVERITIES)}, got {level!r}", sev_table)
            out[rule_id] = level.lower()
        values["severity_overrides"] = out
    if "stakes" in data:
        values["stakes"] = _choice(doc, data["stakes"], "stakes", STAKES)
    if "applicability" in data:
        app_table = f"{table}.applicability"
        app = doc.table_of(data["applicability"], "applicability")
        out_app = {}
        for area, flag in app.items():
            (name,) = _areas(doc, area, area, app_table)
            if not isinstance(flag, bool):
                raise doc.error(f"'{area}' must be true or false, got {flag!r}", app_table)
            out_app[name] = flag
        values["applicability"] = out_app
    if "areas" in data:
        values["areas"] = _areas(doc, data["areas"], "areas")
    if "exclude" in data:
        values["exclude"] = doc.strings(data["exclude"], "exclude")
    if "fail-on" in data:
        values["fail_on"] = _choice(doc, data["fail-on"], "fail-on", FAIL_ON_LEVELS)
    if "baseline" in data:  # relative to the file that names it
        (name,) = doc.strings(data["baseline"], "baseline")
        values["baseline"] = os.path.join(os.path.dirname(source), name) if source != "<config>" else name
    if "contracts" in data:
        values["contracts"] = _contracts(doc, doc.table_of(data["contracts"], "contracts"), source)
    return replace(base or AuditConfig(), **values)


def _read_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def find_config(root: str) -> str | None:
    """The configuration file that applies at ``root``: .mlops-audit.toml, else a pyproject.toml that has
    a ``[tool.mlops-audit]`` table."""
    own = os.path.join(root, CONFIG_FILE)
    if os.path.isfile(own):
        return own
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        try:
            with open(pyproject, "rb") as fh:
                if b"mlops-audit" not in fh.read():
                    return None
        except OSError:
            return None
        data = _read_toml(pyproject)
        if isinstance(data.get("tool"), dict) and "mlops-audit" in data["tool"]:
            return pyproject
    return None


def load_config(root: str, config_file: str | None = None, base: AuditConfig | None = None) -> AuditConfig:
    """The configuration for an audit of ``root``: ``config_file`` if given, else the one found at ``root``.

    A pyproject.toml (or any file with a ``[tool.mlops-audit]`` table) is read from that table; any other
    file from its top level, like .mlops-audit.toml.
    """
    path = config_file or find_config(root)
    if path is None:
        return base or AuditConfig()
    data = _read_toml(path)
    tool = data.get("tool")
    if isinstance(tool, dict) and "mlops-audit" in tool:
        table = tool["mlops-audit"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool] 'mlops-audit' must be a table")
        return config_from_mapping(table, path, "tool.mlops-audit", base)
    if os.path.basename(path) == "pyproject.toml":
        raise ConfigError(f"{path}: no [tool.mlops-audit] table")
    return config_from_mapping(data, path, "mlops-audit", base)


def with_overrides(config: AuditConfig, *, select: Iterable[str] = (), ignore: Iterable[str] = (),
                   stakes: str | None = None, areas: Iterable[str] = (), fail_on: str | None = None,
                   baseline: str | None = None, exclude: Iterable[str] = ()) -> AuditConfig:
    """Command-line values over file values: ``select``, ``areas``, ``stakes``, ``fail_on`` and ``baseline``
    replace; ``ignore`` and ``exclude`` add to the file's lists."""
    doc = _Doc("command line", "options")
    values: dict[str, Any] = {}
    select, ignore, areas, exclude = tuple(select), tuple(ignore), tuple(areas), tuple(exclude)
    if select:
        values["select"] = _selectors(doc, list(select), "--select")
        values["extend_select"] = ()
    if ignore:
        values["ignore"] = tuple(dict.fromkeys(config.ignore + _selectors(doc, list(ignore), "--ignore")))
    if areas:
        values["areas"] = _areas(doc, [a.strip() for item in areas for a in item.split(",") if a.strip()], "--area")
    if exclude:
        values["exclude"] = tuple(dict.fromkeys(config.exclude + doc.strings(list(exclude), "--exclude")))
    if stakes is not None:
        values["stakes"] = _choice(doc, stakes, "--stakes", STAKES)
    if fail_on is not None:
        values["fail_on"] = _choice(doc, fail_on, "--fail-on", FAIL_ON_LEVELS)
    if baseline is not None:
        values["baseline"] = baseline
    return replace(config, **values) if values else config
