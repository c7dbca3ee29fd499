"""Security of the ML supply chain: unsafe model loading, remote code, leaked secrets.

Models are code: a pickle, a joblib file or a full torch checkpoint runs
whatever its author put in it when it is loaded, and ``trust_remote_code``
runs a model repository's Python. Secrets committed to code, configuration or
notebook outputs leak with every clone. Security is not an area of its own in
the scorecard; these findings count under reproducibility so they apply
wherever ML code exists, and stakes never demote them.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Iterable, Iterator

from .._patterns import lazy
from ..detect.repo_caps import runtime_requirements
from ..facts import Call, ConfigDoc, Expr, Ref, is_test_path
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._repro_util import all_code_units

__all__ = ["torch_load_without_weights_only", "unsafe_model_deserialization", "trust_remote_code",
           "hardcoded_secret", "secret_in_notebook_output", "judge_secret", "redact"]

_AREA = "reproducibility"

# -- SEC001 torch.load -----------------------------------------------------------------------------------------------

_TORCH_LOAD = frozenset({"torch.load", "torch.serialization.load"})
_SAFE_TORCH = (2, 6)  # the first release whose torch.load defaults to weights_only=True


def _torch_spec_safe(spec: str) -> bool:
    """Does a torch requirement specifier exclude every release before 2.6? It does when one of its clauses
    is a lower bound (``==``, ``===``, ``~=``, ``>=``, ``>``) at 2.6 or above: the clauses are intersected."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    if not spec:
        return False
    try:
        clauses = SpecifierSet(spec.replace(" ", ""))
    except InvalidSpecifier:
        return False
    for clause in clauses:
        if clause.operator not in ("==", "===", "~=", ">=", ">"):
            continue
        try:
            version = Version(clause.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        if version.release[:2] >= _SAFE_TORCH:
            return True
    return False


def torch_defaults_safe(ctx: RuleContext, path: str) -> bool:
    """True when the torch requirement governing ``path`` (nearest manifest up the tree, else all of them)
    excludes versions before 2.6, where weights_only=True became torch.load's default."""
    def compute() -> list[tuple[str, bool]]:
        out = []
        for mpath, r in runtime_requirements(ctx.facts):
            if r.name == "torch":
                out.append((mpath.rsplit("/", 1)[0] + "/" if "/" in mpath else "", _torch_spec_safe(r.specifier)))
        return out
    declared: list[tuple[str, bool]] = ctx.memo("sec.torch_specs", compute)  # type: ignore[assignment]
    if not declared:
        return False
    governing = [(d, safe) for d, safe in declared if path.startswith(d)]
    if governing:
        deepest = max(len(d) for d, _ in governing)
        return all(safe for d, safe in governing if len(d) == deepest)
    return all(safe for _, safe in declared)


def _param_default_true(fc: Any, call: Call, value: Any) -> bool:
    """``weights_only=weights_only`` inside a wrapper whose own parameter defaults to True."""
    if not isinstance(value, Ref):
        return False
    fn = fc.functions.get(call.scope)
    return bool(fn and any(p.name == value.qualname and p.default is True for p in fn.params))


@rule(id="SEC001", name="torch-load-without-weights-only", area=_AREA, severity=Severity.HIGH,
      concept="unsafe_deserialization", title="torch.load without weights_only=True",
      rationale="torch.load unpickles the file: a checkpoint downloaded or swapped by someone else can run "
                "arbitrary code when loaded. weights_only=True restricts loading to tensors and plain "
                "containers (the default only from PyTorch 2.6).",
      remediation={
          "default": "Pass `weights_only=True` (and save plain state_dicts), or store weights as safetensors and "
                     "load them with `safetensors.torch.load_file`. Require torch>=2.6 so the safe mode is the "
                     "default everywhere.",
      },
      seeds=("H21",), references=("https://pytorch.org/docs/stable/generated/torch.load.html",
                                  "https://huggingface.co/docs/safetensors"),
      bad="state = torch.load(path)", good="state = torch.load(path, weights_only=True)",
      stakes_sensitive=False, principle="governance", tools=("pytorch", "safetensors"))
def torch_load_without_weights_only(ctx: RuleContext) -> Iterator[Hit]:
    """Every torch.load in non-test code whose weights_only is not the literal True."""
    for fc in all_code_units(ctx):
        safe_default = None
        for call in fc.calls_among(fc.calls_by_name, _TORCH_LOAD):
            value = call.kw("weights_only")
            if value is True or _param_default_true(fc, call, value):
                continue
            if not call.has_kw("weights_only"):
                if safe_default is None:
                    safe_default = torch_defaults_safe(ctx, fc.py.path)
                if safe_default or call.star_kwargs:
                    continue
                why = "without weights_only=True, so it unpickles arbitrary objects (the default before torch 2.6)"
            elif value is False:
                why = "with weights_only=False, so it unpickles arbitrary objects"
            else:
                why = "with weights_only set from a variable that may be False"
            loc = f"{fc.py.path} cell {call.cell}" if call.cell else f"{fc.py.path}:{call.line}"
            yield Hit(fc.py.path, call.line, cell=call.cell, key=f"torch-load:{call.scope}",
                      message=f"{loc} calls torch.load {why}: a tampered checkpoint runs code on load.")


# -- SEC002 pickle-family loads --------------------------------------------------------------------------------------

_PICKLE_LOADS = {
    "pickle.load": "pickle.load", "pickle.loads": "pickle.loads", "pickle.Unpickler": "pickle.Unpickler",
    "_pickle.load": "pickle.load", "_pickle.loads": "pickle.loads", "cPickle.load": "pickle.load",
    "cPickle.loads": "pickle.loads", "joblib.load": "joblib.load", "sklearn.externals.joblib.load": "joblib.load",
    "dill.load": "dill.load", "dill.loads": "dill.loads", "cloudpickle.load": "cloudpickle.load",
    "cloudpickle.loads": "cloudpickle.loads", "pandas.read_pickle": "pandas.read_pickle",
    "numpy.load": "numpy.load", "tensorflow.keras.models.load_model": "keras load_model",
    "keras.models.load_model": "keras load_model", "keras.saving.load_model": "keras load_model",
}
_MODELISH = lazy(r"(?i)(model|clf|classifier|regressor|estimator|pipeline|pipe|checkpoint|ckpt|booster|"
                       r"predictor|learner|weights|artifact|\.pkl|\.joblib|\.pickle|\.sav)")


# What a load is assigned to says what the file holds: ``clf = joblib.load(...)`` is a model,
# ``X_train = pickle.load(...)`` / ``df = pd.read_pickle(...)`` are data (the concept is about model files).
_MODEL_TARGET = lazy(r"(?i)(model|clf|classifier|regressor|estimator|pipeline|pipe|checkpoint|ckpt|booster|"
                           r"predictor|learner|weights|state_dict|net|svm|forest|tree|xgb|lgbm|knn|kmeans|encoder|"
                           r"vectori[sz]er|scaler|tokenizer|processor|preprocessor|transformer)")
_DATA_TARGET = lazy(r"(?i)^(df|data|dataset|ds|x|y|xs|ys|frame|table|records|rows|samples|corpus|docs|texts|"
                          r"labels?|targets?|preds?|predictions?|results?|scores|probs|embeddings?|features?|feats|"
                          r"all_data|raw|history|(new_)?feats?|(train|test|val|valid)(_?[xy])?)$|"
                          r"_(df|data|dataset|frame|x|y|labels?|targets?|preds?|predictions?|features?|feats|"
                          r"train|test|val|valid|csr|matrix|array|arr|list|dict|ids)$")
# ``X_train``, ``df_test``, ``train_X``: a data prefix, unless the rest names a model (``eval_model``)
_DATA_PREFIX = lazy(r"(?i)^(x|y|df|data|train|test|val|valid)_")


def _data_target(name: str) -> bool:
    if _DATA_TARGET.search(name):
        return True
    return bool(_DATA_PREFIX.search(name)) and not _MODEL_TARGET.search(name)


def _is_model_load(call: Call, target: str) -> bool:
    names: list[str] = [target]
    for v in list(call.args[:1]) + [v for k, v in call.kwargs if k in ("file", "filename", "path", "filepath")]:
        if isinstance(v, str):
            names.append(v)
        elif isinstance(v, Ref):
            names.append(v.qualname)
        elif isinstance(v, Expr):
            names.extend(v.names)
            if isinstance(v.literal, str):
                names.append(v.literal)
    return any(_MODELISH.search(n) for n in names if n)


@rule(id="SEC002", name="unsafe-model-deserialization", area=_AREA, severity=Severity.HIGH,
      concept="unsafe_deserialization", title="Model or artifact loaded with pickle, joblib or dill",
      rationale="pickle, joblib, dill and cloudpickle execute code embedded in the file while loading. A model "
                "file is an input like any other: replaced in storage, in a registry or in transit, it gives its "
                "author code execution wherever the model is loaded, serving hosts included.",
      remediation={
          "sklearn": "Save scikit-learn models with skops (`skops.io.dump` / `skops.io.load(path, trusted=[...])`) "
                     "or export to ONNX; if pickle must stay, verify a checksum of the file before loading and "
                     "load only from storage you control.",
          "pytorch": "Save state_dicts as safetensors and load with `safetensors.torch.load_file`, or "
                     "`torch.load(path, weights_only=True)`.",
          "default": "Use a format that cannot carry code (safetensors, ONNX, skops, XGBoost/LightGBM native "
                     "JSON/UBJ), or verify a signature/checksum before unpickling files from a store you control.",
      },
      seeds=("H21", "H10"), references=("https://docs.python.org/3/library/pickle.html (warning)",
                                        "https://skops.readthedocs.io/en/stable/persistence.html"),
      bad="model = joblib.load(model_path)", good="model = skops.io.load(model_path, trusted=[...])",
      stakes_sensitive=False, principle="governance", tools=("skops", "safetensors", "onnx"))
def unsafe_model_deserialization(ctx: RuleContext) -> Iterator[Hit]:
    """Every pickle-family load in non-test code; HIGH for model-like targets, MEDIUM for other artifacts."""
    for fc in all_code_units(ctx):
        calls = fc.calls_among(fc.calls_by_name, _PICKLE_LOADS)
        if not calls:
            continue
        targets = {(a.line, a.value.callee): a.target for a in fc.py.assigns
                   if isinstance(a.value, Expr) and a.value.kind == "call"}
        for call in calls:
            name = fc.effective(call)
            label = _PICKLE_LOADS[name]
            if label == "numpy.load" and call.kw("allow_pickle") is not True:
                continue
            if label == "keras load_model" and call.kw("safe_mode") is not False:
                continue
            first = call.args[0] if call.args else None
            if isinstance(first, Expr) and first.callee.endswith(("pickle.dumps", "dill.dumps", "cloudpickle.dumps")):
                continue  # an in-memory round trip (deep copy), not a file
            target = targets.get((call.line, call.qualname), "")
            target = "" if target in ("_", "__") else target
            bare = target.rsplit(".", 1)[-1]
            if label != "numpy.load" and (_data_target(bare) or (label == "pandas.read_pickle"
                                                                          and not _MODEL_TARGET.search(bare))):
                continue  # a pickled DataFrame, feature matrix or label array: data, not a model file
            model = _is_model_load(call, target) or bool(bare and _MODEL_TARGET.search(bare))
            what = "a model" if model else "a file"
            into = f" into {target}" if target else ""
            loc = f"{fc.py.path} cell {call.cell}" if call.cell else f"{fc.py.path}:{call.line}"
            yield Hit(fc.py.path, call.line, cell=call.cell, key=f"unpickle:{label}:{call.scope}:{target}",
                      severity=None if model else Severity.MEDIUM,
                      message=f"{loc} deserializes {what} with {label}(...){into}: loading runs any code the file "
                              f"carries, so a replaced artifact means code execution here.")


# -- SEC003 trust_remote_code ----------------------------------------------------------------------------------------

_TRC = "trust_remote_code"
_TRUE_STRINGS = frozenset({"true", "yes", "1", "on"})


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS)


