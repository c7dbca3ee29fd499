"""Unit tests for the training-entry-point view (detect/training.py) and the tracking rules' edge cases."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from mlops_audit import audit
from mlops_audit.collect import CollectOptions, collect
from mlops_audit.collect.python import parse_python
from mlops_audit.config import AuditConfig
from mlops_audit.detect import detect
from mlops_audit.detect.context import FileContext
from mlops_audit.detect.training import fit_kind, training_view


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [],
                                  "source": textwrap.dedent(c).lstrip("\n")} for i, c in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def view(root: Path):
    facts = collect(str(root), CollectOptions(use_cache=False))
    det = detect(facts)
    return training_view(facts, det.index, det.routes)


def found(root: Path, rule_id: str) -> list[tuple[str | None, int | None]]:
    report = audit(root, AuditConfig(use_cache=False, select=(rule_id,)))
    assert not [n for n in report.inspection.notes if n.startswith("rule ")], report.inspection.notes
    return sorted((f.location.path if f.location else None, f.location.line if f.location else None)
                  for f in report.findings if f.rule == rule_id)


def fits(src: str) -> list[tuple[int, str | None]]:
    py = parse_python("m.py", textwrap.dedent(src))
    ctx = FileContext(py)
    return [(c.line, fit_kind(ctx, c, ctx.calls_by_scope.get(c.scope, ()))) for c in py.calls
            if fit_kind(ctx, c, ctx.calls_by_scope.get(c.scope, ()))]


# -- fit_kind -------------------------------------------------------------------------------

def test_fit_kind_separates_fitting_from_mode_switches_and_preprocessing() -> None:
    src = """
        import xgboost as xgb
        from sklearn.preprocessing import StandardScaler
        from transformers import Trainer
        scaler = StandardScaler()
        scaler.fit(X)                      # preprocessing: not a model fit
        model.train()                      # torch mode switch
        trainer = Trainer(model=model)
        trainer.train()                    # HF Trainer
        booster = xgb.train({}, dtrain)    # boosting
        clf.fit(X, y)
    """
    assert fits(src) == [(9, "trainer"), (10, "boost"), (11, "fit")]


def test_backward_counts_only_with_an_optimizer_step() -> None:
    without = """
        def f(loss):
            loss.backward()
    """
    with_step = """
        def f(loss, optimizer, scaler):
            scaler.scale(loss).backward()
            scaler.step(optimizer)
    """
    assert fits(without) == []
    assert fits(with_step) == [(3, "loop")]


# -- entry points -----------------------------------------------------------------------------

def test_script_reaching_fit_through_helpers_anchors_in_the_script(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "src/__init__.py": "",
        "src/models.py": """
            from sklearn.linear_model import Ridge
            def build():
                return Ridge()
            def train_model(X, y):
                model = build()
                model.fit(X, y)
                return model
        """,
        "scripts/train.py": """
            from src.models import train_model
            def main():
                train_model([[0]], [0])
            if __name__ == "__main__":
                main()
        """,
    })
    v = view(root)
    assert [(e.path, e.kind) for e in v.entries] == [("scripts/train.py", "script")]
    e = v.entries[0]
    assert e.anchor[:2] == ("scripts/train.py", 3)
    assert e.fit.path == "src/models.py" and e.fit.chain == ("main", "train_model")


def test_cli_command_and_pipeline_steps_reached_by_a_script_are_not_separate_entries(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "run.py": """
            import click
            from sklearn.linear_model import Ridge
            @click.command()
            def main():
                Ridge().fit([[0]], [0])
            if __name__ == "__main__":
                main()
        """,
        "flow.py": """
            from prefect import flow, task
            from sklearn.linear_model import Ridge
            @task
            def train():
                Ridge().fit([[0]], [0])
            @flow
            def pipeline():
                train()
        """,
    })
    v = view(root)
    assert sorted((e.path, e.kind, e.name) for e in v.entries) == [
        ("flow.py", "step", "pipeline"), ("run.py", "script", "<module>")]


def test_library_fit_without_any_caller_is_not_an_entry_point(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": """
            class Model:
                def fit(self, X, y):
                    self.inner.fit(X, y)
        """,
        "pkg/api.py": "from pkg.core import Model\n",
    })
    assert view(root).entries == []


def test_method_of_an_imported_class_and_its_constructor_are_followed(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "lib/__init__.py": "",
        "lib/trainer.py": """
            import torch
            import wandb
            class Runner:
                def __init__(self, net):
                    self.run = wandb.init(project="p")
                    self.net = net
                    self.opt = torch.optim.SGD(net.parameters(), lr=0.1)
                def go(self, x):
                    loss = self.net(x).sum()
                    loss.backward()
                    self.opt.step()
                    self.run.log({"loss": loss.item()})
        """,
        "train.py": """
            import torch
            from lib.trainer import Runner
            runner = Runner(torch.nn.Linear(2, 1))
            runner.go(torch.ones(2))
        """,
    })
    v = view(root)
    assert len(v.entries) == 1 and v.entries[0].logged and v.entries[0].tools() == ["wandb"]


def test_notebook_is_an_entry_point_with_cell_anchor(tmp_path: Path) -> None:
    root = repo(tmp_path, {"nb.ipynb": notebook("from sklearn.svm import SVC", "m = SVC()\nm.fit(X, y)")})
    v = view(root)
    assert [(e.path, e.kind) for e in v.entries] == [("nb.ipynb", "notebook")]
    assert v.entries[0].anchor == ("nb.ipynb", 2, 2)


# -- integrations ------------------------------------------------------------------------------

def test_lightning_default_logger_counts_and_logger_false_does_not(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "a.py": """
            import lightning as L
            trainer = L.Trainer(max_epochs=1)
            trainer.fit(model)
        """,
        "b.py": """
            import lightning as L
            trainer = L.Trainer(logger=False)
            trainer.fit(model)
        """,
    })
    assert found(root, "TRK001") == [("b.py", 3)]


def test_hf_trainer_report_to_none_is_unlogged_and_cli_arguments_are_not_judged(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "none.py": """
            from transformers import Trainer, TrainingArguments
            args = TrainingArguments(output_dir="out", report_to="none")
            trainer = Trainer(model=m, args=args)
            trainer.train()
        """,
        "cli.py": """
            from transformers import HfArgumentParser, Trainer, TrainingArguments
            (args,) = HfArgumentParser((TrainingArguments,)).parse_args_into_dataclasses()
            trainer = Trainer(model=m, args=args)
            trainer.train()
        """,
        "wb.py": """
            from transformers import Trainer, TrainingArguments
            args = TrainingArguments(output_dir="out", report_to=["wandb"])
            trainer = Trainer(model=m, args=args)
            trainer.train()
        """,
    })
    assert found(root, "TRK001") == [("none.py", 4)]


def test_hydra_configured_logger_counts_as_tracking(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "train.py": """
            import hydra
            @hydra.main(config_path="conf", config_name="train")
            def main(cfg):
                trainer = hydra.utils.instantiate(cfg.trainer, logger=hydra.utils.instantiate(cfg.logger))
                trainer.fit(hydra.utils.instantiate(cfg.model))
            if __name__ == "__main__":
                main()
        """,
        "conf/logger/wandb.yaml": "wandb:\n  _target_: lightning.pytorch.loggers.wandb.WandbLogger\n  project: p\n",
    })
    v = view(root)
    assert v.entries[0].logged and "wandb" in v.entries[0].tools()
    assert found(root, "TRK001") == []


def test_dvc_stage_records_params_data_and_metrics(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "src/train.py": """
            import pandas as pd
            from sklearn.linear_model import Ridge
            if __name__ == "__main__":
                df = pd.read_csv("data/train.csv")
                Ridge().fit(df[["x"]], df["y"])
        """,
        "dvc.yaml": """
            stages:
              train:
                cmd: python src/train.py
                deps: [data/train.csv, src/train.py]
                params: [train.alpha]
                outs: [model.pkl]
            metrics: [eval/metrics.json]
        """,
    })
    e = view(root).entries[0]
    assert {"params", "dataset", "metrics", "artifacts", "code"} <= e.kinds()


def test_accelerate_tracker_chosen_on_the_command_line_skips_lineage(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "train.py": """
            import torch
            from accelerate import Accelerator
            def main(args, net, opt, batch):
                accelerator = Accelerator(log_with=args.report_to)
                accelerator.init_trackers("proj", config=vars(args))
                loss = net(batch).sum()
                accelerator.backward(loss)
                opt.step()
                accelerator.log({"loss": loss.item()})
            if __name__ == "__main__":
                main(None, None, None, None)
        """,
    })
    assert found(root, "TRK001") == []
    assert found(root, "TRK005") == []


# -- TRK002 sources -----------------------------------------------------------------------------

MLFLOW_TRAIN = """
    import mlflow
    from sklearn.linear_model import Ridge
    with mlflow.start_run():
        Ridge().fit([[0]], [0])
