"""Matchers and a small taint analysis for the LLM rules (rules/llm.py).

Three questions, answered over facts only:

* Is this call an LLM call (``llm.invoke``, ``client.chat.completions.create``,
  ``ollama.chat``)? The receiver's constructor is looked up (local variables,
  ``self.llm`` attributes, module-level clients of repository modules) and
  matched against the ``llm_usage`` rows of detect/signatures.py.
* Which local names hold user input? Sources are route handler parameters,
  command-line parameters (click/typer commands, ``fire``/``typer.run``
  targets, argparse results, ``sys.argv``), ``input()``, Streamlit text inputs,
  Gradio callbacks and the Flask request. Taint follows assignments inside a
  function (one step at a time, to a fixpoint) and arguments into repository
  functions.
* Does a prompt built from those names reach an LLM call, and in which role?
  A value that sits in a ``user``/``human`` message next to a ``system``
  message (or a call with a ``system=`` argument) is the role-separated safe
  form; anything else is the instructions and the user's text in one string.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from .._patterns import lazy
from .._records import record
from ..detect.code_caps import call_matches
from ..detect.context import FileContext, RepoIndex
from ..facts import Assign, Call, Expr, Function, Ref, StringBuild

__all__ = [
    "LLM_METHODS", "SYSTEM_KWARGS", "Flow", "Build", "Sink", "is_llm_type", "object_type", "llm_call",
    "names_of",
]

LLM_METHODS = frozenset({
    "invoke", "ainvoke", "predict", "apredict", "generate", "agenerate", "complete", "acomplete", "chat",
    "achat", "stream", "astream", "stream_complete", "stream_chat", "batch", "abatch", "create", "acreate",
    "parse", "query", "aquery", "run", "arun", "call", "generate_content", "generate_content_async",
    "send_message", "completion", "acompletion", "converse", "converse_stream", "invoke_model",
    "invoke_model_with_response_stream", "text_generation", "chat_completion", "__call__",
})
# calls on an unresolved object that still clearly send a prompt when the argument is named *prompt*
_HEURISTIC_METHODS = frozenset({"invoke", "ainvoke", "predict", "generate", "complete", "acomplete", "chat",
                                "stream", "astream", "completion", "generate_content", "send_message"})
SYSTEM_KWARGS = ("system", "system_prompt", "system_instruction", "instructions", "system_message")
_NOT_PROMPT_API = lazy(r"(?i)embed|\.(images|audio|files|moderations|fine_tuning|batches|vector_stores|"
                             r"uploads|threads|assistants)\.")
_BEDROCK_METHODS = frozenset({"invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"})
_USER_ROLES = frozenset({"user", "human"})
_SYSTEM_ROLES = frozenset({"system", "developer"})
_ROLE_WORDS = _USER_ROLES | _SYSTEM_ROLES | {"ai", "assistant", "placeholder"}
_MESSAGE_CLASSES = {"HumanMessage": "user", "SystemMessage": "system", "AIMessage": "assistant",
                    "HumanMessagePromptTemplate": "user", "SystemMessagePromptTemplate": "system"}
_PASSTHROUGH = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "capitalize",
                          "get", "json", "get_json", "get_data", "replace", "decode", "model_dump", "dict",
                          "to_dict", "removeprefix", "removesuffix", "body", "text", "receive_text",
                          "receive_json", "getlist"})
_STRING_EXPRS = frozenset({"fstring", "concat", "format", "binop", "boolop", "ifexp", "await", "joinedstr"})
_TEMPLATE_NAME = lazy(r"(?i)prompt|template|instruction")
_PROMPT_VAR = lazy(r"(?i)prompt|messages")
_HELPER_NAME = lazy(r"(?i)prompt|message")
# every value Flow._source_of accepts starts like _SOURCE_HEADS or is a call whose name ends like _SOURCE_ENDS
_SOURCE_HEADS = ("sys.argv", "flask.request", "quart.request")
_SOURCE_ENDS = ("input", "parse_args", "parse_known_args", "text_area", "prompt", "ask", "read", "readline")
_EXCLUDED_PARAM_TYPES = ("BackgroundTasks", "Session", "AsyncSession", "Response", "Depends")


@record()
class Sink:
    """The LLM call a prompt reaches; ``via`` names the repository functions followed."""

    path: str
    line: int
    name: str
    via: tuple[str, ...] = ()


@record()
class Build:
    """A prompt string assembled from user input (``target`` holds it, or ``call`` consumes it directly)."""

    path: str
    scope: str
    line: int
    kind: str
    names: tuple[str, ...]
    origin: str
    target: str = ""
    call: Call | None = None
    cell: int | None = None
    inline_role_safe: bool = False
    helper: str = ""          # for kind "helper": the repository function that builds the prompt


def names_of(value: Any) -> Iterator[str]:
    """Every local name a recorded value reads, containers included."""
    if isinstance(value, Ref):
        yield value.qualname
    elif isinstance(value, tuple):
        for v in value:
            yield from names_of(v)
    elif isinstance(value, Expr):
        if value.kind == "dict" and isinstance(value.literal, tuple):
            for item in value.literal:
                if isinstance(item, tuple) and len(item) == 2:
                    yield from names_of(item[1])
        else:
            yield from value.names


def _root(name: str) -> str:
    return name.split(".", 1)[0]


@lru_cache(maxsize=16384)
def is_llm_type(qualname: str) -> bool:
    """True when ``qualname`` (a constructor, or a chain from one) matches an llm_usage signature.
    Cached: a pure function of the name over the static signature tables, asked for the same names often."""
    if not qualname or _NOT_PROMPT_API.search(qualname):
        return False
    parts = qualname.split(".")
    for cut in range(len(parts), 1, -1):
        if any(cap == "llm_usage" for cap, _ in call_matches(".".join(parts[:cut]))):
            return True
    return False


def type_of(ctx: FileContext, name: str, depth: int = 0) -> str:
    """Constructor qualname of a local object (``parser.parse_args`` -> ``argparse.ArgumentParser.parse_args``)."""
    t = ctx.var_types.get(name, "")
    if not t or depth > 3:
        return t
    head, _, rest = t.partition(".")
    if rest and head != name and head in ctx.var_types:
        inner = type_of(ctx, head, depth + 1)
        if inner:
            return f"{inner}.{rest}"
    return t


def object_type(index: RepoIndex, ctx: FileContext, dotted: str) -> str:
    """``client.chat.completions`` -> ``openai.OpenAI.chat.completions`` when ``client = OpenAI()``.

    Looks at local variables and ``self.x`` attributes of the file, then at
    module-level objects of repository modules (``from app.llm import client``).
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        t = type_of(ctx, ".".join(parts[:cut]))
        if t:
            return ".".join([t, *parts[cut:]])
    for cut in range(len(parts) - 1, 0, -1):
        path = index.modules.get(".".join(parts[:cut]))
        if path is None:
            continue
        other = index.contexts.get(path)
        if other is None:
            return ""
        t = type_of(other, parts[cut])
        return ".".join([t, *parts[cut + 1:]]) if t else ""
    return ""


