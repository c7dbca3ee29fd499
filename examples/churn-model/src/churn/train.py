"""Train the churn classifier and log the run to MLflow."""
import random

import joblib
import mlflow
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from churn.features import build_features


def main() -> None:
    np.random.seed(7)
    df = pd.read_csv("data/churn.csv")
    features = build_features(df)
    rows = list(range(len(df)))
    random.shuffle(rows)
    x_train, x_test, y_train, y_test = train_test_split(features, df["churned"], test_size=0.25)

    with mlflow.start_run():
        model = RandomForestClassifier(n_estimators=300, max_depth=8)
        mlflow.log_params({"n_estimators": 300, "max_depth": 8})
        model.fit(x_train, y_train)
        accuracy = accuracy_score(y_test, model.predict(x_test))
        mlflow.log_metric("accuracy", accuracy)
        joblib.dump(model, "models/churn-rf.joblib")


if __name__ == "__main__":
    main()
