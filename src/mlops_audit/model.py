"""The report: the public JSON contract (``schema_version`` 1), as pydantic models.

Everything a renderer shows lives here; renderers only format. The JSON Schema
shipped with the package (``mlops_audit/data/report.schema.json``) is generated
from these models by ``python -m mlops_audit.schema``.
"""
from __future__ import annotations

from enum import Enum
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Model):
    path: str
    line: Optional[int] = None
    detail: str = ""
    cell: Optional[int] = Field(default=None, description="1-based notebook cell, when path is a notebook")


class Location(_Model):
    path: str
    line: Optional[int] = None
    end_line: Optional[int] = None
    cell: Optional[int] = None


class FrameworkInfo(_Model):
    name: str
    declared: Optional[str] = Field(default=None, description="requirement spec a manifest declares")
    evidence: list[Evidence] = []


class CapabilityResult(_Model):
    present: bool
    declared_only: bool = False
    tools: list[str] = []
    evidence: list[Evidence] = []
    area: str = ""


class ModelArtifact(_Model):
    path: str
    bytes: Optional[int] = None
    storage: Literal["git", "lfs", "dvc", "untracked"]


class NotebookArtifact(_Model):
    path: str
    cells: int
    in_order: bool


class PathArtifact(_Model):
    path: str


class Artifacts(_Model):
    models: list[ModelArtifact] = []
    notebooks: list[NotebookArtifact] = []
    prompts: list[PathArtifact] = []
    eval_sets: list[PathArtifact] = []


class Lifecycle(_Model):
    present: list[str] = []
    missing: list[str] = []


class Inventory(_Model):
    frameworks: list[FrameworkInfo] = []
    capabilities: dict[str, CapabilityResult] = {}
    artifacts: Artifacts = Artifacts()
    lifecycle: Lifecycle = Lifecycle()


class Finding(_Model):
    rule: str
    concept: Optional[str] = None
    severity: Severity
    area: str
    title: str
    message: str
    location: Optional[Location] = None
    remediation: str = ""
    fingerprint: str = ""
    name: str = Field(default="", description="kebab-case rule name")


class AreaScore(_Model):
    status: Literal["pass", "partial", "fail", "not_applicable"]
    score: float = Field(ge=0, le=10)
    applicable: bool
    findings: int = 0
    reason: str = ""


class Maturity(_Model):
    score: int
    max: int = 7
    level: str
    next_step: str = ""


class Summary(_Model):
    verdict: Literal["READY", "NEEDS_ATTENTION", "NOT_READY"]
    maturity: Maturity
    automation_level: int = Field(ge=0, le=3)
    stakes: Literal["high", "medium", "low"]
    counts: dict[str, int]
    automation_reason: str = ""
    projected_verdict: Optional[Literal["READY", "NEEDS_ATTENTION", "NOT_READY"]] = Field(
        default=None, description="the verdict once the immediate (critical) roadmap items are fixed")
    projected_maturity: Optional[Maturity] = Field(
        default=None, description="maturity once the critical and high findings are fixed")
    principles_score: int = Field(default=0, description="craft-mlops view: principles passing, out of 6")
    suppressed: int = Field(default=0, description="findings silenced by inline `# mlops-audit: ignore[ID] -- reason`")
    baselined: int = Field(default=0, description="findings left out because their fingerprint is in the --baseline")


class PrincipleScore(_Model):
    """One of the six MLOps principles (automation, versioning, tracking, testing, monitoring, reproducibility)."""

    status: Literal["pass", "partial", "fail", "not_applicable"]
    score: float = Field(ge=0, le=10)
    areas: list[str] = []
    detail: str = ""


class Target(_Model):
    path: str
    commit: Optional[str] = None
    dirty: Optional[bool] = None


class ToolInfo(_Model):
    name: str = "mlops-audit"
    version: str


class SkippedFile(_Model):
    path: str
    reason: str
    detail: str = ""


class Inspection(_Model):
    """What was read, so a reader can trust an absence."""

    files_by_kind: dict[str, int] = {}
    skipped: list[SkippedFile] = []
    notes: list[str] = []
    duration_seconds: float = 0.0
    cached_files: int = 0


class Recommendation(_Model):
    principle: str
    gap: str
    priority: str
    recommendation: str
    implementation: str = ""
    tools: list[str] = []
    rules: list[str] = []


class Roadmap(_Model):
    immediate: list[str] = []
    short_term: list[str] = []
    medium_term: list[str] = []


class Report(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    target: Target
    inventory: Inventory
    findings: list[Finding] = []
    areas: dict[str, AreaScore] = {}
    summary: Optional[Summary] = None
    inspection: Inspection = Inspection()
    recommendations: list[Recommendation] = []
    roadmap: Roadmap = Roadmap()
    principles: dict[str, PrincipleScore] = {}

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=False)
