"""Shared matchers for the tracking, registry, data quality, testing and automation rules.

Everything here is a pure function over facts and the detection; the expensive
views (training entry points, registry call sites, serving handler reach) are
memoized on the ``RuleContext`` so each is computed once per audit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from .._patterns import lazy
from .._records import record
from ..detect.code_caps import CALL_INDEX, pushes_non_model
from ..detect.signatures import CALLS
from ..detect.context import FileContext
from ..detect.calls import Reached, calls_in, effective, walk_from
from ..detect.training import EntryPoint, TrainingView, training_view
from ..facts import Call, ConfigDoc, Expr, Ref
from ._base import RuleContext

__all__ = [
    "view", "entries", "code_contexts", "Site", "model_saves", "registry_sites", "promotion_sites",
    "data_loads", "config_env_keys", "serving_handlers", "Handler", "str_arg", "literal_path",
    "is_modelish_name", "fmt_site", "project_root", "same_project", "config_key_values", "pydantic_models",
    "is_data_load", "is_builtin_data",
]

_MODEL_NAME = lazy(r"(?i)(^|_)(model|clf|classifier|regressor|estimator|pipeline|pipe|booster|bst|net|network|"
                         r"learner|gbm|xgb|lgbm|lgb|rf|svm|svc|knn|lr|logreg|trained_model|best_model|final_model|"
                         r"forest|tree|ensemble|automl|predictor|regr|reg|cls|detector)(\d*)$")
_MODEL_EXT = lazy(r"(?i)\.(pkl|pickle|joblib|pt|pth|ckpt|h5|hdf5|keras|onnx|safetensors|bin|sav|model|cbm|ubj|"
                        r"pb|tflite|mlmodel|gguf)$")


def view(ctx: RuleContext) -> TrainingView:
    det = ctx.detection
    return ctx.memo("training_view", lambda: training_view(ctx.facts, det.index, det.routes))  # type: ignore


def entries(ctx: RuleContext) -> list[EntryPoint]:
    return view(ctx).entries


def code_contexts(ctx: RuleContext, include_tests: bool = False) -> Iterator[FileContext]:
    for path in sorted(ctx.detection.index.contexts):
        c = ctx.detection.index.contexts[path]
        if include_tests or not c.py.is_test:
            yield c


@record()
class Site:
    """A call site of interest, with its file context and a short description."""

    path: str
    call: Call
    name: str
    detail: str = ""

    @property
    def line(self) -> int:
        return self.call.line

    @property
    def cell(self) -> int | None:
        return self.call.cell


def fmt_site(site: Site | Reached) -> str:
    call = site.call
    where = f"{site.path}:{call.line}" + (f" (cell {call.cell})" if call.cell else "")
    return f"{call.qualname.replace('()', '')} at {where}"


def str_arg(call: Call, pos: int = 0, *names: str) -> Any:
    for n in names:
        if call.has_kw(n):
            return call.kw(n)
    return call.args[pos] if len(call.args) > pos else None


def literal_path(fctx: FileContext, value: Any, scope: str) -> str | None:
    """A string literal, or the literal a local/module name was assigned (one step)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Ref) and "." not in value.qualname:
        found = None
        for a in fctx.py.assigns:
            if a.target == value.qualname and a.scope in (scope, "<module>") and isinstance(a.value, str):
                found = a.value
        return found
    return None


def is_modelish_name(name: str) -> bool:
    return bool(_MODEL_NAME.search(name))


# -- model saves ---------------------------------------------------------------

_PICKLERS = {"joblib.dump", "pickle.dump", "dill.dump", "cloudpickle.dump", "skops.io.dump",
             "sklearn.externals.joblib.dump", "torch.save", "tensorflow.saved_model.save",
             "tensorflow.keras.models.save_model", "keras.models.save_model", "keras.saving.save_model",
             "torch.onnx.export", "torch.jit.save", "safetensors.torch.save_file", "safetensors.torch.save_model"}
_SAVE_METHODS = {"save", "save_model", "save_pretrained", "save_weights", "save_checkpoint"}


_SAVE_PREFILTER = _SAVE_METHODS | {p.rsplit(".", 1)[-1] for p in _PICKLERS}


def _fit_receivers(fctx: FileContext) -> set[str]:
    out = set()
    for c in fctx.py.calls:
        if c.method in ("fit", "train", "fit_generator") and c.receiver and c.receiver not in ("self", "cls"):
            out.add(c.receiver)
    return out


