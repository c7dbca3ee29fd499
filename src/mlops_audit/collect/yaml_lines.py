"""Safe YAML -> plain data plus the line of every key, built from parser events.

Why events and not ``yaml.compose``/``safe_load``: composing walks the node
graph with a recursive routine that crashes the interpreter (segfault, not an
exception) on a few hundred thousand nested ``- - -`` or ``[[[``, and resolving
every scalar through the resolver's regex table makes composing ~4x slower
than the parse itself. The event stream comes from a non-recursive state
machine (libyaml when present), so one loop with an explicit stack builds the
data, records lines, stops at a depth cap and counts alias expansions without
performing them (a "billion laughs" document is refused after a few events).

No constructor is ever called: a tag only steers how a scalar is read
(``!!int``, ``!!str``...). Unknown tags, ``!Ref`` as much as
``!!python/object/apply``, are ignored, so a document can never build an
object or run code.

Reading choices: mapping keys are always their source text (GitHub Actions'
``on:`` stays ``"on"``, ``200:`` stays ``"200"``), so key paths are tuples of
str keys and int indexes. Values follow YAML 1.1 like ``safe_load`` (``yes`` is
True, ``0755`` is octal) except that ``1e-4`` is a float (as ML tools read it)
and timestamps and base-60 numbers stay strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._patterns import lazy

if TYPE_CHECKING:
    import yaml

__all__ = [
    "YamlDoc", "YamlFailure", "load_yaml_docs", "neutralise_templates", "has_go_template",
    "MAX_NODES", "MAX_DEPTH",
]

MAX_NODES = 200_000        # nodes per file that aliases may add by re-use (expansion)
MAX_DEPTH = 100            # nesting of mappings and sequences
_ANCHOR_LINES_BUDGET = 1_000_000  # line entries kept for replaying under aliases

_YAML_TAG = "tag:yaml.org,2002:"
_MERGE = "\x00<<"         # stands for a plain ``<<`` key while its mapping is open


@dataclass
class YamlDoc:
    """One non-empty document of a YAML stream (position ``index`` in the stream)."""

    index: int
    data: Any
    line: int
    lines: dict[tuple, int] = field(default_factory=dict)
    value_lines: dict[tuple, int] = field(default_factory=dict)


class YamlFailure(Exception):
    """A syntax error or a refused (too big / too deep) document, with a short message."""

    def __init__(self, message: str, line: int, index: int) -> None:
        super().__init__(message)
        self.message, self.line, self.index = message, line, index


# -- scalars ---------------------------------------------------------------

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {
    **dict.fromkeys(("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"), False),
}
_SPECIAL_FLOATS = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
}
_PLAIN_START = frozenset("-+.0123456789~nNtTfFyYoO")
_DEC_INT = lazy(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_OTHER_INT = lazy(r"[-+]?0(?:b[01_]+|x[0-9a-fA-F_]+|o[0-7_]+|[0-7_]+)\Z")
_FLOAT = lazy(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?\Z")


def _to_int(text: str) -> int | None:
    """YAML 1.1 integer (decimal, 0b, 0x, 0o and leading-zero octal) or None."""
    if _DEC_INT.match(text):
        return int(text.replace("_", ""))
    if _OTHER_INT.match(text):
        digits = text.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")
        if digits[1] in "bxo":
            return sign * int(digits, 0)
        return sign * int(digits, 8)
    return None


def _to_float(text: str) -> float | None:
    """Float with a dot or an exponent, or one of .inf/.nan; None otherwise."""
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if _FLOAT.match(text) and ("." in text or "e" in text or "E" in text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return None
    return None


def _plain(text: str) -> Any:
    """Resolve an untagged plain scalar; the first-character test skips most strings."""
    if not text or text in _NULLS:
        return None
    if text[0] not in _PLAIN_START:
        return text
    if text in _BOOLS:
        return _BOOLS[text]
    number = _to_int(text)
    if number is not None:
        return number
    real = _to_float(text)
    return text if real is None else real


def _tagged(tag: str, text: str) -> Any:
    """Read a scalar with an explicit tag; unknown or failing tags keep the text."""
    if not tag.startswith(_YAML_TAG):
        return text
    name = tag[len(_YAML_TAG):]
    if name == "int":
        value: Any = _to_int(text)
    elif name == "float":
        value = _to_float(text)
        if value is None:
            value = _to_int(text)
    elif name == "bool":
        value = _BOOLS.get(text)
    elif name == "null":
        return None
    else:
        return text
    return text if value is None else value


def _key_text(value: Any) -> str:
    """A mapping key as text (an aliased or complex key such as ``? [a, b]``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: ""}[value]
    return repr(value) if isinstance(value, (list, dict)) else str(value)


