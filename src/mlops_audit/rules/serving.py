"""Serving contract rules (SRV): how a model is loaded, exposed, checked and scaled.

Every check starts from the route table of ``detect/serving.py`` and the
parsed configuration; nothing here reads a file. Frameworks that provide
health checks, metrics and shutdown handling themselves (BentoML, Ray Serve,
TorchServe, KServe, Seldon, Triton, LitServe, vLLM's server) are not blamed for
what they already do.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from .._patterns import lazy
from ..detect.repo_caps import is_model_file
from ..detect.serving import is_health_path
from ..detect.repo_caps import dvc_outputs
from ..facts import Call, ConfigDoc, Expr, Facts, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._serving_util import (
    Frame, arg_names, call_index, command_text, compose_services, handler_of, imported_files, incidental_serving,
    Literal, is_model_load, is_prediction_route, k8s_containers, lazy_once, literal_str_for, reach, route_label,
    serving_view, walk,
)

__all__: list[str] = []

_SCULLEY = "Sculley et al. 2015, 'Hidden Technical Debt in Machine Learning Systems' (NeurIPS)"
_BRECK = "Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness and Technical Debt Reduction'"
_GOOGLE = "Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning'"
_SRE = "Beyer et al. 2016, 'Site Reliability Engineering', ch. 4 Service Level Objectives"

_ADMIN_ROUTE = lazy(r"(?i)(^|[/_\s-])(re)?(load|fresh)(_?models?)?($|[/_\s-])|swap|switch|update|deploy|"
                          r"promote|rollback|(^|[/_\s-])(re)?train|upload|admin|warm_?up")


def _per_request_handlers(ctx: RuleContext) -> Iterator[tuple[str, Any, Any, str]]:
    """(label, file context, function, route text) of every route handler and per-request hook.

    The route text (path and handler name) is empty for hooks (before_request, HTTP middleware): they run on
    every request whatever they are called.
    """
    view = serving_view(ctx)
    index = ctx.detection.index
    for route in view.routes:
        found = handler_of(index, route)
        if found is not None:
            yield f"the {route_label(route)} handler", found[0], found[1], f"{route.path} {found[1].name}"
    for c in index.contexts.values():
        if c.py.is_test or not (c.py.path in view.serving_files):
            continue
        for fn in c.py.functions:
            for d in fn.decorators:
                last = d.qualname.rsplit(".", 1)[-1]
                if last == "before_request" or (last == "middleware" and d.args[:1] == ("http",)):
                    yield f"the per-request hook {fn.name} (@{last})", c, fn, ""


# --------------------------------------------------------------------------------------------
@rule(
    id="SRV001", name="model-loaded-per-request", area="serving", severity=Severity.CRITICAL,
    concept="model_load_per_request", title="Model loaded inside a request handler",
    rationale=(
        "Deserialising weights is the most expensive thing a prediction service does: it reads tens or "
        "hundreds of megabytes, allocates the whole model and, on GPUs, copies it to device memory. Doing it "
        "inside the request path turns every call into a cold start, multiplies memory by the number of "
        "concurrent requests and makes latency depend on disk or object-store speed rather than on the model. "
        "It also means the service never proves at start-up that its model can be loaded, so a broken "
        "artifact surfaces as failing user requests instead of a failed deployment. Sculley et al. (2015) "
        "list such glue-code shortcuts among the hidden costs of ML systems, and Breck et al. (2017, 'The ML "
        "Test Score') ask that serving be tested as it runs in production; a model loaded once at start-up, "
        "kept in application state and checked by a readiness probe satisfies both."
    ),
    remediation={
        "fastapi": (
            "Load the model once in a lifespan handler and keep it on app.state:\n\n"
            "    from contextlib import asynccontextmanager\n"
            "    from fastapi import FastAPI, Request\n"
            "    import joblib\n\n"
            "    @asynccontextmanager\n"
            "    async def lifespan(app: FastAPI):\n"
            "        app.state.model = joblib.load(settings.model_path)  # once, at start-up\n"
            "        yield\n"
            "        app.state.model = None\n\n"
            "    app = FastAPI(lifespan=lifespan)\n\n"
            "    @app.post('/predict')\n"
            "    def predict(req: PredictRequest, request: Request):\n"
            "        return {'prediction': request.app.state.model.predict([req.features]).tolist()}"
        ),
        "flask": (
            "Load the model in the application factory (once per worker) and read it from app config:\n\n"
            "    def create_app() -> Flask:\n"
            "        app = Flask(__name__)\n"
            "        app.config['MODEL'] = joblib.load(os.environ['MODEL_PATH'])\n"
            "        @app.post('/predict')\n"
            "        def predict():\n"
            "            model = current_app.config['MODEL']\n"
            "            ...\n"
            "        return app\n\n"
            "With gunicorn, add --preload to share the loaded model between workers."
        ),
        "bentoml": (
            "Load the model in the service's __init__ (BentoML calls it once per worker), not in an @bentoml.api "
            "method:\n\n    @bentoml.service\n    class Classifier:\n        def __init__(self):\n"
            "            self.model = bentoml.sklearn.load_model('classifier:3f2a...')"
        ),
        "ray_serve": "Load the model in the deployment's __init__; Ray Serve keeps the replica alive between calls.",
        "default": (
            "Load the model once when the process starts (module import, application factory or a start-up "
            "hook), keep it in application state and make the readiness probe fail until it is loaded. If the "
            "model must be loaded lazily, guard the load with functools.lru_cache or a module-level "
            "`if _model is None` check."
        ),
    },
    seeds=("H10", "H21"), references=(_SCULLEY, _BRECK),
    bad=("@app.post('/predict')\ndef predict(x: Item):\n    model = joblib.load('model.pkl')\n"
         "    return model.predict(...)"),
    good=("model = joblib.load(MODEL_PATH)  # at start-up\n\n@app.post('/predict')\ndef predict(x: Item):\n"
          "    return model.predict(...)"),
    requires=("serving",), principle="deployment", tools=("fastapi", "flask", "bentoml"),
)
def model_loaded_per_request(ctx: RuleContext) -> Iterator[Hit]:
    """Flags model-loading calls (joblib/pickle/torch.load, from_pretrained, pipeline(), InferenceSession, mlflow
    load_model, ...) reachable from a route handler or per-request hook, following repository helpers, FastAPI
    Depends providers and class constructors two levels deep. Loads behind functools caches, module-level
    globals, application state or an `is None` guard run once and are not flagged.
    """
    index = ctx.detection.index
    seen: set[tuple[str, int]] = set()
    for label, hctx, fn, route_text in _per_request_handlers(ctx):
        if route_text and _ADMIN_ROUTE.search(route_text):
            continue  # an explicit /reload or /train endpoint loads on purpose
        for cctx, call, frames in reach(index, hctx, fn, depth=2):
            if cctx.py.is_test:
                continue
            loader = is_model_load(cctx, call)
            if loader is None:
                continue
            if lazy_once(frames, cctx, call) and not _per_request_target(cctx, call):
                continue
            where = (cctx.py.path, call.line)
            if where in seen:
                continue
            seen.add(where)
            via = _via(frames)
            yield Hit(
                cctx.py.path, call.line,
                f"{cctx.py.path}:{call.line} calls {loader} inside {label}{via}: the model is "
                f"deserialised on every request instead of once at start-up",
                cell=call.cell, key=f"{loader}@{call.scope}",
            )


def _via(frames: tuple[Frame, ...]) -> str:
    if len(frames) <= 1:
        return ""
    return " (via " + " -> ".join(fr.fn.qualname for fr in frames[1:]) + ")"


def _per_request_target(cctx: Any, call: Call) -> bool:
    """Flask's ``g`` lives for one request: storing the model there is not caching it."""
    return any(a.line == call.line and a.scope == call.scope and a.target.startswith("flask.g.")
               for a in cctx.py.assigns)


