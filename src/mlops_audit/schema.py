"""The JSON Schema of the report, generated from the report dataclasses.

``python -m mlops_audit.schema`` rewrites ``data/report.schema.json``; a test
fails when the shipped file is stale. A development tool: it needs pydantic
(the ``test`` extra), which a scan never imports.

pydantic's ``TypeAdapter`` derives the types; this module adds what a plain
dataclass cannot tell it: the descriptions and bounds kept in field metadata,
the defaults of fields built by a factory, and that no other property is
allowed (the contract is closed, as ``extra="forbid"`` made it before).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from . import model
from .model import Report

__all__ = ["report_schema", "render_schema", "SCHEMA_PATH"]

SCHEMA_PATH = Path(__file__).parent / "data" / "report.schema.json"


def report_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema = TypeAdapter(Report).json_schema(mode="serialization")
    _complete(schema, Report)
    for name, definition in schema.get("$defs", {}).items():
        cls = getattr(model, name, None)
        if dataclasses.is_dataclass(cls):
            _complete(definition, cls)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mlops-audit.dev/schema/report-1.json"
    return schema


def _complete(definition: dict[str, Any], cls: type) -> None:
    """Add to one object's schema what its dataclass fields say beyond their types."""
    properties = definition["properties"]
    for f in dataclasses.fields(cls):
        properties[f.name].update(f.metadata.get("schema", {}))
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
            properties[f.name]["default"] = default.to_dict() if dataclasses.is_dataclass(default) else default
    definition["additionalProperties"] = False


def render_schema() -> str:
    return json.dumps(report_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
