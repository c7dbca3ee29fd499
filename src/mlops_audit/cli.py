"""Command line: parse -> api -> render -> write -> exit code. No policy here.

Exit codes: 0 clean, 1 the --fail-on gate tripped, 2 usage or configuration
error, 3 internal error.
"""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from . import __version__

__all__ = ["main"]

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _command_modules() -> list[str]:
    """The sub-command modules: mlops_audit.commands.NAME, each exposing ``command`` named NAME."""
    import pkgutil

    from . import commands

    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


class _Group(click.Group):
    """``scan`` plus the sub-commands of mlops_audit.commands, imported only when named or listed:
    a scan does not pay for the modules of the other commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_command_modules()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _command_modules():
            import importlib

            self.add_command(importlib.import_module(f"{__package__}.commands.{cmd_name}").command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlops-audit")
def main() -> None:
    """Audit how production-ready an ML repository is, with evidence, and what to fix first."""


_SCAN_HELP = """Audit the repository (or sub-folder) at PATH.

Configuration comes from .mlops-audit.toml or [tool.mlops-audit] in
PATH/pyproject.toml (or --config FILE); options given here override it.
Pair each --format with an --output file, in order; at most one format
goes to standard output.

\b
Exit codes:
  0  clean: no finding at or above --fail-on (or no gate set)
  1  the gate tripped: a finding at or above --fail-on
  2  usage or configuration error (bad option, config key, baseline)
  3  internal error (a bug: please report it)

\b
Examples:
  mlops-audit scan . --fail-on high
  mlops-audit scan . --format sarif -o mlops-audit.sarif --format markdown -o summary.md
  mlops-audit scan . --write-baseline .mlops-audit-baseline.json
  mlops-audit scan . --baseline .mlops-audit-baseline.json --fail-on medium
  mlops-audit scan . --area serving --area monitoring
"""


class _Progress:
    """A transient progress bar on standard error, shown only once a scan has taken a second."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled
        self.started = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if not self.enabled or (self.bar is None and time.monotonic() - self.started < 1.0):
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("parsing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("parse", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _progress_enabled(quiet: bool) -> bool:
    import os

    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb" and "CI" not in os.environ


def _fail(code: int, message: str) -> "NoReturn":
    click.echo(message, err=True)
    sys.exit(code)


@main.command(help=_SCAN_HELP)
@click.argument("path", type=click.Path(exists=True, file_okay=False), default=".")
@click.option("--format", "formats", multiple=True,
              type=click.Choice(["terminal", "json", "sarif", "markdown", "html"]),
              help="Output format (default terminal); repeat for several, each paired with an --output.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="File for the matching --format ('-' or none: standard output).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file (default: PATH/.mlops-audit.toml, else [tool.mlops-audit] in PATH/pyproject.toml).")
@click.option("--select", multiple=True, metavar="IDS",
              help="Only these rule ids or prefixes (comma-separated or repeated); replaces the configured select.")
@click.option("--ignore", multiple=True, metavar="IDS",
              help="Skip these rule ids or prefixes; adds to the configured ignore.")
@click.option("--area", "areas", multiple=True, metavar="AREA",
              help="Targeted audit: only these areas (repeatable), e.g. --area serving --area monitoring.")
@click.option("--stakes", type=click.Choice(["high", "medium", "low"]),
              help="How much is at stake (default: configured, else detected); low demotes severities one level.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this glob; adds to the configured exclude.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low"]),
              help="Exit 1 when a reported finding is at or above this severity.")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Report only findings whose fingerprint is not in this baseline (or earlier JSON report).")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Write the fingerprints of every current finding to this file (the gate is not applied).")
