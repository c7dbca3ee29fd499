"""Per-file views derived once from facts and shared by detect/ and rules/.

* variable types: ``client = MlflowClient()`` lets ``client.create_model_version``
  be read as ``mlflow.MlflowClient.create_model_version``;
* optional integrations: a module imported only inside ``try/except
  ImportError`` is an integration a library offers, not a tool the project uses;
* the repository's own modules, so calls can be followed into helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterable, Iterator, TypeVar

from .._patterns import lazy
from ..facts import Call, Expr, Facts, Function, PyFile
from .matcher import normalize_qualname

_V = TypeVar("_V")
_UNSET = object()

__all__ = ["FileContext", "RepoIndex", "effective_name", "absolute_module"]

# Calls that wrap an object and return one with the same interface (adapters, compilation, tracing patches).
_SAME_INTERFACE = lazy(
    r"^(peft\.(\w+\.)*(PeftModel\w*\.from_pretrained|get_peft_model|prepare_model_for_\w+)|"
    r"torch\.compile|torch\.jit\.(script|trace)|instructor\.(patch|from_openai|from_anthropic|from_litellm)|"
    r"langsmith\.wrappers\.wrap_\w+)$")


@dataclass
class FileContext:
    """Derived, per-file facts. Built lazily, cached for the whole audit."""

    py: PyFile

    @cached_property
    def var_types(self) -> dict[str, str]:
        """Local name -> qualified callee of the call that created it (last assignment wins).

        A wrapper that hands back the same interface (``model = PeftModel.from_pretrained(model, ...)``,
        ``model = torch.compile(model)``, ``client = instructor.from_openai(client)``) keeps the type of
        the object it wraps: ``model.generate`` is still the causal LM's ``generate``.
        """
        types: dict[str, str] = {}
        for a in self.py.assigns:
            v = a.value
            if isinstance(v, Expr) and v.kind == "call" and v.callee:
                callee = normalize_qualname(v.callee)
                wrapped = v.names[0] if v.names else ""
                if wrapped in types and _SAME_INTERFACE.match(callee):
                    types[a.target] = types[wrapped]
                    continue
                types[a.target] = callee
        return types

    @cached_property
    def import_roots(self) -> frozenset[str]:
        """First segments of the modules this file imports (``numpy`` for ``import numpy as np``)."""
        return frozenset(imp.module.split(".", 1)[0] for imp in self.py.imports)

    @cached_property
    def guarded_modules(self) -> frozenset[str]:
        """Top-level modules this file imports only inside ``try/except ImportError``."""
        guarded: set[str] = set()
        plain: set[str] = set()
        for imp in self.py.imports:
            root = imp.module.split(".", 1)[0]
            (guarded if imp.guarded else plain).add(root)
        return frozenset(guarded - plain)

    @cached_property
    def functions(self) -> dict[str, Function]:
        return {f.qualname: f for f in self.py.functions}

    @cached_property
    def calls_by_scope(self) -> dict[str, list[Call]]:
        out: dict[str, list[Call]] = {}
        for c in self.py.calls:
            out.setdefault(c.scope, []).append(c)
        return out

    def effective(self, call: Call) -> str:
        """Memoized per call: many detectors and rules ask for the same call's name."""
        memo = self._effective
        key = id(call)
        name = memo.get(key)
        if name is None:
            name = memo[key] = effective_name(call, self.var_types)
        return name

    @cached_property
    def _effective(self) -> dict[int, str]:
        return dict(zip(map(id, self.py.calls), self.call_names))

    @cached_property
    def call_names(self) -> list[str]:
        """``effective`` of every call, aligned with ``py.calls``: one pass instead of a lookup per call."""
        types = self.var_types
        # effective_name leaves the qualname as it is unless it holds "()" or the receiver has a known type
        return [effective_name(call, types) if "()" in call.qualname or call.receiver in types else call.qualname
                for call in self.py.calls]

    @cached_property
    def calls_by_method(self) -> dict[str, list[Call]]:
        """Calls grouped by method name (``Call.method``), each list in file order."""
        out: dict[str, list[Call]] = {}
        for call in self.py.calls:
            out.setdefault(call.qualname.rpartition(".")[2], []).append(call)
        return out

    @cached_property
    def calls_by_root(self) -> dict[str, list[Call]]:
        """Calls grouped by the first segment of their qualname (``torch`` in ``torch.load``), in file order."""
        out: dict[str, list[Call]] = {}
        for call in self.py.calls:
            out.setdefault(call.qualname.partition(".")[0], []).append(call)
        return out

    @cached_property
    def calls_by_name(self) -> dict[str, list[Call]]:
        """Calls grouped by effective name, each list in file order."""
        out: dict[str, list[Call]] = {}
        for call, name in zip(self.py.calls, self.call_names):
            out.setdefault(name, []).append(call)
        return out

    @cached_property
    def calls_by_keyword(self) -> dict[str, list[Call]]:
        """Calls grouped by the keyword arguments they pass (``has_kw``), each list in file order."""
        out: dict[str, list[Call]] = {}
        for call in self.py.calls:
            for key, _ in call.kwargs:
                calls = out.setdefault(key, [])
                if not calls or calls[-1] is not call:  # a keyword repeated in one call lists it once
                    calls.append(call)
        return out

    def calls_among(self, groups: dict[str, list[Call]], keys: Iterable[str]) -> list[Call]:
        """Calls of ``groups`` (``calls_by_method``, ``calls_by_name``, ...) under any of ``keys``, in file order:
        the same list a scan of ``py.calls`` filtered on membership in ``keys`` gives, at the cost of a few
        dictionary lookups."""
        return self.in_order([calls for key in keys if (calls := groups.get(key))])

    def in_order(self, lists: list[list[Call]]) -> list[Call]:
        """The calls of several groups merged in file order, each once."""
        lists = [calls for calls in lists if calls]
        if not lists:
            return []
        if len(lists) == 1:
            return list(lists[0])
        position = self._positions
        calls = self.py.calls
        return [calls[i] for i in sorted({position[id(c)] for group in lists for c in group})]

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {id(call): i for i, call in enumerate(self.py.calls)}

    # -- per-file memo tables: detectors and rules that derive something per file keep it here -------------
    def table(self, name: str) -> dict:
        """The memo table ``name`` of this file, created on first use."""
        tables = self.__dict__.get("_memo_tables")
        if tables is None:
            tables = self.__dict__["_memo_tables"] = {}
        found = tables.get(name)
        if found is None:
            found = tables[name] = {}
        return found

    def once(self, name: str, compute: Callable[..., _V], *args: object) -> _V:
        """``compute(*args)`` the first time ``name`` is asked for this file, the same value afterwards."""
        values = self.__dict__.get("_memo_once")
        if values is None:
            values = self.__dict__["_memo_once"] = {}
        found = values.get(name, _UNSET)
        if found is _UNSET:
            found = values[name] = compute(*args)
        return found  # type: ignore[no-any-return]

    def per_call(self, name: str, call: Call, compute: Callable[..., _V], *args: object) -> _V:
        """``compute(*args)`` once per call site; keyed by identity (a call site is an object, not a value).

        On the hot path of the training view (~10^5 lookups on a large tree): no closure, one frame.
        """
        tables = self.__dict__.get("_memo_tables")
        cache = tables.get(name) if tables is not None else None
        if cache is None:
            cache = self.table(name)
        hit = cache.get(id(call))
        if hit is not None and hit[0] is call:
            return hit[1]  # type: ignore[no-any-return]
        value = compute(*args)
        cache[id(call)] = (call, value)
        return value


