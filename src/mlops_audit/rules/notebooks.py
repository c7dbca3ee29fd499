"""Notebooks: committed notebooks whose saved state cannot be reproduced top to bottom."""
from __future__ import annotations

from typing import Iterator

from ..model import Severity
from ._base import Hit, RuleContext, rule

__all__ = ["notebook_out_of_order", "first_out_of_order"]


def first_out_of_order(counts: list[tuple[int, int]]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first (cell, count) pair whose count does not exceed the previous executed cell's, with that cell."""
    for prev, cur in zip(counts, counts[1:]):
        if cur[1] <= prev[1]:
            return prev, cur
    return None


@rule(id="NBK001", name="notebook-out-of-order", area="reproducibility", severity=Severity.LOW,
      concept="notebook_out_of_order", title="Notebook was executed out of order",
      rationale="Execution counts that do not increase from top to bottom mean the saved outputs came from a "
                "different order (or from cells since edited or deleted): running the notebook from a fresh "
                "kernel may fail or give other results than the ones committed.",
      remediation={
          "default": "Restart the kernel and run all cells top to bottom before committing (`jupyter nbconvert "
                     "--to notebook --execute --inplace nb.ipynb`), or strip outputs with nbstripout; move "
                     "training code that matters into a module.",
      },
      seeds=("H18", "K07"), references=("Pimentel et al. 2019, A Large-scale Study about Quality and "
                                        "Reproducibility of Jupyter Notebooks",),
      bad="[3] ... [1] ... [7]", good="[1] ... [2] ... [3]", principle="reproducibility", tools=("nbstripout",))
def notebook_out_of_order(ctx: RuleContext) -> Iterator[Hit]:
    """File-level per notebook whose execution counts do not increase; MEDIUM when the notebook trains."""
    training = set(ctx.detection.training_files)
    for nb in ctx.facts.notebooks:
        if nb.code.is_test or nb.in_order:
            continue
        counts = [(c.index, c.execution_count) for c in nb.code_cells if c.execution_count is not None]
        pair = first_out_of_order(counts)
        if pair is None:
            continue
        (pcell, pcount), (cell, count) = pair
        trains = nb.path in training
        yield Hit(nb.path, None, key="out-of-order", severity=Severity.MEDIUM if trains else None,
                  message=f"{nb.path}: cell {cell} ran as [{count}] after cell {pcell} ran as [{pcount}]; the "
                          f"saved outputs do not come from a top-to-bottom run"
                          f"{' of this training notebook' if trains else ''}.")
