"""Shared views for the serving, monitoring and rollout rules.

Everything here is a pure function of ``Facts`` and ``Detection``: the route
table split into prediction and health routes, handler reachability that also
follows FastAPI ``Depends`` and repository class constructors, the model
loading matcher, the app-creation sites a repository-level finding anchors
on, and small walkers over parsed configuration (Kubernetes containers,
compose services, key paths). Views that several rules need are memoised on
the ``RuleContext``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator

from .._patterns import lazy
from .._records import record
from ..detect.context import FileContext, RepoIndex
from ..detect.matcher import PatternIndex, normalize_qualname
from ..detect.serving import Route, is_health_path
from ..facts import Call, ConfigDoc, Expr, Facts, Function, PyFile, Ref
from ._base import RuleContext

__all__ = [
    "MANAGED_SERVING", "HTTP_FRAMEWORKS", "Frame", "reach", "is_model_load", "lazy_once", "handler_of",
    "serving_view", "ServingView", "is_prediction_route", "walk", "k8s_containers", "compose_services",
    "arg_names", "call_values", "literal_str_for", "route_label", "is_cache_decorator", "imported_files",
    "absolute_name", "call_index", "CallIndex", "incidental_serving", "Literal", "command_text",
]

# Serving stacks that expose health, metrics and shutdown handling themselves.
MANAGED_SERVING = frozenset({"bentoml", "ray_serve", "torchserve", "triton", "tf_serving", "kserve", "seldon",
                             "litserve", "mlflow_serve", "tgi", "vllm", "sagemaker"})
# model servers a shell command starts (a notebook's !tensorflow_model_server is a local try-out)
_PROCESS_SERVERS = frozenset({"tf_serving", "mlflow_serve", "torchserve", "triton", "vllm", "tgi"})
HTTP_FRAMEWORKS = frozenset({"fastapi", "flask", "starlette", "quart", "sanic", "aiohttp", "litestar"})

# --- model loading --------------------------------------------------------------------------
_LOADER_PATTERNS = (
    "joblib.load", "sklearn.externals.joblib.load", "pickle.load", "_pickle.load", "cPickle.load", "dill.load",
    "cloudpickle.load", "pickle.loads", "dill.loads", "cloudpickle.loads",
    "torch.load", "torch.jit.load", "torch.hub.load", "torch.package.PackageImporter",
    "tensorflow.keras.models.load_model", "keras.models.load_model", "keras.saving.load_model",
    "tensorflow.keras.saving.load_model", "tf_keras.models.load_model", "keras.saving.saving_api.load_model",
    "tensorflow.saved_model.load", "tensorflow.compat.v1.saved_model.load", "tensorflow.lite.Interpreter",
    "tflite_runtime.interpreter.Interpreter", "tensorflow_hub.load", "tensorflow_hub.KerasLayer",
    "mlflow.*.load_model", "mlflow.pyfunc.load_pyfunc",
    "transformers.*from_pretrained", "transformers.pipeline", "transformers.pipelines.pipeline",
    "peft.*from_pretrained", "diffusers.*from_pretrained", "sentence_transformers.SentenceTransformer",
    "sentence_transformers.CrossEncoder", "sentence_transformers.cross_encoder.CrossEncoder",
    "xgboost.*.load_model", "catboost.*.load_model", "lightgbm.Booster", "xgboost.Booster",
    "onnxruntime.InferenceSession", "onnx.load",
    "bentoml.*.load_model", "spacy.load", "fasttext.load_model", "gensim.models.*.load", "whisper.load_model",
    "ultralytics.YOLO", "fastai.learner.load_learner", "fastai.*.load_learner", "vllm.LLM", "llama_cpp.Llama",
    "safetensors.torch.load_file", "skops.io.load", "h2o.load_model", "pycaret.*.load_model",
    "prophet.serialize.model_from_json", "keras.models.model_from_json",
)
_LOADERS: PatternIndex[str] = PatternIndex((p, p) for p in _LOADER_PATTERNS)
_NEEDS_MODEL_FILE_KW = {"lightgbm.Booster", "xgboost.Booster"}
_BYTES_LOADERS = {"pickle.loads", "dill.loads", "cloudpickle.loads"}
_USER_INPUT = lazy(r"(?i)(^|\.)(request|req|upload\w*|payload|body)(\.|$)")

_CACHE_DECORATORS = ("functools.lru_cache", "functools.cache", "functools.cached_property", "cachetools.cached",
                     "cachetools.func.", "async_lru.alru_cache", "aiocache.cached", "streamlit.cache_resource",
                     "joblib.Memory.cache", "lru_cache", "cache", "cached")
_CACHE_STORES = {"set", "put", "setdefault", "cache", "store", "__setitem__", "set_model", "register"}
_CACHE_METHODS = {"memoize", "cached", "cache", "lru_cache", "cache_resource", "alru_cache"}


def is_cache_decorator(qualname: str) -> bool:
    q = normalize_qualname(qualname)
    if any(q == p or (p.endswith(".") and q.startswith(p)) for p in _CACHE_DECORATORS):
        return True
    return "." in q and q.rsplit(".", 1)[-1] in _CACHE_METHODS


def arg_names(value: Any) -> tuple[str, ...]:
    """Names a call argument reads: a Ref's name or an Expr's names (and callee)."""
    if isinstance(value, Ref):
        return (value.qualname,)
    if isinstance(value, Expr):
        return value.names + ((value.callee,) if value.callee else ())
    if isinstance(value, tuple):
        out: list[str] = []
        for v in value:
            out.extend(arg_names(v))
        return tuple(out)
    return ()


def call_values(call: Call) -> list[Any]:
    return list(call.args) + [v for _, v in call.kwargs]


def is_model_load(ctx: FileContext, call: Call) -> str | None:
    """The loader's qualified name when ``call`` deserialises or instantiates model weights."""
    name = ctx.effective(call)
    found = next(iter(_LOADERS.match(name)), None)
    if found is None:
        return None
    if found in _NEEDS_MODEL_FILE_KW and not call.has_kw("model_file"):
        return None
    values = call_values(call)
    if any(_USER_INPUT.search(n) for v in values for n in arg_names(v)):
        return None  # deserialising the request payload is not loading a model
    if found in _BYTES_LOADERS:
        # only bytes read from storage (open(...).read(), Path.read_bytes(), an object body) count
        first = call.args[0] if call.args else None
        if not (isinstance(first, Expr) and first.kind == "call"
                and first.callee.rsplit(".", 1)[-1] in ("read", "read_bytes")):
            return None
    return name