def _walk(data: Any, path: tuple = (), budget: list[int] | None = None) -> Iterator[tuple[tuple, Any]]:
    """(key path, scalar) pairs of a parsed document, depth first, within a node budget."""
    budget = budget if budget is not None else [50000]
    stack: list[tuple[tuple, Any]] = [(path, data)]
    while stack and budget[0] > 0:
        p, node = stack.pop()
        budget[0] -= 1
        if isinstance(node, dict):
            for k, v in reversed(list(node.items())):
                stack.append((p + (k,), v))
        elif isinstance(node, list):
            for i in reversed(range(len(node))):
                stack.append((p + (i,), node[i]))
        else:
            yield p, node


def _config_docs(ctx: RuleContext) -> list[ConfigDoc]:
    return [d for d in ctx.facts.configs if d.data is not None and not is_test_path(d.path)
            and d.kind not in ("dvc_lock", "invalid")]


def _trc_config_lines(ctx: RuleContext) -> list[tuple[ConfigDoc, tuple, int]]:
    def compute() -> list[tuple[ConfigDoc, tuple, int]]:
        out = []
        for doc in _config_docs(ctx):
            for path, value in _walk(doc.data):
                if path and path[-1] == _TRC and _truthy(value):
                    out.append((doc, path, doc.lines.get(path, doc.line)))
        return out
    return ctx.memo("sec.trc_config", compute)  # type: ignore[return-value]


