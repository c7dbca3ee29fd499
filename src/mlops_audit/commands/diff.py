"""``mlops-audit diff OLD.json NEW.json``: what changed between two JSON reports.

New findings (fingerprint only in NEW), fixed findings (only in OLD), and the
movement of verdict, maturity, automation level and area scores. Findings are
matched by fingerprint, which survives line shifts, so moved code is neither
new nor fixed. Output as terminal text, JSON or Markdown (for a PR comment);
``--fail-on`` exits 1 when a new finding is at or above that severity.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

__all__ = ["command", "compare", "load_report", "render_terminal", "render_markdown"]

_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


class ReportError(ValueError):
    """An input that is not a JSON report of mlops-audit."""


def load_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ReportError(f"{path}: not JSON ({exc}); write reports with `mlops-audit scan --format json`") from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list) or "schema_version" not in data:
        raise ReportError(f"{path}: not an mlops-audit JSON report (no schema_version/findings)")
    return data


def _key(f: dict[str, Any]) -> str:
    loc = f.get("location") or {}
    return f.get("fingerprint") or f"{f.get('rule')}\0{loc.get('path', '.')}\0{f.get('message', '')}"


def _brief(f: dict[str, Any]) -> dict[str, Any]:
    loc = f.get("location") or None
    return {"rule": f.get("rule"), "severity": f.get("severity"), "area": f.get("area"), "title": f.get("title"),
            "message": f.get("message"), "location": loc, "fingerprint": f.get("fingerprint", "")}


def _sorted(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (-_RANK.get(f.get("severity", "info"), 0), f.get("rule", ""),
                                           (f.get("location") or {}).get("path", ""),
                                           (f.get("location") or {}).get("line") or 0))


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The difference between two reports, as a JSON-ready dict."""
    old_keys = {_key(f) for f in old["findings"]}
    new_keys = {_key(f) for f in new["findings"]}
    added = _sorted([_brief(f) for f in new["findings"] if _key(f) not in old_keys])
    fixed = _sorted([_brief(f) for f in old["findings"] if _key(f) not in new_keys])
    os_, ns = old.get("summary") or {}, new.get("summary") or {}
    om, nm = os_.get("maturity") or {}, ns.get("maturity") or {}
    areas = {}
    old_areas, new_areas = old.get("areas") or {}, new.get("areas") or {}
    for area in list(dict.fromkeys([*old_areas, *new_areas])):
        a, b = old_areas.get(area) or {}, new_areas.get(area) or {}
        if (a.get("status"), a.get("score")) != (b.get("status"), b.get("score")):
            delta = None
            if a.get("applicable") and b.get("applicable"):
                delta = round(float(b.get("score", 0)) - float(a.get("score", 0)), 1)
            areas[area] = {"old": {"status": a.get("status"), "score": a.get("score")},
                           "new": {"status": b.get("status"), "score": b.get("score")}, "delta": delta}
    return {
        "old": {"path": (old.get("target") or {}).get("path"), "commit": (old.get("target") or {}).get("commit")},
        "new": {"path": (new.get("target") or {}).get("path"), "commit": (new.get("target") or {}).get("commit")},
        "verdict": {"old": os_.get("verdict"), "new": ns.get("verdict")},
        "maturity": {"old": {"score": om.get("score"), "max": om.get("max"), "level": om.get("level")},
                     "new": {"score": nm.get("score"), "max": nm.get("max"), "level": nm.get("level")}},
        "automation_level": {"old": os_.get("automation_level"), "new": ns.get("automation_level")},
        "counts": {"old": os_.get("counts") or {}, "new": ns.get("counts") or {}},
        "areas": areas,
        "new_findings": added,
        "fixed_findings": fixed,
        "unchanged_findings": len(new_keys & old_keys),
    }


def _loc(f: dict[str, Any]) -> str:
    loc = f.get("location")
    if not loc:
        return "(repository)"
    out = loc.get("path", "")
    if loc.get("cell") is not None:
        out += f" [cell {loc['cell']}]"
    if loc.get("line"):
        out += f":{loc['line']}"
    return out


def _arrow(old: Any, new: Any) -> str:
    return f"{old} (unchanged)" if old == new else f"{old} -> {new}"


def _maturity(m: dict[str, Any]) -> str:
    return f"{m.get('score')}/{m.get('max')} {m.get('level')}" if m.get("score") is not None else "n/a"


def _commit(side: dict[str, Any]) -> str:
    return f"{side.get('path')}" + (f" @ {side['commit'][:10]}" if side.get("commit") else "")