# --------------------------------------------------------------------------------------------
# a probe's path segment or handler name: /healthz, /health-check, /readyz; health(), get_health(), ping(),
# healthcheck_endpoint(), is_ready(). Not a name that merely holds the word (run_financial_health_analysis,
# predict_health_risk) nor a segment that starts with it (/healthcare, /livestream).
_PROBE_WORD = r"(health|healthz|healthcheck|health[-_]check|healthy|ping|ready|readyz|readiness|live|livez|liveness|" \
              r"alive|heartbeat)"
_HEALTH_SEGMENT = lazy(rf"(?i)^({_PROBE_WORD[1:-1]}|status)$")
_HEALTH_NAME = lazy(rf"(?i)^(get_|check_|api_|app_|route_|handle_|do_|is_|service_)?{_PROBE_WORD}"
                    r"(_check|_endpoint|_probe|_status|_route|_handler|_view)?$")
_HEALTH_LIBS = ("healthcheck.", "fastapi_health.", "flask_healthz.", "py_healthcheck.", "grpc_health.",
                "starlette_health.", "health_check.")
_PROBE_KEYS = frozenset({"livenessProbe", "readinessProbe", "startupProbe"})


def _health_like(path: str, function: str) -> bool:
    if is_health_path(path):
        return True
    if any(_HEALTH_SEGMENT.match(seg) for seg in path.strip("/").split("/") if seg):
        return True
    return bool(_HEALTH_NAME.search(function.rsplit(".", 1)[-1]))


def _config_health(facts: Facts) -> str | None:
    for doc in facts.configs:
        if doc.kind in ("k8s", "helm_values", "helm_template", "kustomize"):
            for path, _ in walk(doc.data):
                if path and path[-1] in _PROBE_KEYS:
                    return f"{doc.path}: {path[-1]}"
    for doc, name, svc in compose_services(facts):
        hc = svc.get("healthcheck")
        if isinstance(hc, dict) and not hc.get("disable"):
            return f"{doc.path}: healthcheck of service {name}"
    return None


@rule(
    id="SRV002", name="no-health-endpoint", area="serving", severity=Severity.HIGH,
    concept="no_health_endpoint", title="Serving app exposes no health or readiness check",
    rationale=(
        "An orchestrator can only route traffic safely to replicas it can ask 'are you alive, are you ready?'. "
        "Without a liveness check a hung worker keeps receiving requests; without a readiness check a replica "
        "that is still loading its model, or failed to load it, is put behind the load balancer and answers "
        "with errors. Rolling updates, autoscaling and canaries all rely on the same signal. Breck et al. "
        "(2017, 'The ML Test Score') treat a serving stack that is not monitored for basic liveness as not "
        "production-ready, and Google's MLOps guidance assumes the prediction service reports its own health "
        "to the platform that runs it."
    ),
    remediation={
        "fastapi": (
            "Add cheap liveness and readiness routes; readiness should fail until the model is loaded:\n\n"
            "    @app.get('/healthz')\n    def healthz():\n        return {'status': 'ok'}\n\n"
            "    @app.get('/readyz')\n    def readyz(request: Request):\n"
            "        if getattr(request.app.state, 'model', None) is None:\n"
            "            raise HTTPException(status_code=503, detail='model not loaded')\n"
            "        return {'status': 'ready'}\n\n"
            "and point the Kubernetes probes at them:\n\n"
            "    livenessProbe:  {httpGet: {path: /healthz, port: 8000}, periodSeconds: 10}\n"
            "    readinessProbe: {httpGet: {path: /readyz, port: 8000}, initialDelaySeconds: 5}"
        ),
        "flask": (
            "Add liveness and readiness routes to the app (or its factory):\n\n"
            "    @app.get('/healthz')\n    def healthz():\n        return {'status': 'ok'}\n\n"
            "    @app.get('/readyz')\n    def readyz():\n"
            "        return ({'status': 'ready'}, 200) if current_app.config.get('MODEL') is not None "
            "else ({'status': 'loading'}, 503)\n\n"
            "then reference them from Kubernetes livenessProbe/readinessProbe or a Dockerfile HEALTHCHECK."
        ),
        "default": (
            "Expose a liveness route (/healthz: the process answers) and a readiness route (/readyz: the model "
            "is loaded and a dummy prediction succeeds), and wire them to Kubernetes probes or a Dockerfile "
            "`HEALTHCHECK CMD curl -f http://localhost:8000/healthz || exit 1`."
        ),
    },
    seeds=("C13", "H10"), references=(_BRECK, _GOOGLE),
    bad="app = FastAPI()\n\n@app.post('/predict')\ndef predict(x: Item): ...",
    good="app = FastAPI()\n\n@app.get('/healthz')\ndef healthz():\n    return {'status': 'ok'}",
    requires=("serving",), principle="deployment", tools=("kubernetes",),
)
def no_health_endpoint(ctx: RuleContext) -> Iterator[Hit]:
    """Flags an HTTP serving app (FastAPI, Flask, Starlette, ...) that has routes but no health or readiness route,
    mounted health app, Kubernetes/Helm probe, compose healthcheck or Dockerfile HEALTHCHECK. Frameworks that
    provide health checks themselves (BentoML, Ray Serve, KServe, Seldon, TorchServe, Triton, LitServe, vLLM)
    are not flagged. The finding points at the app creation line of the file with the most routes.
    """
    if incidental_serving(ctx):
        return
    view = serving_view(ctx)
    if not view.http_routes or view.managed or ctx.detection.present("health_endpoint"):
        return
    if any(_health_like(r.path, r.function) for r in view.routes):
        return
    if _config_health(ctx.facts):
        return
    for c in ctx.detection.index.contexts.values():
        if not c.py.is_test and any(imp.module.startswith(_HEALTH_LIBS) or (imp.module + ".").startswith(_HEALTH_LIBS)
                                    for imp in c.py.imports):
            return
    for _, call in call_index(ctx).method("mount", "add_route", "add_api_route", "add_url_rule", "Route", "Mount",
                                          "add_get"):
        first = call.args[0] if call.args else call.kw("path")
        if isinstance(first, str) and first.startswith("/") and _health_like(first, ""):
            return  # mounted or registered health app/route the route table does not list
    anchor = view.anchor()
    if anchor is None:
        return
    paths = sorted({r.path or r.function for r in view.http_routes})
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    yield Hit(anchor[0], anchor[1],
              f"{anchor[0]}:{anchor[1]} creates the app serving {shown}, but no route, Kubernetes probe or "
              f"Dockerfile HEALTHCHECK checks its health or readiness", key="no-health-endpoint")


# --------------------------------------------------------------------------------------------
_RAW_BODY = lazy(r"(^|\.)(request|req)\.(json|get_json|form|data|values|get_data|body|stream)(\(\))?$")
_VALIDATE_METHODS = {"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate_python",
                     "validate_json", "validate", "is_valid", "parse_args", "validate_request", "validated",
                     "iter_errors", "check_schema", "safe_load_input"}
_VALIDATE_NAME = lazy(r"(?i)valid|sanitiz|check_(input|payload|request|data|features|body)|"
                            r"verify_(input|payload|request)|parse_(input|payload|request|body)|schema")
_VALIDATE_DECORATORS = {"validate", "use_args", "use_kwargs", "arguments", "expect", "expects_json", "input",
                        "validate_request", "validate_json", "body", "accepts", "doc_input", "marshal_with_input"}
_RAW_ANNOTATIONS = {"dict", "typing.Dict", "Dict", "typing.Any", "Any", "object", "typing.Mapping"}


