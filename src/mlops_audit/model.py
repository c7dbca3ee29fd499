"""The report: the public JSON contract (``schema_version`` 1), as frozen dataclasses.

Everything a renderer shows lives here; renderers only format. The classes are
plain standard-library dataclasses, so a scan pays no validation library at
start-up: only this package builds reports, from values of the declared types.
``Report.to_json`` writes the contract and ``Report.from_json`` reads it back,
checking every field (the whole-audit memo comes back through it). The JSON
Schema shipped with the package (``mlops_audit/data/report.schema.json``) is
generated from these classes by ``python -m mlops_audit.schema``; field
descriptions and numeric bounds live in each field's metadata for it.
"""
from __future__ import annotations

import json
from dataclasses import MISSING, field
from enum import Enum
from typing import Any, Callable, Literal, Optional, Union, get_args, get_origin, get_type_hints

from ._records import record

__all__ = [
    "SCHEMA_VERSION", "Severity", "Evidence", "Location", "FrameworkInfo", "CapabilityResult",
    "ModelArtifact", "NotebookArtifact", "PathArtifact", "Artifacts", "Lifecycle", "Inventory",
    "Finding", "AreaScore", "Maturity", "Summary", "Target", "ToolInfo", "SkippedFile",
    "Inspection", "Recommendation", "Roadmap", "PrincipleScore", "Report",
]

SCHEMA_VERSION = "1"


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}


def _spec(default: Any = MISSING, *, description: str | None = None, ge: float | None = None,
          le: float | None = None) -> Any:
    """A field with what the JSON Schema says beyond its type (schema.py reads the metadata)."""
    schema = {"description": description, "minimum": ge, "maximum": le}
    return field(default=default, metadata={"schema": {k: v for k, v in schema.items() if v is not None}})


# records: equality, hashing, repr and the frozen guard are shared functions, so importing the
# ~20 report classes compiles one generated method each instead of six (see _records)
_report_class = record(frozen=True, kw_only=True)


class _Record:
    """Base of the report classes: their JSON form."""

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)  # type: ignore[no-any-return]


@_report_class
class Evidence(_Record):
    path: str
    line: Optional[int] = None
    detail: str = ""
    cell: Optional[int] = _spec(None, description="1-based notebook cell, when path is a notebook")


@_report_class
class Location(_Record):
    path: str
    line: Optional[int] = None
    end_line: Optional[int] = None
    cell: Optional[int] = None


@_report_class
class FrameworkInfo(_Record):
    name: str
    declared: Optional[str] = _spec(None, description="requirement spec a manifest declares")
    evidence: list[Evidence] = field(default_factory=list)


@_report_class
class CapabilityResult(_Record):
    present: bool
    declared_only: bool = False
    tools: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    area: str = ""


@_report_class
class ModelArtifact(_Record):
    path: str
    bytes: Optional[int] = None
    storage: Literal["git", "lfs", "dvc", "untracked"]


@_report_class
class NotebookArtifact(_Record):
    path: str
    cells: int
    in_order: bool


@_report_class
class PathArtifact(_Record):
    path: str


@_report_class
class Artifacts(_Record):
    models: list[ModelArtifact] = field(default_factory=list)
    notebooks: list[NotebookArtifact] = field(default_factory=list)
    prompts: list[PathArtifact] = field(default_factory=list)
    eval_sets: list[PathArtifact] = field(default_factory=list)


@_report_class
class Lifecycle(_Record):
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@_report_class
class Inventory(_Record):
    frameworks: list[FrameworkInfo] = field(default_factory=list)
    capabilities: dict[str, CapabilityResult] = field(default_factory=dict)
    artifacts: Artifacts = field(default_factory=Artifacts)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)


@_report_class
class Finding(_Record):
    rule: str
    concept: Optional[str] = None
    severity: Severity
    area: str
    title: str
    message: str
    location: Optional[Location] = None
    remediation: str = ""
    fingerprint: str = ""
    name: str = _spec("", description="kebab-case rule name")


@_report_class
class AreaScore(_Record):
    status: Literal["pass", "partial", "fail", "not_applicable"]
    score: float = _spec(ge=0, le=10)
    applicable: bool
    findings: int = 0
    reason: str = ""


@_report_class
class Maturity(_Record):
    score: int
    max: int = 7
    level: str
    next_step: str = ""


