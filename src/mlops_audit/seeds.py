"""Seed traceability: every numbered item of the seed checklist, and what covers it.

An item is covered by rules (their ``RuleMeta.seeds``), by a capability of the
inventory, by a part of the report, by a command, by a contract the repository
declares, or by a live audit; an item that no repository can settle says what
evidence would. Nothing is silently missing: ``mlops-audit rules --seeds`` and
docs/seeds.md show every item with its status.

The item texts are short paraphrases written for this project; the table of
non-rule coverage is data, checked by tests against the capability vocabulary,
the report model, the CLI and the contracts.
"""
from __future__ import annotations

import importlib.util
from dataclasses import fields, is_dataclass
from typing import Any, Iterable, get_args, get_origin, get_type_hints

from ._records import record

__all__ = ["SOURCES", "ITEMS", "COVERAGE", "PLANNED_REPORT_PARTS", "SeedRow", "traceability", "summary",
           "entry_status"]

SOURCES = {
    "C": "clarc-mlops-review",
    "K": "craft-mlops",
    "H": "harness-ml-ops",
    "Z": "zetetic-mlops-agent",
    "G": "grimoire-design-ml-pipeline",
}

# item id -> a short paraphrase (our own words)
ITEMS: dict[str, str] = {
    "C01": "Training runs record their parameters, metrics and artifacts",
    "C02": "A run can be repeated from the configuration it recorded",
    "C03": "Hyperparameter searches are tracked",
    "C04": "Saved models carry an input signature",
    "C05": "A tracking library is a dependency and points at a configured server",
    "C06": "Registered model versions follow semantic versioning",
    "C07": "Model versions record their training run and dataset version",
    "C08": "Promotion to production goes through registry stages or aliases",
    "C09": "A model card states intended use and limitations",
    "C10": "Live registry check: production versions without a dataset tag",
    "C11": "A latency objective is stated as percentiles",
    "C12": "GPU utilisation is observed in production",
    "C13": "The server exposes a health check",
    "C14": "On SIGTERM the server finishes in-flight requests before exiting",
    "C15": "Horizontal autoscaling is configured",
    "C16": "The serving stack is identified, exports latency metrics, and LLM servers are configured explicitly",
    "C17": "Input data drift is detected",
    "C18": "Model quality is measured against real outcomes",
    "C19": "Degradation raises alerts",
    "C20": "Ground-truth labels are collected",
    "C21": "A dashboard shows the model's key indicators",
    "C22": "Retraining starts automatically (drift, schedule or data volume)",
    "C23": "The pipeline is defined in an orchestrator",
    "C24": "Promotion is blocked by an evaluation gate",
    "C25": "Data is versioned with a remote store",
    "C26": "A rollback procedure exists",
    "C27": "Traffic can be split between model versions",
    "C28": "A challenger can run in shadow mode",
    "C29": "A/B outcomes are tested for significance",
    "C30": "Business metrics are tracked beside model metrics",
    "C31": "Requests are checked against a schema before inference",
    "C32": "Out-of-distribution inputs are detected",
    "C33": "Missing features are imputed or rejected",
    "C34": "Predictions are logged so they can be joined with labels",
    "C35": "Fix deadlines follow severity (critical first, low when convenient)",
    "C36": "The report lists findings by severity and area, recommendations and a maturity level with the next step",
    "C37": "One area can be audited on its own",
    "K01": "Assessment of framework, notebook vs. module code and deployment target",
    "K02": "Automation level from manual (0) to continuous training (3)",
    "K03": "Code, data, models and configuration are each versioned",
    "K04": "Which tracking tool is used and what it records",
    "K05": "Unit, integration, model-quality and regression tests",
    "K06": "Monitoring of system health, model behaviour, drift and alerts",
    "K07": "Seeds, a locked environment and a from-scratch rebuild",
    "K08": "An overall score against the six principles and a maturity level",
    "K09": "Each gap comes with principle, priority, recommendation, implementation and tools",
    "K10": "A roadmap for the first week, month and quarter",
    "K11": "Ready-made fixes for the usual gaps",
    "K12": "Prioritisation modes: full audit, gaps only, critical first",
    "H01": "Detection of ML frameworks, tracking tools and LLM SDKs",
    "H02": "Detection of serving code, model images and serving configs",
    "H03": "Detection of evaluation assets and notebooks",
    "H04": "Inventory of model files, configs, prompt templates and eval data",
    "H05": "Detection of model registry usage",
    "H06": "A lifecycle map that shows missing stages",
    "H07": "A summary of the detected stack",
    "H08": "Tracking coverage per training script",
    "H09": "Every random generator in use is seeded and packages are pinned",
    "H10": "Serving loads the model at start-up, has a health route and validates input",
    "H11": "Prompts are versioned files filled by templates, not concatenated with user input",
    "H12": "Each model is evaluated on a golden set with more than one metric",
    "H13": "Recommendations fit the detected tools",
    "H14": "Starter files for the missing pieces",
    "H15": "A deployment checklist with known pitfalls",
    "H16": "Prompt safety: injection by concatenation and unbounded token use",
    "H17": "A verdict with stack, counts and findings at path:line",
    "H18": "Notebook cells that were run in a non-linear order",
    "H19": "Tracked runs without hardware metadata",
    "H20": "Model files committed to git, and how to move them out",
    "H21": "A model or pickle loaded on every request",
    "H22": "A classifier tracked by accuracy alone",
    "H23": "LLM calls without an output token limit",
    "H24": "An LLM application without an evaluation framework",
    "H25": "Prompt text that no version control or registry tracks",
    "H26": "Big binary blobs committed anywhere in the git history",
    "H27": "Evaluation results bound to the exact model artifact",
    "H28": "Each finding can be checked against the code it cites",
    "H29": "The status the project would reach after the recommended fixes",
    "Z01": "The training pipeline declares, validates and versions its data schema",
    "Z02": "A serving contract: latency percentiles, throughput, error budget, fallback, validator, load test",
    "Z03": "GPU usage is measured before scaling; data loading is tuned",
    "Z04": "Tracked runs record code version, data hash, config, environment, metrics and artifacts",
    "Z05": "Semantic model versions from the registry; serving never loads 'latest' or a bare path",
    "Z06": "A rollout plan (shadow, canary, full) with thresholds and a tested rollback",
    "Z07": "Drift monitors with metric, threshold, window and runbook",
    "Z08": "Stakes classified from objective criteria decide which checks are required",
    "Z09": "Hyperparameters, thresholds and SLO numbers cite where they come from",
    "Z10": "Known anti-patterns in training, packaging, serving and monitoring",
    "Z11": "Tables of SLOs, drift monitors and rule compliance",
    "Z12": "Orphaned models and abandoned experiments marked for archival",
    "G01": "A problem statement with target, success metric and latency needs",
    "G02": "Ingested data is validated and the pipeline stops on critical errors",
    "G03": "Features are shared by training and serving, joined point-in-time",
    "G04": "Runs record git SHA, dataset version, hyperparameters and metrics",
    "G05": "Parameterised training, efficient search, pinned libraries, fixed seeds",
    "G06": "Release gates on metrics, regression cases and latency",
    "G07": "Registry versions link data, code and metrics; only registered models are deployed",
    "G08": "Staged rollout with fast, automatic rollback",
    "G09": "Monitoring of predictions, features, business metrics, freshness and drift",
    "G10": "Retraining triggers with an automated retrain-validate-deploy loop",
}

