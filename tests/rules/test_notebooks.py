"""Unit tests of the notebook helpers."""
from __future__ import annotations

from mlops_audit.rules.notebooks import first_out_of_order


def test_first_out_of_order() -> None:
    assert first_out_of_order([(1, 1), (2, 2), (4, 3)]) is None
    assert first_out_of_order([(1, 1), (2, 5), (3, 2), (4, 1)]) == ((2, 5), (3, 2))
    assert first_out_of_order([(1, 2), (2, 2)]) == ((1, 2), (2, 2))
    assert first_out_of_order([]) is None
