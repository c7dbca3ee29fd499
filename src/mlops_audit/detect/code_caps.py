"""Capabilities evidenced by code: the signature tables applied to every call,
decorator, base class and keyword, plus the few detectors that need a little
reasoning (tests, evaluation gates, input validation, drift, config reading).

Test files count only for the testing capabilities. Optional integrations do
not count as use:

* a module imported only inside ``try/except ImportError`` counts only when it
  is a core (runtime, main-group) dependency of the project; an optional extra
  or a dev/test requirement is not enough;
* a module imported only inside functions (the lazy-import idiom of libraries)
  does not count when the project declares it, but only as an optional extra or
  a dev/test dependency;
* calls inside a class that plugs into a framework hook (a subclass of a
  ``*Callback`` / ``*Logger`` / ``*Tracker`` / ``*Hook`` base) count only when
  the project itself instantiates or names that class somewhere (code or
  configuration); a training library's ``integrations/`` package of tracker
  callbacks is offered to users, not used for the library's own experiments.
"""
from __future__ import annotations

import re
from fnmatch import fnmatchcase
from itertools import chain
from typing import Callable, Any, Iterable

from .._patterns import lazy
from ..facts import Call, ClassDef, Expr, Facts, PyFile, Ref
from .calls import backpropagates_loss
from .context import FileContext, RepoIndex, absolute_module
from .evidence import Evidence
from .matcher import PatternIndex, normalize_qualname
from .serving import Route, is_health_path
from .signatures import BASES, CALLS, DECORATORS, DISTS, FRAMEWORK_IMPORTS, KWARGS

__all__ = ["detect_code", "TESTING_CAPS", "METRIC_NAME", "CALL_INDEX", "call_matches"]

TESTING_CAPS = frozenset({"unit_tests", "model_tests"})
CALL_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in CALLS)
_DECO_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in DECORATORS)
_BASE_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in BASES)
_KW_INDEX: PatternIndex[tuple[str, Any, str, str]] = PatternIndex((p, (k, v, c, t)) for p, k, v, c, t in KWARGS)

METRIC_NAME = lazy(
    r"(?i)(^|[_.\[\"'])(acc|accuracy|auc|roc_auc|f1|f1_score|precision|recall|rmse|mse|mae|r2|loss|"
    r"score|metric|metrics|map|ndcg|bleu|rouge|perplexity|error|wer|iou|dice)($|[_.\]\"'])")
_LLM_MODEL_TYPES = {"question-answering", "text-summarization", "text", "databricks-agent"}
# method names ending like this register, promote or deploy a model
_PROMOTING_METHODS = ("register_model", "transition_model_version_stage", "set_registered_model_alias",
                      "create_model_version", "push_to_hub", "deploy", "promote", "link_model", "set_stage")
# A comparison that raises is a gate only when it reads like one: a threshold, a baseline or
# champion, or code whose place says it evaluates or promotes (not an input check or a NaN guard).
_GATE_NAME = lazy(r"(?i)thresh|^min_|_min$|^max_|baseline|champion|challenger|production|prod_|"
                        r"required|expected|target|gate|tolerance")
# names of a promotion verdict (is_better, passed, should_promote), not of a computed value (score, mask)
_VERDICT_NAME = lazy(r"(?i)better|worse|pass|promot|accept|approv|(^|_)wins?($|_)|deploy|improv|beats|(^|_)ok$")
_GATE_PLACE = lazy(r"(?i)eval|gate|promot|deploy|regist|release|validat|quality|champion|compare|check_model")
# Calls that stop a pipeline run or process; a metric comparison right before one of them gates what follows.
_STOP_METHODS = frozenset({"cancel", "exit", "abort", "fail", "_exit", "terminate"})
_GATE_REACH = 12
_DRIFT_STATS = {"scipy.stats.ks_2samp", "scipy.stats.wasserstein_distance", "scipy.spatial.distance.jensenshannon",
                "scipy.stats.chi2_contingency", "scipy.stats.chisquare", "scipy.stats.entropy",
                "scipy.stats.kstest", "scipy.stats.anderson_ksamp"}
_DRIFT_STAT_METHODS = frozenset(name.rsplit(".", 1)[1] for name in _DRIFT_STATS)
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_DRIFT_FUNCTION = lazy(r"(?i)(^|_)(psi|population_stability|detect_drift|data_drift|compute_drift)")


# Message, response and base types that live next to the LLM classes of llama-index / langchain packages.
_LLM_DATA_TYPE = lazy(r"^(llama_index|langchain)[\w.]*\.(base|types|utils|generic_utils|openai_utils|"
                            r"schema)\.\w+$|^(llama_index|langchain)[\w.]*\.\w*(Message|MessageRole|Response|"
                            r"ResponseGen|Metadata|Chunk|Delta)$")
_SEED_KWARGS = frozenset({"seed", "a", "x", "random_state", "seed_value", "key"})
_TRAIN_METHODS = frozenset({"fit", "fit_generator", "train", "backward"})


def call_matches(name: str) -> Iterable[tuple[str, str]]:
    return CALL_INDEX.match(name)


def _kw_value_matches(expected: Any, actual: Any) -> bool:
    if expected == "*":
        return actual is not None and actual is not False
    if isinstance(actual, tuple):
        return any(_kw_value_matches(expected, a) for a in actual)
    if isinstance(expected, str) and isinstance(actual, str):
        return fnmatchcase(actual.lower(), expected.lower())
    return actual == expected


_PROMETHEUS_DISTRIBUTIONS = frozenset({"prometheus_client.Histogram", "prometheus_client.Summary"})
_LATENCY_WORDS = lazy(r"(?i)laten|duration|time|second|secs|(^|_)ms($|_)|milli|elapsed|wait")
_SIZE_WORDS = lazy(r"(?i)size|bytes|length|count")


def pushes_non_model(call: Call, name: str, ctx: FileContext | None = None) -> bool:
    """A Hub upload of a dataset or a Space: ``repo_type="dataset"``, a ``datasets`` object (by type, or
    assigned from a ``datasets`` call: ``pairs = load_dataset(...)["train"]``), or a receiver named after data
    (``ds.push_to_hub``)."""
    if call.kw("repo_type") in ("dataset", "space") or name.startswith("datasets."):
        return True
    if call.method != "push_to_hub":
        return False
    if re.search(r"(?i)data", call.receiver):
        return True
    return ctx is not None and any(
        a.target == call.receiver and a.scope == call.scope and isinstance(a.value, Expr)
        and a.value.callee.startswith("datasets.") for a in ctx.py.assigns)


def _dataset_card(ctx: FileContext, call: Call) -> bool:
    """``card = ModelCard(text); card.push_to_hub(repo, repo_type="dataset")``: a card written for a dataset."""
    return any(c.kw("repo_type") == "dataset" for c in ctx.calls_by_scope.get(call.scope, ())
               if c.method == "push_to_hub" and c.line >= call.line)


_MONITORING_APP = lazy(r"(?i)monitor|observab|drift")  # not "dashboard" alone: an eval playground is a demo
_PAGE_TITLES = frozenset({"title", "set_page_config", "header"})


def _monitoring_app(ctx: FileContext) -> bool:
    """A UI app that monitors the model rather than demonstrating it: its path says monitoring or drift
    (``src/monitoring/dashboard.py``), or its page title does (``st.title("Churn model monitoring")``)."""
    return ctx.once("monitoring_app", _monitoring_app_of, ctx)


