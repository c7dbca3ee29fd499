"""Python source -> ``PyFile`` facts, in one AST pass.

Imports are resolved as they are met, so ``import mlflow as mf; mf.log_metric()``
records ``mlflow.log_metric`` and ``from joblib import load; load(p)`` records
``joblib.load``. The tree is dropped once facts are extracted (keeping ASTs
alive costs memory and GC time far beyond their use).

Nothing is executed: values are literals, ``Ref`` names or ``Expr`` shapes.
"""
from __future__ import annotations

import ast
import sys
import warnings
from typing import Any, Iterable

from ..facts import (
    Assign, Call, ClassDef, Compare, Decorator, Expr, Function, Import, Param, PyFile,
    Ref, StringBuild, is_test_path,
)

__all__ = ["parse_python", "PyCollector"]

_MAX_LITERAL_ITEMS = 64
_OPS = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}


def _is_import_error_handler(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names: list[ast.expr] = []
    if t is None:
        return True
    if isinstance(t, ast.Tuple):
        names = list(t.elts)
    else:
        names = [t]
    for n in names:
        if isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception"):
            return True
    return False


class PyCollector(ast.NodeVisitor):
    """Walks one module (or a notebook's cells in order) and accumulates facts.

    Scope, alias table and guards are tracked on stacks so a single traversal
    suffices. ``cell`` is set by the notebook collector before each cell.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.aliases: dict[str, str] = {}
        self.imports: list[Import] = []
        self.calls: list[Call] = []
        self.functions: list[Function] = []
        self.classes: list[ClassDef] = []
        self.strings: list[StringBuild] = []
        self.assigns: list[Assign] = []
        self.compares: list[Compare] = []
        self.scope: list[str] = []
        self.scope_name = "<module>"  # dotted name of the enclosing function/class, kept with ``scope``
        self.func_depth = 0
        self.guard_depth = 0
        self.in_main = False
        self.except_names = ""
        self.has_main = False
        self.main_line: int | None = None
        self.cell: int | None = None
        self.line_offset = 0
        self._refs: dict[str, Ref] = {}
        self._returns: list[list[str]] = []  # names returned by each enclosing function, innermost last

    # -- traversal: ast.NodeVisitor's, minus its per-node string building and generators ------------
    _dispatch: dict[type, Any] = {}
    _EXPR_SPECIAL: dict[type, Any] = {}

    def visit(self, node: ast.AST) -> None:
        cls = node.__class__
        method = self._dispatch.get(cls)
        if method is None:
            method = getattr(type(self), "visit_" + cls.__name__, None) or type(self).generic_visit
            self._dispatch[cls] = method
        method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        visit = self.visit
        scan = self.scan_expr
        expr = ast.expr
        for name in _child_fields(node.__class__):
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, expr):
                        scan(item)
                    elif isinstance(item, ast.AST):
                        visit(item)
            elif isinstance(value, expr):
                scan(value)
            elif value is not None:
                visit(value)

    def scan_expr(self, root: ast.expr) -> None:
        """Visit the facts inside an expression without dispatching on every node.

        Expressions are most of a tree and only a few of their node types carry
        facts (calls, walrus assignments, lambdas and comprehensions, which hold
        calls); names, constants and plain dotted chains are skipped outright.
        Children are pushed in reverse so facts keep source order.
        """
        stack = [root]
        pop, push = stack.pop, stack.append
        special = self._EXPR_SPECIAL
        while stack:
            n = pop()
            cls = n.__class__
            if cls is _Name or cls is _Constant:
                continue
            if cls is _Attribute:
                cur = n.value
                while cur.__class__ is _Attribute:
                    cur = cur.value
                if cur.__class__ is _Name:
                    continue
                push(cur)
                continue
            handler = special.get(cls)
            if handler is not None:
                handler(self, n)
                continue
            children = []
            for name in _child_fields(cls):
                value = getattr(n, name, None)
                if value.__class__ is list:
                    children.extend(value)
                elif value is not None:
                    children.append(value)
            for child in reversed(children):
                if isinstance(child, ast.expr):
                    push(child)
                elif isinstance(child, ast.AST):  # comprehension, keyword, arguments, ...
                    self.visit(child)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass

    # -- name resolution -------------------------------------------------
    def resolve(self, node: ast.AST) -> str:
        """Dotted, import-resolved name of a Name/Attribute chain, or "" if not a plain chain."""
        cls = node.__class__
        if cls is _Name:
            name = node.id  # type: ignore[attr-defined]
            return self.aliases.get(name, name)
        parts: list[str] = []
        cur = node
        while cls is _Attribute:
            parts.append(cur.attr)  # type: ignore[attr-defined]
            cur = cur.value  # type: ignore[attr-defined]
            cls = cur.__class__
        if cls is _Name:
            parts.append(self.aliases.get(cur.id, cur.id))  # type: ignore[attr-defined]
            parts.reverse()
            return ".".join(parts)
        if cls is _CallNode:
            inner = self.resolve(cur.func)  # type: ignore[attr-defined]
            if inner:
                parts.append(inner + "()")
                parts.reverse()
                return ".".join(parts)
        return ""

    def root_name(self, node: ast.AST) -> str:
        cur = node
        while isinstance(cur, (ast.Attribute, ast.Subscript, ast.Call)):
            cur = cur.func if isinstance(cur, ast.Call) else cur.value
        return cur.id if isinstance(cur, ast.Name) else ""

    def value(self, node: ast.AST | None, depth: int = 0) -> Any:
        """A literal value, a ``Ref`` to a resolved name, or an ``Expr`` describing the expression."""
        if node is None:
            return None
        cls = node.__class__
        if cls is _Constant:
            v = node.value  # type: ignore[attr-defined]
            if isinstance(v, (bytes, complex)) or v is Ellipsis:
                return Expr("constant")
            return v
        if cls is _Name:
            name = node.id  # type: ignore[attr-defined]
            found = self._refs.get(name)
            if found is not None and name not in self.aliases:
                return found  # an unaliased local name seen before: its shared Ref
            return self.ref(self.aliases.get(name, name))
        if cls is _Attribute:
            name = self.resolve(node)
            return self.ref(name) if name else Expr("attribute", names=self.names_in(node))
        if depth < 3 and isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return tuple(self.value(e, depth + 1) for e in node.elts[:_MAX_LITERAL_ITEMS])
        if depth < 3 and isinstance(node, ast.Dict):
            items = []
            for k, v in list(zip(node.keys, node.values))[:_MAX_LITERAL_ITEMS]:
                key = self.value(k, depth + 1) if k is not None else Expr("unpack")
                items.append((key if _hashable(key) else Expr("key"), self.value(v, depth + 1)))
            return Expr("dict", names=tuple(str(k) for k, _ in items if isinstance(k, str)),
                        literal=tuple(items))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            v = node.operand.value
            if isinstance(v, (int, float)):
                return -v
        if isinstance(node, ast.Call):
            callee = self.resolve(node.func)
            lit = None
            if node.args and isinstance(node.args[0], ast.Constant):
                lit = node.args[0].value
            names: tuple[str, ...] = ()
            if callee.endswith(".format") or depth == 0:
                # what flows into a call result: only the top level is worth a walk
                names = tuple(a.id for a in node.args if isinstance(a, ast.Name))
                names += tuple(k.value.id for k in node.keywords if isinstance(k.value, ast.Name))
            return Expr("call", callee=sys.intern(callee), names=names, literal=lit)
        if isinstance(node, ast.JoinedStr):
            return Expr("fstring", names=self.names_in(node))
        if isinstance(node, ast.BinOp):
            kind = "concat" if isinstance(node.op, ast.Add) else ("format" if isinstance(node.op, ast.Mod) else "binop")
            return Expr(kind, names=self.names_in(node))
        if isinstance(node, ast.Subscript):
            base = node.value
            return Expr("subscript", callee=self.resolve(base),
                        names=(base.id,) if isinstance(base, ast.Name) else (), literal=_subscript_key(node))
        if isinstance(node, ast.Lambda):
            return Expr("lambda")
        return Expr(type(node).__name__.lower())

    def ref(self, qualname: str) -> Ref:
        """One shared ``Ref`` per name and file: fewer objects to build, and pickle stores each once."""
        found = self._refs.get(qualname)
        if found is None:
            found = self._refs[qualname] = Ref(sys.intern(qualname))
        return found

    def names_in(self, node: ast.AST) -> tuple[str, ...]:
        """Local names (and string subscript keys) read by an expression, in source order, deduplicated."""
        cls = node.__class__
        if cls is _Name:
            return (node.id,)  # type: ignore[attr-defined]
        if cls is _Constant:
            return ()
        if cls is _Attribute and node.value.__class__ is _Name:  # type: ignore[attr-defined]
            return (f"{node.value.id}.{node.attr}", node.value.id)  # type: ignore[attr-defined]
        out: list[str] = []
        for sub in _walk(node):
            if isinstance(sub, ast.Name):
                out.append(sub.id)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                out.append(f"{sub.value.id}.{sub.attr}")
            elif isinstance(sub, ast.Subscript):
                key = _subscript_key(sub)
                if isinstance(key, str):
                    out.append(key)
            if len(out) > 64:
                break
        return tuple(dict.fromkeys(out))

    def line(self, node: ast.AST) -> int:
        try:
            return node.lineno + self.line_offset  # type: ignore[attr-defined]
        except AttributeError:
            return self.line_offset

    def end_line(self, node: ast.AST) -> int:
        return (getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)) + self.line_offset

    def enter_scope(self, name: str) -> None:
        self.scope.append(name)
        self.scope_name = sys.intern(".".join(self.scope))

    def leave_scope(self) -> None:
        self.scope.pop()
        self.scope_name = sys.intern(".".join(self.scope)) if self.scope else "<module>"

    # -- imports ----------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            target = alias.name if alias.asname else alias.name.split(".")[0]
            self.aliases[local] = target
            self.imports.append(Import(alias.name, None, local, self.line(node),
                                       self.guard_depth > 0, self.func_depth > 0, self.cell))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            module = "." * node.level + module
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            # ``from . import x`` -> ".x" (the module is only dots: no separator to add)
            self.aliases[local] = (module + alias.name if module.endswith(".") else f"{module}.{alias.name}") \
                if module else alias.name
            self.imports.append(Import(module, alias.name, local, self.line(node),
                                       self.guard_depth > 0, self.func_depth > 0, self.cell))

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_is_import_error_handler(h) for h in node.handlers)
        if guarded:
            self.guard_depth += 1
        for stmt in node.body:
            self.visit(stmt)
        if guarded:
            self.guard_depth -= 1
        for handler in node.handlers:
            outer = self.except_names
            self.except_names = _handler_names(handler)
            self.visit(handler)
            self.except_names = outer
        for part in (node.orelse, node.finalbody):
            for stmt in part:
                self.visit(stmt)

    visit_TryStar = visit_Try

    # -- definitions -----------------------------------------------------
    def decorators(self, nodes: Iterable[ast.expr]) -> tuple[Decorator, ...]:
        out = []
        for d in nodes:
            if isinstance(d, ast.Call):
                out.append(Decorator(self.resolve(d.func) or Expr("call").kind, self.line(d),
                                     tuple(self.value(a) for a in d.args),
                                     tuple((k.arg, self.value(k.value)) for k in d.keywords if k.arg)))
            else:
                out.append(Decorator(self.resolve(d), self.line(d)))
        return tuple(out)

    def annotation(self, node: ast.expr | None) -> str:
        """Resolved name of an annotation; ``Optional[X]`` / ``list[float]`` give their outer name."""
        if node is None:
            return ""
        if isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value  # a string annotation, kept as written
        return self.resolve(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        decorators = self.decorators(node.decorator_list)
        args = node.args
        positional = args.posonlyargs + args.args
        defaults: list[Any] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = [
            Param(a.arg, self.annotation(a.annotation),
                  self.value(d) if d is not None else None, d is not None)
            for a, d in zip(positional, defaults)
        ]
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            params.append(Param(a.arg, self.annotation(a.annotation),
                                self.value(d) if d is not None else None, d is not None))
        if args.vararg:
            params.append(Param("*" + args.vararg.arg))
        if args.kwarg:
            params.append(Param("**" + args.kwarg.arg))
        class_name = self.scope[-1] if self.scope and self._in_class else ""
        self.enter_scope(node.name)
        qual = self.scope_name
        returns: list[str] = []
        self.func_depth += 1
        was_class = self._in_class
        self._in_class = False
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        self._returns.append(returns)  # visit_Return adds names returned anywhere in the body (try, if, ...)
        for stmt in node.body:
            self.visit(stmt)
        self._returns.pop()
        self._in_class = was_class
        self.func_depth -= 1
        self.leave_scope()
        self.functions.append(Function(
            node.name, qual, self.line(node), self.end_line(node), decorators, tuple(params),
            isinstance(node, ast.AsyncFunctionDef), class_name, tuple(dict.fromkeys(returns)), self.cell,
        ))

    _in_class = False
    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        for b in node.bases:
            self.visit(b)
        decorators = self.decorators(node.decorator_list)
        bases = tuple(self.resolve(b) or self.resolve(getattr(b, "value", b)) for b in node.bases)
        fields = tuple(
            stmt.target.id for stmt in node.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        )
        self.enter_scope(node.name)
        qual = self.scope_name
        was_class = self._in_class
        self._in_class = True
        for stmt in node.body:
            self.visit(stmt)
        self._in_class = was_class
        self.leave_scope()
        self.classes.append(ClassDef(node.name, qual, self.line(node), self.end_line(node),
                                     bases, decorators, fields, self.cell))

    # -- statements ------------------------------------------------------
    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and test.comparators and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value == "__main__"):
            self.has_main = True
            self.main_line = self.line(node)
            was = self.in_main
            self.in_main = True
            for stmt in node.body:
                self.visit(stmt)
            self.in_main = was
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self._compare(test, "if", _body_raises(node.body), stops=_body_stops(node.body))
        if _availability_check(test):
            # `if is_wandb_available():` / `if _TORCH_AVAILABLE:` / `if TYPE_CHECKING:` guard optional imports
            self.visit(test)
            self.guard_depth += 1
            for stmt in node.body:
                self.visit(stmt)
            self.guard_depth -= 1
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._compare(node.test, "while", False)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self._compare(node.test, "assert", True, always=True)
        self.generic_visit(node)

    def _compare(self, test: ast.expr, context: str, raises: bool, always: bool = False,
                 stops: bool | None = None) -> None:
        stops = raises if stops is None else stops
        if test.__class__ is _Compare and all(o.__class__ in _LEAVES for o in test.comparators) \
                and test.left.__class__ in _LEAVES:  # type: ignore[attr-defined]
            comps = [test]  # the usual `x > 0`: nothing nested to search
        else:
            comps = [n for n in _walk(test) if isinstance(n, ast.Compare)]
        if not comps and context == "if" and raises and isinstance(test, (ast.Name, ast.UnaryOp, ast.BoolOp)):
            always = True
        if not comps and always:
            self.compares.append(Compare(self.line(test), self.scope_name, context, self.names_in(test),
                                         (), (), raises, self.cell, stops))
        for comp in comps[:4]:
            consts = tuple(c.value for c in [comp.left, *comp.comparators]
                           if isinstance(c, ast.Constant) and isinstance(c.value, (int, float, str)))
            ops = tuple(_OPS.get(type(o), "?") for o in comp.ops)
            self.compares.append(Compare(self.line(comp), self.scope_name, context, self.names_in(comp),
                                         consts, ops, raises, self.cell, stops))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
        self._record_assign(node.targets, node.value, node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._record_assign([node.target], node.value, node)
        self.visit(node.annotation)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
            names = (node.target.id,) + self.names_in(node.value)
            self.strings.append(StringBuild("concat", self.line(node), self.scope_name, names,
                                            node.target.id, (), self.cell))

    def _record_assign(self, targets: list[ast.expr], value: ast.expr, node: ast.AST) -> None:
        if isinstance(value, (ast.Compare, ast.BoolOp)) and len(targets) == 1 and isinstance(targets[0], ast.Name):
            # passed = auc >= MIN_AUC and f1 >= MIN_F1: a comparison decided here, acted on later
            self._compare(value, f"assign:{targets[0].id}", False)
        elif isinstance(value, ast.IfExp) and isinstance(value.test, (ast.Compare, ast.BoolOp)) and len(targets) == 1 \
                and isinstance(targets[0], ast.Name):
            # stage = "Production" if recall >= threshold else "Staging": the comparison picks the value
            self._compare(value.test, f"assign:{targets[0].id}", False)
        names = []
        for t in targets:
            if isinstance(t, ast.Name):
                names.append(t.id)
            elif isinstance(t, ast.Attribute):
                dotted = self.resolve(t)
                if dotted:
                    names.append(dotted)
            elif isinstance(t, ast.Tuple):
                names.extend(e.id for e in t.elts if isinstance(e, ast.Name))
            elif isinstance(t, ast.Subscript) and isinstance(_subscript_key(t), str):
                base = self.resolve(t.value)
                if base:
                    names.append(f"{base}[{_subscript_key(t)}]")  # os.environ[OPENAI_API_KEY]
        if not names:
            return
        if isinstance(value, _DATAFLOW_NODES) or (
                isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Mod))):
            val = self.value(value)
            scope = self.scope_name
            for name in names[:4]:
                self.assigns.append(Assign(sys.intern(name), self.line(node), scope, val, self.cell))
        sb = self._string_build(value)
        if sb is not None:
            kind, parts = sb
            self.strings.append(StringBuild(kind, self.line(node), self.scope_name, self.names_in(value),
                                            names[0], parts, self.cell))

    def _string_build(self, node: ast.expr) -> tuple[str, tuple[str, ...]] | None:
        if node.__class__ not in _STRING_BUILDERS:
            return None
        if isinstance(node, ast.JoinedStr):
            parts = tuple(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            return ("fstring", parts) if any(isinstance(v, ast.FormattedValue) for v in node.values) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            consts = [n.value for n in _walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            if consts:
                return ("concat" if isinstance(node.op, ast.Add) else "percent", tuple(consts))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
            return ("format", (node.func.value.value,))
        return None

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            if self._returns:
                self._returns[-1].extend(self.names_in(node.value)[:8])
            sb = self._string_build(node.value)
            if sb is not None:
                self.strings.append(StringBuild(sb[0], self.line(node), self.scope_name, self.names_in(node.value),
                                                "return", sb[1], self.cell))
            self.visit(node.value)

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if isinstance(item.optional_vars, ast.Name):  # with mlflow.start_run() as run:
                self._record_assign([item.optional_vars], item.context_expr, node)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._record_assign([node.target], node.value, node)

    # -- expressions -----------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        qual = self.resolve(func)
        receiver = ""
        if func.__class__ is _Attribute:
            base = func.value  # type: ignore[attr-defined]
            while base.__class__ is _Attribute or base.__class__ is _Subscript:
                base = base.value
            if base.__class__ is _Name and base.id not in self.aliases:
                receiver = base.id
            if not qual:
                qual = "?." + func.attr  # type: ignore[attr-defined]
        args = node.args
        keywords = node.keywords
        if qual:
            value = self.value
            scope = self.scope_name
            line = node.lineno + self.line_offset
            self.calls.append(Call(
                sys.intern(qual), line, node.end_lineno + self.line_offset, scope,  # type: ignore[operator]
                tuple([value(a) for a in args[:16] if a.__class__ is not _Starred]) if args else (),
                tuple([(k.arg, value(k.value)) for k in keywords if k.arg]) if keywords else (),
                any(k.arg is None for k in keywords) if keywords else False,
                self.in_main, receiver, self.cell, self.except_names,
            ))
            for a in [*args[:4], *[k.value for k in keywords]]:
                if a.__class__ in _STRING_BUILDERS:
                    sb = self._string_build(a)
                    if sb is not None:
                        self.strings.append(StringBuild(sb[0], self.line(a), scope, self.names_in(a),
                                                        f"arg:{qual}", sb[1], self.cell))
        scan = self.scan_expr
        if func.__class__ is not _Name:
            scan(func)
        for a in args:
            if a.__class__ not in _LEAVES:
                scan(a)
        for k in keywords:
            if k.value.__class__ not in _LEAVES:
                scan(k.value)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        cur = node.value
        while isinstance(cur, ast.Attribute):
            cur = cur.value
        if isinstance(cur, ast.Name):
            return  # a plain dotted chain holds nothing else worth visiting
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        pass

    def result(self, path: str, lines: int, error: str | None = None, error_line: int | None = None) -> PyFile:
        return PyFile(
            path=path, is_test=is_test_path(path), lines=lines,
            imports=tuple(self.imports), calls=tuple(self.calls), functions=tuple(self.functions),
            classes=tuple(self.classes), strings=tuple(self.strings), assigns=tuple(self.assigns),
            compares=tuple(self.compares),
            has_main=self.has_main, main_line=self.main_line,
            syntax_error=error, syntax_error_line=error_line,
        )


# assignments worth keeping for one-step dataflow: literals, names, calls, f-strings, subscripts
_DATAFLOW_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.JoinedStr, ast.Subscript,
                   ast.List, ast.Tuple, ast.Dict, ast.UnaryOp)


def _availability_check(test: ast.expr) -> bool:
    """A condition that asks whether an optional dependency is installed (or only type checking)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return False
    if isinstance(test, ast.BoolOp):
        return all(_availability_check(v) for v in test.values)
    node = test.func if isinstance(test, ast.Call) else test
    name = node.attr if isinstance(node, ast.Attribute) else (node.id if isinstance(node, ast.Name) else "")
    low = name.lower()
    return name == "TYPE_CHECKING" or (low.startswith(("is_", "_is_", "has_")) and low.endswith("_available")) \
        or (name.isupper() and "AVAILABLE" in name)


_Name, _Constant, _Attribute = ast.Name, ast.Constant, ast.Attribute
_Subscript, _Starred, _CallNode, _Compare = ast.Subscript, ast.Starred, ast.Call, ast.Compare
_LEAVES = frozenset({ast.Name, ast.Constant})
_STRING_BUILDERS = frozenset({ast.JoinedStr, ast.BinOp, ast.Call})
# expression nodes with facts of their own: handled by their visit_ method, not by the generic scan
PyCollector._EXPR_SPECIAL = {
    ast.Call: PyCollector.visit_Call,
    ast.NamedExpr: PyCollector.visit_NamedExpr,
    ast.Lambda: PyCollector.generic_visit,
}


# fields that never hold child nodes worth visiting: operators, contexts and scalar attributes
_SCALAR_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "asname", "module", "level",
                            "is_async", "conversion", "kind", "type_comment", "simple", "tag", "rest", "kwd_attrs"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of an AST class that can hold child nodes (memoized per class).

    Walking only these skips the per-node ``getattr``/``isinstance`` of scalar
    fields, which is a large share of a traversal's cost on big trees.
    """
    found = _CHILD_FIELDS.get(cls)
    if found is None:
        if cls in (ast.Constant, ast.Global, ast.Nonlocal, ast.MatchSingleton):
            found = ()
        else:
            found = tuple(f for f in getattr(cls, "_fields", ()) if f not in _SCALAR_FIELDS)
        _CHILD_FIELDS[cls] = found
    return found


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node``, breadth first like ``ast.walk``, without its per-node generators."""
    todo = [node]
    i = 0
    AST = ast.AST
    while i < len(todo):
        n = todo[i]
        i += 1
        for name in _child_fields(n.__class__):
            v = getattr(n, name, None)
            if v.__class__ is list:
                for x in v:
                    if isinstance(x, AST):
                        todo.append(x)
            elif v is not None:
                todo.append(v)
    return todo


def _handler_names(handler: ast.ExceptHandler) -> str:
    """Exception names an except clause handles, comma-joined; "*" for a bare ``except:``."""
    t = handler.type
    if t is None:
        return "*"
    elts = t.elts if isinstance(t, ast.Tuple) else [t]
    out = []
    for e in elts:
        if isinstance(e, ast.Name):
            out.append(e.id)
        elif isinstance(e, ast.Attribute):
            out.append(e.attr)
    return ",".join(out) or "?"


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _subscript_key(node: ast.Subscript) -> Any:
    sl = node.slice
    if isinstance(sl, ast.Constant):
        return sl.value
    return None


def _body_raises(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            f = stmt.value.func
            name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else "")
            if name in ("exit", "fail", "abort"):
                return True
        if isinstance(stmt, ast.Return):
            return True
    return False


def _body_stops(body: list[ast.stmt]) -> bool:
    """Stricter than ``_body_raises``: a raise, an exit, or a return of nothing (``return``, ``return None``,
    ``return False``). Returning a label or a response is an answer, not a stop."""
    for stmt in body:
        if isinstance(stmt, ast.Return):
            if stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value in (None, False)):
                return True
        elif _body_raises([stmt]):
            return True
    return False


