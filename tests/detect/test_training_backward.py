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


def test_training_loop_behind_a_method_of_a_class_from_another_module(tmp_path: Path) -> None:
    """``model = Arch().to(device)`` handed to ``do_train(model)``: ``model.forward_backward(x)`` is the one
    repository method of that name, so the script is a training entry point (REP002 anchors on it)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "arch.py").write_text(
        "import torch\n\n\nclass Arch(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.lin = torch.nn.Linear(2, 2)\n\n    def forward_backward(self, x):\n"
        "        loss = self.lin(x).sum()\n        loss.backward()\n        return loss\n")
    (pkg / "train.py").write_text(
        "import torch\n\nfrom pkg.arch import Arch\n\n\ndef do_train(model):\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n    for _ in range(3):\n"
        "        model.forward_backward(torch.randn(4, 2))\n        opt.step()\n\n\ndef main():\n"
        "    do_train(Arch().to(torch.device('cpu')))\n\n\nif __name__ == '__main__':\n    main()\n")
    report = audit(tmp_path, AuditConfig(use_cache=False, select=("REP002",)))
    assert [f.location.path for f in report.findings] == ["pkg/train.py"]
