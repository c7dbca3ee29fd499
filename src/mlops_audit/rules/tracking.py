"""Experiment tracking: every training run leaves a record that can explain and reproduce it.

The checks read the training entry points of ``detect.training`` (scripts,
notebooks, CLI commands, handlers and pipeline steps that reach a fit) and the
tracking each one reaches, directly or through framework integrations.
"""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.repo_caps import runtime_requirements
from ..detect.calls import Reached, calls_in, effective, walk_from
from ..detect.run_tracking import RUNTIME_CHOSEN, TrackingUse, imported_roots, tracking_uses_of
from ..detect.training import EntryPoint
from ..facts import Call, Expr, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._training_util import (
    code_contexts, config_env_keys, config_key_values, data_loads, entries, fmt_site, is_builtin_data, view,
)

__all__: list[str] = []

_WHY_TRACK = ("Sculley et al. 2015 ('Hidden Technical Debt in Machine Learning Systems'); "
              "Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning' (level 1)")


def _coverage(ctx: RuleContext) -> str:
    es = entries(ctx)
    judged = [e for e in es if not (not e.logged and e.unknown)]
    logged = sum(1 for e in judged if e.logged)
    n = len(judged)
    return f"{logged} of {n} training entry point{'s' if n != 1 else ''} log{'s' if n == 1 else ''} runs"


@rule(id="TRK001", name="training-run-not-logged", area="tracking", severity=Severity.HIGH,
      title="Training run is not logged to an experiment tracker",
      rationale="A model whose training run left no record of parameters, metrics and artifacts cannot be "
                "compared, explained or reproduced; the team ends up re-running experiments to learn what a "
                "deployed model was. Tracking every run is the entry ticket of MLOps level 1 (" + _WHY_TRACK + ").",
      remediation={
          "mlflow": "Wrap the fit in a run:\n  import mlflow\n  mlflow.autolog()\n  with mlflow.start_run():\n"
                    "      model.fit(X, y)",
          "wandb": "run = wandb.init(project='my-project', config=params)\nmodel.fit(X, y)\nrun.log(metrics)\n"
                   "run.finish()",
          "dvclive": "from dvclive import Live\nwith Live() as live:\n    live.log_params(params)\n"
                     "    model.fit(X, y)\n"
                     "    live.log_metric('val_auc', auc)",
          "lightning": "Pass a logger: Trainer(logger=MLFlowLogger(experiment_name='exp', tracking_uri=uri)) "
                       "or WandbLogger(project='my-project').",
          "transformers": "Set TrainingArguments(report_to=['mlflow']) (or 'wandb') so the Trainer logs each run.",
          "keras": "Enable mlflow.tensorflow.autolog() before model.fit(...), or pass "
                   "callbacks=[WandbMetricsLogger()].",
          "sklearn": "import mlflow\nmlflow.sklearn.autolog()\nwith mlflow.start_run():\n    model.fit(X, y)",
          "default": "Log each training run: mlflow.autolog() + mlflow.start_run() around the fit, or "
                     "wandb.init(config=params) + wandb.log(metrics).",
      },
      seeds=("C01", "H08", "K04"), references=(_WHY_TRACK,), principle="tracking",
      tools=("mlflow", "wandb", "dvclive"), stakes_sensitive=False,
      bad="model.fit(X, y)\njoblib.dump(model, 'model.pkl')",
      good="mlflow.sklearn.autolog()\nwith mlflow.start_run():\n    model.fit(X, y)")
def training_run_not_logged(ctx: RuleContext) -> Iterator[Hit]:
    """One finding per training entry point that reaches no tracking; the message carries coverage."""
    es = entries(ctx)
    coverage = _coverage(ctx)
    for e in es:
        if e.logged or e.unknown:
            continue
        path, line, cell = e.anchor
        yield Hit(path, line, f"{e.label} fits a model ({e.fit_site_text()}) but no parameter, metric or model "
                              f"reaches an experiment tracker; {coverage}.",
                  cell=cell, key=f"{e.path}|{e.name}")


def _mlflow_uses(ctx: RuleContext) -> list[tuple[str, Call]]:
    out = []
    for fctx in code_contexts(ctx):
        if not any(i.module.split(".", 1)[0] == "mlflow" for i in fctx.py.imports):
            continue
        for call in fctx.py.calls:
            name = effective(fctx, call)
            if name.startswith("mlflow.") and re.search(r"(start_run|autolog|log_\w+|set_experiment|create_run|"
                                                        r"register_model|MlflowClient)$", name):
                out.append((fctx.py.path, call))
    return out


