"""Versioning rules that need git history or files too large for static fixtures (VER002, VER003)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.rules.versioning import human_size, is_data_file

MB = 1024 * 1024
_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
TRAIN = "from sklearn.linear_model import LogisticRegression\n\nLogisticRegression().fit([[0], [1]], [0, 1])\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, env=_ENV, capture_output=True)


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message, "--no-gpg-sign")


def _write(repo: Path, rel: str, data: bytes | str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _found(repo: Path, rule_id: str) -> dict[str, str]:
    report = audit(repo, AuditConfig(use_cache=False, select=(rule_id,)))
    out = {}
    for f in report.findings:
        if f.rule == rule_id:
            assert f.location is not None and f.location.line is None
            out[f.location.path] = f.severity.value
    return out


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _write(repo, "train.py", TRAIN)
    return repo


def test_large_blob_in_history(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _write(repo, "models/old_model.pt", b"\0" * (2 * MB))        # a model, later deleted
    _write(repo, "data/raw.csv", b"1,2\n" * (MB // 2))           # data, later deleted
    _write(repo, "docs/diagram.png", b"\1" * (2 * MB))            # a small asset, later deleted: not worth it
    _write(repo, "media/demo.mp4", b"\2" * (6 * MB))              # a big asset, later deleted
    _write(repo, "models/current.pkl", b"\3" * (2 * MB))          # still tracked: VER001's finding
    _write(repo, "tests/fixtures/big.pkl", b"\4" * (2 * MB))      # test fixture: ignored
    _commit(repo, "add binaries")
    for rel in ("models/old_model.pt", "data/raw.csv", "docs/diagram.png", "media/demo.mp4",
                "tests/fixtures/big.pkl"):
        (repo / rel).unlink()
    _commit(repo, "remove binaries")
    found = _found(repo, "VER002")
    assert set(found) == {"models/old_model.pt", "data/raw.csv", "media/demo.mp4"}
    assert found["media/demo.mp4"] == "low"


def test_no_large_blobs_no_finding(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _write(repo, "models/tiny.pkl", b"\0" * 1000)
    _commit(repo, "small")
    assert _found(repo, "VER002") == {}


def test_data_file_in_git(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _write(repo, "data/train.csv", b"1,2\n" * (MB // 3))              # 1.3 MB under data/: reported
    _write(repo, "data/small.csv", b"1,2\n" * 100)                    # small: fine
    _write(repo, "reports/summary.csv", b"1,2\n" * (MB // 2))         # 2 MB outside data dirs: below 5 MB
    _write(repo, "exports/features.parquet", b"\0" * (6 * MB))        # 6 MB anywhere: reported
    _write(repo, "tests/data/golden.csv", b"1,2\n" * (MB // 2))       # test data: ignored
    _write(repo, "data/corpus.txt", b"word " * (MB // 4))             # text under data/: a dataset
    _write(repo, "data/big.csv.dvc", "outs:\n- md5: 3f2a9c1b8e7d4f6a9b0c1d2e3f4a5b6c\n  path: big.csv\n")
    _write(repo, "data/.gitignore", "/big.csv\n")
    _write(repo, "data/big.csv", b"1,2\n" * MB)                       # DVC-managed and ignored by git
    _commit(repo, "data")
    assert set(_found(repo, "VER003")) == {"data/train.csv", "exports/features.parquet", "data/corpus.txt"}


def test_data_file_outside_git_is_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    _write(repo, "train.py", TRAIN)
    _write(repo, "data/train.csv", b"1,2\n" * (MB // 3))
    assert _found(repo, "VER003") == {}


def test_helpers() -> None:
    assert human_size(512) == "512 bytes"
    assert human_size(3 * 1024) == "3 KB"
    assert human_size(5 * MB) == "5.0 MB"
    assert is_data_file("x/train.parquet")
    assert is_data_file("data/corpus.txt")
    assert not is_data_file("notes/readme.txt")
    assert not is_data_file("src/model.py")
