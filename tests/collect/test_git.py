"""collect_git / list_files against throwaway repositories built in tmp_path."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlops_audit.collect import git as gitmod
from mlops_audit.collect.git import collect_git, list_files, matches_lfs
from mlops_audit.facts import GitBlob, GitFacts

BIG = bytes(range(256)) * 6144          # 1,572,864 bytes: deleted, lives only in history
HUGE = b"\x00\x01" * 600_000            # 1,200,000 bytes: still at HEAD, under sub/
POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
           b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
           b"size 734003200\n")
FILES = {
    ".gitignore": b"*.log\n",
    ".gitattributes": b"# models\n*.pt filter=lfs diff=lfs merge=lfs -text\n*.txt text\n",
    "models/model.pt": POINTER,
    "models/tiny.pt": b"not a pointer\n",
    "src/app.py": b"print('hi')\n",
    "sub/.gitattributes": b"data/*.bin filter=lfs diff=lfs merge=lfs -text\n",
    "sub/data/w.bin": POINTER,
    "sub/data/huge.dat": HUGE,
    "sub/pkg/mod.py": b"x = 1\n",
}


@pytest.fixture(autouse=True)
def hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user/system git config (hooks, lfs filters, fsmonitor) may leak into the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=T",
                          "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)
    return out.stdout.decode().strip()


def write(repo: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = Path(os.path.realpath(tmp_path)) / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, FILES | {"big.bin": BIG})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    git(root, "rm", "-q", "big.bin")
    git(root, "commit", "-q", "-m", "drop the big blob")
    return root


def sha(repo: Path, data: bytes) -> str:
    proc = subprocess.run(["git", "-C", str(repo), "hash-object", "--stdin"], input=data,
                          capture_output=True, check=True)
    return proc.stdout.decode().strip()


def test_root_target(repo: Path) -> None:
    facts = collect_git(str(repo))
    assert facts == GitFacts(
        is_repo=True, head=git(repo, "rev-parse", "HEAD"), dirty=False, root=str(repo), prefix="",
        tracked={p: len(d) for p, d in FILES.items()},
        lfs_patterns=("*.pt", "sub/data/*.bin"),
        lfs_files=("models/model.pt", "sub/data/w.bin"),
        large_blobs=(GitBlob("big.bin", 1_572_864, sha(repo, BIG), False),
                     GitBlob("sub/data/huge.dat", 1_200_000, sha(repo, HUGE), True)),
        error=None, shallow=False,
        lfs_sizes={"models/model.pt": 734003200, "sub/data/w.bin": 734003200},
    )


def test_dirty_tracked_change(repo: Path) -> None:
    (repo / "src/app.py").write_text("print('changed')\n")
    (repo / "new_untracked.py").write_text("")
    assert collect_git(str(repo)).dirty is True
    assert collect_git(str(repo / "sub")).dirty is False   # the change is outside the target
    (repo / "sub/pkg/mod.py").write_text("x = 2\n")
    assert collect_git(str(repo / "sub")).dirty is True


def test_untracked_file_alone_is_not_dirty(repo: Path) -> None:
    (repo / "notes.md").write_text("draft\n")
    assert collect_git(str(repo)).dirty is False


def test_subfolder_target_strips_prefix(repo: Path) -> None:
    facts = collect_git(str(repo / "sub"))
    assert (facts.is_repo, facts.root, facts.prefix) == (True, str(repo), "sub")
    assert facts.tracked == {".gitattributes": len(FILES["sub/.gitattributes"]), "data/w.bin": len(POINTER),
                             "data/huge.dat": len(HUGE), "pkg/mod.py": 6}
    assert facts.lfs_patterns == ("*.pt", "data/*.bin")
    assert facts.lfs_files == ("data/w.bin",)
    assert facts.large_blobs == (GitBlob("data/huge.dat", 1_200_000, sha(repo, HUGE), True),)
    assert facts.error is None


def test_deeper_subfolder_rebases_ancestor_patterns(repo: Path) -> None:
    facts = collect_git(str(repo / "sub" / "data"))
    assert facts.prefix == "sub/data"
    assert facts.lfs_patterns == ("*.pt", "/*.bin")   # anchored: only directly under the target
    assert facts.lfs_files == ("w.bin",)
    assert sorted(facts.tracked) == ["huge.dat", "w.bin"]


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("")
    assert collect_git(str(plain)) == GitFacts(is_repo=False)
    assert list_files(str(plain)) is None


def test_missing_directory(tmp_path: Path) -> None:
    facts = collect_git(str(tmp_path / "nope"))
    assert (facts.is_repo, facts.error) == (False, f"not a directory: {tmp_path / 'nope'}")


def test_unborn_branch(tmp_path: Path) -> None:
    root = Path(os.path.realpath(tmp_path)) / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.py").write_text("x = 1\n")
    git(root, "add", "a.py")
    facts = collect_git(str(root))
    assert facts == GitFacts(is_repo=True, head=None, dirty=True, root=str(root), prefix="")
    assert list_files(str(root)) == ["a.py"]


def test_list_files(repo: Path) -> None:
    (repo / "debug.log").write_text("ignored\n")
    (repo / "src/extra.py").write_text("")
    expected = sorted({*FILES, "src/extra.py"})
    assert sorted(list_files(str(repo)) or []) == expected
    assert sorted(list_files(str(repo / "sub")) or []) == [".gitattributes", "data/huge.dat", "data/w.bin",
                                                           "pkg/mod.py"]


def test_status_does_not_write_the_index(repo: Path) -> None:
    index = repo / ".git" / "index"
    os.utime(repo / "src/app.py", (1, 1))   # stat-dirty: a normal `git status` would refresh the index
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    assert collect_git(str(repo)).dirty is False
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    assert not (repo / ".git" / "index.lock").exists()


def test_inherited_git_dir_is_ignored(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert collect_git(str(repo)).head == git(repo, "--git-dir", str(repo / ".git"), "rev-parse", "HEAD")


def test_missing_git_binary(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert collect_git(str(repo)) == GitFacts(is_repo=False, error="git executable not found")
    assert list_files(str(repo)) is None


def test_large_blob_cap_and_threshold(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitmod, "MAX_LARGE_BLOBS", 1)
    assert [b.path for b in collect_git(str(repo)).large_blobs] == ["big.bin"]
    monkeypatch.setattr(gitmod, "LARGE_BLOB", 1_572_864)   # "over", not "at least"
    assert collect_git(str(repo)).large_blobs == ()


def test_history_timeout_keeps_other_facts(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = gitmod._popen

    def stuck_rev_list(cwd: str, *args: str, **kwargs: object) -> subprocess.Popen[bytes]:
        if args[0] == "rev-list":
            return subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE)
        return real(cwd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitmod, "_popen", stuck_rev_list)
    monkeypatch.setattr(gitmod, "HISTORY_TIMEOUT", 0.3)
    facts = collect_git(str(repo))
    assert facts.large_blobs == ()
    assert facts.error == "history: stopped after 0.3s, large_blobs incomplete"
    assert (facts.head, facts.dirty, facts.lfs_files) == (
        git(repo, "rev-parse", "HEAD"), False, ("models/model.pt", "sub/data/w.bin"))


@pytest.mark.parametrize(("path", "expected"), [
    ("model.pt", True), ("a/b/model.pt", True), ("data/x.bin", True), ("a/data/x.bin", False),
    ("data/sub/x.bin", False), ("ckpt/a/b/w.safetensors", True), ("ckpt/w.safetensors", True),
    ("w.safetensors", False), ("weights/v1.gguf", True), ("weights/v1.ggml", False),
    ("top.bin", True), ("a/top.bin", False),
])
def test_matches_lfs(path: str, expected: bool) -> None:
    patterns = ("*.pt", "data/*.bin", "ckpt/**/*.safetensors", "weights/v[0-9].[!x]guf", "/top.bin")
    assert matches_lfs(path, patterns) is expected


def test_glob_characters_in_the_target_path_are_literal(repo: Path) -> None:
    write(repo, {"exp[1]/a.py": b"a = 1\n", "exp1/b.py": b"b = 2\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "dirs")
    facts = collect_git(str(repo / "exp[1]"))
    assert (facts.prefix, facts.tracked, facts.dirty) == ("exp[1]", {"a.py": 6}, False)


def test_history_scan_without_the_blob_filter_of_newer_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitmod, "_git_version", lambda: (2, 20))
    assert [(b.path, b.in_head) for b in collect_git(str(repo)).large_blobs] == [("big.bin", False),
                                                                                ("sub/data/huge.dat", True)]