def _uri_configured(ctx: RuleContext) -> bool:
    if config_env_keys(ctx, "MLFLOW_TRACKING_URI"):
        return True
    for doc, path, value in config_key_values(ctx, "tracking_uri"):
        if value not in (None, "", False):
            return True
    for fctx in code_contexts(ctx):
        for call in fctx.py.calls:
            if not ("tracking_uri" in call.qualname
                    or call.qualname.rpartition(".")[2] in ("login", "MlflowClient", "MLFlowLogger", "update",
                                                            "setdefault", "putenv")
                    or "MLFLOW_TRACKING_URI" in call.args):
                continue
            name = effective(fctx, call)
            if name in ("mlflow.set_tracking_uri", "mlflow.tracking.set_tracking_uri", "mlflow.login"):
                return True
            if name.endswith("MlflowClient") and (call.has_kw("tracking_uri") or call.args):
                return True
            if "MLFLOW_TRACKING_URI" in [a for a in call.args if isinstance(a, str)]:
                return True
            if name.endswith("MLFlowLogger") and call.kw("tracking_uri") is not None:
                return True
            if call.method == "update" and any(isinstance(a, Expr) and "MLFLOW_TRACKING_URI" in a.names
                                               for a in call.args):
                return True
    return False


@rule(id="TRK002", name="no-tracking-uri", area="tracking", severity=Severity.MEDIUM,
      title="MLflow is used but no tracking server is configured",
      rationale="Without a tracking URI MLflow writes runs to a local ./mlruns folder on whichever machine ran "
                "the job: CI runners and containers throw them away, and colleagues never see them. A shared "
                "tracking server (or a managed one) is what makes runs comparable across people and machines.",
      remediation={
          "github_actions": "Set the server once for every job:\n  env:\n    MLFLOW_TRACKING_URI: "
                            "${{ secrets.MLFLOW_TRACKING_URI }}",
          "default": "Point runs at a shared server: export MLFLOW_TRACKING_URI=https://mlflow.example.com in the "
                     "job environment (CI env, compose/Kubernetes env), or call "
                     "mlflow.set_tracking_uri(os.environ['MLFLOW_TRACKING_URI']) at start-up.",
      },
      seeds=("C05",), references=("MLflow docs: 'Where runs are recorded'",), principle="tracking",
      tools=("mlflow",), stakes_sensitive=False,
      bad="import mlflow\nwith mlflow.start_run():\n    mlflow.log_metric('auc', auc)",
      good="mlflow.set_tracking_uri(os.environ['MLFLOW_TRACKING_URI'])\nwith mlflow.start_run():\n    ...")
def no_tracking_uri(ctx: RuleContext) -> Iterator[Hit]:
    """MLflow tracking calls in code and no URI in code, CI/compose/Kubernetes/Docker env or config."""
    uses = _mlflow_uses(ctx)
    config_only = [t for t in view(ctx).config_tracking if t.tool == "mlflow"]
    if not uses and not config_only:
        return
    if _uri_configured(ctx):
        return
    if uses:
        # prefer a use inside a training entry point's reach
        reached = {(r.path, r.call.line) for e in entries(ctx) for r in e.reach}
        uses.sort(key=lambda u: ((u[0], u[1].line) not in reached, u[0], u[1].line))
        path, call = uses[0]
        yield Hit(path, call.line, f"{path}:{call.line} logs to MLflow ({call.qualname}) but nothing sets "
                                   "MLFLOW_TRACKING_URI or calls mlflow.set_tracking_uri (code, CI, compose, "
                                   "Kubernetes, Dockerfile or config): runs land in a local ./mlruns folder. "
                                   "If the variable is set outside the repository, declare it in the job "
                                   "configuration so the audit (and colleagues) can see it.",
                  cell=call.cell, key="mlflow-tracking-uri")
    else:
        t = config_only[0]
        yield Hit(t.path, t.line, f"{t.path}:{t.line} configures an MLflow logger without a tracking_uri and no "
                                  "MLFLOW_TRACKING_URI is set anywhere: runs land in a local ./mlruns folder.",
                  key="mlflow-tracking-uri")


def _runtime_chosen(e: EntryPoint) -> bool:
    """The tracker is picked on the command line (accelerate log_with / HF report_to from arguments):
    what the run records depends on that choice, so lineage and hardware fields are not judged."""
    tools = set(e.tools())
    return bool(tools & RUNTIME_CHOSEN) and not (tools - RUNTIME_CHOSEN)


def _explicit_only(e: EntryPoint) -> bool:
    return bool(e.tracking) and all(t.explicit for t in e.tracking)