# item id -> what covers it besides rules. Prefixes: "capability:", "report:", "command:",
# "contract:", "live audit:", "needs evidence:". Status is computed, see ``entry_status``.
COVERAGE: dict[str, tuple[str, ...]] = {
    "C01": ("capability: experiment_tracking",),
    "C02": ("capability: config_management", "capability: experiment_tracking"),
    "C03": ("capability: hyperparameter_search",),
    "C04": ("capability: model_signature",),
    "C05": ("capability: experiment_tracking",),
    "C06": ("capability: model_registry", "live audit: MLflow registry"),
    "C07": ("capability: model_registry", "live audit: MLflow registry"),
    "C08": ("capability: model_registry",),
    "C09": ("capability: model_card",),
    "C10": ("live audit: MLflow registry",
            "needs evidence: access to the MLflow registry (tags of the production model versions)"),
    "C11": ("contract: latency_p50_ms, latency_p95_ms, latency_p99_ms",),
    "C12": ("needs evidence: a GPU metrics exporter (e.g. DCGM) or dashboard, usually kept in cluster "
            "configuration outside the repository",),
    "C13": ("capability: health_endpoint",),
    "C14": ("needs evidence: the server's shutdown settings (graceful timeout, preStop hook, "
            "terminationGracePeriodSeconds)",),
    "C15": ("capability: autoscaling",),
    "C16": ("capability: serving", "capability: latency_metrics"),
    "C17": ("capability: drift_detection", "contract: drift"),
    "C18": ("capability: prediction_logging",
            "needs evidence: a job that joins logged predictions with observed outcomes"),
    "C19": ("capability: alerting",),
    "C20": ("capability: prediction_logging",),
    "C21": ("capability: dashboards",),
    "C22": ("capability: scheduled_retraining",),
    "C23": ("capability: pipeline_orchestration",),
    "C24": ("capability: evaluation_gate",),
    "C25": ("capability: data_versioning",),
    "C26": ("contract: rollout", "needs evidence: a written rollback runbook with its time to effect"),
    "C27": ("capability: traffic_splitting",),
    "C28": ("capability: shadow_deployment",),
    "C29": ("needs evidence: the analysis of A/B results (a significance test or an experimentation platform)",),
    "C30": ("needs evidence: business KPIs logged or charted next to model metrics",),
    "C31": ("capability: input_validation",),
    "C32": ("capability: drift_detection",
            "needs evidence: a per-request out-of-distribution check on features"),
    "C33": ("capability: input_validation",),
    "C34": ("capability: prediction_logging",),
    "C35": ("report: recommendations.priority", "report: findings.severity"),
    "C36": ("report: findings", "report: recommendations", "report: summary.maturity",
            "report: summary.maturity.next_step"),
    "C37": ("command: scan --area",),
    "K01": ("report: inventory.frameworks", "report: inventory.artifacts.notebooks", "capability: serving"),
    "K02": ("report: summary.automation_reason", "report: summary.automation_level",),
    "K03": ("capability: data_versioning", "capability: model_registry", "capability: config_management",
            "report: areas"),
    "K04": ("capability: experiment_tracking",),
    "K05": ("capability: unit_tests", "capability: model_tests"),
    "K06": ("capability: latency_metrics", "capability: drift_detection", "capability: alerting"),
    "K07": ("capability: seeds_fixed", "capability: lock_file", "capability: containerized"),
    "K08": ("report: principles", "report: summary.principles_score", "report: summary.maturity"),
    "K09": ("report: recommendations",),
    "K10": ("report: roadmap",),
    "K11": ("command: fix",),
    "K12": ("report: findings", "report: roadmap", "command: scan --area"),
    "H01": ("report: inventory.frameworks", "capability: experiment_tracking", "capability: llm_usage"),
    "H02": ("capability: serving", "capability: containerized"),
    "H03": ("report: inventory.artifacts.eval_sets", "report: inventory.artifacts.notebooks",
            "capability: llm_evaluation"),
    "H04": ("report: inventory.artifacts.models", "report: inventory.artifacts.prompts",
            "report: inventory.artifacts.eval_sets"),
    "H05": ("capability: model_registry",),
    "H06": ("report: inventory.lifecycle",),
    "H07": ("report: inventory",),
    "H08": ("capability: experiment_tracking",),
    "H09": ("capability: seeds_fixed", "capability: pinned_dependencies"),
    "H10": ("capability: health_endpoint", "capability: input_validation"),
    "H11": ("capability: prompt_files",),
    "H12": ("capability: model_tests", "report: inventory.artifacts.eval_sets"),
    "H13": ("report: recommendations",),
    "H14": ("command: fix",),
    "H15": ("report: recommendations", "report: roadmap"),
    "H16": (),
    "H17": ("report: summary.verdict", "report: summary.counts", "report: findings.location"),
    "H18": ("report: inventory.artifacts.notebooks",),
    "H19": ("live audit: MLflow registry", "needs evidence: run tags of the tracking server"),
    "H20": ("capability: model_artifacts_in_git",),
    "H21": (),
    "H22": (),
    "H23": (),
    "H24": ("capability: llm_evaluation",),
    "H25": ("capability: prompt_files",),
    "H26": (),
    "H27": ("live audit: MLflow registry",
            "needs evidence: evaluation results recorded against the registered model version"),
    "H28": ("report: findings.location", "report: findings.fingerprint"),
    "H29": ("report: summary.verdict", "report: summary.maturity.next_step", "report: summary.projected_verdict"),
    "Z01": ("capability: data_validation",),
    "Z02": ("contract: latency_p50_ms, latency_p95_ms, latency_p99_ms, throughput_qps, error_budget",
            "capability: input_validation"),
    "Z03": ("capability: distributed_training", "capability: mixed_precision"),
    "Z04": ("capability: experiment_tracking", "live audit: MLflow registry"),
    "Z05": ("capability: model_registry",),
    "Z06": ("contract: rollout", "capability: traffic_splitting", "capability: shadow_deployment"),
    "Z07": ("contract: drift", "capability: drift_detection"),
    "Z08": ("report: summary.stakes",),
    "Z09": ("needs evidence: a citation (paper, experiment run, benchmark) next to each tuned number",),
    "Z10": ("capability: mixed_precision", "capability: input_validation"),
    "Z11": ("contract: latency_p50_ms, latency_p95_ms, latency_p99_ms", "contract: drift", "report: areas"),
    "Z12": ("live audit: MLflow registry", "report: inventory.artifacts.models"),
    "G01": ("contract: latency_p95_ms, throughput_qps",
            "needs evidence: a problem statement naming target, features and success metric"),
    "G02": ("capability: data_validation",),
    "G03": ("capability: feature_store",),
    "G04": ("capability: experiment_tracking", "capability: data_versioning"),
    "G05": ("capability: config_management", "capability: hyperparameter_search",
            "capability: pinned_dependencies", "capability: seeds_fixed"),
    "G06": ("capability: evaluation_gate", "capability: model_tests"),
    "G07": ("capability: model_registry", "live audit: MLflow registry"),
    "G08": ("capability: traffic_splitting", "contract: rollout"),
    "G09": ("capability: drift_detection", "capability: alerting", "capability: dashboards"),
    "G10": ("capability: scheduled_retraining", "report: summary.automation_level"),
}

