"""Training is recognised from the loss being backpropagated, whichever wrapper does it.

Two detectors ask "does this code train?" (the lifecycle/applicability one and the training view of
the rules); both use ``calls.backpropagates_loss``, so they cannot disagree again.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig

from ..conftest import FIXTURES, materialize

_LOOP = """\
import torch


def train(model, loader, accelerator, fabric, scaler):
    optimizer = torch.optim.AdamW(model.parameters())
    for batch in loader:
        loss = model(batch)
        {step}
        optimizer.step()
"""


def _lifecycle(tmp_path: Path, step: str) -> list[str]:
    (tmp_path / "train_loop.py").write_text(_LOOP.format(step=step), encoding="utf-8")
    return audit(tmp_path, AuditConfig(use_cache=False)).inventory.lifecycle.present


@pytest.mark.parametrize("step", [
    "accelerator.backward(loss)",           # Hugging Face accelerate
    "fabric.backward(loss / 4)",            # Lightning Fabric with gradient accumulation
    "scaler.scale(loss).backward()",        # torch AMP
    "loss.backward()",
])
def test_backpropagating_a_loss_is_training(tmp_path: Path, step: str) -> None:
    present = _lifecycle(tmp_path, step)
    assert "training" in present


@pytest.mark.parametrize("step", [
    "accelerator.backward(grads)",          # not a loss
    "batch.backward(torch.ones(3))",        # a saliency-style gradient of an input
])
def test_backward_on_something_else_is_not_training(tmp_path: Path, step: str) -> None:
    present = _lifecycle(tmp_path, step)
    assert "training" not in present


def test_mlflow_recipe_train_step_is_training(tmp_path: Path) -> None:
    """A recipe's ``steps/train.py`` only returns an estimator (the framework fits it): still training code."""
    repo = materialize(FIXTURES / "capabilities" / "pipeline_orchestration" / "positive_mlflow_recipe",
                       tmp_path / "repo")
    (repo / "expected.yaml").unlink()
    report = audit(repo, AuditConfig(use_cache=False))
    assert report.inventory.lifecycle.present == ["training", "tracking", "evaluation", "registry"]


_OWN_FIT = """\
{imports}

class BaseIndex:
    def __init__(self):
        self.documents = []

    def fit(self, documents):
{fit_body}


class KeywordIndex(BaseIndex):
    def search(self, query):
        return [d for d in self.documents if query in d]


class App:
    def __init__(self, documents):
        self.index = KeywordIndex()
        self.index.fit(documents)
"""


@pytest.mark.parametrize("imports, fit_body, trains", [
    ("", "        self.documents = documents", False),                   # stores the documents: no learning
    ("from sklearn.feature_extraction.text import TfidfVectorizer",
     "        self.vectors = TfidfVectorizer().fit_transform(documents)", True),
    ("from sklearn.linear_model import LogisticRegression",
     "        self._fit_model(documents)\n\n    def _fit_model(self, documents):\n"
     "        self.model = LogisticRegression().fit(documents, [0] * len(documents))", True),
])
def test_fit_of_a_class_of_the_file_trains_only_when_it_learns(tmp_path: Path, imports: str, fit_body: str,
                                                               trains: bool) -> None:
    (tmp_path / "retrieval.py").write_text(_OWN_FIT.format(imports=imports, fit_body=fit_body), encoding="utf-8")
    present = audit(tmp_path, AuditConfig(use_cache=False)).inventory.lifecycle.present
    assert ("training" in present) is trains
