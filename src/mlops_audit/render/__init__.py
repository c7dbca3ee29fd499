"""render: Report -> text. Renderers only format; every number they show is in the Report.

Each format is a pure ``render(report) -> str``; writing files is the CLI's job.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["FORMATS", "renderer"]

FORMATS = ("terminal", "json", "sarif", "markdown", "html")


def renderer(fmt: str) -> Callable[..., str]:
    """The render function of a format, imported lazily (html pulls jinja2, terminal pulls rich)."""
    import importlib

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{'json_report' if fmt == 'json' else fmt}")
    return module.render  # type: ignore[no-any-return]
