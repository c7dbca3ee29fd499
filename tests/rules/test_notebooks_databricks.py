"""NBK001 on notebooks whose execution counts are 0, missing or repeated (Databricks exports and the like)."""
from __future__ import annotations

from pathlib import Path

from mlops_audit import audit
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize


def _nbk001(name: str, tmp_path: Path) -> list[tuple[str, int | None, str]]:
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False, select=("NBK001",)))
    return sorted((f.location.path, f.location.line, f.message) for f in report.findings if f.rule == "NBK001")


def test_zero_constant_and_missing_counts_are_not_out_of_order(tmp_path: Path) -> None:
    # all-zero Databricks export, one count stamped on every cell, never run, zeros between in-order counts
    assert _nbk001("nbk_databricks_negative", tmp_path) == []


def test_positive_counts_that_go_backwards_still_count(tmp_path: Path) -> None:
    assert _nbk001("nbk_databricks_positive", tmp_path) == [
        ("notebooks/churn_training.ipynb", None,
         "notebooks/churn_training.ipynb: cell 5 ran as [3] after cell 3 ran as [4]; the saved outputs do not "
         "come from a top-to-bottom run of this training notebook."),
        ("notebooks/explore.ipynb", None,
         "notebooks/explore.ipynb: cell 3 ran as [2] after cell 2 ran as [3]; the saved outputs do not come "
         "from a top-to-bottom run."),
    ]