# --- reachability ---------------------------------------------------------------------------
@record()
class Frame:
    ctx: FileContext
    fn: Function
    via_constructor: bool = False


def _calls_in(ctx: FileContext, fn: Function) -> list[Call]:
    out = list(ctx.calls_by_scope.get(fn.qualname, ()))
    prefix = fn.qualname + "."
    for scope, calls in ctx.calls_by_scope.items():
        if scope.startswith(prefix):
            out.extend(calls)
    return out


def absolute_name(py: PyFile, name: str) -> str:
    """``..services.run`` (a relative import) as the repository-path dotted name the module index knows."""
    if not name.startswith("."):
        return name
    best = None
    for imp in py.imports:
        if imp.module.startswith(".") and (name == imp.qualname or name.startswith(imp.qualname + ".")):
            if best is None or len(imp.qualname) > len(best.qualname):
                best = imp
    if best is None:
        return name
    module = _absolute_module(py, best.module)
    if module is None:
        return name
    absolute = ".".join(([module] if module else []) + ([best.name] if best.name else []))
    return absolute + name[len(best.qualname):]


def _absolute_module(py: PyFile, module: str) -> str | None:
    """The dotted repository path of a relative module (``..services`` seen from ``app/routers/x.py``)."""
    level = len(module) - len(module.lstrip("."))
    parts = py.path[:-3].split("/") if py.path.endswith(".py") else py.path.split("/")
    package = parts[:-1]
    if level - 1 > len(package):
        return None
    base = package[:len(package) - (level - 1)]
    rest = module.lstrip(".")
    return ".".join(base + ([rest] if rest else []))


