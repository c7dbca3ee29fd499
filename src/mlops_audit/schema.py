"""The JSON Schema of the report, generated from the pydantic models.

``python -m mlops_audit.schema`` rewrites ``data/report.schema.json``; a test
fails when the shipped file is stale.
"""
from __future__ import annotations

import json
from pathlib import Path

from .model import Report

__all__ = ["report_schema", "SCHEMA_PATH"]

SCHEMA_PATH = Path(__file__).parent / "data" / "report.schema.json"


def report_schema() -> dict:
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mlops-audit.dev/schema/report-1.json"
    return schema


def render_schema() -> str:
    return json.dumps(report_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