"""


def test_tracking_uri_from_compose_kubernetes_or_code(tmp_path: Path) -> None:
    compose = repo(tmp_path / "c", {"train.py": MLFLOW_TRAIN, "docker-compose.yml": """
        services:
          train:
            build: .
            environment:
              - MLFLOW_TRACKING_URI=http://mlflow:5000
    """})
    k8s = repo(tmp_path / "k", {"train.py": MLFLOW_TRAIN, "job.yaml": """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec:
          template:
            spec:
              containers:
                - name: train
                  image: train:1
                  env:
                    - name: MLFLOW_TRACKING_URI
                      value: http://mlflow:5000
    """})
    code = repo(tmp_path / "s", {"train.py": "import os\nimport mlflow\nmlflow.set_tracking_uri(os.environ['URI'])\n"
                                            + textwrap.dedent(MLFLOW_TRAIN)})
    for root in (compose, k8s, code):
        assert found(root, "TRK002") == [], root
    bare = repo(tmp_path / "b", {"train.py": MLFLOW_TRAIN})
    assert found(bare, "TRK002") == [("train.py", 3)]


# -- TRK004 ---------------------------------------------------------------------------------------

def test_keras_loss_counts_as_more_than_accuracy(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        from tensorflow import keras
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(X, y)
    """})
    assert found(root, "TRK004") == []