def imported_files(index: RepoIndex, py: PyFile) -> set[str]:
    """Repository files a module imports (relative imports included)."""
    out: set[str] = set()
    for imp in py.imports:
        module = _absolute_module(py, imp.module) if imp.module.startswith(".") else imp.module
        if module is None:
            continue
        for name in ((f"{module}.{imp.name}" if module else imp.name) if imp.name else None, module):
            path = index.modules.get(name) if name else None
            if path is not None:
                out.add(path)
                break
    return out


def _resolve(index: RepoIndex, ctx: FileContext, call: Call) -> tuple[FileContext, Function, bool] | None:
    """Follow a call into the repository: functions, ``Depends(fn)`` providers and class constructors."""
    name = call.qualname
    if name.rsplit(".", 1)[-1] == "Depends" and call.args and isinstance(call.args[0], Ref):
        name = call.args[0].qualname
        call = Call(name, call.line, call.end_line, call.scope)
    if name.startswith("."):
        name = absolute_name(ctx.py, name)
        call = Call(name, call.line, call.end_line, call.scope, receiver=call.receiver)
    found = index.resolve_function(ctx, call)
    if found is None and call.receiver and call.receiver in ctx.var_types:
        # a method of an imported repository class: `p = PredictPipeline(); p.predict(x)`
        typed = ctx.effective(call)
        if typed != name and not typed.startswith("."):
            found = index.resolve_function(ctx, Call(typed, call.line, call.end_line, call.scope))
    if found is not None:
        return found[0], found[1], False
    last = name.rsplit(".", 1)[-1]
    if not last[:1].isupper():
        return None
    if "." not in name:
        fn = ctx.functions.get(f"{name}.__init__")
        return (ctx, fn, True) if fn else None
    ctor = index.resolve_function(ctx, Call(normalize_qualname(name) + ".__init__", call.line, call.end_line,
                                            call.scope))
    return (ctor[0], ctor[1], True) if ctor else None


def reach(index: RepoIndex, ctx: FileContext, fn: Function, depth: int = 2
          ) -> Iterator[tuple[FileContext, Call, tuple[Frame, ...]]]:
    """Calls made by ``fn`` and, up to ``depth`` levels, by the repository code it calls.

    Yields (context of the call, call, frames from the handler to the function making the call).
    """
    seen: set[tuple[str, str]] = set()
    stack: list[tuple[tuple[Frame, ...], int]] = [((Frame(ctx, fn),), 0)]
    while stack:
        frames, level = stack.pop()
        top = frames[-1]
        key = (top.ctx.py.path, top.fn.qualname)
        if key in seen:
            continue
        seen.add(key)
        for call in _calls_in(top.ctx, top.fn):
            yield top.ctx, call, frames
            if level < depth:
                target = _resolve(index, top.ctx, call)
                if target is not None:
                    stack.append((frames + (Frame(target[0], target[1], target[2]),), level + 1))


def _module_names(py: PyFile) -> frozenset[str]:
    return frozenset(a.target for a in py.assigns if a.scope == "<module>")


