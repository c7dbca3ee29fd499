"""Rollout rules: declared plans, flag SDKs and hand-written splits and tests."""
from __future__ import annotations

from pathlib import Path

from mlops_audit.config import AuditConfig, Contracts

from .test_serving import FASTAPI_APP, found, repo


def test_declared_rollback_silences_rollback_rule(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP})
    assert found(root, "ROL004") == [(None, None)]
    contract = Contracts(rollout={"rollback": "docs/runbooks/rollback.md", "time_to_rollback": "5m"})
    assert found(root, "ROL004", AuditConfig(use_cache=False, select=("ROL004",), contracts=contract)) == []


def test_experiment_platform_splits_and_decides(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "flags.py": """
        from growthbook import GrowthBook

        gb = GrowthBook(attributes={"id": "user"})
    """})
    assert found(root, "ROL001") == []
    assert found(root, "ROL003") == []


def test_hash_bucket_split_in_handler_counts_as_traffic_splitting(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": """
        import hashlib

        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/predict")
        def predict(user_id: str, x: float):
            bucket = int(hashlib.sha1(user_id.encode()).hexdigest(), 16) % 100
            if bucket < 10:
                return {"y": x * 2, "model": "candidate"}
            return {"y": x, "model": "current"}
    """})
    assert found(root, "ROL001") == []
    assert found(root, "ROL003") == [("app.py", 11)]


def test_handwritten_significance_test_counts(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "k8s/vs.yaml": """
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata: {name: scorer}
        spec:
          http:
            - route:
                - destination: {host: scorer, subset: a}
                  weight: 50
                - destination: {host: scorer, subset: b}
                  weight: 50
    """, "analysis/compare.py": """
        import math


        def chi_squared_test(a_hits, a_total, b_hits, b_total):
            pooled = (a_hits + b_hits) / (a_total + b_total)
            return math.erfc(abs(a_hits / a_total - b_hits / b_total) / max(pooled, 1e-9))
    """})
    assert found(root, "ROL003") == []


def test_shadow_call_path_counts_as_shadow_mode(tmp_path: Path) -> None:
    root = repo(tmp_path, {"app.py": FASTAPI_APP, "shadow.py": """
        def run_shadow(model, features):
            return model.predict(features)
    """})
    assert found(root, "ROL002") == []
