"""Jupyter notebook text -> ``Notebook`` facts.

All code cells go through ONE ``PyCollector`` in order, because a notebook is
one namespace: ``import mlflow as mf`` in cell 1 must resolve ``mf.log_metric``
in cell 5. Each cell is parsed on its own so one broken cell costs only itself,
and line numbers stay within-cell (``Location.cell`` names the cell).

IPython-only lines (``%magic``, ``!shell``, ``obj?``, ``x = !cmd``) are
replaced by ``pass`` (or a blank continuation line) before parsing, so the
line count of every cell is unchanged and the Python around them still parses.
"""
from __future__ import annotations

import ast
import json
import warnings
from typing import Any, Iterable

from .._patterns import lazy
from ..facts import Cell, Notebook, PyFile, is_test_path
from .python import PyCollector

__all__ = ["parse_notebook", "neutralise_ipython"]

_MAX_OUTPUT_TEXT = 20 * 1024
# Cell magics whose body is ordinary Python run by the kernel.
_PY_BODY_MAGICS = frozenset({
    "time", "timeit", "capture", "prun", "debug", "python", "python3", "memit", "wandb",
})
# Cell magics whose body is a shell script: their lines are kept as magics facts.
_SHELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
_ESCAPES = "%!?/;,"
_HELP_END = lazy(r"^[\w.*\[\]'\"%]+\?{1,2}$")
_ASSIGN_MAGIC = lazy(r"^[\w.,\s\[\]'\"()*]+?=\s*[!%]")
_TIMED = lazy(r"^%(?:time|timeit)\s+(?:-[nrp]\s*\d+\s+|-[qoc]\s+)*(\S.*)$")
_JSON_TOKEN = lazy(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_COLON = lazy(r"\s*:")
_WS = lazy(r"[ \t\r\n]*")
_OUTPUTS_KEY = lazy(r'"outputs"\s*:\s*(?=\[)')
_DECODER = json.JSONDecoder()

Magic = tuple[int, str]  # (line within the cell, original text)


# -- IPython syntax ----------------------------------------------------------
def _advance(line: str, quote: str | None, depth: int) -> tuple[str | None, int, bool]:
    """Carry string/bracket state over one physical line.

    Only a line that starts outside strings, brackets and backslash
    continuations can be an IPython escape; this tiny scanner tells us which
    lines those are without tokenizing (tokenize chokes on ``!`` and ``?``).
    Returns (open quote, bracket depth, ends with a continuation backslash).
    """
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if c == "#":
            return None, depth, False
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c in "\"'":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
            i += len(quote)
            continue
        i += 1
    continued = line.endswith("\\")
    if quote and len(quote) == 1 and not continued:
        quote = None  # unterminated one-line string: a syntax error either way
    return quote, depth, continued


def _is_escape(stripped: str) -> bool:
    """True for a logical line that only IPython understands."""
    if not stripped or stripped[0] == "#":
        return False
    if stripped[0] in _ESCAPES:
        return True
    return bool(_HELP_END.match(stripped) or _ASSIGN_MAGIC.match(stripped))


def _timed_statement(stripped: str) -> str | None:
    """The Python statement of ``%time stmt`` / ``%timeit -n 3 stmt``: the kernel runs it, so keep it."""
    m = _TIMED.match(stripped)
    if not m or stripped.endswith("\\"):
        return None
    try:
        ast.parse(m.group(1))
    except (SyntaxError, ValueError):
        return None
    return m.group(1)


def _neutralise_lines(lines: list[str], first: int = 0) -> tuple[list[str], list[Magic]]:
    """Replace escape lines (and their backslash continuations) keeping the line count."""
    out = list(lines)
    magics: list[Magic] = []
    quote: str | None = None
    depth, continued, in_magic = 0, False, False
    for i in range(first, len(lines)):
        line = lines[i].rstrip("\r")
        if in_magic:  # continuation of a shell/magic line: blank it, extend the recorded text
            out[i] = ""
            at, text = magics[-1]
            magics[-1] = (at, text.rstrip("\\").rstrip() + " " + line.strip())
            in_magic = line.endswith("\\")
            continue
        stripped = line.strip()
        if quote is None and depth == 0 and not continued and _is_escape(stripped):
            indent = line[:len(line) - len(line.lstrip())]
            out[i] = indent + (_timed_statement(stripped) or "pass")
            magics.append((i + 1, stripped))
            in_magic = line.endswith("\\")
            continue
        quote, depth, continued = _advance(line, quote, depth)
    return out, magics


def neutralise_ipython(source: str) -> tuple[str | None, list[Magic]]:
    """Python text for a code cell with IPython syntax made inert, and the lines replaced.

    Returns ``None`` as the text when a cell magic makes the whole cell
    something other than Python (``%%bash``, ``%%sql``, ``%%writefile``).
    """
    lines = source.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return source, []
    head = lines[first].strip()
    if head.startswith("%%"):
        name = (head[2:].split() or [""])[0]
        if name not in _PY_BODY_MAGICS:
            body = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if i > first and ln.strip()]
            return None, [(first + 1, head)] + (body if name in _SHELL_MAGICS else [])
        lines[first] = "pass"
        out, magics = _neutralise_lines(lines, first + 1)
        return "\n".join(out), [(first + 1, head)] + magics
    out, magics = _neutralise_lines(lines)
    return ("\n".join(out) if magics else source), magics


