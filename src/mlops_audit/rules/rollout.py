"""Rollout rules (ROL): how a new model version reaches traffic and how it is taken back.

These are capability rules: each fires once, when the serving area applies,
and only after checking the inventory, the declared rollout contract
(``[tool.mlops-audit.contracts] rollout``), the manifests of progressive
delivery tools and the code paths a hand-written split or shadow would use.
"""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from .._records import record
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._serving_util import call_index, handler_of, incidental_serving, reach, serving_view, walk

__all__: list[str] = []

_SCULLEY = "Sculley et al. 2015, 'Hidden Technical Debt in Machine Learning Systems' (NeurIPS)"
_BRECK = "Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness and Technical Debt Reduction'"
_GOOGLE = "Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning'"
_KOHAVI = "Kohavi, Tang and Xu 2020, 'Trustworthy Online Controlled Experiments'"

_FLAG_SDKS = ("posthog", "statsig", "optimizely", "splitio", "flipt", "configcat", "openfeature", "UnleashClient",
              "ldclient", "launchdarkly_sdk", "growthbook", "flagsmith", "eppo_client")
_EXPERIMENT_PLATFORMS = ("growthbook", "launchdarkly", "statsig", "optimizely", "eppo", "posthog")
_SPLIT_NAMES = lazy(r"(?i)canary|bucket|cohort|ab_?test|treatment|traffic_?split|rollout_?percent|"
                          r"experiment_?group")
_SPLIT_FUNC = lazy(r"(?i)^(choose|select|pick|assign)_?(variant|bucket|arm|cohort|treatment)s?$|"
                         r"^(split|route)_traffic$")


def _contract(ctx: RuleContext, *keys: str) -> bool:
    rollout = ctx.config.contracts.rollout or {}
    return any(rollout.get(k) not in (None, False, "", [], {}) for k in keys)


@record()
class _Where:
    path: str | None
    line: int | None
    what: str
    cell: int | None = None


def _imports(ctx: RuleContext, roots: tuple[str, ...]) -> _Where | None:
    for c in ctx.detection.index.contexts.values():
        if c.py.is_test:
            continue
        for imp in c.py.imports:
            if not imp.guarded and imp.module.split(".", 1)[0] in roots:
                return _Where(c.py.path, imp.line, imp.module)
    return None


def _k8s_split(ctx: RuleContext) -> _Where | None:
    for doc in ctx.facts.configs_of("k8s", "helm_template"):
        data = doc.data if isinstance(doc.data, dict) else {}
        kind = str(data.get("kind", ""))
        if kind in ("TrafficSplit", "TraefikService") or (kind == "Mapping" and "weight" in (data.get("spec") or {})):
            return _Where(doc.path, doc.line, kind)
        for path, value in walk(data):
            if not path or not isinstance(value, list):
                continue
            if path[-1] == "backendRefs" and sum(1 for b in value if isinstance(b, dict) and "weight" in b) >= 2:
                return _Where(doc.path, doc.lines.get(path, doc.line), "weighted backendRefs")
            if path[-1] == "traffic" and sum(1 for t in value if isinstance(t, dict) and "percent" in t) >= 2:
                return _Where(doc.path, doc.lines.get(path, doc.line), "Knative traffic split")
    return None


def _code_split(ctx: RuleContext) -> _Where | None:
    index = ctx.detection.index
    ci = call_index(ctx)
    for c, call in ci.method("create_endpoint_config", "update_endpoint_weights_and_capacities", "deploy", "update",
                             "undeploy", "create_endpoint"):
        if call.method == "create_endpoint_config":
            variants = call.kw("ProductionVariants")
            if isinstance(variants, tuple) and len(variants) >= 2:
                return _Where(c.py.path, call.line, "SageMaker production variants", call.cell)
        elif call.method == "update_endpoint_weights_and_capacities" or call.has_kw("traffic_split") or \
                call.has_kw("traffic_percentage"):
            return _Where(c.py.path, call.line, call.qualname, call.cell)
    for c in index.contexts.values():
        if c.py.is_test:
            continue
        for fn in c.py.functions:
            if _SPLIT_FUNC.search(fn.name):
                return _Where(c.py.path, fn.line, f"def {fn.name}", fn.cell)
    for route in serving_view(ctx).routes:
        found = handler_of(index, route)
        if found is None:
            continue
        seen_fn: set[tuple[str, str]] = set()
        for cctx, _, frames in reach(index, found[0], found[1], depth=1):
            fr = frames[-1]
            key = (fr.ctx.py.path, fr.fn.qualname)
            if key in seen_fn:
                continue
            seen_fn.add(key)
            for cmp in fr.ctx.py.compares:
                if cmp.scope != fr.fn.qualname:
                    continue
                randomish = any(n in ("random", "hash") or n.startswith(("random.", "hashlib.", "numpy.random"))
                                for n in cmp.names)
                if randomish or any(_SPLIT_NAMES.search(n) for n in cmp.names):
                    return _Where(fr.ctx.py.path, cmp.line, "per-request split", cmp.cell)
    return None


