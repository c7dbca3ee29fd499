"""What a training run records: tracker calls and integrations mapped to the kinds of record they leave
(run, params, metrics, artifacts, model, dataset, code, env, system, auto), plus tracking that lives in
configuration (Hydra ``_target_`` loggers, DVC stages, MLproject entry points). Pure data and matchers."""
from __future__ import annotations

import re
from typing import Any, Iterator

from .._patterns import lazy
from .._records import record
from ..facts import Call, ConfigDoc, Expr, Facts, PyFile
from .calls import effective
from .context import FileContext
from .matcher import PatternIndex, normalize_qualname

__all__ = ["TrackingUse", "KINDS", "IMPLIED", "RUNTIME_CHOSEN", "TRACKER_ROOTS", "tracking_uses_of",
           "imported_roots", "config_tracking", "dvc_stage_scripts", "dvc_stage_tracking", "mlproject_scripts"]

KINDS = ("run", "params", "metrics", "artifacts", "model", "dataset", "code", "env", "system", "auto")


@record()
class TrackingUse:
    tool: str
    kinds: frozenset[str]
    path: str
    line: int | None
    detail: str
    cell: int | None = None
    explicit: bool = True      # a direct tracker call (False: integration, config, pipeline system)


_K = frozenset
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
    ("composer.loggers*.WandBLogger", "wandb", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    ("composer.loggers*.MLFlowLogger", "mlflow", _K({"run", "params", "metrics", "code", "auto"})),
    ("composer.loggers*.TensorboardLogger", "tensorboard", _K({"run", "params", "metrics", "auto"})),
    ("composer.loggers*.CometMLLogger", "comet", _K({"run", "params", "metrics", "code", "env", "system", "auto"})),
    ("trackio.init", "trackio", _K({"run", "params"})), ("trackio.log", "trackio", _K({"metrics"})),
    ("wandb.run.log", "wandb", _K({"metrics"})),
    ("wandb.log_artifact", "wandb", _K({"artifacts"})), ("wandb.init.log_artifact", "wandb", _K({"artifacts"})),
    ("wandb.run.log_artifact", "wandb", _K({"artifacts"})), ("wandb.save", "wandb", _K({"artifacts"})),
    ("wandb.log_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.init.log_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.run.log_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.link_model", "wandb", _K({"model", "artifacts"})),
    ("wandb.init.link_model", "wandb", _K({"model", "artifacts"})),
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
    ("dvclive.Live.log_artifact", "dvclive", _K({"artifacts"})),
    ("dvclive.Live.log_image", "dvclive", _K({"artifacts"})),
    ("dvclive.Live.log_plot", "dvclive", _K({"artifacts"})),
    ("dvclive.Live.log_sklearn_plot", "dvclive", _K({"artifacts"})),
    ("dvclive.*.DVCLive*", "dvclive", _K({"run", "code", "params", "metrics", "auto"})),
    ("dvclive.*.DvcLive*", "dvclive", _K({"run", "code", "params", "metrics", "auto"})),  # dvclive < 1.0
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
    for _root in ("lightning.pytorch", "pytorch_lightning", "lightning", "lightning.fabric", "lightning_fabric"):
        _TRACK_ROWS.append((f"{_root}.loggers*.{_cls}", _tool, _kinds))
_TRACK_INDEX: PatternIndex[tuple[str, frozenset[str]]] = PatternIndex((p, (t, k)) for p, t, k in _TRACK_ROWS)
TRACKER_ROOTS = frozenset(p.split(".", 1)[0] for p, _, _ in _TRACK_ROWS) - {"*"}

# method names that mark a tracker call on an untyped receiver, when the file imports that tracker
_UNTYPED = {
    "wandb": ({"log": "metrics", "log_artifact": "artifacts", "use_artifact": "dataset", "log_model": "model",
               "link_model": "model"}, lazy(r"(?i)run$|^wandb|^wb")),
    "dvclive": ({"log_metric": "metrics", "log_param": "params", "log_params": "params", "log_artifact": "artifacts",
                 "log_image": "artifacts", "log_plot": "artifacts", "log_sklearn_plot": "artifacts"},
                lazy(r"(?i)live")),
    "mlflow": ({"log_metric": "metrics", "log_param": "params", "log_batch": "metrics", "log_artifact": "artifacts",
                "log_params": "params", "log_metrics": "metrics", "log_input": "dataset"},
               lazy(r"(?i)client|mlflow|tracker|run")),
    "torch": ({"add_scalar": "metrics", "add_scalars": "metrics", "add_hparams": "params"},
              lazy(r"(?i)writer|tb|summary|logger")),
    "tensorboardX": ({"add_scalar": "metrics", "add_scalars": "metrics", "add_hparams": "params"},
                     lazy(r"(?i)writer|tb|summary|logger")),
}
_UNTYPED_METHODS = frozenset(m for methods, _ in _UNTYPED.values() for m in methods)
_TRACKER_CTOR_ROOTS = {"wandb": "wandb", "mlflow": "mlflow", "dvclive": "dvclive", "torch": "tensorboard",
                       "tensorboardX": "tensorboard"}


def _lit_keys(value: Any) -> list[str]:
    """Literal string keys of a dict argument (``{"accuracy": acc}``)."""
    if isinstance(value, Expr) and value.kind == "dict":
        return [k for k in value.names if isinstance(k, str)]
    return []


def tracking_uses_of(ctx: FileContext, call: Call, imported_roots: set[str]) -> list[TrackingUse]:
    """What a single call logs, if anything (memoized per call site)."""
    return ctx.per_call("tracking_uses", call, _tracking_uses_of, ctx, call, imported_roots)


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
    if name == "accelerate.Accelerator" and call.has_kw("log_with"):
        value = call.kw("log_with")
        names = [v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, str)]
        for tool in names:
            kinds = _RUNTIME_TRACKERS.get(tool.lower())
            if kinds is not None:
                out.append(TrackingUse(tool.lower().replace("comet_ml", "comet"), kinds, ctx.py.path, call.line,
                                       f"Accelerator(log_with={tool!r})", call.cell, explicit=False))
    if out or "." not in call.qualname:
        return out
    method = call.qualname.rpartition(".")[2]
    if method not in _UNTYPED_METHODS:
        return out
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


