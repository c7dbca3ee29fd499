"""``record``: dataclasses that cost a quarter as much to define.

``@dataclass(frozen=True)`` compiles six generated functions per class when a
module is imported (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__``, ``__delattr__``). The facts and report modules define about
fifty classes, so that was a tenth of a small repository's scan. A record is a
real dataclass (``fields``, ``replace`` and ``asdict`` work) whose only
generated function is ``__init__``; equality, hashing, repr and the frozen
guard are shared functions over the field values.
"""
from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from typing import Any, Callable, TypeVar

__all__ = ["record"]

_T = TypeVar("_T")
_FACTORY = object()  # default of a parameter whose field has a default_factory


def record(*, frozen: bool = True, slots: bool = False, kw_only: bool = False) -> Callable[[type[_T]], type[_T]]:
    """A class decorator like ``dataclass(frozen=..., slots=..., kw_only=...)`` with value equality and hashing.

    Methods the class (or a base other than ``object``) defines itself are kept.
    Slotted records pickle as ``cls(*values)``, which is much faster to load
    than the per-object ``__setstate__`` a slotted dataclass gets.
    """

    def wrap(cls: type[_T]) -> type[_T]:
        documented = bool(cls.__doc__)
        if not documented:
            cls.__doc__ = " "  # dataclass would otherwise build one with inspect.signature, slowly
        made: Any = dataclass(init=False, repr=False, eq=False, slots=slots)(cls)
        if not documented:
            made.__doc__ = None
        names = [f.name for f in fields(made)]
        getter = attrgetter(*names) if len(names) > 1 else (lambda obj, _n=names[0]: (getattr(obj, _n),))
        made._values = staticmethod(getter)  # obj -> tuple of field values
        made.__init__ = _init(made, frozen and not slots, frozen and slots, kw_only)
        for name, method in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr)):
            if getattr(made, name) is getattr(object, name):
                setattr(made, name, method)
        if slots:
            made.__reduce__ = _reduce
        if frozen:
            made.__setattr__ = _frozen
            made.__delattr__ = _frozen
        return made  # type: ignore[no-any-return]

    return wrap


def _init(cls: Any, frozen_dict: bool, frozen_slots: bool, kw_only: bool) -> Callable[..., None]:
    """Compile the one generated method: ``__init__`` assigning each field (through __dict__ when frozen)."""
    env: dict[str, Any] = {"_FACTORY": _FACTORY, "_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = ["  _d = self.__dict__"] if frozen_dict else []
    for f in fields(cls):
        value = f.name
        if f.default is not MISSING:
            env[f"_dflt_{f.name}"] = f.default
            params.append(f"{f.name}=_dflt_{f.name}")
        elif f.default_factory is not MISSING:
            env[f"_make_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_make_{f.name}() if {f.name} is _FACTORY else {f.name}"
        else:
            params.append(f.name)
        if frozen_dict:
            body.append(f"  _d[{f.name!r}] = {value}")
        elif frozen_slots:
            body.append(f"  _setattr(self, {f.name!r}, {value})")
        else:
            body.append(f"  self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    signature = ", ".join((["*"] if kw_only and params else []) + params)
    source = f"def __init__(self{', ' if signature else ''}{signature}):\n" + ("\n".join(body) or "  pass") + "\n"
    exec(source, env)  # noqa: S102 - our own field names, not input
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._values(self) == other._values(other)  # type: ignore[attr-defined,no-any-return]


def _hash(self: Any) -> int:
    return hash(self._values(self))


def _repr(self: Any) -> str:
    values = self._values(self)
    return f"{type(self).__name__}({', '.join(f'{f.name}={v!r}' for f, v in zip(fields(self), values))})"


def _reduce(self: Any) -> tuple[Any, tuple[Any, ...]]:
    return self.__class__, self._values(self)


def _frozen(self: Any, name: str, *_: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")
