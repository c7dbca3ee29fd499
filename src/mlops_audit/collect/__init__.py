"""collect: the only stage that reads the audited repository.

One pass: list files, classify them by path, read and parse each parseable one
once (in parallel on large trees, reused from the cache when unchanged), and
gather git facts. The result is an immutable ``Facts``.
"""
from __future__ import annotations

import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .._records import record
from ..facts import (
    ConfigDoc, Dockerfile, Facts, FileEntry, GitFacts, LockFile, Manifest, Notebook, PyFile, Skipped,
    Suppression,
)
from .cache import FactsCache, digest
from .walk import classify, walk

__all__ = ["collect", "plan", "CollectPlan", "CollectOptions", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 5 * 1024 * 1024
_PARSED_KINDS = frozenset({"python", "notebook", "manifest", "lock", "config", "dockerfile", "prose", "prompt"})
_POOL_THRESHOLD = 120  # a process pool costs ~40 ms to start: it only pays on larger trees
_TEXT_NAMES = ("readme", "model_card", "modelcard", "model-card", "card", "rollback", "runbook",
               "slo", "deploy", "playbook", "incident", "monitoring")
_MAX_TEXT = 256 * 1024


@record()
class CollectOptions:
    use_cache: bool = True
    jobs: int | None = None
    exclude: Callable[[str], bool] | None = None
    progress: Callable[[int, int], None] | None = None


def _kind_functions():
    from . import configs, docker, manifests

    return manifests.manifest_kind, configs.config_candidate, docker.dockerfile_candidate


def _decode(raw: bytes, kind: str) -> tuple[str | None, str]:
    """Text of a file, or (None, reason). Python files may declare their encoding (PEP 263);
    UTF-16 with a byte-order mark (Windows `pip freeze > requirements.txt`) is text, not binary."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), ""
        except UnicodeDecodeError:
            return None, "encoding"
    if b"\0" in raw[:8192]:
        return None, "binary"
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        if kind == "python":
            import io
            import tokenize

            try:
                enc, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
                if enc.lower().replace("_", "-") not in ("utf-8", "utf-8-sig"):
                    return raw.decode(enc), ""
            except (SyntaxError, LookupError, UnicodeDecodeError):
                pass
        return None, "encoding"


def parse_text(kind: str, rel: str, text: str) -> Any:
    """Facts of one decoded file: dispatch on its kind. Pure: no I/O."""
    if kind == "python":
        from .python import parse_python

        py = parse_python(rel, text)
        if rel.rsplit("/", 1)[-1] == "setup.py":  # code and a manifest at once (literal install_requires only)
            from .manifests import parse_manifest

            return py, parse_manifest(rel, text)
        return py
    if kind == "notebook":
        from .notebooks import parse_notebook

        return parse_notebook(rel, text)
    if kind in ("manifest", "lock"):
        from .manifests import parse_manifest

        return parse_manifest(rel, text)
    if kind == "config":
        from .configs import parse_config

        docs = tuple(parse_config(rel, text))
        if any(d.kind == "conda_env" for d in docs):  # a conda environment whose name does not say so
            from .manifests import parse_conda_environment

            return docs + (parse_conda_environment(rel, text),)
        return docs
    if kind == "dockerfile":
        from .docker import parse_dockerfile

        return parse_dockerfile(rel, text)
    if kind in ("prose", "prompt"):
        base = rel.rsplit("/", 1)[-1].lower()
        if kind == "prompt" or any(base.startswith(n) or n in base for n in _TEXT_NAMES):
            return text[:_MAX_TEXT]
        return None
    return None


@record()
class WithSuppressions:
    """A file's facts plus its inline suppression comments (only for files that have any)."""

    value: Any
    suppressions: tuple[Suppression, ...]


def _work(job: tuple[str, str, str]) -> tuple[str, str, bytes, str]:
    """Read, decode and parse one file; facts come back pickled (they go to the cache as they are)."""
    kind, rel, full = job
    dig = ""
    try:
        with open(full, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        dig = digest(raw)
        if len(raw) > MAX_FILE_BYTES:
            value: Any = Skipped(rel, "size", f"over {MAX_FILE_BYTES // (1024 * 1024)} MB, not parsed")
        else:
            text, reason = _decode(raw, kind)
            if text is None:
                value = Skipped(rel, reason, "not valid UTF-8" if reason == "encoding" else "binary content")
            else:
                value = parse_text(kind, rel, text)
                if "mlops-audit:" in text:  # inline suppressions: the substring test keeps this free elsewhere
                    from ..suppress import extract

                    found = extract(kind, rel, text)
                    value = WithSuppressions(value, found) if found else value
    except OSError as exc:
        value = Skipped(rel, "unreadable", exc.strerror or type(exc).__name__)
    except Exception as exc:  # a parser bug on one file must not sink the audit
        value = Skipped(rel, "parse", f"{type(exc).__name__}: {exc}"[:200])
    return rel, kind, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), dig


def _run_jobs(jobs: list[tuple[str, str, str]], workers: int,
              progress: Callable[[int, int], None] | None) -> Iterable[tuple[str, str, bytes, str]]:
    if len(jobs) < _POOL_THRESHOLD or workers <= 1:
        for i, job in enumerate(jobs):
            yield _work(job)
            if progress and i % 50 == 0:
                progress(i, len(jobs))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # with multiprocessing: ~25 ms small trees never pay

    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    # large files first so the pool does not end on one straggler
    jobs = sorted(jobs, key=lambda j: -_size(j[2]))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
        for i, result in enumerate(pool.map(_work, jobs, chunksize=max(1, len(jobs) // (workers * 16)))):
            yield result
            if progress and i % 50 == 0:
                progress(i, len(jobs))


def _worker_init() -> None:
    """Parse workers build and drop acyclic trees: reference counting frees them, the cycle collector
    would only rescan them (a third of parse time)."""
    import gc

    gc.disable()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


@dataclass
class CollectPlan:
    """The file listing with stats and the cache, before any file is read.

    ``unchanged_key`` recognises a tree identical to the last audit (every
    file's stat matches the cache) so the caller can reuse that audit's result
    without reading or unpickling anything.
    """

    root: str
    options: CollectOptions
    version: str
    listing: Any
    cache: FactsCache
    entries: list[FileEntry]
    stats: dict[str, tuple[int, int]]
    skipped: list[Skipped]

    def unchanged_key(self, extra: str = "") -> str | None:
        import hashlib

        h = hashlib.sha256(f"{self.version}\0{self.root}\0{extra}".encode("utf-8", "surrogateescape"))
        for entry in self.entries:
            st = self.stats.get(entry.path)
            if st is None:
                h.update(f"{entry.path}\0{entry.kind}\0{entry.size}\n".encode("utf-8", "surrogateescape"))
                continue
            dig = self.cache.stat_digest(entry.path, st[0], st[1])
            if dig is None:
                return None
            h.update(f"{entry.path}\0{dig}\n".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def run(self, while_git_runs: Callable[[], None] | None = None) -> Facts:
        """Read and parse every changed file while git facts are gathered in the background.

        ``while_git_runs`` is called once the files are done and before waiting
        for git: on small trees git's subprocesses take longer than parsing, so
        the caller can overlap its own start-up work (importing later stages).
        """
        from .git import collect_git

        cache = self.cache
        results: dict[str, tuple[str, Any]] = {}
        jobs: list[tuple[str, str, str]] = []
        for entry in self.entries:
            st = self.stats.get(entry.path)
            if st is None:
                continue
            hit = cache.by_stat(entry.path, st[0], st[1])
            if hit is not None:
                results[entry.path] = hit
            else:
                jobs.append((entry.kind, entry.path, os.path.join(self.root, entry.path)))
        workers = self.options.jobs or min(os.cpu_count() or 1, 8)
        # git history scanning waits on git, not on us: overlap it with parsing
        with ThreadPoolExecutor(max_workers=1) as background:
            git_future = background.submit(collect_git, self.root)
            for rel, kind, blob, dig in _run_jobs(jobs, workers, self.options.progress):
                st = self.stats[rel]
                cache.put(rel, st[0], st[1], dig, kind, blob)
                results[rel] = (kind, pickle.loads(blob))
            cache.save()
            if while_git_runs is not None:
                while_git_runs()
            git = git_future.result()
        return _assemble(self.root, self.entries, list(self.skipped), results, git, cache.hits)


def plan(target: str, options: CollectOptions | None = None, version: str = "0") -> CollectPlan:
    """List and stat the files of ``target``; nothing is read yet."""
    options = options or CollectOptions()
    root = os.path.abspath(target)
    from .git import list_files

    manifest_kind, is_config, is_dockerfile = _kind_functions()
    listing = walk(root, git_lister=list_files, exclude_match=options.exclude)
    cache = FactsCache(root, version, enabled=options.use_cache)
    entries: list[FileEntry] = []
    skipped: list[Skipped] = list(listing.skipped)
    stats: dict[str, tuple[int, int]] = {}
    for rel in listing.files:
        kind = classify(rel, manifest_kind, is_config, is_dockerfile)
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            skipped.append(Skipped(rel, "unreadable", "cannot stat"))
            continue
        entries.append(FileEntry(rel, kind, st.st_size))
        if kind not in _PARSED_KINDS:
            continue
        if kind == "prose" and not any(n in rel.rsplit("/", 1)[-1].lower() for n in _TEXT_NAMES):
            continue
        stats[rel] = (st.st_size, st.st_mtime_ns)
    return CollectPlan(root, options, version, listing, cache, entries, stats, skipped)


def collect(target: str, options: CollectOptions | None = None, version: str = "0") -> Facts:
    """Facts of everything under ``target`` (a repository or a sub-folder of one)."""
    return plan(target, options, version).run()


def _assemble(root: str, entries: list[FileEntry], skipped: list[Skipped],
              results: dict[str, tuple[str, Any]], git: GitFacts, cached: int) -> Facts:
    python: list[PyFile] = []
    notebooks: list[Notebook] = []
    manifests: list[Manifest] = []
    locks: list[LockFile] = []
    configs: list[ConfigDoc] = []
    dockerfiles: list[Dockerfile] = []
    texts: dict[str, str] = {}
    suppressions: dict[str, tuple[Suppression, ...]] = {}
    for rel in sorted(results):
        kind, value = results[rel]
        if isinstance(value, WithSuppressions):
            suppressions[rel] = value.suppressions
            value = value.value
        if isinstance(value, Skipped):
            skipped.append(value)
            continue
        if kind == "python":
            if isinstance(value, tuple):
                value, (manifest, _lock) = value
                if manifest is not None:
                    manifests.append(manifest)
            python.append(value)
            if value.syntax_error:
                skipped.append(Skipped(rel, "syntax", f"line {value.syntax_error_line}: {value.syntax_error}"))
        elif kind == "notebook":
            notebooks.append(value)
            if value.error:
                skipped.append(Skipped(rel, "parse", value.error))
        elif kind in ("manifest", "lock"):
            manifest, lock = value
            if manifest is not None:
                manifests.append(manifest)
                if manifest.error:
                    skipped.append(Skipped(rel, "parse", manifest.error))
            if lock is not None:
                locks.append(lock)
        elif kind == "config":
            if value and isinstance(value[-1], Manifest):
                manifests.append(value[-1])
                value = value[:-1]
            for doc in value:
                if doc.error:
                    skipped.append(Skipped(rel, "data" if doc.kind == "data" else "parse", doc.error))
                else:
                    configs.append(doc)
        elif kind == "dockerfile":
            dockerfiles.append(value)
        elif kind in ("prose", "prompt") and isinstance(value, str):
            texts[rel] = value
    return Facts(
        root=root, files=tuple(entries), python=tuple(python), notebooks=tuple(notebooks),
        manifests=tuple(manifests), locks=tuple(locks), configs=tuple(configs),
        dockerfiles=tuple(dockerfiles), git=git, skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        texts=texts, cached_files=cached, suppressions=suppressions,
    )
