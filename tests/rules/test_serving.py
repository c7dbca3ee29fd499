"""Unit tests for the serving rules' matchers and the paths one fixture per rule cannot show."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.collect.python import parse_python
from mlops_audit.config import AuditConfig, Contracts
from mlops_audit.detect.context import FileContext
from mlops_audit.rules._serving_util import absolute_name, is_cache_decorator, is_model_load
from mlops_audit.rules.serving import _LATEST, _STAGE, _health_like

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
MY_RULES = ("SRV", "MON", "ROL")


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def found(root: Path, rule_id: str, config: AuditConfig | None = None) -> list[tuple[str | None, int | None]]:
    cfg = config or AuditConfig(use_cache=False, select=(rule_id,))
    report = audit(root, cfg)
    assert not [n for n in report.inspection.notes if n.startswith("rule ")], report.inspection.notes
    return sorted((f.location.path if f.location else None, f.location.line if f.location else None)
                  for f in report.findings if f.rule == rule_id)


FASTAPI_APP = """
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class Item(BaseModel):
        x: float


    @app.post("/predict")
    def predict(item: Item):
        return {"y": item.x}
"""


# -- matchers -----------------------------------------------------------------------------
def test_relative_imports_resolve_to_repository_paths() -> None:
    py = parse_python("svc/app/routers/predict.py",
                      "from ..services import run_and_log\nfrom . import views\nfrom .ml.model import Model\n")
    assert absolute_name(py, "..services.run_and_log") == "svc.app.services.run_and_log"
    assert absolute_name(py, "..views.score") == "svc.app.routers.views.score"
    assert absolute_name(py, ".ml.model.Model") == "svc.app.routers.ml.model.Model"
    assert absolute_name(py, "joblib.load") == "joblib.load"


@pytest.mark.parametrize("name, expected", [
    ("functools.lru_cache", True), ("functools.cache", True), ("cachetools.func.ttl_cache", True),
    ("cache.memoize", True), ("app.route", False), ("staticmethod", False),
])
def test_cache_decorators(name: str, expected: bool) -> None:
    assert is_cache_decorator(name) is expected


@pytest.mark.parametrize("source, expected", [
    ("import joblib\njoblib.load('m.joblib')", "joblib.load"),
    ("import pickle\nfrom flask import request\npickle.loads(request.data)", None),
    ("import pickle\npickle.loads(open('m.pkl', 'rb').read())", "pickle.loads"),
    ("import pickle\npickle.loads(cache_value)", None),
    ("import lightgbm as lgb\nlgb.Booster(params={})", None),
    ("import lightgbm as lgb\nlgb.Booster(model_file='m.txt')", "lightgbm.Booster"),
    ("from xgboost import XGBClassifier\nm = XGBClassifier()\nm.load_model('m.json')",
     "xgboost.XGBClassifier.load_model"),
    ("from transformers import AutoModel\nAutoModel.from_pretrained('bert-base-uncased')",
     "transformers.AutoModel.from_pretrained"),
    ("import json\njson.load(open('config.json'))", None),
])
def test_model_load_matcher(source: str, expected: str | None) -> None:
    ctx = FileContext(parse_python("m.py", source))
    assert [is_model_load(ctx, c) for c in ctx.py.calls if is_model_load(ctx, c)][:1] == (
        [expected] if expected else [])


@pytest.mark.parametrize("text, latest, stage", [
    ("models:/churn/latest", True, False), ("models:/churn/Production", False, True),
    ("models:/churn/staging", False, True), ("checkpoints/latest.pt", True, False),
    ("model_latest.pkl", True, False), ("models:/churn/12", False, False),
    ("models:/churn@champion", False, False), ("latestness.pkl", False, False),
])
def test_latest_and_stage_references(text: str, latest: bool, stage: bool) -> None:
    assert bool(_LATEST.search(text)) is latest
    assert bool(_STAGE.match(text)) is stage


@pytest.mark.parametrize("path, function, expected", [
    ("/healthz", "h", True), ("/api/v1/healthcheck", "h", True), ("/ping", "p", True),
    ("/", "liveness_probe", True), ("/predict", "predict", False), ("/status-report", "report", False),
    ("/", "get_health", True), ("/", "is_ready", True), ("/health-check", "h", True), ("/livez", "l", True),
    # handlers and paths that only contain a probe word
    ("/api/report/{ticker}", "run_financial_health_analysis", False), ("/predict", "predict_health_risk", False),
    ("/score", "get_ping_pong_score", False), ("/healthcare", "h", False), ("/livestream", "s", False),
])
def test_health_like_routes(path: str, function: str, expected: bool) -> None:
    assert _health_like(path, function) is expected


# -- rule paths the fixtures do not cover ------------------------------------------------------
def test_managed_serving_is_not_blamed_for_health_shutdown_or_metrics(tmp_path: Path) -> None:
    root = repo(tmp_path, {"service.py": """
        import bentoml
        from fastapi import FastAPI

        svc = bentoml.Service("scorer")
        app = FastAPI()


        @svc.api(input=bentoml.io.Text(), output=bentoml.io.Text())
        def predict(text: str) -> str:
            return text


        @app.post("/extra")
        def extra():
            return {}
    """})
    for rule_id in ("SRV002", "SRV004", "SRV005"):
        assert found(root, rule_id) == []


def test_compose_healthcheck_counts_as_health_check(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "docker-compose.yml": """
        services:
          api:
            build: .
            healthcheck:
              test: ["CMD", "curl", "-f", "http://localhost:8000/"]
    """})
    assert found(root, "SRV002") == []


def test_declared_latency_contract_silences_slo_rule(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP})
    assert found(root, "SRV008") == [(None, None)]
    cfg = AuditConfig(use_cache=False, select=("SRV008",), contracts=Contracts(latency_p99_ms=250))
    assert found(root, "SRV008", cfg) == []


def test_lifespan_silences_graceful_shutdown(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app):
            yield


        app = FastAPI(lifespan=lifespan)


        @app.post("/predict")
        def predict():
            return {}
    """})
    assert found(root, "SRV004") == []


