"""Read-only git facts about a scan target, and the fast file listing of a git tree.

Every command runs with ``GIT_OPTIONAL_LOCKS=0`` (``git status`` then does not
rewrite the index), ``core.fsmonitor=false`` (no daemon or hook program started
on someone else's repository), ``GIT_NO_LAZY_FETCH=1`` (no network in partial
clones) and a timeout. A failure becomes a note in ``GitFacts.error`` next to
whatever was learned before it.

The target may be a work tree root, a sub-folder of one (monorepo), or not in
git at all. Paths in the facts are relative to the target.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import posixpath
import re
import subprocess
import threading
from typing import IO, Any, Callable, Iterable, TypeVar

from ..facts import GitBlob, GitFacts

__all__ = ["collect_git", "list_files", "matches_lfs"]

T = TypeVar("T")
TIMEOUT = 20.0
HISTORY_TIMEOUT = 20.0
LARGE_BLOB = 1024 * 1024
MAX_LARGE_BLOBS = 200
_POINTER_MAX = 200
_LFS_SPEC = b"version https://git-lfs.github.com/spec/v1"
_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.quotePath=false")
# Variables that would point git at another repository than the target's.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX")
# Model/data extensions worth checking for LFS pointers even without a .gitattributes rule.
_BINARY_EXT = frozenset("""
    .pt .pth .ckpt .bin .safetensors .onnx .h5 .hdf5 .keras .pb .tflite .gguf .ggml .pkl .pickle
    .joblib .sav .model .mlmodel .weights .npy .npz .parquet .feather .arrow .csv .tsv .jsonl
    .tfrecord .avro .orc .zip .tar .gz .tgz .xz .zst .7z .db .sqlite .lmdb .xlsx .msgpack
