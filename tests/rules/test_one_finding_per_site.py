"""A place to fix is reported once: repeated identical hits on one line collapse, and a training loop shared by
several entry points gives one CMP003 finding that names them all."""
from __future__ import annotations

from pathlib import Path

from mlops_audit import audit
from mlops_audit.config import AuditConfig


def _findings(root: Path, rule: str) -> list[tuple[str, int | None, str]]:
    report = audit(root, AuditConfig(use_cache=False, select=(rule,)))
    return [(f.location.path, f.location.line, f.message) for f in report.findings if f.rule == rule]


def test_two_unsafe_loads_on_one_line_are_one_finding(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("torch==2.1.0\n")
    (tmp_path / "cache.py").write_text(
        "import torch\n\n\ndef load_cached(train, test):\n    return torch.load(train), torch.load(test)\n")
    found = _findings(tmp_path, "SEC001")
    assert [(path, line) for path, line, _ in found] == [("cache.py", 5)]


def test_loop_shared_by_two_entry_points_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "engine.py").write_text(
        "import torch\n\n\ndef train_one_epoch(model, loader, opt):\n    for x, y in loader:\n"
        "        loss = torch.nn.functional.mse_loss(model(x.cuda()), y.cuda())\n        opt.zero_grad()\n"
        "        loss.backward()\n        opt.step()\n")
    for name in ("main.py", "run_cluster.py"):
        (tmp_path / name).write_text(
            "import torch\n\nfrom engine import train_one_epoch\n\n\ndef main():\n"
            "    model = torch.nn.Linear(4, 1).cuda()\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "    train_one_epoch(model, [], opt)\n\n\nif __name__ == \"__main__\":\n    main()\n")
    found = _findings(tmp_path, "CMP003")
    assert [(path, line) for path, line, _ in found] == [("engine.py", 8)]
    assert found[0][2].startswith("main.py and run_cluster.py train on CUDA")


def test_dataset_pushed_to_the_hub_is_no_ungated_model_push(tmp_path: Path) -> None:
    """TST003 asks for a gate before a model is pushed; a dataset pushed to the Hub needs none."""
    (tmp_path / "requirements.txt").write_text("transformers==4.44.0\ndatasets==2.20.0\n")
    train = ("from datasets import load_dataset\nfrom transformers import AutoModelForSequenceClassification, Trainer\n"
             "\n\ndef main():\n    data = load_dataset('imdb')\n"
             "    model = AutoModelForSequenceClassification.from_pretrained('bert-base-uncased')\n"
             "    trainer = Trainer(model=model, train_dataset=data['train'])\n    trainer.train()\n"
             "    pairs = load_dataset('json', data_files='pairs.jsonl')['train']\n"
             "    pairs.push_to_hub('org/pairs')\n{push}\n\nif __name__ == '__main__':\n    main()\n")
    (tmp_path / "train.py").write_text(train.format(push=""))
    assert _findings(tmp_path, "TST003") == []
    (tmp_path / "train.py").write_text(train.format(push="    model.push_to_hub('org/model')"))
    assert [(path, line) for path, line, _ in _findings(tmp_path, "TST003")] == [("train.py", 12)]


def test_drift_metrics_of_one_report_are_one_finding(tmp_path: Path) -> None:
    """A Report listing several drift metrics with default thresholds is one thing to fix, not one per metric."""
    from ..conftest import FIXTURES, materialize

    repo = materialize(FIXTURES / "rules" / "MON006" / "positive", tmp_path / "repo")
    (repo / "expected.txt").unlink()
    found = _findings(repo, "MON006")
    assert [(path, line) for path, line, _ in found] == [("monitoring/drift_report.py", 11),
                                                         ("monitoring/drift_report.py", 19)]


def test_notebook_findings_name_the_cell_in_their_message(tmp_path: Path) -> None:
    """A notebook line counts within its cell: the message must say which cell, not path:line."""
    import json

    cells = [["from transformers import AutoModelForSequenceClassification, Trainer\n"],
             ["model = AutoModelForSequenceClassification.from_pretrained('bert-base-uncased')\n",
              "trainer = Trainer(model=model)\n", "trainer.train()\n"],
             ["model.push_to_hub('org/model')\n"]]
    nb = {"cells": [{"cell_type": "code", "execution_count": i, "metadata": {}, "outputs": [], "source": src}
                    for i, src in enumerate(cells, 1)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "finetune.ipynb").write_text(json.dumps(nb))
    [(path, line, message)] = _findings(tmp_path, "TST003")
    assert (path, line) == ("finetune.ipynb", 1)
    assert message.startswith("finetune.ipynb cell 3, line 1 pushes a model")
