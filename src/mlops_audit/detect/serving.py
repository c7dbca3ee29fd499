"""Serving surface: the routes a repository exposes and the handler behind each.

Recognises route decorators of FastAPI, Flask, Starlette, Quart, Sanic,
aiohttp and Litestar (on app, router and blueprint objects whose constructor
is known, or by shape when the object is imported from another module),
Flask-RESTX / Flask-RESTful resources, BentoML services and APIs, Ray Serve
deployments, LitServe APIs and TorchServe handlers.

Routes declared as objects or registered imperatively are routes too:
``FastAPI(routes=[APIRoute("/p", fn)])``, Starlette ``Route("/p", endpoint=fn)``
(in a ``routes=[...]`` list or appended to ``app.router.routes``), aiohttp
``web.get("/p", fn)``, ``app.add_api_route("/p", fn)``, ``app.add_route(...)``,
``app.add_url_rule("/p", view_func=fn)``, ``app.router.add_get("/p", fn)`` and
``api.add_resource(Resource, "/p")``. Their handler is resolved like a call:
a function of the same file, a method (``self.live``), a function imported
from another repository module, or a class-based view whose HTTP-verb methods
each become a route.
"""
from __future__ import annotations

from typing import Any

from .._records import record
from ..facts import Call, ClassDef, Decorator, Expr, Function, Ref
from .calls import resolve
from .context import FileContext, RepoIndex, absolute_module
from .matcher import normalize_qualname

__all__ = ["APP_CONSTRUCTORS", "HEALTH_PATHS", "Route", "find_routes", "is_health_path"]

# constructor of an object whose methods declare or register routes -> framework
APP_CONSTRUCTORS = {
    "fastapi.FastAPI": "fastapi", "fastapi.applications.FastAPI": "fastapi",
    "fastapi.APIRouter": "fastapi", "fastapi.routing.APIRouter": "fastapi",
    "flask.Flask": "flask", "flask.app.Flask": "flask",
    "flask.Blueprint": "flask", "flask.blueprints.Blueprint": "flask",
    "flask_smorest.Blueprint": "flask",
    "quart.Quart": "quart", "quart.app.Quart": "quart",
    "quart.Blueprint": "quart", "quart.blueprints.Blueprint": "quart",
    "sanic.Sanic": "sanic", "sanic.app.Sanic": "sanic",
    "sanic.Blueprint": "sanic", "sanic.blueprints.Blueprint": "sanic",
    "starlette.applications.Starlette": "starlette", "starlette.routing.Router": "starlette",
    "bentoml.Service": "bentoml",
    "aiohttp.web.RouteTableDef": "aiohttp", "aiohttp.web.Application": "aiohttp",
    "litestar.Litestar": "litestar", "litestar.Router": "litestar",
}
# Flask-RESTX / Flask-RESTful objects: ``@ns.route("/p")`` on a Resource class, ``api.add_resource(R, "/p")``
_RESOURCE_CONSTRUCTORS = frozenset({
    "flask_restx.Api", "flask_restx.Namespace", "flask_restful.Api", "flask_restplus.Api",
    "flask_restplus.Namespace",
})
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "head", "options"}
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_WEB_FRAMEWORKS = frozenset({"fastapi", "flask", "sanic", "quart", "starlette", "bentoml", "litserve", "ray", "ts",
                             "aiohttp", "litestar", "flask_restx", "flask_restful", "flask_restplus",
                             "flask_smorest"})