# -- the builder -------------------------------------------------------------

class _Limit(Exception):
    """Raised to stop a document that exceeds a size or depth cap."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Frame:
    """An open mapping or sequence: where it sits and what it waits for."""

    __slots__ = ("container", "path", "is_map", "key", "key_line", "start", "anchor", "count0",
                 "merges", "as_key", "line")

    def __init__(self, container: Any, path: tuple, start: int, anchor: str | None,
                 count0: int, as_key: bool, line: int) -> None:
        self.container = container
        self.path = path
        self.is_map = isinstance(container, dict)
        self.key: str | None = None   # for mappings: the key whose value comes next
        self.key_line = line
        self.start = start            # index in the builder's line list
        self.anchor = anchor
        self.count0 = count0
        self.merges: list[Any] = []
        self.as_key = as_key          # a complex key (``? {a: 1}``), not a value
        self.line = line


class _Builder:
    """Turns events into documents; aliases share the anchored object and replay its lines."""

    def __init__(self) -> None:
        self.docs: list[YamlDoc] = []
        self.index = -1
        self.in_doc = False
        self.count = 0             # nodes seen, aliases counted at their expanded size
        self.expanded = 0          # nodes added by aliases alone
        self.anchor_budget = _ANCHOR_LINES_BUDGET
        self._reset()

    def _reset(self) -> None:
        self.frames: list[_Frame] = []
        self.lines: list[tuple[tuple, int]] = []
        self.value_lines: list[tuple[tuple, int]] = []
        self.anchors: dict[str, tuple[Any, int, int, list[tuple[tuple, int]]]] = {}
        self.root: Any = None
        self.root_line = 1

    def handlers(self) -> dict[type, Any]:
        """Event type -> bound handler; one dict lookup per event keeps the loop cheap."""
        import yaml

        return {
            yaml.ScalarEvent: self._scalar,
            yaml.MappingStartEvent: lambda event: self._start(event, {}),
            yaml.SequenceStartEvent: lambda event: self._start(event, []),
            yaml.MappingEndEvent: self._end,
            yaml.SequenceEndEvent: self._end,
            yaml.AliasEvent: self._alias,
            yaml.DocumentStartEvent: self._doc_start,
            yaml.DocumentEndEvent: self._doc_end,
        }

    def _doc_start(self, event: Any) -> None:
        self.index += 1
        self.in_doc = True
        self._reset()

    def _doc_end(self, event: Any) -> None:
        self.in_doc = False
        if self.root is not None:  # an empty document (``---`` alone, ``~``) is skipped
            self.docs.append(YamlDoc(self.index, self.root, self.root_line, dict(self.lines),
                                     dict(self.value_lines)))

    def _expand(self, nodes: int, line: int) -> None:
        """Count an alias at its expanded size; refuse past the cap (billion laughs)."""
        self.count += nodes
        self.expanded += nodes
        if self.expanded > MAX_NODES:
            raise _Limit(f"document too large: aliases expand to more than {MAX_NODES} nodes",
                         line)

    def _scalar(self, event: Any) -> None:
        line = event.start_mark.line + 1
        self.count += 1
        frames = self.frames
        if frames and frames[-1].is_map and frames[-1].key is None:
            top = frames[-1]
            top.key_line = line
            if event.value == "<<" and event.tag is None and event.implicit[0]:
                top.key = _MERGE
            else:
                top.key = event.value
                self.lines.append((top.path + (event.value,), line))
                self._remember(event.anchor, event.value, 1, [], ())
            return
        if event.tag is not None:
            value = _tagged(event.tag, event.value)
        elif event.implicit[0]:
            value = _plain(event.value)
        else:
            value = event.value
        self._remember(event.anchor, value, 1, [], ())
        block = event.style in ("|", ">")
        off_key = bool(frames) and frames[-1].is_map and frames[-1].key_line != line
        path = self._attach(value, line)
        if block or off_key:  # the text starts after the indicator line of a block scalar
            self.value_lines.append((path, line + 1 if block else line))

    def _attach(self, value: Any, line: int) -> tuple:
        """Place a finished value under the open container; return its path."""
        frames = self.frames
        if not frames:
            self.root, self.root_line = value, line
            return ()
        top = frames[-1]
        if not top.is_map:
            path = top.path + (len(top.container),)
            top.container.append(value)
            self.lines.append((path, line))
            return path
        key = top.key
        if key is None:  # an alias or complex key in key position
            key = _key_text(value)
            top.key, top.key_line = key, line
            self.lines.append((top.path + (key,), line))
            return top.path + (key,)
        top.key = None
        if key is _MERGE:
            top.merges.append(value)
        else:
            top.container[key] = value
        return top.path + (key,)

    def _start(self, event: Any, container: Any) -> None:
        line = event.start_mark.line + 1
        self.count += 1
        if len(self.frames) >= MAX_DEPTH:
            raise _Limit(f"nesting deeper than {MAX_DEPTH} levels", line)
        frames = self.frames
        as_key = bool(frames) and frames[-1].is_map and frames[-1].key is None
        if as_key:
            path: tuple = frames[-1].path + ("?",)
        else:
            path = self._attach(container, line)
        frames.append(_Frame(container, path, len(self.lines), event.anchor,
                             self.count - 1, as_key, line))

    def _end(self, event: Any = None) -> None:
        frame = self.frames.pop()
        if frame.merges:
            self._merge(frame)
        if frame.as_key:
            del self.lines[frame.start:]
            self._attach(frame.container, frame.line)
            return
        if frame.anchor:
            kept = self.lines[frame.start:]
            self.anchor_budget -= len(kept)
            self._remember(frame.anchor, frame.container, self.count - frame.count0,
                           kept if self.anchor_budget > 0 else [], frame.path)

    def _remember(self, anchor: str | None, value: Any, size: int,
                  lines: list[tuple[tuple, int]], path: tuple) -> None:
        if anchor:
            self.anchors[anchor] = (value, size, len(path), lines)

    def _alias(self, event: Any) -> None:
        anchor = event.anchor
        if anchor not in self.anchors:
            raise YamlFailure(f"YAML error at line {event.start_mark.line + 1}: "
                              f"found undefined alias {anchor!r}",
                              event.start_mark.line + 1, self.index)
        value, size, cut, lines = self.anchors[anchor]
        line = event.start_mark.line + 1
        self._expand(size, line)
        frames = self.frames
        as_key = bool(frames) and frames[-1].is_map and frames[-1].key is None
        path = self._attach(value, line)
        if as_key:
            return  # an alias used as a key: its inner lines mean nothing
        append = self.lines.append
        for sub, where in lines:
            append((path + sub[cut:], where))

    def _merge(self, frame: _Frame) -> None:
        """Apply ``<<`` merge keys: explicit keys win, earlier sources win, lines move up."""
        mapping = frame.container
        taken: dict[str, tuple] = {}
        for source in frame.merges:
            parts = list(enumerate(source)) if isinstance(source, list) else [(None, source)]
            for pos, part in parts:
                if not isinstance(part, dict):
                    continue
                for key, value in part.items():
                    if key not in mapping:
                        mapping[key] = value
                        taken[key] = (_MERGE,) if pos is None else (_MERGE, pos)
        cut = len(frame.path)
        moved: list[tuple[tuple, int]] = []
        for path, line in self.lines[frame.start:]:
            if len(path) > cut + 1 and path[cut] == _MERGE and path[:cut] == frame.path:
                via = path[cut:cut + 2] if isinstance(path[cut + 1], int) else path[cut:cut + 1]
                rest = path[cut + len(via):]
                if rest and taken.get(rest[0]) == via:
                    moved.append((frame.path + rest, line))
            else:
                moved.append((path, line))
        self.lines[frame.start:] = moved


def _error_message(exc: yaml.YAMLError) -> tuple[str, int]:
    """Short message and 1-based line of a parser error."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    if mark is not None:
        return f"YAML error at line {mark.line + 1}: {problem}", mark.line + 1
    return f"YAML error: {problem}", 1