# trackers that integrations (accelerate log_with, HF report_to) pick by name, and what each records
_RUNTIME_TRACKERS = {
    "wandb": _K({"run", "params", "metrics", "code", "env", "system", "auto"}),
    "mlflow": _K({"run", "params", "metrics", "code", "auto"}),
    "tensorboard": _K({"run", "params", "metrics", "auto"}),
    "comet_ml": _K({"run", "params", "metrics", "code", "env", "system", "auto"}),
    "aim": _K({"run", "params", "metrics", "system", "auto"}),
    "clearml": _K({"run", "params", "metrics", "code", "env", "system", "auto"}),
    "dvclive": _K({"run", "params", "metrics", "code", "auto"}),
    "trackio": _K({"run", "params", "metrics", "auto"}),
}
# what a tracker records on every run, whoever created the run (git state, packages, hardware)
IMPLIED = {
    "wandb": _K({"code", "env", "system"}), "neptune": _K({"code", "system"}), "comet": _K({"code", "env", "system"}),
    "clearml": _K({"code", "env", "system"}), "mlflow": _K({"code"}), "dvclive": _K({"code"}), "dvc": _K({"code"}),
}
# tools that stand for "whichever tracker the command line picks"
RUNTIME_CHOSEN = frozenset({"accelerate", "transformers"})
_LIGHTNING_MODULE_LOG_MODEL = {"WandbLogger", "MLFlowLogger", "NeptuneLogger", "CometLogger"}
_DATASET_KEY = lazy(r"(?i)(data(set)?|train(ing)?_data|corpus).*(version|hash|sha|md5|rev|digest|commit|uri|id)"
                          r"|(version|hash|sha|md5|rev|digest).*(data|dataset)")
_CODE_KEY = lazy(r"(?i)mlflow\.source\.git\.commit|git.?(sha|commit|rev|hash)|commit.?(sha|hash)|code.?version")


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




def imported_roots(py: PyFile) -> set[str]:
    return {imp.module.split(".", 1)[0] for imp in py.imports}


# -- configuration-level tracking --------------------------------------------

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


def config_tracking(facts: Facts) -> list[TrackingUse]:
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


def dvc_stage_scripts(facts: Facts) -> dict[str, ConfigDoc]:
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


def dvc_stage_tracking(script: str, doc: ConfigDoc, facts: Facts) -> TrackingUse:
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


def mlproject_scripts(facts: Facts) -> dict[str, ConfigDoc]:
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
