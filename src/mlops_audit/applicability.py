"""Which areas apply to this repository, and how much is at stake.

A rule runs only where its area applies: no serving rules without a serving
surface, no LLM rules without LLM use, no compute rules without deep learning.
Stakes (seed item Z08) come from configuration or from objective signals: a
serving surface with prediction routes or deployment manifests is high; a
pipeline or registry without serving is medium; research code is low.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import AuditConfig
    from .detect import Detection
    from .facts import Facts

__all__ = ["applicable_areas", "detect_stakes", "DEEP_LEARNING", "AREAS", "applicability_reason"]

DEEP_LEARNING = frozenset({"pytorch", "tensorflow", "keras", "jax", "flax", "lightning", "transformers",
                           "diffusers", "peft", "trl", "fastai", "sentence_transformers"})
AREAS = ("tracking", "reproducibility", "versioning", "registry", "data_quality", "testing", "automation",
         "serving", "monitoring", "rollout", "llm", "compute")


def _has_ml(facts: "Facts", detection: "Detection") -> bool:
    inv = detection.inventory
    return bool(inv.frameworks or detection.training_files or inv.capabilities["llm_usage"].present
                or inv.artifacts.models)


def _serving(detection: "Detection") -> bool:
    caps = detection.inventory.capabilities
    return caps["serving"].present


def applicability_reason(area: str, facts: "Facts", detection: "Detection") -> tuple[bool, str]:
    caps = detection.inventory.capabilities
    ml = _has_ml(facts, detection)
    if area in ("serving", "monitoring", "rollout"):
        if _serving(detection):
            return True, "a serving surface exists"
        return False, "no serving surface (routes, serving framework or deployment manifest)"
    if area == "llm":
        return (True, "application code calls an LLM") if caps["llm_usage"].present else (False, "no LLM calls")
    if area == "compute":
        fws = {f.name for f in detection.inventory.frameworks}
        if fws & DEEP_LEARNING and detection.training_files:
            return True, "deep learning training code"
        return False, "no deep learning training code"
    if area in ("tracking", "registry", "data_quality"):
        if detection.training_files or (area == "data_quality" and _serving(detection)):
            return True, "training code exists"
        return False, "no training code"
    if area == "testing":
        return (True, "ML code exists") if ml else (False, "no ML code")
    return (True, "ML code exists") if ml else (False, "no ML code found")


def applicable_areas(facts: "Facts", detection: "Detection", config: "AuditConfig") -> dict[str, bool]:
    out = {}
    for area in AREAS:
        if area in config.applicability:
            out[area] = bool(config.applicability[area])
        else:
            out[area] = applicability_reason(area, facts, detection)[0]
    return out


def detect_stakes(facts: "Facts", detection: "Detection") -> str:
    from .detect.serving import is_health_path

    caps = detection.inventory.capabilities
    predict_routes = [r for r in detection.routes if not is_health_path(r.path)]
    deploy_manifests = any(d.kind in ("k8s", "helm_chart", "helm_values") for d in facts.configs)
    if (caps["serving"].present and (predict_routes or deploy_manifests)) or caps["llm_usage"].present and predict_routes:
        return "high"
    if caps["serving"].present or caps["model_registry"].present or caps["pipeline_orchestration"].present \
            or caps["scheduled_retraining"].present:
        return "medium"
    return "low"
