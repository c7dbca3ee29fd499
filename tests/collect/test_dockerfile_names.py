"""Every Dockerfile naming convention is read as a Dockerfile (Dockerfile*, *.Dockerfile, Containerfile*),
and files merely named after Dockerfiles are not."""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.collect import CollectOptions, collect
from mlops_audit.collect.docker import dockerfile_candidate
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize


@pytest.mark.parametrize("path", [
    "Dockerfile-cpu", "docker/Dockerfile-arm64", "Dockerfile_cuda118", "Dockerfile.gpu", "dev.Dockerfile",
    "Containerfile", "containerfile-rootless", "ci/Dockerfile-py3.11", "gpu.Dockerfile-dev",
])
def test_dockerfile_name_variants(path: str) -> None:
    assert dockerfile_candidate(path)


@pytest.mark.parametrize("path", [
    "Dockerfile.md", "docker/Dockerfile-notes.txt", "dockerfile_utils.py", "tools/dockerfile-lint.sh",
    ".dockerignore", "Dockerfile-", "make_dockerfile", "build-dockerfile", "Dockerfile.yaml",
    "dockerfiles", "DockerfileGenerator.java",
])
def test_dockerfile_lookalikes(path: str) -> None:
    assert not dockerfile_candidate(path)


def _collect(name: str, tmp_path: Path):
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    return repo, collect(str(repo), CollectOptions(use_cache=False))


def test_named_variants_are_parsed_and_containerize_the_project(tmp_path: Path) -> None:
    repo, facts = _collect("dockername_variants", tmp_path)
    assert [(f.path, f.kind) for f in facts.files] == [
        ("Containerfile", "dockerfile"), ("dev.Dockerfile", "dockerfile"), ("docker/Dockerfile-arm64", "dockerfile"),
        ("docker/Dockerfile-cpu", "dockerfile"), ("docker/Dockerfile.gpu", "dockerfile"), ("train.py", "python"),
    ]
    assert [(d.path, [i.instruction for i in d.instructions]) for d in facts.dockerfiles] == [
        ("Containerfile", ["FROM", "COPY"]), ("dev.Dockerfile", ["FROM", "RUN"]),
        ("docker/Dockerfile-arm64", ["FROM", "COPY", "CMD"]), ("docker/Dockerfile-cpu", ["FROM", "COPY", "CMD"]),
        ("docker/Dockerfile.gpu", ["FROM", "COPY"]),
    ]
    cap = audit(repo, AuditConfig(use_cache=False)).inventory.capabilities["containerized"]
    assert (cap.present, cap.tools) == (True, ["docker"])
    assert [(e.path, e.line) for e in cap.evidence] == [
        ("Containerfile", 1), ("dev.Dockerfile", 2), ("docker/Dockerfile-arm64", 1), ("docker/Dockerfile-cpu", 1),
        ("docker/Dockerfile.gpu", 1),
    ]


def test_lookalike_names_are_not_dockerfiles(tmp_path: Path) -> None:
    repo, facts = _collect("dockername_lookalikes", tmp_path)
    assert [(f.path, f.kind) for f in facts.files] == [
        (".dockerignore", "other"), ("docker/Dockerfile.md", "prose"), ("tools/dockerfile_utils.py", "python"),
        ("tools/make_dockerfile", "other"), ("train.py", "python"),
    ]
    assert facts.dockerfiles == ()
    cap = audit(repo, AuditConfig(use_cache=False)).inventory.capabilities["containerized"]
    assert (cap.present, cap.tools, cap.evidence) == (False, [], [])
