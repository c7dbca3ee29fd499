"""Dockerfiles -> ``Dockerfile`` facts: one instruction per logical line, with lines.

Rules ask questions such as "is the base image pinned?", "does it run as
root?", "does CMD start a server?"; they need each instruction's keyword,
its full text with continuations joined, and the physical line where it
starts. The parser follows the Dockerfile reference closely enough for that:
parser directives (``# escape=``), continuation lines (comments and blank
lines inside them are dropped, as Docker does), BuildKit heredocs kept inside
their instruction, exec (JSON array) form decoded into ``args``. It never
raises: text that is not an instruction is skipped.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_left

from .._patterns import lazy
from ..facts import Dockerfile, DockerInstruction

__all__ = ["dockerfile_candidate", "parse_dockerfile"]

_NOT_DOCKERFILES = (".dockerignore", ".md", ".rst", ".txt", ".adoc", ".orig", ".bak", ".html", ".pdf", ".png", ".svg",
                    ".py", ".pyc", ".sh", ".bash", ".ps1", ".bat", ".go", ".java", ".js", ".ts", ".rs", ".rb", ".json",
                    ".yaml", ".yml", ".toml", ".ini", ".cfg", ".lock", ".swp", ".patch", ".diff")
# Dockerfile, Dockerfile.gpu, Dockerfile-cpu, Dockerfile_arm64, dev.Dockerfile, Containerfile.cuda: the stem
# stands alone, is followed by a tag after ".", "-" or "_", or ends a dotted name. DockerfileGenerator.java and
# a make_dockerfile script are no Dockerfiles.
_DOCKERFILE_NAME = lazy(r"(?:[\w.-]*\.)?(?:dockerfile|containerfile)(?:[._-][\w.-]+)?\Z")
_DIRECTIVE = lazy(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*\Z")
_INSTRUCTION = lazy(r"\s*([A-Za-z]+)(?:\s+(.*))?\Z", re.S)
_WORD = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_HEREDOC = lazy(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_DIRECTIVE_NAMES = frozenset(("escape", "syntax", "check"))
_HEREDOC_INSTRUCTIONS = frozenset(("RUN", "COPY", "ADD"))
_EXEC_FORM = frozenset(("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", "HEALTHCHECK"))


def dockerfile_candidate(path: str) -> bool:
    """True for Dockerfile*, *.Dockerfile and Containerfile* names: ``Dockerfile``, ``Dockerfile.gpu``,
    ``Dockerfile-cpu``, ``Dockerfile_arm64``, ``dev.Dockerfile``, ``Containerfile.cuda``.

    Names are compared case-insensitively (``dockerfile.dev`` is common), but
    ``Dockerfile.dockerignore``, documentation about Dockerfiles and source
    files named after them (``dockerfile_utils.py``, ``Dockerfile.md``) are not
    Dockerfiles.
    """
    lower = path.rsplit("/", 1)[-1].lower()
    if "file" not in lower or lower.endswith(_NOT_DOCKERFILES):
        return False
    return bool(_DOCKERFILE_NAME.match(lower))


def _directives(lines: list[str]) -> tuple[str, int]:
    """The escape character and the number of leading directive lines.

    Directives must come first; the first comment, blank line or instruction
    ends them, as in Docker.
    """
    escape = "\\"
    seen: set[str] = set()
    count = 0
    for raw in lines:
        match = _DIRECTIVE.match(raw.strip())
        if match is None:
            break
        name = match.group(1).lower()
        if name not in _DIRECTIVE_NAMES or name in seen:
            break
        seen.add(name)
        if name == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
        count += 1
    return escape, count


def _continues(line: str, escape: str) -> tuple[bool, str]:
    """Whether a physical line ends with the escape character, and the line without it."""
    stripped = line.rstrip()
    if stripped.endswith(escape):
        return True, stripped[: -len(escape)]
    return False, line


def _exec_args(keyword: str, value: str) -> tuple[str, ...]:
    """Arguments of the exec form ``["a", "b"]``; () for the shell form."""
    if keyword not in _EXEC_FORM:
        return ()
    body = value
    if keyword == "HEALTHCHECK":
        cmd = re.search(r"\bCMD\s+(\[.*)", value, re.S | re.I)
        if not cmd:
            return ()
        body = cmd.group(1)
    body = body.strip()
    if not body.startswith("["):
        return ()
    try:
        parsed = json.loads(body)
    except ValueError:
        return ()
    if isinstance(parsed, list) and all(isinstance(a, str) for a in parsed):
        return tuple(parsed)
    return ()


def _heredocs(keyword: str, value: str) -> list[tuple[str, bool]]:
    """Heredoc delimiters opened on an instruction line, with their ``<<-`` flag."""
    if keyword not in _HEREDOC_INSTRUCTIONS or "<<" not in value:
        return []
    return [(m.group(3), m.group(1) == "-") for m in _HEREDOC.finditer(value)]


class _Terminators:
    """Where each possible heredoc terminator line sits, indexed on first use.

    Scanning forward from every ``<<WORD`` is quadratic when words never close
    (a hostile file of ``RUN <<EOF`` lines); an index from line text to line
    numbers answers each lookup with one bisect.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.tables: dict[bool, dict[str, list[int]]] = {}

    def _table(self, strip_tabs: bool) -> dict[str, list[int]]:
        table = self.tables.get(strip_tabs)
        if table is None:
            table = {}
            for number, raw in enumerate(self.lines):
                key = (raw.lstrip("\t") if strip_tabs else raw).rstrip()
                if _WORD.fullmatch(key):
                    table.setdefault(key, []).append(number)
            self.tables[strip_tabs] = table
        return table

    def find(self, word: str, strip_tabs: bool, start: int) -> int:
        """Index of the first line at or after ``start`` that closes ``word``, or -1."""
        where = self._table(strip_tabs).get(word, [])
        at = bisect_left(where, start)
        return where[at] if at < len(where) else -1