# Route objects: constructor -> (framework, HTTP method taken from the name or "" for a ``methods=`` keyword)
_ROUTE_OBJECTS: dict[str, tuple[str, str]] = {
    "fastapi.routing.APIRoute": ("fastapi", ""), "fastapi.routing.APIWebSocketRoute": ("fastapi", "WEBSOCKET"),
    "starlette.routing.Route": ("starlette", ""), "starlette.routing.WebSocketRoute": ("starlette", "WEBSOCKET"),
    "aiohttp.web.route": ("aiohttp", "*"), "aiohttp.web.view": ("aiohttp", ""),
    **{f"aiohttp.web.{verb}": ("aiohttp", verb.upper()) for verb in ("get", "post", "put", "patch", "delete", "head")},
}
# Registration methods -> HTTP method implied by the name ("" for ``methods=`` / default GET, "*" when the
# method is the first argument, as in aiohttp's ``router.add_route("POST", "/p", handler)``)
_REGISTRATIONS: dict[str, str] = {
    "add_url_rule": "", "add_api_route": "", "add_route": "", "add_api_websocket_route": "WEBSOCKET",
    "add_websocket_route": "WEBSOCKET", "add_websocket": "WEBSOCKET", "add_resource": "",
    "add_get": "GET", "add_post": "POST", "add_put": "PUT", "add_patch": "PATCH", "add_delete": "DELETE",
    "add_head": "HEAD", "add_view": "",
}
# framework candidates, in preference order, for a registration on an object of unknown type
_REGISTRATION_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "add_url_rule": ("flask", "quart", "sanic"),
    "add_api_route": ("fastapi",), "add_api_websocket_route": ("fastapi",),
    "add_route": ("fastapi", "starlette", "sanic", "aiohttp"),
    "add_websocket_route": ("fastapi", "starlette", "sanic"), "add_websocket": ("quart", "sanic"),
    "add_resource": ("flask_restx", "flask_restful", "flask_restplus"),
}
_AIOHTTP_REGISTRATIONS = frozenset({"add_get", "add_post", "add_put", "add_patch", "add_delete", "add_head",
                                    "add_view"})
_HANDLER_KEYWORDS = ("endpoint", "view_func", "handler", "resource")
_PATH_KEYWORDS = ("path", "rule", "uri")
_HTTP_METHOD_NAMES = frozenset(v.upper() for v in _HTTP_VERBS) | {"*"}

HEALTH_PATHS = ("/health", "/healthz", "/ready", "/readyz", "/readiness", "/livez", "/live", "/liveness",
                "/ping", "/status", "/heartbeat", "/v2/health", "/healthcheck", "/health-check", "/health_check")
# a path whose last segment is one of these is a probe, whatever comes before it (KServe's
# /v2/models/{name}/ready is a per-model readiness check)
_PROBE_SEGMENTS = frozenset({"health", "healthz", "healthcheck", "health-check", "health_check", "ready", "readyz",
                             "readiness", "live", "livez", "liveness", "alive", "heartbeat"})
# a health segment followed by sub-checks is still a probe: /health/live, /v2/health/ready, /health/{component}
_HEALTH_GROUPS = frozenset({"health", "healthz", "healthcheck", "health-check", "health_check"})
# generic words that are a health check only at the service's top level: /status, /api/v1/status, /ping;
# /jobs/{id}/status or /batch/status report on something else
_SERVICE_WORDS = frozenset({"status", "ping"})
_SERVICE_PREFIXES = frozenset({"api", "internal", "system", "sys", "_", "-", "service", "server", "app", "ops",
                               "admin", "management", "monitor", "monitoring", "meta"})


def _is_parameter(segment: str) -> bool:
    return "{" in segment or "<" in segment or segment.startswith(":")


def _is_version(segment: str) -> bool:
    return len(segment) > 1 and segment[0] == "v" and segment[1:].replace(".", "").isdigit()


