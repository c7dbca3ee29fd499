"""_patterns.lazy: a module-level pattern that compiles on first use and then behaves as re.Pattern."""
from __future__ import annotations

import copy
import re

from mlops_audit._patterns import lazy


def test_compiles_on_first_use_and_behaves_like_a_pattern():
    pat = lazy(r"(?P<key>\w+)=(\d+)", re.I)
    assert "compiled" not in pat.__dict__
    assert pat.search("x a=1").group("key") == "a"
    assert "compiled" in pat.__dict__
    assert pat.pattern == r"(?P<key>\w+)=(\d+)" and pat.flags & re.I and pat.groups == 2
    assert pat.fullmatch("b=2") and not pat.match(" b=2")
    assert [m.group(2) for m in pat.finditer("a=1 b=22")] == ["1", "22"]
    assert pat.findall("a=1") == [("a", "1")] and pat.sub("-", "a=1 c") == "- c" and pat.split("a=1") == ["", "a", "1", ""]
    assert pat.search is pat.__dict__["search"]  # bound once: later calls cost what a compiled pattern's do


def test_protocol_probes_do_not_compile():
    pat = lazy(r"[")  # invalid: compiling would raise
    assert copy.copy(pat) is not pat
    assert "lazy('[')" == repr(pat)