def llm_call(index: RepoIndex, ctx: FileContext, call: Call) -> str:
    """The resolved name of an LLM call that sends a prompt, or ""."""
    name = call.qualname
    dotted = "." in name
    head, _, method = name.rpartition(".")
    if dotted and method not in LLM_METHODS:
        return ""  # the common case, decided before the regular expression
    if _NOT_PROMPT_API.search(name):
        return ""
    if not dotted:  # calling the object itself: llm(prompt)
        t = type_of(ctx, name)
        return t if t and is_llm_type(t) and not _is_bedrock_misuse(t, "") else ""
    eff = ctx.effective(call)
    if is_llm_type(eff) and not _is_bedrock_misuse(eff, method):
        return eff
    t = object_type(index, ctx, head)
    if t and is_llm_type(t) and not _is_bedrock_misuse(t, method):
        return f"{t}.{method}"
    return ""


def _is_bedrock_misuse(name: str, method: str) -> bool:
    return name.startswith("boto3.") and method not in _BEDROCK_METHODS


def short(name: str) -> str:
    """``langchain_community.llms.ollama.Ollama.invoke`` -> ``Ollama.invoke``."""
    parts = name.split(".")
    for i, p in enumerate(parts):
        if p[:1].isupper():
            return ".".join(parts[i:])
    return ".".join(parts[-3:]) if len(parts) > 3 else name


# -- roles -----------------------------------------------------------------
def _role_of(value: Any) -> str | None:
    if isinstance(value, Expr):
        if value.kind == "dict" and isinstance(value.literal, tuple):
            for item in value.literal:
                if isinstance(item, tuple) and len(item) == 2 and item[0] == "role" and isinstance(item[1], str):
                    return item[1].lower()
        if value.kind == "call" and value.callee:
            return _MESSAGE_CLASSES.get(value.callee.rsplit(".", 1)[-1])
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and value[0].lower() in _ROLE_WORDS:
        return value[0].lower()
    return None


def occurrences(value: Any, match: Callable[[Any], bool], role: str | None = None, system: bool = False
                ) -> Iterator[tuple[str | None, bool]]:
    """(role, has_system_sibling) for every leaf of ``value`` that ``match`` accepts."""
    if isinstance(value, tuple):
        roles = [_role_of(v) for v in value]
        sibling = system or any(r in _SYSTEM_ROLES for r in roles)
        if len(value) == 2 and isinstance(value[0], str) and value[0].lower() in _ROLE_WORDS:
            yield from occurrences(value[1], match, value[0].lower(), system)
            return
        for v, r in zip(value, roles):
            yield from occurrences(v, match, r or role, sibling)
        return
    if isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple):
        own = _role_of(value) or role
        for item in value.literal:
            if isinstance(item, tuple) and len(item) == 2:
                yield from occurrences(item[1], match, own, system)
        return
    if match(value):
        if isinstance(value, Expr) and value.kind == "call":
            role = _role_of(value) or role
        yield role, system


