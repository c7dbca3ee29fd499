"""Unit tests of the notebook helpers."""
from __future__ import annotations

from mlops_audit.rules.notebooks import first_out_of_order


def test_first_out_of_order() -> None:
    assert first_out_of_order([(1, 1), (2, 2), (4, 3)]) is None
    assert first_out_of_order([(1, 1), (2, 5), (3, 2), (4, 1)]) == ((2, 5), (3, 2))
    assert first_out_of_order([]) is None


def test_zero_and_repeated_counts_are_not_evidence() -> None:
    assert first_out_of_order([(1, 0), (2, 0), (3, 0)]) is None      # Databricks export
    assert first_out_of_order([(1, 2), (2, 2)]) is None              # one count stamped twice
    assert first_out_of_order([(1, 1), (2, 1), (3, 1)]) is None
    assert first_out_of_order([(1, 0), (2, 2), (3, 0), (4, 5)]) is None
    # zeros are skipped, not compared: the backwards pair is found across them
    assert first_out_of_order([(1, 4), (2, 0), (3, 3)]) == ((1, 4), (3, 3))
    assert first_out_of_order([(1, 1), (2, 3), (3, 3), (4, 2)]) == ((3, 3), (4, 2))