def is_health_path(path: str) -> bool:
    """Whether a route path is a liveness / readiness / health probe.

    ``/healthz``, ``/api/v1/health``, ``/v2/health/live`` and ``/v2/models/{name}/ready`` are; ``/status`` and
    ``/ping`` are only at the top of the service (``/status``, ``/api/status``), not under another resource or
    after a path parameter (``/{message_id}/status`` reports on a job).
    """
    segments = [s for s in path.lower().split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    if last in _PROBE_SEGMENTS:
        return True
    if any(seg in _HEALTH_GROUPS for seg in segments[:-1]):
        return True
    if last in _SERVICE_WORDS:
        return all(s in _SERVICE_PREFIXES or _is_version(s) for s in segments[:-1])
    return False


@record()
class Route:
    framework: str
    path: str
    methods: tuple[str, ...]
    file: str
    function: str        # handler qualname within ``file``; "" when the handler is not repository code
    line: int            # decorator / registration line (the handler's line when it lives in another file)
    def_line: int
    app_line: int | None = None   # where the app object was created, when known
    app_name: str = ""


def _route_from_decorator(d: Decorator, app_types: dict[str, str], file_frameworks: set[str]
                          ) -> tuple[str, str, tuple[str, ...], str] | None:
    if "." not in d.qualname:
        return None
    obj, _, method = d.qualname.rpartition(".")
    framework = ""
    if obj in app_types:
        framework = APP_CONSTRUCTORS.get(app_types[obj], "")
        if not framework:
            return None
    elif d.qualname.startswith("bentoml."):
        if method == "api":
            return ("bentoml", "", ("POST",), obj)
        return None
    elif obj == "litestar" or obj.startswith("litestar.handlers"):
        return _litestar_route(d, method)
    if method == "api" and framework == "bentoml":
        return ("bentoml", "", ("POST",), obj)
    if method not in _ROUTE_METHODS:
        return None
    path = d.args[0] if d.args and isinstance(d.args[0], str) else d.kw("path", None)
    if not isinstance(path, str):
        if not framework:
            return None
        path = ""
    if not framework:
        if not path.startswith("/"):
            return None
        framework = next((f for f in ("fastapi", "flask", "sanic", "quart") if f in file_frameworks), "")
        if not framework:
            return None
    if method in ("route", "api_route"):
        methods = d.kw("methods", ("GET",))
        methods = tuple(str(m).upper() for m in methods) if isinstance(methods, tuple) else ("GET",)
    else:
        methods = (method.upper(),)
    return framework, path, methods, obj


def _litestar_route(d: Decorator, method: str) -> tuple[str, str, tuple[str, ...], str] | None:
    """``@get("/p")``, ``@post(path="/p")``, ``@route("/p", http_method=[...])`` imported from litestar."""
    if method not in _ROUTE_METHODS:
        return None
    path = d.args[0] if d.args else d.kw("path", "")
    if isinstance(path, tuple):
        path = next((p for p in path if isinstance(p, str)), "")
    if not isinstance(path, str):
        path = ""
    if method == "route":
        declared = d.kw("http_method")
        declared = declared if isinstance(declared, tuple) else (declared,)
        methods = tuple(str(m).upper() for m in declared if isinstance(m, str)) or ("GET",)
    else:
        methods = (method.upper(),)
    return "litestar", path, methods, ""


def _app_objects(ctx: FileContext) -> tuple[dict[str, str], dict[str, int]]:
    """Local names bound to an app, router or blueprint (name -> constructor, name -> line of that assignment).

    ``var_types`` keeps a name's last assignment, so ``app = OpenTelemetryMiddleware(app)`` after the routes
    would hide the app; here a name keeps the app type it was given, and other names their ``var_types``.
    """
    types = dict(ctx.var_types)
    lines: dict[str, int] = {}
    for a in ctx.py.assigns:
        v = a.value
        if isinstance(v, Expr) and v.kind == "call" and v.callee:
            callee = normalize_qualname(v.callee)
            if callee in APP_CONSTRUCTORS or callee in _RESOURCE_CONSTRUCTORS:
                types[a.target] = callee
                if callee in APP_CONSTRUCTORS:
                    lines[a.target] = a.line
    return types, lines


def find_routes(index: RepoIndex, core: set[str] | frozenset[str] = frozenset()) -> list[Route]:
    """Every route the repository serves. A web framework imported only under ``try/except ImportError``
    serves nothing unless the project depends on it (``core``: import roots of its core dependencies): that is
    an optional integration, such as a library's ``serve`` command, not the project's service."""
    routes: list[Route] = []
    included: dict[tuple[str, str], str] | None = None  # built on the first router route
    for path, ctx in index.contexts.items():
        py = ctx.py
        if py.is_test or path.endswith(".ipynb"):
            continue  # a route defined in a notebook is an experiment, not a deployed service
        imported = {imp.module.split(".", 1)[0] for imp in py.imports}
        frameworks = imported & _WEB_FRAMEWORKS
        if frameworks:
            frameworks -= ctx.guarded_modules - core
        if not frameworks:
            continue
        app_types, app_lines = ctx.once("serving.apps", _app_objects, ctx)
        classes = {c.name: c for c in py.classes}
        own_prefixes = _own_prefixes(ctx)
        for fn in py.functions:
            for d in fn.decorators:
                found = _route_from_decorator(d, app_types, frameworks)
                if found is None:
                    continue
                framework, rpath, methods, obj = found
                if framework == "bentoml" and not rpath:
                    rpath = "/" + fn.name
                elif framework in ("fastapi", "flask", "quart", "sanic"):
                    if included is None:
                        included = _included_prefixes(index)
                    rpath = join_path(included.get((path, obj), ""), own_prefixes.get(obj, ""), rpath)
                routes.append(Route(framework, rpath, methods, path, fn.qualname, d.line, fn.line,
                                    app_lines.get(obj), obj))
        routes.extend(_class_routes(path, py.functions, classes))
        routes.extend(_resource_routes(ctx, app_types, classes, frameworks))
        routes.extend(_registered_routes(index, ctx, app_types, app_lines, frameworks))
    routes.extend(_openapi_routes(index))
    routes.sort(key=lambda r: (r.file, r.line, r.path))
    return routes


def _openapi_routes(index: RepoIndex) -> list[Route]:
    """Routes a connexion app reads from its OpenAPI document: ``app.add_api("api.yaml")`` mounts every
    ``paths`` operation on the repository function its ``operationId`` names (``api.controller.predict``),
    optionally under ``x-openapi-router-controller``."""
    specs: set[str] = set()
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.calls_by_method.get("add_api", ()):
            spec = call.args[0] if call.args else call.kw("specification")
            if isinstance(spec, str) and ctx.effective(call).startswith("connexion."):
                specs.add(spec.rsplit("/", 1)[-1])
    routes: list[Route] = []
    if not specs:
        return routes
    for doc in index.facts.configs:
        data = doc.data
        if doc.path.rsplit("/", 1)[-1] not in specs or not isinstance(data, dict) \
                or not isinstance(data.get("paths"), dict):
            continue
        base = data.get("basePath") if isinstance(data.get("basePath"), str) else ""  # Swagger 2.0
        for rpath, ops in data["paths"].items():
            if not isinstance(rpath, str) or not isinstance(ops, dict):
                continue
            for verb, op in ops.items():
                if verb not in _HTTP_VERBS or not isinstance(op, dict) or not isinstance(op.get("operationId"), str):
                    continue
                controller = op.get("x-openapi-router-controller") or ops.get("x-openapi-router-controller")
                target = f"{controller}.{op['operationId']}" if isinstance(controller, str) else op["operationId"]
                module, _, name = target.rpartition(".")
                file = index.modules.get(module)
                fn = index.contexts[file].functions.get(name) if file in index.contexts else None
                if fn is not None:
                    routes.append(Route("connexion", join_path(base, rpath), (verb.upper(),), file, fn.qualname,
                                        fn.line, fn.line))
    return routes


# where a router or blueprint gets its path prefix: at construction, or where an app includes it
_PREFIX_AT_CONSTRUCTION = {"APIRouter": "prefix", "Blueprint": "url_prefix"}
_PREFIX_AT_INCLUSION = {"include_router": "prefix", "register_blueprint": "url_prefix"}


def join_path(*parts: str) -> str:
    """URL path segments joined the way FastAPI and Flask join a router prefix and a route path."""
    joined = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return "/" + joined if joined or any(parts) else ""


def _own_prefixes(ctx: FileContext) -> dict[str, str]:
    """Router names -> the prefix given to their constructor: ``router = APIRouter(prefix="/health")``."""
    at_line: dict[int, str] = {}
    for call in ctx.calls_among(ctx.calls_by_method, _PREFIX_AT_CONSTRUCTION):
        prefix = call.kw(_PREFIX_AT_CONSTRUCTION[call.method])
        if isinstance(prefix, str):
            at_line[call.line] = prefix
    if not at_line:
        return {}
    return {a.target: at_line[a.line] for a in ctx.py.assigns
            if a.line in at_line and isinstance(a.value, Expr) and a.value.kind == "call"
            and a.value.callee.rsplit(".", 1)[-1] in _PREFIX_AT_CONSTRUCTION}


def _included_prefixes(index: RepoIndex) -> dict[tuple[str, str], str]:
    """(file, router name) -> the prefix an app adds when it includes that router:
    ``app.include_router(health.router, prefix="/health")``, ``app.register_blueprint(bp, url_prefix="/api")``."""
    out: dict[tuple[str, str], str] = {}
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue
        for call in ctx.calls_among(ctx.calls_by_method, _PREFIX_AT_INCLUSION):
            prefix = call.kw(_PREFIX_AT_INCLUSION[call.method])
            if not isinstance(prefix, str) or not call.args or not isinstance(call.args[0], Ref):
                continue
            name = normalize_qualname(call.args[0].qualname)
            if name.startswith("."):
                name = absolute_module(ctx.py.path, name)
            module, _, obj = name.rpartition(".")
            where = index.modules.get(module) if module else ctx.py.path
            if where:
                out.setdefault((where, obj), prefix)
    return out


def _class_routes(path: str, functions: tuple[Function, ...], classes: dict) -> list[Route]:
    """BentoML 1.2 services, Ray Serve deployments, LitServe and TorchServe handlers."""
    out: list[Route] = []
    for cls in classes.values():
        decos = {d.qualname for d in cls.decorators}
        bases = set(cls.bases)
        methods = [f for f in functions if f.class_name == cls.name]
        if any(q in ("bentoml.service",) for q in decos):
            for f in methods:
                if any(d.qualname in ("bentoml.api", "bentoml.task") for d in f.decorators):
                    out.append(Route("bentoml", "/" + f.name, ("POST",), path, f.qualname,
                                     f.decorators[0].line, f.line, cls.line, cls.name))
        elif any(q.startswith("ray.serve.deployment") for q in decos):
            call = next((f for f in methods if f.name == "__call__"), None)
            if call:
                out.append(Route("ray_serve", "/", ("POST",), path, call.qualname, call.line, call.line, cls.line, cls.name))
        elif any(b.startswith("litserve.") for b in bases):
            pred = next((f for f in methods if f.name == "predict"), None)
            if pred:
                out.append(Route("litserve", "/predict", ("POST",), path, pred.qualname, pred.line, pred.line,
                                 cls.line, cls.name))
        elif any(b.startswith("ts.torch_handler") for b in bases):
            for f in methods:
                if f.name in ("handle", "inference", "preprocess"):
                    out.append(Route("torchserve", "/predictions", ("POST",), path, f.qualname, f.line, f.line,
                                     cls.line, cls.name))
    return out


def _verb_methods(ctx: FileContext, cls: str) -> list[Function]:
    return [fn for verb in _HTTP_VERBS if (fn := ctx.functions.get(f"{cls}.{verb}")) is not None]


def _resource_routes(ctx: FileContext, app_types: dict[str, str], classes: dict[str, ClassDef],
                     frameworks: set[str]) -> list[Route]:
    """Flask-RESTX / Flask-RESTful: ``@ns.route("/p")`` on a Resource class, one route per verb method."""
    out: list[Route] = []
    if not frameworks & {"flask_restx", "flask_restful", "flask_restplus"}:
        return out
    path = ctx.py.path
    for cls in classes.values():
        for d in cls.decorators:
            obj, _, method = d.qualname.rpartition(".")
            if method != "route" or app_types.get(obj) not in _RESOURCE_CONSTRUCTORS:
                continue
            rpath = d.args[0] if d.args and isinstance(d.args[0], str) else d.kw("path", "")
            for fn in _verb_methods(ctx, cls.name):
                out.append(Route("flask", rpath if isinstance(rpath, str) else "", (fn.name.upper(),), path,
                                 fn.qualname, d.line, fn.line, None, obj))
    return out


def _fake_call(name: str, call: Call) -> Call:
    """A call of ``name`` where ``call`` is: ``endpoints.live`` keeps ``endpoints`` as its receiver, so an
    instance built in the same function (``endpoints = Endpoints(...)``) resolves to its class's method."""
    head, dot, _ = name.partition(".")
    return Call(name, call.line, call.end_line, call.scope, receiver=head if dot and "." not in name[len(head) + 1:]
                else "")


def _resolve_handler(index: RepoIndex, ctx: FileContext, value: Any, call: Call
                     ) -> list[tuple[FileContext, Function, str]]:
    """The repository functions behind a handler argument, each with the HTTP method it implies ("" if none).

    A function (local, ``self.method`` or imported from a repository module) gives itself; a class-based view
    (``PredictView``, ``PredictView.as_view("predict")``, a Starlette ``HTTPEndpoint``) gives its verb methods.
    """
    if isinstance(value, Ref):
        name = value.qualname
    elif isinstance(value, Expr) and value.kind == "call" and value.callee.endswith(".as_view"):
        name = value.callee[:-len(".as_view")]
    else:
        return []
    name = normalize_qualname(name)
    fn = ctx.functions.get(name)
    if fn is not None:
        return [(ctx, fn, "")]
    found = resolve(index, ctx, _fake_call(name, call))  # typed receivers too
    if found is not None:
        return [(found[0], found[1], "")]
    # a class: its verb methods, in this file or in the repository module it comes from
    local = _verb_methods(ctx, name)
    if local:
        return [(ctx, fn, fn.name.upper()) for fn in local]
    out: list[tuple[FileContext, Function, str]] = []
    for verb in _HTTP_VERBS:
        found = index.resolve_function(ctx, _fake_call(f"{name}.{verb}", call))
        if found is not None:
            out.append((found[0], found[1], verb.upper()))
    return out


def _declared_methods(call: Call) -> tuple[str, ...]:
    declared = call.kw("methods")
    if isinstance(declared, str):
        declared = (declared,)
    if isinstance(declared, tuple):
        return tuple(str(m).upper() for m in declared if isinstance(m, str))
    return ()


def _registration_framework(app_types: dict[str, str], call: Call, method: str, frameworks: set[str]
                            ) -> tuple[str, str] | None:
    """(framework, object name) of ``<obj>.add_*(...)``; None when the object is known to be something else."""
    obj = normalize_qualname(call.qualname).rpartition(".")[0]
    if obj.endswith(".router"):  # aiohttp app.router.add_get, FastAPI app.router.add_api_route
        base = obj[:-len(".router")]
        if base in app_types:
            obj = base
    typed = app_types.get(obj)
    if typed is not None:
        if typed in _RESOURCE_CONSTRUCTORS:
            return ("flask", obj) if method == "add_resource" else None
        framework = APP_CONSTRUCTORS.get(typed)
        return (framework, obj) if framework else None
    if method in _AIOHTTP_REGISTRATIONS:
        return ("aiohttp", obj) if "aiohttp" in frameworks else None
    for framework in _REGISTRATION_FRAMEWORKS.get(method, ()):
        if framework in frameworks:
            return ("flask" if framework.startswith("flask_") else framework), obj
    return None


def _path_and_handler(call: Call, implied: str, constants: dict[str, str]
                      ) -> tuple[str | None, tuple[str, ...], Any]:
    """Path, methods named by the arguments, and handler value of a route object or registration call."""
    args = call.args
    methods: tuple[str, ...] = ()
    if implied == "*":  # aiohttp: ("POST", "/p", handler)
        if len(args) >= 2 and isinstance(args[0], str) and args[0].upper() in _HTTP_METHOD_NAMES:
            methods = (args[0].upper(),) if args[0] != "*" else ()
            args = args[1:]
        elif isinstance(call.kw("method"), str):
            methods = (call.kw("method").upper(),)
    path: Any = next((call.kw(k) for k in _PATH_KEYWORDS if call.has_kw(k)), None)
    positional = [a for a in args if isinstance(a, (Ref, Expr))]
    if path is None:
        strings = [a for a in args if isinstance(a, str)]
        path = next((s for s in strings if s.startswith("/")), strings[0] if strings else None)
        if path is None and args and isinstance(args[0], (Expr, Ref)) and len(args) > 1:
            # a computed path (f"{PREFIX}/health") or a module constant
            path = constants.get(args[0].qualname, "") if isinstance(args[0], Ref) else ""
            positional = positional[1:]
    if isinstance(path, Ref):  # Route(HEALTH_PATH, live) with HEALTH_PATH = "/healthz" in this file
        path = constants.get(path.qualname, "")
    elif isinstance(path, Expr):
        path = ""
    handler = next((call.kw(k) for k in _HANDLER_KEYWORDS if call.has_kw(k)), None)
    if handler is None and positional:
        handler = positional[0]
    return (path if isinstance(path, str) else None), methods, handler


def _constants(ctx: FileContext) -> dict[str, str]:
    """Module-level string constants of a file (``HEALTH = "/healthz"``), assigned once."""
    seen: dict[str, Any] = {}
    for a in ctx.py.assigns:
        if a.scope == "<module>":
            seen[a.target] = a.value if a.target not in seen else None
    return {k: v for k, v in seen.items() if isinstance(v, str)}


def _registered_routes(index: RepoIndex, ctx: FileContext, app_types: dict[str, str], app_lines: dict[str, int],
                       frameworks: set[str]) -> list[Route]:
    """Route objects (``APIRoute``, Starlette ``Route``, aiohttp ``web.get``) and ``add_*`` registrations."""
    out: list[Route] = []
    # a project's own subclass of a route class (``class APIRoute(fastapi.routing.APIRoute)``) builds routes too
    own = {cls.name: _ROUTE_OBJECTS[base] for cls in ctx.py.classes for base in cls.bases
           if base in _ROUTE_OBJECTS}
    keys = set(_REGISTRATIONS) | {q.rpartition(".")[2] for q in _ROUTE_OBJECTS} | own.keys()
    for call in ctx.calls_among(ctx.calls_by_method, keys):
        name = normalize_qualname(call.qualname)
        method = name.rpartition(".")[2]
        obj = ""
        if name in _ROUTE_OBJECTS or name in own:
            framework, implied = _ROUTE_OBJECTS[name] if name in _ROUTE_OBJECTS else own[name]
            if framework == "starlette" and "fastapi" in frameworks:
                framework = "fastapi"  # Starlette route objects handed to a FastAPI app
        elif method in _REGISTRATIONS and "." in name:
            found = _registration_framework(app_types, call, method, frameworks)
            if found is None:
                continue
            framework, obj = found
            implied = _REGISTRATIONS[method]
            if framework == "aiohttp" and method == "add_route":
                implied = "*"
        else:
            continue
        rpath, methods, handler = _path_and_handler(call, implied, ctx.once("serving.constants", _constants, ctx))
        if rpath is None or (rpath and not rpath.startswith("/") and "/" not in rpath and framework != "sanic"):
            continue  # not a URL path: some other object's add_route / add_resource
        methods = methods or _declared_methods(call) or ((implied,) if implied not in ("", "*") else ())
        targets = _resolve_handler(index, ctx, handler, call)
        if not targets:
            out.append(Route(framework, rpath, methods or ("GET",), ctx.py.path, "", call.line, call.line,
                             app_lines.get(obj), obj))
            continue
        for target_ctx, fn, verb in targets:
            route_methods = methods or ((verb,) if verb else ("GET",))
            if target_ctx is ctx:
                out.append(Route(framework, rpath, route_methods, ctx.py.path, fn.qualname, call.line, fn.line,
                                 app_lines.get(obj), obj))
            elif not target_ctx.py.is_test:
                # the handler lives in another module: the route is anchored where its code is, so that
                # consumers reading the handler (parameters, calls) find it in ``file``
                out.append(Route(framework, rpath, route_methods, target_ctx.py.path, fn.qualname, fn.line,
                                 fn.line, None, obj))
    return out