def lazy_once(frames: tuple[Frame, ...], ctx: FileContext, call: Call) -> str | None:
    """Why a load reachable from a handler runs once (a cache, a global or state guard), or None."""
    for fr in frames:
        for d in fr.fn.decorators:
            if is_cache_decorator(d.qualname):
                return f"@{d.qualname} on {fr.fn.name}"
    scope = call.scope
    targets = [a.target for a in ctx.py.assigns if a.line == call.line and a.scope == scope]
    through_ctor = any(fr.via_constructor for fr in frames)
    module_names = _module_names(ctx.py)
    for t in targets:
        if t in module_names:
            return f"module-level {t} assigned once"
        if "." in t and not through_ctor:
            return f"stored on {t}"
    # the loaded object handed to a cache (`cache.set(key, model)`, `_MODELS.setdefault(name, model)`)
    if targets:
        for other in ctx.calls_by_scope.get(scope, ()):
            if other.method in _CACHE_STORES and any(t in arg_names(v) for v in other.args for t in targets):
                return f"handed to {other.qualname}"
    # a guard such as `if _MODEL is None` / `if key not in _CACHE` in any function on the way
    for fr in frames:
        names = _module_names(fr.ctx.py)
        for cmp in fr.ctx.py.compares:
            if cmp.scope != fr.fn.qualname and not cmp.scope.startswith(fr.fn.qualname + "."):
                continue
            guarded = [n for n in cmp.names if n in names or n.startswith(("self.", "cls."))]
            if not guarded:
                continue
            if any(op in ("is", "is not") for op in cmp.ops):
                return f"guarded by a check on {guarded[0]}"
            if any(op in ("in", "not in") for op in cmp.ops) and not targets:
                return f"cached in {guarded[0]}"
    return None


# --- routes ---------------------------------------------------------------------------------
_WRITE_METHODS = {"POST", "PUT", "PATCH"}
_PREDICT_WORDS = lazy(
    r"(?i)predict|infer|scor(e|ing)|classif|generat|embed|recommend|forecast|detect|segment|transcri|translat|"
    r"summar|complet|chat|answer|rerank|rank|estimat|sentiment|invocation|caption|ocr|similar|analy[sz]|"
    r"extract|ask|query|search|qa\b")
_NOT_PREDICTION = lazy(
    r"(?i)train|fit|reload|refresh|upload|login|logout|auth|token|register|signup|user|feedback|label|webhook|"
    r"admin|config|setting|delete|wipe|reset|deploy|promote|rollback|health|metric")
_MODEL_METHODS = {"predict", "predict_proba", "predict_log_proba", "decision_function", "generate", "agenerate",
                  "inference", "infer", "invoke", "ainvoke", "transcribe", "classify", "embed_query",
                  "embed_documents", "async_run", "kneighbors", "forward", "predict_on_batch"}
_MODEL_OBJECT = lazy(r"(?i)model|clf|classifier|regressor|estimator|pipe|predictor|nlp|llm|detector|"
                           r"generator|encoder|segmenter|summarizer|tagger|ranker|recommender|forecaster")


def route_label(route: Route) -> str:
    return f"{'/'.join(route.methods)} {route.path or route.function}"


def handler_of(index: RepoIndex, route: Route) -> tuple[FileContext, Function] | None:
    ctx = index.contexts.get(route.file)
    if ctx is None:
        return None
    fn = ctx.functions.get(route.function)
    return (ctx, fn) if fn is not None else None


def _calls_model(index: RepoIndex, ctx: FileContext, fn: Function) -> bool:
    for c_ctx, call, _ in reach(index, ctx, fn, depth=1):
        name = c_ctx.effective(call)
        method = call.method
        if method in _MODEL_METHODS and (method != "forward" or _MODEL_OBJECT.search(name)):
            return True
        if method in ("run", "encode") and (name.startswith(("onnxruntime.", "sentence_transformers."))
                                            or _MODEL_OBJECT.search(call.receiver or "")):
            return True
        if "." not in name and _MODEL_OBJECT.search(name) and name not in c_ctx.functions \
                and not name[:1].isupper():
            return True  # model(x), pipe(text), nlp(doc)
        if name.endswith(("completions.create", "messages.create", "responses.create", ".chat")):
            return True
    return False