def _trc_code_defaults(ctx: RuleContext) -> list[str]:
    """Where code makes trust_remote_code default to True: dataclass fields and argparse defaults."""
    out = []
    for fc in all_code_units(ctx):
        class_scopes = {c.qualname for c in fc.py.classes}
        for a in fc.py.assigns:
            if a.target != _TRC or a.scope not in class_scopes:
                continue
            if a.value is True:
                out.append(f"{fc.py.path}:{a.line}")
            elif isinstance(a.value, Expr) and a.value.callee.endswith("field"):
                if any(c.line == a.line and c.kw("default") is True for c in fc.py.calls):
                    out.append(f"{fc.py.path}:{a.line}")
        for c in fc.calls_by_method.get("add_argument", ()):
            if c.args and isinstance(c.args[0], str) \
                    and c.args[0].lstrip("-").replace("-", "_") == _TRC and c.kw("default") is True:
                out.append(f"{fc.py.path}:{c.line}")
    return out


@rule(id="SEC003", name="trust-remote-code", area=_AREA, severity=Severity.HIGH,
      concept="trust_remote_code", title="trust_remote_code=True when loading a model or dataset",
      rationale="trust_remote_code=True downloads and runs Python from the model or dataset repository at load "
                "time. Any change pushed to that repository, or a look-alike name, executes in the training or "
                "serving process with its credentials.",
      remediation={
          "default": "Prefer architectures supported natively by the library. When remote code is unavoidable, pin "
                     "it: `from_pretrained(name, trust_remote_code=True, revision=\"<commit sha>\")` after reviewing "
                     "that commit's code, or vendor the modelling code into the repository.",
      },
      seeds=("H21",), references=("https://huggingface.co/docs/transformers/models#custom-models",),
      bad="AutoModel.from_pretrained(name, trust_remote_code=True)",
      good="AutoModel.from_pretrained(name, trust_remote_code=True, revision='3f2a9c1')  # reviewed",
      stakes_sensitive=False, principle="governance", tools=("transformers",))