# report parts named above that the report model does not carry yet
PLANNED_REPORT_PARTS: frozenset[str] = frozenset()

_STATUS_ORDER = ("covered", "planned", "needs evidence", "missing")


@record()
class SeedRow:
    id: str
    source: str
    text: str
    rules: tuple[str, ...]
    coverage: tuple[tuple[str, str], ...]   # (entry, status of the entry)
    status: str                             # covered | planned | needs evidence | missing

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "text": self.text, "status": self.status,
                "rules": list(self.rules),
                "coverage": [{"entry": e, "status": s} for e, s in self.coverage]}


def _report_path_exists(path: str) -> bool:
    from .model import Report

    cls: Any = Report
    for part in path.split("."):
        if not is_dataclass(cls) or part not in {f.name for f in fields(cls)}:
            return False
        ann = get_type_hints(cls)[part]
        while get_origin(ann) is not None:  # Optional[X], list[X], dict[str, X] -> X
            ann = next((a for a in reversed(get_args(ann)) if a is not type(None)), ann)
        cls = ann
    return True


def _cli_has(spec: str) -> bool:
    import click

    from .cli import main

    words = spec.split()
    cmd = main.get_command(click.Context(main), words[0])
    if cmd is None:
        return False
    opts = {o for p in cmd.params for o in getattr(p, "opts", ())}
    return all(w in opts for w in words[1:] if w.startswith("-"))


