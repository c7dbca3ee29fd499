"""Model registry and lineage: every deployed model is a named, versioned, traceable registry entry."""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.calls import effective, walk_from
from ..detect.run_tracking import imported_roots, tracking_uses_of
from ..detect.repo_caps import dvc_outputs
from ..facts import Call, Expr, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._training_util import (
    Site, entries, literal_path, model_saves, promotion_sites, registry_sites, same_project,
    serving_handlers,
)

__all__: list[str] = []

_REFS = ("Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning'",
         "Sculley et al. 2015, 'Hidden Technical Debt in Machine Learning Systems'")
_C06 = ("(Needs evidence for C06: whether versions follow a semantic scheme is not visible in code; a 'semver' "
        "tag on each version settles it.)")


def _dvc_model_registry(ctx: RuleContext) -> bool:
    """DVC model registry: ``artifacts:`` of type model in dvc.yaml (GTO / DVC Studio), or a GTO artifacts.yaml."""
    for doc in ctx.facts.configs:
        name = doc.path.rsplit("/", 1)[-1]
        data = doc.data if isinstance(doc.data, dict) else {}
        if doc.kind == "dvc_yaml" or name == "artifacts.yaml":
            arts = data.get("artifacts") if doc.kind == "dvc_yaml" else data
            if isinstance(arts, dict) and any(isinstance(a, dict) and a.get("type") == "model"
                                              for a in arts.values()):
                return True
    return False


def _fixed_path(target: str) -> bool:
    return bool(target) and not re.search(r"\d|\{|%|latest|version|v\d", target)


def _reached_lines(ctx: RuleContext) -> set[tuple[str, int]]:
    return {(r.path, r.call.line) for e in entries(ctx) for r in e.reach}


@rule(id="REG001", name="no-model-registry", area="registry", severity=Severity.HIGH,
      title="Trained models are saved but never registered",
      rationale="A model written to a file has no name, version, lineage or stage: nobody can say which "
                "training run produced the model in production, roll back to the previous one, or retire it. "
                "A registry is the source of truth for what may be deployed (seed items K03, H05, Z05).",
      remediation={
          "mlflow": "mlflow.sklearn.log_model(model, 'model', registered_model_name='churn-classifier')\n"
                    "# or: mlflow.register_model(f'runs:/{run.info.run_id}/model', 'churn-classifier')",
          "wandb": "art = wandb.Artifact('churn-classifier', type='model'); art.add_file('model.pkl')\n"
                   "run.log_artifact(art); run.link_artifact(art, 'model-registry/churn-classifier')",
          "dvc": "Declare the model in dvc.yaml:\nartifacts:\n  churn-classifier:\n    path: models/model.pkl\n"
                 "    type: model",
          "transformers": "model.push_to_hub('org/churn-classifier', revision='v1.2.0')",
          "default": "Register every model you intend to serve (MLflow Model Registry, W&B registry, SageMaker "
                     "model packages, DVC artifacts) and deploy by registry name and version.",
      },
      seeds=("K03", "H05", "Z05", "K11"), references=_REFS, principle="versioning",
      tools=("mlflow", "wandb", "dvc"),
      bad="model.fit(X, y)\njoblib.dump(model, 'model.pkl')",
      good="mlflow.sklearn.log_model(model, 'model', registered_model_name='churn-classifier')")
def no_model_registry(ctx: RuleContext) -> Iterator[Hit]:
    """Training entry points exist, models are saved to files, and no registry capability is present."""
    if not entries(ctx) or ctx.detection.present("model_registry") or _dvc_model_registry(ctx):
        return
    saves = model_saves(ctx)
    if not saves:
        return
    reached = _reached_lines(ctx)
    saves = sorted(saves, key=lambda s: ((s.path, s.line) not in reached, s.path, s.cell or 0, s.line))
    s = saves[0]
    where = f" to {s.detail!r}" if s.detail else ""
    msg = (f"{s.path}:{s.line} saves a trained model ({s.name}{where}) but no model is ever registered: there is "
           "no registry name or version to deploy, compare or roll back to.")
    tracked = sorted({t.tool for e in entries(ctx) for t in e.tracking
                      if t.kinds & {"model", "artifacts"} and t.tool in ("mlflow", "wandb", "neptune", "comet",
                                                                         "clearml", "dvclive")})
    if tracked:
        msg += f" Models reach {'/'.join(tracked)} only as run artifacts, which carry no registry name or stage."
    outs = dvc_outputs(ctx.facts)
    if _fixed_path(s.detail) and s.detail.lstrip("./") not in outs and s.detail not in outs:
        msg += " The fixed file name is overwritten by every training run, so earlier models are lost."
    yield Hit(s.path, s.line, msg, cell=s.cell, key=f"{s.name}@{s.call.scope}")