def trust_remote_code(ctx: RuleContext) -> Iterator[Hit]:
    """Literal True in calls, a value read from a config/default that is True, and true in config files."""
    # When the flag is put in a keyword dictionary (``kw = dict(trust_remote_code=True)``,
    # ``kw.update(trust_remote_code=True)``), the finding sits on the call of the same function that receives
    # that dictionary (``from_pretrained(name, **kw)``); when no such call is found, on the dictionary itself.
    config_lines = _trc_config_lines(ctx)
    defaults = [f"{d.path}:{line}" for d, _, line in config_lines] + _trc_code_defaults(ctx)
    for fc in all_code_units(ctx):
        anchored: set[int] = set()
        for call in fc.calls_by_keyword.get(_TRC, ()):
            source = _trc_source(call, defaults, fc)
            if source is None:
                continue
            holder = _kwargs_holder(fc, call)
            if holder is None:
                loc = _where(fc, call)
                note = _pin_note(call)
                yield Hit(fc.py.path, call.line, cell=call.cell, key=f"trc:{call.method}:{call.scope}",
                          severity=Severity.MEDIUM if note[0] else None,
                          message=f"{loc} calls {_short(call)} with {source}{note[1]}: the repository's Python "
                                  f"runs at load time.")
                continue
            target = holder or "keyword arguments"
            consumer = _kwargs_consumer(fc, call, holder) if holder else None
            if consumer is not None:
                if id(consumer) in anchored or _trc_source(consumer, defaults, fc):
                    continue  # already reported through another dictionary, or through its own keyword
                anchored.add(id(consumer))
                note = _pin_note(consumer, call)
                set_at = f"cell {call.cell}" if call.cell else f"line {call.line}"
                yield Hit(fc.py.path, consumer.line, cell=consumer.cell,
                          key=f"trc:{consumer.method}:{consumer.scope}",
                          severity=Severity.MEDIUM if note[0] else None,
                          message=f"{_where(fc, consumer)} calls {_short(consumer)} with {source}, set in {target} at "
                                  f"{set_at}{note[1] if note[0] else ',' + note[1]}: the repository's Python runs "
                                  f"at load time.")
                continue
            note = _pin_note(call)
            yield Hit(fc.py.path, call.line, cell=call.cell, key=f"trc-kwargs:{target}:{call.scope}",
                      severity=Severity.MEDIUM if note[0] else None,
                      message=f"{_where(fc, call)}: {source} set in {target}{note[1]}; a model or dataset loaded "
                              f"with these arguments runs its repository's Python at load time.")
    for doc, _, line in config_lines:
        yield Hit(doc.path, line, key=f"trc-config:{doc.path}",
                  message=f"{doc.path}:{line} sets trust_remote_code: true, so loading runs code fetched from the "
                          f"model or dataset repository.")


def _trc_source(call: Call, defaults: list[str], fc: Any = None) -> str | None:
    """How a call's trust_remote_code keyword turns remote code on, or None when it does not. A value passed
    through from an opt-in switch that is off by default (a parameter defaulting to False, a ``store_true``
    or ``typer.Option(False)`` flag of this file) is the caller's choice, not the configuration elsewhere."""
    value = call.kw(_TRC)
    if value is True:
        return "trust_remote_code=True"
    if isinstance(value, (Ref, Expr)) and defaults and _TRC in _names_of(value):
        if fc is not None and _off_by_default(fc, call, value):
            return None
        return f"trust_remote_code from configuration that enables it ({', '.join(defaults[:2])})"
    return None


def _field_default(fc: Any, cls: str) -> Any:
    """The literal default of a class's ``trust_remote_code`` field in this file (``= False``,
    ``field(default=False)``), or None."""
    for a in fc.py.assigns:
        if a.target == _TRC and a.scope == cls:
            if isinstance(a.value, bool):
                return a.value
            if isinstance(a.value, Expr) and a.value.callee.endswith("field"):
                return next((c.kw("default") for c in fc.py.calls if c.line == a.line and c.has_kw("default")),
                            None)
    return None


def _off_by_default(fc: Any, call: Call, value: Any) -> bool:
    name = value.qualname if isinstance(value, Ref) else None
    fn = fc.functions.get(call.scope)
    if fn is not None and name is not None:
        head, _, attr = name.rpartition(".")
        for p in fn.params:
            if p.name == name and p.has_default:
                default = p.default
                if default is False or (isinstance(default, Expr) and default.literal is False):
                    return True  # def convert(..., trust_remote_code=False) / typer.Option(False, ...)
            if attr == _TRC and p.name == head and p.annotation:
                if _field_default(fc, p.annotation.rsplit(".", 1)[-1]) is False:
                    return True  # def load(args: ModelArgs): ... args.trust_remote_code, a field defaulting to False
    for c in fc.calls_by_method.get("add_argument", ()):
        if c.args and isinstance(c.args[0], str) and c.args[0].lstrip("-").replace("-", "_") == _TRC:
            return c.kw("default") is not True  # store_true or default False: an opt-in command-line flag
    return False


def _where(fc: Any, call: Call) -> str:
    return f"{fc.py.path} cell {call.cell}" if call.cell else f"{fc.py.path}:{call.line}"


def _short(call: Call) -> str:
    return ".".join(call.qualname.split(".")[-2:])


def _pinned(call: Call) -> bool:
    revision = call.kw("revision")
    return isinstance(revision, str) and re.fullmatch(r"[0-9a-f]{7,40}", revision) is not None