def _first_tracking(e: EntryPoint) -> TrackingUse:
    own = [t for t in e.tracking if t.path == e.path and t.line is not None]
    pool = own or [t for t in e.tracking if t.line is not None] or e.tracking
    return sorted(pool, key=lambda t: (t.cell or 0, t.line or 0))[0]


@rule(id="TRK003", name="params-without-metrics", area="tracking", severity=Severity.MEDIUM,
      title="Tracked run is missing metrics or artifacts",
      rationale="A run that records parameters but no metrics cannot be compared; one that records metrics but "
                "no model or artifacts cannot be traced to the model it produced. Each run needs all three "
                "(parameters, metrics, artifacts) to be useful (Google Cloud MLOps level 1: experiment tracking).",
      remediation={
          "mlflow": "Log the outcome and the model in the same run:\n  mlflow.log_metrics({'val_auc': auc, "
                    "'val_f1': f1})\n  mlflow.sklearn.log_model(model, 'model', signature=signature)",
          "wandb": "run.log({'val_auc': auc})\nart = wandb.Artifact('model', type='model'); "
                   "art.add_file('model.pkl'); run.log_artifact(art)",
          "dvclive": "live.log_metric('val_auc', auc)\nlive.log_artifact('model.pkl', type='model')",
          "default": "Log parameters, evaluation metrics and the model artifact in every training run.",
      },
      seeds=("C01", "K04"), references=(_WHY_TRACK,), principle="tracking", tools=("mlflow", "wandb"),
      stakes_sensitive=False,
      bad="mlflow.log_params(params)\nmodel.fit(X, y)",
      good="mlflow.log_params(params)\nmodel.fit(X, y)\nmlflow.log_metric('val_auc', auc)\n"
           "mlflow.sklearn.log_model(model, 'model')")
def params_without_metrics(ctx: RuleContext) -> Iterator[Hit]:
    """Entry points whose tracking is only direct tracker calls, missing metrics or artifacts."""
    for e in entries(ctx):
        if not e.logged or e.unknown or not _explicit_only(e):
            continue
        kinds = e.kinds()
        has_params = "params" in kinds
        has_metrics = "metrics" in kinds
        has_artifacts = bool(kinds & {"artifacts", "model"})
        searching = any(_SEARCH.search(effective(ctx.detection.index.contexts[r.path], r.call)) for r in e.reach)
        missing = []
        if not has_metrics and (has_params or has_artifacts):
            missing.append("metrics")
        if not has_artifacts and (has_metrics or has_params) and not searching:
            missing.append("model or other artifact")  # search trials need not each log a model
        if not missing:
            continue
        present = [k for k, v in (("parameters", has_params), ("metrics", has_metrics),
                                  ("artifacts", has_artifacts)) if v]
        t = _first_tracking(e)
        yield Hit(t.path, t.line, f"{e.label} logs {', '.join(present)} to {'/'.join(e.tools())} but no "
                                  f"{' and no '.join(missing)}: the run cannot be compared or traced to its model.",
                  cell=t.cell, key=f"{e.path}|{e.name}")


# -- TRK004 ------------------------------------------------------------------

_ACC_FUNCS = lazy(r"^(sklearn\.metrics\.accuracy_score|torchmetrics\.(classification\.)?\w*Accuracy|"
                        r"torchmetrics\.functional\.(classification\.)?\w*accuracy|"
                        r"(tensorflow\.)?keras\.metrics\.\w*Accuracy)$")
_RICH_FUNCS = lazy(
    r"^sklearn\.metrics\.(f1_score|fbeta_score|precision_score|recall_score|roc_auc_score|log_loss|confusion_matrix|"
    r"ConfusionMatrixDisplay\w*|classification_report|average_precision_score|precision_recall_curve|roc_curve|"
    r"matthews_corrcoef|balanced_accuracy_score|cohen_kappa_score|brier_score_loss|precision_recall_fscore_support|"
    r"hamming_loss|jaccard_score|RocCurveDisplay\w*|PrecisionRecallDisplay\w*|det_curve)$|"
    r"^torchmetrics\.(classification\.)?\w*(F1Score|FBetaScore|Precision|Recall|AUROC|ConfusionMatrix|"
    r"AveragePrecision|MatthewsCorrCoef|CohenKappa|CalibrationError|ROC|PrecisionRecallCurve)$|"
    r"^torchmetrics\.functional\.(classification\.)?\w*(f1_score|precision|recall|auroc|confusion_matrix|"
    r"average_precision)$|"
    r"^(tensorflow\.)?keras\.metrics\.(AUC|Precision|Recall|F1Score|FBetaScore|PrecisionAtRecall|RecallAtPrecision)$|"
    r"^(mlflow\.evaluate|mlflow\.models\.evaluate|wandb\.sklearn\.\w+|scikitplot\.\w+|yellowbrick\.\w+)$")
