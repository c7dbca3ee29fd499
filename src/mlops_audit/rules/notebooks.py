"""Notebooks: committed notebooks whose saved state cannot be reproduced top to bottom."""
from __future__ import annotations

from typing import Iterator

from ..model import Severity
from ._base import Hit, RuleContext, rule

__all__ = ["notebook_out_of_order", "first_out_of_order"]


def first_out_of_order(counts: list[tuple[int, int]]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The first (cell, count) pair whose count is lower than the previous counted cell's, with that cell.

    Only positive counts are evidence: Databricks exports and some converters write 0 (or nothing) for every
    cell. Equal counts are skipped too: no kernel hands out one count twice, so a repeated number comes from
    a tool stamping a constant or a copied cell, and says nothing about the order the cells ran in.
    """
    counted = [(cell, count) for cell, count in counts if count > 0]
    for prev, cur in zip(counted, counted[1:]):
        if cur[1] < prev[1]:
            return prev, cur
    return None


@rule(id="NBK001", name="notebook-out-of-order", area="reproducibility", severity=Severity.LOW,
      concept="notebook_out_of_order", title="Notebook was executed out of order",
      rationale="An execution count lower than one above it means the saved outputs came from a "
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
    """File-level per notebook where a cell ran before one above it; MEDIUM when the notebook trains."""
    # only positive counts that fall below an earlier one count (see first_out_of_order)
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
