"""Test-only rules and helpers for the developer-workflow tests (suppressions, baseline, CLI, renderers).

The workflow features must not depend on which ML rules exist at the moment,
so these tests register a handful of tiny rules (ids WFT9xx) for their own
duration and remove them afterwards. Each flags something simple and exact
in one kind of file: pickle.load calls (Python and notebooks), unpinned
requirements, untagged Dockerfile base images, ``debug = true`` in YAML/TOML,
a repository-level and a notebook file-level finding.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import pytest

from mlops_audit.model import Severity
from mlops_audit.rules import REGISTRY, all_rules, rule
from mlops_audit.rules._base import Hit, RuleContext

if TYPE_CHECKING:
    from mlops_audit.model import Report

WFT_IDS = ("WFT901", "WFT902", "WFT903", "WFT904", "WFT905", "WFT906")
_COMMON = dict(area="reproducibility", rationale="Test-only rule.", stakes_sensitive=False)


def _pickle_loads(ctx: RuleContext) -> Iterator[Hit]:
    for py in ctx.facts.code_units():
        for call in py.calls:
            if call.qualname == "pickle.load":
                yield Hit(py.path, call.line, f"{py.path}:{call.line} unpickles data", end_line=call.end_line,
                          cell=call.cell, key=f"pickle.load@{call.scope}")


def _unpinned(ctx: RuleContext) -> Iterator[Hit]:
    for m in ctx.facts.manifests:
        if m.kind == "requirements":
            for r in m.requirements:
                if not r.pinned:
                    yield Hit(m.path, r.line, f"{m.path}:{r.line} {r.name} is not pinned", key=r.name)


def _untagged_base(ctx: RuleContext) -> Iterator[Hit]:
    for d in ctx.facts.dockerfiles:
        for ins in d.instructions:
            if ins.instruction == "FROM":
                image = ins.value.split()[0]
                if ":" not in image or image.endswith(":latest"):
                    yield Hit(d.path, ins.line, f"{d.path}:{ins.line} base image {image} is not pinned", key=image)


def _debug_on(ctx: RuleContext) -> Iterator[Hit]:
    for doc in ctx.facts.configs:
        if isinstance(doc.data, dict) and doc.data.get("debug") is True:
            yield Hit(doc.path, doc.line_of("debug"), f"{doc.path} turns debug on", key="debug")


def _repo_level(ctx: RuleContext) -> Iterator[Hit]:
    yield Hit(None, None, "the repository has no model card", key="model-card")


def _notebook_file(ctx: RuleContext) -> Iterator[Hit]:
    for nb in ctx.facts.notebooks:
        yield Hit(nb.path, None, f"{nb.path} is a notebook", key="notebook")


_SPECS = (
    (dict(id="WFT901", name="test-pickle-load", severity=Severity.HIGH, title="pickle.load call",
          remediation={"sklearn": "Use skops.", "default": "Load with a safe format."},
          bad="pickle.load(fh)", good="safetensors.load(fh)", concept="unsafe_deserialization"), _pickle_loads),
    (dict(id="WFT902", name="test-unpinned-requirement", severity=Severity.MEDIUM, title="Unpinned requirement",
          remediation="Pin it."), _unpinned),
    (dict(id="WFT903", name="test-untagged-base-image", severity=Severity.LOW, title="Untagged base image",
          remediation="Pin a digest."), _untagged_base),
    (dict(id="WFT904", name="test-debug-enabled", severity=Severity.CRITICAL, title="Debug enabled",
          remediation="Turn debug off."), _debug_on),
    (dict(id="WFT905", name="test-no-model-card", severity=Severity.INFO, title="No model card",
          remediation="Write MODEL_CARD.md."), _repo_level),
    (dict(id="WFT906", name="test-notebook-present", severity=Severity.MEDIUM, title="Notebook in the repository",
          remediation="Move the code to modules."), _notebook_file),
)


@contextmanager
def registered_test_rules() -> Iterator[tuple[str, ...]]:
    all_rules()  # load the real rules first so the registry is complete
    try:
        for meta, check in _SPECS:
            rule(**_COMMON, **meta)(check)
        yield WFT_IDS
    finally:
        for rid in WFT_IDS:
            REGISTRY.pop(rid, None)


@pytest.fixture
def wft_rules() -> Iterator[tuple[str, ...]]:
    """Register the WFT9xx test rules for one test."""
    with registered_test_rules() as ids:
        yield ids


def sample_report() -> "Report":
    """A hand-made report that exercises every renderer path: each severity, a multi-line finding, a
    notebook cell, a file-level and a repository-level finding, a rule the registry does not know, HTML
    and Markdown metacharacters in a message, applicable and not applicable areas, capabilities with
    evidence, artifacts, roadmap and notes."""
    from mlops_audit.model import (
        AreaScore, Artifacts, CapabilityResult, Evidence, Finding, FrameworkInfo, Inspection, Inventory,
        Lifecycle, Location, Maturity, ModelArtifact, NotebookArtifact, Report, Roadmap, Summary, Target, ToolInfo,
    )

    def f(rule: str, sev: str, area: str, title: str, message: str, loc: Location | None, fp: str,
          concept: str | None = None, name: str = "") -> Finding:
        return Finding(rule=rule, severity=Severity(sev), area=area, title=title, message=message, location=loc,
                       fingerprint=fp, concept=concept, name=name, remediation=f"Fix {rule} like this.")

    findings = [
        f("SRV001", "critical", "serving", "Model loaded inside a request handler",
          "src/serve.py:12 calls joblib.load inside the POST /predict handler",
          Location(path="src/serve.py", line=12, end_line=14), "fp-srv001", "model_load_per_request",
          "model-loaded-per-request"),
        f("SEC001", "high", "reproducibility", "torch.load without weights_only",
          "src/train.py:7 calls torch.load without weights_only=True", Location(path="src/train.py", line=7, end_line=7),
          "fp-sec001", "unsafe_deserialization", "torch-load-without-weights-only"),
        f("MON001", "high", "monitoring", "No drift detection",
          "the repository serves predictions but nothing compares live inputs with training data", None,
          "fp-mon001", None, "no-drift-detection"),
        f("TRK001", "medium", "tracking", "Training run is not logged",
          "notebook notebooks/explore.ipynb fits a model but logs nothing",
          Location(path="notebooks/explore.ipynb", line=2, end_line=2, cell=4), "fp-trk001"),
        f("XYZ001", "medium", "testing", "A rule from another version",
          "message with <script>alert(1)</script> | a pipe & an ampersand", Location(path="tests/x.py", line=1),
          "fp-xyz001"),
        f("REP006", "low", "reproducibility", "Docker base image is not pinned", "Dockerfile:1 FROM python:latest",
          Location(path="Dockerfile", line=1, end_line=1), "fp-rep006"),
        f("NBK001", "info", "reproducibility", "Notebook cells ran out of order", "notebooks/old.ipynb ran out of order",
          Location(path="notebooks/old.ipynb"), "fp-nbk001", "notebook_out_of_order"),
    ]
    counts = {s.value: 0 for s in Severity}
    for x in findings:
        counts[x.severity.value] += 1
    caps = {
        "experiment_tracking": CapabilityResult(present=True, tools=["mlflow"], area="tracking",
                                                evidence=[Evidence(path="src/train.py", line=3, detail="import mlflow")]),
        "model_registry": CapabilityResult(present=False, area="registry"),
        "serving": CapabilityResult(present=True, tools=["fastapi"], area="serving",
                                    evidence=[Evidence(path="src/serve.py", line=5, detail="FastAPI()")]),
        "drift_detection": CapabilityResult(present=False, declared_only=True, tools=["evidently"], area="monitoring",
                                            evidence=[Evidence(path="requirements.txt", line=4)]),
        "model_artifacts_in_git": CapabilityResult(present=True, area="versioning",
                                                   evidence=[Evidence(path="models/model.pkl")]),
    }
    areas = {
        "tracking": AreaScore(status="partial", score=6.5, applicable=True, findings=1),
        "reproducibility": AreaScore(status="fail", score=3.0, applicable=True, findings=3),
        "serving": AreaScore(status="fail", score=2.0, applicable=True, findings=1),
        "monitoring": AreaScore(status="partial", score=7.5, applicable=True, findings=1),
        "registry": AreaScore(status="pass", score=10.0, applicable=True, findings=0),
        "llm": AreaScore(status="not_applicable", score=0.0, applicable=False, reason="no LLM calls"),
    }
    return Report(
        tool=ToolInfo(version="0.1.0"),
        target=Target(path="services/churn", commit="0123456789abcdef0123456789abcdef01234567", dirty=False),
        inventory=Inventory(
            frameworks=[FrameworkInfo(name="sklearn", declared="scikit-learn>=1.3",
                                      evidence=[Evidence(path="requirements.txt", line=2)])],
            capabilities=caps,
            artifacts=Artifacts(models=[ModelArtifact(path="models/model.pkl", bytes=2048, storage="git")],
                                notebooks=[NotebookArtifact(path="notebooks/old.ipynb", cells=9, in_order=False)]),
            lifecycle=Lifecycle(present=["training", "serving"], missing=["monitoring"]),
        ),
        findings=findings, areas=areas,
        summary=Summary(verdict="NOT_READY", maturity=Maturity(score=3, level="Defined", next_step="Fix serving."),
                        automation_level=1, stakes="high", counts=counts, suppressed=2, baselined=0),
        inspection=Inspection(files_by_kind={"python": 4, "notebook": 2}, notes=["rule XYZ002 failed: boom"]),
        roadmap=Roadmap(immediate=["SRV001 Model loaded inside a request handler"],
                        short_term=["SEC001 torch.load without weights_only", "MON001 No drift detection"],
                        medium_term=["TRK001 Training run is not logged (2 places)"]),
    )