def test_sample_server_in_examples_is_incidental(tmp_path: Path) -> None:
    """A library's example server gets no repository-level gaps, but code defects in it are still shown."""
    root = repo(tmp_path, {"examples/server/app.py": """
        import joblib
        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/predict")
        def predict(x: float):
            return {"y": joblib.load("models/m-1.joblib").predict([[x]]).tolist()}
    """, "src/lib/core.py": "def f():\n    return 1\n"})
    for rule_id in ("SRV002", "SRV005", "SRV008"):
        assert found(root, rule_id) == []
    assert found(root, "SRV001") == [("examples/server/app.py", 9)]


def test_infrastructure_deployments_need_no_autoscaler(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "k8s/redis.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: cache}
        spec:
          template:
            spec:
              containers:
                - name: redis
                  image: redis:7.2
    """})
    assert found(root, "SRV007") == []


def test_depends_provider_and_unguarded_global_reload(tmp_path: Path) -> None:
    """A guard-less global assignment is still treated as load-once (precision first)."""
    root = repo(tmp_path, {"app.py": """
        import joblib
        from fastapi import Depends, FastAPI

        app = FastAPI()
        MODEL = None


        def provide():
            global MODEL
            MODEL = joblib.load("models/m-1.joblib")
            return MODEL


        @app.post("/predict")
        def predict(model=Depends(provide)):
            return {}
    """})
    assert found(root, "SRV001") == []


def test_no_serving_surface_no_serving_monitoring_or_rollout_findings(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        import joblib
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        joblib.dump(model, "model.pkl")
        joblib.load("model_latest.pkl")
    """})
    report = audit(root, AuditConfig(use_cache=False, select=MY_RULES))
    assert [f.rule for f in report.findings] == []


@pytest.mark.parametrize("fixture", sorted(
    str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*") if p.is_dir() and p.parent.name[:3] in MY_RULES))
def test_rules_never_crash_on_fixtures(fixture: str, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURES / fixture, tmp_path / "repo")
    report = audit(tmp_path / "repo", AuditConfig(use_cache=False, select=MY_RULES))
    assert not [n for n in report.inspection.notes if n.startswith("rule ")], report.inspection.notes


def test_mounted_health_app_counts(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP + """

    from starlette.applications import Starlette

    app.mount("/healthz", Starlette())
    """})
    assert found(root, "SRV002") == []


def test_cache_handed_load_is_not_per_request(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": """
        import joblib
        from fastapi import FastAPI

        app = FastAPI()
        CACHE = {}


        def get_model(cache, name):
            model = cache.get(name)
            if model is None:
                model = joblib.load(f"models/{name}-1.joblib")
                cache.set(name, model)
            return model


        @app.post("/predict")
        def predict(name: str):
            return {"m": str(get_model(CACHE, name))}
    """})
    assert found(root, "SRV001") == []


def test_graceful_shutdown_message_names_the_draining_server(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "Dockerfile": """
        FROM python:3.11-slim
        CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "app:app"]
    """})
    report = audit(root, AuditConfig(use_cache=False, select=("SRV004",)))
    [finding] = report.findings
    assert "gunicorn stops accepting and drains requests" in finding.message


def test_model_server_tried_out_in_a_notebook_does_not_excuse_the_app(tmp_path: Path) -> None:
    """A tutorial cell running tensorflow_model_server is no managed front for the FastAPI app: SRV002 stays."""
    import json

    (tmp_path / "requirements.txt").write_text("fastapi==0.111.0\ntensorflow==2.16.1\n")
    (tmp_path / "app.py").write_text(
        "import tensorflow as tf\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
        "model = tf.keras.models.load_model('model')\n\n\n@app.post('/predict')\n"
        "def predict(rows: list[list[float]]):\n    return {'y': model.predict(rows).tolist()}\n")
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                     "source": ["!nohup tensorflow_model_server --rest_api_port=8501 --model_name=m "
                                "--model_base_path=/tmp/m &\n"]}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "try_tf_serving.ipynb").write_text(json.dumps(nb))
    report = audit(tmp_path, AuditConfig(use_cache=False, select=("SRV002",)))
    assert "tf_serving" in report.inventory.capabilities["serving"].tools
    assert [(f.rule, f.location.path) for f in report.findings] == [("SRV002", "app.py")]
