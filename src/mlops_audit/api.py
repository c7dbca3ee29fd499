"""The library entry point: ``audit(path, config) -> Report``. The CLI's only door."""
from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Callable

from . import __version__
from .collect import CollectOptions, plan
from .collect.cache import code_fingerprint
from .collect.gitstate import git_state
from .config import AuditConfig
from .model import Inspection, Report, SkippedFile, Target, ToolInfo

__all__ = ["audit"]


def _memo_extra(target: str, config: AuditConfig) -> str:
    """Everything besides file contents that decides the report: git state, configuration, tool code."""
    return f"{git_state(target)}\0{config!r}\0{code_fingerprint()}"


def _read_memo(text: str | None) -> Report | None:
    """The memoised report, or None when there is none or it does not read back (corrupt, older contract)."""
    if text is None:
        return None
    try:
        return Report.from_json(text)
    except ValueError:
        return None


def audit(path: str | os.PathLike[str], config: AuditConfig | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    """Audit the repository (or sub-folder) at ``path`` statically and return the report.

    Nothing in the target is executed, imported or modified.
    """
    config = config or AuditConfig()
    started = time.perf_counter()
    target = os.fspath(path)
    if not os.path.isdir(target):
        raise NotADirectoryError(f"not a directory: {target}")
    collect_plan = plan(target, CollectOptions(use_cache=config.use_cache, jobs=config.jobs,
                                               exclude=config.exclude_matcher(), progress=progress),
                        version=__version__)
    # git state is read once: the memo written at the end keys on the state the audit started from
    memo_extra = _memo_extra(target, config) if config.use_cache else ""
    memo_key = collect_plan.unchanged_key(extra=memo_extra) if config.use_cache else None
    if memo_key is not None:
        report = _read_memo(collect_plan.cache.read_memo(memo_key))
        if report is not None:
            inspection = replace(report.inspection, duration_seconds=round(time.perf_counter() - started, 3),
                                 cached_files=len(collect_plan.stats))
            return replace(report, inspection=inspection, target=replace(report.target, path=target))
    import gc

    # facts are a large, acyclic heap: keep the cycle collector from rescanning it while it is
    # built and on every rule that walks it (a third of rule time on large trees otherwise)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        facts = collect_plan.run(while_git_runs=_import_stages)
        gc.freeze()
        if was_enabled:
            gc.enable()
        return _finish(target, config, collect_plan, facts, started, memo_extra)
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _import_stages() -> None:
    """Load detect/ and the rules (a tenth of a small scan) while git's subprocesses run."""
    from . import detect  # noqa: F401
    from .rules import load_all

    load_all()


def _finish(target: str, config: AuditConfig, collect_plan, facts, started: float, memo_extra: str) -> Report:
    from .detect import detect
    from .engine import evaluate

    detection = detect(facts)
    findings, areas, summary, recommendations, roadmap, principles, notes = evaluate(facts, detection, config)
    files_by_kind: dict[str, int] = {}
    for f in facts.files:
        files_by_kind[f.kind] = files_by_kind.get(f.kind, 0) + 1
    inspection = Inspection(
        files_by_kind=dict(sorted(files_by_kind.items())),
        skipped=[SkippedFile(path=s.path, reason=s.reason, detail=s.detail) for s in facts.skipped],
        notes=([f"git: {facts.git.error}"] if facts.git.error else []) + notes,
        duration_seconds=round(time.perf_counter() - started, 3),
        cached_files=facts.cached_files,
    )
    report = Report(
        tool=ToolInfo(version=__version__),
        target=Target(path=target, commit=facts.git.head, dirty=facts.git.dirty),
        inventory=detection.inventory, findings=findings, areas=areas, summary=summary,
        inspection=inspection, recommendations=recommendations, roadmap=roadmap, principles=principles,
    )
    if config.use_cache:
        key = collect_plan.unchanged_key(extra=memo_extra)
        if key is not None:
            collect_plan.cache.write_memo(key, report.to_json(indent=None))
    return report
