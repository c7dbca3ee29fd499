"""Inline suppressions: ``# mlops-audit: ignore[ID] -- reason``.

A finding is silenced by a comment naming its rule (or a rule-id prefix such
as ``SEC``) on the flagged line, or on a comment line of its own directly
above it (Dockerfiles allow nothing else). Several ids go in one pair of
brackets: ``ignore[SEC001,REP002]``. The reason after `` -- `` is required:
a suppression without one silences nothing and is itself reported (AUT900),
and so is a suppression that silenced nothing (AUT901). Suppressed findings
are counted in ``summary.suppressed``, never silently dropped.

Two halves, both pure: ``extract`` turns one file's text into ``Suppression``
facts (collect/ calls it, only for files that contain ``mlops-audit:``), and
``apply_suppressions`` matches findings against them after the rules ran.
"""
from __future__ import annotations

import io
import json
import tokenize
from typing import TYPE_CHECKING, Collection, Iterable, Iterator, Mapping

from ._patterns import lazy
from .facts import Suppression

if TYPE_CHECKING:  # collect/ imports this module in worker processes: keep it light
    from .model import Finding
    from .rules._base import Hit

__all__ = ["MARK", "extract", "apply_suppressions", "invalid_hits", "parse_directive", "INVALID_SUPPRESSION",
           "UNUSED_SUPPRESSION"]

MARK = "mlops-audit:"
INVALID_SUPPRESSION = "AUT900"
UNUSED_SUPPRESSION = "AUT901"
_COMMENT_KINDS = frozenset({"python", "notebook", "manifest", "lock", "config", "dockerfile"})
_DIRECTIVE = lazy(r"mlops-audit:\s*(?P<verb>[A-Za-z-]*)\s*(?:\[(?P<ids>[^\]]*)\])?(?P<rest>.*)$")
_ID = lazy(r"^[A-Z]{3}\d{0,3}$")
_FORM = "`# mlops-audit: ignore[RULE-ID] -- reason`"


def parse_directive(comment: str) -> tuple[tuple[str, ...], str, str]:
    """(ids, reason, error) of one comment text that contains ``mlops-audit:``."""
    m = _DIRECTIVE.search(comment)
    if m is None:  # pragma: no cover - callers check MARK first
        return (), "", f"not a suppression; write {_FORM}"
    if m.group("verb") != "ignore" or m.group("ids") is None:
        return (), "", f"malformed suppression; write {_FORM}"
    ids = tuple(dict.fromkeys(part.strip() for part in m.group("ids").split(",") if part.strip()))
    bad = [i for i in ids if not _ID.match(i)]
    if not ids or bad:
        what = f"'{bad[0]}' is not a rule id or prefix" if bad else "no rule id between the brackets"
        return ids, "", f"malformed suppression: {what}; write {_FORM}"
    rest = m.group("rest").strip()
    if not rest:
        return ids, "", ""
    if not rest.startswith("--"):
        return ids, "", f"malformed suppression: put the reason after ' -- '; write {_FORM}"
    return ids, rest[2:].strip(), ""


def extract(kind: str, path: str, text: str) -> tuple[Suppression, ...]:
    """Every suppression comment in one file's text (a notebook's: per code cell)."""
    if MARK not in text or kind not in _COMMENT_KINDS or path.endswith(".json") and kind != "notebook":
        return ()
    if kind == "notebook":
        return tuple(_notebook(text))
    if kind == "python":
        return tuple(_python(text))
    return tuple(_plain(text))


def _make(comment: str, line: int, lines: list[str], standalone: bool, cell: int | None) -> Suppression:
    ids, reason, error = parse_directive(comment)
    return Suppression(line=line, ids=ids, reason=reason, error=error, cell=cell,
                       target=_next_code_line(lines, line) if standalone else line)


def _next_code_line(lines: list[str], line: int) -> int:
    """The first line after ``line`` (1-based) that is neither blank nor a comment."""
    for i in range(line, len(lines)):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i + 1
    return line


def _python(text: str, cell: int | None = None) -> Iterator[Suppression]:
    """Comments from the tokenizer, so a ``#`` inside a string never counts."""
    lines = text.splitlines()
    found: list[Suppression] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and MARK in tok.string:
                standalone = not tok.line[:tok.start[1]].strip()
                found.append(_make(tok.string, tok.start[0], lines, standalone, cell))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # broken code (or IPython syntax in a cell): fall back to comment lines
        yield from _plain(text, cell)
        return
    yield from found


