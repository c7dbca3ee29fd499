"""Following calls through a repository: typed receivers, resolution into repository functions, and a
bounded walk from a set of calls into the helpers they reach. Pure over FileContext / RepoIndex; every
derived table is memoized on the FileContext, so repeated walks over shared helpers cost little."""
from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import Iterator, NamedTuple

from ..facts import Call, Expr, Function, Ref
from .context import FileContext, RepoIndex, absolute_module
from .matcher import normalize_qualname

__all__ = ["DEPTH", "Reached", "effective", "resolve", "targets", "lookup", "calls_in", "walk_from",
           "backpropagates_loss"]

DEPTH = 3
_VALUE = itemgetter(1)  # the value of a (keyword, value) pair


def _constructions(ctx: FileContext) -> dict[tuple[str, str], list]:
    """``name = Ctor(...)`` assignments grouped by (scope, name), in file order; built once per file."""
    return ctx.once("constructions", _group_constructions, ctx)


def _group_constructions(ctx: FileContext) -> dict[tuple[str, str], list]:
    grouped: dict[tuple[str, str], list] = {}
    for a in ctx.py.assigns:
        if isinstance(a.value, Expr) and a.value.kind == "call" and a.value.callee:
            grouped.setdefault((a.scope, a.target), []).append(a)
    return grouped


def backpropagates_loss(call: Call) -> bool:
    """A ``backward`` call on a loss: ``loss.backward()``, AMP's ``scaler.scale(loss).backward()``, or the
    wrappers that take the loss as their argument (``accelerator.backward(loss)``, Lightning Fabric's
    ``fabric.backward(loss / accum)``). One predicate, so every training detector agrees on it."""
    if call.qualname.rpartition(".")[2] != "backward":
        return False
    if "loss" in call.receiver.lower() or normalize_qualname(call.qualname).endswith(".scale.backward"):
        return True
    first = call.args[0] if call.args else call.kw("loss")
    if isinstance(first, Ref):
        return "loss" in first.qualname.lower()
    if isinstance(first, Expr):
        return any("loss" in name.lower() for name in first.names)
    return False


def _scoped_type(ctx: FileContext, scope: str, name: str, line: int) -> str | None:
    """The constructor of the last ``name = Ctor(...)`` before ``line`` in ``scope``."""
    best = None
    for a in _constructions(ctx).get((scope, name), ()):
        if a.line <= line and (best is None or a.line >= best.line):
            best = a
    return normalize_qualname(best.value.callee) if best is not None else None


def effective(ctx: FileContext, call: Call) -> str:
    """Import-resolved name with local receivers typed (``run = wandb.init(); run.log`` -> ``wandb.init.log``).

    The receiver's type comes from the last assignment before the call in the same function when there is
    one (``var_types`` alone keeps the file's last assignment), and attribute receivers assigned in the
    same file are typed too (``self.writer = SummaryWriter()``).
    """
    return ctx.per_call("effective", call, _effective, ctx, call)


def _effective(ctx: FileContext, call: Call) -> str:
    name = normalize_qualname(call.qualname)
    if call.receiver and call.receiver in ctx.var_types and name.startswith(call.receiver + "."):
        found = _scoped_type(ctx, call.scope, call.receiver, call.line)
        if found:
            return found + name[len(call.receiver):]
    eff = ctx.effective(call)
    if eff != name or "." not in name or not _dotted_types(ctx):
        return eff
    types = ctx.var_types
    parts = name.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        head = ".".join(parts[:cut])
        if head in types:
            return types[head] + "." + ".".join(parts[cut:])
    return name


def _dotted_types(ctx: FileContext) -> bool:
    """Whether some typed name of the file is dotted (``self.writer``): only those can type a name's head."""
    return ctx.once("dotted_types", _has_dotted_type, ctx)


def _has_dotted_type(ctx: FileContext) -> bool:
    return any("." in name for name in ctx.var_types)