def effective_name(call: Call, var_types: dict[str, str]) -> str:
    """The call's qualified name, with a local receiver replaced by its constructor's name."""
    name = call.qualname
    if "()" in name:
        name = normalize_qualname(name)
    if call.receiver and call.receiver in var_types and name.startswith(call.receiver + "."):
        return var_types[call.receiver] + name[len(call.receiver):]
    return name


def absolute_module(path: str, relative: str) -> str:
    """``..services.run`` imported from ``app/api/routes.py`` -> ``app.services.run``."""
    level = len(relative) - len(relative.lstrip("."))
    package = path.split("/")[:-1]
    if level > 1:
        package = package[:len(package) - (level - 1)] if level - 1 <= len(package) else []
    rest = relative[level:]
    return ".".join([*package, rest] if rest else package)


def _module_names(path: str) -> list[str]:
    """Importable names of a repository file: ``src/pkg/mod.py`` -> ``src.pkg.mod``, ``pkg.mod``."""
    if not path.endswith(".py"):
        return []
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts:
        return []
    names = [".".join(parts)]
    for i in range(1, len(parts)):
        names.append(".".join(parts[i:]))
    return names


# methods that return the object itself: model = Net(cfg).to(device) is still a Net
_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "eval", "train", "half", "float", "double", "bfloat16",
                           "requires_grad_", "share_memory", "to_empty"})


