"""``mlops-audit rules``: the rule catalog, one rule explained, and seed traceability.

Everything printed comes from rule metadata (``REGISTRY``) and ``seeds.py``; the
explanation of one rule is the same Markdown as its generated docs page.
"""
from __future__ import annotations

import difflib
import json
import sys
from typing import Any

import click

__all__ = ["command", "find_rule"]

EXIT_USAGE = 2


def _rules() -> list[Any]:
    from ..rules import all_rules

    return all_rules()


def find_rule(query: str) -> Any | None:
    """A rule by id (any case) or by kebab name."""
    q = query.strip()
    for r in _rules():
        if r.meta.id == q.upper() or r.meta.name == q.lower():
            return r
    return None


def _suggest(query: str) -> str:
    rules = _rules()
    keys = {r.meta.id: r for r in rules} | {r.meta.name: r for r in rules}
    close = difflib.get_close_matches(query.upper(), [r.meta.id for r in rules], n=1, cutoff=0.6) or \
        difflib.get_close_matches(query.lower(), [r.meta.name for r in rules], n=1, cutoff=0.5)
    if close:
        m = keys[close[0]].meta
        return f" Did you mean {m.id} ({m.name})?"
    return " Run `mlops-audit rules` for the list."


def _is_tty() -> bool:
    return sys.stdout.isatty()


def _plain_table(headers: list[str], rows: list[list[str]]) -> str:
    """Aligned columns, nothing truncated (piped output stays greppable); the last column is not padded."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths[:-1] + [len(headers[-1])])]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def _rich(render: Any) -> str:
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=None if _is_tty() else 120)
    render(console)
    return buf.getvalue()


def _catalog(rules: list[Any], fmt: str) -> str:
    if fmt == "json":
        from ..docs_gen import rule_record

        return json.dumps([rule_record(r) for r in rules], indent=2) + "\n"
    headers = ["ID", "Name", "Area", "Severity", "Concept", "Title"]
    rows = [[r.meta.id, r.meta.name, r.meta.area, r.meta.severity.value, r.meta.concept or "", r.meta.title]
            for r in rules]
    footer = f"{len(rules)} rules. `mlops-audit rules ID` explains one; `--seeds` shows seed coverage.\n"
    if not _is_tty():
        return _plain_table(headers, rows) + footer

    def render(console: Any) -> None:
        from rich.table import Table

        table = Table(show_lines=False, header_style="bold")
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        console.print(footer.rstrip())
    return _rich(render)


def _explain(rule: Any, fmt: str) -> str:
    from ..docs_gen import rule_markdown, rule_record

    if fmt == "json":
        return json.dumps(rule_record(rule), indent=2) + "\n"
    text = rule_markdown(rule)
    if not _is_tty():
        return text

    def render(console: Any) -> None:
        from rich.markdown import Markdown

        console.print(Markdown(text))
    return _rich(render)


def _seeds(rules: list[Any], fmt: str) -> str:
    from ..seeds import summary, traceability

    rows = traceability(rules)
    s = summary(rows)
    if fmt == "json":
        return json.dumps({"summary": s, "items": [r.as_dict() for r in rows]}, indent=2) + "\n"
    headers = ["Item", "Status", "Covered by", "What"]
    table = [[r.id, r.status, "; ".join(list(r.rules) + [e for e, _ in r.coverage]) or "-", r.text] for r in rows]
    footer = (f"Coverage: {s['covered']}/{s['total']} items ({s['covered_percent']}%) covered; "
              f"{s['planned']} planned, {s['needs_evidence']} need evidence, {s['missing']} missing.\n")
    if not _is_tty():
        return _plain_table(headers, table) + footer

    def render(console: Any) -> None:
        from rich.table import Table

        t = Table(header_style="bold")
        for h in headers:
            t.add_column(h, overflow="fold")
        style = {"covered": "green", "planned": "yellow", "needs evidence": "cyan", "missing": "bold red"}
        for row in table:
            t.add_row(row[0], f"[{style[row[1]]}]{row[1]}[/]", row[2], row[3])
        console.print(t)
        console.print(footer.rstrip())
    return _rich(render)


@click.command("rules")
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["terminal", "json"]), default="terminal",
              help="terminal (a table, plain text when not a TTY) or json.")
@click.option("--seeds", is_flag=True, help="Show, for every seed checklist item, what covers it.")
@click.option("--area", "areas", multiple=True, help="Only rules of this area (repeatable).")
def command(rule_id: str | None, fmt: str, seeds: bool, areas: tuple[str, ...]) -> None:
    """List the rules, explain one, or trace the seed checklist.

    \b
    Examples:
      mlops-audit rules                        the catalog (id, name, area, severity, concept, title)
      mlops-audit rules LLM001                 one rule; an id or a name such as prompt-built-from-user-input
      mlops-audit rules --seeds                what covers each seed checklist item, with the coverage
      mlops-audit rules --area llm --format json
    """
    rules = _rules()
    if seeds:
        click.echo(_seeds(rules, fmt), nl=False)
        return
    if rule_id:
        rule = find_rule(rule_id)
        if rule is None:
            click.echo(f"error: unknown rule {rule_id!r}.{_suggest(rule_id)}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(_explain(rule, fmt), nl=False)
        return
    if areas:
        known = {r.meta.area for r in rules}
        unknown = [a for a in areas if a not in known]
        if unknown:
            click.echo(f"error: no rules in area {', '.join(unknown)}; areas: {', '.join(sorted(known))}", err=True)
            sys.exit(EXIT_USAGE)
        rules = [r for r in rules if r.meta.area in areas]
    click.echo(_catalog(rules, fmt), nl=False)
