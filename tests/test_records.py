"""_records.record: a dataclass with one generated method; the rest must behave as dataclass would."""
from __future__ import annotations

import dataclasses
import pickle

import pytest

from mlops_audit._records import record


@record()
class Frozen:
    name: str
    tags: tuple[str, ...] = ()
    extra: dict = dataclasses.field(default_factory=dict)


@record(frozen=False, slots=True)
class Slotted:
    qualname: str
    line: int = 0


@record(kw_only=True)
class KeywordOnly:
    a: int
    b: str = "x"


def test_frozen_record_behaves_like_a_frozen_dataclass():
    a = Frozen("n", ("t",))
    assert a == Frozen("n", ("t",)) and a != Frozen("m") and a.extra == {}
    assert Frozen("n").extra is not Frozen("n").extra  # the factory runs per instance
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "m"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del a.name
    assert dataclasses.replace(a, name="m") == Frozen("m", ("t",))
    assert [f.name for f in dataclasses.fields(Frozen)] == ["name", "tags", "extra"]
    assert repr(a) == "Frozen(name='n', tags=('t',), extra={})"
    assert pickle.loads(pickle.dumps(a)) == a
    assert Frozen.__doc__ is None


def test_slotted_record_is_hashable_and_pickles_as_a_call():
    s = Slotted("torch.load", 3)
    assert not hasattr(s, "__dict__")
    assert hash(s) == hash(Slotted("torch.load", 3)) and {s, Slotted("torch.load", 3)} == {s}
    assert Slotted.__reduce__(s) == (Slotted, ("torch.load", 3))
    assert pickle.loads(pickle.dumps(s)) == s
    assert s != ("torch.load", 3)


def test_keyword_only_record():
    with pytest.raises(TypeError):
        KeywordOnly(1)  # type: ignore[misc]
    assert KeywordOnly(a=1).b == "x"