_ACC_KEY = lazy(r"(?i)(^|[_/.\-\s])(acc|accuracy)($|[_/.\-\s@])")
_RICH_KEY = lazy(r"(?i)(^|[_/.\-\s])(f1|f_?beta|precision|recall|auc|auroc|roc|pr_?auc|ap|map|log_?loss|loss|"
                       r"nll|cross_?entropy|xent|bce|mcc|kappa|brier|confusion|ece|calibration|sensitivity|"
                       r"specificity|balanced)($|[_/.\-\s@\d])")
_LOG_METHODS = {"log_metric", "log_metrics", "log", "log_dict", "add_scalar", "add_scalars", "track"}
_CLASSIFIER_SCORE = lazy(r"Classifier\w*\.score$|(LogisticRegression|SVC|LinearSVC|GaussianNB|MultinomialNB|"
                               r"BernoulliNB|KNeighborsClassifier|Perceptron|RidgeClassifier\w*)\.score$")


_METRIC_METHODS = _LOG_METHODS | {"log_sklearn_plot", "compile", "score", "evaluate", "load"}
_METRIC_ROOTS = frozenset({"sklearn", "torchmetrics", "tensorflow", "keras", "mlflow", "wandb", "evaluate",
                           "scikitplot", "yellowbrick"})


def _metric_keys(call: Call) -> list[str]:
    keys: list[str] = []
    for a in call.args[:1]:
        if isinstance(a, str):
            keys.append(a)
        elif isinstance(a, Expr) and a.kind == "dict":
            keys.extend(k for k in a.names if isinstance(k, str))
    for k, v in call.kwargs:
        if k in ("key", "name", "metrics") and isinstance(v, str):
            keys.append(v)
        elif isinstance(v, Expr) and v.kind == "dict":
            keys.extend(x for x in v.names if isinstance(x, str))
    return keys


def _classify_metric(fctx, call: Call) -> tuple[bool, bool]:
    """(computes or logs accuracy, computes or logs a richer classification metric)."""
    name = effective(fctx, call)
    acc = bool(_ACC_FUNCS.search(name)) or bool(_CLASSIFIER_SCORE.search(name))
    rich = bool(_RICH_FUNCS.search(name))
    if name.endswith("autolog"):
        rich = True
    if call.method in _LOG_METHODS or call.method == "log_sklearn_plot":
        for key in _metric_keys(call):
            if _ACC_KEY.search(key):
                acc = True
            if _RICH_KEY.search(key):
                rich = True
    if call.method == "compile" and (call.has_kw("metrics") or call.has_kw("loss")):
        for v in _flatten(call.kw("metrics")):
            if isinstance(v, str) and _ACC_KEY.search(v):
                acc = True
            elif isinstance(v, str) and _RICH_KEY.search(v):
                rich = True
            elif isinstance(v, Expr) and _RICH_FUNCS.search(v.callee or ""):
                rich = True
        if call.has_kw("loss"):
            rich = True  # Keras reports the (cross-entropy) loss next to every metric
    if name.startswith("evaluate.load") and call.args and isinstance(call.args[0], str):
        acc = acc or call.args[0] == "accuracy"
        rich = rich or call.args[0] in ("f1", "precision", "recall", "roc_auc", "confusion_matrix", "mcc")
    return acc, rich


def _flatten(v) -> list:
    if isinstance(v, tuple):
        out = []
        for x in v:
            out.extend(_flatten(x))
        return out
    return [v]


def _rich_anywhere(ctx: RuleContext) -> bool:
    def compute() -> bool:
        for fctx in code_contexts(ctx):
            candidates = fctx.in_order([*(fctx.calls_by_method.get(m, ()) for m in _METRIC_METHODS),
                                        *(fctx.calls_by_root.get(r, ()) for r in _METRIC_ROOTS)])
            for call in candidates:
                if _classify_metric(fctx, call)[1]:
                    return True
        for doc, path, value in config_key_values(ctx, "_target_"):
            if isinstance(value, str) and _RICH_FUNCS.search(value):
                return True
        return False
    return bool(ctx.memo("trk004_rich", compute))