def _model_classes(ctx: RuleContext) -> frozenset[str]:
    """Names of repository classes that declare a typed request body (pydantic, dataclass, TypedDict, ...)."""
    def compute() -> frozenset[str]:
        names: set[str] = set()
        all_classes = [cls for c in ctx.detection.index.contexts.values() for cls in c.py.classes]
        for cls in all_classes:
            if any(b.endswith(("BaseModel", "TypedDict", "Struct", "Schema", "RootModel")) or
                   b.startswith(("pydantic.", "marshmallow.", "msgspec.", "attrs.", "attr.")) for b in cls.bases):
                names.add(cls.name)
            if any(d.qualname.rsplit(".", 1)[-1] in ("dataclass", "define", "frozen", "s", "attrs")
                   for d in cls.decorators):
                names.add(cls.name)
        for _ in range(3):
            for cls in all_classes:
                if any(b.rsplit(".", 1)[-1] in names for b in cls.bases):
                    names.add(cls.name)
        return frozenset(names)
    return ctx.memo("srv_model_classes", compute)  # type: ignore[return-value]


def _body_reads(hctx: Any, fn: Any) -> tuple[list[int], set[str]]:
    """Lines where the handler reads the raw request body, and the local names that hold it."""
    lines: list[int] = []
    holders: set[str] = set()
    scopes = (fn.qualname,)
    prefix = fn.qualname + "."

    def in_scope(scope: str) -> bool:
        return scope in scopes or scope.startswith(prefix)

    def raw(value: Any) -> bool:
        if isinstance(value, Ref):
            return bool(_RAW_BODY.search(value.qualname))
        if isinstance(value, Expr):
            return any(_RAW_BODY.search(n) for n in value.names + ((value.callee,) if value.callee else ()))
        return False

    for call in hctx.py.calls:
        if not in_scope(call.scope):
            continue
        if _RAW_BODY.search(call.qualname):
            lines.append(call.line)
        elif any(raw(v) for v in list(call.args) + [v for _, v in call.kwargs]):
            lines.append(call.line)
    for a in hctx.py.assigns:
        if in_scope(a.scope) and raw(a.value):
            lines.append(a.line)
            holders.add(a.target)
    # `data = await request.json()`: the assign's value is an await over the call on the same line
    call_lines = {c.line for c in hctx.py.calls if in_scope(c.scope) and (
        _RAW_BODY.search(c.qualname) or any(raw(v) for v in list(c.args) + [v for _, v in c.kwargs]))}
    for a in hctx.py.assigns:
        if in_scope(a.scope) and a.line in call_lines:
            holders.add(a.target)
    return lines, holders


def _validated(ctx: RuleContext, hctx: Any, fn: Any, holders: set[str]) -> bool:
    models = _model_classes(ctx)
    for d in fn.decorators:
        if d.qualname.rsplit(".", 1)[-1] in _VALIDATE_DECORATORS:
            return True
    for p in fn.params:
        ann = p.annotation.rsplit(".", 1)[-1] if p.annotation else ""
        if ann and (ann in models or p.annotation.startswith(("pydantic.", "marshmallow."))):
            return True
    index = ctx.detection.index
    for cctx, call, _ in reach(index, hctx, fn, depth=2):
        name = cctx.effective(call)
        last = name.rsplit(".", 1)[-1]
        if last in _VALIDATE_METHODS or (last == "load" and "Schema" in name) or last in models:
            return True
        if _VALIDATE_NAME.search(last) and last not in ("get_json",):
            return True
        if name.startswith(("jsonschema.", "pandera.", "cerberus.", "voluptuous.", "schema.", "fastjsonschema.",
                            "pydantic.")):
            return True
        if name == "isinstance" and holders & set(arg_names(call.args[0] if call.args else None)):
            return True
    prefix = fn.qualname + "."
    for cmp in hctx.py.compares:
        if cmp.scope != fn.qualname and not cmp.scope.startswith(prefix):
            continue
        if cmp.raises and (holders & set(cmp.names) or any(_RAW_BODY.search(n) for n in cmp.names)):
            return True  # a hand-written check that rejects the request
    return False


@rule(
    id="SRV003", name="prediction-route-without-schema", area="serving", severity=Severity.HIGH,
    title="Prediction route passes the raw request body to the model",
    rationale=(
        "A prediction endpoint is the boundary where the outside world meets assumptions baked into the model: "
        "feature names, types, ranges, units, the order of columns. When the handler feeds request.json "
        "straight into a DataFrame or a tensor, a missing field becomes a NaN, a string becomes an object "
        "column and a renamed feature is silently zero-filled; the model still returns a number, so nothing "
        "alerts. A declared request schema turns those cases into a clear 4xx at the edge, documents the "
        "contract (OpenAPI) and is the first place to add range and out-of-distribution checks. Breck et al. "
        "(2017, 'The ML Test Score') ask for schema checks on model inputs, and Sculley et al. (2015) describe "
        "unchecked input dependencies as a leading source of silent ML failures."
    ),
    remediation={
        "fastapi": (
            "Declare the body as a pydantic model; FastAPI validates it and answers 422 on bad input:\n\n"
            "    from pydantic import BaseModel, Field\n\n"
            "    class PredictRequest(BaseModel):\n"
            "        age: float = Field(ge=0, le=120)\n"
            "        income: float = Field(ge=0)\n"
            "        country: Literal['DE', 'FR', 'US']\n\n"
            "    @app.post('/predict')\n"
            "    def predict(req: PredictRequest):\n"
            "        X = pd.DataFrame([req.model_dump()])\n"
            "        ..."
        ),
        "flask": (
            "Validate the JSON body before it reaches the model, e.g. with pydantic:\n\n"
            "    class PredictRequest(BaseModel):\n        age: float = Field(ge=0, le=120)\n"
            "        income: float = Field(ge=0)\n\n"
            "    @app.post('/predict')\n    def predict():\n        try:\n"
            "            req = PredictRequest.model_validate(request.get_json())\n"
            "        except ValidationError as e:\n            return {'errors': e.errors()}, 422\n"
            "        ...\n\n(marshmallow schemas, flask-pydantic's @validate or webargs do the same.)"
        ),
        "default": (
            "Declare the request schema (pydantic, marshmallow, JSON Schema) and validate every prediction "
            "request against it before building features; reject unknown or missing fields with a 4xx."
        ),
    },
    seeds=("C31", "H10", "Z02", "Z10"), references=(_BRECK, _SCULLEY),
    bad=("@app.route('/predict', methods=['POST'])\ndef predict():\n    X = pd.DataFrame(request.json)\n"
         "    return jsonify(model.predict(X).tolist())"),
    good="@app.post('/predict')\ndef predict(req: PredictRequest):\n    X = pd.DataFrame([req.model_dump()])\n    ...",
    requires=("serving",), principle="deployment", tools=("pydantic", "marshmallow"),
)
def prediction_route_without_schema(ctx: RuleContext) -> Iterator[Hit]:
    """Flags POST/PUT/PATCH prediction routes whose handler reads the raw request body (request.json, get_json(),
    await request.json()) or takes an untyped dict body, and neither declares a typed body (pydantic,
    dataclass, marshmallow) nor validates it (model_validate, Schema().load, jsonschema, a rejecting check on
    the payload, validation decorators).
    """
    view = serving_view(ctx)
    index = ctx.detection.index
    for route in view.http_routes:
        if not is_prediction_route(index, route):
            continue
        found = handler_of(index, route)
        if found is None:
            continue
        hctx, fn = found
        lines, holders = _body_reads(hctx, fn)
        raw_param = ""
        if route.framework in ("fastapi", "litestar") and not lines:
            models = _model_classes(ctx)
            typed = [p for p in fn.params if p.annotation and p.annotation.rsplit(".", 1)[-1] in models]
            loose = [p for p in fn.params if p.annotation in _RAW_ANNOTATIONS]
            if loose and not typed:
                raw_param = f"{loose[0].name}: {loose[0].annotation}"
                holders.add(loose[0].name)
        if not lines and not raw_param:
            continue
        if _validated(ctx, hctx, fn, holders):
            continue
        how = f"takes an untyped body ({raw_param})" if raw_param else "reads the raw request body"
        yield Hit(route.file, route.line,
                  f"{route.file}:{route.line} {route_label(route)} {how} and passes it on without a declared "
                  f"schema or validation", key=f"{route.path}:{route.function}")


