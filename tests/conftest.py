"""Shared test helpers: isolated cache directory, fixture repositories, audits."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let tests share (or pollute) the user's facts cache."""
    monkeypatch.setenv("MLOPS_AUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def git_init(path: Path) -> None:
    """Make ``path`` a git repository with everything committed (fixtures that need git facts)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fixture", "--no-gpg-sign"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)


def materialize(src: Path, dest: Path) -> Path:
    """Copy a fixture tree; a ``.fixture-git`` marker makes the copy a committed git repository."""
    shutil.copytree(src, dest, symlinks=True)
    marker = dest / ".fixture-git"
    if marker.exists():
        marker.unlink()
        git_init(dest)
    return dest
