"""prompt_files: Prompty files count wherever they live; a prompts/ folder's JSON/YAML counts only when it
holds prompt text, not when it is a function-calling tool schema or model settings."""
from __future__ import annotations

from pathlib import Path

from mlops_audit import audit
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize


def _prompts(name: str, tmp_path: Path):
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    inventory = audit(repo, AuditConfig(use_cache=False)).inventory
    cap = inventory.capabilities["prompt_files"]
    return cap.present, [(e.path, e.line) for e in cap.evidence], [p.path for p in inventory.artifacts.prompts]


def test_prompty_file_outside_a_prompts_folder(tmp_path: Path) -> None:
    # docs/examples/basic.prompty documents the format: documentation never counts
    assert _prompts("prompts_prompty", tmp_path) == (
        True, [("app/ticket_triage.prompty", 1)], ["app/ticket_triage.prompty"])


def test_tool_schemas_and_settings_in_prompts_folder_are_no_prompts(tmp_path: Path) -> None:
    # prompts/tools.json (OpenAI tools), prompts/refund_tool.yaml (input_schema), prompts/settings.yaml
    assert _prompts("prompts_tool_schema", tmp_path) == (False, [], [])


def test_prompt_json_beside_a_tool_schema_counts_alone(tmp_path: Path) -> None:
    assert _prompts("prompts_dir_json", tmp_path) == (
        True, [("prompts/support.json", 1)], ["prompts/support.json"])
