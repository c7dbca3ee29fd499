"""The library entry point: ``audit(path, config) -> Report``. The CLI's only door."""
from __future__ import annotations

import os
import time
from typing import Callable

from . import __version__
from .collect import CollectOptions, collect
from .config import AuditConfig
from .detect import detect
from .model import Inspection, Report, SkippedFile, Target, ToolInfo

__all__ = ["audit"]


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
    facts = collect(target, CollectOptions(use_cache=config.use_cache, jobs=config.jobs,
                                           exclude=config.exclude_matcher(), progress=progress),
                    version=__version__)
    detection = detect(facts)
    from .engine import evaluate

    findings, areas, summary, recommendations, roadmap, notes = evaluate(facts, detection, config)
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
    return Report(
        tool=ToolInfo(version=__version__),
        target=Target(path=target, commit=facts.git.head, dirty=facts.git.dirty),
        inventory=detection.inventory, findings=findings, areas=areas, summary=summary,
        inspection=inspection, recommendations=recommendations, roadmap=roadmap,
    )
