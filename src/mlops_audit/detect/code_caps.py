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
from typing import Any, Iterable

from ..facts import Call, Expr, Facts, PyFile, Ref
from .context import FileContext, RepoIndex
from .evidence import Evidence
from .matcher import PatternIndex, normalize_qualname
from .serving import Route, is_health_path
from .signatures import BASES, CALLS, DECORATORS, KWARGS

__all__ = ["detect_code", "TESTING_CAPS", "METRIC_NAME", "CALL_INDEX", "call_matches"]

TESTING_CAPS = frozenset({"unit_tests", "model_tests"})
CALL_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in CALLS)
_DECO_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in DECORATORS)
_BASE_INDEX: PatternIndex[tuple[str, str]] = PatternIndex((p, (c, t)) for p, c, t in BASES)
_KW_INDEX: PatternIndex[tuple[str, Any, str, str]] = PatternIndex((p, (k, v, c, t)) for p, k, v, c, t in KWARGS)

METRIC_NAME = re.compile(
    r"(?i)(^|[_.\[\"'])(acc|accuracy|auc|roc_auc|f1|f1_score|precision|recall|rmse|mse|mae|r2|loss|"
    r"score|metric|metrics|map|ndcg|bleu|rouge|perplexity|error|wer|iou|dice)($|[_.\]\"'])")
_LLM_MODEL_TYPES = {"question-answering", "text-summarization", "text", "databricks-agent"}
_REGISTRY_OR_DEPLOY = re.compile(r"(register_model|transition_model_version_stage|set_registered_model_alias|"
                                 r"create_model_version|push_to_hub|deploy|promote|link_model)$")
# A comparison that raises is a gate only when it reads like one: a threshold, a baseline or
# champion, or code whose place says it evaluates or promotes (not an input check or a NaN guard).
_GATE_NAME = re.compile(r"(?i)thresh|^min_|_min$|^max_|baseline|champion|challenger|production|prod_|"
                        r"required|expected|target|gate|tolerance|best_|current_")
_GATE_PLACE = re.compile(r"(?i)eval|gate|promot|deploy|regist|release|validat|quality|champion|compare|check_model")
_DRIFT_STATS = {"scipy.stats.ks_2samp", "scipy.stats.wasserstein_distance", "scipy.spatial.distance.jensenshannon",
                "scipy.stats.chi2_contingency", "scipy.stats.chisquare", "scipy.stats.entropy",
                "scipy.stats.kstest", "scipy.stats.anderson_ksamp"}


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


def _skip_call(capability: str, tool: str, call: Call, name: str) -> bool:
    """Signature rows that need a look at arguments before they count."""
    if name == "boto3.client":
        return not (call.args and call.args[0] == "bedrock-runtime")
    if name == "mlflow.evaluate":
        return call.kw("model_type") not in _LLM_MODEL_TYPES
    if name == "huggingface_hub.create_repo":
        return call.kw("repo_type") in ("dataset", "space")
    if name.endswith(".push_to_hub") and (name.startswith("datasets.") or re.search(r"(?i)data", call.receiver)):
        return True  # a dataset pushed to the Hub is not a model version
    if capability == "seeds_fixed":
        # random.seed(), np.random.default_rng(), RandomState(), seed_everything() without a
        # seed draw fresh entropy: nothing is fixed
        seed = call.args[0] if call.args else call.kw("seed")
        if seed is None and not call.args and not call.has_kw("seed"):
            return not call.star_kwargs
        return seed is None
    return False


def detect_code(facts: Facts, index: RepoIndex, ev: Evidence, declared: set[str],
                routes: list[Route]) -> None:
    """Run every code-level detector over every code unit.

    ``declared`` (import roots of every declared distribution) is narrowed here
    to the core runtime dependencies; roots declared only as extras or dev/test
    dependencies are the project's optional integrations.
    """
    core = _core_import_roots(facts)
    optional = {r for r in declared if r not in core}
    used_names = _used_class_names(facts, index)
    for path, ctx in index.contexts.items():
        py = ctx.py
        if py.syntax_error and not py.calls:
            continue
        if py.is_test:
            _tests(ctx, ev)
            continue
        _tables(ctx, ev, core, optional, used_names)
        _config_reading(ctx, ev, facts)
        _drift_custom(ctx, ev)
        _evaluation_gate(ctx, ev)
        _mlflow_signature(ctx, ev)
    _serving_surface(index, ev, routes)


_HOOK_BASE = re.compile(r"(?i)(callback|logger|tracker|hook)(handler|base)?$")