# -- REG002 ---------------------------------------------------------------------

_DATA_KEY = lazy(r"(?i)data|dataset|train(ing)?_?set|corpus")


def _dict_keys(value) -> list[str]:
    if isinstance(value, Expr) and value.kind == "dict":
        return [k for k in value.names if isinstance(k, str)]
    return []


def _runs_uri(ctx: RuleContext, fctx, call: Call, value) -> bool | None:
    """True when a model URI carries its run (runs:/ or a logged-model URI), False for a bare path, None unknown."""
    if isinstance(value, str):
        return value.startswith(("runs:/", "models:/m-")) or value.startswith("mlflow-artifacts:")
    names = set()
    if isinstance(value, Ref):
        names.add(value.qualname)
    for sb in fctx.py.strings:
        if (sb.line == call.line or sb.target in names) and any("runs:/" in p for p in sb.literal_parts):
            return True
    if isinstance(value, Expr) and value.kind == "attribute" or isinstance(value, Ref) and "." in value.qualname:
        return True  # model_info.model_uri and friends
    lit = literal_path(fctx, value, call.scope)
    if lit is not None:
        return lit.startswith("runs:/")
    return None


def _dataset_linked_near(ctx: RuleContext, site: Site) -> bool:
    """A dataset version recorded in the same file or in a training entry point that reaches the site."""
    index = ctx.detection.index
    fctx = index.contexts[site.path]
    pools = [[(site.path, c) for c in fctx.py.calls]]
    for e in entries(ctx):
        if any(r.path == site.path and r.call is site.call for r in e.reach):
            pools.append([(r.path, r.call) for r in e.reach])
    for pool in pools:
        for path, call in pool:
            other = index.contexts[path]
            for use in tracking_uses_of(other, call, imported_roots(other.py)):
                if "dataset" in use.kinds:
                    return True
            if call.method in ("set_model_version_tag", "set_registered_model_tag", "update_model_version") and \
                    any(isinstance(a, str) and _DATA_KEY.search(a) for a in call.args):
                return True
    if any(_DATA_KEY.search(k) for k in _dict_keys(site.call.kw("tags"))):
        return True
    return False


@rule(id="REG002", name="registered-without-lineage", area="registry", severity=Severity.HIGH,
      title="Model version registered without its training data version",
      rationale="A registry entry must say what produced it: the training run (code, parameters, metrics) and "
                "the exact data. Without the data version nobody can reproduce the model, explain a regression "
                "or honour a data deletion request (seed items C07, G07, C10).",
      remediation={
          "mlflow": "In the training run: mlflow.log_input(mlflow.data.from_pandas(df, source=data_uri), "
                    "context='training')\nOn the version: client.set_model_version_tag(name, version, "
                    "'dataset_version', data_rev)",
          "wandb": "Consume the dataset as an artifact in the run that logs the model: "
                   "run.use_artifact('train-data:v7') — W&B links model and data versions in its lineage graph.",
          "default": "Record the training run id and the dataset version/hash on every registered model version.",
      },
      seeds=("C07", "G07", "C10", "C06"), references=_REFS, principle="versioning", tools=("mlflow", "wandb"),
      bad="mlflow.register_model(f'runs:/{run_id}/model', 'churn')",
      good="mlflow.log_input(mlflow.data.from_pandas(df, source=uri), context='training')\n"
           "mlflow.register_model(f'runs:/{run_id}/model', 'churn', tags={'dataset_version': rev})")