@click.option("--no-cache", is_flag=True, help="Parse every file again; do not read or write the facts cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for parsing (default: CPU count).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no gate summary on standard error.")
@click.option("--verbose", "-v", is_flag=True, help="Show remediation and all evidence in the terminal view.")
def scan(path: str, formats: tuple[str, ...], outputs: tuple[str, ...], config_file: str | None,
         select: tuple[str, ...], ignore: tuple[str, ...], areas: tuple[str, ...], stakes: str | None,
         exclude: tuple[str, ...], fail_on: str | None, baseline: str | None, write_baseline: str | None,
         no_cache: bool, jobs: int | None, quiet: bool, verbose: bool) -> None:
    try:
        _scan(path, formats or ("terminal",), outputs, config_file, select, ignore, areas, stakes, exclude, fail_on,
              baseline, write_baseline, no_cache, jobs, quiet, verbose)
    except SystemExit:
        raise
    except click.ClickException:
        raise
    except Exception as exc:  # a bug: say so, distinctly from findings and usage errors
        import os
        import traceback

        if verbose or os.environ.get("MLOPS_AUDIT_DEBUG"):
            traceback.print_exc()
        _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc}\n"
                             "This is a bug in mlops-audit; rerun with --verbose for the traceback and report it.")


def _scan(path: str, formats: tuple[str, ...], outputs: tuple[str, ...], config_file: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], areas: tuple[str, ...], stakes: str | None,
          exclude: tuple[str, ...], fail_on: str | None, baseline_file: str | None, write_baseline: str | None,
          no_cache: bool, jobs: int | None, quiet: bool, verbose: bool) -> None:
    import dataclasses

    from .api import audit
    from .baseline import apply_baseline, gate_findings, load_baseline, render_baseline
    from .config import ConfigError, load_config, with_overrides
    from .render import renderer

    if len(outputs) > len(formats):
        raise click.UsageError("more --output than --format values: pair each --output with a --format")
    targets = [outputs[i] if i < len(outputs) and outputs[i] != "-" else None for i in range(len(formats))]
    if sum(t is None for t in targets) > 1:
        raise click.UsageError("several formats would go to standard output: give each but one an --output file")
    try:
        config = load_config(path, config_file)
        config = with_overrides(config, select=select, ignore=ignore, stakes=stakes, areas=areas, fail_on=fail_on,
                                baseline=baseline_file, exclude=exclude)
        config = dataclasses.replace(config, use_cache=config.use_cache and not no_cache, jobs=jobs)
        baseline = None
        if config.baseline and not (write_baseline and not _exists(config.baseline)):
            baseline = load_baseline(config.baseline)
    except ConfigError as exc:
        _fail(EXIT_USAGE, f"error: {exc}")

    progress = _Progress(_progress_enabled(quiet))
    try:
        report = audit(path, config, progress=progress)
    finally:
        progress.close()

    if write_baseline:
        _write(write_baseline, render_baseline(report.findings))
        if not quiet:
            click.echo(f"mlops-audit: wrote {len(report.findings)} finding fingerprints to {write_baseline}", err=True)
    if baseline is not None:
        report = apply_baseline(report, baseline)

    for fmt, target in zip(formats, targets):
        try:
            text = renderer(fmt)(report, color=fmt == "terminal" and target is None and sys.stdout.isatty(),
                                 verbose=verbose)
        except ConfigError as exc:
            _fail(EXIT_USAGE, f"error: {exc}")
        if target:
            _write(target, text)
        else:
            click.echo(text, nl=False)

    tripped = [] if write_baseline else gate_findings(report, config.fail_on)
    if not quiet and not write_baseline and (config.fail_on or baseline is not None):
        s = report.summary
        extra = "".join([f", {s.baselined} baselined" if s and s.baselined else "",
                         f", {s.suppressed} suppressed" if s and s.suppressed else ""])
        verdict = "no gate (--fail-on)"
        if config.fail_on:
            verdict = (f"gate tripped: {len(tripped)} finding{'s' if len(tripped) != 1 else ''} at or above "
                       f"{config.fail_on}" if tripped else f"gate passed: nothing at or above {config.fail_on}")
        click.echo(f"mlops-audit: {len(report.findings)} findings{extra}; {verdict}", err=True)
    sys.exit(EXIT_GATE if tripped else EXIT_OK)


def _exists(path: str) -> bool:
    import os

    return os.path.exists(path)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        _fail(EXIT_USAGE, f"error: cannot write {path}: {exc.strerror or exc}")


if __name__ == "__main__":  # pragma: no cover
    main()