# -- notebook structure ------------------------------------------------------
def _load(text: str) -> tuple[Any, str | None]:
    """Parse and, for older formats, upgrade to nbformat 4, without schema validation.

    ``nbformat.reads`` would also validate: that triples the cost on large
    notebooks and logs "Notebook JSON is invalid" to stderr for every slightly
    off file, which a CLI must not do. Reading + converting is what we need.
    """
    try:
        data = json.loads(text)
    except ValueError:
        data = None  # nbformat below words the error
    if isinstance(data, dict) and data.get("nbformat") == 4:
        # the current format needs no conversion, and importing nbformat (it loads jsonschema)
        # costs ~0.15 s: a third of a small repository's scan
        if not isinstance(data.get("cells"), list):
            return None, "not a notebook: no cells list"
        return data, None
    try:
        import nbformat  # older formats: nbformat's converters upgrade them to 4
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.convert(nbformat.reader.reads(text), 4)
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            return None, "not a notebook: no cells list"
        return nb, None
    except Exception as exc:  # nbformat raises many types for bad input
        first = str(exc).strip().splitlines()
        return None, f"{type(exc).__name__}: {first[0][:200]}" if first else type(exc).__name__


def _kernel_language(metadata: Any) -> str:
    """Lower-cased kernel language; notebooks without metadata are assumed Python."""
    if not isinstance(metadata, dict):
        return "python"
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(section, {})
        value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return "python"


def _cells_array(text: str) -> int | None:
    """Offset of the ``[`` of the top-level ``"cells"`` array (nbformat 4), or None.

    Tokens (strings, brackets) are scanned only up to that key, which nbformat
    writes first; strings are skipped whole, so escaped quotes cannot mislead.
    """
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] in "[{":
            depth += 1
        elif tok[0] in "]}":
            depth -= 1
        elif depth == 1 and tok == '"cells"' and (colon := _COLON.match(text, m.end())):
            at = _WS.match(text, colon.end()).end()
            return at if text.startswith("[", at) else None
    return None


def _raw_layout(text: str, expected: int) -> list[tuple[int, int | None]]:
    """(1-based line of the cell's ``{``, on-disk size of its outputs array) per cell; (0, None) if unsure.

    Each cell is stepped over with the C JSON decoder's ``raw_decode``, which
    reports where the value ends; a Python tokenizer over megabytes of
    base64 outputs would cost ten times more.
    """
    unknown: list[tuple[int, int | None]] = [(0, None)] * expected
    start = _cells_array(text)
    if start is None:
        return unknown
    layout: list[tuple[int, int | None]] = []
    pos, line, last = start + 1, 1, 0
    try:
        while True:
            pos = _WS.match(text, pos).end()
            if text.startswith(",", pos):
                pos += 1
                continue
            if not text.startswith("{", pos):
                break
            cell, end = _DECODER.raw_decode(text, pos)
            line += text.count("\n", last, pos)
            last = pos
            has_outputs = isinstance(cell, dict) and bool(cell.get("outputs"))
            layout.append((line, _outputs_size(text, pos, end) if has_outputs else None))
            pos = end
    except ValueError:
        return unknown
    return layout if len(layout) == expected else unknown


def _outputs_size(text: str, start: int, end: int) -> int | None:
    """Bytes of the first ``"outputs": [...]`` value within one cell's text span."""
    key = _OUTPUTS_KEY.search(text, start, end)
    if key is None:
        return None
    stop = _DECODER.raw_decode(text, key.end())[1]
    chunk = text[key.end():stop]
    return len(chunk) if chunk.isascii() else len(chunk.encode("utf-8", "replace"))


