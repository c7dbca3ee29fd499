"""detect: Facts -> Inventory (frameworks, capabilities, artifacts, lifecycle).

``detect`` returns a ``Detection``: the JSON-facing ``Inventory`` plus the
derived views (routes, per-file contexts) that rules reuse instead of
recomputing them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..capabilities import capabilities
from ..facts import Facts
from ..model import (
    Artifacts, CapabilityResult, Evidence as EvidenceModel, FrameworkInfo, Inventory, Lifecycle,
    ModelArtifact, NotebookArtifact, PathArtifact,
)
from .code_caps import (core_import_roots, detect_code, may_serve_predictions, own_package_check, starts_training,
                        training_calls)
from .config_caps import detect_configs, recipe_training_files
from .context import RepoIndex
from .distributions import dists_for_import
from .evidence import Evidence, in_test_suite
from .repo_caps import detect_repo, dvc_outputs, model_files
from .serving import Route, find_routes
from .signatures import DISTS, FRAMEWORK_IMPORTS

__all__ = ["detect", "Detection", "LIFECYCLE_STAGES"]

LIFECYCLE_STAGES = ("data", "training", "tracking", "evaluation", "registry", "serving", "monitoring", "retraining")


@dataclass
class Detection:
    inventory: Inventory
    index: RepoIndex
    routes: list[Route] = field(default_factory=list)
    evidence: Evidence | None = None
    training_files: tuple[str, ...] = ()

    def present(self, capability: str) -> bool:
        cap = self.inventory.capabilities.get(capability)
        return bool(cap and cap.present)

    def tools(self, capability: str) -> list[str]:
        cap = self.inventory.capabilities.get(capability)
        return list(cap.tools) if cap else []


def _declared_dists(facts: Facts, direct_only: bool = False) -> dict[str, tuple[str, int, str]]:
    """Normalized distribution name -> (manifest path, line, spec) for every declared requirement.

    The project's own manifests win over the test suite's (tests/.../conda.yaml). ``direct_only`` leaves out
    the transitive pins of compiled requirements (``flask==3.1.2  # via quart``): the project did not choose
    those, so they declare no tool.
    """
    out: dict[str, tuple[str, int, str]] = {}
    for m in sorted(facts.manifests, key=lambda m: in_test_suite(m.path)):  # stable: path order otherwise
        for r in m.requirements:
            if direct_only and not r.direct:
                continue
            out.setdefault(r.name, (m.path, r.line, f"{r.name}{r.specifier}"))
    return out


def _declared_import_roots(declared: dict[str, tuple[str, int, str]]) -> set[str]:
    """Top-level import names whose distribution is declared (so their guarded imports still count)."""
    from .distributions import imports_for_dist

    roots: set[str] = set()
    for dist in declared:
        roots.update(imports_for_dist(dist))
        roots.add(dist.replace("-", "_"))
    return roots


_SERVING_SURFACE = ("health_endpoint", "input_validation", "latency_metrics", "prediction_logging")
# Configured training that stands for training code the call scan cannot see.
_TRAINING_CONFIGURED = ("distributed_training", "mixed_precision", "hyperparameter_search", "scheduled_retraining")


_WEB_ROOTS = frozenset({"fastapi", "flask", "starlette", "litestar", "sanic", "quart", "aiohttp", "django",
                        "connexion"})


def _drop_library_web_apps(facts: Facts, ev: Evidence, index: RepoIndex, routes: list[Route]) -> None:
    """A web app inside the repository's own package whose routes neither look like inference nor reach a
    model (a monitoring library's UI and collector APIs) is the library's product, not model serving: its
    package files lose their serving evidence. Apps in examples, images and manifests are untouched."""
    in_own_package = own_package_check(facts)
    package_routes = [r for r in routes if in_own_package(r.file)]
    if not package_routes or any(may_serve_predictions(index, r) for r in package_routes):
        return
    web = {r.file for r in package_routes}
    ev.retract("serving", lambda h: not (h.path in web or (
        h.path in index.contexts and in_own_package(h.path) and h.detail.split(".", 1)[0] in _WEB_ROOTS)))


def _drop_training_claims(ev: Evidence, index: RepoIndex) -> None:
    """In a repository that trains nothing, two capabilities defined by training lose their code evidence:
    seeds (a token generator's ``random.seed``) and code-defined flows that start no training (a Prefect flow
    that backfills metrics, a batch-inference pipeline). A flow whose steps name training (a training script,
    a ``train`` task, a training job run elsewhere) and pipelines declared in configuration stay."""
    ev.retract("seeds_fixed")
    ev.retract("pipeline_orchestration",
               lambda h: h.path not in index.contexts or starts_training(index.contexts[h.path]))


def detect(facts: Facts) -> Detection:
    caps = capabilities()
    ev = Evidence(list(caps))
    index = RepoIndex(facts)
    declared = _declared_dists(facts)
    core = core_import_roots(facts)
    routes = find_routes(index, core)
    detect_code(facts, index, ev, _declared_import_roots(declared), routes, core)
    detect_configs(facts, ev)
    detect_repo(facts, ev)
    direct = _declared_dists(facts, direct_only=True)
    for dist, capability, tool in DISTS:
        if dist in direct:
            path, line, spec = direct[dist]
            ev.declare(capability, tool, path, line, spec)  # test-path manifests are dropped there

    training = tuple(sorted({ctx.py.path for ctx in index.contexts.values()
                             if not ctx.py.is_test and training_calls(ctx)}
                            | (recipe_training_files(facts) & index.contexts.keys())))
    if not training and not any(ev.present(c) for c in _TRAINING_CONFIGURED):
        _drop_training_claims(ev, index)
    _drop_library_web_apps(facts, ev, index, routes)
    if not ev.present("serving"):
        # these describe a serving surface: an auth API's request model or a dashboard's /health is not one
        for cid in _SERVING_SURFACE:
            ev.retract(cid)
    results: dict[str, CapabilityResult] = {}
    for cid, cap in caps.items():
        present = ev.present(cid)
        hits = ev.hits(cid)
        tools = ev.tools(cid)
        declared_only = False
        if not present and ev.caps[cid].declared:
            declared_only = True
            tools = list(ev.caps[cid].declared)
            hits = sorted(ev.caps[cid].declared.values())
        results[cid] = CapabilityResult(
            present=present, declared_only=declared_only, tools=tools, area=cap.area,
            evidence=[EvidenceModel(path=h.path, line=h.line, detail=h.detail, cell=h.cell) for h in hits],
        )
    inventory = Inventory(
        frameworks=_frameworks(facts, index, declared),
        capabilities=results,
        artifacts=_artifacts(facts, results),
        lifecycle=_lifecycle(results, training),
    )
    return Detection(inventory=inventory, index=index, routes=routes, evidence=ev, training_files=training)


def _frameworks(facts: Facts, index: RepoIndex, declared: dict[str, tuple[str, int, str]]) -> list[FrameworkInfo]:
    found: dict[str, list[EvidenceModel]] = {}
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for imp in ctx.py.imports:
            fw = FRAMEWORK_IMPORTS.get(imp.module.split(".", 1)[0])
            if fw and not imp.guarded:
                ev = found.setdefault(fw, [])
                if len(ev) < 3 and not any(e.path == ctx.py.path for e in ev):
                    ev.append(EvidenceModel(path=ctx.py.path, line=imp.line, detail=imp.qualname, cell=imp.cell))
    out = []
    for fw in sorted(found):
        spec = None
        for module, name in FRAMEWORK_IMPORTS.items():
            if name != fw:
                continue
            for dist in dists_for_import(module):
                if dist in declared:
                    spec = declared[dist][2]
                    break
            if spec:
                break
        out.append(FrameworkInfo(name=fw, declared=spec, evidence=sorted(found[fw], key=lambda e: (e.path, e.line))))
    return out


def _artifacts(facts: Facts, caps: dict[str, CapabilityResult]) -> Artifacts:
    git = facts.git
    dvc_outs = dvc_outputs(facts)
    lfs = set(git.lfs_files)
    models = []
    for path, size in model_files(facts):
        if path in lfs:
            storage = "lfs"
        elif path in dvc_outs:
            storage = "dvc"
        elif git.is_repo and path in git.tracked:
            storage = "git"
        else:
            storage = "untracked"
        models.append(ModelArtifact(path=path, bytes=size, storage=storage))
    for path in sorted(dvc_outs):
        from .repo_caps import is_model_file

        if is_model_file(path) and not any(m.path == path for m in models):
            models.append(ModelArtifact(path=path, bytes=None, storage="dvc"))
    notebooks = [NotebookArtifact(path=nb.path, cells=len(nb.cells), in_order=nb.in_order) for nb in facts.notebooks]
    prompts = [PathArtifact(path=e.path) for e in caps["prompt_files"].evidence]
    eval_sets = [PathArtifact(path=f.path) for f in facts.files if _is_eval_set(f.path, f.kind)]
    return Artifacts(models=models, notebooks=notebooks, prompts=prompts, eval_sets=eval_sets[:50])


def _is_eval_set(path: str, kind: str) -> bool:
    lower = path.lower()
    if not any(t in lower for t in ("eval", "golden", "benchmark", "testset", "test_set", "qa_pairs")):
        return False
    return kind in ("data", "config") and lower.endswith((".jsonl", ".json", ".csv", ".yaml", ".yml", ".parquet", ".tsv"))


def _lifecycle(caps: dict[str, CapabilityResult], training: tuple[str, ...]) -> Lifecycle:
    def has(*ids: str) -> bool:
        return any(caps[i].present for i in ids)

    stages = {
        "data": has("data_versioning", "data_validation", "feature_store"),
        "training": bool(training),
        "tracking": has("experiment_tracking"),
        "evaluation": has("model_tests", "evaluation_gate", "llm_evaluation"),
        "registry": has("model_registry"),
        "serving": has("serving"),
        "monitoring": has("drift_detection", "alerting", "dashboards", "prediction_logging", "latency_metrics"),
        "retraining": has("scheduled_retraining"),
    }
    return Lifecycle(present=[s for s in LIFECYCLE_STAGES if stages[s]],
                     missing=[s for s in LIFECYCLE_STAGES if not stages[s]])