@_report_class
class Summary(_Record):
    verdict: Literal["READY", "NEEDS_ATTENTION", "NOT_READY"]
    maturity: Maturity
    automation_level: int = _spec(ge=0, le=3)
    stakes: Literal["high", "medium", "low"]
    counts: dict[str, int]
    automation_reason: str = ""
    projected_verdict: Optional[Literal["READY", "NEEDS_ATTENTION", "NOT_READY"]] = _spec(
        None, description="the verdict once the immediate (critical) roadmap items are fixed")
    projected_maturity: Optional[Maturity] = _spec(
        None, description="maturity once the critical and high findings are fixed")
    principles_score: int = _spec(0, description="craft-mlops view: principles passing, out of 6")
    suppressed: int = _spec(0, description="findings silenced by inline `# mlops-audit: ignore[ID] -- reason`")
    baselined: int = _spec(0, description="findings left out because their fingerprint is in the --baseline")


@_report_class
class PrincipleScore(_Record):
    """One of the six MLOps principles (automation, versioning, tracking, testing, monitoring, reproducibility)."""

    status: Literal["pass", "partial", "fail", "not_applicable"]
    score: float = _spec(ge=0, le=10)
    areas: list[str] = field(default_factory=list)
    detail: str = ""


@_report_class
class Target(_Record):
    path: str
    commit: Optional[str] = None
    dirty: Optional[bool] = None


@_report_class
class ToolInfo(_Record):
    name: str = "mlops-audit"
    version: str


@_report_class
class SkippedFile(_Record):
    path: str
    reason: str
    detail: str = ""


@_report_class
class Inspection(_Record):
    """What was read, so a reader can trust an absence."""

    files_by_kind: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0
    cached_files: int = 0


@_report_class
class Recommendation(_Record):
    principle: str
    gap: str
    priority: str
    recommendation: str
    implementation: str = ""
    tools: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@_report_class
class Roadmap(_Record):
    immediate: list[str] = field(default_factory=list)
    short_term: list[str] = field(default_factory=list)
    medium_term: list[str] = field(default_factory=list)


@_report_class
class Report(_Record):
    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    target: Target
    inventory: Inventory
    findings: list[Finding] = field(default_factory=list)
    areas: dict[str, AreaScore] = field(default_factory=dict)
    summary: Optional[Summary] = None
    inspection: Inspection = field(default_factory=Inspection)
    recommendations: list[Recommendation] = field(default_factory=list)
    roadmap: Roadmap = field(default_factory=Roadmap)
    principles: dict[str, PrincipleScore] = field(default_factory=dict)

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON: every field, ``null`` included; compact when ``indent`` is None."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(_plain(self), indent=indent, separators=separators, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Report:
        """The report a ``to_json`` wrote; ValueError when the text is not one (corrupt, other contract)."""
        try:
            return _reader(cls)(json.loads(text))  # type: ignore[no-any-return]
        except (TypeError, KeyError, RecursionError) as exc:
            raise ValueError(f"not a report: {exc}") from exc


def _plain(value: Any) -> Any:
    """The JSON form of a report value: records as dicts in field order, enums as their values."""
    if isinstance(value, _Record):
        names = value.__dataclass_fields__  # type: ignore[attr-defined]
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


_READERS: dict[Any, Callable[[Any], Any]] = {}


def _reader(hint: Any) -> Callable[[Any], Any]:
    """A function turning the JSON form of a value of type ``hint`` back into the value; ValueError otherwise."""
    if hint not in _READERS:
        _READERS[hint] = _make_reader(hint)
    return _READERS[hint]


def _make_reader(hint: Any) -> Callable[[Any], Any]:
    origin, args = get_origin(hint), get_args(hint)
    if origin is Union:  # Optional[X]
        inner = _reader(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is list:
        item = _reader(args[0])
        return lambda v: [item(x) for x in _expect(v, list)]
    if origin is dict:
        value = _reader(args[1])
        return lambda v: {_expect(k, str): value(x) for k, x in _expect(v, dict).items()}
    if origin is Literal:
        return lambda v: v if isinstance(v, str) and v in args else _reject(v, hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if isinstance(hint, type) and issubclass(hint, _Record):
        return _record_reader(hint)
    if hint is float:
        return lambda v: float(_expect(v, (int, float)))
    return lambda v: _expect(v, hint)


def _record_reader(cls: type[_Record]) -> Callable[[Any], Any]:
    hints = get_type_hints(cls)
    readers = {name: _reader(hints[name]) for name in cls.__dataclass_fields__}  # type: ignore[attr-defined]

    def read(data: Any) -> Any:
        unknown = set(_expect(data, dict)) - readers.keys()
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
        return cls(**{name: readers[name](v) for name, v in data.items()})  # a missing field: TypeError
    return read


def _expect(value: Any, kind: Any) -> Any:
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    return _reject(value, kind)


def _reject(value: Any, kind: Any) -> Any:
    raise ValueError(f"expected {kind}, got {value!r:.40}")