def _core_import_roots(facts: Facts) -> set[str]:
    """Import roots of the project's core dependencies (main group of runtime manifests)."""
    from .distributions import imports_for_dist
    from .repo_caps import runtime_requirements

    roots: set[str] = set()
    for _path, req in runtime_requirements(facts):
        roots.update(imports_for_dist(req.name))
        roots.add(req.name.replace("-", "_"))
    return roots


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

    def add_value(value: Any, depth: int = 0) -> None:
        if isinstance(value, Ref):
            used.add(value.qualname.rsplit(".", 1)[-1])
        elif isinstance(value, str) and len(value) < 200 and " " not in value:
            used.add(value.rsplit(".", 1)[-1])
        elif isinstance(value, tuple) and depth < 2:
            for v in value:
                add_value(v, depth + 1)
        elif isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple) and depth < 2:
            for _k, v in value.literal:
                add_value(v, depth + 1)

    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.py.calls:
            name = normalize_qualname(call.qualname).rsplit(".", 1)[-1]
            if call.scope.split(".", 1)[0] != name:
                used.add(name)
            for a in call.args:
                add_value(a)
            for _k, v in call.kwargs:
                add_value(v)
    for doc in facts.configs:
        stack = [doc.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, str) and len(node) < 200 and " " not in node:
                used.add(node.rsplit(".", 1)[-1])
    return used


def _hook_classes(py: PyFile, used_names: set[str]) -> list[str]:
    """Qualnames of classes in this file that plug into a framework hook and that the project never uses."""
    out = []
    for cls in py.classes:
        if cls.name in used_names:
            continue
        if any(_HOOK_BASE.search(b.rsplit(".", 1)[-1]) for b in cls.bases if b):
            out.append(cls.qualname)
    return out


def _tables(ctx: FileContext, ev: Evidence, core: set[str], optional: set[str],
            used_names: set[str] | None = None) -> None:
    py = ctx.py
    guarded = ctx.guarded_modules
    lazy = _lazy_modules(py)
    unused_hooks = tuple(_hook_classes(py, used_names)) if used_names is not None else ()
    for call in py.calls:
        name = ctx.effective(call)
        root = name.split(".", 1)[0]
        if root in guarded and root not in core:
            continue
        if root in lazy and root in optional:
            continue
        if unused_hooks and any(call.scope == q or call.scope.startswith(q + ".") for q in unused_hooks):
            continue
        for capability, tool in CALL_INDEX.match(name):
            if not _skip_call(capability, tool, call, name):
                ev.add(capability, tool, py.path, call.line, name, call.cell)
        if call.kwargs:
            for key, expected, capability, tool in _KW_INDEX.match(name):
                for k, v in call.kwargs:
                    if (key == "*" or k == key) and _kw_value_matches(expected, v):
                        ev.add(capability, tool, py.path, call.line, f"{name}({k}=...)", call.cell)
    for fn in py.functions:
        for d in fn.decorators:
            dname = normalize_qualname(d.qualname)
            for capability, tool in _DECO_INDEX.match(dname):
                ev.add(capability, tool, py.path, d.line, "@" + dname, fn.cell)
            for key, expected, capability, tool in _KW_INDEX.match(dname):
                for k, v in d.kwargs:
                    if k == key and _kw_value_matches(expected, v):
                        ev.add(capability, tool, py.path, d.line, f"@{dname}({k}=...)", fn.cell)
    for cls in py.classes:
        for base in cls.bases:
            for capability, tool in _BASE_INDEX.match(base):
                ev.add(capability, tool, py.path, cls.line, f"class {cls.name}({base})", cls.cell)
        for d in cls.decorators:
            for capability, tool in _DECO_INDEX.match(normalize_qualname(d.qualname)):
                ev.add(capability, tool, py.path, d.line, "@" + d.qualname, cls.cell)


def _tests(ctx: FileContext, ev: Evidence) -> None:
    """unit_tests: collected test functions/classes; model_tests: asserts on a trained model's metrics."""
    py = ctx.py
    name = py.path.rsplit("/", 1)[-1]
    if not _collected_test_module(name):
        return  # conftest.py, helpers and fixtures under tests/ hold no collected tests
    imports = {imp.module.split(".", 1)[0] for imp in py.imports}
    testcase_classes = {c.name for c in py.classes if any(b.endswith("TestCase") for b in c.bases)}
    found = False
    for fn in py.functions:
        if not fn.name.startswith("test"):
            continue
        if fn.class_name and fn.class_name in testcase_classes:
            ev.add("unit_tests", "unittest", py.path, fn.line, f"{fn.class_name}.{fn.name}")
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
        uses_model = any(c.method in model_calls or "model" in c.qualname.lower() or "metric" in c.qualname.lower()
                         for c in calls)
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


_PREDICT = re.compile(r"(?:^|\.)(predict\w*|generate|forward|__call__)(?:\(\))?$")


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