# --------------------------------------------------------------------------------------------
_SHUTDOWN_DECORATORS = {"after_serving", "after_server_stop", "before_server_stop", "on_shutdown"}


def _shutdown_handling(ctx: RuleContext) -> str | None:
    """Where the app or its runtime handles SIGTERM / shutdown, or None."""
    view = serving_view(ctx)
    for app in view.apps:
        for key in ("lifespan", "on_shutdown"):
            if app.call.has_kw(key) and app.call.kw(key) is not None:
                return f"{app.path}:{app.line} {key}="
    index = ctx.detection.index
    for c in index.contexts.values():
        py = c.py
        name = py.path.rsplit("/", 1)[-1]
        if py.is_test or not (py.path in view.serving_files or "gunicorn" in name):
            continue
        for fn in py.functions:
            if "gunicorn" in name and fn.name in ("worker_exit", "on_exit", "worker_int"):
                return f"{py.path}:{fn.line} {fn.name}"
            for d in fn.decorators:
                last = d.qualname.rsplit(".", 1)[-1]
                if last == "on_event" and d.args[:1] == ("shutdown",):
                    return f"{py.path}:{d.line} on_event('shutdown')"
                if last == "listener" and d.args[:1] in (("before_server_stop",), ("after_server_stop",)):
                    return f"{py.path}:{d.line} listener"
                if last in _SHUTDOWN_DECORATORS:
                    return f"{py.path}:{d.line} @{last}"
        for a in py.assigns:
            if a.target.endswith("router.lifespan_context") or (
                    "gunicorn" in name and a.scope == "<module>" and a.target == "graceful_timeout"):
                return f"{py.path}:{a.line} {a.target}"
    ci = call_index(ctx)
    for c, call in ci.method("signal", "add_signal_handler"):
        if any(isinstance(v, Ref) and v.qualname.endswith("SIGTERM") for v in call.args[:1]):
            return f"{c.py.path}:{call.line} SIGTERM handler"
    for c, call in ci.by_qualname.get("atexit.register", ()):
        return f"{c.py.path}:{call.line} atexit.register"
    for c, call in ci.method("add_event_handler"):
        if call.args[:1] == ("shutdown",):
            return f"{c.py.path}:{call.line} add_event_handler('shutdown')"
    for c, call in ci.method("append"):
        if ".on_shutdown." in call.qualname or ".on_cleanup." in call.qualname or \
                call.qualname.endswith(".cleanup_ctx.append"):
            return f"{c.py.path}:{call.line} {call.qualname}"
    for c, call in ci.method("run", "Config", "Server", "StandaloneApplication"):
        if call.has_kw("timeout_graceful_shutdown") or call.has_kw("graceful_timeout"):
            return f"{c.py.path}:{call.line} graceful timeout"
    for df in ctx.facts.dockerfiles:
        for ins in df.instructions:
            if ins.instruction in ("CMD", "ENTRYPOINT", "RUN", "ENV") and re.search(
                    r"--graceful-timeout|--timeout-graceful-shutdown|GRACEFUL_TIMEOUT",
                    " ".join(ins.args) or ins.value):
                return f"{df.path}:{ins.line} graceful timeout"
    for doc in ctx.facts.configs:
        if doc.kind in ("k8s", "helm_values", "helm_template", "kustomize", "compose"):
            for path, value in walk(doc.data):
                if path and path[-1] in ("terminationGracePeriodSeconds", "preStop", "stop_grace_period",
                                         "stop_signal"):
                    return f"{doc.path}: {path[-1]}"
                if isinstance(value, str) and re.search(r"--graceful-timeout|--timeout-graceful-shutdown", value):
                    return f"{doc.path}: graceful timeout flag"
    return None


@rule(
    id="SRV004", name="no-graceful-shutdown", area="serving", severity=Severity.MEDIUM,
    title="Serving app has no graceful-shutdown handling",
    rationale=(
        "Every deploy, scale-in and node drain ends with SIGTERM. A service that does nothing special is killed "
        "while requests are in flight, loses the predictions it buffered for logging, and leaves GPU memory, "
        "connection pools and background workers to be torn down by the kernel. Kubernetes also keeps sending "
        "traffic for a moment after it decides to stop a pod, so without a short pre-stop delay and a drain "
        "window clients see resets during every rollout. Sculley et al. (2015) point out that the "
        "infrastructure around a model, not the model, is where most production failures live; a lifespan "
        "hook, a SIGTERM handler and a termination grace period are the cheap part of that infrastructure."
    ),
    remediation={
        "fastapi": (
            "Put start-up and shutdown in a lifespan handler (uvicorn runs the part after `yield` on SIGTERM, "
            "once in-flight requests finish):\n\n"
            "    @asynccontextmanager\n    async def lifespan(app: FastAPI):\n"
            "        app.state.model = load_model()\n        yield\n"
            "        await prediction_log.flush()   # drain buffers, close pools\n\n"
            "    app = FastAPI(lifespan=lifespan)\n\n"
            "and give Kubernetes a drain window:\n\n"
            "    terminationGracePeriodSeconds: 30\n"
            "    lifecycle: {preStop: {exec: {command: ['sleep', '5']}}}\n\n"
            "(`uvicorn --timeout-graceful-shutdown 25` bounds the drain.)"
        ),
        "flask": (
            "Serve with gunicorn and a drain window instead of app.run(), and release resources on exit:\n\n"
            "    # gunicorn.conf.py\n    graceful_timeout = 25\n"
            "    def worker_exit(server, worker):\n        prediction_log.flush()\n\n"
            "    # Kubernetes\n    terminationGracePeriodSeconds: 30\n"
            "    lifecycle: {preStop: {exec: {command: ['sleep', '5']}}}"
        ),
        "default": (
            "Handle SIGTERM: stop accepting requests, finish the in-flight ones, flush prediction logs and "
            "release the model (signal.signal(signal.SIGTERM, handler), a framework shutdown hook, or the "
            "server's graceful-timeout option), and set terminationGracePeriodSeconds plus a short preStop "
            "sleep in the Deployment."
        ),
    },
    seeds=("C14",), references=(_SCULLEY, "Kubernetes documentation, 'Pod Lifecycle: Termination of Pods'"),
    bad="app = FastAPI()  # no lifespan, no shutdown hook, no grace period",
    good="app = FastAPI(lifespan=lifespan)  # cleanup after yield; terminationGracePeriodSeconds: 30",
    requires=("serving",), principle="deployment", tools=("kubernetes", "gunicorn", "uvicorn"),
)
def no_graceful_shutdown(ctx: RuleContext) -> Iterator[Hit]:
    """Flags an HTTP serving app with no shutdown handling anywhere: no lifespan= or shutdown hook, no SIGTERM
    handler or atexit hook, no graceful-timeout option for gunicorn/uvicorn, and no Kubernetes
    terminationGracePeriodSeconds or preStop hook. Managed serving frameworks are not flagged.
    """
    if incidental_serving(ctx):
        return
    view = serving_view(ctx)
    if not view.http_routes or view.managed:
        return
    if _shutdown_handling(ctx):
        return
    anchor = view.anchor()
    if anchor is None:
        return
    fw = "/".join(sorted({r.framework for r in view.http_routes}))
    server = _production_server(ctx)
    if server:
        effect = (f"{server} stops accepting and drains requests, but nothing flushes buffered logs or releases "
                  f"the model, and Kubernetes gets no drain window")
    else:
        effect = "in-flight requests and buffered logs are lost on every redeploy"
    yield Hit(anchor[0], anchor[1],
              f"{anchor[0]}:{anchor[1]} creates a {fw} app with no shutdown hook, SIGTERM handler, graceful-timeout "
              f"option or Kubernetes termination grace period: {effect}", key="no-graceful-shutdown")


_SERVERS = lazy(r"\b(gunicorn|uvicorn|hypercorn|daphne|waitress-serve|granian)\b")