def registered_without_lineage(ctx: RuleContext) -> Iterator[Hit]:
    """MLflow / W&B registrations lacking the run link or the dataset version."""
    data_by_commit = ctx.detection.present("data_versioning")
    index = ctx.detection.index
    for site in registry_sites(ctx):
        fctx = index.contexts[site.path]
        name = site.name
        call = site.call
        run_linked: bool | None = True
        if name.startswith("mlflow") and name.endswith("register_model"):
            run_linked = _runs_uri(ctx, fctx, call, call.kw("model_uri", call.args[0] if call.args else None))
        elif name.endswith("create_model_version"):
            run_linked = bool(call.kw("run_id") is not None or call.kw("run_link") is not None
                              or _runs_uri(ctx, fctx, call, call.kw("source", call.args[1] if len(call.args) > 1
                                                                     else None)))
        elif site.detail == "registered_model_name" or "link_model" in name or "link_artifact" in name:
            run_linked = True
        else:
            continue  # registries without lineage fields we can judge (Hub, BentoML store, ...)
        missing = []
        if run_linked is False:
            missing.append("the training run id")
        if not _dataset_linked_near(ctx, site) and not (data_by_commit and run_linked):
            missing.append("the training data version")
        if not missing:
            continue
        yield Hit(site.path, site.line,
                  f"{site.path}:{site.line} registers a model version ({name.rsplit('.', 1)[-1]}) without "
                  f"{' or '.join(missing)}: the registry cannot say what data produced this version. {_C06}",
                  cell=site.cell, key=f"{name}@{call.scope}")


# -- REG003 ---------------------------------------------------------------------

_PROMOTABLE = lazy(r"^(mlflow|wandb|zenml|sagemaker|google\.cloud\.aiplatform|azure|azureml)\.")


@rule(id="REG003", name="no-promotion-workflow", area="registry", severity=Severity.HIGH,
      title="Registered models are never promoted through stages or aliases",
      rationale="Registering versions without a promotion step (candidate -> staging -> production, by alias "
                "or stage) leaves serving to pick 'the latest' version: every registration becomes an "
                "unreviewed deployment, and rollback has no named target (seed items C08, H13).",
      remediation={
          "mlflow": "client = MlflowClient()\nclient.set_registered_model_alias('churn', 'champion', version)\n"
                    "# serve models:/churn@champion; move the alias to promote or roll back",
          "wandb": "run.link_artifact(art, 'model-registry/churn', aliases=['staging'])",
          "zenml": "Client().get_model_version('churn', 'latest').set_stage(ModelStages.STAGING)",
          "default": "Promote versions explicitly (alias or stage) after an evaluation gate, and serve the alias.",
      },
      seeds=("C08", "H13", "C06"), references=_REFS, principle="deployment", tools=("mlflow", "wandb", "zenml"),
      bad="mlflow.register_model(uri, 'churn')  # serving loads models:/churn/latest",
      good="v = mlflow.register_model(uri, 'churn')\nclient.set_registered_model_alias('churn', 'champion', "
           "v.version)")
def no_promotion_workflow(ctx: RuleContext) -> Iterator[Hit]:
    """A stage-capable registry is used, and no alias or stage transition exists anywhere."""
    if not entries(ctx) and not serving_handlers(ctx):
        return
    sites = [s for s in registry_sites(ctx) if _PROMOTABLE.search(s.name) or s.detail == "registered_model_name"]
    if not sites or promotion_sites(ctx):
        return
    s = sites[0]
    yield Hit(s.path, s.line, f"{s.path}:{s.line} registers models ({s.name.rsplit('.', 1)[-1]}) but nothing ever "
                              "sets an alias or stage (champion/staging/production): there is no promotion step, "
                              f"so 'latest' is what gets deployed. {_C06}", cell=s.cell, key="promotion")


# -- REG004 ---------------------------------------------------------------------

@rule(id="REG004", name="no-model-card", area="registry", severity=Severity.MEDIUM,
      title="Registered or served model has no model card",
      rationale="A model card states intended use, training data, evaluation results and known limitations. "
                "Without it, consumers use the model outside its validated range and reviewers cannot tell "
                "(Mitchell et al. 2019, 'Model Cards for Model Reporting').",
      remediation={
          "transformers": "Write README.md model card metadata (model-index, datasets, metrics) and push it with "
                          "huggingface_hub.ModelCard.",
          "default": "Add MODEL_CARD.md next to the model: intended use, out-of-scope use, training data, "
                     "evaluation (metrics by slice), limitations and ethical considerations, owner.",
      },
      seeds=("C09",), references=("Mitchell et al. 2019, 'Model Cards for Model Reporting'",),
      principle="governance", tools=(), fixable=True, stakes_sensitive=False,
      bad="(a registered or served model and no MODEL_CARD.md)", good="MODEL_CARD.md with intended use and "
                                                                      "limitations")