def safe(occurrence: tuple[str | None, bool], system_kwarg: bool) -> bool:
    role, sibling = occurrence
    if role in _SYSTEM_ROLES:
        return False
    if role in _USER_ROLES:
        return sibling or system_kwarg
    return role is None and system_kwarg


# -- the analysis ------------------------------------------------------------
@dataclass
class _View:
    ctx: FileContext
    assigns: dict[str, list[Assign]] = field(default_factory=dict)
    strings: dict[str, list[StringBuild]] = field(default_factory=dict)
    request_aliases: frozenset[str] = frozenset()


class Flow:
    """User input -> prompt -> LLM call, over one repository. Build once per audit (``ctx.memo``)."""

    def __init__(self, index: RepoIndex, routes: Iterable[Any]) -> None:
        self.index = index
        self.routes = list(routes)
        self._views: dict[str, _View] = {}
        self._callers: dict[tuple[str, str], list[tuple[FileContext, Call]]] | None = None
        self.tainted: dict[tuple[str, str], dict[str, str]] = {}
        self._run()

    # views ------------------------------------------------------------------
    def view(self, path: str) -> _View:
        v = self._views.get(path)
        if v is None:
            ctx = self.index.contexts[path]
            v = _View(ctx)
            for a in ctx.py.assigns:
                v.assigns.setdefault(a.scope, []).append(a)
            for s in ctx.py.strings:
                v.strings.setdefault(s.scope, []).append(s)
            v.request_aliases = frozenset(i.alias for i in ctx.py.imports
                                          if i.qualname in ("flask.request", "quart.request"))
            self._views[path] = v
        return v

    def resolve(self, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
        """``index.resolve_function`` plus methods of objects whose class lives in another repository module."""
        found = self.index.resolve_function(ctx, call)
        if found is not None:
            return found
        head, _, method = call.qualname.rpartition(".")
        cls_path = ctx.var_types.get(head, "")
        if not cls_path or "." not in cls_path:
            return None
        module, _, cls = cls_path.rpartition(".")
        path = self.index.modules.get(module)
        other = self.index.contexts.get(path) if path else None
        fn = other.functions.get(f"{cls}.{method}") if other is not None else None
        return (other, fn) if other is not None and fn is not None else None

    # taint ------------------------------------------------------------------
    @staticmethod
    def _source_of(value: Any) -> str:
        """A description when ``value`` reads user input directly, else ""."""
        if isinstance(value, Ref):
            q = value.qualname
            if q == "sys.argv" or q.startswith("sys.argv."):
                return "`sys.argv`"
            if q.startswith(("flask.request.", "quart.request.")):
                return "the HTTP request"
            return ""
        if not isinstance(value, Expr):
            return ""
        callee = value.callee
        if value.kind == "subscript":
            if callee == "sys.argv":
                return "`sys.argv`"
            if callee.startswith(("flask.request", "quart.request")):
                return "the HTTP request"
            return ""
        if value.kind != "call" or not callee:
            return ""
        method = callee.rsplit(".", 1)[-1]
        if callee == "input":
            return "`input()`"
        if method in ("parse_args", "parse_known_args"):
            return "command-line arguments"
        if callee.startswith(("flask.request.", "quart.request.")):
            return "the HTTP request"
        if callee in ("streamlit.text_input", "streamlit.text_area", "streamlit.chat_input"):
            return f"`{callee.replace('streamlit', 'st')}`"
        if callee in ("click.prompt", "typer.prompt", "rich.prompt.Prompt.ask", "sys.stdin.read",
                      "sys.stdin.readline"):
            return f"`{callee}`"
        return ""

    def _name_tainted(self, name: str, names: dict[str, str], view: _View) -> str:
        if name in names:
            return names[name]
        root = _root(name)
        if root in names:
            return names[root]
        if root in view.request_aliases or name.startswith(("flask.request", "quart.request")):
            return "the HTTP request"
        if name == "sys.argv" or name.startswith("sys.argv."):
            return "`sys.argv`"
        return ""

    def value_taint(self, value: Any, names: dict[str, str], view: _View) -> str:
        """Origin of the user input ``value`` carries, or "" (calls other than string methods stop taint)."""
        if not isinstance(value, (Ref, Expr)):
            return ""  # a literal
        src = self._source_of(value)
        if src:
            return src
        if isinstance(value, Ref):
            return self._name_tainted(value.qualname, names, view)
        if not isinstance(value, Expr):
            return ""
        if value.kind in _STRING_EXPRS or value.kind == "subscript":
            if value.kind == "subscript" and value.callee:
                hit = self._name_tainted(value.callee, names, view)
                if hit:
                    return hit
            for n in value.names:
                hit = self._name_tainted(n, names, view)
                if hit:
                    return hit
            return ""
        if value.kind == "call" and value.callee:
            head, _, method = value.callee.rpartition(".")
            if head and method in _PASSTHROUGH:
                return self._name_tainted(head, names, view)
            if value.callee == "str":
                for n in value.names:
                    hit = self._name_tainted(n, names, view)
                    if hit:
                        return hit
        return ""

    def _seed(self) -> list[tuple[str, str, str, str]]:
        seeds: list[tuple[str, str, str, str]] = []
        for route in self.routes:
            ctx = self.index.contexts.get(route.file)
            if ctx is None or ctx.py.is_test:
                continue
            fn = ctx.functions.get(route.function)
            if fn is None:
                continue
            where = f"{'/'.join(route.methods)} {route.path}".strip()
            for p in _input_params(fn):
                seeds.append((route.file, fn.qualname, p, f"request parameter `{p}` of {where}"))
            view = self.view(route.file)
            for alias in view.request_aliases:
                seeds.append((route.file, fn.qualname, alias, f"the HTTP request of {where}"))
        for path, ctx in self.index.contexts.items():
            py = ctx.py
            if py.is_test:
                continue
            imported = {i.module.split(".", 1)[0] for i in py.imports}
            if imported & {"click", "typer", "fire", "gradio"}:
                for fn, kind in _cli_functions(ctx, imported):
                    for p in _input_params(fn):
                        seeds.append((path, fn.qualname, p, f"{kind} parameter `{p}`"))
            for a in py.assigns:
                value = a.value
                # cheap tests first: what _source_of accepts names sys.argv or a request object, or calls
                # something whose name ends like input(), parse_args(), Prompt.ask(), sys.stdin.readline()
                if isinstance(value, Ref):
                    if not value.qualname.startswith(_SOURCE_HEADS):
                        continue
                elif not (isinstance(value, Expr) and value.callee and (
                        value.callee.startswith(_SOURCE_HEADS)
                        or (value.kind == "call" and value.callee.endswith(_SOURCE_ENDS)))):
                    continue
                src = self._source_of(value)
                if src:
                    label = (f"command-line arguments parsed into `{a.target}`"
                             if src == "command-line arguments" else src)
                    seeds.append((path, a.scope, a.target, label))
        return seeds

    def _run(self) -> None:
        work: deque[tuple[str, str]] = deque()
        queued: set[tuple[str, str]] = set()  # what ``work`` holds, for a constant-time membership test

        def add(path: str, scope: str, name: str, origin: str) -> None:
            names = self.tainted.setdefault((path, scope), {})
            if name not in names:
                names[name] = origin
                if (path, scope) not in queued:
                    queued.add((path, scope))
                    work.append((path, scope))

        for path, scope, name, origin in self._seed():
            add(path, scope, name, origin)
        budget = 4000
        while work and budget:
            budget -= 1
            path, scope = work.popleft()
            queued.discard((path, scope))
            view = self.view(path)
            names = self.tainted[(path, scope)]
            assigns = view.assigns.get(scope, [])
            for _ in range(3):
                grew = False
                for a in assigns:
                    if a.target not in names:
                        origin = self.value_taint(a.value, names, view)
                        if origin:
                            names[a.target] = origin
                            grew = True
                if not grew:
                    break
            for call in view.ctx.calls_by_scope.get(scope, ()):
                for param, origin in self._tainted_params(view, call, names):
                    if ", passed in by " not in origin:
                        origin = f"{origin}, passed in by {scope.rsplit('.', 1)[-1]}()" if scope != "<module>" \
                            else f"{origin}, passed in at module level"
                    add(param[0], param[1], param[2], origin)

    def _tainted_params(self, view: _View, call: Call, names: dict[str, str]
                        ) -> Iterator[tuple[tuple[str, str, str], str]]:
        if not call.args and not call.kwargs:
            return
        # most calls lead outside the repository: that (memoized) test is cheaper than judging every argument
        target = self.resolve(view.ctx, call)
        if target is None:
            return
        taints = [(i, self.value_taint(v, names, view)) for i, v in enumerate(call.args)]
        ktaints = [(k, self.value_taint(v, names, view)) for k, v in call.kwargs]
        if not any(t for _, t in taints) and not any(t for _, t in ktaints):
            return
        tctx, fn = target
        params = _positional(fn)
        by_name = {p.name for p in fn.params}
        for i, origin in taints:
            if origin and i < len(params):
                yield (tctx.py.path, fn.qualname, params[i]), origin
        for k, origin in ktaints:
            if origin and k in by_name:
                yield (tctx.py.path, fn.qualname, k), origin

    # builds -----------------------------------------------------------------
    def builds(self) -> Iterator[Build]:
        """Prompt strings assembled from user input, in tainted scopes of non-test code."""
        for (path, scope), names in sorted(self.tainted.items()):
            view = self.view(path)
            if view.ctx.py.is_test or not names:
                continue
            yield from self._string_builds(path, scope, names, view)
            yield from self._template_builds(path, scope, names, view)
            yield from self._inline_builds(path, scope, names, view)
            yield from self._helper_builds(path, scope, names, view)

    def _string_builds(self, path: str, scope: str, names: dict[str, str], view: _View) -> Iterator[Build]:
        lines = set()
        for sb in view.strings.get(scope, ()):
            lines.add(sb.line)
            if not any(re.search(r"[A-Za-z]{2}", part) for part in sb.literal_parts) and not (
                    sb.target and not sb.target.startswith("arg:") and _PROMPT_VAR.search(sb.target)):
                continue
            hit = [n for n in sb.names if self._name_tainted(n, names, view)]
            if not hit:
                continue
            origin = self._name_tainted(hit[0], names, view)
            if sb.target.startswith("arg:"):
                call = self._call_at(view, scope, sb.target[4:], sb.line)
                if call is None:
                    continue
                yield Build(path, scope, sb.line, sb.kind, tuple(hit), origin, call=call, cell=sb.cell)
            elif sb.target:
                yield Build(path, scope, sb.line, sb.kind, tuple(hit), origin, target=sb.target, cell=sb.cell)
        # ``prompt = TEMPLATE + question``: no literal in the expression itself, a template constant instead
        for a in view.assigns.get(scope, ()):
            v = a.value
            if a.line in lines or not isinstance(v, Expr) or v.kind not in ("concat", "format"):
                continue
            hit = [n for n in v.names if self._name_tainted(n, names, view)]
            if hit and (_PROMPT_VAR.search(a.target) or any(self._is_text_constant(view, n) for n in v.names)):
                yield Build(path, scope, a.line, v.kind, tuple(hit), self._name_tainted(hit[0], names, view),
                            target=a.target, cell=a.cell)

    def _is_text_constant(self, view: _View, name: str) -> bool:
        for a in view.assigns.get("<module>", ()):
            if a.target == name and isinstance(a.value, str) and len(a.value) > 20:
                return True
        return False

    def _template_builds(self, path: str, scope: str, names: dict[str, str], view: _View) -> Iterator[Build]:
        for call in view.ctx.calls_by_scope.get(scope, ()):
            if call.qualname.rpartition(".")[2] not in ("format", "format_prompt", "format_messages", "render") \
                    or call.star_kwargs:
                continue
            values = list(call.args) + [v for _, v in call.kwargs]
            hit = [self.value_taint(v, names, view) for v in values]
            if not any(hit):
                continue
            obj = call.qualname.rsplit(".", 1)[0]
            if not self._is_template(view, obj, call.method):
                continue
            origin = next(h for h in hit if h)
            tainted_names = tuple(dict.fromkeys(
                n for v in values if self.value_taint(v, names, view) for n in names_of(v)))
            target = next((a.target for a in view.assigns.get(scope, ())
                           if a.line == call.line and isinstance(a.value, Expr) and a.value.callee == call.qualname),
                          "")
            if target:
                yield Build(path, scope, call.line, "template", tainted_names, origin, target=target, cell=call.cell)
                continue
            outer = self._consumer(view, scope, call)
            if outer is not None:
                yield Build(path, scope, call.line, "template", tainted_names, origin, call=outer, cell=call.cell)

    def _helper_builds(self, path: str, scope: str, names: dict[str, str], view: _View) -> Iterator[Build]:
        """``p = build_prompt(question)`` where the helper returns an expression it builds in ``return``."""
        for call in view.ctx.calls_by_scope.get(scope, ()):
            # the helper's name is the last part of the called name, so a call whose name has no
            # prompt/message in it cannot land in one
            if not call.args and not call.kwargs or not _HELPER_NAME.search(call.qualname):
                continue
            values = list(call.args) + [v for _, v in call.kwargs]
            hit = [self.value_taint(v, names, view) for v in values]
            if not any(hit):
                continue
            target = self.resolve(view.ctx, call)
            if target is None or not _HELPER_NAME.search(target[1].name):
                continue
            tctx, fn = target
            inner = self.tainted.get((tctx.py.path, fn.qualname), {})
            returned = [n for n in fn.returns_names if n in inner or _root(n) in inner]
            if not returned:
                continue
            tview = self.view(tctx.py.path)
            if any(sb.target in fn.returns_names for sb in tview.strings.get(fn.qualname, ())) or any(
                    a.target in fn.returns_names for a in tview.assigns.get(fn.qualname, ())):
                continue  # the helper builds into a local it returns: reported inside the helper
            origin = next(h for h in hit if h)
            used = tuple(dict.fromkeys(n for v in values if self.value_taint(v, names, view) for n in names_of(v)))
            out = next((a.target for a in view.assigns.get(scope, ())
                        if a.line == call.line and isinstance(a.value, Expr) and a.value.callee == call.qualname), "")
            if out:
                yield Build(path, scope, call.line, "helper", used, origin, target=out, cell=call.cell,
                            helper=fn.qualname)
            else:
                outer = self._consumer(view, scope, call)
                if outer is not None:
                    yield Build(path, scope, call.line, "helper", used, origin, call=outer, cell=call.cell,
                                helper=fn.qualname)

    def _inline_match(self, v: Any, names: dict[str, str], view: _View) -> bool:
        return (isinstance(v, Expr) and v.kind in ("fstring", "concat", "format")
                and any(self._name_tainted(n, names, view) for n in v.names))

    def _inline_builds(self, path: str, scope: str, names: dict[str, str], view: _View) -> Iterator[Build]:
        """f-strings and concatenations inside message lists: ``[{"role": "user", "content": f"..{q}"}]``."""
        def match(v: Any) -> bool:
            return self._inline_match(v, names, view)

        for a in view.assigns.get(scope, ()):
            if not isinstance(a.value, tuple) and not (isinstance(a.value, Expr) and a.value.kind == "dict"):
                continue
            occ = list(occurrences(a.value, match))
            if occ:
                origin = self._first_origin(a.value, names, view)
                used = tuple(dict.fromkeys(n for n in names_of(a.value) if self._name_tainted(n, names, view)))
                yield Build(path, scope, a.line, "message", used, origin, target=a.target, cell=a.cell,
                            inline_role_safe=all(safe(o, False) for o in occ))
        for call in view.ctx.calls_by_scope.get(scope, ()):
            if not call.args and not call.kwargs:
                continue
            values = [v for v in (*call.args, *(v for _, v in call.kwargs))
                      if isinstance(v, tuple) or (isinstance(v, Expr) and v.kind == "dict")]
            if not values:
                continue
            occ = [o for v in values for o in occurrences(v, match)]
            if not occ:
                continue
            origin = self._first_origin(tuple(values), names, view)
            used = tuple(dict.fromkeys(n for n in names_of(tuple(values)) if self._name_tainted(n, names, view)))
            if call.method in ("append", "extend", "insert") and call.receiver:
                sibling = self._has_system_message(view, scope, call.receiver)
                yield Build(path, scope, call.line, "message", used, origin, target=call.receiver, cell=call.cell,
                            inline_role_safe=all(safe((r, s or sibling), False) for r, s in occ))
            else:
                yield Build(path, scope, call.line, "message", used, origin, call=call, cell=call.cell)

    def _first_origin(self, value: Any, names: dict[str, str], view: _View) -> str:
        for n in names_of(value):
            hit = self._name_tainted(n, names, view)
            if hit:
                return hit
        return "user input"

    def _is_template(self, view: _View, obj: str, method: str) -> bool:
        if method == "render":
            return "jinja2" in object_type(self.index, view.ctx, obj) or "jinja2" in type_of(view.ctx, obj)
        t = object_type(self.index, view.ctx, obj)
        if "PromptTemplate" in t or "prompts." in t:
            return not self._role_separated_template(view, obj)
        if _TEMPLATE_NAME.search(obj.rsplit(".", 1)[-1]):
            return not self._role_separated_template(view, obj)
        for scope_assigns in (view.assigns.get(s, ()) for s in view.assigns):
            for a in scope_assigns:
                if a.target == obj and isinstance(a.value, str) and len(a.value) > 20:
                    return True
        return False

    def _role_separated_template(self, view: _View, obj: str) -> bool:
        """``ChatPromptTemplate.from_messages([("system", ...), ("human", "{q}")])`` keeps user text apart."""
        for a in (x for xs in view.assigns.values() for x in xs):
            if a.target != obj or not isinstance(a.value, Expr) or a.value.kind != "call":
                continue
            callee = a.value.callee
            if not (callee.endswith("from_messages") or callee.endswith("ChatPromptTemplate")):
                continue
            for call in view.ctx.py.calls:
                if call.line == a.line and call.qualname.endswith(callee.rsplit(".", 1)[-1]):
                    msgs = call.args[0] if call.args else call.kw("messages")
                    if not isinstance(msgs, tuple):
                        return True  # built elsewhere: cannot see the roles, assume the documented form
                    return any(_role_of(m) in _SYSTEM_ROLES for m in msgs)
            return True
        return False

    @staticmethod
    def _call_at(view: _View, scope: str, qualname: str, line: int) -> Call | None:
        for c in view.ctx.calls_by_scope.get(scope, ()):
            if c.qualname == qualname and c.line <= line <= c.end_line:
                return c
        return None

    @staticmethod
    def _consumer(view: _View, scope: str, inner: Call) -> Call | None:
        for c in view.ctx.calls_by_scope.get(scope, ()):
            if c is inner or not (c.line <= inner.line <= c.end_line):
                continue
            for v in list(c.args) + [v for _, v in c.kwargs]:
                if isinstance(v, Expr) and v.kind == "call" and v.callee == inner.qualname:
                    return c
        return None

    # sinks ------------------------------------------------------------------
    def sink_of(self, build: Build, depth: int = 2) -> Sink | None:
        view = self.view(build.path)
        if build.call is not None:
            return self._call_sink(view, build.scope, build.call, None, depth, build)
        if build.inline_role_safe:
            return None
        return self.find_sink(build.path, build.scope, {build.target}, depth)

    def _call_sink(self, view: _View, scope: str, call: Call, reads: set[str] | None, depth: int,
                   build: Build | None = None) -> Sink | None:
        """Is ``call`` an LLM call (or a helper leading to one) that receives the prompt unsafely?"""
        name = llm_call(self.index, view.ctx, call)
        system_kw = any(call.has_kw(k) for k in SYSTEM_KWARGS)
        values = list(call.args) + [v for _, v in call.kwargs]
        if name:
            if reads is None:  # the prompt is built right inside the call
                if build is not None and build.kind == "message":
                    names = self.tainted.get((build.path, build.scope), {})
                    occ = [o for v in values for o in occurrences(v, lambda x: self._inline_match(x, names, view))]
                    if occ and all(safe(o, system_kw) for o in occ):
                        return None
                elif build is not None and self._arg_key(call, build) in SYSTEM_KWARGS:
                    return Sink(view.ctx.py.path, call.line, name)  # user text inside the system prompt
                elif system_kw:
                    return None
                return Sink(view.ctx.py.path, call.line, name)
            occ = [o for v in values for o in occurrences(v, lambda x: self._reads(x, reads))]
            if occ and not all(safe(o, system_kw) for o in occ):
                return Sink(view.ctx.py.path, call.line, name)
            return None
        if depth <= 0:
            return None
        target = self.resolve(view.ctx, call)
        if target is None:
            if reads and call.method in _HEURISTIC_METHODS and any(
                    isinstance(v, Ref) and v.qualname in reads and _PROMPT_VAR.search(v.qualname) for v in values):
                return Sink(view.ctx.py.path, call.line, call.qualname)
            return None
        tctx, fn = target
        params = _positional(fn)
        start: set[str] = set()
        for i, v in enumerate(call.args):
            if i < len(params) and (self._reads(v, reads) if reads is not None else _is_build_value(v)):
                start.add(params[i])
        for k, v in call.kwargs:
            if self._reads(v, reads) if reads is not None else _is_build_value(v):
                start.add(k)
        if not start:
            return None
        sub = self.find_sink(tctx.py.path, fn.qualname, start, depth - 1)
        if sub is None:
            return None
        return Sink(sub.path, sub.line, sub.name, (fn.qualname, *sub.via))

    @staticmethod
    def _arg_key(call: Call, build: Build) -> str:
        """The keyword a prompt built right in the call's arguments was passed as ("" if positional/unknown)."""
        kinds = {"fstring": "fstring", "concat": "concat", "percent": "format", "format": "call",
                 "template": "call", "helper": "call"}
        want = kinds.get(build.kind, "")
        for key, value in call.kwargs:
            if isinstance(value, Expr) and value.kind == want and set(build.names) <= set(value.names):
                return key
        return ""

    @staticmethod
    def _reads(value: Any, reads: set[str] | None) -> bool:
        if reads is None:
            return False
        if isinstance(value, Ref):
            return value.qualname in reads or _root(value.qualname) in reads
        if isinstance(value, Expr) and value.kind != "dict":
            return any(n in reads for n in value.names)
        return False

    def find_sink(self, path: str, scope: str, start: set[str], depth: int) -> Sink | None:
        """Follow the names in ``start`` through one scope (and helpers) to an LLM call."""
        view = self.view(path)
        held = set(start)
        calls = view.ctx.calls_by_scope.get(scope, [])
        for _ in range(3):
            grew = False
            for a in view.assigns.get(scope, ()):
                if a.target in held or not _carries(a.value):
                    continue
                occ = list(occurrences(a.value, lambda x: self._reads(x, held)))
                if occ and not all(safe(o, False) for o in occ):
                    held.add(a.target)
                    grew = True
            for c in calls:
                if c.method in ("append", "extend", "insert") and c.receiver and c.receiver not in held:
                    occ = [o for v in c.args for o in occurrences(v, lambda x: self._reads(x, held))]
                    sibling = self._has_system_message(view, scope, c.receiver)
                    if occ and not all(safe((r, s or sibling), False) for r, s in occ):
                        held.add(c.receiver)
                        grew = True
            if not grew:
                break
        for c in calls:
            values = list(c.args) + [v for _, v in c.kwargs]
            if not any(x in held or _root(x) in held for v in values for x in names_of(v)):
                continue
            sink = self._call_sink(view, scope, c, held, depth)
            if sink is not None:
                return sink
        if depth > 0 and scope != "<module>":
            fn = view.ctx.functions.get(scope)
            if fn is not None and held & set(fn.returns_names):
                for cctx, ccall in self.callers(path, scope):
                    cview = self.view(cctx.py.path)
                    targets = {a.target for a in cview.assigns.get(ccall.scope, ())
                               if a.line == ccall.line and isinstance(a.value, Expr)
                               and a.value.callee == ccall.qualname}
                    sink = self.find_sink(cctx.py.path, ccall.scope, targets, depth - 1) if targets else None
                    if sink is None:
                        outer = self._consumer(cview, ccall.scope, ccall)
                        if outer is not None and llm_call(self.index, cctx, outer) and not any(
                                outer.has_kw(k) for k in SYSTEM_KWARGS):
                            sink = Sink(cctx.py.path, outer.line, llm_call(self.index, cctx, outer))
                    if sink is not None:
                        return Sink(sink.path, sink.line, sink.name, (ccall.scope, *sink.via))
        return None

    def _has_system_message(self, view: _View, scope: str, name: str) -> bool:
        for a in view.assigns.get(scope, ()):
            if a.target == name and isinstance(a.value, tuple):
                if any(_role_of(v) in _SYSTEM_ROLES for v in a.value):
                    return True
        return False

    def callers(self, path: str, qualname: str) -> list[tuple[FileContext, Call]]:
        if self._callers is None:
            out: dict[tuple[str, str], list[tuple[FileContext, Call]]] = {}
            for ctx in self.index.contexts.values():
                if ctx.py.is_test:
                    continue
                for call in ctx.py.calls:
                    if call.qualname.split(".", 1)[0] in ("print", "len", "str", "int", "self") and \
                            not call.qualname.startswith("self."):
                        continue
                    target = self.resolve(ctx, call)
                    if target is not None:
                        out.setdefault((target[0].py.path, target[1].qualname), []).append((ctx, call))
            self._callers = out
        return self._callers.get((path, qualname), [])


def _carries(value: Any) -> bool:
    """Values through which a prompt keeps flowing: names, containers, string operations, message objects."""
    if isinstance(value, (Ref, tuple)):
        return True
    if isinstance(value, Expr):
        if value.kind in _STRING_EXPRS or value.kind in ("dict", "list", "starred", "subscript"):
            return True
        if value.kind == "call":
            last = value.callee.rsplit(".", 1)[-1]
            return (last in _MESSAGE_CLASSES or last in _PASSTHROUGH or last in ("str", "dict", "list", "ChatMessage",
                                                                                  "Message", "join"))
    return False


def _is_build_value(value: Any) -> bool:
    return isinstance(value, Expr) and value.kind in ("fstring", "concat", "format", "call")


def _positional(fn: Function) -> list[str]:
    params = [p.name for p in fn.params if not p.name.startswith("*")]
    if fn.class_name and params and params[0] in ("self", "cls"):
        params = params[1:]
    return params


def _input_params(fn: Function) -> list[str]:
    out = []
    for p in fn.params:
        name = p.name.lstrip("*")
        if name in ("self", "cls") or not name:
            continue
        if p.annotation and p.annotation.rsplit(".", 1)[-1] in _EXCLUDED_PARAM_TYPES:
            continue
        d = p.default
        if isinstance(d, Expr) and d.kind == "call" and d.callee.rsplit(".", 1)[-1] in ("Depends", "Security"):
            continue
        out.append(name)
    return out


def _cli_functions(ctx: FileContext, imported: set[str]) -> Iterator[tuple[Function, str]]:
    """Functions whose parameters come from the command line or a demo UI's input widgets."""
    typer_apps = {n for n, t in ctx.var_types.items() if t == "typer.Typer"}
    click_groups = {f.name for f in ctx.py.functions
                    if any(d.qualname.startswith("click.group") or d.qualname.endswith(".group")
                           for d in f.decorators)}
    seen: set[str] = set()
    for fn in ctx.py.functions:
        for d in fn.decorators:
            q = d.qualname
            root = _root(q)
            if q.startswith(("click.command", "click.argument", "click.option", "typer.")) or (
                    q.endswith(".command") and (root in typer_apps or root in click_groups or "click" in imported)):
                if fn.qualname not in seen:
                    seen.add(fn.qualname)
                    yield fn, "command-line"
                break
    for call in ctx.py.calls:
        target: Any = None
        kind = "command-line"
        if call.qualname in ("fire.Fire", "typer.run") and call.args:
            target = call.args[0]
        elif call.qualname.startswith("gradio.") or (call.method in ("click", "submit", "change", "then")
                                                     and "gradio" in imported):
            target = call.kw("fn") or (call.args[0] if call.args else None)
            kind = "Gradio input"
        if isinstance(target, Ref):
            fn = ctx.functions.get(target.qualname)
            if fn is not None and fn.qualname not in seen:
                seen.add(fn.qualname)
                yield fn, kind