def _monitoring_app_of(ctx: FileContext) -> bool:
    if _MONITORING_APP.search(ctx.py.path):
        return True
    for call in ctx.calls_among(ctx.calls_by_method, _PAGE_TITLES):
        title = call.args[0] if call.args else call.kw("page_title")
        if isinstance(title, str) and _MONITORING_APP.search(title):
            return True
    return False


def _skip_call(capability: str, tool: str, call: Call, name: str, ctx: FileContext | None = None) -> bool:
    """Signature rows that need a look at arguments before they count."""
    if name == "boto3.client":
        return not (call.args and call.args[0] == "bedrock-runtime")
    if name == "mlflow.evaluate":
        return call.kw("model_type") not in _LLM_MODEL_TYPES
    if name == "boto3.client.register_scalable_target":
        return call.kw("ServiceNamespace") != "sagemaker"
    if name == "transformers.pipeline":
        task = call.args[0] if call.args else call.kw("task")
        return task not in ("text-generation", "text2text-generation", "conversational", "image-text-to-text")
    if name == "huggingface_hub.create_repo":
        return call.kw("repo_type") in ("dataset", "space")
    if name.endswith((".push_to_hub", ".upload_file", ".upload_folder")) and pushes_non_model(call, name, ctx):
        return True  # a dataset (or a Space) pushed to the Hub is not a model version
    if capability == "latency_metrics" and name in _PROMETHEUS_DISTRIBUTIONS:
        metric = call.args[0] if call.args else call.kw("name")
        # a histogram of predicted prices or payload sizes is a distribution, not a latency
        return isinstance(metric, str) and not (_LATENCY_WORDS.search(metric) and not _SIZE_WORDS.search(metric))
    if capability == "mixed_precision" and call.kw("enabled") is False:
        return True  # autocast(enabled=False) turns reduced precision off for a block
    if capability == "mixed_precision" and isinstance(call.kw("dtype"), Ref) and \
            call.kw("dtype").qualname in ("torch.float", "torch.float32"):
        return True  # autocast(dtype=torch.float32): full precision
    if capability == "llm_usage" and _LLM_DATA_TYPE.search(name):
        return True  # ChatMessage(...), ChatResponse, llms.base.LLM: message and type classes, not model calls
    if capability == "seeds_fixed":
        # random.seed(), np.random.default_rng(), RandomState(), seed_everything() without a
        # seed draw fresh entropy: nothing is fixed
        if call.args:
            return call.args[0] is None
        seeds = [v for k, v in call.kwargs if k in _SEED_KWARGS]
        if seeds:
            return seeds[0] is None
        return not call.star_kwargs
    return False


def detect_code(facts: Facts, index: RepoIndex, ev: Evidence, declared: set[str],
                routes: list[Route], core: set[str] | None = None) -> None:
    """Run every code-level detector over every code unit.

    ``declared`` (import roots of every declared distribution) is narrowed here
    to the core runtime dependencies; roots declared only as extras or dev/test
    dependencies are the project's optional integrations.
    """
    if core is None:
        core = core_import_roots(facts)
    optional = {r for r in declared if r not in core}
    scope = _Scope(core, optional, lambda: _used_class_names(facts, index), _own_roots(facts), _core_tools(facts),
                   any(m.requirements for m in facts.manifests))
    for path, ctx in index.contexts.items():
        py = ctx.py
        if py.syntax_error and not py.calls:
            continue
        if py.is_test:
            _tests(ctx, ev, index)
            continue
        _tables(ctx, ev, scope)
        _config_reading(ctx, ev, facts)
        _drift_custom(ctx, ev)
        _evaluation_gate(ctx, ev)
        _zenml_stages(ctx, ev)
        _mlflow_signature(ctx, ev)
        _webhook_alerts(ctx, ev)
        _orchestrator_schedules(ctx, ev)
    _serving_surface(index, ev, routes)
    _prediction_logging(index, ev, routes)


_HOOK_BASE = lazy(r"(?i)(callback|logger|tracker|hook)(handler|base)?$")


_OPTIONAL_REQ_FILE = lazy(r"(?i)extra|optional|example|integration|contrib|plugin|logger")
_OPTIONAL_REQ_DIR = lazy(r"(?i)(^|/)[^/]*(example|demo|tutorial|notebook|benchmark|sample)[^/]*/")


def _core_requirements(facts: Facts) -> list:
    """Core runtime requirements: main groups, minus requirement files of extras, examples, integrations."""
    from .repo_caps import runtime_requirements

    return [r for path, r in runtime_requirements(facts)  # transitive pins of a compiled file: not chosen
            if r.direct and not _OPTIONAL_REQ_FILE.search(path.rsplit("/", 1)[-1])
            and not _OPTIONAL_REQ_DIR.search(path)]


def core_import_roots(facts: Facts) -> set[str]:
    """Import roots of the project's core dependencies."""
    from .distributions import imports_for_dist

    roots: set[str] = set()
    for req in _core_requirements(facts):
        roots.update(imports_for_dist(req.name))
        roots.add(req.name.replace("-", "_"))
    return roots


def _core_tools(facts: Facts) -> set[tuple[str, str]]:
    """(capability, tool) pairs whose distribution is a core dependency (DISTS table)."""
    core = {r.name for r in _core_requirements(facts)}
    return {(c, t) for dist, c, t in DISTS if dist in core}


def _own_roots(facts: Facts) -> frozenset[str]:
    """Top-level packages and modules of the repository itself (``src/`` layout too).

    Scanning a library, ``lightning.pytorch.loggers.TensorBoardLogger(...)`` or ``mlflow.log_metric`` inside
    the lightning or mlflow repository is the library calling itself, not the project using a tool.
    """
    roots: set[str] = set()
    for py in facts.python:
        parts = py.path.split("/")
        if parts[0] == "src" and len(parts) > 2:
            parts = parts[1:]
        if len(parts) == 2 and parts[1] == "__init__.py":
            roots.add(parts[0])
    return frozenset(roots)


def _in_own_package(path: str, own: frozenset[str]) -> bool:
    """Whether a file belongs to one of the repository's own packages (library code), not to its examples,
    scripts or notebooks."""
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > 2:
        parts = parts[1:]
    return len(parts) > 1 and parts[0] in own


def _lazy_modules(py: PyFile) -> frozenset[str]:
    """Top-level modules this file imports only inside functions (lazy optional imports)."""
    lazy: set[str] = set()
    eager: set[str] = set()
    for imp in py.imports:
        root = imp.module.split(".", 1)[0]
        (lazy if imp.in_function else eager).add(root)
    return frozenset(lazy - eager)


def _used_class_names(facts: Facts, index: RepoIndex) -> set[str]:
    """Names the project instantiates or refers to: called names, names passed as arguments,
    registry strings (``type="WandbHook"``) and configuration values (Hydra ``_target_``,
    Lightning CLI ``class_path``). Test files do not count.
    """
    used: set[str] = set()
    add = used.add

    def add_values(values: Iterable[Any], depth: int) -> None:
        for value in values:
            if isinstance(value, str):
                if len(value) < 200 and " " not in value:
                    add(value.rpartition(".")[2])
            elif isinstance(value, Ref):
                add(value.qualname.rpartition(".")[2])
            elif depth < 2:
                if isinstance(value, tuple):
                    add_values(value, depth + 1)
                elif isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple):
                    add_values([v for _k, v in value.literal], depth + 1)

    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.py.calls:
            qualname = call.qualname
            name = (qualname.replace("()", "") if "()" in qualname else qualname).rpartition(".")[2]
            if name in _TYPE_CHECKS:
                continue  # isinstance(logger, WandbLogger) inspects a class, it does not use it
            if call.scope.partition(".")[0] != name:
                add(name)
            if call.args:
                add_values(call.args, 0)
            if call.kwargs:
                add_values([v for _k, v in call.kwargs], 0)
    for doc in facts.configs:
        stack = [doc.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, str) and len(node) < 200 and " " not in node:
                add(node.rsplit(".", 1)[-1])
    return used


