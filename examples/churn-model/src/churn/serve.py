"""HTTP prediction service."""
import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

from churn.features import build_features

app = FastAPI(title="churn")
MODEL_PATH = "models/churn-rf.joblib"


class Customer(BaseModel):
    tenure_months: int
    monthly_charges: float
    support_calls: int
    plan: str
    region: str


def load_model():
    return joblib.load(MODEL_PATH)


@app.post("/predict")
def predict(customer: Customer) -> dict:
    model = load_model()
    features = build_features(pd.DataFrame([customer.model_dump()]))
    probability = float(model.predict_proba(features)[0][1])
    return {"churn_probability": probability}