def _contract_fields() -> set[str]:
    from .config import Contracts

    return {f.name for f in fields(Contracts)}


def entry_status(entry: str) -> str:
    """covered (it exists in this version), planned (not built yet), or needs evidence."""
    kind, _, rest = entry.partition(":")
    rest = rest.strip()
    if kind == "capability":
        from .capabilities import capabilities

        return "covered" if rest in capabilities() else "missing"
    if kind == "report":
        return "covered" if _report_path_exists(rest) else "planned"
    if kind == "command":
        return "covered" if _cli_has(rest) else "planned"
    if kind == "contract":
        names = [n.strip() for n in rest.split(",")]
        return "covered" if all(n in _contract_fields() for n in names) else "planned"
    if kind == "live audit":
        return "covered" if importlib.util.find_spec("mlops_audit.live") is not None else "planned"
    if kind == "needs evidence":
        return "needs evidence"
    return "missing"


def _label(entry: str, status: str) -> str:
    return f"{entry} (planned)" if status == "planned" else entry


def traceability(rules: Iterable[Any]) -> list[SeedRow]:
    """One row per seed item, in checklist order, from rule metadata and the coverage table."""
    by_item: dict[str, list[str]] = {i: [] for i in ITEMS}
    for r in rules:
        meta = getattr(r, "meta", r)
        for item in meta.seeds:
            if item in by_item and meta.id not in by_item[item]:
                by_item[item].append(meta.id)
    rows = []
    for item, text in ITEMS.items():
        entries = tuple((_label(e, s), s) for e in COVERAGE.get(item, ()) for s in [entry_status(e)])
        statuses = {s for _, s in entries}
        if by_item[item] or "covered" in statuses:
            status = "covered"
        elif "planned" in statuses:
            status = "planned"
        elif "needs evidence" in statuses:
            status = "needs evidence"
        else:
            status = "missing"
        rows.append(SeedRow(item, SOURCES[item[0]], text, tuple(sorted(by_item[item])), entries, status))
    return rows


def summary(rows: list[SeedRow]) -> dict[str, Any]:
    counts = {s: sum(1 for r in rows if r.status == s) for s in _STATUS_ORDER}
    total = len(rows)
    return {"total": total, **{k.replace(" ", "_"): v for k, v in counts.items()},
            "covered_percent": round(100.0 * counts["covered"] / total, 1) if total else 0.0,
            "by_rule": sum(1 for r in rows if r.rules)}