@rule(id="TRK004", name="accuracy-only-classifier", area="tracking", severity=Severity.MEDIUM,
      title="Classifier evaluated with accuracy only",
      rationale="Accuracy hides what matters on imbalanced or cost-asymmetric problems: a model that always "
                "predicts the majority class can score 95%. Precision, recall, F1, ROC-AUC, log-loss or a "
                "confusion matrix show how it fails (Breck et al. 2017, 'The ML Test Score').",
      remediation={
          "mlflow": "from sklearn.metrics import f1_score, roc_auc_score, log_loss\nmlflow.log_metrics({"
                    "'accuracy': acc, 'f1': f1_score(y, pred, average='macro'), "
                    "'roc_auc': roc_auc_score(y, proba[:, 1])})",
          "wandb": "wandb.log({'accuracy': acc, 'f1': f1_score(y, pred, average='macro')})\n"
                   "wandb.sklearn.plot_confusion_matrix(y, pred, labels)",
          "default": "Report per-class precision/recall/F1 (sklearn.metrics.classification_report), ROC-AUC or "
                     "log-loss and a confusion matrix next to accuracy.",
      },
      seeds=("H22", "H12"), references=("Breck et al. 2017, 'The ML Test Score'",), principle="testing",
      tools=("sklearn",), stakes_sensitive=False,
      bad="acc = accuracy_score(y_test, model.predict(X_test))\nmlflow.log_metric('accuracy', acc)",
      good="mlflow.log_metrics({'accuracy': acc, 'f1': f1_score(y_test, pred), 'roc_auc': auc})")
def accuracy_only_classifier(ctx: RuleContext) -> Iterator[Hit]:
    """Accuracy computed or logged in a training entry point's reach, and no richer metric anywhere."""
    es = entries(ctx)
    if not es or _rich_anywhere(ctx):
        return
    index = ctx.detection.index
    reported: set[tuple[str, int]] = set()
    for e in es:
        site: Reached | None = None
        for r in sorted(e.reach, key=lambda r: (r.path != e.path, r.path, r.call.cell or 0, r.call.line)):
            fctx = index.contexts[r.path]
            if fctx.py.is_test:
                continue
            if _classify_metric(fctx, r.call)[0]:
                site = r
                break
        if site is None or (site.path, site.call.line) in reported:
            continue
        reported.add((site.path, site.call.line))
        what = fmt_site(site) + (" returns mean accuracy" if site.call.method == "score" else "")
        yield Hit(site.path, site.call.line,
                  f"{e.label} evaluates its classifier with accuracy only ({what}); no precision, "
                  "recall, F1, ROC-AUC, log-loss or confusion matrix is computed or logged anywhere in the "
                  "repository.", cell=site.call.cell, key=f"{site.call.qualname}@{site.call.scope}")


# -- TRK005 ------------------------------------------------------------------

_FIELDS = ("code version", "data version", "config", "environment", "metrics", "artifacts")


def _environment_pinned(ctx: RuleContext) -> bool:
    """A lock file, or (nearly) every runtime requirement pinned: the commit then fixes the environment."""
    det = ctx.detection
    if det.present("lock_file") or det.present("pinned_dependencies"):
        return True
    reqs = runtime_requirements(ctx.facts)
    return bool(reqs) and sum(1 for _, r in reqs if r.pinned) >= 0.9 * len(reqs)


def _lineage(ctx: RuleContext, e: EntryPoint) -> dict[str, bool | None]:
    """Each Z04 field: True recorded, False missing, None cannot be judged."""
    kinds = e.kinds()
    det = ctx.detection
    auto = "auto" in kinds
    code = "code" in kinds
    loads = data_loads(ctx, e)
    data: bool | None
    if "dataset" in kinds:
        data = True
    elif not loads:
        data = None
    elif all(is_builtin_data(effective(det.index.contexts[r.path], r.call)) for r in loads):
        data = True
    elif code and det.present("data_versioning"):
        data = True  # the commit pins .dvc / lfs pointers, so the run's SHA fixes the data
    elif any(r.call.has_kw("revision") for r in loads):
        data = True
    else:
        data = False
    env: bool | None = "env" in kinds or (code and _environment_pinned(ctx))
    config: bool | None = "params" in kinds or auto or (None if not e.tracking else False)
    metrics = "metrics" in kinds or auto
    artifacts = bool(kinds & {"artifacts", "model"}) or auto
    return {"code version": code, "data version": data, "config": config, "environment": env,
            "metrics": metrics, "artifacts": artifacts}