def _as_text(value: Any) -> str:
    """nbformat multiline strings may still be lists of lines in odd files."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _json_size(outputs: Any) -> int:
    """Fallback size of outputs when the raw layout is unknown: compact JSON length."""
    if not outputs:
        return 0
    try:
        return len(json.dumps(outputs, separators=(",", ":")))
    except (TypeError, ValueError):
        return 0


def _outputs(outputs: Any) -> tuple[bool, str]:
    """(has an error output, text worth secret-scanning) of a cell's outputs."""
    if not isinstance(outputs, list):
        return False, ""
    parts: list[str] = []
    has_error = False
    for out in outputs:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(_as_text(out.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data")
            if isinstance(data, dict):
                parts.append(_as_text(data.get("text/plain")))
        elif kind == "error":
            has_error = True
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    text = "\n".join(p for p in parts if p)
    return has_error, text[:_MAX_OUTPUT_TEXT]


def _cells(nb: dict, text: str) -> tuple[list[Cell], list[tuple[int, str]], list[tuple[int, str]]]:
    """Cell facts, (index, output text) pairs and (index, source) of code cells."""
    raw = nb["cells"]
    layout = _raw_layout(text, len(raw))
    cells: list[Cell] = []
    out_text: list[tuple[int, str]] = []
    code: list[tuple[int, str]] = []
    for i, cell in enumerate(raw, start=1):
        line, size = layout[i - 1]
        if not isinstance(cell, dict):
            cells.append(Cell(i, "unknown", None, 0, line))
            continue
        ctype = cell.get("cell_type") if isinstance(cell.get("cell_type"), str) else "unknown"
        count = cell.get("execution_count")
        count = count if isinstance(count, int) and not isinstance(count, bool) else None
        has_error, output = _outputs(cell.get("outputs")) if ctype == "code" else (False, "")
        if ctype != "code" or not cell.get("outputs"):
            size = 0
        elif size is None:
            size = _json_size(cell.get("outputs"))
        cells.append(Cell(i, ctype, count, size, line, has_error))
        if output:
            out_text.append((i, output))
        if ctype == "code":
            code.append((i, _as_text(cell.get("source"))))
    return cells, out_text, code


# -- code --------------------------------------------------------------------
def _reset_scope(collector: PyCollector) -> None:
    """After an aborted visit (deep nesting) the collector's stacks may be mid-walk."""
    collector.scope.clear()
    collector.scope_name = "<module>"
    collector.func_depth = 0
    collector.guard_depth = 0
    collector.in_main = False
    collector._in_class = False


def _parse_cell(source: str, name: str) -> tuple[ast.Module | None, list[Magic], bool]:
    """(AST or None, IPython lines made inert, is Python at all) of one code cell.

    A cell that parses as-is has no IPython escapes (they are never valid at
    the start of a statement), so the line scan runs only on cells that fail.
    """
    try:
        return ast.parse(source, filename=name), [], True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    python, found = neutralise_ipython(source)
    if python is None:
        return None, found, False
    try:
        return (ast.parse(python, filename=name) if found else None), found, True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, found, True


def _collect_code(path: str, code: Iterable[tuple[int, str]]) -> tuple[PyFile, list[int], list[tuple[int, int, str]]]:
    """Feed every parseable code cell, in order, to one collector."""
    collector = PyCollector(path)
    bad: list[int] = []
    magics: list[tuple[int, int, str]] = []
    total = 0
    for index, source in code:
        total += source.count("\n") + 1 if source else 0
        with warnings.catch_warnings():  # 3.12+ warns on "\d" in strings: noise, not facts
            warnings.simplefilter("ignore")
            tree, found, is_python = _parse_cell(source, f"{path}#cell{index}")
        magics.extend((index, line, text) for line, text in found)
        if tree is None:
            if is_python:
                bad.append(index)
            continue
        collector.cell = index
        collector.line_offset = 0
        try:
            collector.visit(tree)
        except RecursionError:
            bad.append(index)
            _reset_scope(collector)
    return collector.result(path, total), bad, magics


def _empty(path: str) -> PyFile:
    return PyFile(path=path, is_test=is_test_path(path), lines=0)


def parse_notebook(path: str, text: str) -> Notebook:
    """Facts of one ``.ipynb``; unreadable input gives a Notebook with ``error`` set, never an exception."""
    nb, error = _load(text)
    if nb is None:
        return Notebook(path, (), "python", _empty(path), error=error)
    try:
        language = _kernel_language(nb.get("metadata"))
        cells, out_text, code = _cells(nb, text)
        if language.startswith(("python", "ipython")):
            pyfile, bad, magics = _collect_code(path, code)
        else:
            pyfile, bad, magics = _empty(path), [], []
    except Exception as exc:  # last line of defence: a scan must survive any notebook
        return Notebook(path, (), "python", _empty(path), error=f"{type(exc).__name__}: {exc}"[:300])
    return Notebook(path, tuple(cells), language, pyfile, tuple(out_text), None,
                    tuple(bad), tuple(magics))
