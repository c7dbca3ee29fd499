"""Data quality rules: paths one fixture per rule cannot show."""
from __future__ import annotations

from pathlib import Path

from .test_tracking import found, repo

TRAIN_CSV = """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    if __name__ == "__main__":
        df = pd.read_csv("data/train.csv")
        LogisticRegression().fit(df[["x"]], df["y"])
"""


def test_dat001_dataset_validated_by_a_test_suite(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": TRAIN_CSV, "tests/data/test_dataset.py": """
        import great_expectations as ge
        def test_columns(df):
            assert ge.from_pandas(df).expect_column_to_exist("x").success
    """})
    assert found(root, "DAT001") == []


def test_dat001_results_and_plot_reads_are_not_training_data(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        def plot_results(path="runs/results.csv"):
            return pd.read_csv(path)
        if __name__ == "__main__":
            LogisticRegression().fit([[0]], [0])
            plot_results()
    """})
    assert found(root, "DAT001") == []


def test_dat001_builtin_datasets_are_not_flagged(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        LogisticRegression().fit(X, y)
    """})
    assert found(root, "DAT001") == []


def test_dat002_models_that_handle_missing_values_natively(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "train.py": "import xgboost as xgb\nimport joblib\njoblib.dump(xgb.XGBClassifier().fit(X, y), 'm.pkl')\n",
        "app.py": """
            import joblib
            import pandas as pd
            from flask import Flask, request
            app = Flask(__name__)
            model = joblib.load("m.pkl")
            @app.route("/predict", methods=["POST"])
            def predict():
                return {"y": int(model.predict(pd.DataFrame([request.get_json()]))[0])}
        """,
    })
    assert found(root, "DAT002") == []


def test_dat003_validator_or_clip_counts_as_bounds(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "train.py": "import joblib\nfrom sklearn.linear_model import Ridge\n"
                    "joblib.dump(Ridge().fit([[0]], [0]), 'm.pkl')\n",
        "serve.py": """
            import joblib
            import numpy as np
            from fastapi import FastAPI
            from pydantic import BaseModel, field_validator
            app = FastAPI()
            model = joblib.load("m.pkl")
            class Row(BaseModel):
                age: int
                @field_validator("age")
                @classmethod
                def sane(cls, v):
                    return v
            @app.post("/a")
            def a(row: Row):
                return {"y": float(model.predict([[row.age]])[0])}
            @app.post("/b")
            def b(x: float):
                return {"y": float(model.predict([[np.clip(x, 0, 1)]])[0])}
        """,
    })
    assert found(root, "DAT003") == []


def test_dat004_unrelated_projects_in_a_monorepo_are_not_paired(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "course/week3/homework/requirements.txt": "pandas\n",
        "course/week3/homework/train.py": """
            import pandas as pd
            from sklearn.linear_model import Ridge
            def prepare_features(df):
                return df.fillna(0)
            if __name__ == "__main__":
                Ridge().fit(prepare_features(pd.read_csv("d.csv")), [0])
        """,
        "course/week5/service/app/requirements.txt": "flask\n",
        "course/week5/service/app/predict.py": """
            import joblib
            from flask import Flask, request
            app = Flask(__name__)
            model = joblib.load("m.pkl")
            def prepare_features(ride):
                return {k: v for k, v in ride.items()}.fillna(0)
            @app.route("/predict", methods=["POST"])
            def predict():
                return {"y": float(model.predict([prepare_features(request.get_json())])[0])}
        """,
    })
    assert found(root, "DAT004") == []