def load_yaml_docs(text: str) -> tuple[list[YamlDoc], YamlFailure | None]:
    """Parse every document of ``text``; documents before a failure are kept.

    PyYAML is imported here, not at module level: trees without YAML never pay its import.
    """
    import yaml

    builder = _Builder()
    handlers = builder.handlers()
    loader = None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        get_event = loader.get_event
        while True:
            event = get_event()
            if event is None or type(event) is yaml.StreamEndEvent:
                break
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
    except YamlFailure as exc:
        return builder.docs, exc
    except _Limit as exc:
        return builder.docs, YamlFailure(str(exc), exc.line, builder.index)
    except yaml.YAMLError as exc:
        message, line = _error_message(exc)
        index = builder.index if builder.in_doc else builder.index + 1
        return builder.docs, YamlFailure(message, line, index)
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        return builder.docs, YamlFailure(f"YAML error: {type(exc).__name__}", 1, max(builder.index, 0))
    finally:
        if loader is not None:
            loader.dispose()
    return builder.docs, None


# -- template neutralisation --------------------------------------------------

_DELIMITER = lazy(r"\$?\{\{|\}\}|\{%|%\}|\{#|#\}")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_GO_SILENT = lazy(
    r"\{\{-?\s*(?:/\*|(?:if|else|end|range|with|define|block|break|continue)\b|\$\w*\s*:?=)")