def test_accuracy_only_is_reported_once_per_site(tmp_path: Path) -> None:
    root = repo(tmp_path, {
        "common.py": """
            from sklearn.metrics import accuracy_score
            def report(model, X, y):
                return accuracy_score(y, model.predict(X))
        """,
        "a.py": "from sklearn.svm import SVC\nfrom common import report\nm = SVC().fit(X, y)\nreport(m, X, y)\n",
        "b.py": "from sklearn.svm import SVC\nfrom common import report\nm = SVC().fit(X, y)\nreport(m, X, y)\n",
    })
    assert found(root, "TRK004") == [("common.py", 3)]


def test_lineage_is_complete_with_dataset_input_and_logged_model(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        import mlflow
        import pandas as pd
        from sklearn.linear_model import Ridge
        with mlflow.start_run():
            df = pd.read_csv("d.csv")
            mlflow.log_input(mlflow.data.from_pandas(df), context="training")
            mlflow.log_params({"a": 1})
            m = Ridge().fit(df[["x"]], df["y"])
            mlflow.log_metric("r2", 1.0)
            mlflow.sklearn.log_model(m, "model")
    """})
    assert found(root, "TRK005") == []
    assert found(root, "TRK003") == []


def test_logger_or_callbacks_passed_from_elsewhere_are_not_judged(tmp_path: Path) -> None:
    root = repo(tmp_path, {"train.py": """
        import lightning as L
        def run(model, logger):
            trainer = L.Trainer(logger=logger)
            trainer.fit(model)
        def keras_run(model, X, y, callbacks):
            model.fit(X, y, callbacks=callbacks)
        if __name__ == "__main__":
            run(None, None)
            keras_run(None, None, None, [])
    """})
    assert found(root, "TRK001") == []