def is_prediction_route(index: RepoIndex, route: Route) -> bool:
    """A route that answers with a model's output: a write method, not health/admin, predicting by name or call."""
    if is_health_path(route.path) or not (set(route.methods) & _WRITE_METHODS):
        return False
    label = f"{route.path} {route.function.rsplit('.', 1)[-1]}"
    if _NOT_PREDICTION.search(label) and not re.search(r"(?i)predict|infer", label):
        return False
    if route.framework in ("ray_serve", "litserve", "torchserve", "bentoml"):
        return True
    if _PREDICT_WORDS.search(label):
        return True
    found = handler_of(index, route)
    return bool(found and _calls_model(index, *found))


# --- the serving view -------------------------------------------------------------------------
_APP_CONSTRUCTORS = {"fastapi.FastAPI": "fastapi", "flask.Flask": "flask", "quart.Quart": "quart",
                     "sanic.Sanic": "sanic", "starlette.applications.Starlette": "starlette",
                     "litestar.Litestar": "litestar", "aiohttp.web.Application": "aiohttp"}


@record()
class AppSite:
    path: str
    line: int
    framework: str
    call: Call


@dataclass
class ServingView:
    routes: list[Route]
    http_routes: list[Route]          # routes of frameworks that provide nothing implicitly
    managed: list[str]                # managed serving tools in use
    apps: list[AppSite]               # where HTTP app objects are created
    serving_files: frozenset[str]

    def anchor(self) -> tuple[str, int] | None:
        """The most relevant place for a serving-wide finding: the app creation line of the busiest file."""
        counts: dict[str, int] = {}
        for r in self.http_routes:
            counts[r.file] = counts.get(r.file, 0) + 1
        # an app under examples/, demo/, tutorials/ is a sample, not the service: rank it after the others
        ranked = sorted(counts, key=lambda p: (bool(_SAMPLE_DIR.search("/" + p)), -counts[p], p))
        for path in ranked:
            for app in self.apps:
                if app.path == path:
                    return app.path, app.line
        if self.apps:
            # routes declared on a router/blueprint: the app lives in another file
            return self.apps[0].path, self.apps[0].line
        if self.http_routes:
            first = min(self.http_routes, key=lambda r: (-counts[r.file], r.file, r.line))
            return first.file, first.line
        return None


_SAMPLE_DIR = lazy(r"(?i)/(examples?|demos?|samples?|tutorials?|notebooks?|playground|sandbox)/")


def serving_view(ctx: RuleContext) -> ServingView:
    def compute() -> ServingView:
        det = ctx.detection
        routes = [r for r in det.routes if not det.index.contexts[r.file].py.is_test]
        tools = set(det.tools("serving"))
        # a model server started only from a notebook (a tutorial's !tensorflow_model_server) does not front
        # the project's web app: it must not excuse that app's missing health, metrics or shutdown
        def fronts_project(tool: str) -> bool:
            if tool not in _PROCESS_SERVERS:
                return True  # a cloud endpoint deployed from a notebook (SageMaker, Vertex) does front the app
            files = det.evidence.tool_files("serving", tool) if det.evidence is not None else set()
            return not files or any(not p.endswith(".ipynb") for p in files)
        managed = sorted(t for t in tools & MANAGED_SERVING if fronts_project(t))
        for py in ctx.facts.code_units():
            for fn in py.functions:
                if any(d.qualname.startswith("ray.serve.ingress") for d in fn.decorators):
                    managed.append("ray_serve")
            for cls in py.classes:
                if any(d.qualname.startswith("ray.serve.") for d in cls.decorators):
                    managed.append("ray_serve")
                if any(b.startswith("kserve.") for b in cls.bases):
                    managed.append("kserve")
        managed = sorted(set(managed))
        http_routes = [r for r in routes if r.framework in HTTP_FRAMEWORKS]
        apps: list[AppSite] = []
        for c, call in call_index(ctx).method(*{q.rsplit(".", 1)[-1] for q in _APP_CONSTRUCTORS}):
            fw = _APP_CONSTRUCTORS.get(normalize_qualname(call.qualname))
            if fw:
                apps.append(AppSite(c.py.path, call.line, fw, call))
        apps.sort(key=lambda a: (a.path, a.line))
        files = {r.file for r in routes} | {a.path for a in apps}
        return ServingView(routes, http_routes, managed, apps, frozenset(files))
    return ctx.memo("serving_view", compute)  # type: ignore[return-value]