def parse_python(path: str, source: str) -> PyFile:
    """Facts of one module; a syntax error is recorded on the result, never raised."""
    lines = source.count("\n") + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. warn (or fail under -W error) on 3.12+
            try:
                tree = ast.parse(source, filename=path)
            except SyntaxError:
                # a cookiecutter/Jinja template (`from {{ cookiecutter.pkg }}.config import X`, `{% if %}` lines):
                # read the Python around the template actions, every line in place
                if "{{" not in source and "{%" not in source:
                    raise
                from .yaml_lines import neutralise_templates

                tree = ast.parse(neutralise_templates(source), filename=path)
    except SyntaxError as exc:
        return PyFile(path=path, is_test=is_test_path(path), lines=lines,
                      syntax_error=f"{exc.msg}", syntax_error_line=exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:
        return PyFile(path=path, is_test=is_test_path(path), lines=lines,
                      syntax_error=f"unparseable: {type(exc).__name__}")
    collector = PyCollector(path)
    try:
        collector.visit(tree)
    except RecursionError:
        return PyFile(path=path, is_test=is_test_path(path), lines=lines,
                      syntax_error="nesting too deep to analyse")
    return collector.result(path, lines)


if sys.getrecursionlimit() < 3000:
    sys.setrecursionlimit(3000)
