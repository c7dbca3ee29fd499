"""Test files count only for the testing capabilities, whatever kind of file the evidence is.

Python test files were always skipped by the code detectors; configuration documents, Dockerfiles,
manifests and lock files under tests/ now follow the same counting rule (enforced in ``Evidence``).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.detect.evidence import Evidence, in_test_suite

from ..conftest import FIXTURES, materialize


def _caps(name: str, tmp_path: Path):
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    return audit(repo, AuditConfig(use_cache=False)).inventory.capabilities


def _summary(cap) -> tuple[bool, bool, list[str], list[tuple[str, int | None]]]:
    return cap.present, cap.declared_only, sorted(cap.tools), [(e.path, e.line) for e in cap.evidence]


@pytest.mark.parametrize("path", [
    "tests/integration/frameworks/mlflow/MNIST/MLproject", "tests/conda.yaml", "pkg/test/docker-compose.yml",
    "testing/Dockerfile", "tests/test_train.py", "src/test_utils.py", "pkg/conftest.py", "model_test.py",
    "notebooks/test_pipeline.ipynb",
])
def test_paths_in_the_test_suite(path: str) -> None:
    assert in_test_suite(path)


@pytest.mark.parametrize("path", [
    # the file-name conventions are Python's: a workflow or config named test_* is the project's own
    ".github/workflows/test_suite.yml", "configs/test_split.yaml", "test_requirements.txt",
    "MLproject", "conda.yaml", "src/contest/train.py", "latest/Dockerfile", "tests.yaml",
])
def test_paths_outside_the_test_suite(path: str) -> None:
    assert not in_test_suite(path)


def test_evidence_from_test_files_counts_for_testing_capabilities_only() -> None:
    ev = Evidence(["pipeline_orchestration", "unit_tests", "ci_runs_tests", "experiment_tracking"])
    ev.add("pipeline_orchestration", "mlflow_projects", "tests/e2e/MLproject", 1, "mlproject")
    ev.add("unit_tests", "pytest", "tests/test_x.py", 3, "test_x")
    ev.add("ci_runs_tests", "", "tests/ci/pipeline.yml", 4, "pytest")
    ev.declare("experiment_tracking", "mlflow", "tests/e2e/conda.yaml", 7, "mlflow==2.9.2")
    assert ev.present("pipeline_orchestration") is False
    assert ev.tools("pipeline_orchestration") == []
    assert [(h.path, h.line) for h in ev.hits("unit_tests")] == [("tests/test_x.py", 3)]
    assert [(h.path, h.line) for h in ev.hits("ci_runs_tests")] == [("tests/ci/pipeline.yml", 4)]
    assert ev.caps["experiment_tracking"].declared == {}


def test_project_evidence_beside_test_files_still_counts() -> None:
    ev = Evidence(["pipeline_orchestration", "experiment_tracking"])
    ev.add("pipeline_orchestration", "mlflow_projects", "tests/e2e/MLproject", 1, "mlproject")
    ev.add("pipeline_orchestration", "mlflow_projects", "MLproject", 1, "mlproject")
    ev.declare("experiment_tracking", "mlflow", "tests/e2e/conda.yaml", 7, "mlflow==2.9.2")
    ev.declare("experiment_tracking", "mlflow", "conda.yaml", 5, "mlflow==2.9.2")
    assert [(h.path, h.line) for h in ev.hits("pipeline_orchestration")] == [("MLproject", 1)]
    assert [(h.path, h.line) for h in ev.caps["experiment_tracking"].declared.values()] == [("conda.yaml", 5)]


def test_configs_manifests_and_locks_under_tests_count_for_nothing_else(tmp_path: Path) -> None:
    caps = _caps("scope_tests_only", tmp_path)
    assert _summary(caps["pipeline_orchestration"]) == (False, False, [], [])
    assert _summary(caps["experiment_tracking"]) == (False, False, [], [])  # tests/.../conda.yaml lists mlflow
    assert _summary(caps["containerized"]) == (False, False, [], [])       # tests/ compose file and Dockerfile
    assert _summary(caps["lock_file"]) == (False, False, [], [])           # tests/fixtures/poetry.lock
    assert _summary(caps["pinned_dependencies"]) == (False, False, [], [])  # the fixture's pinned conda.yaml
    # the testing capabilities keep their test-file evidence; a workflow named test_*.yml is still CI
    assert _summary(caps["unit_tests"]) == (True, False, ["pytest"], [("tests/test_train.py", 6)])
    assert _summary(caps["ci"]) == (True, False, ["github_actions"], [(".github/workflows/test_suite.yml", 1)])
    assert _summary(caps["ci_runs_tests"]) == (True, False, [], [(".github/workflows/test_suite.yml", 9)])


def test_the_same_files_outside_tests_count(tmp_path: Path) -> None:
    caps = _caps("scope_project_files", tmp_path)
    assert _summary(caps["pipeline_orchestration"]) == (True, False, ["mlflow_projects"],
                                                        [("mlflow_project/MLproject", 1)])
    assert _summary(caps["experiment_tracking"]) == (False, True, ["mlflow"], [("mlflow_project/conda.yaml", 8)])
    assert _summary(caps["containerized"]) == (True, False, ["docker_compose"], [("docker-compose.yml", 1)])
    assert _summary(caps["lock_file"]) == (True, False, ["poetry"], [("poetry.lock", 1)])


def test_framework_evidence_from_a_notebook_names_its_cell(tmp_path) -> None:
    """Lines in notebooks count within a cell, so framework evidence must carry the cell (here cell 2, line 2)."""
    from mlops_audit import audit
    from mlops_audit.config import AuditConfig

    from ..conftest import FIXTURES, materialize

    repo = materialize(FIXTURES / "capabilities" / "experiment_tracking" / "positive_notebook", tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False))
    sklearn = next(f for f in report.inventory.frameworks if f.name == "sklearn")
    assert [(e.path, e.cell, e.line) for e in sklearn.evidence] == [("notebooks/experiment.ipynb", 2, 2)]


def test_retract_drops_the_tools_only_withdrawn_evidence_named() -> None:
    from mlops_audit.detect.evidence import Evidence

    ev = Evidence(["serving"])
    ev.add("serving", "fastapi", "pkg/ui/app.py", 3, "fastapi.FastAPI")
    ev.add("serving", "docker", "Dockerfile", 5, "FROM tensorflow/serving")
    ev.add("serving", "fastapi", "examples/api.py", 7, "fastapi.FastAPI")
    ev.retract("serving", lambda h: not h.path.startswith("pkg/"))
    assert [h.path for h in ev.hits("serving")] == ["Dockerfile", "examples/api.py"]
    assert ev.tools("serving") == ["fastapi", "docker"]
    ev.retract("serving", lambda h: h.path == "Dockerfile")
    assert ev.tools("serving") == ["docker"]
    ev.retract("serving")
    assert not ev.present("serving") and ev.tools("serving") == []