def _pin_note(*calls: Call) -> tuple[bool, str]:
    if any(_pinned(c) for c in calls):
        return True, " (revision pinned to a commit)"
    return False, " without pinning a reviewed revision"


def _kwargs_holder(fc: Any, call: Call) -> str | None:
    """For a call that only builds keyword arguments, the local name they are kept in ("" when unnamed);
    None for any other call (a loader, a config class, a helper of the repository)."""
    if call.qualname == "dict":
        for a in fc.py.assigns:
            if a.line == call.line and a.scope == call.scope and isinstance(a.value, Expr) \
                    and a.value.kind == "call" and a.value.callee == "dict":
                return a.target
        return ""
    if call.method == "update" and call.receiver and call.qualname == f"{call.receiver}.update" \
            and fc.var_types.get(call.receiver, "dict") == "dict":
        return call.receiver
    return None


def _kwargs_consumer(fc: Any, holder: Call, target: str) -> Call | None:
    """The first later call of the same function that receives ``target``: as ``**target`` (seen through the
    assignment or the return statement the call sits in) or as a ``*_kwargs=target`` keyword."""
    for c in fc.calls_by_scope.get(holder.scope, ()):
        if c.line <= holder.line or c is holder:
            continue
        if any(k.endswith("kwargs") and isinstance(v, Ref) and v.qualname == target for k, v in c.kwargs):
            return c
        if c.star_kwargs and _receives(fc, c, target):
            return c
    return None


def _receives(fc: Any, call: Call, target: str) -> bool:
    """``x = f(..., **target)`` (the names the assignment reads) or, for a call assigned to nothing,
    ``return f(..., **target)`` (the names the function's return statement reads)."""
    for a in fc.py.assigns:
        if a.line == call.line and a.scope == call.scope and isinstance(a.value, Expr) and a.value.kind == "call" \
                and a.value.callee == call.qualname:
            return target in a.value.names
    fn = fc.functions.get(call.scope)
    if fn is None or target not in fn.returns_names:
        return False
    return any("." in n and (call.qualname == n or call.qualname.endswith("." + n)) for n in fn.returns_names)


def _names_of(value: Any) -> set[str]:
    names = [value.qualname] if isinstance(value, Ref) else list(value.names) if isinstance(value, Expr) else []
    out = set()
    for n in names:
        out.add(n.rsplit(".", 1)[-1])
    return out


# -- secrets ---------------------------------------------------------------------------------------------------------