_EXAMPLE_DIRS = frozenset({"examples", "example", "demo", "demos", "samples", "sample", "tutorials", "tutorial",
                           "docs", "doc", "notebooks", "cookbook", "cookbooks", "playground", "benchmarks"})


def _in_example_dir(path: str) -> bool:
    return any(part.lower() in _EXAMPLE_DIRS for part in path.split("/")[:-1])


def incidental_serving(ctx: RuleContext) -> bool:
    """True when every serving surface lives in examples/docs/demo folders (a library shipping a sample server).

    Repository-level "capability missing" findings are noise there: nobody operates that sample in production.
    """
    def compute() -> bool:
        view = serving_view(ctx)
        places = [r.file for r in view.routes] + [a.path for a in view.apps]
        if not places or not all(_in_example_dir(p) for p in places):
            return False
        for doc in ctx.facts.configs:
            if doc.kind in ("k8s", "helm_chart", "helm_values", "helm_template") and not _in_example_dir(doc.path):
                return False
        return True
    return ctx.memo("serving_incidental", compute)  # type: ignore[return-value]


# --- literal tracing ------------------------------------------------------------------------
@record()
class Literal:
    """A string found for a call argument: its text (``{}`` where a variable is interpolated), the line of
    the literal, and the names interpolated into it, with the string values they resolve to (None if unknown)."""

    text: str
    line: int
    interpolated: tuple[tuple[str, str | None], ...] = ()

    @property
    def display(self) -> str:
        """The text with known interpolated values put back in place (``{...}`` where unknown)."""
        values = [v if v is not None else "{...}" for _, v in self.interpolated]
        pieces = re.split(r"(\{\}|%[sdr])", self.text)
        holes = [i for i, p in enumerate(pieces) if p in ("{}", "%s", "%d", "%r")]
        if len(holes) != len(values):
            return self.text.replace("{}", "{...}")
        for i, v in zip(holes, values):
            pieces[i] = v
        return "".join(pieces)

    @property
    def resolved_text(self) -> str | None:
        """The text with every interpolated value known, or None when one is not."""
        if any(v is None for _, v in self.interpolated):
            return None
        return " ".join([self.text] + [v for _, v in self.interpolated if v is not None])


def _string_value(ctx: FileContext, name: str, scope: str, line: int) -> tuple[Any, int] | None:
    """The last assignment of ``name`` before ``line`` in ``scope``, else at module level: (value, line)."""
    for want_scope in (scope, "<module>"):
        cands = [a for a in ctx.py.assigns if a.target == name and a.scope == want_scope
                 and (want_scope == "<module>" or a.line <= line)]
        if cands:
            a = max(cands, key=lambda x: x.line)
            return a.value, a.line
    return None


def _build_at(ctx: FileContext, line: int, scope: str, target: str) -> Any:
    for s in ctx.py.strings:
        if s.line == line and s.target == target and s.scope == scope:
            return s
    return None


def _interpolated(ctx: FileContext, names: tuple[str, ...], scope: str, line: int
                  ) -> tuple[tuple[str, str | None], ...]:
    out = []
    for n in names:
        found = _string_value(ctx, n, scope, line) if "." not in n else None
        out.append((n, found[0] if found and isinstance(found[0], str) else None))
    return tuple(out)


