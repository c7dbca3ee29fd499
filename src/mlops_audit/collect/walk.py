"""List and classify the files of a target, the way a reviewer would see them.

In a git work tree ``git ls-files`` gives the list in milliseconds and already
honours every .gitignore; elsewhere an ``os.walk`` applies the .gitignore files
it meets (nested ones too) through pathspec. Vendored and generated trees are
excluded either way, and no symlink is followed out of the target.
"""
from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Callable, Iterable

from .._records import record
from ..facts import Skipped

__all__ = ["DEFAULT_EXCLUDED_DIRS", "WalkResult", "walk", "classify", "MODEL_EXTENSIONS", "DATA_EXTENSIONS"]

DEFAULT_EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "virtualenv", "site-packages",
    "node_modules", "build", "dist", ".tox", ".nox", "third_party", "third-party", "vendor",
    "vendored", "_vendor", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs",
    ".ipynb_checkpoints", ".cache", ".idea", ".dvc/cache", "wandb", "mlruns", "lightning_logs",
})

MODEL_EXTENSIONS = frozenset({
    ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras", ".pkl", ".pickle", ".joblib", ".onnx",
    ".safetensors", ".pb", ".tflite", ".mlmodel", ".bin", ".gguf", ".ggml", ".sav", ".model",
})
DATA_EXTENSIONS = frozenset({
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".jsonl", ".npy", ".npz", ".xlsx",
    ".xls", ".avro", ".orc", ".tfrecord", ".zip", ".tar", ".gz", ".xml",
})
PROSE_EXTENSIONS = frozenset({".md", ".rst", ".txt", ".markdown"})
PROMPT_EXTENSIONS = frozenset({".prompt", ".j2", ".jinja", ".jinja2", ".tmpl", ".mustache"})
_PROMPT_TEXT = PROMPT_EXTENSIONS | {".txt", ".md"}
# .bin is a weights file only when named like one; plain .bin is often something else.
_WEIGHT_BIN_HINTS = ("model", "weight", "pytorch_model", "adapter", "ckpt", "checkpoint")


@record()
class WalkResult:
    files: tuple[str, ...]          # target-relative POSIX paths, sorted
    skipped: tuple[Skipped, ...]
    via_git: bool


def _excluded_dir(parts: Iterable[str], extra: frozenset[str]) -> bool:
    for part in parts:
        if part in DEFAULT_EXCLUDED_DIRS or part in extra or part.endswith(".egg-info"):
            return True
    return False


def _inside(root_real: str, path: str) -> bool:
    try:
        real = os.path.realpath(path)
    except OSError:
        return False
    return real == root_real or real.startswith(root_real + os.sep)


def walk(root: str, git_lister: Callable[[str], list[str] | None] | None = None,
         extra_excluded: frozenset[str] = frozenset(),
         exclude_match: Callable[[str], bool] | None = None) -> WalkResult:
    """Every file worth a look under ``root``; excluded ones recorded when they are notable."""
    root = os.path.abspath(root)
    root_real = os.path.realpath(root)
    listed = git_lister(root) if git_lister else None
    skipped: list[Skipped] = []
    if listed is None:
        candidates = list(_os_walk(root, root_real, extra_excluded, skipped))
        via_git = False
    else:
        candidates = listed
        via_git = True
    files: list[str] = []
    listed_set: set[str] | None = None  # built on the first in-target file symlink
    for rel in candidates:
        parts = rel.split("/")
        if _excluded_dir(parts[:-1], extra_excluded):
            continue
        if exclude_match is not None and exclude_match(rel):
            skipped.append(Skipped(rel, "ignored", "excluded by configuration"))
            continue
        full = os.path.join(root, rel)
        if os.path.islink(full):
            if not _inside(root_real, full):
                skipped.append(Skipped(rel, "symlink", "points outside the target"))
                continue
            if os.path.isdir(full):
                continue
            if listed_set is None:
                listed_set = set(candidates)
            real_rel = os.path.relpath(os.path.realpath(full), root_real).replace(os.sep, "/")
            if real_rel != rel and real_rel in listed_set:
                skipped.append(Skipped(rel, "symlink", f"same file as {real_rel}"))
                continue  # read once, under its real path: a linked copy must not double its findings
        elif via_git and not os.path.isfile(full):
            continue  # deleted in the work tree, or a submodule
        files.append(rel)
    files.sort()
    return WalkResult(tuple(files), tuple(skipped), via_git)


def _os_walk(root: str, root_real: str, extra: frozenset[str], skipped: list[Skipped]):
    """os.walk with nested .gitignore files applied through pathspec (loaded only when one exists)."""
    specs: list[tuple[str, object]] = []  # (dir prefix, spec)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            spec = _load_gitignore(os.path.join(dirpath, ".gitignore"))
            if spec is not None:
                specs.append((rel_dir, spec))
        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in DEFAULT_EXCLUDED_DIRS or d in extra or d.endswith(".egg-info"):
                continue
            if os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg")):
                continue  # a virtualenv under any name
            if os.path.islink(os.path.join(dirpath, d)):
                continue  # never descend through directory symlinks: no loops, no escapes
            if _ignored(specs, rel + "/"):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if _ignored(specs, rel):
                continue
            yield rel


def _load_gitignore(path: str):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    import pathspec  # lazily: git work trees never need it

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # a malformed pattern must not stop the audit
        return None


def _ignored(specs: list[tuple[str, object]], rel: str) -> bool:
    for prefix, spec in specs:
        if prefix and not rel.startswith(prefix + "/"):
            continue
        sub = rel[len(prefix) + 1:] if prefix else rel
        if spec.match_file(sub):  # type: ignore[attr-defined]
            return True
    return False


def classify(rel: str, manifest_kind: Callable[[str], str | None],
             is_config: Callable[[str], bool], is_dockerfile: Callable[[str], bool]) -> str:
    """The kind of a file, from its path alone."""
    p = PurePosixPath(rel)
    suffix = p.suffix.lower()
    name = p.name
    if suffix == ".py":
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    mk = manifest_kind(rel)
    if mk is not None:
        return "lock" if mk == "lock" else "manifest"
    if is_dockerfile(rel):
        return "dockerfile"
    if suffix in MODEL_EXTENSIONS and (suffix != ".bin" or any(h in name.lower() for h in _WEIGHT_BIN_HINTS)):
        return "model"
    if suffix == ".prompt" or ("prompt" in rel.lower() and suffix in _PROMPT_TEXT):
        return "prompt"
    if is_config(rel):
        return "config"
    if suffix in PROMPT_EXTENSIONS:
        return "template"
    if suffix in PROSE_EXTENSIONS:
        return "prose"
    if suffix in DATA_EXTENSIONS:
        return "data"
    return "other"