def _production_server(ctx: RuleContext) -> str | None:
    """The ASGI/WSGI server the app runs under (Dockerfile, compose, Kubernetes or code), if any."""
    for df in ctx.facts.dockerfiles:
        for ins in df.instructions:
            if ins.instruction in ("CMD", "ENTRYPOINT"):
                m = _SERVERS.search(" ".join(ins.args) or ins.value)
                if m:
                    return m.group(1)
    for doc, _, svc in compose_services(ctx.facts):
        m = _SERVERS.search(command_text(svc.get("command")) + " " + command_text(svc.get("entrypoint")))
        if m:
            return m.group(1)
    for doc in ctx.facts.configs_of("k8s", "helm_template"):
        for _, c in k8s_containers(doc):
            m = _SERVERS.search(command_text(c.get("command")) + " " + command_text(c.get("args")))
            if m:
                return m.group(1)
    ci = call_index(ctx)
    for root in ("uvicorn", "hypercorn", "waitress", "gunicorn"):
        if ci.has_root(root):
            return root
    return None


# --------------------------------------------------------------------------------------------
_OBSERVABILITY_MODULES = ("ddtrace", "newrelic", "elasticapm", "opentelemetry.instrumentation", "scout_apm",
                          "logfire", "prometheus_fastapi_instrumentator", "starlette_exporter",
                          "prometheus_flask_exporter", "starlette_prometheus", "aioprometheus", "prometheus_async",
                          "flask_prometheus_metrics", "opencensus.ext", "aws_xray_sdk", "azure.monitor.opentelemetry",
                          "beeline", "datadog", "statsd", "sentry_sdk.integrations")
_OBS_COMMANDS = lazy(r"ddtrace-run|newrelic-admin|opentelemetry-instrument|elastic-apm")


_TIMERS = {"time.perf_counter", "time.time", "time.monotonic", "time.perf_counter_ns", "time.monotonic_ns",
           "timeit.default_timer"}
_LATENCY_NAME = lazy(r"(?i)latency|duration|elapsed|response_time|inference_time|process_time")


def call_values_of(call: Call) -> list[Any]:
    return list(call.args) + [v for _, v in call.kwargs]


def _custom_timing(ctx: RuleContext) -> str | None:
    """Serving code that times requests and keeps the number (a latency field, column or log key)."""
    view = serving_view(ctx)
    index = ctx.detection.index
    files = set(view.serving_files)
    for _, hctx, fn, _ in _per_request_handlers(ctx):
        for cctx, _, _ in reach(index, hctx, fn, depth=2):
            files.add(cctx.py.path)
    for path in list(files):
        c = index.contexts.get(path)
        if c is not None:
            files |= imported_files(index, c.py)
    for path in sorted(files):
        c = index.contexts.get(path)
        if c is None or c.py.is_test:
            continue
        timer = next((call for call in c.py.calls if call.qualname in _TIMERS), None)
        if timer is None:
            continue
        names: list[str] = [a.target for a in c.py.assigns]
        for a in c.py.assigns:
            if isinstance(a.value, Expr) and a.value.kind == "dict":
                names.extend(a.value.names)
        for call in c.py.calls:
            names.extend(k for k, _ in call.kwargs)
            names.extend(n for v in call_values_of(call) for n in arg_names(v))
        for f in c.py.functions:
            names.extend(f.returns_names)
        if any(_LATENCY_NAME.search(n) for n in names):
            return f"{path}:{timer.line} request timing"
    return None


def _latency_signal(ctx: RuleContext) -> str | None:
    for c in ctx.detection.index.contexts.values():
        py = c.py
        if py.is_test:
            continue
        for imp in py.imports:
            if not imp.guarded and (imp.module + ".").startswith(tuple(m + "." for m in _OBSERVABILITY_MODULES)):
                return f"{py.path}:{imp.line} {imp.module}"
    for c, call in call_index(ctx).by_qualname.get("sentry_sdk.init", ()):
        if call.has_kw("traces_sample_rate") or call.has_kw("traces_sampler"):
            return f"{c.py.path}:{call.line} sentry tracing"
    for df in ctx.facts.dockerfiles:
        for ins in df.instructions:
            if ins.instruction in ("CMD", "ENTRYPOINT", "RUN") and _OBS_COMMANDS.search(ins.value):
                return f"{df.path}:{ins.line}"
    for doc in ctx.facts.configs:
        if doc.kind not in ("k8s", "helm_values", "helm_template", "compose"):
            continue
        data = doc.data if isinstance(doc.data, dict) else {}
        if "istio" in str(data.get("apiVersion", "")) or "linkerd" in str(data.get("apiVersion", "")):
            return f"{doc.path}: service mesh"
        for path, value in walk(data):
            if path and isinstance(path[-1], str) and path[-1] in ("sidecar.istio.io/inject", "linkerd.io/inject"):
                return f"{doc.path}: {path[-1]}"
            if isinstance(value, str) and _OBS_COMMANDS.search(value):
                return f"{doc.path}: APM launcher"
    return None


@rule(
    id="SRV005", name="no-latency-metrics", area="serving", severity=Severity.MEDIUM,
    title="Serving app exports no request latency metrics",
    rationale=(
        "Latency is the first thing users notice and the first thing a model change breaks: a bigger model, a "
        "new feature lookup or a CPU-bound preprocessing step can double p99 without changing a single "
        "prediction. Without a latency histogram per route there is no way to tell whether the service meets "
        "its SLO, to compare a canary with the current model, or to size autoscaling. Breck et al. (2017, 'The "
        "ML Test Score') include monitoring of serving latency and throughput among the production tests, and "
        "Google's MLOps guidance treats serving performance as a signal the pipeline must observe."
    ),
    remediation={
        "fastapi": (
            "Instrument the app with Prometheus:\n\n"
            "    from prometheus_fastapi_instrumentator import Instrumentator\n"
            "    Instrumentator().instrument(app).expose(app)   # /metrics with a duration histogram per route\n\n"
            "or with prometheus_client directly:\n\n"
            "    PREDICT_LATENCY = Histogram('predict_latency_seconds', 'prediction latency', ['model_version'])\n"
            "    with PREDICT_LATENCY.labels(MODEL_VERSION).time():\n        y = model.predict(X)"
        ),
        "flask": (
            "Instrument the app with prometheus-flask-exporter:\n\n"
            "    from prometheus_flask_exporter import PrometheusMetrics\n"
            "    metrics = PrometheusMetrics(app)   # /metrics with flask_http_request_duration_seconds"
        ),
        "default": (
            "Export a request-duration histogram per route (prometheus_client Histogram, OpenTelemetry, "
            "StatsD) and scrape it; alert on p95/p99 against the declared SLO."
        ),
    },
    seeds=("C16", "K06"), references=(_BRECK, _GOOGLE),
    bad="app = FastAPI()  # no /metrics",
    good="app = FastAPI()\nInstrumentator().instrument(app).expose(app)",
    requires=("serving",), principle="monitoring", tools=("prometheus", "opentelemetry"),
)
def no_latency_metrics(ctx: RuleContext) -> Iterator[Hit]:
    """Flags an HTTP serving app that exports no request latency: no Prometheus histogram or summary, instrumentator,
    OpenTelemetry, APM agent (Datadog, New Relic, Elastic, Sentry tracing), service mesh sidecar, or hand-
    written request timing kept as a latency field.
    """
    if incidental_serving(ctx):
        return
    view = serving_view(ctx)
    if not view.http_routes or view.managed or ctx.detection.present("latency_metrics"):
        return
    if _latency_signal(ctx) or _custom_timing(ctx):
        return
    anchor = view.anchor()
    if anchor is None:
        return
    yield Hit(anchor[0], anchor[1],
              f"{anchor[0]}:{anchor[1]} creates the serving app, but nothing measures or exports request "
              f"latency (no Prometheus histogram, OpenTelemetry or APM instrumentation)", key="no-latency-metrics")