def literal_str_for(ctx: FileContext, value: Any, scope: str, line: int, callee: str = "") -> Literal | None:
    """The string a call argument holds: the literal itself, or one assignment step back (scope, then module).

    f-strings and %/+ builds give their literal parts joined with ``{}`` where a variable goes, and the
    variables with their values when those are string literals too.
    """
    if isinstance(value, str):
        return Literal(value, line)
    if isinstance(value, Expr):
        if value.kind == "call" and isinstance(value.literal, str) and value.callee in (
                "pathlib.Path", "pathlib.PurePath", "Path"):
            return Literal(value.literal, line)
        if value.kind in ("fstring", "concat", "format") and callee:
            sb = _build_at(ctx, line, scope, f"arg:{callee}")
            if sb is not None:
                return Literal("{}".join(sb.literal_parts), line, _interpolated(ctx, sb.names, scope, line))
        return None
    if isinstance(value, Ref) and "." not in value.qualname:
        found = _string_value(ctx, value.qualname, scope, line)
        if found is None:
            return None
        v, at = found
        a_scope = scope if any(a.line == at and a.scope == scope for a in ctx.py.assigns) else "<module>"
        if isinstance(v, str):
            return Literal(v, at)
        sb = _build_at(ctx, at, a_scope, value.qualname)
        if sb is not None:
            return Literal("{}".join(sb.literal_parts), at, _interpolated(ctx, sb.names, a_scope, at))
        if isinstance(v, Expr) and v.kind == "call" and isinstance(v.literal, str) \
                and v.callee in ("pathlib.Path", "pathlib.PurePath"):
            return Literal(v.literal, at)
    return None


# --- configuration walkers -------------------------------------------------------------------
def walk(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every (key path, value) of a parsed document, depth first."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk(v, path + (i,))


def k8s_containers(doc: ConfigDoc) -> Iterator[tuple[tuple, dict]]:
    """(key path, container mapping) of every container and initContainer in a Kubernetes-like document."""
    for path, value in walk(doc.data):
        if path and path[-1] in ("containers", "initContainers") and isinstance(value, list):
            for i, c in enumerate(value):
                if isinstance(c, dict):
                    yield path + (i,), c


def compose_services(facts: Facts) -> Iterator[tuple[ConfigDoc, str, dict]]:
    for doc in facts.configs_of("compose"):
        services = doc.data.get("services") if isinstance(doc.data, dict) else None
        if isinstance(services, dict):
            for name, svc in services.items():
                if isinstance(svc, dict):
                    yield doc, str(name), svc


def command_text(value: Any) -> str:
    """A command given as a string or a list, as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(str(v) for v in value if isinstance(v, (str, int, float)))
    return ""


class CallIndex:
    """Non-test calls looked up by method, root or qualified name, so rules fetch the few names they need.

    Method and root lookups go through each file's own groups (``FileContext.calls_by_method``,
    ``calls_by_root``, shared with detection);
    the repository-wide table by qualified name is built on first use only.
    """

    def __init__(self, contexts: list[FileContext]) -> None:
        self._contexts = contexts

    def method(self, *names: str) -> Iterator[tuple[FileContext, Call]]:
        for n in names:
            for c in self._contexts:
                for call in c.calls_by_method.get(n, ()):
                    yield c, call

    def root(self, *names: str) -> Iterator[tuple[FileContext, Call]]:
        for n in names:
            for c in self._contexts:
                for call in c.calls_by_root.get(n, ()):
                    yield c, call

    def qualnames(self, pattern: "re.Pattern[str]") -> Iterator[tuple[FileContext, Call]]:
        """Calls whose qualified name matches ``pattern`` (tested once per distinct name)."""
        for q, calls in self.by_qualname.items():
            if pattern.search(q):
                yield from calls

    def has_root(self, name: str) -> bool:
        return any(name in c.calls_by_root for c in self._contexts)

    @cached_property
    def by_qualname(self) -> dict[str, list[tuple[FileContext, Call]]]:
        out: dict[str, list[tuple[FileContext, Call]]] = {}
        for c in self._contexts:
            for call in c.py.calls:
                out.setdefault(call.qualname, []).append((c, call))
        return out


def call_index(ctx: RuleContext) -> CallIndex:
    def compute() -> CallIndex:
        return CallIndex([c for c in ctx.detection.index.contexts.values() if not c.py.is_test])
    return ctx.memo("serving_call_index", compute)  # type: ignore[return-value]