@rule(id="TRK005", name="run-missing-lineage-fields", area="tracking", severity=Severity.MEDIUM,
      title="Tracked runs miss lineage fields (code version, data version, config, environment)",
      rationale="A run can only be reproduced when it records the exact code (git SHA), the exact data "
                "(version or hash), the configuration, the environment, and its metrics and artifacts. Missing "
                "any one of them turns 'retrain the production model' into archaeology.",
      remediation={
          "mlflow": "In the run: mlflow.log_input(mlflow.data.from_pandas(df, source=path, name='train'), "
                    "context='training'); log the model with mlflow.<flavor>.log_model (it records "
                    "requirements); run from a git checkout so mlflow.source.git.commit is set.",
          "wandb": "run.use_artifact('train-data:v3') for the dataset; W&B records git commit and "
                   "requirements by default (keep save_code/git enabled).",
          "dvclive": "Run training as a dvc.yaml stage (dvc exp run): DVC pins code, params and data hashes "
                     "in dvc.lock.",
          "default": "Record in every run: git SHA, dataset version or hash, the full config, the environment "
                     "(lock file or pip freeze), metrics and the model artifact.",
      },
      seeds=("Z04", "G04", "C02"), references=("Sculley et al. 2015", "Google Cloud MLOps: ML metadata"),
      principle="reproducibility", tools=("mlflow", "wandb", "dvc"), stakes_sensitive=False,
      bad="with mlflow.start_run():\n    df = pd.read_csv('data/train.csv')\n    model.fit(X, y)",
      good="with mlflow.start_run():\n    df = pd.read_csv(path)\n    mlflow.log_input(mlflow.data.from_pandas(df, "
           "source=path), context='training')")
def run_missing_lineage_fields(ctx: RuleContext) -> Iterator[Hit]:
    """For each tracked entry point: which of the six Z04 fields no mechanism records."""
    for e in entries(ctx):
        if not e.logged or e.unknown or _runtime_chosen(e):
            continue
        fields = _lineage(ctx, e)
        missing = [f for f in _FIELDS[:4] if fields[f] is False]
        if not missing:
            continue
        all_missing = [f for f in _FIELDS if fields[f] is False]
        notes = {"environment": "environment (no package versions recorded and no lock file)",
                 "data version": "data version (training data is read without a version or hash)"}
        recorded = [f for f in _FIELDS if fields[f]]
        t = _first_tracking(e)
        if t.path != e.path:
            path, line, cell = e.anchor
        else:
            path, line, cell = t.path, t.line, t.cell
        yield Hit(path, line, f"runs of {e.label} (tracked with {'/'.join(e.tools())}) do not record "
                              f"{', '.join(notes.get(f, f) for f in all_missing)} "
                              f"({len(all_missing)} of 6 lineage fields missing; "
                              f"recorded: {', '.join(recorded) or 'none'}).",
                  cell=cell, key=f"{e.path}|{e.name}")


# -- TRK006 ------------------------------------------------------------------

_SEARCH = lazy(r"^(optuna\.(study\.)?create_study|sklearn\.model_selection\.(Halving)?(Grid|Randomized)SearchCV|"
                     r"hyperopt\.fmin|skopt\.(gp_minimize|forest_minimize|gbrt_minimize|BayesSearchCV)|"
                     r"nevergrad\.optimizers\.\w+)$")


_SEARCH_METHODS = frozenset({"create_study", "GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV",
                             "HalvingRandomSearchCV", "fmin", "gp_minimize", "forest_minimize", "gbrt_minimize",
                             "BayesSearchCV"})


@rule(id="TRK006", name="hyperparameter-search-not-tracked", area="tracking", severity=Severity.MEDIUM,
      title="Hyperparameter search results are not tracked",
      rationale="A search evaluates dozens of configurations; without tracking only the winner survives in "
                "memory, so nobody can tell how sensitive the model is, re-use the trials, or justify the chosen "
                "values (seed items C03, G05).",
      remediation={
          "mlflow": "import optuna\nfrom optuna.integration.mlflow import MLflowCallback\n"
                    "study.optimize(objective, n_trials=50, callbacks=[MLflowCallback(metric_name='val_auc')])\n"
                    "# scikit-learn searches: mlflow.sklearn.autolog() logs each candidate as a child run",
          "wandb": "from optuna.integration.wandb import WeightsAndBiasesCallback\n"
                   "study.optimize(objective, callbacks=[WeightsAndBiasesCallback(metric_name='val_auc')])",
          "default": "Persist the trials: optuna.create_study(storage='sqlite:///optuna.db', study_name=...), or "
                     "log each trial to the tracker (MLflowCallback / log inside the objective).",
      },
      seeds=("C03", "G05"), references=("Optuna docs: storage and integrations",), principle="tracking",
      tools=("optuna", "mlflow"), stakes_sensitive=False,
      bad="study = optuna.create_study()\nstudy.optimize(objective, n_trials=50)",
      good="study = optuna.create_study(storage='sqlite:///optuna.db', study_name='clf')\n"
           "study.optimize(objective, n_trials=50, callbacks=[MLflowCallback()])")