# --------------------------------------------------------------------------------------------
_LATEST = lazy(r"(?i)(^|[/_.:@\-])latest($|[/_.\-:])")
_STAGE = lazy(r"(?i)^models:/[^/]+/(production|staging|archived|none)/?$")
_REF_KWARGS = ("model_uri", "path", "filepath", "f", "model_file", "model_path", "filename", "fname", "uri",
               "pretrained_model_name_or_path", "model_name_or_path", "model", "weights", "checkpoint",
               "checkpoint_path", "model_name", "name", "file", "path_or_buf", "tag")
_OPENERS = {"open", "io.open", "builtins.open", "gzip.open", "bz2.open", "lzma.open", "pathlib.Path.open"}


def _model_ref(cctx: Any, call: Call) -> Literal | None:
    """The string naming the model a load call reads, with the line of that literal."""
    value: Any = call.args[0] if call.args else None
    if value is None:
        for k in _REF_KWARGS:
            if call.has_kw(k):
                value = call.kw(k)
                break
    if value is None:
        return None
    if isinstance(value, Expr) and value.kind == "call" and normalize(value.callee) in _OPENERS:
        if isinstance(value.literal, str):
            return Literal(value.literal, call.line)
        inner = value.names[0] if value.names else None
        return literal_str_for(cctx, Ref(inner), call.scope, call.line) if inner else None
    found = literal_str_for(cctx, value, call.scope, call.line, call.qualname)
    if found is None and isinstance(value, Ref) and "." not in value.qualname:
        # `with open(PATH, 'rb') as f: pickle.load(f)`: the file handle comes from the nearest open() above
        opens = [c for c in cctx.calls_by_scope.get(call.scope, ()) if normalize(c.qualname) in _OPENERS
                 and call.line - 3 <= c.line <= call.line and c.args]
        if opens:
            op = max(opens, key=lambda c: c.line)
            return literal_str_for(cctx, op.args[0], op.scope, op.line, op.qualname)
    return found


def normalize(name: str) -> str:
    return name.replace("()", "")


def _serving_load_sites(ctx: RuleContext) -> Iterator[tuple[Any, Call, str]]:
    """(file context, load call, where) for loads in serving code: handlers, serving modules, start-up helpers."""
    view = serving_view(ctx)
    index = ctx.detection.index
    seen: set[tuple[str, int]] = set()

    def emit(cctx: Any, call: Call, where: str) -> Iterator[tuple[Any, Call, str]]:
        if cctx.py.is_test or (cctx.py.path, call.line) in seen:
            return
        if is_model_load(cctx, call) is None:
            return
        seen.add((cctx.py.path, call.line))
        yield cctx, call, where

    reached: set[str] = set()
    for label, hctx, fn, _ in _per_request_handlers(ctx):
        for cctx, call, _ in reach(index, hctx, fn, depth=2):
            reached.add(cctx.py.path)
            yield from emit(cctx, call, label)
    for path in sorted(reached - set(view.serving_files)):
        mctx = index.contexts.get(path)
        if mctx is None:
            continue
        for call in mctx.py.calls:  # module-level loads of the helpers the handlers use
            if call.scope == "<module>":
                yield from emit(mctx, call, "module level, used by the handlers")
    for path in sorted(view.serving_files):
        sctx = index.contexts.get(path)
        if sctx is None or sctx.py.is_test:
            continue
        for call in sctx.py.calls:
            yield from emit(sctx, call, "serving module")
        for fn in sctx.py.functions:
            for cctx, call, _ in reach(index, sctx, fn, depth=1):
                yield from emit(cctx, call, f"serving code, {fn.qualname}")
        for call in sctx.py.calls:
            if call.scope != "<module>":
                continue
            target = index.resolve_function(sctx, call)
            if target is not None:
                for cctx, inner, _ in reach(index, target[0], target[1], depth=1):
                    yield from emit(cctx, inner, f"start-up of {path}")


@rule(
    id="SRV006", name="latest-model-reference", area="serving", severity=Severity.HIGH,
    concept="latest_model_reference",
    title="Serving loads a model by 'latest', a stage name or an unversioned path",
    rationale=(
        "What a service serves must be a decision that someone made and can reproduce. 'latest', a registry "
        "stage such as Production, or a bare 'model.pkl' all resolve to whatever was written last: a retrain, "
        "a manual promotion or a copied file changes the model in production without a deploy, without a "
        "review and without a record of which version answered which request. Rollback then means guessing "
        "what 'latest' used to be. Google's MLOps guidance makes the registry the source of truth with "
        "explicit versions, and Sculley et al. (2015) warn about unstable data and model dependencies that "
        "change underneath the code consuming them."
    ),
    remediation={
        "mlflow": (
            "Pin an explicit version or an alias your release process moves on purpose, and log it:\n\n"
            "    MODEL_URI = os.environ['MODEL_URI']           # e.g. models:/churn/12 or models:/churn@champion\n"
            "    model = mlflow.pyfunc.load_model(MODEL_URI)\n"
            "    logger.info('serving %s', MODEL_URI)\n\n"
            "Stages (Production/Staging) are deprecated in MLflow 2.9+; use aliases and set them in CD."
        ),
        "bentoml": ("Reference models by full tag ('classifier:3f2a1b...') in bentofile.yaml and the service, "
                    "not ':latest'."),
        "default": (
            "Load a versioned artifact (models/churn-1.4.2.joblib, a content hash, a registry version) chosen "
            "by configuration at deploy time, record the version in every prediction log and expose it on the "
            "health endpoint."
        ),
    },
    seeds=("Z05", "Z10"), references=(_GOOGLE, _SCULLEY),
    bad="model = mlflow.pyfunc.load_model('models:/churn/Production')",
    good="model = mlflow.pyfunc.load_model(os.environ['MODEL_URI'])  # models:/churn/12",
    requires=("serving",), principle="versioning", tools=("mlflow", "dvc"),
)
def latest_model_reference(ctx: RuleContext) -> Iterator[Hit]:
    """Flags model loads in serving code (handlers and their helpers, serving modules, start-up code, modules the
    handlers import) whose model reference is 'latest', a registry stage (models:/name/Production), or a
    literal model file path with no version, hash or digit, following one assignment back. DVC-tracked files
    and interpolated parts that may carry a version are not flagged.
    """
    dvc = ctx.memo("srv_dvc_outputs", lambda: dvc_outputs(ctx.facts))
    reported: set[tuple[str, int]] = set()
    for cctx, call, where in _serving_load_sites(ctx):
        ref = _model_ref(cctx, call)
        if ref is None:
            continue
        text, line = ref.text, ref.line
        full = ref.resolved_text  # None when an interpolated part is unknown (it may carry the version)
        loader = is_model_load(cctx, call)
        why = ""
        if _STAGE.match(text.strip()):
            why = f"by the registry stage '{text.rsplit('/', 1)[-1] or text}'"
        elif _LATEST.search(text) or (full and _LATEST.search(full)):
            why = "by 'latest'"
        elif full is not None and is_model_file(text.replace("{}", "x")) and not _dvc_tracked(text, dvc) \
                and not re.search(r"\d", full.rsplit("://", 1)[-1]):
            why = "from a path with no version"
        if not why or (cctx.py.path, line) in reported:
            continue
        reported.add((cctx.py.path, line))
        shown = ref.display
        if line == call.line:
            what = f"{cctx.py.path}:{line} {loader} ({where}) loads '{shown}' {why}"
        else:
            what = (f"{cctx.py.path}:{line} names the model '{shown}', which {loader} at line {call.line} ({where}) "
                    f"loads {why}")
        yield Hit(cctx.py.path, line, f"{what}: the served model can change without a deploy and cannot be "
                  f"traced to a version", cell=call.cell, key=f"{loader}:{shown}")


def _dvc_tracked(text: str, outs: Any) -> bool:
    p = text[2:] if text.startswith("./") else text
    return any(o == p or o.endswith("/" + p) or p.endswith("/" + o) or p.startswith(o.rstrip("/") + "/")
               for o in outs)