_TOOLS_WITH_DISTS = frozenset((c, t) for _d, c, t in DISTS)
# effective call name -> (CALL_INDEX rows, _KW_INDEX rows): one lookup per call instead of two method calls
_ROWS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, Any, str, str], ...]]] = {}
_TYPE_CHECKS = frozenset({"isinstance", "issubclass", "hasattr", "getattr", "type", "cast", "repr", "str"})


def _hook_classes(py: PyFile, scope: "_Scope") -> dict[str, bool]:
    """Classes of this file that plug into a framework hook (qualname -> does the project use them)."""
    hooked = [cls for cls in py.classes if any(_HOOK_BASE.search(b.rsplit(".", 1)[-1]) for b in cls.bases if b)]
    if not hooked or scope.used_names is None:
        return {}
    used = scope.used_names
    return {cls.qualname: cls.name in used for cls in hooked}


class _Scope:
    """What decides whether a tool call found in code is the project's own use of the tool."""

    def __init__(self, core: set[str], optional: set[str], used_names: "set[str] | Callable[[], set[str]] | None" = None,
                 own_roots: frozenset[str] = frozenset(), core_tools: set[tuple[str, str]] | None = None,
                 has_manifest: bool = False) -> None:
        self.core, self.optional, self._used = core, optional, used_names
        self.own_roots, self.core_tools, self.has_manifest = own_roots, core_tools or set(), has_manifest

    @property
    def used_names(self) -> set[str] | None:
        """Computed on first need: only repositories with framework hook classes pay for it."""
        if callable(self._used):
            self._used = self._used()
        return self._used  # type: ignore[return-value]


_MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})


def _middleware_classes(ctx: FileContext) -> list[tuple[Call, str]]:
    """Middleware handed over as a class, which the framework instantiates: ``app.add_middleware(
    PrometheusMiddleware)`` and ``Middleware(PrometheusMiddleware)`` use that class as a call would."""
    out = []
    for call in ctx.calls_among(ctx.calls_by_method, ("add_middleware", "Middleware")):
        if call.args and isinstance(call.args[0], Ref) and (
                call.method == "add_middleware" or normalize_qualname(call.qualname) in _MIDDLEWARE_WRAPPERS):
            out.append((call, call.args[0].qualname))
    return out


def _partial_targets(ctx: FileContext) -> list[tuple[Call, str]]:
    """``functools.partial(FSDP, sharding_strategy=...)``: the class or function a partial wraps is used as a
    call of it would be (the keywords given to the partial are the call's)."""
    out = []
    for call in ctx.calls_by_method.get("partial", ()):
        if call.args and isinstance(call.args[0], Ref) and ctx.effective(call) in ("functools.partial", "partial"):
            out.append((call, call.args[0].qualname))
    return out


def _tables(ctx: FileContext, ev: Evidence, core: set[str] | _Scope, optional: set[str] | None = None,
            used_names: set[str] | None = None) -> None:
    scope = core if isinstance(core, _Scope) else _Scope(core, optional or set(), used_names)
    core, optional = scope.core, scope.optional
    py = ctx.py
    guarded = ctx.guarded_modules
    lazy = _lazy_modules(py)
    in_package = _in_own_package(py.path, scope.own_roots)
    hooks: dict[str, bool] | None = None
    own = scope.own_roots
    for call, name in chain(zip(py.calls, ctx.call_names), _middleware_classes(ctx), _partial_targets(ctx)):
        rows = _ROWS.get(name)
        if rows is None:
            rows = _ROWS[name] = (CALL_INDEX.match(name), _KW_INDEX.match(name))
        if not rows[0] and not (rows[1] and call.kwargs):
            continue  # no signature row for this name: nothing below could record evidence
        root = name.split(".", 1)[0]
        if root in own and in_package:
            continue  # the library calling itself (lightning's code calling lightning); its examples use it
        if root in guarded and root not in core and not py.has_main:
            continue  # an optional integration, unless a script the project runs uses it
        if root in lazy and root in optional and in_package:
            continue  # a library's integration imported on demand; an example script importing it uses it
        matches = rows[0]
        if hooks is None:
            hooks = _hook_classes(py, scope)
        hook = next((q for q in hooks if call.scope == q or call.scope.startswith(q + ".")), None) if hooks else None
        if hook is not None:
            if not hooks[hook]:
                continue  # an integration class nobody here instantiates: offered to users, not used
            if scope.has_manifest:
                # used by the library's own wiring: counts only for tools the project depends on
                matches = [(c, t) for c, t in matches if (c, t) in scope.core_tools
                           or ((c, t) not in _TOOLS_WITH_DISTS and root in core)]
        for capability, tool in matches:
            if capability == "alerting" and not _ALERT_PLACE.search(f"{py.path} {call.scope}"):
                continue  # a CI report or a "training finished" message is not an alert on model signals
            if capability == "demo_ui" and _monitoring_app(ctx):
                capability = "dashboards"  # a Streamlit/Dash app that charts the model in production
            if not _skip_call(capability, tool, call, name, ctx) and not (
                    capability == "model_card" and _dataset_card(ctx, call)):
                ev.add(capability, tool, py.path, call.line, name, call.cell)
        if call.kwargs:
            for key, expected, capability, tool in rows[1]:
                for k, v in call.kwargs:
                    if (key == "*" or k == key) and _kw_value_matches(expected, v):
                        ev.add(capability, tool, py.path, call.line, f"{name}({k}=...)", call.cell)
    for fn in py.functions:
        for d in fn.decorators:
            dname = normalize_qualname(d.qualname)
            if dname.split(".", 1)[0] in own:
                continue
            for capability, tool in _DECO_INDEX.match(dname):
                ev.add(capability, tool, py.path, d.line, "@" + dname, fn.cell)
            for key, expected, capability, tool in _KW_INDEX.match(dname):
                for k, v in d.kwargs:
                    if k == key and _kw_value_matches(expected, v):
                        ev.add(capability, tool, py.path, d.line, f"@{dname}({k}=...)", fn.cell)
    for cls in py.classes:
        for base in cls.bases:
            if base.split(".", 1)[0] in own:
                continue
            for capability, tool in _BASE_INDEX.match(base):
                ev.add(capability, tool, py.path, cls.line, f"class {cls.name}({base})", cls.cell)
        for d in cls.decorators:
            for capability, tool in _DECO_INDEX.match(normalize_qualname(d.qualname)):
                ev.add(capability, tool, py.path, d.line, "@" + d.qualname, cls.cell)