_GO_HINT = lazy(
    r"(?<!\$)\{\{-?\s*(?:\.|\$|/\*|(?:if|else|end|range|with|define|include|template|toYaml"
    r"|tpl|required|printf|quote)\b)")
_SILENT, _OUTPUT = "\x00", "\x01"
PLACEHOLDER = "__tpl__"


def has_go_template(text: str) -> bool:
    """True when ``text`` holds Go template actions (``{{ .Values.x }}``, ``{{- if }}``)."""
    return _GO_HINT.search(text) is not None


def _mark(action: str) -> str:
    """Replace one action by a marker, keeping the newlines it spans."""
    silent = action[1] in "%#" or _GO_SILENT.match(action) is not None
    return (_SILENT if silent else _OUTPUT) + "\n" * action.count("\n")


def _mark_actions(text: str) -> str:
    """Every ``{{ }}``/``{% %}``/``{# #}`` span replaced by a marker, in one linear scan.

    A lazy ``\\{\\{.*?\\}\\}`` regex rescans to the end of the file from every
    unclosed ``{{``, quadratic on hostile input; pairing delimiter tokens is not.
    ``${{ }}`` (GitHub and Azure expressions) is left alone.
    """
    pieces: list[str] = []
    done = 0
    opened = -1
    closer = ""
    for match in _DELIMITER.finditer(text):
        token = match.group()
        if opened < 0:
            if token in _CLOSERS:
                opened, closer = match.start(), _CLOSERS[token]
        elif token == closer:
            pieces.append(text[done:opened])
            pieces.append(_mark(text[opened:match.end()]))
            done, opened = match.end(), -1
    pieces.append(text[done:])
    return "".join(pieces)


def neutralise_templates(text: str) -> str:
    """Make a Helm/Jinja template parseable as YAML without moving any line.

    A line made only of actions (``{{- if }}``, ``{{ end }}``, ``{{- include ... |
    nindent 4 }}``, ``{% for %}``) becomes empty; an action inside other text
    becomes the scalar ``__tpl__`` when it produces output and disappears when it
    is control flow or a comment.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text
    marked = _mark_actions(text)
    if _SILENT not in marked and _OUTPUT not in marked:
        return text
    out: list[str] = []
    for line in marked.split("\n"):
        if _SILENT in line or _OUTPUT in line:
            bare = line.replace(_SILENT, "").replace(_OUTPUT, "")
            line = line.replace(_SILENT, "").replace(_OUTPUT, PLACEHOLDER) if bare.strip() else ""
        out.append(line)
    return "\n".join(out)