def _split_evidence(ctx: RuleContext) -> _Where | None:
    def compute() -> _Where | None:
        cap = ctx.detection.inventory.capabilities["traffic_splitting"]
        if cap.present:
            ev = cap.evidence[0] if cap.evidence else None
            return _Where(ev.path if ev else None, ev.line if ev else None, ", ".join(cap.tools) or "traffic split",
                          ev.cell if ev else None)
        found = _imports(ctx, _FLAG_SDKS)
        if found:
            return found
        return _k8s_split(ctx) or _code_split(ctx)
    return ctx.memo("rol_split", compute)  # type: ignore[return-value]


@rule(
    id="ROL001", name="no-traffic-splitting", area="rollout", severity=Severity.HIGH,
    title="A new model version can only replace the old one all at once",
    rationale=(
        "Offline metrics are a forecast; the first real test of a model is production traffic. Without a way "
        "to send a small, controlled share of requests to the new version (a canary, an A/B split, a flag) "
        "every release is a full cut-over: a regression on a segment the validation set missed hits all "
        "users at once, and there is no live comparison between old and new. Google's MLOps guidance makes "
        "canary and A/B deployment part of continuous delivery for models, and Breck et al. (2017, 'The ML "
        "Test Score') ask that new models be rolled out gradually with the ability to compare against the "
        "incumbent."
    ),
    remediation={
        "kserve": (
            "Deploy the candidate as a canary of the InferenceService:\n\n"
            "    spec:\n      predictor:\n        canaryTrafficPercent: 10\n"
            "        model: {modelFormat: {name: sklearn}, storageUri: gs://models/churn/13}"
        ),
        "default": (
            "Route a share of traffic to the candidate and raise it in steps, e.g. with Argo Rollouts:\n\n"
            "    apiVersion: argoproj.io/v1alpha1\n    kind: Rollout\n    spec:\n      strategy:\n"
            "        canary:\n          steps:\n            - setWeight: 10\n            - pause: {duration: 30m}\n"
            "            - setWeight: 50\n            - pause: {duration: 1h}\n\n"
            "(Istio VirtualService weights, Flagger, KServe canaryTrafficPercent or SageMaker variant weights "
            "work too), and declare the plan in [tool.mlops-audit.contracts] rollout = {canary = [10, 50, 100], "
            "rollback = 'docs/runbooks/rollback.md'}."
        ),
    },
    seeds=("C27", "G08", "Z06"), references=(_GOOGLE, _BRECK),
    bad="kubectl set image deployment/model-server model=registry/model:13   # 100% at once",
    good="strategy:\n  canary:\n    steps: [{setWeight: 10}, {pause: {duration: 30m}}, {setWeight: 50}]",
    requires=("serving",), principle="deployment", tools=("argo_rollouts", "istio", "flagger", "kserve"),
)
def no_traffic_splitting(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository with no way to send part of the traffic to a new model version: no weighted routing
    (Istio, Gateway API, Knative, SMI, Traefik), progressive delivery (Argo Rollouts, Flagger), KServe canary,
    Seldon or SageMaker variant weights, feature-flag SDK, per-request split in a handler, or canary declared
    in the rollout contract.
    """
    if incidental_serving(ctx):
        return
    if _contract(ctx, "canary", "traffic", "ab", "ab_test", "split") or _split_evidence(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but has no way to send part of the traffic to a "
              "new model version (no canary, weighted route, variant weights or feature flag)",
              key="no-traffic-splitting")


# --------------------------------------------------------------------------------------------
_SHADOW_CALL = lazy(r"(?i)shadow|challenger")


def _shadow_signal(ctx: RuleContext) -> str | None:
    if ctx.detection.present("shadow_deployment") or _contract(ctx, "shadow"):
        return "declared"
    for doc in ctx.facts.configs:
        if doc.kind not in ("k8s", "helm_values", "helm_template", "kustomize", "yaml"):
            continue
        for path, value in walk(doc.data):
            if not path or not isinstance(path[-1], str):
                continue
            key = path[-1]
            if key in ("mirror", "mirrorPercentage", "mirror_percent", "requestMirror", "mirroring") and value:
                return f"{doc.path}: {key}"
            if key == "shadow" and value not in (None, False, "", 0):
                return f"{doc.path}: shadow"
            if key == "type" and value == "RequestMirror":
                return f"{doc.path}: RequestMirror"
    ci = call_index(ctx)
    for c, call in ci.method("create_endpoint_config", "create_inference_experiment"):
        if call.has_kw("ShadowProductionVariants") or call.method == "create_inference_experiment":
            return f"{c.py.path}:{call.line} SageMaker shadow variant"
    for c, call in ci.qualnames(_SHADOW_CALL):
        return f"{c.py.path}:{call.line} {call.qualname}"
    for c in ctx.detection.index.contexts.values():
        py = c.py
        if py.is_test:
            continue
        for fn in py.functions:
            if re.search(r"(?i)shadow|challenger", fn.name):
                return f"{py.path}:{fn.line} def {fn.name}"
    return None


@rule(
    id="ROL002", name="no-shadow-mode", area="rollout", severity=Severity.MEDIUM,
    title="A candidate model cannot be tried on live traffic without answering it",
    rationale=(
        "Shadow mode sends a copy of real requests to the candidate model and records its answers without "
        "returning them. It is the only way to see, before any user is exposed, how the new model behaves on "
        "today's inputs: its latency under real load, its error rate on malformed requests, and how often and "
        "where it disagrees with the model in production. For models whose mistakes are costly it is the "
        "safest first step of a rollout; Google's MLOps guidance and the staged rollout practice of shadow, "
        "then canary, then full both start here."
    ),
    remediation={
        "istio": (
            "Mirror a share of requests to the candidate with Istio:\n\n"
            "    http:\n      - route: [{destination: {host: model-v12}}]\n"
            "        mirror: {host: model-v13}\n        mirrorPercentage: {value: 100.0}"
        ),
        "seldon": "Add the candidate as a predictor with `shadow: true` in the SeldonDeployment.",
        "default": (
            "Call the candidate in the background on live requests and log both answers:\n\n"
            "    @app.post('/predict')\n"
            "    def predict(req: PredictRequest, background: BackgroundTasks):\n"
            "        y = champion.predict(X)\n"
            "        background.add_task(shadow_predict, challenger, X, request_id, y)   # never returned\n"
            "        return {'prediction': y}\n\n"
            "or mirror traffic at the gateway (Istio mirror, Gateway API RequestMirror, Seldon shadow)."
        ),
    },
    seeds=("C28", "G08", "Z06"), references=(_GOOGLE, _SCULLEY),
    bad="# the candidate's first request is a real user's request",
    good="mirror: {host: model-v13}\nmirrorPercentage: {value: 100.0}",
    requires=("serving",), principle="deployment", tools=("istio", "seldon"),
)
def no_shadow_mode(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository where no candidate model can receive mirrored production traffic: no mirror
    settings (Istio, Gateway API RequestMirror, Traefik), Seldon shadow predictor, SageMaker shadow variant,
    shadow/challenger code path, or shadow declared in the rollout contract.
    """
    if incidental_serving(ctx):
        return
    if _shadow_signal(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but no candidate model can receive mirrored "
              "production traffic (no mirror, shadow predictor or shadow call path)", key="no-shadow-mode")


# --------------------------------------------------------------------------------------------
_STAT_TESTS = lazy(
    r"^(scipy\.stats\.(ttest_\w+|chi2_contingency|chisquare|mannwhitneyu|fisher_exact|wilcoxon|binomtest|binom_test|"
    r"kruskal|bootstrap|permutation_test|barnard_exact|boschloo_exact|brunnermunzel|norm\.\w+|beta\.\w+)|"
    r"statsmodels\.stats\..*|pingouin\..*|bayesian_testing\..*|spotify_confidence\..*|ambrosia\..*|expan\..*)$")
_STAT_FUNC = lazy(r"(?i)chi_?sq|chi2|t_?test|z_?test|signific|p_?value|mann_?whitney|welch|fisher_exact|"
                       r"binomial_test|proportions?_test|bootstrap_ci|sequential_test|bayesian_ab")
_STAT_VAR = lazy(r"(?i)^(p_?value|pvalue|p_val|is_significant|significance|confidence_interval)$")
_STAT_ROOTS = ("scipy", "statsmodels", "pingouin", "bayesian_testing", "spotify_confidence", "ambrosia", "expan")
_STAT_MODULES = ("statsmodels", "pingouin", "bayesian_testing", "spotify_confidence", "ambrosia", "expan")


def _automated_analysis(ctx: RuleContext) -> bool:
    for doc in ctx.facts.configs_of("k8s", "helm_template"):
        data = doc.data if isinstance(doc.data, dict) else {}
        kind = str(data.get("kind", ""))
        if kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "MetricTemplate"):
            return True
        if kind in ("Rollout", "Canary") and any(path and path[-1] == "analysis" for path, _ in walk(data)):
            return True
    return False