def _unittest_class(index: RepoIndex | None, ctx: FileContext, base: str, depth: int = 0) -> bool:
    """Whether a base class is a unittest TestCase. Library bases named ``*TestCase`` (unittest, Django, absl,
    TensorFlow) are; the repository's own ``*TestCase`` helper is only when it derives from one itself."""
    if not base.endswith("TestCase"):
        return False
    if index is None or depth > 3:
        return True
    found: tuple[FileContext, ClassDef] | None = None
    local = next((c for c in ctx.py.classes if c.name == base), None)
    if local is not None:
        found = (ctx, local)
    else:
        qual = absolute_module(ctx.py.path, base) if base.startswith(".") else base
        module, _, cls = qual.rpartition(".")
        path = index.modules.get(module) if module else None
        other = index.contexts.get(path) if path else None
        hit = next((c for c in other.py.classes if c.name == cls), None) if other else None
        if hit is not None and other is not None:
            found = (other, hit)
    if found is None:
        return True  # a library's TestCase
    octx, cdef = found
    return any(_unittest_class(index, octx, b, depth + 1) for b in cdef.bases)


def _tests(ctx: FileContext, ev: Evidence, index: RepoIndex | None = None) -> None:
    """unit_tests: collected test functions/classes; model_tests: asserts on a trained model's metrics."""
    py = ctx.py
    name = py.path.rsplit("/", 1)[-1]
    if not _collected_test_module(name):
        return  # conftest.py, helpers and fixtures under tests/ hold no collected tests
    imports = {imp.module.split(".", 1)[0] for imp in py.imports}
    testcase_classes = {c.name for c in py.classes if any(_unittest_class(index, ctx, b) for b in c.bases)}
    found = False
    for fn in py.functions:
        if not fn.name.startswith("test"):
            continue
        if fn.class_name and fn.class_name in testcase_classes:
            ev.add("unit_tests", "unittest", py.path, fn.line, f"{fn.class_name}.{fn.name}")
            if "pytest" in imports:  # TestCase classes written for pytest (pytest.raises, marks, fixtures)
                ev.add("unit_tests", "pytest", py.path, fn.line, f"{fn.class_name}.{fn.name} (pytest)")
            found = True
        elif fn.class_name and not fn.class_name.startswith("Test"):
            continue
        else:
            ev.add("unit_tests", "nose" if "nose" in imports and "pytest" not in imports else "pytest",
                   py.path, fn.line, fn.qualname)
            found = True
    if not found:
        return
    model_calls = {"fit", "predict", "predict_proba", "evaluate", "score", "train", "generate", "invoke",
                   "forward", "test", "validate", "transform"}
    for fn in py.functions:
        if not fn.name.startswith("test"):
            continue
        calls = ctx.calls_by_scope.get(fn.qualname, [])
        uses_model = any(c.qualname.rpartition(".")[2] in model_calls or "model" in c.qualname.lower()
                         or "metric" in c.qualname.lower() for c in calls)
        if not uses_model:
            continue
        predictions = _prediction_names(py, fn.qualname)
        for cmp in py.compares:
            if cmp.scope != fn.qualname or cmp.context != "assert":
                continue
            numeric = [c for c in cmp.constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
            has_order = any(op in ("<", "<=", ">", ">=") for op in cmp.ops)
            if has_order and (numeric or len(cmp.names) >= 2) and any(METRIC_NAME.search(n) for n in cmp.names):
                ev.add("model_tests", "", py.path, cmp.line, f"assert in {fn.name}")
            elif (sum(1 for n in cmp.names if n in predictions) >= 2
                  and any(op in ("<", "<=", ">", ">=", "==") for op in cmp.ops)):
                # directional (high < low) or invariance (pred_a == pred_b) expectation on predictions
                ev.add("model_tests", "", py.path, cmp.line, f"behavioural assert in {fn.name}")


def _collected_test_module(name: str) -> bool:
    """Modules a test runner collects by default: test*.py (pytest, unittest), *_test.py, tests.py."""
    return name.endswith(".py") and (name.startswith("test") or name.endswith("_test.py"))


_PREDICT = lazy(r"(?:^|\.)(predict\w*|generate|forward|__call__)(?:\(\))?$")


def _prediction_names(py: PyFile, scope: str) -> set[str]:
    """Local names assigned from a model's prediction in ``scope`` (``p = model.predict(x)[0, 1]``)."""
    out: set[str] = set()
    for a in py.assigns:
        if a.scope != scope or not isinstance(a.value, Expr):
            continue
        callee = a.value.callee if a.value.kind in ("call", "subscript") else ""
        if callee and _PREDICT.search(callee) and "." in callee:
            out.add(a.target)
    return out


def _kedro_params_input(call: Call) -> bool:
    """A Kedro node fed from the parameters files (``inputs="params:model_options"`` or ``"parameters"``)."""
    values = list(call.args[1:2]) + [v for k, v in call.kwargs if k == "inputs"]
    flat: list = []
    for v in values:
        flat.extend(v.values() if isinstance(v, dict) else v if isinstance(v, (tuple, list)) else (v,))
    return any(isinstance(v, str) and (v.startswith("params:") or v == "parameters") for v in flat)


_ARG_PARSER_YAML = ("TrlParser.parse_args_and_config", "HfArgumentParser.parse_yaml_file")
_ARG_PARSER_YAML_METHODS = frozenset(n.rsplit(".", 1)[1] for n in _ARG_PARSER_YAML)
# every call _config_reading records has one of these method names (the last segment of its qualname)
_CONFIG_READING_METHODS = _ARG_PARSER_YAML_METHODS | {"safe_load", "load", "full_load", "open", "node", "Node"}


def _config_reading(ctx: FileContext, ev: Evidence, facts: Facts) -> None:
    """Hyperparameters and paths read from config files: yaml/json/toml loaders on config-looking paths."""
    py = ctx.py
    for call in ctx.calls_among(ctx.calls_by_method, _CONFIG_READING_METHODS):
        name = call.qualname
        method = name.rpartition(".")[2]
        if name in ("yaml.safe_load", "yaml.load", "yaml.full_load", "ruamel.yaml.YAML.load"):
            ev.add("_yaml_read", "yaml", py.path, call.line, name, call.cell)
        elif method in _ARG_PARSER_YAML_METHODS and ctx.effective(call).endswith(_ARG_PARSER_YAML):
            # TRL / transformers argument parsers fill their dataclasses from a YAML recipe (--config x.yaml)
            ev.add("_yaml_read", "yaml", py.path, call.line, ctx.effective(call), call.cell)
        elif name in ("json.load", "tomllib.load", "toml.load", "tomli.load"):
            tool = "json" if name.startswith("json") else "toml"
            ev.add("_json_toml_read", tool, py.path, call.line, name, call.cell)
        if name == "open" and call.args and isinstance(call.args[0], str):
            lit = call.args[0].lower()
            if re.search(r"(param|config|conf|hparam|setting)[^/]*\.(ya?ml|json|toml)$", lit):
                ev.add("_config_file_literal", lit.rsplit(".", 1)[-1].replace("yml", "yaml"), py.path, call.line,
                       f"open({call.args[0]!r})", call.cell)
        if name.startswith("kedro.pipeline.") and name.rsplit(".", 1)[-1] in ("node", "Node") \
                and _kedro_params_input(call):
            ev.add("_kedro_params", "yaml", py.path, call.line, f"{name}(inputs='params:...')", call.cell)
    for cls in py.classes:
        if (cls.name.endswith(("Config", "Settings", "Params", "Parameters", "Hyperparameters"))
                and any(b in ("pydantic.BaseModel", "pydantic.main.BaseModel") for b in cls.bases)):
            ev.add("_pydantic_config", "pydantic", py.path, cls.line, f"class {cls.name}(BaseModel)", cls.cell)


def _drift_custom(ctx: FileContext, ev: Evidence) -> None:
    for call in ctx.calls_among(ctx.calls_by_method, _DRIFT_STAT_METHODS):
        if call.qualname in _DRIFT_STATS and re.search(r"(?i)drift|shift|psi|monitor", call.scope + ctx.py.path):
            ev.add("drift_detection", "custom", ctx.py.path, call.line, call.qualname, call.cell)
    for fn in ctx.py.functions:
        if _DRIFT_FUNCTION.search(fn.name):
            ev.add("drift_detection", "custom", ctx.py.path, fn.line, f"def {fn.name}", fn.cell)
    # drift monitor classes kept in a table and instantiated later (`MONITORS = {"data_drift": DataDriftMonitor}`)
    for a in ctx.py.assigns:
        if isinstance(a.value, Expr) and a.value.kind in ("dict", "list", "tuple", "set"):
            for ref in _literal_refs(a.value.literal):
                if re.match(r"evidently\.[\w.]*Drift\w*$", ref):
                    ev.add("drift_detection", "evidently", ctx.py.path, a.line, ref, a.cell)
                    break


def _literal_refs(value: Any, depth: int = 0) -> Iterable[str]:
    """Qualified names referenced (not called) inside a literal container."""
    if isinstance(value, Ref):
        yield value.qualname
    elif isinstance(value, (tuple, list)) and depth < 3:
        for v in value:
            yield from _literal_refs(v, depth + 1)


def _evaluation_gate(ctx: FileContext, ev: Evidence) -> None:
    """A metric compared against a threshold that blocks registration, promotion or deployment."""
    py = ctx.py
    promote_scopes: set[str] | None = None  # computed on first need: only files with a metric comparison pay
    # `passed = auc >= MIN_AUC` decided once, then `if not passed: raise/exit`: the verdict flows by name
    raising_tests = {(c.scope, n) for c in py.compares if c.context == "if" and c.raises and not c.ops
                     for n in c.names}
    for cmp in py.compares:
        if cmp.context.startswith("assign:"):
            if (cmp.scope, cmp.context[7:]) not in raising_tests:
                if promote_scopes is None:
                    promote_scopes = _promote_scopes(ctx)
                fn = ctx.functions.get(cmp.scope)
                # `is_better = chall_f1 > champ_f1; return is_better`: the verdict goes back to the caller
                returned = fn is not None and cmp.context[7:] in fn.returns_names and bool(
                    _VERDICT_NAME.search(cmp.context[7:]))
                if cmp.scope not in promote_scopes and not returned:
                    continue
        elif cmp.context not in ("if", "assert"):
            continue
        if _ORDER_OPS.isdisjoint(cmp.ops):
            continue
        if "len" in cmp.names:
            continue  # len(invalid_metrics) > 0 counts items: argument checking, not a metric threshold
        if not any(METRIC_NAME.search(n) for n in cmp.names):
            continue
        if promote_scopes is None:
            promote_scopes = _promote_scopes(ctx)
        if cmp.scope in promote_scopes:
            ev.add("evaluation_gate", "", py.path, cmp.line, "metric threshold gates promotion", cmp.cell)
        elif (cmp.stops or cmp.context.startswith("assign:")) and _gate_like(cmp, py.path):
            ev.add("evaluation_gate", "", py.path, cmp.line, "metric threshold gate", cmp.cell)
        elif cmp.context == "if" and _gate_like(cmp, py.path):
            # the branch that stops the run may be the else: `if new_mse < production_mse: ... else: run.cancel()`
            stop = next((c for c in ctx.calls_by_scope.get(cmp.scope, ()) if c.method in _STOP_METHODS
                         and cmp.line < c.line <= cmp.line + _GATE_REACH and c.cell == cmp.cell), None)
            if stop is not None:
                ev.add("evaluation_gate", "", py.path, cmp.line, f"metric comparison stops the run ({stop.qualname})",
                       cmp.cell)
    _pipeline_gates(ctx, ev)


def _zenml_stages(ctx: FileContext, ev: Evidence) -> None:
    """model_registry: a ZenML model version moved to a stage (``model.set_stage("production")``).

    The version usually comes from the step context (``get_step_context().model``) or the client, whose type
    the call does not carry, so the file's ZenML import stands in for the receiver's type."""
    calls = ctx.calls_by_method.get("set_stage")
    if not calls or not any(imp.module.split(".", 1)[0] == "zenml" for imp in ctx.py.imports):
        return
    for call in calls:
        if call.args or call.has_kw("stage"):
            ev.add("model_registry", "zenml", ctx.py.path, call.line, f"{call.qualname} promotes a model version",
                   call.cell)


def _promote_scopes(ctx: FileContext) -> set[str]:
    """Scopes that register, promote or deploy a model (a metric compared there gates the promotion)."""
    scopes = {c.scope for method, calls in ctx.calls_by_method.items() if method.endswith(_PROMOTING_METHODS)
              for c in calls}
    scopes.update(c.scope for c in ctx.calls_by_keyword.get("registered_model_name", ()))
    return scopes


# Gates declared to a pipeline system rather than written as Python comparisons: a TFMA metric threshold (the TFX
# Evaluator blesses the candidate only when it holds, and the Pusher pushes only blessed models), or a SageMaker
# Pipelines condition on a metric read from the evaluation report (JsonGet) that decides the following steps.
_TFMA_THRESHOLD = lazy(r"^tensorflow_model_analysis(\.[\w.]+)?\.MetricThreshold$")
_SM_CONDITIONS = frozenset({"ConditionGreaterThan", "ConditionGreaterThanOrEqualTo", "ConditionLessThan",
                            "ConditionLessThanOrEqualTo"})
_GATE_METHODS = _SM_CONDITIONS | {"MetricThreshold"}


def _pipeline_gates(ctx: FileContext, ev: Evidence) -> None:
    py = ctx.py
    metric_reads = {(c.scope, c.cell) for c in ctx.calls_by_method.get("JsonGet", ())
                    if c.qualname.endswith("sagemaker.workflow.functions.JsonGet")
                    and isinstance(c.kw("json_path"), str) and METRIC_NAME.search(c.kw("json_path"))}
    for call in ctx.calls_among(ctx.calls_by_method, _GATE_METHODS):
        name = call.qualname
        if _TFMA_THRESHOLD.match(name):
            ev.add("evaluation_gate", "", py.path, call.line, f"{name} blesses the candidate model", call.cell)
        elif (metric_reads and name.startswith("sagemaker.workflow.conditions.")
              and name.rsplit(".", 1)[1] in _SM_CONDITIONS and (call.scope, call.cell) in metric_reads):
            ev.add("evaluation_gate", "", py.path, call.line, f"pipeline condition on a metric ({name})", call.cell)


def _gate_like(cmp: Any, path: str) -> bool:
    """A raising metric comparison against a threshold-like value, or in evaluation/promotion code."""
    if any(_GATE_NAME.search(part) for n in cmp.names for part in n.split(".")):
        return True  # MIN_AUC, args.min_auc, baseline_f1, production_metrics
    if not _GATE_PLACE.search(path + " " + cmp.scope):
        return False
    numeric = [c for c in cmp.constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return bool(numeric) or len(cmp.names) >= 2


def _mlflow_signature(ctx: FileContext, ev: Evidence) -> None:
    """bentoml/mlflow signatures passed by name (``signature=sig``) count; literal None does not."""
    for call in ctx.calls_by_method.get("log_model", ()):
        if call.qualname.startswith("mlflow."):
            sig = call.kw("signature")
            if sig is not None and not (isinstance(sig, Expr) and sig.kind == "constant"):
                ev.add("model_signature", "mlflow", ctx.py.path, call.line, "log_model(signature=...)", call.cell)


_RESPONSE_CLASS = lazy(r"(?i)(response|output|result|prediction|reply|answer)s?$")


def _serving_surface(index: RepoIndex, ev: Evidence, routes: list[Route]) -> None:
    """Serving, health routes and request validation from the route table."""
    pydantic_models: set[str] = set()
    for ctx in index.contexts.values():
        for cls in ctx.py.classes:
            if any(b.startswith("pydantic") and b.endswith("BaseModel") for b in cls.bases):
                pydantic_models.add(cls.name)
    # transitive: classes deriving from a repository pydantic model
    for _ in range(2):
        for ctx in index.contexts.values():
            for cls in ctx.py.classes:
                if any(b.rsplit(".", 1)[-1] in pydantic_models for b in cls.bases):
                    pydantic_models.add(cls.name)
    # response models (``response_model=Prediction``, ``-> Prediction``-style names) are built by the
    # handler from its result: constructing one validates the answer, not the request
    response_models: set[str] = set()
    for route in routes:
        fn = index.contexts[route.file].functions.get(route.function)
        for d in fn.decorators if fn else ():
            rm = d.kw("response_model")
            if isinstance(rm, Ref):
                response_models.add(rm.qualname.rsplit(".", 1)[-1])
    for route in routes:
        ev.add("serving", route.framework, route.file, route.line, f"{'/'.join(route.methods)} {route.path}")
        if is_health_path(route.path):
            ev.add("health_endpoint", "", route.file, route.line, f"route {route.path}")
        ctx = index.contexts[route.file]
        fn = ctx.functions.get(route.function)
        if fn is None:
            continue
        for p in fn.params:
            ann = p.annotation.rsplit(".", 1)[-1] if p.annotation else ""
            if ann and (ann in pydantic_models or p.annotation.startswith("pydantic.")):
                ev.add("input_validation", "pydantic", route.file, fn.line, f"{p.name}: {ann}")
        for call in ctx.calls_by_scope.get(fn.qualname, []):
            name = ctx.effective(call)
            if name.endswith(".model_validate") or name.endswith(".parse_obj") or name.endswith(".parse_raw"):
                head = name.rsplit(".", 1)[0].rsplit(".", 1)[-1]
                if head in pydantic_models:
                    ev.add("input_validation", "pydantic", route.file, call.line, name, call.cell)
            elif name.endswith(".load") and "Schema" in name:
                ev.add("input_validation", "marshmallow", route.file, call.line, name, call.cell)
            elif name in ("jsonschema.validate",) or name.endswith("Validator.validate"):
                ev.add("input_validation", "jsonschema", route.file, call.line, name, call.cell)
            elif (name.split(".")[-1] in pydantic_models and name.split(".")[-1] not in response_models
                  and not _RESPONSE_CLASS.search(name.split(".")[-1])):
                ev.add("input_validation", "pydantic", route.file, call.line, f"{name}(...)", call.cell)
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.calls_by_root.get("bentoml", ()):
            if call.qualname.startswith("bentoml.io.") and (call.has_kw("pydantic_model") or call.has_kw("schema")):
                ev.add("input_validation", "bentoml", ctx.py.path, call.line, call.qualname, call.cell)
                model = call.kw("pydantic_model")
                if isinstance(model, Ref) and model.qualname.rsplit(".", 1)[-1] in pydantic_models:
                    ev.add("input_validation", "pydantic", ctx.py.path, call.line, f"pydantic_model={model}", call.cell)


# --- prediction logging: the serving path writes requests/predictions somewhere durable --------
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PREDICTION_ROUTE = lazy(r"(?i)predict|infer|score|classif|generat|complet|chat|invocations|recommend|"
                               r"detect|forecast|embed|summar|translat|transcrib|rank|answer|query")
_MODEL_METHOD = lazy(r"^(predict\w*|generate|invoke|ainvoke|forward|infer\w*|classify)$")
_SINK_METHODS = frozenset({"insert_one", "insert_many", "insert_rows_json", "insert_rows", "put_item", "put_record",
                           "put_records", "put_record_batch", "xadd", "bulk_save_objects", "add_all", "writerow",
                           "writerows", "to_sql", "send_message", "send_message_batch"})
_QUEUE_ROOTS = ("kafka.", "confluent_kafka.", "aiokafka.", "google.cloud.pubsub", "pika.", "redis.")
_QUEUE_METHODS = frozenset({"send", "produce", "send_and_wait", "publish", "basic_publish", "lpush", "rpush", "xadd"})
_TASK_METHODS = frozenset({"add_task", "submit", "apply_async", "delay", "create_task", "run_in_executor", "spawn"})
_SQL_INSERT = lazy(r"(?is)^\s*(insert|upsert|replace)\s+into\b")


_REDIS_LIST_READS = frozenset({"lpop", "rpop", "blpop", "brpop", "ltrim", "lrange", "rpoplpush", "brpoplpush",
                               "lmove", "blmove"})


def _redis_lists_drained(index: RepoIndex) -> bool:
    """Whether the project pops or trims Redis lists: then its list pushes feed a job queue (a model worker
    takes requests off it), which keeps nothing for a later ground-truth join."""
    return any(ctx.effective(call).startswith("redis.") for ctx in index.contexts.values() if not ctx.py.is_test
               for call in ctx.calls_among(ctx.calls_by_method, _REDIS_LIST_READS))


def _sink(ctx: FileContext, call: Call, job_queue: bool = False) -> str | None:
    """What durable write a call is (file append, table insert, queue publish), or None; ``job_queue`` says
    Redis list pushes are work handed to a worker, not records."""
    name = ctx.effective(call)
    method = call.method
    mode = call.kw("mode")
    if method == "open":
        arg = call.args[1] if name in ("open", "io.open") and len(call.args) > 1 else (
            call.args[0] if name not in ("open", "io.open") and call.args else None)
        if any(isinstance(v, str) and len(v) <= 3 and v.startswith("a") for v in (arg, mode)):
            return "append to file"
        return None
    if method in _SINK_METHODS:
        return name
    if method in ("execute", "executemany") and call.args and isinstance(call.args[0], str) \
            and _SQL_INSERT.match(call.args[0]):
        return f"{name}(INSERT ...)"
    if method == "add" and re.search(r"(?i)session|(^|[_.])db$", call.qualname.rpartition(".")[0]):
        # session.add(row), self.db_session.add(row), self.db.add(row): a SQLAlchemy unit of work
        return name
    if method == "to_csv" and isinstance(mode, str) and mode.startswith("a"):
        return f"{name}(mode='a')"
    if method in _QUEUE_METHODS and name.startswith(_QUEUE_ROOTS):
        if job_queue and method in ("lpush", "rpush") and name.startswith("redis."):
            return None
        return name
    if name.startswith("boto3.") and method in ("put_object", "put_record", "put_records", "put_record_batch",
                                                 "send_message", "put_item"):
        return name
    if name.startswith("bentoml.monitor"):
        return name
    return None


def _handler_calls(index: RepoIndex, ctx: FileContext, fn: Any) -> Iterable[tuple[FileContext, Call]]:
    """Calls reachable from a handler (two helper levels), plus background tasks it schedules."""
    for cctx, call, _chain in index.reachable_calls(ctx, fn, depth=2):
        yield cctx, call
        if call.method in _TASK_METHODS:
            for v in call.args:
                target = cctx.functions.get(v.qualname) if isinstance(v, Ref) else None
                if target is None and isinstance(v, Ref):
                    found = index.resolve_function(cctx, Call(v.qualname, call.line, call.line, call.scope))
                    target_ctx, target = found if found else (cctx, None)
                else:
                    target_ctx = cctx
                if target is not None:
                    for tctx, tcall, _ in index.reachable_calls(target_ctx, target, depth=1):
                        yield tctx, tcall


def _predicts(route: Route, fn: Any, calls: list[tuple[FileContext, Call]]) -> bool:
    """A route that answers with predictions: a model-serving framework, a write route named like inference,
    or a handler that reaches a model's predict/generate/forward."""
    return bool(route.framework in ("bentoml", "ray_serve", "litserve", "torchserve")
                or (set(route.methods) & _WRITE_METHODS and _PREDICTION_ROUTE.search(f"{route.path} {fn.name}"))
                or any(_MODEL_METHOD.match(c.method) and "." in c.qualname for _, c in calls))


_MODEL_ROOTS = frozenset(FRAMEWORK_IMPORTS) | {"openai", "anthropic", "langchain", "llama_index", "litellm", "vllm",
                                                "cohere", "mlflow", "bentoml", "onnxruntime", "joblib", "pickle"}


def may_serve_predictions(index: RepoIndex, route: Route) -> bool:
    """Leniently: could this route answer with model output? Its path or handler is named like inference (any
    HTTP method: GET /recommendations counts), or its handler reaches a model method or an ML/LLM library."""
    ctx = index.contexts[route.file]
    fn = ctx.functions.get(route.function)
    if _PREDICTION_ROUTE.search(f"{route.path} {fn.name if fn else ''}"):
        return True
    if fn is None:
        return False
    for cctx, call in _handler_calls(index, ctx, fn):
        if _MODEL_METHOD.match(call.method) and "." in call.qualname:
            return True
        if cctx.effective(call).split(".", 1)[0] in _MODEL_ROOTS:
            return True
    return route.framework in ("bentoml", "ray_serve", "litserve", "torchserve")


def own_package_check(facts: Facts) -> Callable[[str], bool]:
    """A test of "is this file the repository's own package code?", with the package roots computed once."""
    roots = _own_roots(facts)
    return lambda path: _in_own_package(path, roots)


def _prediction_logging(index: RepoIndex, ev: Evidence, routes: list[Route]) -> None:
    job_queue: bool | None = None  # computed once, when a handler first pushes to a list
    for route in routes:
        if is_health_path(route.path):
            continue
        ctx = index.contexts[route.file]
        fn = ctx.functions.get(route.function)
        if fn is None:
            continue
        calls = list(_handler_calls(index, ctx, fn))
        if not _predicts(route, fn, calls):
            continue
        for cctx, call in calls:
            if job_queue is None and call.method in ("lpush", "rpush"):
                job_queue = _redis_lists_drained(index)
            what = _sink(cctx, call, bool(job_queue))
            if what:
                ev.add("prediction_logging", "", cctx.py.path, call.line,
                       f"{what} on the {route.path or fn.name} path", call.cell)
                break
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.calls_by_method.get("DataCaptureConfig", ()):
            if call.qualname.startswith("sagemaker"):
                ev.add("prediction_logging", "", ctx.py.path, call.line, "SageMaker data capture", call.cell)


# --- training started by an orchestrator schedule ------------------------------------------------
_AIRFLOW_DAGS = frozenset({"airflow.DAG", "airflow.models.DAG", "airflow.models.dag.DAG", "airflow.sdk.DAG"})
_AIRFLOW_DAG_DECORATORS = frozenset({"airflow.decorators.dag", "airflow.sdk.dag", "airflow.dag"})
_SCHEDULE_KWARGS = ("schedule_interval", "schedule", "timetable")
_PREFECT_SCHEDULE_KWARGS = frozenset({"cron", "interval", "rrule", "schedule", "schedules"})
_SCHEDULE_CALLS = (
    ("prefect", lazy(r"^prefect\.(client|server)\.schemas\.schedules\.(Cron|Interval|RRule)Schedule$")),
    ("zenml", lazy(r"^zenml\.(config\.(schedule\.)?)?Schedule$")),
    ("dagster", lazy(r"^dagster\.(ScheduleDefinition|build_schedule_from_partitioned_job)$")),
    ("vertex", lazy(r"^google\.cloud\.aiplatform\.(PipelineJob\.create_schedule|PipelineJobSchedule)$")),
)
# "train" as a word part of an identifier: train_model, retrain, model-training, Trainer; not pretrained,
# constraint or the train_test_split helper.
TRAIN_WORD = lazy(r"(?i)(?<![a-z])(re)?train(?!_test)(ing|er|s)?(?![a-z])")
_TASK_KWARGS = frozenset({"task_id", "dag_id", "python_callable", "image", "bash_command", "command", "cmds",
                          "arguments", "application", "entrypoint", "name", "job_name", "pipeline_name",
                          "display_name", "template_path", "pipeline_func", "job", "flow"})


def _unscheduled(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "@once"))


def starts_training(ctx: FileContext) -> bool:
    """Does this file (a DAG, flow or scheduling script) start training? Training calls, or a task, job,
    image, callable, function or imported name that says train."""
    py = ctx.py
    if TRAIN_WORD.search(py.path.rsplit("/", 1)[-1]) or training_calls(ctx):
        return True
    if any(TRAIN_WORD.search(fn.name) for fn in py.functions):
        return True
    if any(TRAIN_WORD.search(imp.name or imp.module.rsplit(".", 1)[-1]) for imp in py.imports):
        return True
    for call in py.calls:
        values = list(call.args[:1]) + [v for k, v in call.kwargs if k in _TASK_KWARGS]
        for v in values:
            text = v if isinstance(v, str) else (v.qualname if isinstance(v, Ref) else "")
            if text and len(text) < 300 and TRAIN_WORD.search(text):
                return True
    return False


_ORCHESTRATOR_ROOTS = frozenset({"airflow", "prefect", "kfp", "zenml", "dagster", "google", "metaflow", "sagemaker",
                                  "flytekit", "azure", "mlflow", "ray", "luigi"})


def _orchestrator_schedules(ctx: FileContext, ev: Evidence) -> None:
    """scheduled_retraining: an Airflow DAG with a schedule, a Prefect deployment with a cron or interval, a
    ZenML / Dagster / Vertex schedule or a Kubeflow recurring run, in a file that starts training."""
    py = ctx.py
    if not {imp.module.split(".", 1)[0] for imp in py.imports} & _ORCHESTRATOR_ROOTS:
        return  # schedules are declared through an orchestrator's API: nothing to find without one
    found: list[tuple[str, int, str, int | None]] = []
    for call in py.calls:
        name = ctx.effective(call)
        if name in _AIRFLOW_DAGS:
            value = next((v for k, v in call.kwargs if k in _SCHEDULE_KWARGS), None)
            if any(k in _SCHEDULE_KWARGS for k, _ in call.kwargs) and not _unscheduled(value):
                found.append(("airflow", call.line, f"{name}(schedule=...)", call.cell))
        elif call.method in ("serve", "deploy") and any(k in _PREFECT_SCHEDULE_KWARGS and not _unscheduled(v)
                                                        for k, v in call.kwargs) \
                and any(imp.module.split(".", 1)[0] == "prefect" for imp in py.imports):
            found.append(("prefect", call.line, f"{call.qualname}(schedule)", call.cell))
        elif name.startswith("prefect.deployments.") and name.endswith("build_from_flow") and any(
                k in _PREFECT_SCHEDULE_KWARGS and not _unscheduled(v) for k, v in call.kwargs):
            found.append(("prefect", call.line, name, call.cell))
        elif call.method == "create_recurring_run" and (name.startswith("kfp.") or any(
                imp.module.split(".", 1)[0] == "kfp" for imp in py.imports)):
            found.append(("kubeflow", call.line, name, call.cell))
        else:
            for tool, pattern in _SCHEDULE_CALLS:
                if pattern.match(name) and (tool != "zenml" or call.has_kw("cron_expression")
                                            or call.has_kw("interval_second")):
                    found.append((tool, call.line, name, call.cell))
                    break
    for fn in py.functions:
        for d in fn.decorators:
            dname = normalize_qualname(d.qualname)
            if dname in _AIRFLOW_DAG_DECORATORS:
                value = next((v for k, v in d.kwargs if k in _SCHEDULE_KWARGS), None)
                if any(k in _SCHEDULE_KWARGS for k, _ in d.kwargs) and not _unscheduled(value):
                    found.append(("airflow", d.line, f"@{dname}(schedule=...)", fn.cell))
            elif dname == "dagster.schedule":
                found.append(("dagster", d.line, "@dagster.schedule", fn.cell))
    if found and starts_training(ctx):
        for tool, line, detail, cell in found:
            ev.add("scheduled_retraining", tool, py.path, line, detail, cell)


# --- alerts posted to chat or paging services -------------------------------------------------
# code alerts count where the code is about watching a model or data (monitoring/, drift checks, alert
# helpers), not in CI report scripts or end-of-training notifications
_ALERT_PLACE = lazy(r"(?i)monitor|drift|alert|alarm|notif|anomal|incident|oncall|on_call|pag(e|ing)|"
                          r"watchdog|health|metric|quality|psi|sla|slo|degrad|outage|escalat")
_HTTP_POST = frozenset({"requests.post", "httpx.post", "httpx.AsyncClient.post", "httpx.Client.post",
                        "requests.Session.post", "aiohttp.ClientSession.post", "urllib.request.urlopen"})
_ALERT_TARGETS = (("slack", lazy(r"(?i)hooks\.slack\.com|slack")),
                  ("pagerduty", lazy(r"(?i)pagerduty")),
                  ("opsgenie", lazy(r"(?i)opsgenie")),
                  ("teams", lazy(r"(?i)webhook\.office\.com|teams_webhook|msteams")),
                  ("discord", lazy(r"(?i)discord(app)?\.com/api/webhooks|discord_webhook")))


def _url_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Ref):
        return value.qualname
    if isinstance(value, Expr):
        return " ".join([*value.names, value.literal if isinstance(value.literal, str) else "", value.callee])
    return ""


