"""Churn prediction: features, training and serving."""