""".split())
_BATCH_CHECK = "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)"


class GitMissing(Exception):
    """The git executable is not installed or not on PATH."""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_NO_LAZY_FETCH="1",
               LC_ALL="C", LANGUAGE="C")
    return env


def _command(cwd: str, args: Iterable[str]) -> list[str]:
    return ["git", "--literal-pathspecs", "-C", cwd, *_CONFIG, *args]


def _run(cwd: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """One git command, bytes in and out; raises GitMissing or subprocess.TimeoutExpired."""
    try:
        return subprocess.run(_command(cwd, args), input=stdin, capture_output=True, timeout=TIMEOUT,
                              env=_env(), stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise GitMissing(str(exc)) from exc


def _popen(cwd: str, *args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(_command(cwd, args), stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=_env())
    except FileNotFoundError as exc:
        raise GitMissing(str(exc)) from exc


def _failure(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1][:200] if text else f"exit status {proc.returncode}"


# -- where are we ------------------------------------------------------------
def _locate(target: str) -> tuple[str, str, bool] | str | None:
    """(toplevel, prefix, shallow) of the work tree holding target; None if not in one; str: refusal."""
    proc = _run(target, "rev-parse", "--is-inside-work-tree", "--show-toplevel",
                "--show-prefix", "--is-shallow-repository")
    if proc.returncode != 0:
        if b"dubious ownership" in proc.stderr:
            return "git refused the repository (dubious ownership; see git safe.directory)"
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if len(out) < 4 or out[0] != "true":
        return None
    return out[1], out[2].rstrip("/"), out[3] == "true"


def _head(root: str) -> str | None:
    """Commit id of HEAD; None on an unborn branch."""
    proc = _run(root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    sha = proc.stdout.decode().strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else None


def _has_refs(root: str) -> bool:
    """An unborn HEAD can still have other branches whose history holds large blobs."""
    proc = _run(root, "for-each-ref", "--count=1", "--format=%(refname)")
    return proc.returncode == 0 and bool(proc.stdout.strip())


def _dirty(status: subprocess.Popen[bytes]) -> bool | None:
    """Uncommitted changes to tracked files under the target (untracked files do not count)."""
    try:
        out, _ = status.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        status.kill()
        status.wait()
        raise
    return bool(out.strip(b"\0")) if status.returncode == 0 else None


# -- HEAD tree ---------------------------------------------------------------
def _tracked(root: str, prefix: str) -> dict[str, tuple[int, str]]:
    """Target-relative path -> (size, sha) of every blob at HEAD under the target."""
    args = ["ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"] + (["--", prefix + "/"] if prefix else [])
    proc = _run(root, *args)
    if proc.returncode != 0:
        raise RuntimeError(_failure(proc))
    cut = len(prefix) + 1 if prefix else 0
    out: dict[str, tuple[int, str]] = {}
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):  # os.fsdecode, at once
        meta, _, path = entry.partition("\t")
        fields = meta.split()  # mode type sha size; submodules are "commit" entries
        if len(fields) == 4 and fields[1] == "blob" and fields[3].isdigit():
            out[path[cut:]] = (int(fields[3]), fields[2])
    return out


def _cat_batch(root: str, names: list[str]) -> list[bytes | None]:
    """Contents of objects (``sha`` or ``HEAD:path``) from one ``git cat-file --batch``; None if missing."""
    if not names:
        return []
    proc = _run(root, "cat-file", "--batch", stdin="".join(n + "\n" for n in names).encode("utf-8", "surrogateescape"))
    out: list[bytes | None] = []
    pos, buf = 0, proc.stdout
    while len(out) < len(names) and (end := buf.find(b"\n", pos)) >= 0:
        header = buf[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            out.append(buf[pos:pos + size])
            pos += size + 1
        else:
            out.append(None)  # "<name> missing" / "ambiguous"
    return out + [None] * (len(names) - len(out))


# -- LFS ---------------------------------------------------------------------
def _lfs_rules(text: bytes) -> list[str]:
    """Patterns of a .gitattributes file that set ``filter=lfs`` (later unsetting lines are ignored)."""
    rules = []
    for raw in text.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "[attr]")):
            continue
        if line.startswith('"') and line.find('"', 1) > 0:
            end = line.find('"', 1)
            pattern, attrs = line[1:end], line[end + 1:].split()
        else:
            pattern, *attrs = line.split()
        if "filter=lfs" in attrs and pattern:
            rules.append(pattern)
    return rules


def _anchor(directory: str, pattern: str) -> str:
    """A pattern of ``<directory>/.gitattributes`` rewritten relative to the directory's parent tree.

    A slash-free pattern matches a basename at any depth below its file; a
    pattern with a slash is anchored at the file's directory.
    """
    if "/" not in pattern:
        return f"{directory}/**/{pattern}" if directory else pattern
    pattern = pattern.lstrip("/")
    return f"{directory}/{pattern}" if directory else _anchored(pattern)


def _anchored(pattern: str) -> str:
    """Keep an anchored pattern anchored: without any slash it would match at every depth."""
    return pattern if "/" in pattern else "/" + pattern


def _below(pattern: str, prefix: str) -> str | None:
    """A root-relative pattern re-based on the sub-folder ``prefix``; None when it cannot apply there."""
    if not prefix or "/" not in pattern:
        return pattern
    parts, dirs = pattern.split("/"), prefix.split("/")
    for i, d in enumerate(dirs):
        if i >= len(parts) - 1:
            return None
        if parts[i] == "**":
            return "/".join(parts[i:])
        if not fnmatch.fnmatchcase(d, parts[i]):
            return None
    return _anchored("/".join(parts[len(dirs):]))


def _lfs_patterns(root: str, prefix: str, tracked: dict[str, tuple[int, str]]) -> list[str]:
    """filter=lfs patterns of the .gitattributes files (at HEAD) that govern the target, target-relative.

    Files above the target are read as ``HEAD:<dir>/.gitattributes``; those
    inside it by blob id. Outermost first, as git applies them.
    """
    steps = prefix.split("/") if prefix else []
    above = ["/".join(steps[:i]) for i in range(len(steps))]
    names = [f"HEAD:{d + '/' if d else ''}.gitattributes" for d in above]
    inside = sorted((p for p in tracked if posixpath.basename(p) == ".gitattributes"), key=lambda p: p.count("/"))
    names += [tracked[p][1] for p in inside]
    sources = [(d, True) for d in above] + [(posixpath.dirname(p), False) for p in inside]
    patterns: list[str] = []
    for (directory, is_above), text in zip(sources, _cat_batch(root, names)):
        for rule in _lfs_rules(text or b""):
            pattern: str | None = _anchor(directory, rule)
            pattern = _below(pattern, prefix) if is_above and pattern else pattern
            if pattern:
                patterns.append(pattern)
    return list(dict.fromkeys(patterns))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A git wildmatch pattern containing a slash -> regex over the whole relative path."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern[i] in "*?":
            out.append("[^/]*" if pattern[i] == "*" else "[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def matches_lfs(path: str, patterns: Iterable[str]) -> bool:
    """Does a target-relative path fall under one of the target-relative ``GitFacts.lfs_patterns``?"""
    name = posixpath.basename(path)
    for pattern in patterns:
        if ("/" not in pattern and fnmatch.fnmatchcase(name, pattern)) or \
                ("/" in pattern and _glob_regex(pattern.lstrip("/")).fullmatch(path)):
            return True
    return False


def _lfs_pointers(root: str, tracked: dict[str, tuple[int, str]], patterns: list[str]) -> dict[str, int]:
    """Path -> real object size, for tracked blobs that are LFS pointer files.

    Only small blobs under an LFS pattern or with a model/data extension are
    read, all through one ``cat-file --batch``.
    """
    candidates = [
        p for p, (size, _) in tracked.items()
        if size < _POINTER_MAX and (posixpath.splitext(p)[1].lower() in _BINARY_EXT or matches_lfs(p, patterns))
    ]
    found: dict[str, int] = {}
    for path, text in zip(candidates, _cat_batch(root, [tracked[p][1] for p in candidates])):
        if text and text.startswith(_LFS_SPEC):
            size = re.search(rb"^size (\d+)", text, re.M)
            found[path] = int(size.group(1)) if size else 0
    return found


# -- history -----------------------------------------------------------------
class _History:
    """Blobs over LARGE_BLOB reachable from any ref, with the path they were first seen at.

    ``rev-list --objects --all | cat-file --batch-check`` runs as two processes
    joined by a pipe, read on a thread while the other commands run; a timer
    kills both at the deadline.
    """

    def __init__(self, root: str, prefix: str) -> None:
        self.timeout = HISTORY_TIMEOUT
        blobs_only = ("--filter=object:type=blob",) if _git_version() >= (2, 32) else ()
        self.rev = _popen(root, "rev-list", "--objects", "--all", "--missing=allow-any", *blobs_only)
        try:
            self.cat = _popen(root, "cat-file", "--buffer", _BATCH_CHECK, stdin=self.rev.stdout)
        except (GitMissing, OSError):
            self.rev.kill()
            self.rev.wait()
            raise
        assert self.rev.stdout is not None
        self.rev.stdout.close()  # cat owns the read end; rev gets SIGPIPE if cat dies
        self.found: list[tuple[bytes, int, str]] = []
        self.expired = threading.Event()
        self.timer = threading.Timer(self.timeout, self._kill)
        self.reader = threading.Thread(target=self._read, args=(prefix,), daemon=True)
        self.timer.daemon = True
        self.timer.start()
        self.reader.start()

    def _kill(self) -> None:
        self.expired.set()
        for proc in (self.rev, self.cat):
            proc.kill()

    def _read(self, prefix: str) -> None:
        assert self.cat.stdout is not None
        try:
            self.found = _large_lines(self.cat.stdout, prefix)
            self.timer.cancel()  # done in time, however long the caller takes to ask
        except (ValueError, OSError):
            self._kill()

    def result(self, head_shas: set[str]) -> tuple[list[GitBlob], str | None]:
        """Wait for the pipeline; the 200 largest blobs and a note if it timed out or failed."""
        self.reader.join()
        self.timer.cancel()
        rev_rc, cat_rc = self.rev.wait(), self.cat.wait()
        blobs = [GitBlob(os.fsdecode(p), size, sha, sha in head_shas) for p, size, sha in self.found]
        blobs.sort(key=lambda b: (-b.size, b.path))
        if self.expired.is_set():
            return blobs[:MAX_LARGE_BLOBS], f"history: stopped after {self.timeout:g}s, large_blobs incomplete"
        if rev_rc or cat_rc:
            return blobs[:MAX_LARGE_BLOBS], f"history: rev-list exit {rev_rc}, cat-file exit {cat_rc}"
        return blobs[:MAX_LARGE_BLOBS], None


@functools.lru_cache(maxsize=1)
def _git_version() -> tuple[int, int]:
    """(major, minor) of git; the blob-only rev-list filter (2.32+) cuts the history scan by a quarter."""
    m = re.search(rb"(\d+)\.(\d+)", _run(".", "version").stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _large_lines(stream: IO[bytes], prefix: str) -> list[tuple[bytes, int, str]]:
    """(target-relative path, size, sha) of large blobs under ``prefix`` in batch-check output."""
    want = (prefix + "/").encode("utf-8", "surrogateescape") if prefix else b""
    found = []
    for line in stream:
        if line.startswith(b"blob "):
            fields = line.rstrip(b"\n").split(b" ", 3)
            if len(fields) == 4 and int(fields[2]) > LARGE_BLOB and fields[3].startswith(want):
                found.append((fields[3][len(want):], int(fields[2]), fields[1].decode()))
    return found


# -- public ------------------------------------------------------------------
def _guard(errors: list[str], label: str, fn: Callable[..., T], *args: Any) -> T | None:
    """Run one fact-gathering step; a failure becomes a note in ``errors`` instead of an exception."""
    try:
        return fn(*args)
    except (GitMissing, subprocess.TimeoutExpired, OSError, RuntimeError, ValueError) as exc:
        detail = "timed out" if isinstance(exc, subprocess.TimeoutExpired) else (str(exc) or type(exc).__name__)
        errors.append(f"{label}: {detail}"[:300])
        return None


def collect_git(target: str) -> GitFacts:
    """Git facts of ``target`` (an absolute directory); never raises, never writes to the repository."""
    try:
        return _collect(target)
    except Exception as exc:  # a bug here must not abort a scan: report it as a git error
        return GitFacts(is_repo=False, error=f"git facts failed: {type(exc).__name__}: {exc}"[:300])


def _collect(target: str) -> GitFacts:
    if not os.path.isdir(target):
        return GitFacts(is_repo=False, error=f"not a directory: {target}")
    try:
        where = _locate(target)
    except GitMissing:
        return GitFacts(is_repo=False, error="git executable not found")
    except (subprocess.TimeoutExpired, OSError) as exc:
        return GitFacts(is_repo=False, error=f"git rev-parse failed: {type(exc).__name__}")
    if where is None or isinstance(where, str):
        return GitFacts(is_repo=False, error=where)
    root, prefix, shallow = where
    errors: list[str] = []
    head = _guard(errors, "head", _head, root)
    history = _guard(errors, "history", _History, root, prefix) \
        if head or _guard(errors, "refs", _has_refs, root) else None
    status = _guard(errors, "status", _popen, target, "status", "--porcelain", "-z", "--untracked-files=no",
                    "--ignore-submodules=dirty", "--", ".")
    tracked: dict[str, tuple[int, str]] = {}
    try:
        tracked = (_guard(errors, "ls-tree", _tracked, root, prefix) if head else None) or {}
        patterns = _guard(errors, "gitattributes", _lfs_patterns, root, prefix, tracked) or []
        pointers = _guard(errors, "lfs", _lfs_pointers, root, tracked, patterns) or {}
    finally:  # always reap the background processes
        dirty = _guard(errors, "status", _dirty, status) if status else None
        blobs, note = history.result({sha for _, sha in tracked.values()}) if history else ([], None)
    return GitFacts(
        is_repo=True, head=head, dirty=dirty, root=root, prefix=prefix,
        tracked={p: size for p, (size, _) in tracked.items()},
        lfs_patterns=tuple(patterns), lfs_files=tuple(sorted(pointers)), large_blobs=tuple(blobs),
        error="; ".join(errors + ([note] if note else [])) or None, shallow=shallow, lfs_sizes=pointers,
    )


def list_files(target: str) -> list[str] | None:
    """Target-relative paths git would consider (tracked + untracked-not-ignored); None if not a work tree.

    Milliseconds on large trees: git's index and ignore rules do the walking.
    Tracked files deleted from disk are still listed; nested repositories
    (``dir/`` entries) are dropped.
    """
    try:
        proc = _run(target, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (GitMissing, subprocess.TimeoutExpired, OSError):
        return None
    if proc.returncode != 0:
        return None
    paths = (os.fsdecode(p) for p in proc.stdout.split(b"\0") if p and not p.endswith(b"/"))
    return list(dict.fromkeys(paths))