# --------------------------------------------------------------------------------------------
_INFRA_IMAGE = lazy(
    r"(?i)(^|/)(redis|postgres|postgresql|mysql|mariadb|mongo|mongodb|memcached|rabbitmq|kafka|zookeeper|"
    r"elasticsearch|opensearch|kibana|grafana|prometheus|alertmanager|node-exporter|minio|nginx|traefik|envoy|"
    r"jaeger|otel|opentelemetry-collector|etcd|vault|busybox|pgadmin|airflow|jupyter|label-studio|qdrant|"
    r"weaviate|milvus|chroma|dcgm-exporter|loki|fluentd|fluent-bit|filebeat|logstash|zipkin|tempo|clickhouse|"
    r"cassandra|neo4j|keycloak|mlflow|postgis|pushgateway|kube-state-metrics|curl|alpine)([:@/]|$)|"
    # cluster plumbing: storage provisioners, CSI drivers, certificates, DNS, ingress controllers, registries
    r"(^|/|-)(nfs|[\w-]*provisioner|csi-[\w-]+|cert-manager[\w-]*|external-dns|ingress-nginx|registry|"
    r"oauth2-proxy|dex|argocd[\w-]*|tekton[\w-]*|kube-rbac-proxy|[\w-]*heapster[\w-]*|metrics-server|"
    r"addon-resizer|fluentd[\w-]*|stackdriver[\w-]*|cluster-autoscaler|"
    # load generators that exercise the service (Locust, k6, JMeter, Vegeta, Gatling)
    r"locust|k6|jmeter|vegeta|gatling|load-?test[\w-]*|loadgen[\w-]*)([:@/]|-|$)")
_SCALABLE = ("Deployment", "StatefulSet")


def _serving_deployments(facts: Facts) -> list[tuple[ConfigDoc, str]]:
    out = []
    for doc in facts.configs_of("k8s"):
        data = doc.data if isinstance(doc.data, dict) else {}
        kind = str(data.get("kind", ""))
        if kind == "SeldonDeployment":
            if not any(path and path[-1] == "hpaSpec" for path, _ in walk(data)):
                out.append((doc, kind))
            continue
        if kind not in _SCALABLE:
            continue
        images = [str(c.get("image", "")) for _, c in k8s_containers(doc)]
        if images and all(_INFRA_IMAGE.search(i) for i in images):
            continue
        out.append((doc, kind))
    return sorted(out, key=lambda d: (d[0].path, d[0].line))


@rule(
    id="SRV007", name="no-autoscaling", area="serving", severity=Severity.MEDIUM,
    title="Serving Deployment has no horizontal autoscaling",
    rationale=(
        "Prediction traffic is rarely flat: campaigns, batch clients and time zones move it by an order of "
        "magnitude. A fixed replica count is either paid for at peak all day or overloaded at peak, and model "
        "services degrade sharply once their workers saturate because each request holds a CPU or GPU for "
        "its whole inference time. A HorizontalPodAutoscaler (CPU, request rate or a latency metric) or KEDA "
        "scaler keeps latency inside the SLO while capacity follows demand. Google's MLOps guidance treats "
        "scalable, monitored serving infrastructure as part of a production ML system."
    ),
    remediation={
        "default": (
            "Add a HorizontalPodAutoscaler for the serving Deployment (set CPU requests so utilisation means "
            "something):\n\n"
            "    apiVersion: autoscaling/v2\n    kind: HorizontalPodAutoscaler\n"
            "    metadata: {name: model-server}\n    spec:\n"
            "      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model-server}\n"
            "      minReplicas: 2\n      maxReplicas: 10\n      metrics:\n"
            "        - type: Resource\n          resource: {name: cpu, target: {type: Utilization, "
            "averageUtilization: 70}}\n\n"
            "For queue- or request-rate-driven scaling use a KEDA ScaledObject; on KServe set "
            "minReplicas/maxReplicas and scaleMetric."
        ),
    },
    seeds=("C15",), references=(_GOOGLE, "Kubernetes documentation, 'Horizontal Pod Autoscaling'"),
    bad="kind: Deployment\nspec:\n  replicas: 2   # fixed",
    good=("kind: HorizontalPodAutoscaler\nspec:\n  scaleTargetRef: {kind: Deployment, name: model-server}\n"
          "  minReplicas: 2\n  maxReplicas: 10"),
    requires=("serving",), principle="deployment", tools=("k8s_hpa", "keda"),
)
def no_autoscaling(ctx: RuleContext) -> Iterator[Hit]:
    """Flags the first Kubernetes Deployment/StatefulSet (or SeldonDeployment without hpaSpec) of the serving
    application, infrastructure images excluded, when no HorizontalPodAutoscaler, KEDA ScaledObject,
    KServe/Knative/Ray autoscaling or Helm autoscaling switch exists.
    """
    if incidental_serving(ctx):
        return
    if ctx.detection.present("autoscaling"):
        return
    deployments = _serving_deployments(ctx.facts)
    if not deployments:
        return
    for doc in ctx.facts.configs:
        if doc.kind in ("helm_values", "helm_template", "kustomize", "yaml") and any(
                path and path[-1] in ("autoscaling", "hpa", "keda", "hpaSpec") and
                (value is True or (isinstance(value, dict) and value.get("enabled") is True))
                for path, value in walk(doc.data)):
            return
    doc, kind = deployments[0]
    name = (doc.data.get("metadata") or {}).get("name", "") if isinstance(doc.data, dict) else ""
    more = f" ({len(deployments)} serving workloads in total)" if len(deployments) > 1 else ""
    yield Hit(doc.path, doc.line,
              f"{doc.path}:{doc.line} defines the {kind} {name!s} with a fixed replica count; no "
              f"HorizontalPodAutoscaler, KEDA or KServe autoscaling is configured{more}", key=f"{kind}:{name}")


# --------------------------------------------------------------------------------------------
_SLO_KEYS = lazy(r"(?i)^(slos?|service_level_objectives?|latency_slos?|latency_budget(_ms)?|"
                       r"latency_targets?|serving_slo|sla)$")
_PCT_KEY = lazy(r"(?i)^(latency_)?p(50|90|95|99|999)(_latency)?(_ms|_s|_seconds|_millis)?$|"
                      r"^latency_p(50|90|95|99)(_ms|_s)?$|^max_latency(_ms|_s)?$")
_SLO_KINDS = {"PrometheusServiceLevel", "ServiceLevelObjective", "SLO"}


def _slo_in_configs(facts: Facts) -> str | None:
    for doc in facts.configs:
        data = doc.data
        if not isinstance(data, (dict, list)):
            continue
        if doc.kind == "k8s" and isinstance(data, dict) and str(data.get("kind")) in _SLO_KINDS:
            return f"{doc.path}: {data.get('kind')}"
        if doc.kind in ("prometheus_rules", "k8s"):
            for path, value in walk(data):
                if path and path[-1] == "expr" and isinstance(value, str) and \
                        re.search(r"histogram_quantile\(\s*0\.(5|9|95|99)\b", value):
                    return f"{doc.path}: latency quantile alert"
        for path, value in walk(data):
            if not path or not isinstance(path[-1], str):
                continue
            key = path[-1]
            if _SLO_KEYS.match(key) and isinstance(value, dict) and any(
                    _PCT_KEY.match(str(k)) or "latency" in str(k).lower() for k in value):
                return f"{doc.path}: {key}"
            if re.match(r"(?i)^latency_p(50|95|99)_ms$", key) and isinstance(value, (int, float)):
                return f"{doc.path}: {key}"
            if _PCT_KEY.match(key) and isinstance(value, (int, float)) and any(
                    isinstance(p, str) and ("slo" in p.lower() or "latency" in p.lower()) for p in path[:-1]):
                return f"{doc.path}: {'.'.join(str(p) for p in path)}"
    return None