def render_terminal(d: dict[str, Any], color: bool = False) -> str:
    import io

    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    import os

    console = Console(file=buf, force_terminal=color, no_color=not color or "NO_COLOR" in os.environ, width=110,
                      highlight=False, soft_wrap=False)
    console.print(Text(f"mlops-audit diff: {_commit(d['old'])} -> {_commit(d['new'])}", style="bold"))
    console.print(f"Verdict:    {_arrow(d['verdict']['old'], d['verdict']['new'])}")
    console.print(f"Maturity:   {_arrow(_maturity(d['maturity']['old']), _maturity(d['maturity']['new']))}")
    console.print(f"Automation: {_arrow(d['automation_level']['old'], d['automation_level']['new'])}")
    if d["areas"]:
        console.print(Text("Areas changed", style="bold underline"))
        for area, ch in d["areas"].items():
            delta = f" ({ch['delta']:+.1f})" if ch["delta"] is not None else ""
            console.print(f"  {area}: {ch['old']['status']} {ch['old']['score']} -> "
                          f"{ch['new']['status']} {ch['new']['score']}{delta}")
    for title, key, style in (("New findings", "new_findings", "bold red"), ("Fixed findings", "fixed_findings",
                                                                              "bold green")):
        items = d[key]
        console.print(Text(f"{title} ({len(items)})", style=style))
        for f in items:
            t = Text(f"  {str(f['severity']).upper():8} ")
            t.append(str(f["rule"]), style="bold")
            t.append(f" {_loc(f)}  ", style="underline")
            t.append(str(f.get("message") or f.get("title") or ""))
            console.print(t)
    console.print(Text(f"Unchanged findings: {d['unchanged_findings']}", style="dim"))
    return buf.getvalue()


def render_markdown(d: dict[str, Any]) -> str:
    from ..render.markdown import cell

    out = [f"## mlops-audit diff: {len(d['new_findings'])} new, {len(d['fixed_findings'])} fixed", ""]
    out += ["| | Before | After |", "|---|---|---|",
            f"| Verdict | `{d['verdict']['old']}` | `{d['verdict']['new']}` |",
            f"| Maturity | {_maturity(d['maturity']['old'])} | {_maturity(d['maturity']['new'])} |",
            f"| Automation level | {d['automation_level']['old']} | {d['automation_level']['new']} |"]
    for area, ch in d["areas"].items():
        delta = f" ({ch['delta']:+.1f})" if ch["delta"] is not None else ""
        out.append(f"| Area {area} | {ch['old']['status']} {ch['old']['score']} | "
                   f"{ch['new']['status']} {ch['new']['score']}{delta} |")
    out.append("")
    for title, key in (("New findings", "new_findings"), ("Fixed findings", "fixed_findings")):
        items = d[key]
        out.append(f"### {title} ({len(items)})")
        out.append("")
        if not items:
            out.append("None.")
        else:
            out += ["| Severity | Rule | Location | Finding |", "|---|---|---|---|"]
            for f in items[:50]:
                out.append(f"| {f['severity']} | `{f['rule']}` | `{_loc(f)}` | "
                           f"{cell(str(f.get('message') or f.get('title') or ''))} |")
            if len(items) > 50:
                out.append(f"\n... and {len(items) - 50} more.")
        out.append("")
    out.append(f"<sub>{d['unchanged_findings']} findings unchanged</sub>")
    return "\n".join(out) + "\n"


@click.command(name="diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["terminal", "json", "markdown"]), default="terminal",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low"]),
              help="Exit 1 when a NEW finding is at or above this severity.")
def command(old: str, new: str, fmt: str, output: str | None, fail_on: str | None) -> None:
    """Compare two JSON reports (mlops-audit scan --format json): new and fixed findings, and how the
    verdict, maturity, automation level and area scores moved.

    \b
    Exit codes: 0 done, 1 a new finding at or above --fail-on,
    2 unreadable input, 3 internal error.
    """
    try:
        d = compare(load_report(old), load_report(new))
    except ReportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        if fmt == "json":
            text = json.dumps(d, indent=2) + "\n"
        elif fmt == "markdown":
            text = render_markdown(d)
        else:
            text = render_terminal(d, color=output is None and sys.stdout.isatty())
    except Exception as exc:  # pragma: no cover - a bug
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(3)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
    else:
        click.echo(text, nl=False)
    floor = _RANK[fail_on] if fail_on else None
    tripped = floor is not None and any(_RANK.get(f.get("severity") or "info", 0) >= floor for f in d["new_findings"])
    sys.exit(1 if tripped else 0)
