"""Registry rules: paths one fixture per rule cannot show."""
from __future__ import annotations

from pathlib import Path

from .test_tracking import found, repo

TRAIN_SAVE = """
    import joblib
    from sklearn.linear_model import Ridge
    if __name__ == "__main__":
        model = Ridge().fit([[0]], [0])
        joblib.dump(model, "models/model.pkl")
"""


def test_reg001_dvc_model_artifact_is_a_registry(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN_SAVE, "dvc.yaml": """
        stages:
          train:
            cmd: python train.py
            outs: [models/model.pkl]
        artifacts:
          churn:
            path: models/model.pkl
            type: model
    """})
    assert found(root, "REG001") == []


def test_reg001_message_mentions_overwritten_fixed_path(tmp_path: Path) -> None:
    from mlops_audit import audit
    from mlops_audit.config import AuditConfig

    root = repo(tmp_path, {"train.py": TRAIN_SAVE})
    report = audit(root, AuditConfig(use_cache=False, select=("REG001",)))
    [f] = [f for f in report.findings if f.rule == "REG001"]
    assert "overwritten" in f.message and "'models/model.pkl'" in f.message


def test_reg001_column_lists_and_encoders_are_not_models(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        import joblib
        from sklearn.linear_model import Ridge
        if __name__ == "__main__":
            cols = ["a"]
            Ridge().fit([[0]], [0])
            joblib.dump(cols, "models/columns.pkl")
    """})
    assert found(root, "REG001") == []


REGISTERING_TRAIN = """
    import mlflow
    from sklearn.linear_model import Ridge
    with mlflow.start_run():
        m = Ridge().fit([[0]], [0])
        mlflow.sklearn.log_model(m, "model", registered_model_name="churn")
"""


def test_reg006_registry_uris_hub_ids_and_sagemaker_paths_are_fine(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": REGISTERING_TRAIN, "serve.py": """
        import joblib
        from fastapi import FastAPI
        from transformers import AutoModel
        app = FastAPI()
        hub = AutoModel.from_pretrained("org/churn-encoder")
        sm = joblib.load("/opt/ml/model/model.joblib")
        @app.get("/predict")
        def predict(x: float):
            return {"y": float(sm.predict([[x]])[0]), "h": str(hub)}
    """})
    assert found(root, "REG006") == []


def test_reg006_ignores_serving_of_another_project_in_a_monorepo(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "experiments/requirements.txt": "mlflow\n",
        "experiments/train.py": REGISTERING_TRAIN,
        "deployment/web/requirements.txt": "flask\n",
        "deployment/web/predict.py": """
            import pickle
            from flask import Flask, request
            app = Flask(__name__)
            with open("lin_reg.bin", "rb") as f:
                model = pickle.load(f)
            @app.route("/predict", methods=["POST"])
            def predict():
                return {"y": float(model.predict([request.get_json()["x"]])[0])}
        """,
    })
    assert found(root, "REG006") == []


def test_reg002_create_model_version_with_run_id_and_data_by_commit(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        from mlflow import MlflowClient
        import pandas as pd
        from sklearn.linear_model import Ridge
        if __name__ == "__main__":
            df = pd.read_csv("data/train.csv")
            Ridge().fit(df[["x"]], df["y"])
            MlflowClient().create_model_version("churn", "runs:/abc/model", run_id="abc")
    """, "data/train.csv.dvc": "outs:\n- md5: 0\n  path: train.csv\n"})
    assert found(root, "REG002") == []


def test_reg003_hub_push_alone_has_no_promotion_to_ask_for(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        from transformers import Trainer
        trainer = Trainer(model=m, args=a)
        trainer.train()
        trainer.push_to_hub("org/model")
    """})
    assert found(root, "REG003") == []