@rule(
    id="ROL003", name="no-significance-test", area="rollout", severity=Severity.MEDIUM,
    title="Traffic is split between models but no statistical test decides the winner",
    rationale=(
        "Splitting traffic only helps if the comparison it enables is read correctly. Differences between two "
        "model versions on a few thousand requests are mostly noise; declaring a winner from raw averages, or "
        "peeking at the numbers daily until one looks better, ships regressions as often as improvements. A "
        "predefined metric, a minimum sample size and a significance test (or a sequential / Bayesian "
        "procedure) are what make an A/B result a decision. Kohavi et al. describe these pitfalls at length, "
        "and Breck et al. (2017) ask that model comparisons in production be quantified."
    ),
    remediation={
        "default": (
            "Compute the comparison with a test chosen before the experiment starts, e.g. for conversion rates:\n\n"
            "    from statsmodels.stats.proportion import proportions_ztest\n"
            "    stat, p = proportions_ztest([conv_b, conv_a], [n_b, n_a], alternative='larger')\n"
            "    promote = p < 0.05 and n_a >= MIN_SAMPLE and n_b >= MIN_SAMPLE\n\n"
            "(scipy.stats.mannwhitneyu or a bootstrap for continuous metrics); for canaries, let Argo Rollouts "
            "AnalysisTemplates or Flagger metric checks gate the promotion."
        ),
    },
    seeds=("C29",), references=(_KOHAVI, _BRECK),
    bad="if mean(conv_b) > mean(conv_a):\n    promote('b')",
    good="stat, p = proportions_ztest([conv_b, conv_a], [n_b, n_a])\nif p < 0.05 and n >= MIN_N:\n    promote('b')",
    requires=("serving",), principle="testing", tools=("scipy", "statsmodels"),
)
def no_significance_test(ctx: RuleContext) -> Iterator[Hit]:
    """Flags traffic splitting (anchored on its evidence) when no statistical test judges the comparison: no
    scipy/statsmodels/pingouin test, no hand-written significance test, no experimentation platform that
    computes it (GrowthBook, LaunchDarkly, Statsig, Optimizely) and no automated canary analysis (Argo
    AnalysisTemplate, Flagger metrics).
    """
    if incidental_serving(ctx):
        return
    split = _split_evidence(ctx)
    if split is None:
        return
    tools = set(ctx.detection.tools("traffic_splitting"))
    if tools & set(_EXPERIMENT_PLATFORMS) or any(p in split.what.lower() for p in _EXPERIMENT_PLATFORMS):
        return
    if _automated_analysis(ctx) or _imports(ctx, _STAT_MODULES):
        return
    for c, call in call_index(ctx).root(*_STAT_ROOTS):
        if _STAT_TESTS.match(c.effective(call)):
            return
    for c in ctx.detection.index.contexts.values():
        if c.py.is_test:
            continue
        if any(_STAT_FUNC.search(fn.name) for fn in c.py.functions) or any(
                _STAT_VAR.match(a.target.rsplit(".", 1)[-1]) for a in c.py.assigns):
            return  # a hand-written test (chi-squared, z-test, p-value)
    where = f"{split.path}:{split.line}" if split.path and split.line else (split.path or "the repository")
    yield Hit(split.path, split.line, f"{where} splits traffic between model versions ({split.what}), but no "
              f"statistical test or automated analysis decides which version is better", cell=split.cell,
              key="no-significance-test")


