"""Feature engineering shared by training and serving."""
import pandas as pd

NUMERIC = ["tenure_months", "monthly_charges", "support_calls"]
CATEGORICAL = ["plan", "region"]


def build_features(df: pd.DataFrame) -> pd.DataFrame:
    out = df[NUMERIC].copy()
    out["charges_per_month_of_tenure"] = df["monthly_charges"] / (df["tenure_months"] + 1)
    dummies = pd.get_dummies(df[CATEGORICAL], prefix=CATEGORICAL)
    return pd.concat([out, dummies], axis=1)