def no_model_card(ctx: RuleContext) -> Iterator[Hit]:
    """Once per repository: a trained model is registered or served, and no model card exists."""
    es = entries(ctx)
    det = ctx.detection
    if not es or det.present("model_card"):
        return
    if not (det.present("model_registry") or det.present("serving")):
        return
    sites = registry_sites(ctx)
    if sites:
        s = sites[0]
        path, line, cell = s.path, s.line, s.cell
        what = f"registered at {s.path}:{s.line}"
    else:
        path, line, cell = es[0].anchor
        what = "served"
    yield Hit(path, line, f"the model trained by {es[0].label} is {what}, but the repository has no model card "
                          "(MODEL_CARD.md or Hugging Face card metadata) stating intended use and limitations.",
              cell=cell, key="model-card")


# -- REG006 ---------------------------------------------------------------------

_LOADERS = lazy(r"^(joblib\.load|pickle\.load|dill\.load|cloudpickle\.load|sklearn\.externals\.joblib\.load|"
                      r"torch\.load|torch\.jit\.load|skops\.io\.load|tensorflow\.keras\.models\.load_model|"
                      r"keras\.models\.load_model|keras\.saving\.load_model|tensorflow\.saved_model\.load|"
                      r"onnxruntime\.InferenceSession|mlflow\.\w+\.load_model|xgboost\.Booster|lightgbm\.Booster|"
                      r"safetensors\.torch\.load_file)$|\.(load_model|from_pretrained)$")
_REGISTRY_URI = lazy(r"^(models:/|runs:/|mlflow-artifacts:|wandb-artifact:|hf://|s3://|gs://|"
                           r"/opt/ml/model|/mnt/models)")
_MODEL_FILE = lazy(r"(?i)\.(pkl|pickle|joblib|pt|pth|ckpt|h5|hdf5|keras|onnx|safetensors|bin|sav|json|ubj|"
                         r"cbm|model|txt|pb)$")


def _loaded_path(fctx, call: Call, name: str) -> str | None:
    value = call.kw("model_file", call.kw("model_uri", call.kw("path", call.kw("filepath",
                call.kw("pretrained_model_name_or_path", call.args[0] if call.args else None)))))
    lit = literal_path(fctx, value, call.scope)
    if lit is None and isinstance(value, (Ref, Expr)) and name.rsplit(".", 1)[-1] in ("load", "load_model") \
            and name.split(".")[0] in ("pickle", "joblib", "dill", "cloudpickle"):
        # pickle.load(f) with f = open('model.pkl', 'rb') in the same function
        for c in fctx.calls_by_scope.get(call.scope, []):
            if c.qualname == "open" and c.args and isinstance(c.args[0], str) and _MODEL_FILE.search(c.args[0]):
                return c.args[0]
        return None
    if lit is None:
        return None
    if _REGISTRY_URI.search(lit):
        return None
    if name.endswith("from_pretrained") and not lit.startswith((".", "/")) and not _MODEL_FILE.search(lit):
        return None  # a Hub id is a registry reference
    if not (lit.startswith((".", "/")) or "/" in lit or _MODEL_FILE.search(lit)):
        return None
    return lit


@rule(id="REG006", name="unregistered-artifact-deployed", area="registry", severity=Severity.HIGH,
      title="Serving loads a model file the registry does not know",
      rationale="When training registers models but serving loads a local file, what runs in production is "
                "whatever file was copied last: the registry's versions, stages and lineage describe models "
                "that are not the one deployed (seed items G07, Z05).",
      remediation={
          "mlflow": "model = mlflow.pyfunc.load_model('models:/churn@champion')  # at start-up",
          "wandb": "path = wandb.Api().artifact('org/model-registry/churn:production').download()",
          "bentoml": "model = bentoml.sklearn.load_model('churn:latest')  # a tag from the BentoML model store",
          "default": "Load the model by registry name and alias or version at start-up, never from a "
                     "repository-relative file.",
      },
      seeds=("G07", "Z05"), references=_REFS, principle="deployment", tools=("mlflow",),
      bad="model = joblib.load('models/model.pkl')  # while training registers to MLflow",
      good="model = mlflow.pyfunc.load_model('models:/churn@champion')")