def model_saves(ctx: RuleContext) -> list[Site]:
    """Calls that write a trained model to a file (non-test code)."""
    def compute() -> list[Site]:
        out: list[Site] = []
        for fctx in code_contexts(ctx):
            fitted: set[str] | None = None
            for call in fctx.calls_among(fctx.calls_by_method, _SAVE_PREFILTER):
                if fitted is None:
                    fitted = _fit_receivers(fctx)
                name = effective(fctx, call)
                site = _model_save(fctx, call, name, fitted)
                if site:
                    out.append(site)
        return out
    return ctx.memo("model_saves", compute)  # type: ignore[return-value]


def _obj_name(value: Any) -> str:
    if isinstance(value, Ref):
        return value.qualname.rsplit(".", 1)[-1]
    if isinstance(value, Expr):
        return " ".join(value.names) + " " + value.callee
    return ""


def _model_save(fctx: FileContext, call: Call, name: str, fitted: set[str]) -> Site | None:
    if name in _PICKLERS or name.startswith("mlflow.") and name.endswith(".save_model"):
        if name.startswith("mlflow."):
            return Site(fctx.py.path, call, name, "local MLflow model directory")
        obj = call.args[0] if call.args else call.kw("obj", call.kw("value"))
        label = _obj_name(obj)
        path_value = call.args[1] if len(call.args) > 1 else call.kw("filename", call.kw("f"))
        target = literal_path(fctx, path_value, call.scope) or ""
        if name == "torch.save":
            if re.search(r"(?i)model|state_dict|net|ckpt|checkpoint|weights|module", label) \
                    or _MODEL_EXT.search(target):
                return Site(fctx.py.path, call, name, target)
            return None
        if name in ("torch.onnx.export", "torch.jit.save") or \
                name.startswith(("tensorflow.", "keras.", "safetensors.")):
            return Site(fctx.py.path, call, name, target)
        base = label.split(" ")[0] if label else ""
        if base in fitted or is_modelish_name(base) or (_MODEL_EXT.search(target) and re.search(r"(?i)model", target)
                                                         and not re.search(r"(?i)column|feature|encoder|scaler|vocab"
                                                                           r"|token|label", target + base)):
            return Site(fctx.py.path, call, name, target)
        return None
    method = call.method
    if method in _SAVE_METHODS and call.receiver and "." in call.qualname:
        recv = call.receiver
        if recv in ("self", "cls"):
            parts = call.qualname.split(".")
            recv = parts[-2] if len(parts) >= 3 else ""
        if not recv or re.search(r"(?i)tokeni[sz]er|processor|config|fig|plt|df|frame|image|img|writer|session|"
                                 r"db|conn|cursor|repo|doc|wb|book|sheet|file", recv):
            return None
        if name.startswith(("pandas.", "matplotlib.", "PIL.", "numpy.", "sqlalchemy.", "django.")):
            return None
        if method == "save" and not (recv in fitted or is_modelish_name(recv)):
            return None
        if method in ("save_model", "save_pretrained", "save_checkpoint") and not (
                recv in fitted or is_modelish_name(recv) or recv.lower().endswith("trainer")):
            return None
        if name.startswith("bentoml."):
            return None
        target = literal_path(fctx, str_arg(call, 0, "filepath", "fname", "output_dir", "save_directory", "path"),
                              call.scope) or ""
        return Site(fctx.py.path, call, f"{recv}.{method}", target)
    return None


# -- registry -------------------------------------------------------------------

_PROMOTION = lazy(r"(transition_model_version_stage|set_registered_model_alias|set_model_version_alias|"
                        r"update_model_package|set_stage|link_artifact)$")


_REGISTRY_METHODS = frozenset({p.rsplit(".", 1)[-1] for p, cap, _ in CALLS if cap == "model_registry"}
                              | {"log_model", "push_to_hub", "link_model"})


def registry_sites(ctx: RuleContext) -> list[Site]:
    """Model registration / push calls in non-test code (capability model_registry), in file order."""
    def compute() -> list[Site]:
        out: list[Site] = []
        for fctx in code_contexts(ctx):
            for call in fctx.calls_among(fctx.calls_by_method, _REGISTRY_METHODS):
                name = effective(fctx, call)
                if call.method in ("push_to_hub", "upload_file", "upload_folder") and pushes_non_model(call, name, fctx):
                    continue  # a dataset or a Space: no model version
                if any(cap == "model_registry" for cap, _ in CALL_INDEX.match(name)):
                    out.append(Site(fctx.py.path, call, name))
                elif call.method == "log_model" and call.has_kw("registered_model_name") \
                        and call.kw("registered_model_name") is not None:
                    out.append(Site(fctx.py.path, call, name, "registered_model_name"))
                elif call.method == "push_to_hub" or name.endswith(("wandb.init.link_model", ".link_model")):
                    out.append(Site(fctx.py.path, call, name))
        return out
    return ctx.memo("registry_sites", compute)  # type: ignore[return-value]


