"""Command line: parse -> api -> render -> write -> exit code. No policy here.

Exit codes: 0 clean, 1 the --fail-on gate tripped, 2 usage or configuration
error, 3 internal error.
"""
from __future__ import annotations

import sys

import click

from . import __version__

__all__ = ["main"]

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlops-audit")
def main() -> None:
    """Audit how production-ready an ML repository is, with evidence, and what to fix first."""


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False), default=".")
@click.option("--format", "formats", multiple=True, default=("terminal",),
              type=click.Choice(["terminal", "json", "sarif", "markdown", "html"]),
              help="Output format; repeat for several (pair each with --output).")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="File for the matching --format (default: standard output).")
@click.option("--no-cache", is_flag=True, help="Parse every file again; do not read or write the facts cache.")
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes for parsing (default: CPU count).")
@click.option("--verbose", "-v", is_flag=True, help="Show remediation and all evidence in the terminal view.")
def scan(path: str, formats: tuple[str, ...], outputs: tuple[str, ...], no_cache: bool, jobs: int | None,
         verbose: bool) -> None:
    """Audit the repository (or sub-folder) at PATH."""
    from .api import audit
    from .config import AuditConfig, ConfigError
    from .render import renderer

    if len(outputs) > len(formats):
        raise click.UsageError("more --output than --format values")
    try:
        config = AuditConfig(use_cache=not no_cache, jobs=jobs)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        report = audit(path, config)
    except Exception as exc:  # pragma: no cover - reported, not hidden
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    for i, fmt in enumerate(formats):
        target = outputs[i] if i < len(outputs) else None
        color = fmt == "terminal" and target is None and sys.stdout.isatty()
        text = renderer(fmt)(report, color=color, verbose=verbose)
        if target:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            click.echo(text, nl=False)
    sys.exit(EXIT_OK)


def _register_commands() -> None:
    """Sub-commands live in mlops_audit.commands.*; each module exposes ``command``."""
    import importlib
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        cmd = getattr(module, "command", None)
        if cmd is not None:
            main.add_command(cmd)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