def _webhook_alerts(ctx: FileContext, ev: Evidence) -> None:
    """``requests.post(SLACK_WEBHOOK_URL, ...)``: code that posts to Slack, PagerDuty, Opsgenie..."""
    for call in ctx.calls_among(ctx.calls_by_name, _HTTP_POST):
        name = ctx.effective(call)
        if not _ALERT_PLACE.search(f"{ctx.py.path} {call.scope}"):
            continue
        url = _url_text(call.args[0] if call.args else call.kw("url"))
        for tool, pattern in _ALERT_TARGETS:
            if url and pattern.search(url):
                ev.add("alerting", tool, ctx.py.path, call.line, f"{name} to {tool}", call.cell)
                break


def training_calls(ctx: FileContext) -> list[Call]:
    """Calls that fit a model: ``.fit``/``.train`` on model-like objects, trainers, boosting ``train``.

    Memoized per file (detection, scheduling and several rules ask); callers must not modify the list.
    """
    return ctx.once("training_calls", _training_calls, ctx)


_LEARNING_METHODS = frozenset({"fit", "fit_transform", "partial_fit", "train", "backward", "step", "compile",
                               "fit_generator", "update", "minimize"})


def _own_fit_learns(ctx: FileContext, call: Call) -> bool:
    """``obj.fit(docs)`` where ``obj`` is an instance of a class of this file: its ``fit`` (or an inherited one
    defined here) learns only when it calls into an ML framework or fits, trains or steps something itself. A
    keyword retriever whose ``fit`` stores the documents trains nothing. Unknown classes keep counting."""
    head = call.qualname.rpartition(".")[0]
    cls = ctx.var_types.get(head) or (ctx.var_types.get(head[5:]) if head.startswith("self.") else None)
    classes = {c.name: c for c in ctx.py.classes}
    seen: set[str] = set()
    queue = [cls.rsplit(".", 1)[-1]] if cls else []
    while queue:
        name = queue.pop(0)
        if name in seen or name not in classes:
            continue
        seen.add(name)
        fn = ctx.functions.get(f"{name}.{call.method}")
        if fn is None:
            queue.extend(b.rsplit(".", 1)[-1] for b in classes[name].bases)
            continue
        return _method_learns(ctx, fn.qualname, 0)
    return True