_EXTRA_PATTERNS = (
    ("Hugging Face token", lazy(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("OpenAI API key", lazy(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}")),
    ("Anthropic API key", lazy(r"\bsk-ant-[a-z]{3,6}\d{2}-[A-Za-z0-9_-]{60,}")),
    ("Google API key", lazy(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Replicate token", lazy(r"\br8_[A-Za-z0-9]{37}\b")),
    ("Groq API key", lazy(r"\bgsk_[A-Za-z0-9]{48,}\b")),
    ("LangSmith API key", lazy(r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}\b")),
    ("Pinecone API key", lazy(r"\bpcsk_[A-Za-z0-9_]{50,}\b")),
)
# Cheap first pass shaped like the detectors' own patterns: detect-secrets (slow to import) is loaded and run
# only for strings that could match one of them.
_KEY_SHAPES = (
    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}", r"\bsk-[A-Za-z0-9_-]{20,}", r"\b[sr]k_live_[0-9a-zA-Z]{20}",
    r"\bgh[pousr]_[A-Za-z0-9_]{36}", r"github_pat_\w{20}", r"\bgl(?:pat|ptt|cbt|imt|agent|oas)-[\w-]{20}",
    r"GR1348941[\w-]{20}", r"xox[abposr]-\d", r"hooks\.slack\.com/services/T", r"eyJ[A-Za-z0-9_-]{10,}\.eyJ",
    r"PRIVATE KEY", r"PuTTY-User", r"\bhf_[A-Za-z0-9]{30}", r"AIza[0-9A-Za-z_-]{35}", r"SG\.[\w-]{22}\.",
    r"\br8_[A-Za-z0-9]{30}", r"\bgsk_[A-Za-z0-9]{40}", r"lsv2_(?:pt|sk)_", r"pcsk_\w{40}", r"pypi-AgE",
    r"_authToken=", r"AccountKey=[A-Za-z0-9+/=]{80}", r"sq0csp-", r"\b(?:AC|SK)[a-z0-9]{32}\b",
)
# shapes that start with a character class, each with a literal it cannot match without
_CLASS_SHAPES = ((":", r"\b\d{8,10}:[0-9A-Za-z_-]{35}"), ("-us", r"\b[0-9a-z]{32}-us\d"),
                 (".", r"\b[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\."))
_PREFILTER = lazy("|".join((*_KEY_SHAPES, *(shape for _, shape in _CLASS_SHAPES))))
# The same test made cheap for the many strings that hold no key: the regex engine tries every alternative
# at every position unless all of them start with a literal, so the literal-led shapes run without their
# leading word boundary (only ever more matches) and the class-led ones only when their literal is present.
_LITERAL_LED = lazy("|".join(shape.removeprefix(r"\b") for shape in _KEY_SHAPES))
_CLASS_LED = tuple((literal, lazy(shape)) for literal, shape in _CLASS_SHAPES)


def _may_hold_key(text: str) -> bool:
    """False only when ``_PREFILTER`` cannot match ``text``."""
    if _LITERAL_LED.search(text):
        return True
    return any(literal in text and shape.search(text) for literal, shape in _CLASS_LED)


_SECRET_NAME = lazy(
    r"(?i)(^|_)(api_?key|apikey|access_?key(_id)?|secret_?access_?key|secret_?key|client_?secret|private_?key|"
    r"password|passwd|auth_?token|access_?token|api_?token|bearer_?token|refresh_?token|bot_?token|hf_?token|"
    r"hub_?token|huggingface_?token|github_?token|gh_?token|slack_?token|wandb_?key|secret)$|^token$")
_PASSWORD_NAME = lazy(r"(?i)(password|passwd)$")
_PLACEHOLDER = lazy(
    r"(?i)(x{3,}|\*{3,}|\.{3}|your|<[^>]*>|\$\{|\{\{|%\(|changeme|change_me|change-me|placeholder|dummy|example|"
    r"sample|fake|redacted|replace|insert|todo|fixme|secret_here|_here$|^none$|^null$|^test|mock|^demo|"
    r"^\$|^env:|^os\.environ|^sk-\.\.\.|^password|^secret$|^token$|^api[_-]?key$)")
_ENV_NAME = lazy(r"^[A-Z][A-Z0-9_]{2,}$")
_PATHISH = lazy(r"^(/|\./|~|[A-Za-z]:\\)|\.(json|ya?ml|txt|pem|key|crt|env|ini|cfg|toml)$|^https?://|\s")


@lru_cache(maxsize=1)
def _detectors() -> tuple[Any, ...]:
    """detect-secrets' format-based plugins (imported lazily: only repositories with candidate strings pay)."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.mailchimp import MailchimpDetector
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

    classes = (AWSKeyDetector, AzureStorageKeyDetector, DiscordBotTokenDetector, GitHubTokenDetector,
               GitLabTokenDetector, JwtTokenDetector, MailchimpDetector, NpmDetector, OpenAIDetector,
               PrivateKeyDetector, PypiTokenDetector, SendGridDetector, SlackDetector, SquareOAuthDetector,
               StripeDetector, TelegramBotTokenDetector, TwilioKeyDetector)
    return tuple(cls() for cls in classes)


@lru_cache(maxsize=1)
def _entropy_calc() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


def _entropy(value: str) -> float:
    try:
        return float(_entropy_calc().calculate_shannon_entropy(value))
    except Exception:  # pragma: no cover - detect-secrets missing or changed: fall back to plain Shannon
        counts = {c: value.count(c) for c in set(value)}
        return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _heuristic_noise(value: str, line: str) -> bool:
    from detect_secrets.filters.heuristic import (
        is_likely_id_string, is_potential_uuid, is_sequential_string, is_templated_secret,
    )

    return (is_templated_secret(value) or is_sequential_string(value) or is_potential_uuid(value)
            or is_likely_id_string(value, line))


def redact(value: str) -> str:
    value = value.strip()
    return f"{value[:4]}…({len(value)} chars)" if len(value) > 8 else "…"


def _delimited(text: str, match: str) -> bool:
    """The match stands alone in the text: no letter or digit glued to either end (DNA, base64 blobs)."""
    start = text.find(match)
    if start < 0:
        return False
    end = start + len(match)
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _format_match(line: str, value: str) -> str | None:
    """A secret of a known format inside ``value`` (detect-secrets' plugins plus LLM/model-hub key formats)."""
    for det in _detectors():
        for match in det.analyze_string(line):
            if not match or _PLACEHOLDER.search(match):
                continue
            if len(match) >= 8 and (match not in value or not _delimited(value, match)):
                continue
            return str(det.secret_type)
    for label, pattern in _EXTRA_PATTERNS:
        if pattern.search(value):
            return label
    return None


_TOKEN_STRIP = "'\"`,;()[]{}<>"
_WHITESPACE = lazy(r"\s")  # the characters str.isspace() accepts


def _tokens(value: str) -> Iterator[str]:
    """Whitespace-free pieces of a string worth a format check (a key sits alone; prose around it is skipped)."""
    if "PRIVATE KEY" in value or "PuTTY-User" in value:
        yield value
        return
    if len(value) <= 300 and not _WHITESPACE.search(value):
        yield value
        return
    for tok in value.split():
        if 20 <= len(tok) <= 300:
            yield tok.strip(_TOKEN_STRIP)


def _judge_token(key: str, token: str) -> str | None:
    if len(token) < 8 or not _may_hold_key(token) or not _PREFILTER.search(token) or _PLACEHOLDER.search(token):
        return None
    return _format_match(f'{key} = "{token}"', token)


_KEY_SEPARATORS = lazy(r"[-\s]+")


@lru_cache(maxsize=4096)
def _key_of(name: str | None) -> tuple[str, bool]:
    """(key as it would appear in an assignment, does the key name a secret); names repeat a lot."""
    key = _KEY_SEPARATORS.sub("_", (name or "value").rsplit(".", 1)[-1])
    return key, name is not None and _SECRET_NAME.search(key) is not None


def judge_secret(name: str | None, value: str) -> str | None:
    """The kind of secret a literal value is, judged with detect-secrets' plugins; None for placeholders and noise."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) < 8 or len(value) > 4096:
        return None
    key, named = _key_of(name)
    if not named:
        return next(filter(None, (_judge_token(key, tok) for tok in _tokens(value))), None)
    if _PLACEHOLDER.search(value):
        return None
    line = f'{key} = "{value}"'
    kind = _format_match(line, value)
    if kind:
        return kind
    if _ENV_NAME.match(value) or _PATHISH.search(value) or value == key:
        return None
    has_letter = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    if not (has_letter and has_digit) or _heuristic_noise(value, line):
        return None
    if _PASSWORD_NAME.search(key):
        return "password" if len(value) >= 10 and _entropy(value) >= 2.8 else None
    if len(value) >= 16 and _entropy(value) >= 3.0:
        return "credential"
    return None


_STR_KW_SKIP = frozenset({"model", "model_name", "model_id", "pretrained_model_name_or_path", "repo_id", "path",
                          "filename", "prompt", "template", "text", "url", "base_url", "endpoint", "name"})


def _literal_pairs(value: Any) -> Iterator[tuple[str, str]]:
    """(key, string) pairs of a dict literal captured as Expr(kind='dict')."""
    if isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple):
        for pair in value.literal:
            if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], str):
                yield pair[0], pair[1]


def _code_candidates(fc: Any) -> Iterator[tuple[int, int | None, str | None, str, tuple[str, ...]]]:
    """(line, cell, name, value, how) for every string literal of 8 characters or more, which could hold a
    secret; ``how`` is a template and its arguments (see ``_how``), formatted only for the few that do."""
    py = fc.py
    for a in py.assigns:
        value = a.value
        if isinstance(value, str):
            if len(value) >= 8:
                yield a.line, a.cell, a.target, value, ("assigns it to {}", a.target)
        elif isinstance(value, Expr) and value.kind == "dict":
            for k, v in _literal_pairs(value):
                if len(v) >= 8:
                    yield a.line, a.cell, k, v, ("puts it under {!r} in {}", k, a.target)
    for c in py.calls:
        for k, v in c.kwargs:
            if isinstance(v, str):
                if k not in _STR_KW_SKIP and len(v) >= 8:
                    yield c.line, c.cell, k, v, ("passes it as {}= to {}", k, c.qualname)
            elif isinstance(v, Expr) and v.kind == "dict":
                for kk, vv in _literal_pairs(v):
                    if len(vv) >= 8:
                        yield c.line, c.cell, kk, vv, ("passes it under {!r} to {}", kk, c.qualname)
        if c.qualname in ("os.environ.setdefault", "os.putenv", "os.environ.__setitem__") and len(c.args) >= 2 \
                and isinstance(c.args[0], str) and isinstance(c.args[1], str):
            yield c.line, c.cell, c.args[0], c.args[1], ("sets environment variable {}", c.args[0])
            continue
        for v in c.args:
            if isinstance(v, str):
                if len(v) >= 8:
                    yield c.line, c.cell, None, v, ("passes it to {}", c.qualname)
            elif isinstance(v, Expr) and v.kind == "dict":
                for kk, vv in _literal_pairs(v):
                    if len(vv) >= 8:
                        yield c.line, c.cell, kk, vv, ("passes it under {!r} to {}", kk, c.qualname)
    for fn in py.functions:
        for p in fn.params:
            if p.has_default and isinstance(p.default, str) and len(p.default) >= 8:
                yield fn.line, fn.cell, p.name, p.default, ("uses it as the default of {}({}=...)", fn.name, p.name)


def _how(template: tuple[str, ...]) -> str:
    return template[0].format(*template[1:])


_DOCKER_PAIR = lazy(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S+)")


def _docker_pairs(instruction: str, value: str) -> Iterator[tuple[str, str]]:
    """``KEY=value`` pairs of ENV/ARG, and the legacy ``ENV KEY value`` form."""
    parts = value.split(None, 1)
    if not parts:
        return
    if "=" in parts[0]:
        for m in _DOCKER_PAIR.finditer(value):
            yield m.group(1), m.group(2).strip("\"'")
    elif instruction == "ENV" and len(parts) == 2:
        yield parts[0], parts[1].strip("\"'")


def _secret_hits(ctx: RuleContext) -> Iterator[Hit]:
    verdicts: dict[tuple[str | None, str], str | None] = {}  # the same literals recur across a code base
    for fc in all_code_units(ctx):
        seen: set[tuple[int, str]] = set()
        for line, cell, name, value, how in _code_candidates(fc):
            if (name, value) in verdicts:
                kind = verdicts[(name, value)]
            else:
                kind = verdicts[(name, value)] = judge_secret(name, value)
            if kind is None or (line, value) in seen:
                continue
            seen.add((line, value))
            loc = f"{fc.py.path} cell {cell}" if cell else f"{fc.py.path}:{line}"
            yield Hit(fc.py.path, line, cell=cell, key=f"secret:{name or kind}",
                      message=f"{loc} holds a literal {kind} ({redact(value)}) and {_how(how)}: anyone with the "
                              f"repository has it.")
    for doc in _config_docs(ctx):
        # compose files carry throwaway local-stack passwords (MinIO, Postgres): only key formats count there
        dev_stack = doc.kind == "compose"
        for path, value in _walk(doc.data):
            if not isinstance(value, str) or not path:
                continue
            name = None if dev_stack else next((p for p in reversed(path) if isinstance(p, str)), None)
            kind = judge_secret(name, value)
            if kind is None:
                continue
            line = doc.lines.get(path, doc.line)
            dotted = ".".join(str(p) for p in path)
            yield Hit(doc.path, line, key=f"secret-config:{dotted}",
                      message=f"{doc.path}:{line} stores a literal {kind} ({redact(value)}) under {dotted}: move it "
                              f"to a secret store or an environment variable.")
    for df in ctx.facts.dockerfiles:
        if is_test_path(df.path):
            continue
        for ins in df.instructions:
            if ins.instruction not in ("ENV", "ARG"):
                continue
            for name, value in _docker_pairs(ins.instruction, ins.value):
                kind = judge_secret(name, value)
                if kind is None:
                    continue
                yield Hit(df.path, ins.line, key=f"secret-docker:{name}",
                          message=f"{df.path}:{ins.line} bakes a literal {kind} into the image with {ins.instruction} "
                                  f"{name}=({redact(value)}): it stays in the image layers and history.")


_SECRET_REMEDIATION = {
    "default": "Revoke and rotate the credential now (it is in git history), then read it at run time from the "
               "environment or a secret manager (`os.environ[\"OPENAI_API_KEY\"]`, CI secrets, Kubernetes "
               "Secrets, Vault); add a pre-commit secret scanner (detect-secrets, gitleaks).",
}


@rule(id="SEC004", name="hardcoded-secret", area=_AREA, severity=Severity.CRITICAL, concept="hardcoded_secret",
      title="API key, token or password written in code or configuration",
      rationale="A credential committed to a repository is readable by everyone with access to it, forever: "
                "history keeps it after deletion, forks and CI logs copy it. ML projects leak cloud, model-hub and "
                "LLM API keys this way, and leaked keys are found and abused by scanners within hours.",
      remediation=_SECRET_REMEDIATION, seeds=("H15",),
      references=("https://github.com/Yelp/detect-secrets", "OWASP Secrets Management Cheat Sheet"),
      bad="client = OpenAI(api_key=\"sk-proj-...\")", good="client = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])",
      stakes_sensitive=False, principle="governance", tools=("detect-secrets",))
def hardcoded_secret(ctx: RuleContext) -> Iterator[Hit]:
    """String literals in code, YAML/JSON/TOML values and Dockerfile ENV/ARG judged by detect-secrets' plugins."""
    yield from _secret_hits(ctx)


_OUTPUT_PAIR = lazy(r"""['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?\s*[=:]\s*['"]?([^\s'",}]+)""")


_TOKEN_SPLIT = lazy(r"[\s'\"`,;()\[\]{}<>]+")


_NAME_HINTS = ("key", "token", "secret", "passw", "pwd")


def _output_secrets(text: str) -> Iterable[tuple[str, str]]:
    """(kind, token) of secrets in a notebook's text output, at most one per line."""
    for raw in text.splitlines()[:2000]:
        raw = raw[:2000]
        found = next(((kind, tok) for tok in _TOKEN_SPLIT.split(raw) if 8 <= len(tok) <= 300
                      for kind in [_judge_token("value", tok.split("=", 1)[-1])] if kind), None)
        if found:
            yield found
            continue
        lower = raw.lower()
        if not any(h in lower for h in _NAME_HINTS):
            continue
        for m in _OUTPUT_PAIR.finditer(raw):
            kind = judge_secret(m.group(1), m.group(2))
            if kind:
                yield kind, m.group(2)
                break


@rule(id="SEC005", name="secret-in-notebook-output", area=_AREA, severity=Severity.CRITICAL,
      concept="hardcoded_secret", title="Secret printed in a committed notebook output",
      rationale="Notebook outputs are committed with the notebook: a token echoed by `%env`, a print of the "
                "config or an exception message stays in the .ipynb file (and its history) even when the code "
                "that produced it reads the secret from the environment.",
      remediation={
          "default": "Rotate the credential, clear outputs before committing (`jupyter nbconvert --clear-output "
                     "--inplace`, or nbstripout as a git filter / pre-commit hook) and stop printing secrets.",
      },
      seeds=("H15", "H18"), references=("https://github.com/kynan/nbstripout",),
      bad="print(os.environ['HF_TOKEN'])  # output saved in the notebook", good="nbstripout --install",
      stakes_sensitive=False, principle="governance", tools=("nbstripout", "detect-secrets"))
def secret_in_notebook_output(ctx: RuleContext) -> Iterator[Hit]:
    """Text outputs of committed notebooks (tests excluded), scanned line by line."""
    for nb in ctx.facts.notebooks:
        if nb.code.is_test or not nb.outputs_text:
            continue
        cells = {c.index: c for c in nb.cells}
        for index, text in nb.outputs_text:
            for kind, value in _output_secrets(text):
                cell = cells.get(index)
                line = cell.source_line if cell and cell.source_line else None
                yield Hit(nb.path, line, cell=index, key=f"secret-output:{index}:{kind}",
                          message=f"{nb.path} cell {index} has a {kind} ({redact(value)}) in its saved output: "
                                  f"clear the outputs and rotate the credential.")
                break
