"""Automation and testing rules: paths one fixture per rule cannot show."""
from __future__ import annotations

from pathlib import Path

from .test_tracking import found, repo

TRAIN = """
    from sklearn.linear_model import Ridge
    if __name__ == "__main__":
        Ridge().fit([[0]], [0])
"""
TEST = "def test_one():\n    assert 1 == 1\n"


def test_aut003_ci_delegating_to_a_repository_script_is_not_judged(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN, "tests/test_a.py": TEST, "deploy/jobs/run.sh": "pytest\n",
                           ".github/workflows/jobs.yml": """
        on: [pull_request]
        jobs:
          run:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: anyscale jobs submit deploy/jobs/run.sh --wait
    """})
    assert found(root, "AUT003") == []


def test_aut003_reusable_workflow_is_not_judged(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN, "tests/test_a.py": TEST, ".github/workflows/ci.yml": """
        on: [push]
        jobs:
          test:
            uses: org/shared/.github/workflows/python.yml@v1
    """})
    assert found(root, "AUT003") == []


def test_aut002_points_at_the_training_pipeline(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "pipeline.py": """
            from prefect import flow
            from sklearn.linear_model import Ridge
            @flow
            def training():
                Ridge().fit([[0]], [0])
        """,
        "serve.py": """
            from fastapi import FastAPI
            app = FastAPI()
            @app.get("/predict")
            def predict(x: float):
                return {"y": x}
        """,
    })
    assert found(root, "AUT002") == [("pipeline.py", 3)]


def test_aut004_no_ml_code_no_finding(tmp_path: Path) -> None:
    root = repo(tmp_path, {"tool.py": "print('hello')\n"})
    assert found(root, "AUT004") == []


def test_tst002_behavioural_tests_count_as_model_tests(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN, "tests/model/test_behavioral.py": """
        import pytest
        @pytest.mark.parametrize("a, b", [("x", "y")])
        def test_invariance(a, b, predictor):
            assert predictor(a) == predictor(b)
    """})
    assert found(root, "TST002") == []


def test_tst003_needs_training_code(tmp_path: Path) -> None:
    root = repo(tmp_path, {"package.py": """
        import bentoml
        from transformers import pipeline
        bentoml.transformers.save_model("summarizer", pipeline("summarization"))
    """})
    assert found(root, "TST003") == []


def test_tst004_script_recording_the_model_version_is_fine(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN, "evaluate.py": """
        import json
        import joblib
        import mlflow
        from sklearn.metrics import f1_score
        if __name__ == "__main__":
            model = joblib.load("model.pkl")
            mlflow.log_artifact("model.pkl")
            mlflow.log_metric("f1", f1_score([0], model.predict([[0]])))
    """})
    assert found(root, "TST004") == []