_PROMOTION_METHODS = frozenset({"transition_model_version_stage", "set_registered_model_alias",
                                "set_model_version_alias", "update_model_package", "set_stage", "link_artifact",
                                "link_model", "upload", "Model"})


def promotion_sites(ctx: RuleContext) -> list[Site]:
    """Stage transitions and aliases: the promotion half of a registry workflow."""
    def compute() -> list[Site]:
        out: list[Site] = []
        for fctx in code_contexts(ctx):
            for call in fctx.calls_among(fctx.calls_by_method, _PROMOTION_METHODS):
                name = effective(fctx, call)
                if _PROMOTION.search(name) and (name.startswith(("mlflow", "zenml", "wandb", "sagemaker", "boto3"))
                                                or call.method in ("transition_model_version_stage",
                                                                   "set_registered_model_alias", "set_stage")):
                    out.append(Site(fctx.py.path, call, name))
                elif call.method in ("link_model", "link_artifact") and call.has_kw("aliases"):
                    out.append(Site(fctx.py.path, call, name, "aliases"))
                elif name.endswith("Model.upload") and call.has_kw("version_aliases"):
                    out.append(Site(fctx.py.path, call, name, "version_aliases"))
                elif name.startswith(("zenml.Model", "zenml.model.model.Model")) and call.has_kw("stage"):
                    out.append(Site(fctx.py.path, call, name, "stage"))
        return out
    return ctx.memo("promotion_sites", compute)  # type: ignore[return-value]


# -- data loading -----------------------------------------------------------------

_DATA_LOADERS = lazy(
    r"^(pandas|polars|dask\.dataframe|modin\.pandas)\.(read_\w+|scan_\w+)$|^pyarrow\.parquet\.read_table$|"
    r"\.read\.(csv|parquet|json|table|load|format|orc)$|"
    r"^datasets\.load_dataset$|^datasets\.load_from_disk$|^tensorflow\.data\.experimental\.make_csv_dataset$|"
    r"^ray\.data\.read_\w+$")
_BUILTIN_DATA = lazy(r"^(torchvision\.datasets|tensorflow\.keras\.datasets|keras\.datasets|sklearn\.datasets|"
                           r"tensorflow_datasets|torchtext\.datasets)\.")


def is_data_load(name: str, call: Call) -> bool:
    if not _DATA_LOADERS.search(name):
        return False
    if name.startswith("pandas.read_") and name.endswith(("read_clipboard", "read_html", "read_pickle")):
        return name.endswith("read_pickle")
    return True


def is_builtin_data(name: str) -> bool:
    return bool(_BUILTIN_DATA.search(name))


_NOT_TRAINING_DATA = lazy(r"(?i)result|metric|evolve|plot|log|report|summary|history|score|prediction")


def data_loads(ctx: RuleContext, entry: EntryPoint) -> list[Reached]:
    """Tables and datasets read in an entry point's reach (results, logs and plots excluded)."""
    out = []
    for r in entry.reach:
        fctx = ctx.detection.index.contexts[r.path]
        if not is_data_load(effective(fctx, r.call), r.call):
            continue
        lit = r.call.args[0] if r.call.args and isinstance(r.call.args[0], str) else ""
        scope = r.call.scope.rsplit(".", 1)[-1]
        if _NOT_TRAINING_DATA.search(lit) or re.search(r"(?i)^(plot|log|report|visuali|print|summar|show)", scope):
            continue
        out.append(r)
    return out


# -- configuration ---------------------------------------------------------------

from ..detect.config_caps import walk_doc as _walk  # noqa: E402


def config_env_keys(ctx: RuleContext, key: str) -> list[tuple[str, int]]:
    """Where configuration (CI, compose, Kubernetes, Helm, any YAML/TOML/JSON, Dockerfile ENV/ARG) sets ``key``."""
    def compute() -> dict[str, list[tuple[str, int]]]:
        found: dict[str, list[tuple[str, int]]] = {}
        for doc in ctx.facts.configs:
            for path, value in _walk(doc.data):
                if not path:
                    continue
                last = path[-1]
                if isinstance(last, str) and last.isupper() and value not in (None, ""):
                    found.setdefault(last, []).append((doc.path, doc.lines.get(path, doc.line)))
                if isinstance(value, str) and re.match(r"^[A-Z][A-Z0-9_]+=", value):
                    found.setdefault(value.split("=", 1)[0], []).append((doc.path, doc.lines.get(path, doc.line)))
                if last == "name" and isinstance(value, str) and value.isupper() and len(path) >= 2:
                    found.setdefault(value, []).append((doc.path, doc.lines.get(path, doc.line)))
        for df in ctx.facts.dockerfiles:
            for ins in df.instructions:
                if ins.instruction in ("ENV", "ARG"):
                    for m in re.finditer(r"(?:^|\s)([A-Z][A-Z0-9_]+)(?:=|\s)", ins.value + " "):
                        found.setdefault(m.group(1), []).append((df.path, ins.line))
        return found
    table: dict[str, list[tuple[str, int]]] = ctx.memo("config_env_keys", compute)  # type: ignore[assignment]
    return table.get(key, [])


