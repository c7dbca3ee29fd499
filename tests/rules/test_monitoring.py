"""Monitoring rules: signals the per-rule fixtures do not show."""
from __future__ import annotations

from pathlib import Path

from mlops_audit.config import AuditConfig, Contracts

from .test_serving import FASTAPI_APP, found, repo


def test_declared_drift_contract_silences_drift_rules(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP})
    assert found(root, "MON001") == [(None, None)]
    contract = Contracts(drift=({"type": "input", "metric": "psi", "threshold": 0.2, "window": "24h",
                                 "runbook": "docs/runbooks/drift.md"},))
    assert found(root, "MON001", AuditConfig(use_cache=False, select=("MON001",), contracts=contract)) == []


def test_feedback_route_counts_as_ground_truth_collection(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP + """

    @app.post("/feedback")
    def feedback(item: Item):
        return {"stored": True}
    """})
    assert found(root, "MON002") == []


def test_prediction_compared_with_ground_truth_counts(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "quality/tracker.py": """
        def accuracy(records):
            hits = 0
            for rec in records:
                if rec.prediction == rec.ground_truth:
                    hits += 1
            return hits / max(len(records), 1)
    """})
    assert found(root, "MON002") == []


def test_logging_the_prediction_counts_as_prediction_logging(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": """
        import logging

        import joblib
        from fastapi import FastAPI
        from pydantic import BaseModel

        logger = logging.getLogger("predictions")
        model = joblib.load("models/m-1.joblib")
        app = FastAPI()


        class Item(BaseModel):
            x: float


        @app.post("/predict")
        def predict(item: Item):
            prediction = model.predict([[item.x]])
            logger.info("prediction=%s features=%s", prediction, item.x)
            return {"y": prediction.tolist()}
    """})
    assert found(root, "MON005") == []


def test_handwritten_alert_manager_counts_as_alerting(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "ops/alerts.py": """
        class DriftAlertManager:
            def check(self, value, threshold):
                return value > threshold
    """})
    assert found(root, "MON003") == []


def test_drift_statistics_in_notebooks_and_returned_results_are_not_flagged(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "monitoring/drift.py": """
        from scipy.stats import ks_2samp


        def drift_pvalue(ref, cur):
            stat, p = ks_2samp(ref, cur)
            return p


        def record_drift(ref, cur, sink):
            stat, p = ks_2samp(ref, cur)
            sink.write(p)
    """})
    assert found(root, "MON006") == []


def test_gpu_serving_in_kubernetes_without_exporter(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "k8s/deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: scorer}
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: registry.example.com/scorer:1.0.0
                  resources:
                    limits:
                      nvidia.com/gpu: 1
    """})
    assert found(root, "MON007") == [("k8s/deploy.yaml", 12)]


def test_device_chosen_at_run_time_is_not_gpu_evidence(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP + """

    import torch

    DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
    net = torch.nn.Linear(2, 1).cuda() if torch.cuda.is_available() else torch.nn.Linear(2, 1)
    """})
    assert found(root, "MON007") == []
