"""Route table (detect/serving.py) on the shapes real services use beyond ``@app.get``.

Each fixture under ``tests/fixtures/routes_<topic>/<case>/`` is a small repository. The tests assert the
exact route table and, where a route feeds a capability (health_endpoint, input_validation), the exact
evidence of that capability:

* blueprints and routers of Quart, Sanic, FastAPI (``fastapi.routing.APIRouter``) and Starlette;
* routes declared as objects (``APIRoute``, Starlette ``Route``) or registered imperatively
  (``add_api_route``, ``add_url_rule`` with a function or a class-based view), with handlers in the same
  file, on ``self``, or in another repository module;
* which paths are health checks (``/{message_id}/status`` is not);
* OpenTelemetry ASGI/WSGI middleware and Azure Monitor as latency metrics.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit.collect import CollectOptions, collect
from mlops_audit.detect import Detection, detect
from mlops_audit.detect.serving import is_health_path

from ..conftest import FIXTURES, materialize


def _detect(topic: str, case: str, tmp_path: Path) -> Detection:
    repo = materialize(FIXTURES / topic / case, tmp_path / "repo")
    return detect(collect(str(repo), CollectOptions(use_cache=False)))


def _routes(det: Detection) -> list[tuple[str, str, str, str, str]]:
    """(framework, methods, path, file:line, handler) of every route, in table order."""
    return [(r.framework, "/".join(r.methods), r.path, f"{r.file}:{r.line}", r.function) for r in det.routes]


def _evidence(det: Detection, capability: str) -> list[str]:
    cap = det.inventory.capabilities[capability]
    return sorted(f"{e.path}:{e.line}" for e in cap.evidence)


# --- health paths --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/health", "/healthz", "/api/v1/health", "/v2/health/live", "/v2/health/ready", "/health/live",
    "/readyz", "/livez", "/ready", "/heartbeat", "/healthcheck", "/health-check",
    "/v2/models/{model_name}/ready",  # KServe v2 per-model readiness
    "/health/{component}",
    "/status", "/api/status", "/api/v1/status", "/ping", "/v1/ping", "/HEALTHZ/", "healthz",
])
def test_health_paths(path: str) -> None:
    assert is_health_path(path) is True


@pytest.mark.parametrize("path", [
    "/{message_id}/status", "/<int:job_id>/status", "/jobs/{job_id}/status", "/batch/status",
    "/status/{task_id}", "/peers/{peer}/ping", "/predictions/ping",
    "/predict", "/metrics", "/", "", "/statistics", "/deadline", "/delivery",
])
def test_not_health_paths(path: str) -> None:
    assert is_health_path(path) is False


def test_job_status_routes_are_not_health_checks(tmp_path: Path) -> None:
    det = _detect("routes_health_paths", "negative", tmp_path)
    assert [r[2] for r in _routes(det)] == ["/messages", "/{message_id}/status", "/jobs/{job_id}/status",
                                             "/batch/status", "/status/{task_id}", "/peers/{peer}/ping"]
    assert det.inventory.capabilities["health_endpoint"].present is False


def test_service_status_route_is_a_health_check(tmp_path: Path) -> None:
    det = _detect("routes_health_paths", "positive", tmp_path)
    assert det.inventory.capabilities["health_endpoint"].present is True
    assert _evidence(det, "health_endpoint") == ["app.py:16"]  # /api/v1/status, not /<int:job_id>/status


# --- blueprints and routers ----------------------------------------------------------------------------------
def test_blueprint_and_router_routes(tmp_path: Path) -> None:
    det = _detect("routes_blueprints", "positive", tmp_path)
    assert _routes(det) == [
        ("fastapi", "POST", "/models/rank", "api/router.py:8", "rank"),  # APIRouter(prefix="/models")
        ("starlette", "GET", "/ready", "api/router.py:13", "ready"),
        ("quart", "POST", "/v1/predict", "quart_app/views.py:6", "predict"),  # Blueprint(url_prefix="/v1")
        ("quart", "GET", "/v1/healthz", "quart_app/views.py:12", "healthz"),
        ("sanic", "POST", "/score", "sanic_svc/routes.py:7", "score"),
    ]
    assert sorted(det.inventory.capabilities["serving"].tools) == ["fastapi", "quart", "sanic", "starlette"]
    assert _evidence(det, "health_endpoint") == ["api/router.py:13", "quart_app/views.py:12"]
    app_lines = {(r.file, r.app_name): r.app_line for r in det.routes}
    assert app_lines[("quart_app/views.py", "bp")] == 3
    assert app_lines[("sanic_svc/routes.py", "scoring")] == 4


def test_objects_named_like_blueprints_are_not_routes(tmp_path: Path) -> None:
    det = _detect("routes_blueprints", "negative", tmp_path)
    assert _routes(det) == []  # workflow_kit.Blueprint, celery_ext.Router, and a blueprint in a test file
    assert det.inventory.capabilities["health_endpoint"].present is False


# --- route objects and imperative registration ---------------------------------------------------------------
def test_route_objects_and_registrations(tmp_path: Path) -> None:
    det = _detect("routes_objects", "positive", tmp_path)
    assert _routes(det) == [
        # APIRoute(..., endpoints.live) in server/app.py: the handler lives in server/endpoints.py
        ("fastapi", "GET", "/v2/health/live", "server/endpoints.py:8", "live"),
        ("fastapi", "POST", "/v2/models/infer", "server/endpoints.py:12", "infer"),
        ("fastapi", "POST", "/score", "web/imperative.py:14", "Server.score"),
        ("flask", "GET", "/ping", "web/imperative.py:30", "ping"),
        ("flask", "POST", "/explain", "web/imperative.py:31", "Explain.post"),
        ("starlette", "GET", "/healthz", "web/starlette_app.py:23", "healthz"),
        ("starlette", "POST", "/predict", "web/starlette_app.py:23", "Predict.post"),
        ("starlette", "GET", "/readyz", "web/starlette_app.py:24", "ready"),
    ]
    assert _evidence(det, "health_endpoint") == ["server/endpoints.py:8", "web/imperative.py:30",
                                                 "web/starlette_app.py:23", "web/starlette_app.py:24"]
    validation = det.inventory.capabilities["input_validation"]
    assert validation.present is True and validation.tools == ["pydantic"]
    assert _evidence(det, "input_validation") == ["server/endpoints.py:12", "web/imperative.py:16"]


def test_route_like_calls_that_are_not_routes(tmp_path: Path) -> None:
    det = _detect("routes_objects", "negative", tmp_path)
    # a custom APIRoute subclass, transit_planner.Route, Graph.add_route, PluginRegistry.add_url_rule, a test file
    assert _routes(det) == []
    assert det.inventory.capabilities["health_endpoint"].present is False
    assert det.inventory.capabilities["input_validation"].present is False


# --- latency metrics -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("case", "evidence"), [
    ("positive_asgi", "main.py:12"),
    ("positive_wsgi", "wsgi.py:5"),
    ("positive_azure", "app.py:4"),
])
def test_opentelemetry_middleware_and_azure_monitor_are_latency_metrics(case: str, evidence: str,
                                                                         tmp_path: Path) -> None:
    det = _detect("routes_latency", case, tmp_path)
    cap = det.inventory.capabilities["latency_metrics"]
    assert cap.present is True
    assert cap.tools == ["opentelemetry"]
    assert _evidence(det, "latency_metrics") == [evidence]


def test_app_wrapped_in_middleware_keeps_its_routes(tmp_path: Path) -> None:
    det = _detect("routes_latency", "positive_asgi", tmp_path)  # app = OpenTelemetryMiddleware(app) at the end
    assert _routes(det) == [("fastapi", "POST", "/predict", "main.py:7", "predict")]
    assert det.routes[0].app_line == 4


def test_tracing_and_mentions_are_not_latency_metrics(tmp_path: Path) -> None:
    det = _detect("routes_latency", "negative", tmp_path)
    cap = det.inventory.capabilities["latency_metrics"]
    assert cap.present is False  # spans, a docstring, a comment and a test file
    assert cap.tools == []


# --- a project's own route class, handlers on an instance built from a relatively imported class ----------
def test_subclassed_route_class_with_instance_handlers(tmp_path: Path) -> None:
    det = _detect("routes_subclassed", "positive", tmp_path)
    assert _routes(det) == [
        ("fastapi", "GET", "/v2/health/live", "server/endpoints.py:12", "Endpoints.live"),
        ("fastapi", "POST", "/v2/models/{name}/infer", "server/endpoints.py:15", "Endpoints.infer"),
    ]
    assert _evidence(det, "health_endpoint") == ["server/endpoints.py:12"]
    assert _evidence(det, "input_validation") == ["server/endpoints.py:15"]