def unregistered_artifact_deployed(ctx: RuleContext) -> Iterator[Hit]:
    """Model loads from local paths in serving code while training uses a registry."""
    det = ctx.detection
    if not entries(ctx) or not det.present("model_registry") or not det.present("serving"):
        return
    index = det.index
    route_files = {r.file for r in det.routes}
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[str, Call, str]] = []
    for path in sorted(route_files):
        fctx = index.contexts.get(path)
        if fctx is None or fctx.py.is_test:
            continue
        module_calls = fctx.calls_by_scope.get("<module>", [])
        for r in walk_from(index, fctx, list(module_calls), depth=2):
            candidates.append((r.path, r.call, ""))
    for h in serving_handlers(ctx):
        for r in h.reach:
            candidates.append((r.path, r.call, h.route_label))
    registering = [s.path for s in registry_sites(ctx)]
    for path, call, label in candidates:
        if (path, call.line) in seen:
            continue
        if not any(same_project(ctx, path, other) for other in registering):
            continue  # the registry belongs to another project of a monorepo
        fctx = index.contexts[path]
        if fctx.py.is_test:
            continue
        name = effective(fctx, call)
        if not _LOADERS.search(name):
            continue
        target = _loaded_path(fctx, call, name)
        if target is None:
            continue
        seen.add((path, call.line))
        where = f" in the {label} handler" if label else ""
        yield Hit(path, call.line, f"{path}:{call.line} loads the served model from the local file {target!r} "
                                   f"({name.rsplit('.', 1)[-1]}{where}) while training registers models in a "
                                   f"registry ({', '.join(det.tools('model_registry'))}): production runs a file the "
                                   "registry does not know.", cell=call.cell, key=f"{name}@{call.scope}")


# -- REG007 ---------------------------------------------------------------------

def _literal_strings(value, out: set[str], depth: int = 0) -> None:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, tuple) and depth < 4:
        for v in value:
            _literal_strings(v, out, depth + 1)
    elif isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple) and depth < 4:
        for k, v in value.literal:
            _literal_strings(k, out, depth + 1)
            _literal_strings(v, out, depth + 1)
    elif isinstance(value, Expr) and isinstance(value.literal, str):
        out.add(value.literal)


def _referenced_text(ctx: RuleContext) -> str:
    """Every string the code, notebooks, configuration and Dockerfiles spell out, joined for substring tests."""
    def compute() -> str:
        blobs: set[str] = set()
        for fctx in ctx.detection.index.contexts.values():
            py = fctx.py
            for c in py.calls:
                for a in c.args:
                    _literal_strings(a, blobs)
                for _, v in c.kwargs:
                    _literal_strings(v, blobs)
            for a in py.assigns:
                _literal_strings(a.value, blobs)
            for sb in py.strings:
                blobs.update(sb.literal_parts)
            for fn in py.functions:
                for p in fn.params:
                    _literal_strings(p.default, blobs)
        for doc in ctx.facts.configs:
            stack = [doc.data]
            while stack:
                node = stack.pop()
                if isinstance(node, str):
                    blobs.add(node)
                elif isinstance(node, dict):
                    stack.extend(node.values())
                    blobs.update(k for k in node if isinstance(k, str))
                elif isinstance(node, list):
                    stack.extend(node)
        for df in ctx.facts.dockerfiles:
            blobs.update(ins.value for ins in df.instructions)
        return "\n".join(sorted(blobs))
    return ctx.memo("reg_referenced_text", compute)  # type: ignore[return-value]


@rule(id="REG007", name="orphaned-model-artifact", area="registry", severity=Severity.LOW,
      title="Model file in the repository that nothing references",
      rationale="A serialized model that no code, notebook, pipeline or Dockerfile names is an orphan: nobody "
                "knows which run produced it or whether it is safe to delete, and it may be picked up by mistake. "
                "Archive it in the registry or delete it (seed item Z12).",
      remediation={
          "mlflow": "Register it if it matters (mlflow.register_model) and delete the file from the repository.",
          "dvc": "Track it with `dvc add` and reference it from dvc.yaml, or `dvc gc` / delete it.",
          "default": "Archive the model in the registry (with its lineage) or delete it from the repository.",
      },
      seeds=("Z12",), references=_REFS, principle="versioning", tools=(), stakes_sensitive=False,
      bad="models/churn_v1_final.pkl  # no code mentions it", good="(no model file without a reference)")
