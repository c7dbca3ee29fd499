import pandas as pd

from churn.features import build_features


def test_build_features_adds_ratio():
    df = pd.DataFrame([{"tenure_months": 3, "monthly_charges": 40.0, "support_calls": 1,
                        "plan": "basic", "region": "north"}])
    out = build_features(df)
    assert out.loc[0, "charges_per_month_of_tenure"] == 10.0
