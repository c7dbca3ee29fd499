"""Serving surface: the routes a repository exposes and the handler behind each.

Recognises route decorators of FastAPI, Flask, Starlette, Quart, Sanic and
aiohttp (on objects whose constructor is known, or by shape when the app is
imported from another module), BentoML services and APIs, Ray Serve
deployments, LitServe APIs, TorchServe handlers and registration calls such as
``add_url_rule`` / ``add_api_route`` / Starlette ``Route``.
"""
from __future__ import annotations


from .._records import record
from ..facts import Decorator, Function, Ref
from .context import RepoIndex

__all__ = ["Route", "find_routes", "APP_CONSTRUCTORS", "HEALTH_PATHS", "is_health_path"]

APP_CONSTRUCTORS = {
    "fastapi.FastAPI": "fastapi", "fastapi.APIRouter": "fastapi", "flask.Flask": "flask",
    "flask.Blueprint": "flask", "quart.Quart": "quart", "sanic.Sanic": "sanic",
    "starlette.applications.Starlette": "starlette", "bentoml.Service": "bentoml",
    "aiohttp.web.RouteTableDef": "aiohttp", "litestar.Litestar": "litestar",
}
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "head", "options"}
HEALTH_PATHS = ("/health", "/healthz", "/ready", "/readyz", "/readiness", "/livez", "/live", "/liveness",
                "/ping", "/status", "/heartbeat", "/v2/health", "/healthcheck", "/health-check", "/health_check")


def is_health_path(path: str) -> bool:
    p = path.rstrip("/").lower() or "/"
    return any(p == h or p.startswith(h + "/") or p.endswith(h) for h in HEALTH_PATHS)


@record()
class Route:
    framework: str
    path: str
    methods: tuple[str, ...]
    file: str
    function: str        # handler qualname within the file
    line: int            # decorator / registration line
    def_line: int
    app_line: int | None = None   # where the app object was created, when known
    app_name: str = ""


def _route_from_decorator(d: Decorator, var_types: dict[str, str], file_frameworks: set[str]
                          ) -> tuple[str, str, tuple[str, ...], str] | None:
    if "." not in d.qualname:
        return None
    obj, _, method = d.qualname.rpartition(".")
    framework = ""
    if obj in var_types:
        framework = APP_CONSTRUCTORS.get(var_types[obj], "")
        if not framework:
            return None
    elif d.qualname.startswith("bentoml."):
        if method == "api":
            return ("bentoml", "", ("POST",), obj)
        return None
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


def find_routes(index: RepoIndex) -> list[Route]:
    routes: list[Route] = []
    for path, ctx in index.contexts.items():
        py = ctx.py
        if py.is_test or path.endswith(".ipynb"):
            continue  # a route defined in a notebook is an experiment, not a deployed service
        imported = {imp.module.split(".", 1)[0] for imp in py.imports}
        frameworks = imported & {"fastapi", "flask", "sanic", "quart", "starlette", "bentoml", "litserve", "ray", "ts"}
        if not frameworks:
            continue
        app_lines = {a.target: a.line for a in py.assigns if a.target in ctx.var_types
                     and ctx.var_types[a.target] in APP_CONSTRUCTORS}
        classes = {c.name: c for c in py.classes}
        for fn in py.functions:
            for d in fn.decorators:
                found = _route_from_decorator(d, ctx.var_types, frameworks)
                if found is None:
                    continue
                framework, rpath, methods, obj = found
                if framework == "bentoml" and not rpath:
                    rpath = "/" + fn.name
                routes.append(Route(framework, rpath, methods, path, fn.qualname, d.line, fn.line,
                                    app_lines.get(obj), obj))
        routes.extend(_class_routes(path, py.functions, classes))
        routes.extend(_registered_routes(path, ctx, app_lines))
    routes.sort(key=lambda r: (r.file, r.line, r.path))
    return routes


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


def _registered_routes(path: str, ctx, app_lines: dict[str, int]) -> list[Route]:
    """``app.add_url_rule('/p', view_func=f)``, ``app.add_api_route('/p', f)``, Starlette ``Route('/p', f)``."""
    out: list[Route] = []
    for call in ctx.py.calls:
        name = call.qualname
        handler = None
        rpath = call.args[0] if call.args and isinstance(call.args[0], str) else None
        if name.endswith(".add_url_rule") or name.endswith(".add_api_route"):
            handler = call.kw("view_func") or call.kw("endpoint") or (call.args[1] if len(call.args) > 1 else None)
        elif name in ("starlette.routing.Route", "starlette.routing.WebSocketRoute"):
            handler = call.kw("endpoint") or (call.args[1] if len(call.args) > 1 else None)
        if rpath is None or not isinstance(handler, Ref):
            continue
        fn = ctx.functions.get(handler.qualname)
        if fn is None:
            continue
        framework = "starlette" if name.startswith("starlette") else (
            "fastapi" if name.endswith("add_api_route") else "flask")
        declared = call.kw("methods")
        methods = tuple(str(m).upper() for m in declared if isinstance(m, str)) \
            if isinstance(declared, tuple) and declared else ("GET",)
        out.append(Route(framework, rpath, methods, path, fn.qualname, call.line, fn.line,
                         app_lines.get(call.receiver), call.receiver))
    return out