def _method_learns(ctx: FileContext, scope: str, depth: int) -> bool:
    """A method fits, trains, steps or calls an ML framework, itself or through ``self.helper()`` calls."""
    for c in ctx.calls_by_scope.get(scope, ()):
        if c.method in _LEARNING_METHODS or ctx.effective(c).split(".", 1)[0] in FRAMEWORK_IMPORTS:
            return True
        if c.qualname.startswith("self.") and c.qualname.count(".") == 1 and depth < 3:
            helper = f"{scope.rsplit('.', 1)[0]}.{c.method}"
            if helper in ctx.functions and helper != scope and _method_learns(ctx, helper, depth + 1):
                return True
            if helper not in ctx.functions:
                return True  # inherited from elsewhere: cannot tell, keep counting
    return False


def _training_calls(ctx: FileContext) -> list[Call]:
    out = []
    for call in ctx.calls_among(ctx.calls_by_method, _TRAIN_METHODS):
        m = call.qualname.rpartition(".")[2]
        name = ctx.effective(call)
        if m in ("fit", "fit_generator") and not re.search(r"(?i)scaler|encoder|vectori[sz]er|imputer|transformer|"
                                                             r"tokenizer|pca|normali[sz]er", name):
            if _own_fit_learns(ctx, call):
                out.append(call)
        elif m == "train" and re.search(r"(?i)trainer|xgboost|lightgbm|catboost", name):
            out.append(call)
        elif m == "train" and re.search(r"(?i)model", name) and not _mode_switch(call):
            out.append(call)
        elif m == "backward" and backpropagates_loss(call):
            out.append(call)
    return out


def _mode_switch(call: Call) -> bool:
    """``model.train()``, ``model.train(False)``, ``model.train(mode=False)``: PyTorch's train/eval switch."""
    if not call.args and not call.kwargs:
        return True
    if call.kwargs and all(k == "mode" for k, _ in call.kwargs) and not call.args:
        return True
    return len(call.args) == 1 and not call.kwargs and isinstance(call.args[0], bool)