# --------------------------------------------------------------------------------------------
_ROLLBACK_FILE = lazy(r"(?i)(^|/)(rollback|runbooks?|playbooks?)[^/]*($|/)|rollback")


def _rollback_signal(ctx: RuleContext) -> str | None:
    if _contract(ctx, "rollback", "time_to_rollback"):
        return "declared"
    tools = set(ctx.detection.tools("traffic_splitting"))
    if tools & {"argo_rollouts", "flagger"}:
        return "progressive delivery rolls back automatically"
    for f in ctx.facts.files:
        if _ROLLBACK_FILE.search(f.path):
            return f.path
    for doc in ctx.facts.configs:
        for path, _ in walk(doc.data):
            if path and isinstance(path[-1], str) and "rollback" in path[-1].lower():
                return f"{doc.path}: {path[-1]}"
    for c in ctx.detection.index.contexts.values():
        if c.py.is_test:
            continue
        for fn in c.py.functions:
            if "rollback" in fn.name.lower() or "roll_back" in fn.name.lower():
                return f"{c.py.path}:{fn.line} def {fn.name}"
    return None


@rule(
    id="ROL004", name="no-rollback-plan", area="rollout", severity=Severity.MEDIUM,
    title="No documented or automated way to roll a model back",
    rationale=(
        "Every model release will eventually need to be undone, usually under pressure and by someone who did "
        "not ship it. If the way back is not written down (which version to return to, which command or alias "
        "switch does it, how long it takes, who decides) or automated by the delivery tool, the time to "
        "recover is spent rediscovering it. Staged rollout practice expects rollback within minutes with "
        "automatic triggers, and Google's MLOps guidance treats the ability to return to a previous model "
        "version as part of continuous delivery."
    ),
    remediation={
        "mlflow": (
            "Make rollback an alias switch and write it down (docs/runbooks/rollback.md):\n\n"
            "    client.set_registered_model_alias('churn', 'champion', previous_version)\n\n"
            "with the trigger, the owner, the expected time to effect, and a drill date; declare it in "
            "[tool.mlops-audit.contracts] rollout = {rollback = 'docs/runbooks/rollback.md', "
            "time_to_rollback = '5m'}."
        ),
        "default": (
            "Write docs/runbooks/rollback.md (trigger, command, previous version source, time to effect, owner) "
            "and rehearse it; better, let the delivery tool do it: Argo Rollouts or Flagger abort and roll back "
            "a canary automatically when its analysis fails. Declare it in [tool.mlops-audit.contracts] "
            "rollout = {rollback = 'docs/runbooks/rollback.md', time_to_rollback = '5m'}."
        ),
    },
    seeds=("C26", "Z06", "G08", "H15"), references=(_GOOGLE, _SCULLEY),
    bad="# deploy.sh pushes the new image; nobody knows the previous tag",
    good="docs/runbooks/rollback.md + rollout = {rollback = 'docs/runbooks/rollback.md', time_to_rollback = '5m'}",
    requires=("serving",), principle="deployment", tools=("argo_rollouts", "flagger", "mlflow"),
)
def no_rollback_plan(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository with no rollback plan: no rollback in the declared rollout contract, no Argo
    Rollouts or Flagger (which roll back on failed analysis), no rollback or runbook file, no rollback job or
    key in configuration and no rollback function.
    """
    if incidental_serving(ctx):
        return
    if _rollback_signal(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but has no rollback plan: no runbook or rollback "
              "file, no rollback job, no Argo Rollouts/Flagger, and no rollback in the declared rollout "
              "contract", key="no-rollback-plan")