def _constructed_class(vtype: str) -> str:
    """``pkg.Net.to`` / ``pkg.Net().to`` (from ``Net(cfg).to(device)``) -> ``pkg.Net``; other types unchanged."""
    vtype = vtype.replace("()", "")
    head, _, last = vtype.rpartition(".")
    while head and last in _RETURNS_SELF:
        vtype = head
        head, _, last = vtype.rpartition(".")
    return vtype


# method names too common to resolve by name alone: library objects share them with repository classes
_COMMON_METHODS = frozenset("""
forward step train eval fit predict predict_proba run update save load get set cuda cpu append extend items keys
values close open read write start stop build setup reset info debug warning error format copy apply call process
transform main init parameters state_dict load_state_dict zero_grad backward generate encode decode compute
evaluate test validate remove clear sort join split strip replace send recv post patch head options connect
execute commit flush wait result done cancel submit filter reduce mean item tolist numpy view reshape invoke
ainvoke stream score fit_transform partial_fit inference infer embed query search upload download delete create
render show plot dump dumps loads print add_argument parse_args register configure initialize prepare finish
log_metric log_metrics log_param log_params log_artifact log_model""".split())


@dataclass
class RepoIndex:
    """All code units of the target with their contexts, and a module-name index for call following."""

    facts: Facts
    contexts: dict[str, FileContext] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for unit in self.facts.code_units(include_tests=True):
            self.contexts[unit.path] = FileContext(unit)

    def ctx(self, path: str) -> FileContext:
        return self.contexts[path]

    @cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module name -> path; shorter (less qualified) names lose ties to exact ones."""
        out: dict[str, str] = {}
        for py in self.facts.python:
            for i, name in enumerate(_module_names(py.path)):
                if i == 0 or name not in out:
                    out[name] = py.path
        return out

    @cached_property
    def module_roots(self) -> frozenset[str]:
        """First segments of every name in ``modules``: a dotted name with another root names no module here."""
        return frozenset(name.split(".", 1)[0] for name in self.modules)

    def resolve_function(self, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
        """The repository function a call lands in: same file, ``self.method``, or an imported module.

        The answer depends only on the called name and, for ``self.m()`` / ``cls.m()``, on the class, so it
        is memoized per file under that key: detectors and several rules follow the same calls, and names
        repeat (``self.assertEqual``, ``torch.cat``).
        """
        memo = ctx.table("resolved")
        name = call.qualname
        head = name.rpartition(".")[0]
        key = (name, call.scope.split(".")[0]) if head == "self" or head == "cls" else name
        if key in memo:
            return memo[key]
        found = memo[key] = self._resolve_function(ctx, call)
        return found

    def _resolve_function(self, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
        name = call.qualname
        if "." not in name:
            fn = ctx.functions.get(name)
            return (ctx, fn) if fn else None
        head, _, method = name.rpartition(".")
        if head == "self" or head == "cls":
            cls = call.scope.split(".")[0]
            fn = ctx.functions.get(f"{cls}.{method}")
            return (ctx, fn) if fn else None
        if head in ctx.var_types:  # instance of a local class: obj = Model(); obj.predict()
            vtype = _constructed_class(ctx.var_types[head])
            cls = vtype.rsplit(".", 1)[-1]
            fn = ctx.functions.get(f"{cls}.{method}")
            if fn:
                return ctx, fn
            # instance of an imported repository class: store = pkg.db.Store(); store.save() -> pkg/db.py Store.save
            name = f"{vtype}.{method}"
        # imported repository module: pkg.utils.load_model -> (pkg/utils.py, load_model)
        qual = normalize_qualname(name)
        if qual.startswith("."):
            qual = absolute_module(ctx.py.path, qual)
        parts = qual.split(".")
        if parts[0] not in self.module_roots:
            return self._unique_method(ctx, parts[0], method)
        for cut in range(len(parts) - 1, 0, -1):
            path = self.modules.get(".".join(parts[:cut]))
            if path is None:
                continue
            rest = ".".join(parts[cut:])
            other = self.contexts.get(path)
            if other is None:
                return None
            fn = other.functions.get(rest)
            return (other, fn) if fn else None
        return self._unique_method(ctx, parts[0], method)

    @cached_property
    def methods_by_name(self) -> dict[str, list[tuple[str, Function]]]:
        """Method name -> every (file, method) of a repository class with that name (tests excluded)."""
        out: dict[str, list[tuple[str, Function]]] = {}
        for path, ctx in self.contexts.items():
            if ctx.py.is_test:
                continue
            for fn in ctx.py.functions:
                if fn.class_name:
                    out.setdefault(fn.name, []).append((path, fn))
        return out

    def _unique_method(self, ctx: FileContext, root: str, method: str) -> tuple[FileContext, Function] | None:
        """``model.forward_backward(x)`` on a receiver of unknown type (a parameter, ``self.model``): the one
        repository method of that name, when exactly one class defines it and the name is distinctive. Library
        objects (a root the file imports) and everyday names (``step``, ``forward``, ``save``) are not guessed."""
        if method in _COMMON_METHODS or method.startswith("__") or len(method) < 4:
            return None
        if root in ctx.import_roots and root not in self.module_roots:
            return None
        found = self.methods_by_name.get(method)
        if not found or len(found) != 1:
            return None
        path, fn = found[0]
        return self.contexts[path], fn

    def reachable_calls(self, ctx: FileContext, function: Function, depth: int = 2
                        ) -> Iterator[tuple[FileContext, Call, tuple[str, ...]]]:
        """Calls made by ``function`` and, up to ``depth`` levels, by repository helpers it calls.

        Yields (context, call, chain) where chain names the helpers followed.
        """
        seen: set[tuple[str, str]] = set()
        stack = [(ctx, function, (), 0)]
        while stack:
            cur_ctx, fn, chain, level = stack.pop()
            key = (cur_ctx.py.path, fn.qualname)
            if key in seen:
                continue
            seen.add(key)
            for call in self._calls_in(cur_ctx, fn):
                yield cur_ctx, call, chain
                if level < depth:
                    target = self.resolve_function(cur_ctx, call)
                    if target is not None:
                        stack.append((target[0], target[1], chain + (target[1].qualname,), level + 1))

    @staticmethod
    def _calls_in(ctx: FileContext, fn: Function) -> list[Call]:
        out = list(ctx.calls_by_scope.get(fn.qualname, ()))
        prefix = fn.qualname + "."
        for scope, calls in ctx.calls_by_scope.items():
            if scope.startswith(prefix):  # nested functions and lambdas inside the handler
                out.extend(calls)
        return out