def _read_heredocs(terminators: _Terminators, start: int,
                   delimiters: list[tuple[str, bool]]) -> tuple[list[str], int]:
    """Body lines of consecutive heredocs from ``start``, and the index after them.

    A delimiter that never closes means ``<<WORD`` was not a heredoc (a quoted
    string, a pre-BuildKit file): nothing is consumed rather than the rest of
    the file.
    """
    after = start
    for word, strip_tabs in delimiters:
        closing = terminators.find(word, strip_tabs, after)
        if closing < 0:
            return [], start
        after = closing + 1
    return terminators.lines[start:after], after


def parse_dockerfile(path: str, text: str) -> Dockerfile:
    """Instructions of one Dockerfile, each on the line where it starts; never raises."""
    try:
        return Dockerfile(path=path, instructions=tuple(_instructions(text)))
    except Exception:  # a parser bug must not stop the audit; keep what is sure
        return Dockerfile(path=path, instructions=())


def _instructions(text: str) -> list[DockerInstruction]:
    """Logical instructions: join continuations, drop comments, attach heredoc bodies."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    escape, index = _directives(lines)
    out: list[DockerInstruction] = []
    terminators = _Terminators(lines)
    total = len(lines)
    while index < total:
        raw = lines[index]
        first = index + 1
        index += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        more, part = _continues(raw, escape)
        parts = [part]
        while more and index < total:
            nxt = lines[index]
            index += 1
            if not nxt.strip() or nxt.lstrip().startswith("#"):
                continue
            more, part = _continues(nxt, escape)
            parts.append(part)
        match = _INSTRUCTION.match("".join(parts))
        if match is None:
            continue
        keyword = match.group(1).upper()
        value = (match.group(2) or "").strip()
        last = index
        delimiters = _heredocs(keyword, value)
        if delimiters:
            body, index = _read_heredocs(terminators, index, delimiters)
            if body:
                value = value + "\n" + "\n".join(body)
                last = index
        out.append(DockerInstruction(instruction=keyword, value=value, line=first,
                                     end_line=last, args=_exec_args(keyword, value)))
    return out
