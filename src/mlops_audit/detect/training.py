"""Training entry points and what each one logs: a pure view over Facts + RepoIndex.

A *training entry point* is something a person or a scheduler starts that ends
up fitting a model: a script (``if __name__ == "__main__"``, or module-level
code in a file no other module imports), a notebook, a CLI command
(click/typer/hydra), a request handler, or an orchestrator step no script
reaches. Fitting counts when it is reached through repository helpers too
(``scripts/train.py`` calling ``train_model()`` from ``src/models.py``),
following calls up to three helper levels, callbacks passed by name, class
constructors and methods of objects built from repository classes.

For each entry point the view records which tracking mechanisms are reachable:
direct tracker calls (MLflow, W&B, DVCLive, TensorBoard, ...), framework
integrations (Lightning loggers and the Lightning default logger, Hugging Face
``report_to``, Keras callbacks, autolog), Hydra ``_target_`` loggers, and
pipeline systems that record runs by themselves (a DVC stage, an MLproject
entry point, ZenML/Metaflow steps).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ..facts import Call, ConfigDoc, Expr, Facts, Function, PyFile, Ref
from .context import FileContext, RepoIndex
from .matcher import PatternIndex, normalize_qualname
from .serving import Route

__all__ = [
    "Reached", "TrackingUse", "EntryPoint", "TrainingView", "training_view", "fit_kind", "effective",
    "resolve", "walk_from", "tracking_uses_of", "KINDS", "STEP_DECORATORS", "CLI_DECORATORS",
]

KINDS = ("run", "params", "metrics", "artifacts", "model", "dataset", "code", "env", "system", "auto")
DEPTH = 3

_PREPROC = re.compile(r"(?i)scaler|encoder|vectori[sz]er|imputer|transformer$|tokeni[sz]er|\bpca\b|pca\.|"
                      r"normali[sz]er|binarizer|discreti[sz]er|selector|featurizer|preprocess|"
                      r"sklearn\.(preprocessing|feature_extraction|feature_selection|decomposition|impute)\.")
_BOOST_TRAIN = {"xgboost.train", "lightgbm.train", "catboost.train", "xgboost.cv", "lightgbm.cv"}
_NOT_FIT_ROOTS = ("scipy.", "numpy.", "statsmodels.distributions", "sentencepiece.", "tokenizers.", "spacy.tokens")
STEP_DECORATORS = ("zenml.step", "zenml.steps.step", "prefect.task", "prefect.flow", "dagster.op", "dagster.asset",
                   "airflow.decorators.task", "kfp.dsl.component", "kfp.v2.dsl.component", "flytekit.task",
                   "metaflow.step")
CLI_DECORATORS = ("click.command", "click.group", "hydra.main", "typer.Typer.command")
_TRACKING_STEP = {"zenml": ("zenml.step", "zenml.steps.step"), "metaflow": ("metaflow.step",)}


# -- call helpers -----------------------------------------------------------

def _assigns_by_scope(ctx: FileContext) -> dict[str, list]:
    """Assignments grouped by enclosing scope, built once per file (cheap: no name work)."""
    cached = ctx.__dict__.get("_training_assigns")
    if cached is None:
        cached = {}
        for a in ctx.py.assigns:
            cached.setdefault(a.scope, []).append(a)
        ctx.__dict__["_training_assigns"] = cached
    return cached


def _scoped_type(ctx: FileContext, scope: str, name: str, line: int) -> str | None:
    """The constructor of the last ``name = Ctor(...)`` before ``line`` in ``scope``."""
    best = None
    for a in _assigns_by_scope(ctx).get(scope, ()):
        if a.target == name and a.line <= line and isinstance(a.value, Expr) and a.value.kind == "call" \
                and a.value.callee and (best is None or a.line >= best.line):
            best = a
    return normalize_qualname(best.value.callee) if best is not None else None


def effective(ctx: FileContext, call: Call) -> str:
    """Import-resolved name with local receivers typed (``run = wandb.init(); run.log`` -> ``wandb.init.log``).

    The receiver's type comes from the last assignment before the call in the same function when there is
    one (``var_types`` alone keeps the file's last assignment), and attribute receivers assigned in the
    same file are typed too (``self.writer = SummaryWriter()``).
    """
    cache = ctx.__dict__.setdefault("_training_effective", {})
    key = id(call)
    hit = cache.get(key)
    if hit is not None and hit[0] is call:
        return hit[1]
    value = _effective(ctx, call)
    cache[key] = (call, value)
    return value


def _effective(ctx: FileContext, call: Call) -> str:
    name = normalize_qualname(call.qualname)
    if call.receiver and call.receiver in ctx.var_types and name.startswith(call.receiver + "."):
        found = _scoped_type(ctx, call.scope, call.receiver, call.line)
        if found:
            return found + name[len(call.receiver):]
    eff = ctx.effective(call)
    if eff != name or "." not in name:
        return eff
    types = ctx.var_types
    parts = name.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        head = ".".join(parts[:cut])
        if head in types:
            return types[head] + "." + ".".join(parts[cut:])
    return name


_FIT_METHODS = frozenset({"fit", "fit_generator", "train", "backward", "learn"})


def fit_kind(ctx: FileContext, call: Call, scope_calls: Iterable[Call] = ()) -> str | None:
    """Why this call fits a model (``fit``, ``train``, ``boost``, ``loop``), or None.

    ``model.train()`` without arguments is PyTorch's mode switch, not fitting;
    ``loss.backward()`` counts only with an optimizer step in the same function.
    """
    m = call.method
    if m not in ("fit", "fit_generator", "train", "backward", "learn"):
        return None
    name = effective(ctx, call)
    if name.startswith(_NOT_FIT_ROOTS):
        return None
    if m in ("fit", "fit_generator"):
        if _PREPROC.search(name) or (call.receiver and _PREPROC.search(call.receiver)):
            return None
        return "fit"
    if m == "train":
        if name in _BOOST_TRAIN:
            return "boost"
        if re.search(r"(?i)sentencepiece|tokeni[sz]er|word2vec|fasttext\.train_unsupervised", name):
            return None
        if re.search(r"Trainer(\.|$)|(^|\.)trainer\.train$", name) or (call.receiver or "").lower().endswith("trainer"):
            return "trainer"
        if name.startswith(("ultralytics.", "fasttext.")):
            return "trainer"
        if (call.args or call.kwargs) and re.search(r"(?i)model|booster|bst|yolo|clf|estimator", name):
            return "fit"
        return None
    if m == "learn":
        return "fit" if name.startswith(("stable_baselines3.", "sb3_contrib.")) else None
    # backward: a loss, with an optimizer step nearby
    qual = normalize_qualname(call.qualname).lower()
    loss = "loss" in (call.receiver or "").lower() or any(
        isinstance(a, Ref) and "loss" in a.qualname.lower() for a in call.args) or qual.endswith(".scale.backward")
    if not loss:
        return None
    for other in scope_calls:
        if other.method == "step" and re.search(r"(?i)optim|opt$|^opt|scaler|accelerator|sched", other.receiver or
                                               other.qualname):
            return "loop"
    return None


def resolve(index: RepoIndex, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
    """A repository function a call lands in, including methods of objects built from imported classes
    and constructors (``Trainer(cfg)`` -> ``Trainer.__init__``). Memoized per call site."""
    cache = ctx.__dict__.setdefault("_training_resolve", {})
    hit = cache.get(id(call))
    if hit is not None and hit[0] is call:
        return hit[1]
    found = _resolve(index, ctx, call)
    cache[id(call)] = (call, found)
    return found


def _resolve(index: RepoIndex, ctx: FileContext, call: Call) -> tuple[FileContext, Function] | None:
    try:
        found = index.resolve_function(ctx, call)
    except Exception:  # defensive: facts from a half-parsed file
        found = None
    if found is not None:
        return found
    name = effective(ctx, call)
    target = _lookup(index, ctx, name)
    if target is not None:
        return target
    # a class constructor: follow __init__ / __post_init__
    return _lookup(index, ctx, name + ".__init__")


def _lookup(index: RepoIndex, ctx: FileContext, name: str) -> tuple[FileContext, Function] | None:
    cache = ctx.__dict__.setdefault("_training_lookup", {})
    if name in cache:
        return cache[name]
    found = _lookup_uncached(index, ctx, name)
    cache[name] = found
    return found


def _lookup_uncached(index: RepoIndex, ctx: FileContext, name: str) -> tuple[FileContext, Function] | None:
    fn = ctx.functions.get(name)
    if fn is not None:
        return ctx, fn
    parts = name.split(".")
    modules = index.modules
    for cut in range(len(parts) - 1, 0, -1):
        path = modules.get(".".join(parts[:cut]))
        if path is None:
            continue
        other = index.contexts.get(path)
        if other is None:
            return None
        fn = other.functions.get(".".join(parts[cut:]))
        return (other, fn) if fn else None
    return None


@dataclass(frozen=True)
class Reached:
    """A call reached from an entry point; ``anchor`` is the call in the entry's own file that leads to it."""

    path: str
    call: Call
    chain: tuple[str, ...]
    anchor: Call


def _calls_in(ctx: FileContext, fn: Function) -> list[Call]:
    """Calls made in ``fn`` and the functions and lambdas nested in it (memoized per file)."""
    cache = ctx.__dict__.get("_training_calls_in")
    if cache is None:
        cache = {}
        nested: dict[str, list[Call]] = {}
        for scope, calls in ctx.calls_by_scope.items():
            parts = scope.split(".")
            for i in range(1, len(parts) + 1):
                nested.setdefault(".".join(parts[:i]), []).extend(calls)
        cache["__all__"] = nested
        ctx.__dict__["_training_calls_in"] = cache
    return cache["__all__"].get(fn.qualname, [])


def walk_from(index: RepoIndex, ctx: FileContext, calls: list[Call], depth: int = DEPTH,
              seen: set[tuple[str, str]] | None = None) -> Iterator[Reached]:
    """Every call in ``calls`` and, up to ``depth`` helper levels, in the repository functions they reach.

    Functions passed by name as arguments (``study.optimize(objective)``, ``fire.Fire(main)``) are followed
    too. ``Reached.anchor`` is the last call in the entry's own file on the way to each call.
    """
    seen = set() if seen is None else seen
    entry_path = ctx.py.path
    # frame: (context, calls, chain, level, anchor outside the entry file or None)
    stack: list[tuple[FileContext, list[Call], tuple[str, ...], int, Call | None]] = [(ctx, calls, (), 0, None)]
    while stack:
        cur, cur_calls, chain, level, anchor = stack.pop()
        for call in cur_calls:
            here = anchor if anchor is not None else call
            yield Reached(cur.py.path, call, chain, here)
            if level >= depth:
                continue
            targets = []
            target = resolve(index, cur, call)
            if target is not None:
                targets.append(target)
            for arg in (*call.args, *(v for _, v in call.kwargs)):
                if isinstance(arg, Ref):
                    t = _lookup(index, cur, arg.qualname)
                    if t is not None:
                        targets.append(t)
            for t_ctx, t_fn in targets:
                if t_ctx.py.is_test:
                    continue
                key = (t_ctx.py.path, t_fn.qualname)
                if key in seen:
                    continue
                seen.add(key)
                next_anchor = anchor
                if next_anchor is None and t_ctx.py.path != entry_path:
                    next_anchor = call
                stack.append((t_ctx, _calls_in(t_ctx, t_fn), chain + (t_fn.qualname,), level + 1, next_anchor))


# -- tracking ---------------------------------------------------------------

@dataclass(frozen=True)
class TrackingUse:
    tool: str
    kinds: frozenset[str]
    path: str
    line: int | None
    detail: str
    cell: int | None = None
    explicit: bool = True      # a direct tracker call (False: integration, config, pipeline system)


_K = frozenset
_RUN_META = _K({"run", "code", "env", "system"})
_TRACK_ROWS: list[tuple[str, str, frozenset[str]]] = [
    # MLflow (fluent API, client and autolog)
    ("mlflow.start_run", "mlflow", _K({"run", "code"})),
    ("mlflow.log_param", "mlflow", _K({"params"})), ("mlflow.log_params", "mlflow", _K({"params"})),
    ("mlflow.log_metric", "mlflow", _K({"metrics"})), ("mlflow.log_metrics", "mlflow", _K({"metrics"})),
    ("mlflow.log_artifact", "mlflow", _K({"artifacts"})), ("mlflow.log_artifacts", "mlflow", _K({"artifacts"})),
    ("mlflow.log_figure", "mlflow", _K({"artifacts"})), ("mlflow.log_image", "mlflow", _K({"artifacts"})),
    ("mlflow.log_table", "mlflow", _K({"artifacts"})), ("mlflow.log_dict", "mlflow", _K({"artifacts"})),
    ("mlflow.log_text", "mlflow", _K({"artifacts"})),
    ("mlflow.*.log_model", "mlflow", _K({"model", "artifacts", "env"})),
    ("mlflow.log_input", "mlflow", _K({"dataset"})), ("mlflow.log_inputs", "mlflow", _K({"dataset"})),
    ("mlflow.set_tag", "mlflow", _K({"tags"})), ("mlflow.set_tags", "mlflow", _K({"tags"})),
    ("mlflow.autolog", "mlflow", _K({"run", "code", "params", "metrics", "model", "artifacts", "env", "auto"})),
    ("mlflow.*.autolog", "mlflow", _K({"run", "code", "params", "metrics", "model", "artifacts", "env", "auto"})),
    ("mlflow.enable_system_metrics_logging", "mlflow", _K({"system"})),
    ("mlflow.evaluate", "mlflow", _K({"metrics", "artifacts"})),
    ("mlflow.models.evaluate", "mlflow", _K({"metrics", "artifacts"})),
    ("mlflow*MlflowClient.create_run", "mlflow", _K({"run", "code"})),
    ("mlflow*MlflowClient.log_param", "mlflow", _K({"params"})),
    ("mlflow*MlflowClient.log_metric", "mlflow", _K({"metrics"})),
    ("mlflow*MlflowClient.log_batch", "mlflow", _K({"params", "metrics"})),
    ("mlflow*MlflowClient.log_artifact*", "mlflow", _K({"artifacts"})),
    ("mlflow*MlflowClient.log_inputs", "mlflow", _K({"dataset"})),
    ("mlflow*MlflowClient.set_tag", "mlflow", _K({"tags"})),
    # Weights & Biases
    ("wandb.init", "wandb", _K({"run", "code", "env", "system"})),
    ("wandb.config.update", "wandb", _K({"params"})), ("wandb.init.config.update", "wandb", _K({"params"})),
    ("wandb.run.config.update", "wandb", _K({"params"})),
    ("wandb.log", "wandb", _K({"metrics"})), ("wandb.init.log", "wandb", _K({"metrics"})),
    ("wandb.run.log", "wandb", _K({"metrics"})),
    ("wandb.log_artifact", "wandb", _K({"artifacts"})), ("wandb.init.log_artifact", "wandb", _K({"artifacts"})),
    ("wandb.run.log_artifact", "wandb", _K({"artifacts"})), ("wandb.save", "wandb", _K({"artifacts"})),
    ("wandb.log_model", "wandb", _K({"model", "artifacts"})), ("wandb.init.log_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.run.log_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.link_model", "wandb", _K({"model", "artifacts"})), ("wandb.init.link_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.run.link_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.agent", "wandb", _K({"params"})), ("wandb.sweep", "wandb", _K({"params"})),
    ("wandb.use_artifact", "wandb", _K({"dataset"})), ("wandb.init.use_artifact", "wandb", _K({"dataset"})),
    ("wandb.run.use_artifact", "wandb", _K({"dataset"})),
    ("wandb.keras.*", "wandb", _K({"run", "params", "metrics", "auto"})),
    ("wandb.integration.*", "wandb", _K({"run", "params", "metrics", "auto"})),
    ("wandb.xgboost.*", "wandb", _K({"params", "metrics", "auto"})),
    ("wandb.lightgbm.*", "wandb", _K({"params", "metrics", "auto"})),
    ("wandb.sklearn.*", "wandb", _K({"metrics", "artifacts", "auto"})),
    # DVCLive
    ("dvclive.Live", "dvclive", _K({"run", "code"})),
    ("dvclive.Live.log_param", "dvclive", _K({"params"})), ("dvclive.Live.log_params", "dvclive", _K({"params"})),
    ("dvclive.Live.log_metric", "dvclive", _K({"metrics"})),
    ("dvclive.Live.log_artifact", "dvclive", _K({"artifacts"})), ("dvclive.Live.log_image", "dvclive", _K({"artifacts"})),
    ("dvclive.Live.log_plot", "dvclive", _K({"artifacts"})), ("dvclive.Live.log_sklearn_plot", "dvclive", _K({"artifacts"})),
    ("dvclive.*.DVCLive*", "dvclive", _K({"run", "code", "params", "metrics", "auto"})),
    # TensorBoard
    ("torch.utils.tensorboard*SummaryWriter", "tensorboard", _K({"run"})),
    ("tensorboardX.SummaryWriter", "tensorboard", _K({"run"})),
    ("*SummaryWriter.add_scalar", "tensorboard", _K({"metrics"})),
    ("*SummaryWriter.add_scalars", "tensorboard", _K({"metrics"})),
    ("*SummaryWriter.add_hparams", "tensorboard", _K({"params", "metrics"})),
    ("*SummaryWriter.add_image", "tensorboard", _K({"artifacts"})),
    ("*SummaryWriter.add_figure", "tensorboard", _K({"artifacts"})),
    ("tensorflow.summary.create_file_writer", "tensorboard", _K({"run"})),
    ("tensorflow.summary.scalar", "tensorboard", _K({"metrics"})),
    ("tensorflow.keras.callbacks.TensorBoard", "tensorboard", _K({"run", "metrics", "auto"})),
    ("keras.callbacks.TensorBoard", "tensorboard", _K({"run", "metrics", "auto"})),
    ("tensorflow.keras.callbacks.CSVLogger", "keras_csv", _K({"run", "metrics", "auto"})),
    ("keras.callbacks.CSVLogger", "keras_csv", _K({"run", "metrics", "auto"})),
    # trackers whose main API is not call-shaped (run["x"] = ...): count as complete
    ("neptune.init_run", "neptune", _K(KINDS) - {"dataset"}), ("neptune.init", "neptune", _K(KINDS) - {"dataset"}),
    ("neptune.new.init*", "neptune", _K(KINDS) - {"dataset"}),
    ("neptune.integrations.*", "neptune", _K({"run", "params", "metrics", "auto"})),
    ("comet_ml.Experiment", "comet", _K(KINDS) - {"dataset"}), ("comet_ml.start", "comet", _K(KINDS) - {"dataset"}),
    ("comet_ml.OfflineExperiment", "comet", _K(KINDS) - {"dataset"}),
    ("clearml.Task.init", "clearml", _K(KINDS) - {"dataset"}),
    ("aim.Run", "aim", _K({"run", "params", "metrics", "system", "auto"})),
    ("aim.sdk.Run", "aim", _K({"run", "params", "metrics", "system", "auto"})),
    ("aim.*.Aim*", "aim", _K({"run", "params", "metrics", "system", "auto"})),
    ("sacred.Experiment", "sacred", _K({"run", "code", "env", "params", "metrics", "auto"})),
    ("guild.*", "guild", _K({"run", "params", "metrics", "auto"})),
    ("google.cloud.aiplatform.start_run", "vertex_experiments", _K({"run"})),
    ("google.cloud.aiplatform.log_params", "vertex_experiments", _K({"params"})),
    ("google.cloud.aiplatform.log_metrics", "vertex_experiments", _K({"metrics"})),
    ("sagemaker.experiments.*Run", "sagemaker_experiments", _K({"run", "params", "metrics", "auto"})),
    ("accelerate.Accelerator.init_trackers", "accelerate", _K({"run", "params", "auto"})),
    ("accelerate.Accelerator.log", "accelerate", _K({"metrics"})),
    ("zenml.log_metadata", "zenml", _K({"metrics"})), ("zenml.log_model_metadata", "zenml", _K({"metrics"})),
    ("zenml.log_artifact_metadata", "zenml", _K({"metrics"})), ("zenml.log_step_metadata", "zenml", _K({"metrics"})),
    ("optuna.integration*.MLflowCallback", "mlflow", _K({"run", "params", "metrics", "auto"})),
    ("optuna_integration*.MLflowCallback", "mlflow", _K({"run", "params", "metrics", "auto"})),
    ("optuna.integration*.WeightsAndBiasesCallback", "wandb", _K({"run", "params", "metrics", "auto"})),
    ("optuna_integration*.WeightsAndBiasesCallback", "wandb", _K({"run", "params", "metrics", "auto"})),
    ("ray.air.integrations.mlflow.*", "mlflow", _K({"run", "params", "metrics", "code", "auto"})),
    ("ray.air.integrations.wandb.*", "wandb", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    ("ray.air.integrations.comet.*", "comet", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    ("ray.air.integrations.*", "ray", _K({"run", "params", "metrics", "auto"})),
    ("ray.tune.logger.mlflow.*", "mlflow", _K({"run", "params", "metrics", "code", "auto"})),
    ("ray.tune.integration.mlflow.*", "mlflow", _K({"run", "params", "metrics", "code", "auto"})),
    ("ray.tune.integration.wandb.*", "wandb", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    ("ray.tune.logger.*", "ray", _K({"run", "params", "metrics", "auto"})),
    ("ray.tune.integration.*", "ray", _K({"run", "params", "metrics", "auto"})),
]
_LIGHTNING_LOGGERS = {
    "WandbLogger": ("wandb", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    "MLFlowLogger": ("mlflow", _K({"run", "params", "metrics", "code", "auto"})),
    "TensorBoardLogger": ("tensorboard", _K({"run", "params", "metrics", "auto"})),
    "CSVLogger": ("lightning_csv", _K({"run", "params", "metrics", "auto"})),
    "CometLogger": ("comet", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    "NeptuneLogger": ("neptune", _K({"run", "params", "metrics", "code", "system", "auto"})),
    "AimLogger": ("aim", _K({"run", "params", "metrics", "system", "auto"})),
}
for _cls, (_tool, _kinds) in _LIGHTNING_LOGGERS.items():
    for _root in ("lightning.pytorch", "pytorch_lightning", "lightning"):
        _TRACK_ROWS.append((f"{_root}.loggers*.{_cls}", _tool, _kinds))
_TRACK_INDEX: PatternIndex[tuple[str, frozenset[str]]] = PatternIndex((p, (t, k)) for p, t, k in _TRACK_ROWS)
_TRACKER_ROOTS = frozenset(p.split(".", 1)[0] for p, _, _ in _TRACK_ROWS) - {"*"}

# method names that mark a tracker call on an untyped receiver, when the file imports that tracker
_UNTYPED = {
    "wandb": ({"log": "metrics", "log_artifact": "artifacts", "use_artifact": "dataset", "log_model": "model",
               "link_model": "model"}, re.compile(r"(?i)run$|^wandb|^wb")),
    "dvclive": ({"log_metric": "metrics", "log_param": "params", "log_params": "params", "log_artifact": "artifacts",
                 "log_image": "artifacts", "log_plot": "artifacts", "log_sklearn_plot": "artifacts"},
                re.compile(r"(?i)live")),
    "mlflow": ({"log_metric": "metrics", "log_param": "params", "log_batch": "metrics", "log_artifact": "artifacts",
                "log_params": "params", "log_metrics": "metrics", "log_input": "dataset"},
               re.compile(r"(?i)client|mlflow|tracker|run")),
    "torch": ({"add_scalar": "metrics", "add_scalars": "metrics", "add_hparams": "params"},
              re.compile(r"(?i)writer|tb|summary|logger")),
    "tensorboardX": ({"add_scalar": "metrics", "add_scalars": "metrics", "add_hparams": "params"},
                     re.compile(r"(?i)writer|tb|summary|logger")),
}
_TRACKER_CTOR_ROOTS = {"wandb": "wandb", "mlflow": "mlflow", "dvclive": "dvclive", "torch": "tensorboard",
                       "tensorboardX": "tensorboard"}
_LIGHTNING_MODULE_LOG = {"self.log", "self.log_dict"}


def _lit_keys(value: Any) -> list[str]:
    """Literal string keys of a dict argument (``{"accuracy": acc}``)."""
    if isinstance(value, Expr) and value.kind == "dict":
        return [k for k in value.names if isinstance(k, str)]
    return []


def tracking_uses_of(ctx: FileContext, call: Call, imported_roots: set[str]) -> list[TrackingUse]:
    """What a single call logs, if anything (memoized per call site)."""
    cache = ctx.__dict__.setdefault("_training_uses", {})
    hit = cache.get(id(call))
    if hit is not None and hit[0] is call:
        return hit[1]
    uses = _tracking_uses_of(ctx, call, imported_roots)
    cache[id(call)] = (call, uses)
    return uses


def _tracking_uses_of(ctx: FileContext, call: Call, imported_roots: set[str]) -> list[TrackingUse]:
    name = effective(ctx, call)
    out: list[TrackingUse] = []
    matches = list(_TRACK_INDEX.match(name))
    if len(matches) > 1 and name.startswith("ray."):
        matches = matches[:1] if matches[0][0] != "ray" else [m for m in matches if m[0] != "ray"][:1] or matches[:1]
    for tool, kinds in matches:
        kinds = set(kinds)
        if name.endswith("autolog") and call.kw("log_models") is False:
            kinds -= {"model", "env"}
        if name.endswith("autolog") and call.kw("disable") is True:
            continue
        if name == "wandb.init" and call.has_kw("config"):
            kinds.add("params")
        if name == "mlflow.start_run" and call.kw("log_system_metrics") is True:
            kinds.add("system")
        if name == "dvclive.Live" and call.kw("monitor_system") is True:
            kinds.add("system")
        if "tags" in kinds:
            kinds.discard("tags")
            kinds |= _tag_kinds(call)
            if not kinds:
                kinds.add("params")
        if "Logger" in name and name.rsplit(".", 1)[-1] in _LIGHTNING_MODULE_LOG_MODEL and call.kw("log_model"):
            kinds |= {"model", "artifacts"}
        if (name.endswith("log_param") or name.endswith("log_params")) and _dataset_keyed(call):
            kinds.add("dataset")
        if name.endswith("log_artifact") and _mentions_env_file(call):
            kinds.add("env")
        if name.endswith(("log_artifact", "log_artifacts")) and _mentions_model_file(call):
            kinds.add("model")
        if name.endswith("log_artifact") and call.kw("type") == "model":
            kinds.add("model")
        out.append(TrackingUse(tool, frozenset(kinds), ctx.py.path, call.line, name, call.cell,
                               explicit="auto" not in kinds))
    if out or "." not in call.qualname:
        return out
    method = call.method
    recv = call.receiver or call.qualname.split(".", 1)[0]
    for root, (methods, recv_pat) in _UNTYPED.items():
        if root in imported_roots and method in methods and recv and recv_pat.search(recv) \
                and normalize_qualname(call.qualname) == name:
            tool = _TRACKER_CTOR_ROOTS.get(root, root)
            kind = methods[method]
            kinds = {kind} | ({"artifacts"} if kind == "model" else set())
            out.append(TrackingUse(tool, frozenset(kinds), ctx.py.path, call.line, f"{recv}.{method}", call.cell))
            break
    return out


_LIGHTNING_MODULE_LOG_MODEL = {"WandbLogger", "MLFlowLogger", "NeptuneLogger", "CometLogger"}
_DATASET_KEY = re.compile(r"(?i)(data(set)?|train(ing)?_data|corpus).*(version|hash|sha|md5|rev|digest|commit|uri|id)"
                          r"|(version|hash|sha|md5|rev|digest).*(data|dataset)")
_CODE_KEY = re.compile(r"(?i)mlflow\.source\.git\.commit|git.?(sha|commit|rev|hash)|commit.?(sha|hash)|code.?version")


def _literal_keys(call: Call) -> list[str]:
    keys: list[str] = []
    for a in call.args[:1]:
        if isinstance(a, str):
            keys.append(a)
        keys.extend(_lit_keys(a))
    for k, v in call.kwargs:
        if k in ("key", "tags", "params"):
            if isinstance(v, str):
                keys.append(v)
            keys.extend(_lit_keys(v))
    return keys


def _tag_kinds(call: Call) -> set[str]:
    kinds: set[str] = set()
    for key in _literal_keys(call):
        if _CODE_KEY.search(key):
            kinds.add("code")
        if _DATASET_KEY.search(key):
            kinds.add("dataset")
    return kinds


def _dataset_keyed(call: Call) -> bool:
    return any(_DATASET_KEY.search(k) for k in _literal_keys(call))


def _first_str(call: Call) -> str:
    for a in (*call.args, *(v for _, v in call.kwargs)):
        if isinstance(a, str):
            return a
    return ""


def _mentions_env_file(call: Call) -> bool:
    return bool(re.search(r"(?i)(requirements[^/]*\.txt|environment\.ya?ml|conda\.ya?ml|poetry\.lock|uv\.lock|"
                          r"pip.?freeze|\.lock$)", _first_str(call)))


def _mentions_model_file(call: Call) -> bool:
    return bool(re.search(r"(?i)\.(pkl|pickle|joblib|pt|pth|ckpt|h5|keras|onnx|safetensors|bin|json|ubj|cbm|txt)$",
                          _first_str(call))) and bool(re.search(r"(?i)model|clf|estimator|weights|ckpt|checkpoint",
                                                                _first_str(call)))


# -- entry points -----------------------------------------------------------

@dataclass
class EntryPoint:
    """One training entry point and everything it reaches."""

    path: str
    kind: str                     # script | notebook | cli | route | step
    name: str                     # "<module>" or the function's qualname
    line: int                     # where it starts (def line, main guard, or 1)
    fits: list[Reached] = field(default_factory=list)
    reach: list[Reached] = field(default_factory=list)
    tracking: list[TrackingUse] = field(default_factory=list)
    unknown: str = ""             # why tracking cannot be judged from the repository ("" when it can)
    functions: set[tuple[str, str]] = field(default_factory=set)

    @property
    def fit(self) -> Reached:
        """The first fitting site, by its place in the entry's own file."""
        return self.fits[0]

    @property
    def anchor(self) -> tuple[str, int, int | None]:
        """(path, line, cell) in the entry's own file where fitting happens or is called."""
        a = self.fit.anchor
        return self.path, a.line, a.cell

    @property
    def label(self) -> str:
        if self.kind == "notebook":
            return f"notebook {self.path}"
        if self.kind in ("script",):
            return self.path
        return f"{self.path} ({self.kind} {self.name})"

    def kinds(self) -> set[str]:
        out: set[str] = set()
        for t in self.tracking:
            out |= t.kinds
        return out

    def tools(self) -> list[str]:
        return list(dict.fromkeys(t.tool for t in self.tracking))

    @property
    def logged(self) -> bool:
        return bool(self.kinds() & {"params", "metrics", "artifacts", "model", "auto"})

    def fit_site_text(self) -> str:
        f = self.fit
        via = f", reached via {' -> '.join(f.chain)}" if f.chain else ""
        cell = f" cell {f.call.cell}" if f.call.cell else ""
        return f"{f.call.qualname.replace('()', '')} at {f.path}:{f.call.line}{cell}{via}"


@dataclass
class TrainingView:
    entries: list[EntryPoint]
    config_tracking: list[TrackingUse]

    def logged(self) -> list[EntryPoint]:
        return [e for e in self.entries if e.logged]


def _imported_roots(py: PyFile) -> set[str]:
    return {imp.module.split(".", 1)[0] for imp in py.imports}


def _repo_imported_paths(index: RepoIndex) -> set[str]:
    """Repository files some other repository file imports (so they are libraries, not scripts)."""
    out: set[str] = set()
    modules = index.modules
    for ctx in index.contexts.values():
        for imp in ctx.py.imports:
            mod = imp.module.lstrip(".")
            for cand in ((mod + "." + imp.name) if imp.name else mod, mod):
                p = modules.get(cand)
                if p is not None and p != ctx.py.path:
                    out.add(p)
                    break
    return out


def _decorated(fn: Function, patterns: tuple[str, ...], ctx: FileContext) -> bool:
    for d in fn.decorators:
        name = normalize_qualname(d.qualname)
        obj, _, meth = name.rpartition(".")
        if name in patterns or any(name.startswith(p + ".") for p in patterns):
            return True
        if obj in ctx.var_types and f"{ctx.var_types[obj]}.{meth}" in patterns:
            return True
    return False


def _entry_candidates(index: RepoIndex, routes: list[Route]
                      ) -> Iterator[tuple[FileContext, str, str, str, int, list[Call]]]:
    """(context, kind, label, function qualname or "<module>", line, starting calls), scripts first."""
    imported = _repo_imported_paths(index)
    ordered = sorted((p, c) for p, c in index.contexts.items() if not c.py.is_test)
    for path, ctx in ordered:
        py = ctx.py
        if path.endswith(".ipynb"):
            yield ctx, "notebook", "<module>", "<module>", 1, list(ctx.calls_by_scope.get("<module>", []))
        elif py.has_main or path.endswith("__main__.py"):
            yield ctx, "script", "<module>", "<module>", py.main_line or 1, list(ctx.calls_by_scope.get("<module>", []))
        elif path not in imported:
            module_calls = [c for c in py.calls if c.scope == "<module>"]
            if module_calls:
                yield ctx, "script", "<module>", "<module>", 1, module_calls
    for path, ctx in ordered:
        for fn in ctx.py.functions:
            if _decorated(fn, CLI_DECORATORS, ctx):
                yield ctx, "cli", fn.qualname, fn.qualname, fn.line, _calls_in(ctx, fn)
    for r in routes:
        ctx = index.contexts.get(r.file)
        fn = ctx.functions.get(r.function) if ctx else None
        if ctx and fn and not ctx.py.is_test:
            yield ctx, "route", f"{'/'.join(r.methods)} {r.path}".strip(), fn.qualname, fn.line, _calls_in(ctx, fn)
    for path, ctx in ordered:
        flows = {c.name for c in ctx.py.classes if any(b.endswith("FlowSpec") for b in c.bases)}
        for fn in ctx.py.functions:
            if _decorated(fn, STEP_DECORATORS, ctx) and (fn.class_name in flows or not fn.class_name
                                                           or "metaflow" not in str(fn.decorators)):
                yield ctx, "step", fn.qualname, fn.qualname, fn.line, _calls_in(ctx, fn)


def _targets_of(index: RepoIndex, ctx: FileContext, call: Call) -> list[tuple[FileContext, Function]]:
    out = []
    t = resolve(index, ctx, call)
    if t is not None:
        out.append(t)
    for arg in (*call.args, *(v for _, v in call.kwargs)):
        if isinstance(arg, Ref):
            t = _lookup(index, ctx, arg.qualname)
            if t is not None:
                out.append(t)
    return [t for t in out if not t[0].py.is_test]


def _fits_within(index: RepoIndex, ctx: FileContext, fn: Function, depth: int,
                 memo: dict[tuple[str, str, int], bool]) -> bool:
    """Whether ``fn`` or a repository function it calls (``depth`` more levels) fits a model."""
    key = (ctx.py.path, fn.qualname, depth)
    if key in memo:
        return memo[key]
    memo[key] = False  # cycles
    calls = _calls_in(ctx, fn)
    found = _any_fit(ctx, calls) or (depth > 0 and any(
        _fits_within(index, t_ctx, t_fn, depth - 1, memo)
        for call in calls for t_ctx, t_fn in _targets_of(index, ctx, call)))
    memo[key] = found
    return found


def _any_fit(ctx: FileContext, calls: list[Call]) -> bool:
    for call in calls:
        if call.method in _FIT_METHODS and fit_kind(ctx, call, ctx.calls_by_scope.get(call.scope, ())):
            return True
    return False


def _may_fit(index: RepoIndex, ctx: FileContext, start: list[Call], memo: dict[tuple[str, str, int], bool]) -> bool:
    """Cheap, memoized pre-check before the full walk of a candidate entry point."""
    if _any_fit(ctx, start):
        return True
    return any(_fits_within(index, t_ctx, t_fn, DEPTH - 1, memo)
               for call in start for t_ctx, t_fn in _targets_of(index, ctx, call))


def training_view(facts: Facts, index: RepoIndex, routes: list[Route]) -> TrainingView:
    """Every training entry point with its reach and tracking.

    Functions (CLI commands, handlers, steps) reached by a script or by a wider function entry point are
    part of that entry point, not entry points of their own: candidates are accepted scripts and notebooks
    first, then functions by decreasing reach.
    """
    config_tracking = _config_tracking(facts)
    dvc_stages = _dvc_stage_scripts(facts)
    mlproject = _mlproject_scripts(facts)
    computed: list[tuple[EntryPoint, FileContext, str]] = []
    memo: dict[tuple[str, str, int], bool] = {}
    for ctx, kind, label, fn_name, line, start in _entry_candidates(index, routes):
        if not _may_fit(index, ctx, start, memo):
            continue  # nothing within reach fits a model: skip the full walk
        seen: set[tuple[str, str]] = set()
        if fn_name != "<module>":
            seen.add((ctx.py.path, fn_name))
        calls = list(start)
        if kind in ("cli", "route", "step"):
            calls = list(ctx.calls_by_scope.get("<module>", [])) + calls
        entry = EntryPoint(ctx.py.path, kind, label, line)
        for r in walk_from(index, ctx, calls, DEPTH, seen):
            entry.reach.append(r)
            r_ctx = index.contexts[r.path]
            if fit_kind(r_ctx, r.call, r_ctx.calls_by_scope.get(r.call.scope, ())):
                entry.fits.append(r)
        entry.functions = seen
        computed.append((entry, ctx, fn_name))
    order = sorted(range(len(computed)), key=lambda i: (
        computed[i][2] != "<module>", -len(computed[i][0].functions) if computed[i][2] != "<module>" else 0, i))
    entries: list[EntryPoint] = []
    reached_fns: set[tuple[str, str]] = set()
    for i in order:
        entry, ctx, fn_name = computed[i]
        if fn_name != "<module>" and (ctx.py.path, fn_name) in reached_fns:
            continue  # already part of a script or of a wider entry point
        reached_fns |= entry.functions
        if not entry.fits:
            continue
        entry.fits.sort(key=lambda r: (r.anchor.cell or 0, r.anchor.line, r.call.line))
        entry.reach.extend(_imported_module_calls(index, ctx))
        _attach_tracking(entry, index, facts, config_tracking, dvc_stages, mlproject)
        entries.append(entry)
    entries.sort(key=lambda e: (e.kind == "notebook", e.path, e.line))
    return TrainingView(entries, config_tracking)


def _imported_module_calls(index: RepoIndex, ctx: FileContext) -> list[Reached]:
    """Module-level tracker calls of imported repository modules (``mlflow.autolog()`` in a config module)."""
    out: list[Reached] = []
    roots = _TRACKER_ROOTS
    modules = index.modules
    for imp in ctx.py.imports:
        mod = imp.module.lstrip(".")
        path = modules.get(mod)
        if path is None or path == ctx.py.path:
            continue
        other = index.contexts.get(path)
        if other is None or other.py.is_test:
            continue
        for call in other.calls_by_scope.get("<module>", []):
            if call.qualname.split(".", 1)[0] in roots:
                out.append(Reached(path, call, ("<import>",), call))
    return out


def _attach_tracking(entry: EntryPoint, index: RepoIndex, facts: Facts, config_tracking: list[TrackingUse],
                     dvc_stages: dict[str, ConfigDoc], mlproject: dict[str, ConfigDoc]) -> None:
    roots_cache: dict[str, set[str]] = {}
    hydra = False
    for r in entry.reach:
        ctx = index.contexts[r.path]
        roots = roots_cache.get(r.path)
        if roots is None:
            roots = roots_cache[r.path] = _imported_roots(ctx.py)
        entry.tracking.extend(tracking_uses_of(ctx, r.call, roots))
        name = effective(ctx, r.call)
        if name in ("hydra.utils.instantiate", "hydra.utils.call") or name.endswith("hydra.main"):
            hydra = True
    # framework integrations that log by default
    for f in entry.fits:
        integ = _fit_integration(index, index.contexts[f.path], f, entry)
        if isinstance(integ, str):
            entry.unknown = entry.unknown or integ
        elif integ is not None:
            entry.tracking.append(integ)
    if any(_decorated_step(index, r, "zenml") for r in entry.fits):
        entry.tracking.append(TrackingUse("zenml", _K({"run", "params", "artifacts", "model", "dataset", "code", "env"}),
                                          entry.path, entry.line, "ZenML step (artifacts and lineage tracked)",
                                          explicit=False))
    if any(_decorated_step(index, r, "metaflow") for r in entry.fits):
        entry.tracking.append(TrackingUse("metaflow", _K({"run", "params", "artifacts", "model", "code"}),
                                          entry.path, entry.line, "Metaflow step (artifacts tracked)", explicit=False))
    if hydra:
        for t in config_tracking:
            entry.tracking.append(t)
    doc = dvc_stages.get(entry.path)
    if doc is not None:
        entry.tracking.append(_dvc_stage_tracking(entry.path, doc, facts))
    doc = mlproject.get(entry.path)
    if doc is not None:
        entry.tracking.append(TrackingUse("mlflow", _K({"run", "params", "code", "env"}), doc.path, doc.line,
                                          "MLproject entry point (mlflow run logs parameters)", explicit=False))


def _decorated_step(index: RepoIndex, r: Reached, tool: str) -> bool:
    ctx = index.contexts[r.path]
    scope = r.call.scope
    fn = ctx.functions.get(scope)
    while fn is None and "." in scope:
        scope = scope.rsplit(".", 1)[0]
        fn = ctx.functions.get(scope)
    return bool(fn and _decorated(fn, _TRACKING_STEP[tool], ctx))


def _fit_integration(index: RepoIndex, ctx: FileContext, f: Reached, entry: EntryPoint
                     ) -> TrackingUse | str | None:
    """Tracking implied by the trainer that fits: Lightning default logger, HF report_to, Ultralytics runs."""
    name = effective(ctx, f.call)
    call = f.call
    if call.method not in ("fit", "train") and not name.startswith("ultralytics."):
        return None
    trainer_ctor = _ctor_call(ctx, call)
    if re.search(r"(^|\.)(lightning|pytorch_lightning)(\.pytorch)?\.Trainer\.fit$|lightning.*Trainer\.fit$", name):
        logger = trainer_ctor.kw("logger", None) if trainer_ctor else None
        if trainer_ctor is None:
            return None
        if logger is False:
            return None
        if isinstance(logger, (Ref, Expr, tuple)):
            return None  # a logger object: found among the reached calls, or decided elsewhere
        return TrackingUse("lightning", _K({"run", "params", "metrics", "artifacts", "auto"}), ctx.py.path,
                           trainer_ctor.line, "Lightning Trainer default logger (lightning_logs/)", trainer_ctor.cell,
                           explicit=False)
    if name.endswith("hydra.utils.instantiate.fit"):
        return "the Trainer is built from Hydra configuration"
    if re.search(r"(^|\.)(transformers|trl)\.\w*Trainer\.train$", name) or (
            f.call.method == "train" and trainer_ctor is not None and "Trainer" in trainer_ctor.qualname):
        return _hf_report_to(index, entry)
    if name.startswith("ultralytics."):
        return TrackingUse("ultralytics", _K({"run", "params", "metrics", "artifacts", "model", "auto"}), ctx.py.path,
                           call.line, "Ultralytics run directory", call.cell, explicit=False)
    return None


def _ctor_call(ctx: FileContext, call: Call) -> Call | None:
    """The call that built the receiver of ``call`` in the same file (``trainer = Trainer(...)``)."""
    if not call.receiver:
        return None
    best = None
    for a in ctx.py.assigns:
        if a.target == call.receiver and isinstance(a.value, Expr) and a.value.kind == "call" and a.line <= call.line:
            if a.scope == call.scope or a.scope == "<module>":
                best = a
    if best is None:
        return None
    for c in ctx.py.calls:
        if c.line == best.line and normalize_qualname(c.qualname) == normalize_qualname(best.value.callee):
            return c
    return None


def _hf_report_to(index: RepoIndex, entry: EntryPoint) -> TrackingUse | str | None:
    for r in entry.reach:
        if not r.call.qualname.endswith("TrainingArguments") and not re.search(r"trl\.\w*Config$", r.call.qualname):
            continue
        if not r.call.has_kw("report_to"):
            if r.call.star_kwargs:
                return "TrainingArguments receives **kwargs"
            return TrackingUse("transformers", _K({"run", "metrics", "artifacts", "auto"}), r.path, r.call.line,
                               "TrainingArguments without report_to (reports to installed integrations)",
                               r.call.cell, explicit=False) if _declared_tracker(index) else None
        value = r.call.kw("report_to")
        values = value if isinstance(value, tuple) else (value,)
        names = [v for v in values if isinstance(v, str)]
        if names and all(v.lower() == "none" for v in names):
            return None
        if not names and isinstance(value, tuple):
            return None  # report_to=[]
        if names:
            tool = names[0] if names[0] != "all" else "transformers"
            return TrackingUse(tool, _K({"run", "params", "metrics", "artifacts", "auto"} |
                                        ({"code", "env", "system"} if tool == "wandb" else set())),
                               r.path, r.call.line, f"TrainingArguments(report_to={names[0]!r})", r.call.cell,
                               explicit=False)
        return "report_to comes from a variable"
    return "TrainingArguments are parsed from the command line or a file"


def _declared_tracker(index: RepoIndex) -> bool:
    trackers = {"wandb", "mlflow", "mlflow-skinny", "tensorboard", "tensorboardx", "comet-ml", "neptune", "clearml",
                "dvclive", "aim"}
    return any(r.name in trackers for m in index.facts.manifests for r in m.requirements)


# -- configuration-level tracking --------------------------------------------

def _walk(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, path + (i,))


def _targets(data: Any) -> Iterator[tuple[tuple, str]]:
    """(key path, value) of every ``_target_`` string in a parsed document."""
    stack: list[tuple[tuple, Any]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "_target_" and isinstance(v, str):
                    yield path + (k,), v
                elif isinstance(v, (dict, list)):
                    stack.append((path + (k,), v))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((path + (i,), v))


def _config_tracking(facts: Facts) -> list[TrackingUse]:
    """Tracking loggers instantiated from configuration (Hydra ``_target_``)."""
    out: list[TrackingUse] = []
    for doc in facts.configs:
        if doc.kind in ("github_actions", "gitlab_ci", "k8s", "compose") or not isinstance(doc.data, (dict, list)):
            continue
        for path, value in _targets(doc.data):
            for tool, kinds in _TRACK_INDEX.match(value):
                out.append(TrackingUse(tool, frozenset(kinds), doc.path, doc.lines.get(path, doc.line),
                                       f"_target_: {value}", explicit=False))
    out.sort(key=lambda t: (t.path, t.line or 0))
    return out


def _script_paths_in(cmd: str) -> list[str]:
    out = re.findall(r"(?:^|\s)(?:python\d*(?:\.\d+)?\s+)?((?:[\w.-]+/)*[\w.-]+\.py)\b", cmd)
    mods = re.findall(r"python\d*(?:\.\d+)?\s+-m\s+([\w.]+)", cmd)
    out.extend(m.replace(".", "/") + ".py" for m in mods)
    return [p[2:] if p.startswith("./") else p for p in out]


def _dvc_stage_scripts(facts: Facts) -> dict[str, ConfigDoc]:
    out: dict[str, ConfigDoc] = {}
    for doc in facts.configs_of("dvc_yaml"):
        base = doc.path.rsplit("/", 1)[0] + "/" if "/" in doc.path else ""
        stages = doc.data.get("stages") if isinstance(doc.data, dict) else None
        if not isinstance(stages, dict):
            continue
        for stage in stages.values():
            if not isinstance(stage, dict):
                continue
            cmds = stage.get("cmd")
            for cmd in (cmds if isinstance(cmds, list) else [cmds]):
                if isinstance(cmd, str):
                    for p in _script_paths_in(cmd):
                        out.setdefault(base + p, doc)
    return out


def _dvc_stage_tracking(script: str, doc: ConfigDoc, facts: Facts) -> TrackingUse:
    kinds = {"run", "code"}
    stages = doc.data.get("stages") or {}
    line = doc.line
    for name, stage in stages.items():
        if not isinstance(stage, dict):
            continue
        cmds = stage.get("cmd")
        cmds = cmds if isinstance(cmds, list) else [cmds]
        if not any(isinstance(c, str) and any(doc.path.rsplit("/", 1)[0] + "/" + p == script or p == script
                                              for p in _script_paths_in(c)) for c in cmds):
            continue
        line = doc.lines.get(("stages", name), doc.line)
        if stage.get("params"):
            kinds.add("params")
        deps = [d for d in (stage.get("deps") or []) if isinstance(d, str) and not d.endswith(".py")]
        if deps:
            kinds.add("dataset")
        if stage.get("outs"):
            kinds.add("artifacts")
        if stage.get("metrics") or stage.get("plots"):
            kinds.add("metrics")
    data = doc.data if isinstance(doc.data, dict) else {}
    if data.get("metrics") or data.get("plots"):
        kinds.add("metrics")
    return TrackingUse("dvc", frozenset(kinds), doc.path, line, "DVC pipeline stage (dvc exp / dvc.lock)",
                       explicit=False)


def _mlproject_scripts(facts: Facts) -> dict[str, ConfigDoc]:
    out: dict[str, ConfigDoc] = {}
    for doc in facts.configs_of("mlproject"):
        base = doc.path.rsplit("/", 1)[0] + "/" if "/" in doc.path else ""
        eps = doc.data.get("entry_points") if isinstance(doc.data, dict) else None
        if not isinstance(eps, dict):
            continue
        for ep in eps.values():
            cmd = ep.get("command") if isinstance(ep, dict) else None
            if isinstance(cmd, str):
                for p in _script_paths_in(cmd):
                    out.setdefault(base + p, doc)
    return out