def hyperparameter_search_not_tracked(ctx: RuleContext) -> Iterator[Hit]:
    """Search call sites whose trials reach no tracker and no persistent study storage."""
    es = entries(ctx)
    for fctx in code_contexts(ctx):
        for call in fctx.in_order([*(fctx.calls_by_method.get(m, ()) for m in _SEARCH_METHODS),
                                   fctx.calls_by_root.get("nevergrad", [])]):
            if call.qualname.rpartition(".")[2] not in _SEARCH_METHODS and not call.qualname.startswith("nevergrad."):
                continue
            name = effective(fctx, call)
            if not _SEARCH.search(name):
                continue
            if name.startswith("optuna") and call.has_kw("storage") and call.kw("storage") is not None:
                continue
            if name == "hyperopt.fmin" and call.has_kw("trials") and isinstance(call.kw("trials"), Expr) \
                    and "Mongo" in (call.kw("trials").callee or ""):
                continue
            if _search_tracked(ctx, fctx, call, es):
                continue
            yield Hit(fctx.py.path, call.line,
                      f"{fctx.py.path}:{call.line} runs a hyperparameter search ({name.rsplit('.', 1)[-1]}) whose "
                      "trials reach no experiment tracker and no persistent study storage: only the best "
                      "configuration survives the process.", cell=call.cell, key=f"{name}@{call.scope}")


def _search_tracked(ctx: RuleContext, fctx, call: Call, es: list[EntryPoint]) -> bool:
    for e in es:
        if any(r.path == fctx.py.path and r.call is call for r in e.reach):
            if e.logged or e.unknown:
                return True
    index = ctx.detection.index
    calls = list(fctx.calls_by_scope.get(call.scope, []))
    fn = fctx.functions.get(call.scope)
    if fn is not None:
        calls = calls_in(fctx, fn)
    calls += list(fctx.calls_by_scope.get("<module>", [])) if call.scope != "<module>" else []
    for r in walk_from(index, fctx, calls, depth=2):
        other = index.contexts[r.path]
        uses = tracking_uses_of(other, r.call, imported_roots(other.py))
        if any(u.kinds & {"params", "metrics", "artifacts", "model", "auto"} for u in uses):
            return True
    return False


# -- TRK007 ------------------------------------------------------------------

_SELF_SIGNING = ("transformers", "sentence_transformers", "langchain", "openai", "llama_index", "dspy", "spacy",
                 "johnsnowlabs", "promptflow", "diviner", "paddle", "prophet", "pmdarima")


@rule(id="TRK007", name="model-logged-without-signature", area="tracking", severity=Severity.MEDIUM,
      title="Model logged without an input signature",
      rationale="Without a signature the logged model does not say what columns and types it expects, so "
                "serving cannot validate requests and a schema change between training and serving goes "
                "unnoticed until predictions are wrong (seed item C04).",
      remediation={
          "mlflow": "from mlflow.models import infer_signature\nsignature = infer_signature(X_train, "
                    "model.predict(X_train))\nmlflow.sklearn.log_model(model, 'model', signature=signature, "
                    "input_example=X_train[:5])",
          "default": "Pass signature=infer_signature(X, model.predict(X)) and input_example=X[:5] to log_model.",
      },
      seeds=("C04",), references=("MLflow docs: Model Signatures and Input Examples",), principle="tracking",
      tools=("mlflow",), stakes_sensitive=False,
      bad="mlflow.sklearn.log_model(model, 'model')",
      good="mlflow.sklearn.log_model(model, 'model', signature=infer_signature(X, model.predict(X)))")
def model_logged_without_signature(ctx: RuleContext) -> Iterator[Hit]:
    """mlflow.<flavor>.log_model calls with neither signature nor input_example."""
    for fctx in code_contexts(ctx):
        logged = fctx.calls_by_method.get("log_model")
        if not logged:
            continue
        if any(effective(fctx, c).startswith("mlflow.") for c in fctx.calls_by_method.get("set_signature", ())):
            continue
        for call in logged:
            name = effective(fctx, call)
            if not (name.startswith("mlflow.") and name.endswith(".log_model")):
                continue
            flavor = name.split(".")[1]
            if flavor in _SELF_SIGNING or call.star_kwargs:
                continue
            if (call.has_kw("signature") and call.kw("signature") is not None) or \
                    (call.has_kw("input_example") and call.kw("input_example") is not None):
                continue
            if flavor == "pyfunc" and _typed_python_model(ctx, fctx, call):
                continue
            yield Hit(fctx.py.path, call.line,
                      f"{fctx.py.path}:{call.line} logs a model with {name} without signature= or input_example=: "
                      "the logged model does not declare the inputs it expects.",
                      cell=call.cell, key=f"{name}@{call.scope}")