def config_key_values(ctx: RuleContext, key: str) -> list[tuple[ConfigDoc, tuple, Any]]:
    out = []
    for doc in ctx.facts.configs:
        for path, value in _walk(doc.data):
            if path and path[-1] == key:
                out.append((doc, path, value))
    return out


# -- serving handlers ---------------------------------------------------------------

@dataclass
class Handler:
    route_label: str
    path: str
    function: str
    line: int
    def_line: int
    reach: list[Reached]
    predicts: list[Reached]
    params: tuple

    @property
    def anchor(self) -> tuple[str, int, int | None]:
        for p in self.predicts:
            if p.path == self.path:
                return p.path, p.call.line, p.call.cell
        return self.path, self.def_line, None


_PREDICT = {"predict", "predict_proba", "predict_log_proba", "decision_function"}


def serving_handlers(ctx: RuleContext) -> list[Handler]:
    """Route handlers that reach a model's predict call (two helper levels)."""
    def compute() -> list[Handler]:
        index = ctx.detection.index
        out: list[Handler] = []
        for route in ctx.detection.routes:
            fctx = index.contexts.get(route.file)
            fn = fctx.functions.get(route.function) if fctx else None
            if fctx is None or fn is None or fctx.py.is_test:
                continue
            reach = list(walk_from(index, fctx, calls_in(fctx, fn), depth=2, seen={(route.file, fn.qualname)}))
            predicts = [r for r in reach if r.call.method in _PREDICT]
            if not predicts:
                continue
            label = f"{'/'.join(route.methods)} {route.path}".strip()
            out.append(Handler(label, route.file, fn.qualname, route.line, fn.line, reach, predicts, fn.params))
        return out
    return ctx.memo("serving_handlers", compute)  # type: ignore[return-value]


def pydantic_models(ctx: RuleContext) -> dict[str, tuple[str, int]]:
    """Repository pydantic model class name -> (path, line), including subclasses of repository models."""
    def compute() -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        classes = [(c, f.py.path) for f in code_contexts(ctx) for c in f.py.classes]
        for cls, path in classes:
            if any(b.startswith("pydantic") and b.endswith(("BaseModel", "RootModel")) for b in cls.bases):
                found[cls.name] = (path, cls.line)
        for _ in range(3):
            for cls, path in classes:
                if cls.name not in found and any(b.rsplit(".", 1)[-1] in found for b in cls.bases):
                    found[cls.name] = (path, cls.line)
        return found
    return ctx.memo("pydantic_models", compute)  # type: ignore[return-value]


def _dirs(path: str) -> list[str]:
    return path.split("/")[:-1]


def project_root(ctx: RuleContext, path: str) -> str:
    """The nearest ancestor folder holding a dependency manifest or Dockerfile ("" for the repository root)."""
    def compute() -> set[str]:
        roots = {"/".join(_dirs(m.path)) for m in ctx.facts.manifests}
        roots |= {"/".join(_dirs(d.path)) for d in ctx.facts.dockerfiles}
        return roots
    roots: set[str] = ctx.memo("project_roots", compute)  # type: ignore[assignment]
    parts = _dirs(path)
    for i in range(len(parts), 0, -1):
        cand = "/".join(parts[:i])
        if cand in roots:
            return cand
    return ""


def _ancestor(a: str, b: str) -> bool:
    return a == "" or a == b or b.startswith(a + "/")


def same_project(ctx: RuleContext, a: str, b: str) -> bool:
    """Two files of one project: their project roots nest, and neither sits far from their common folder
    (course or monorepo layouts keep unrelated projects in sibling folders)."""
    ra, rb = project_root(ctx, a), project_root(ctx, b)
    if not (_ancestor(ra, rb) or _ancestor(rb, ra)):
        return False
    da, db = _dirs(a), _dirs(b)
    common = 0
    for x, y in zip(da, db):
        if x != y:
            break
        common += 1
    return len(da) - common <= 2 and len(db) - common <= 2


