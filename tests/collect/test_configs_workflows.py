"""Only YAML files in .github/workflows/ are GitHub Actions workflows (GitHub ignores the rest)."""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.collect.configs import parse_config
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize

LINK_CHECK = '{\n  "ignorePatterns": [{"pattern": "^http://localhost"}],\n  "retryOn429": true\n}\n'


@pytest.mark.parametrize("path", [
    ".github/workflows/markdown_check_config.json",
    ".github/workflows/labeler.toml",
])
def test_non_yaml_beside_workflows_is_not_a_workflow(path: str) -> None:
    text = LINK_CHECK if path.endswith(".json") else 'title = "x"\n'
    kinds = [d.kind for d in parse_config(path, text)]
    assert kinds == [path.rsplit(".", 1)[-1]]


@pytest.mark.parametrize("path", [".github/workflows/ci.yml", ".github/workflows/Release.YAML"])
def test_yaml_in_workflows_is_a_workflow(path: str) -> None:
    assert [d.kind for d in parse_config(path, "on: push\njobs: {}\n")] == ["github_actions"]


def _ci(name: str, tmp_path: Path):
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    return audit(repo, AuditConfig(use_cache=False)).inventory.capabilities["ci"]


def test_json_config_alone_is_no_ci_evidence(tmp_path: Path) -> None:
    ci = _ci("workflows_json_only", tmp_path)
    assert (ci.present, ci.tools, ci.evidence) == (False, [], [])


def test_workflow_beside_json_config_is_the_only_evidence(tmp_path: Path) -> None:
    ci = _ci("workflows_json_with_yaml", tmp_path)
    assert ci.present and ci.tools == ["github_actions"]
    assert [(e.path, e.line) for e in ci.evidence] == [(".github/workflows/links.yml", 1)]
