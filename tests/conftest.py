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


def _filler(size: int, seed: str) -> bytes:
    """Deterministic incompressible-looking bytes (git stores them at full size)."""
    import hashlib

    out = bytearray()
    block = seed.encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out.extend(block)
    return bytes(out[:size])


def _git(path: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)


def materialize(src: Path, dest: Path) -> Path:
    """Copy a fixture tree into ``dest``.

    A ``.fixture-git`` marker makes the copy a committed git repository. A
    ``.fixture-setup.json`` file (implies git) generates what a static fixture
    should not carry: ``{"files": [{"path": ..., "bytes": N}]}`` writes large
    files before the commit, and ``{"history": [{"path": ..., "bytes": N}]}``
    commits files and then deletes them in a second commit, so they live only
    in history.
    """
    import json

    shutil.copytree(src, dest, symlinks=True)
    marker = dest / ".fixture-git"
    setup_file = dest / ".fixture-setup.json"
    setup = json.loads(setup_file.read_text()) if setup_file.exists() else None
    if setup_file.exists():
        setup_file.unlink()
    if setup is not None:
        for item in setup.get("files", []) + setup.get("history", []):
            target = dest / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_filler(int(item["bytes"]), item["path"]))
    if marker.exists() or setup is not None:
        if marker.exists():
            marker.unlink()
        git_init(dest)
        history = (setup or {}).get("history", [])
        if history:
            for item in history:
                (dest / item["path"]).unlink()
            _git(dest, "add", "-A")
            _git(dest, "commit", "-qm", "remove history-only files", "--no-gpg-sign")
    return dest