def _typed_python_model(ctx: RuleContext, fctx, call: Call) -> bool:
    """MLflow infers a pyfunc signature from type hints on PythonModel.predict."""
    model = call.kw("python_model")
    if isinstance(model, Expr) and model.kind == "call":
        cls = model.callee.rsplit(".", 1)[-1]
    elif isinstance(model, Ref):
        cls = fctx.var_types.get(model.qualname, model.qualname).rsplit(".", 1)[-1]
    else:
        return True  # a path or something we cannot see: do not judge
    for other in code_contexts(ctx):
        fn = other.functions.get(f"{cls}.predict")
        if fn is not None:
            return any(p.annotation for p in fn.params if p.name not in ("self", "context"))
    return False


# -- TRK008 ------------------------------------------------------------------

_CUDA_PLACEMENT = lazy(r"^torch\.cuda\.(set_device|synchronize|amp\.\w+|current_device|stream|Stream|"
                             r"memory_allocated|max_memory_allocated|reset_peak_memory_stats|device)$")


def _gpu_use(ctx: RuleContext, e: EntryPoint) -> Reached | None:
    """Where the entry point puts work on a GPU (seeding or probing CUDA alone does not count)."""
    availability: Reached | None = None
    placement: Reached | None = None
    for r in e.reach:
        call = r.call
        name = effective(ctx.detection.index.contexts[r.path], call)
        if _CUDA_PLACEMENT.search(name):
            return r
        if call.method == "cuda" and "." in call.qualname and not call.args:
            return r
        if (call.method == "to" or name == "torch.device") and any(
                isinstance(a, str) and a.startswith("cuda") for a in call.args):
            return r
        if "Trainer" in name and str(call.kw("accelerator", "")).lower() in ("gpu", "cuda"):
            return r
        if name == "torch.cuda.is_available":
            availability = availability or r
        elif name == "torch.device" or call.method == "to":
            placement = placement or r
    if availability is not None and placement is not None:
        return placement  # device = "cuda" if torch.cuda.is_available() else "cpu"; model.to(device)
    return None


def _gpu_name_recorded(ctx: RuleContext, e: EntryPoint) -> bool:
    if "system" in e.kinds():
        return True
    if config_env_keys(ctx, "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"):
        return True
    for r in e.reach:
        name = effective(ctx.detection.index.contexts[r.path], r.call)
        if name in ("torch.cuda.get_device_name", "torch.cuda.get_device_properties", "pynvml.nvmlDeviceGetName",
                    "GPUtil.getGPUs", "nvidia_smi.nvmlDeviceGetName"):
            return True
        if name.endswith("DeviceStatsMonitor"):
            return True
    return False


@rule(id="TRK008", name="run-missing-hardware-metadata", area="tracking", severity=Severity.LOW,
      title="GPU training run does not record the GPU type",
      rationale="Training time, throughput, numerical results (TF32, bf16) and cost all depend on the GPU. A run "
                "that does not record which GPU it used cannot be compared with another or reproduced "
                "faithfully (seed item H19).",
      remediation={
          "mlflow": "mlflow.enable_system_metrics_logging()  # GPU type and utilisation per run\n"
                    "mlflow.set_tag('gpu', torch.cuda.get_device_name(0))",
          "tensorboard": "writer.add_text('hardware/gpu', torch.cuda.get_device_name(0))",
          "default": "Record torch.cuda.get_device_name(0) (and the CUDA / driver version) as a tag of every run.",
      },
      seeds=("H19",), references=("MLflow docs: System metrics",), principle="tracking", tools=("mlflow",),
      stakes_sensitive=False,
      bad="model.cuda()\nwith mlflow.start_run():\n    train(model)",
      good="mlflow.enable_system_metrics_logging()\nwith mlflow.start_run():\n"
           "    mlflow.set_tag('gpu', torch.cuda.get_device_name(0))")
def run_missing_hardware_metadata(ctx: RuleContext) -> Iterator[Hit]:
    """Tracked entry points that put the model on a GPU and record no GPU type."""
    for e in entries(ctx):
        if not e.logged or e.unknown or _runtime_chosen(e):
            continue
        gpu = _gpu_use(ctx, e)
        if gpu is None or _gpu_name_recorded(ctx, e):
            continue
        t = _first_tracking(e)
        if t.line is None:
            continue
        yield Hit(t.path, t.line, f"{e.label} trains on a GPU ({fmt_site(gpu)}) and tracks runs with "
                                  f"{'/'.join(e.tools())}, but no run records the GPU type.",
                  cell=t.cell, key=f"{e.path}|{e.name}")