def orphaned_model_artifact(ctx: RuleContext) -> Iterator[Hit]:
    """Model files (by extension) whose name and folder no code, notebook, config or Dockerfile mentions."""
    models = ctx.detection.inventory.artifacts.models
    if not models:
        return
    text = _referenced_text(ctx)
    for m in models:
        path = m.path
        parts = path.split("/")
        if any(p in ("tests", "test", "testing", "fixtures", "docs", "examples") for p in parts[:-1]):
            continue
        name = parts[-1]
        stem = name.rsplit(".", 1)[0]
        folder = parts[-2] if len(parts) > 1 else ""
        if name in text or (len(stem) > 3 and stem in text) or (folder and folder in text):
            continue
        yield Hit(path, None, f"{path} is a serialized model that no code, notebook, pipeline, configuration or "
                              "Dockerfile references: archive it in the registry with its lineage, or delete it.",
                  key=f"orphan:{path}")


# -- REG005 ---------------------------------------------------------------------

_SEMVER = lazy(r"^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_VERSION_KEYS = frozenset({"semver", "semantic_version", "model_version", "version", "release"})
_VERSION_CALLS = frozenset({"set_model_version_tag", "set_registered_model_tag", "update_model_version",
                            "create_model_version", "register_model", "log_model", "save_model", "create_tag",
                            "link_model", "link_artifact", "push_to_hub", "upload", "Model", "set_tag", "set_tags"})


def _carries_semver(value: object, depth: int = 0) -> bool:
    """A literal semantic version, or a mapping with a version-like key, anywhere in an argument."""
    if isinstance(value, str):
        return bool(_SEMVER.match(value.strip()))
    if isinstance(value, tuple) and depth < 3:
        return any(_carries_semver(v, depth + 1) for v in value)
    if isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple) and depth < 3:
        return any((isinstance(k, str) and k.lower() in _VERSION_KEYS) or _carries_semver(v, depth + 1)
                   for k, v in value.literal)
    return False


def _semver_attached(ctx: RuleContext) -> bool:
    """Some registry-related call attaches a semantic version (a semver literal, or a version-named tag/label)."""
    for fctx in ctx.detection.index.contexts.values():
        if fctx.py.is_test:
            continue
        for call in fctx.calls_among(fctx.calls_by_method, _VERSION_CALLS):
            if any(_carries_semver(a) for a in call.args):
                return True
            for key, value in call.kwargs:
                if key.lower() in _VERSION_KEYS and value is not None:
                    return True  # version="1.4.0", or computed from a VERSION file / package metadata
                if _carries_semver(value):
                    return True
            # set_model_version_tag(name, version, "semver", value): the tag key names a semantic version
            if any(isinstance(a, str) and a.lower() in _VERSION_KEYS for a in call.args[2:3]):
                return True
    return False


@rule(id="REG005", name="model-versions-not-semantic", area="registry", severity=Severity.MEDIUM,
      title="Registered model versions carry no semantic version",
      rationale="Registries number versions 1, 2, 3: the number says nothing about compatibility. A semantic "
                "version (major for a changed input/output schema, minor for a retrain with new data, patch "
                "for a fix) tells consumers whether they can take a new model without changing their code, "
                "and names the version in release notes, rollbacks and incident reports (seed items C06, Z05).",
      remediation={
          "mlflow": "v = mlflow.register_model(uri, 'churn')\nMlflowClient().set_model_version_tag('churn', v.version, "
                    "'semver', '2.1.0')  # bump major when the signature changes",
          "bentoml": "bentoml.sklearn.save_model('churn', model, labels={'semver': '2.1.0'})",
          "huggingface_hub": "HfApi().create_tag(repo_id, tag='v2.1.0')",
          "default": "Attach a semantic version (tag or label 'semver') to every registered version, and bump the "
                     "major version whenever the input or output schema changes.",
      },
      seeds=("C06", "Z05"), references=_REFS, principle="versioning", tools=("mlflow", "bentoml", "huggingface_hub"),
      bad="mlflow.register_model(uri, 'churn')  # version 17: compatible with 16?",
      good="v = mlflow.register_model(uri, 'churn')\nclient.set_model_version_tag('churn', v.version, 'semver', "
           "'2.1.0')")
def model_versions_not_semantic(ctx: RuleContext) -> Iterator[Hit]:
    """Models are registered, and no registration, tag or label anywhere carries a semantic version."""
    sites = registry_sites(ctx)
    if not sites or _semver_attached(ctx):
        return
    s = sites[0]
    yield Hit(s.path, s.line, f"{s.path}:{s.line} registers model versions ({s.name.rsplit('.', 1)[-1]}) but no "
                              "version anywhere carries a semantic version (a 'semver' tag or label, or an X.Y.Z "
                              "literal): consumers cannot tell a compatible retrain from a breaking change",
              cell=s.cell, key="semver")