def _plain(text: str, cell: int | None = None) -> Iterator[Suppression]:
    """``#`` comments of YAML, TOML, requirements files and Dockerfiles, line by line."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        at = line.find(MARK)
        if at < 0:
            continue
        hash_at = line.rfind("#", 0, at)
        if hash_at < 0 or (hash_at > 0 and not line[hash_at - 1].isspace()):
            continue
        yield _make(line[hash_at:], number, lines, not line[:hash_at].strip(), cell)


def _notebook(text: str) -> Iterator[Suppression]:
    try:
        nb = json.loads(text)
    except ValueError:
        return
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return
    for index, cell in enumerate(cells, start=1):  # 1-based among all cells, as Location.cell
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        source = "".join(source) if isinstance(source, list) else source
        if isinstance(source, str) and MARK in source:
            yield from _python(source, index)


def _covers(s: Suppression, f: "Finding") -> bool:
    loc = f.location
    if loc is None:
        return False
    if loc.line is None:  # a file-level finding: any suppression of its rule in the file (any cell)
        return True
    if s.cell != loc.cell:
        return False
    last = loc.end_line or loc.line
    return loc.line <= s.line <= last or loc.line <= s.target <= last


def _names(rule_id: str, pattern: str) -> bool:
    return rule_id == pattern or rule_id.startswith(pattern)


def apply_suppressions(findings: Iterable["Finding"], suppressions: Mapping[str, tuple[Suppression, ...]],
                       ran: Collection[str], known: Collection[str] = ()) -> tuple[list["Finding"], int, list["Hit"]]:
    """(findings kept, number suppressed, AUT901 hits for suppressions that silenced nothing).

    ``ran`` holds the ids of the rules that ran in this audit: a suppression
    naming a rule that did not run (not selected, area not applicable) cannot
    be judged unused. ``known`` holds every registered id, to call out ids that
    name no rule at all.
    """
    kept: list["Finding"] = []
    used: set[tuple[str, int, int | None, str]] = set()
    suppressed = 0
    for f in findings:
        match = None
        if f.location is not None:
            for s in suppressions.get(f.location.path, ()):
                if s.error or not s.reason or not _covers(s, f):
                    continue
                match = next((i for i in s.ids if _names(f.rule, i)), None)
                if match is not None:
                    used.add((f.location.path, s.line, s.cell, match))
                    break
        if match is None:
            kept.append(f)
        else:
            suppressed += 1
    return kept, suppressed, list(_unused(suppressions, used, ran, known))


def _unused(suppressions: Mapping[str, tuple[Suppression, ...]], used: set[tuple[str, int, int | None, str]],
            ran: Collection[str], known: Collection[str]) -> Iterator["Hit"]:
    from .rules._base import Hit

    for path in sorted(suppressions):
        for s in suppressions[path]:
            if s.error or not s.reason:
                continue  # AUT900 reports it
            unknown = [i for i in s.ids if known and not any(_names(r, i) for r in known)]
            idle = [i for i in s.ids if i not in unknown and (path, s.line, s.cell, i) not in used
                    and _all_ran(i, ran, known)]
            if not unknown and not idle:
                continue
            parts = []
            if idle:
                parts.append(f"no {'/'.join(idle)} finding here to silence")
            if unknown:
                parts.append(f"{'/'.join(unknown)} names no rule")
            where = f"{path}{f'[cell {s.cell}]' if s.cell else ''}:{s.line}"
            yield Hit(path, s.line, f"{where}: unused suppression ignore[{','.join(s.ids)}]: {'; '.join(parts)}; "
                                    "remove it", cell=s.cell, key=f"unused:{','.join(s.ids)}")


def _all_ran(pattern: str, ran: Collection[str], known: Collection[str]) -> bool:
    """Only when every rule an id (or prefix) names ran can its silence be called unused."""
    named = [r for r in (known or ran) if _names(r, pattern)]
    return bool(named) and all(r in ran for r in named)


def invalid_hits(suppressions: Mapping[str, tuple[Suppression, ...]]) -> Iterator["Hit"]:
    """AUT900: suppressions that silence nothing because they are malformed or give no reason."""
    from .rules._base import Hit

    for path in sorted(suppressions):
        for s in suppressions[path]:
            if not s.error and s.reason:
                continue
            where = f"{path}{f'[cell {s.cell}]' if s.cell else ''}:{s.line}"
            why = s.error or (f"suppression ignore[{','.join(s.ids)}] gives no reason, so it silences nothing; "
                              f"add one: `# mlops-audit: ignore[{','.join(s.ids)}] -- why this is acceptable`")
            yield Hit(path, s.line, f"{where}: {why}", cell=s.cell,
                      key=f"invalid:{','.join(s.ids)}:{'reason' if not s.error else 'form'}")