def _config_reading(ctx: FileContext, ev: Evidence, facts: Facts) -> None:
    """Hyperparameters and paths read from config files: yaml/json/toml loaders on config-looking paths."""
    py = ctx.py
    reads_yaml = False
    for call in py.calls:
        name = call.qualname
        if name in ("yaml.safe_load", "yaml.load", "yaml.full_load", "ruamel.yaml.YAML.load"):
            reads_yaml = True
            ev.add("_yaml_read", "yaml", py.path, call.line, name, call.cell)
        elif name in ("json.load", "tomllib.load", "toml.load", "tomli.load"):
            tool = "json" if name.startswith("json") else "toml"
            ev.add("_json_toml_read", tool, py.path, call.line, name, call.cell)
        if name == "open" and call.args and isinstance(call.args[0], str):
            lit = call.args[0].lower()
            if re.search(r"(param|config|conf|hparam|setting)[^/]*\.(ya?ml|json|toml)$", lit):
                ev.add("_config_file_literal", lit.rsplit(".", 1)[-1].replace("yml", "yaml"), py.path, call.line,
                       f"open({call.args[0]!r})", call.cell)
    del reads_yaml
    for cls in py.classes:
        if (cls.name.endswith(("Config", "Settings", "Params", "Parameters", "Hyperparameters"))
                and any(b in ("pydantic.BaseModel", "pydantic.main.BaseModel") for b in cls.bases)):
            ev.add("_pydantic_config", "pydantic", py.path, cls.line, f"class {cls.name}(BaseModel)", cls.cell)


def _drift_custom(ctx: FileContext, ev: Evidence) -> None:
    for call in ctx.py.calls:
        if call.qualname in _DRIFT_STATS and re.search(r"(?i)drift|shift|psi|monitor", call.scope + ctx.py.path):
            ev.add("drift_detection", "custom", ctx.py.path, call.line, call.qualname, call.cell)
    for fn in ctx.py.functions:
        if re.search(r"(?i)(^|_)(psi|population_stability|detect_drift|data_drift|compute_drift)", fn.name):
            ev.add("drift_detection", "custom", ctx.py.path, fn.line, f"def {fn.name}", fn.cell)


def _evaluation_gate(ctx: FileContext, ev: Evidence) -> None:
    """A metric compared against a threshold that blocks registration, promotion or deployment."""
    py = ctx.py
    promote_scopes = {c.scope for c in py.calls if _REGISTRY_OR_DEPLOY.search(c.method)}
    for cmp in py.compares:
        if cmp.context not in ("if", "assert"):
            continue
        if not any(op in ("<", "<=", ">", ">=") for op in cmp.ops):
            continue
        if not any(METRIC_NAME.search(n) for n in cmp.names):
            continue
        if cmp.scope in promote_scopes:
            ev.add("evaluation_gate", "", py.path, cmp.line, "metric threshold gates promotion", cmp.cell)
        elif cmp.raises and _gate_like(cmp, py.path):
            ev.add("evaluation_gate", "", py.path, cmp.line, "metric threshold gate", cmp.cell)


def _gate_like(cmp: Any, path: str) -> bool:
    """A raising metric comparison against a threshold-like value, or in evaluation/promotion code."""
    if any(_GATE_NAME.search(n) for n in cmp.names):
        return True
    if not _GATE_PLACE.search(path + " " + cmp.scope):
        return False
    numeric = [c for c in cmp.constants if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return bool(numeric) or len(cmp.names) >= 2


def _mlflow_signature(ctx: FileContext, ev: Evidence) -> None:
    """bentoml/mlflow signatures passed by name (``signature=sig``) count; literal None does not."""
    for call in ctx.py.calls:
        if call.method == "log_model" and call.qualname.startswith("mlflow."):
            sig = call.kw("signature")
            if sig is not None and not (isinstance(sig, Expr) and sig.kind == "constant"):
                ev.add("model_signature", "mlflow", ctx.py.path, call.line, "log_model(signature=...)", call.cell)


_RESPONSE_CLASS = re.compile(r"(?i)(response|output|result|prediction|reply|answer)s?$")


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
        for call in ctx.py.calls:
            if call.qualname.startswith("bentoml.io.") and (call.has_kw("pydantic_model") or call.has_kw("schema")):
                ev.add("input_validation", "bentoml", ctx.py.path, call.line, call.qualname, call.cell)
                model = call.kw("pydantic_model")
                if isinstance(model, Ref) and model.qualname.rsplit(".", 1)[-1] in pydantic_models:
                    ev.add("input_validation", "pydantic", ctx.py.path, call.line, f"pydantic_model={model}", call.cell)


def training_calls(py: PyFile, ctx: FileContext) -> list[Call]:
    """Calls that fit a model: ``.fit``/``.train`` on model-like objects, trainers, boosting ``train``."""
    out = []
    for call in py.calls:
        m = call.method
        if m not in _TRAIN_METHODS:
            continue
        name = ctx.effective(call)
        if m in ("fit", "fit_generator") and not re.search(r"(?i)scaler|encoder|vectori[sz]er|imputer|transformer|"
                                                             r"tokenizer|pca|normali[sz]er", name):
            out.append(call)
        elif m == "train" and (re.search(r"(?i)trainer|xgboost|lightgbm|catboost|model", name)):
            out.append(call)
        elif name.endswith(".backward") and call.receiver and "loss" in call.receiver.lower():
            out.append(call)
    return out
