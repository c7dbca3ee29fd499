"""Which CI shell commands run the test suite (ci_runs_tests): test runners, and task runners whose task is
named after tests, never a word that merely ends in "test"."""
from __future__ import annotations

import pytest

from mlops_audit.detect.config_caps import TEST_COMMAND


@pytest.mark.parametrize("command", [
    "pytest -q", "python -m pytest tests/", "uv run pytest", "tox -e py311", "make test", "make test-unit",
    "make unit-tests", "make integration_test", "make check", "just test", "mise run test", "poe test:unit",
    "task test", "hatch test", "invoke tests", "pixi run test", "./scripts/run_tests.sh",
])
def test_runs_tests(command: str) -> None:
    assert TEST_COMMAND.search(command)


@pytest.mark.parametrize("command", [
    "make install", "make latest", "make contest", "make attest", "mise run lint", "task build", "just fmt",
    "docker build -t latest .",
])
def test_does_not_run_tests(command: str) -> None:
    assert not TEST_COMMAND.search(command)