@rule(
    id="SRV008", name="no-latency-slo", area="serving", severity=Severity.HIGH,
    title="No latency SLO is declared for the serving path",
    rationale=(
        "A latency objective (p50/p95/p99 in milliseconds, with a throughput target) is what turns 'the model "
        "seems fast' into something a canary, a load test, an autoscaler and an alert can check. Without it a "
        "heavier model, a new feature lookup or a cold cache passes every review and is only noticed by users. "
        "The numbers also have to come from somewhere, a product requirement or a measured baseline under "
        "load, not from a single request timed on a laptop. Site reliability practice makes SLOs the basis of "
        "error budgets, and Breck et al. (2017, 'The ML Test Score') ask that serving latency and throughput "
        "be tested against explicit targets."
    ),
    remediation=(
        "Declare the objective where the audit (and your team) can read it, with its source:\n\n"
        "    # pyproject.toml or .mlops-audit.toml\n"
        "    [tool.mlops-audit.contracts]\n"
        "    latency_p50_ms = 40\n    latency_p95_ms = 120\n    latency_p99_ms = 250\n"
        "    throughput_qps = 200\n\n"
        "then enforce it: a load test at 125% of the target throughput in CI, and an alert on "
        "histogram_quantile(0.99, rate(request_duration_seconds_bucket[5m])) above the p99 target."
    ),
    seeds=("C11", "Z02", "G01", "Z11"), references=(_SRE, _BRECK),
    bad="# no SLO anywhere: the service is 'fast enough' until it is not",
    good="[tool.mlops-audit.contracts]\nlatency_p95_ms = 120\nlatency_p99_ms = 250\nthroughput_qps = 200",
    requires=("serving",), principle="monitoring", tools=("prometheus", "locust", "k6"),
)
def no_latency_slo(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository that declares no latency objective: nothing in [tool.mlops-audit.contracts]
    (latency_p50_ms/latency_p95_ms/latency_p99_ms), no SLO mapping with percentile keys in its configuration,
    no SLO manifest (Sloth, Pyrra, OpenSLO) and no latency-quantile alert rule.
    """
    if incidental_serving(ctx):
        return
    if ctx.config.contracts.has_latency_slo or _slo_in_configs(ctx.facts):
        return
    yield Hit(None, None,
              "the repository serves predictions but declares no latency objective (p50/p95/p99): set "
              "latency_p50_ms / latency_p95_ms / latency_p99_ms and throughput_qps in "
              "[tool.mlops-audit.contracts], or keep an SLO spec in configuration", key="no-latency-slo")


# --------------------------------------------------------------------------------------------
_VLLM_ENGINES = {"vllm.LLM", "vllm.entrypoints.llm.LLM", "vllm.AsyncEngineArgs", "vllm.EngineArgs",
                 "vllm.engine.arg_utils.AsyncEngineArgs", "vllm.engine.arg_utils.EngineArgs",
                 "vllm.AsyncLLMEngine.from_engine_args"}
_VLLM_SETTINGS = ("tensor_parallel_size", "max_model_len", "gpu_memory_utilization")
_VLLM_CLI = lazy(r"vllm\s+serve\b|vllm\.entrypoints\.(openai\.api_server|api_server)")
_VLLM_FLAGS = lazy(r"--tensor-parallel-size|(^|\s)-tp(\s|=)|--max-model-len|--gpu-memory-utilization")


@rule(
    id="SRV009", name="vllm-serving-unconfigured", area="serving", severity=Severity.LOW,
    title="vLLM engine runs with default parallelism and memory settings",
    rationale=(
        "vLLM's defaults are made to start, not to serve a given model on given hardware: the context length "
        "comes from the model config (often far longer than the product needs, so the KV cache holds few "
        "sequences), 90% of GPU memory is claimed whatever else runs on the card, and a model larger than one "
        "GPU simply fails to load. Setting tensor_parallel_size, max_model_len and gpu_memory_utilization "
        "explicitly, from a measured load test, is what makes throughput and memory predictable and the "
        "deployment reproducible on other hardware."
    ),
    remediation={
        "vllm": (
            "Set the engine's capacity explicitly and keep the values in configuration:\n\n"
            "    llm = LLM(model=MODEL, revision=REVISION, tensor_parallel_size=2,\n"
            "              max_model_len=8192, gpu_memory_utilization=0.85)\n\n"
            "or on the server command line:\n\n"
            "    vllm serve $MODEL --tensor-parallel-size 2 --max-model-len 8192 --gpu-memory-utilization 0.85"
        ),
        "default": (
            "Pass tensor_parallel_size, max_model_len and gpu_memory_utilization (or the matching --flags of "
            "`vllm serve`) sized from a load test on the target GPU."
        ),
    },
    seeds=("C16",), references=("vLLM documentation, 'Engine Arguments'",),
    bad="llm = LLM(model='meta-llama/Llama-3.1-8B-Instruct')",
    good="llm = LLM(model=MODEL, tensor_parallel_size=1, max_model_len=8192, gpu_memory_utilization=0.85)",
    requires=("serving",), principle="deployment", tools=("vllm",),
)
def vllm_serving_unconfigured(ctx: RuleContext) -> Iterator[Hit]:
    """Flags vLLM engines created in code (LLM, EngineArgs, AsyncEngineArgs) and `vllm serve` / OpenAI-server
    commands in Dockerfiles, Kubernetes and compose that set none of tensor_parallel_size, max_model_len and
    gpu_memory_utilization.
    """
    for c, call in call_index(ctx).root("vllm"):
        py = c.py
        if py.path.endswith(".ipynb"):
            continue
        name = c.effective(call)
        if name not in _VLLM_ENGINES or call.star_kwargs or any(call.has_kw(k) for k in _VLLM_SETTINGS):
            continue
        yield Hit(py.path, call.line,
                  f"{py.path}:{call.line} starts a vLLM engine ({name.rsplit('.', 1)[-1]}) without "
                  f"tensor_parallel_size, max_model_len or gpu_memory_utilization", key=f"{name}@{call.scope}")
    for df in ctx.facts.dockerfiles:
        for ins in df.instructions:
            text = " ".join(ins.args) if ins.args else ins.value
            if ins.instruction in ("CMD", "ENTRYPOINT") and _VLLM_CLI.search(text) and not _VLLM_FLAGS.search(text):
                yield Hit(df.path, ins.line, f"{df.path}:{ins.line} runs the vLLM server without "
                          f"--tensor-parallel-size, --max-model-len or --gpu-memory-utilization", key="vllm-cli")
    for doc in ctx.facts.configs_of("k8s", "helm_template"):
        for path, c in k8s_containers(doc):
            image = str(c.get("image", ""))
            cmd = command_text(c.get("command")) + " " + command_text(c.get("args"))
            if not (_VLLM_CLI.search(cmd) or "vllm-openai" in image):
                continue
            env_text = " ".join(str(e.get("name", "")) for e in c.get("env") or [] if isinstance(e, dict))
            if _VLLM_FLAGS.search(cmd) or "VLLM_" in env_text and "MAX_MODEL_LEN" in env_text:
                continue
            line = doc.lines.get(path + ("image",), doc.lines.get(path, doc.line))
            yield Hit(doc.path, line, f"{doc.path}:{line} runs the vLLM server without --tensor-parallel-size, "
                      f"--max-model-len or --gpu-memory-utilization", key=f"vllm-k8s:{c.get('name', '')}")
    for doc, name, svc in compose_services(ctx.facts):
        image = str(svc.get("image", ""))
        cmd = command_text(svc.get("command")) + " " + command_text(svc.get("entrypoint"))
        if (_VLLM_CLI.search(cmd) or "vllm-openai" in image) and not _VLLM_FLAGS.search(cmd):
            line = doc.lines.get(("services", name, "command"), doc.lines.get(("services", name), doc.line))
            yield Hit(doc.path, line, f"{doc.path}:{line} service {name} runs the vLLM server without "
                      f"--tensor-parallel-size, --max-model-len or --gpu-memory-utilization",
                      key=f"vllm-compose:{name}")