def resolve(index: RepoIndex, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
    """A repository function a call lands in, including methods of objects built from imported classes
    and constructors (``Trainer(cfg)`` -> ``Trainer.__init__``).

    Unless the receiver has a known type, the answer depends only on the qualified name (and, for
    ``self.m()``, on the class), so it is memoized per file under that key: the same names recur.
    """
    if call.receiver in ctx.var_types:
        return _resolve(index, ctx, call)
    head = call.qualname.rpartition(".")[0]
    key = (call.qualname, call.scope.split(".", 1)[0] if head in ("self", "cls") else "")
    memo = ctx.table("training_resolve")
    if key in memo:
        return memo[key]
    found = memo[key] = _resolve(index, ctx, call)
    return found


def _resolve(index: RepoIndex, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
    try:
        found = index.resolve_function(ctx, call)
    except Exception:  # defensive: facts from a half-parsed file
        found = None
    if found is not None:
        return found
    name = effective(ctx, call)
    if name.startswith("."):  # a receiver typed by a relative import: obj = Endpoints() from .endpoints
        name = absolute_module(ctx.py.path, name)
    functions = ctx.functions
    if name.split(".", 1)[0] not in index.module_roots and name not in functions \
            and name + ".__init__" not in functions:
        return None  # neither lookup below can succeed (see _lookup_uncached); most calls end here
    target = lookup(index, ctx, name)
    if target is not None:
        return target
    # a class constructor: follow __init__ / __post_init__
    return lookup(index, ctx, name + ".__init__")


def targets(index: RepoIndex, ctx: FileContext, call: Call) -> list[tuple[FileContext, Function]]:
    """Repository functions a call leads into: the one it calls (``resolve``), then functions passed by name
    as arguments (``study.optimize(objective)``). Memoized per call site; callers must not modify the list."""
    return ctx.per_call("targets", call, _targets, index, ctx, call)


def _targets(index: RepoIndex, ctx: FileContext, call: Call) -> list[tuple[FileContext, Function]]:
    found = []
    target = resolve(index, ctx, call)
    if target is not None:
        found.append(target)
    if call.args or call.kwargs:
        functions, roots = ctx.functions, index.module_roots
        for arg in chain(call.args, map(_VALUE, call.kwargs)):
            # a name that is no function of this file and starts with no module of the repository cannot be
            # looked up (see _lookup_uncached): most arguments are local variables
            if isinstance(arg, Ref) and (arg.qualname in functions or arg.qualname.split(".", 1)[0] in roots):
                target = lookup(index, ctx, arg.qualname)
                if target is not None:
                    found.append(target)
    return found


def lookup(index: RepoIndex, ctx: FileContext, name: str) -> tuple[FileContext, Function] | None:
    cache = ctx.table("lookup")
    if name in cache:
        return cache[name]
    found = _lookup_uncached(index, ctx, name)
    cache[name] = found
    return found


def _lookup_uncached(index: RepoIndex, ctx: FileContext, name: str) -> tuple[FileContext, Function] | None:
    fn = ctx.functions.get(name)
    if fn is not None:
        return ctx, fn
    parts = name.split(".")
    if parts[0] not in index.module_roots:
        return None
    modules = index.modules
    for cut in range(len(parts) - 1, 0, -1):
        path = modules.get(".".join(parts[:cut]))
        if path is None:
            continue
        other = index.contexts.get(path)
        if other is None:
            return None
        fn = other.functions.get(".".join(parts[cut:]))
        return (other, fn) if fn else None
    return None


class Reached(NamedTuple):
    """A call reached from an entry point; ``anchor`` is the call in the entry's own file that leads to it.

    A named tuple: walks create tens of thousands of them, and a frozen dataclass costs several times more
    to build."""

    path: str
    call: Call
    chain: tuple[str, ...]
    anchor: Call


def calls_in(ctx: FileContext, fn: Function) -> list[Call]:
    """Calls made in ``fn`` and the functions and lambdas nested in it (memoized per file)."""
    return ctx.once("calls_in", _calls_by_enclosing_scope, ctx).get(fn.qualname, [])


def _calls_by_enclosing_scope(ctx: FileContext) -> dict[str, list[Call]]:
    nested: dict[str, list[Call]] = {}
    for scope, calls in ctx.calls_by_scope.items():
        parts = scope.split(".")
        for i in range(1, len(parts) + 1):
            nested.setdefault(".".join(parts[:i]), []).extend(calls)
    return nested


def walk_from(index: RepoIndex, ctx: FileContext, calls: list[Call], depth: int = DEPTH,
              seen: set[tuple[str, str]] | None = None) -> Iterator[Reached]:
    """Every call in ``calls`` and, up to ``depth`` helper levels, in the repository functions they reach.

    Functions passed by name as arguments (``study.optimize(objective)``, ``fire.Fire(main)``) are followed
    too. ``Reached.anchor`` is the last call in the entry's own file on the way to each call.
    """
    seen = set() if seen is None else seen
    entry_path = ctx.py.path
    # frame: (context, calls, chain, level, anchor outside the entry file or None)
    stack: list[tuple[FileContext, list[Call], tuple[str, ...], int, Call | None]] = [(ctx, calls, (), 0, None)]
    while stack:
        cur, cur_calls, chain, level, anchor = stack.pop()
        path = cur.py.path
        if level >= depth:
            for call in cur_calls:
                yield Reached(path, call, chain, anchor if anchor is not None else call)
            continue
        for call in cur_calls:
            yield Reached(path, call, chain, anchor if anchor is not None else call)
            for t_ctx, t_fn in targets(index, cur, call):
                if t_ctx.py.is_test:
                    continue
                key = (t_ctx.py.path, t_fn.qualname)
                if key in seen:
                    continue
                seen.add(key)
                next_anchor = anchor
                if next_anchor is None and t_ctx.py.path != entry_path:
                    next_anchor = call
                stack.append((t_ctx, calls_in(t_ctx, t_fn), chain + (t_fn.qualname,), level + 1, next_anchor))
