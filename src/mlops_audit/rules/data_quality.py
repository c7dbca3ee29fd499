"""Data validation and features: data is checked before it trains or reaches a model, and features are
computed the same way in training and serving."""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.calls import Reached, effective
from ..facts import Call, Expr, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._training_util import (
    Handler, code_contexts, data_loads, entries, fmt_site, is_builtin_data, pydantic_models, same_project,
    serving_handlers,
)

__all__: list[str] = []

_BRECK = "Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness'"
_POLYZOTIS = "Polyzotis et al. 2019, 'Data Validation for Machine Learning' (TFX Data Validation)"


def _custom_validation(ctx: RuleContext, r: Reached) -> bool:
    """An assert or if-raise on the loaded frame's columns, dtypes, shape or nulls in the same function."""
    fctx = ctx.detection.index.contexts[r.path]
    target = ""
    for a in fctx.py.assigns:
        if a.line == r.call.line and a.scope == r.call.scope:
            target = a.target
    for cmp in fctx.py.compares:
        if cmp.scope != r.call.scope or not (cmp.context == "assert" or cmp.raises):
            continue
        if target and any(n == target or n.startswith(target + ".") for n in cmp.names):
            return True
        if any(_SCHEMA_WORDS.search(n) for n in cmp.names):
            return True
    return False


_SCHEMA_WORDS = lazy(r"(?i)column|schema|dtype|isnull|isna|null_count|missing|feature_names")


_VALIDATION_ROOTS = ("great_expectations", "pandera", "tensorflow_data_validation", "deepchecks", "soda", "cerberus")


def _validated_in_tests(ctx: RuleContext) -> bool:
    """A test suite that validates the dataset itself (pytest + Great Expectations / pandera on the data)."""
    for fctx in code_contexts(ctx, include_tests=True):
        if fctx.py.is_test and any(imp.module.split(".", 1)[0] in _VALIDATION_ROOTS for imp in fctx.py.imports):
            return True
    return False


@rule(id="DAT001", name="no-data-validation", area="data_quality", severity=Severity.HIGH,
      title="Training data is used without schema validation",
      rationale="Upstream data changes (a renamed column, a new category, a unit change, a spike of nulls) "
                "silently produce a worse model when nothing checks the data against a schema before training. "
                "A validation step that fails the pipeline on critical violations is a core ML test "
                f"({_BRECK}; {_POLYZOTIS}).",
      remediation={
          "default": "import pandera as pa\nschema = pa.DataFrameSchema({'age': pa.Column(int, pa.Check.in_range(0, "
                     "120)), 'plan': pa.Column(str, pa.Check.isin(['free', 'pro']))}, strict=True)\n"
                     "df = schema.validate(pd.read_csv(path))  # raises on violations",
          "great_expectations": "Run a checkpoint on the batch before training and stop on failure.",
      },
      seeds=("C31", "G02", "Z01", "K05"), references=(_BRECK, _POLYZOTIS), principle="data",
      tools=("pandera", "great_expectations"), stakes_sensitive=False,
      bad="df = pd.read_csv('data/train.csv')\nmodel.fit(df[FEATURES], df['y'])",
      good="df = schema.validate(pd.read_csv('data/train.csv'))\nmodel.fit(df[FEATURES], df['y'])")
def no_data_validation(ctx: RuleContext) -> Iterator[Hit]:
    """Once: the first file/table load in a training entry point's reach, when nothing validates data."""
    if ctx.detection.present("data_validation") or _validated_in_tests(ctx):
        return
    for e in sorted(entries(ctx), key=lambda e: (e.kind == "notebook", e.path)):
        loads = [r for r in data_loads(ctx, e) if not is_builtin_data(effective(
            ctx.detection.index.contexts[r.path], r.call))]
        if not loads:
            continue
        if any(_custom_validation(ctx, r) for r in loads):
            return
        loads.sort(key=lambda r: (r.path != e.path, r.call.cell or 0, r.call.line))
        r = loads[0]
        yield Hit(r.path, r.call.line, f"{e.label} trains on data read by {fmt_site(r)} and nothing in the "
                                       "repository validates data against a schema (no pandera, Great "
                                       "Expectations, TFDV or equivalent check) before it reaches the model.",
                  cell=r.call.cell, key="data-validation")
        return


# -- serving-side checks ---------------------------------------------------------------

_FLASK_REQUEST = lazy(r"^(flask|quart)\.request\.(json|get_json|form|args|values|data|files|get_data)")
_RAW_ANNOTATIONS = {"dict", "typing.Dict", "Dict", "list", "typing.List", "List", "typing.Any", "Any",
                    "fastapi.Body", "starlette.requests.Request", "fastapi.Request", "fastapi.requests.Request",
                    "flask.Request", "object"}
_MISSING_HANDLING = {"fillna", "dropna", "isnull", "isna", "notna", "notnull", "interpolate", "ffill", "bfill",
                     "nan_to_num", "model_validate", "parse_obj", "parse_raw", "validate"}
_NATIVE_ROOTS = frozenset({"xgboost", "lightgbm", "catboost", "sklearn"})
_NATIVE_MISSING = lazy(r"^(xgboost|lightgbm|catboost)\.|HistGradientBoosting|^sklearn\.impute\.|Imputer$")


def _reads_raw_request(ctx: RuleContext, h: Handler) -> str:
    """How the handler takes request data without a declared schema ("" when it has a schema)."""
    models = pydantic_models(ctx)
    for p in h.params:
        ann = p.annotation.rsplit(".", 1)[-1] if p.annotation else ""
        if ann in models or p.annotation.startswith("pydantic."):
            return ""
    fctx = ctx.detection.index.contexts[h.path]
    scope = h.function
    for a in fctx.py.assigns:
        if a.scope != scope and not a.scope.startswith(scope + "."):
            continue
        v = a.value
        name = v.qualname if isinstance(v, Ref) else (v.callee if isinstance(v, Expr) else "")
        if name and _FLASK_REQUEST.search(name):
            return f"{name.split('.', 1)[1]}"
    for r in h.reach:
        if r.path != h.path:
            continue
        q = r.call.qualname
        if _FLASK_REQUEST.search(q):
            return q.split(".", 1)[1]
        if r.call.method in ("json", "form", "body") and r.call.receiver and any(
                p.name == r.call.receiver and p.annotation in _RAW_ANNOTATIONS for p in h.params):
            return f"{r.call.receiver}.{r.call.method}()"
    for p in h.params:
        if p.annotation in ("dict", "typing.Dict", "Dict", "list", "typing.List", "List", "typing.Any", "Any"):
            return f"parameter {p.name}: {p.annotation}"
    return ""


def _handles_missing(ctx: RuleContext, h: Handler) -> bool:
    index = ctx.detection.index
    for r in h.reach:
        call = r.call
        m = call.method
        if m in _MISSING_HANDLING:
            return True
        if m == "reindex" and call.has_kw("fill_value"):
            return True
        if m == "get" and len(call.args) >= 2:
            return True
        name = effective(index.contexts[r.path], call)
        if name.startswith(("jsonschema.", "pandera.", "great_expectations.", "marshmallow.")):
            return True
        if re.search(r"(^|\.)(abort|HTTPException)$", name):
            return True
    fctx = index.contexts[h.path]
    for cmp in fctx.py.compares:
        if (cmp.scope == h.function or cmp.scope.startswith(h.function + ".")) and cmp.raises and any(
                op in ("in", "not in", "is", "is not") for op in cmp.ops):
            return True
    return False


def _native_missing_model(ctx: RuleContext) -> bool:
    def compute() -> bool:
        for fctx in code_contexts(ctx):
            for root in _NATIVE_ROOTS:
                if any(_NATIVE_MISSING.search(call.qualname) for call in fctx.calls_by_root.get(root, ())):
                    return True
        return False
    return bool(ctx.memo("dat_native_missing", compute))


@rule(id="DAT002", name="no-missing-feature-handling", area="data_quality", severity=Severity.HIGH,
      title="Prediction handler passes request data to the model without handling missing features",
      rationale="A request with a missing or null feature either crashes the handler with a 500 or, worse, "
                "reaches the model as NaN or a default and returns a confident wrong prediction. Serving must "
                "reject incomplete requests (required fields) or impute them the way training did (seed items "
                "C33, H10).",
      remediation={
          "fastapi": "class Features(BaseModel):\n    age: int = Field(ge=0, le=120)\n    plan: Literal['free', "
                     "'pro']\n@app.post('/predict')\ndef predict(f: Features): ...  # missing fields -> 422",
          "flask": "data = request.get_json()\nmissing = [c for c in FEATURES if data.get(c) is None]\n"
                   "if missing:\n    abort(400, f'missing features: {missing}')",
          "default": "Validate required features before predict (pydantic model, jsonschema) or apply the "
                     "training-time imputer inside the model pipeline.",
      },
      seeds=("C33", "H10", "Z10"), references=(_BRECK,), principle="serving", tools=("pydantic",),
      bad="@app.route('/predict', methods=['POST'])\ndef predict():\n    return model.predict(pd.DataFrame("
          "request.json))",
      good="@app.post('/predict')\ndef predict(f: Features):  # pydantic: required fields\n"
           "    return model.predict(pd.DataFrame([f.model_dump()]))")
def no_missing_feature_handling(ctx: RuleContext) -> Iterator[Hit]:
    """Handlers that read raw request data and reach predict with no null handling or field check."""
    if _native_missing_model(ctx):
        return
    for h in serving_handlers(ctx):
        source = _reads_raw_request(ctx, h)
        if not source or _handles_missing(ctx, h):
            continue
        path, line, cell = h.anchor
        p = h.predicts[0]
        yield Hit(path, line, f"{h.path}:{h.line} {h.route_label} takes request data ({source}) and passes it "
                              f"to {fmt_site(p)} without rejecting or imputing missing features.",
                  cell=cell, key=f"{h.function}")


# -- DAT003 --------------------------------------------------------------------

_BOUND_KW = {"ge", "le", "gt", "lt"}
_TABULAR = lazy(r"^(sklearn|xgboost|lightgbm|catboost|statsmodels)\.")
_BOUND_CALLS = lazy(r"(^|\.)(clip|between|nan_to_num)$|^numpy\.clip$|^alibi_detect\.od\.|^pyod\.|"
                          r"IsolationForest|EllipticEnvelope|LocalOutlierFactor|OneClassSVM")


def _bounded_models(ctx: RuleContext) -> set[str]:
    """Pydantic request models with a range constraint or a validator."""
    def compute() -> set[str]:
        models = pydantic_models(ctx)
        out: set[str] = set()
        for fctx in code_contexts(ctx):
            classes = {c.name for c in fctx.py.classes if c.name in models}
            if not classes:
                continue
            for call in fctx.py.calls:
                owner = call.scope.split(".")[0]
                if owner not in classes:
                    continue
                name = effective(fctx, call)
                if name.endswith("Field") and any(k in _BOUND_KW for k, _ in call.kwargs):
                    out.add(owner)
                if re.search(r"(^|\.)con(int|float|decimal)$", name) and call.kwargs:
                    out.add(owner)
            for fn in fctx.py.functions:
                if fn.class_name in classes and any(
                        d.qualname.rsplit(".", 1)[-1] in ("validator", "field_validator", "model_validator",
                                                          "root_validator") for d in fn.decorators):
                    out.add(fn.class_name)
        return out
    return ctx.memo("dat_bounded_models", compute)  # type: ignore[return-value]


def _tabular_project(ctx: RuleContext) -> bool:
    for e in entries(ctx):
        for f in e.fits:
            if _TABULAR.search(effective(ctx.detection.index.contexts[f.path], f.call)):
                return True
            fctx = ctx.detection.index.contexts[f.path]
            t = fctx.var_types.get(f.call.receiver or "", "")
            if _TABULAR.search(t):
                return True
    return False


@rule(id="DAT003", name="no-ood-bounds", area="data_quality", severity=Severity.MEDIUM,
      title="Serving inputs have no range constraints",
      rationale="Tree ensembles and linear models extrapolate silently: an age of 400 or a negative price gets "
                "a prediction as confident as any other. Declaring the valid range of each feature (or an "
                "out-of-distribution check) turns such inputs into explicit rejections or alerts (seed items "
                "C32, Z02).",
      remediation={
          "fastapi": "class Features(BaseModel):\n    age: int = Field(ge=18, le=100)\n    income: float = "
                     "Field(ge=0)",
          "default": "Declare per-feature bounds from the training data (min/max or quantiles) in the request "
                     "schema, or clip/flag inputs outside them before predict.",
      },
      seeds=("C32", "Z02"), references=(_BRECK,), principle="serving", tools=("pydantic",),
      bad="class Features(BaseModel):\n    age: int\n    income: float",
      good="class Features(BaseModel):\n    age: int = Field(ge=18, le=100)\n    income: float = Field(ge=0)")
def no_ood_bounds(ctx: RuleContext) -> Iterator[Hit]:
    """Prediction handlers of a tabular model whose inputs have no range constraint or OOD check."""
    if not _tabular_project(ctx):
        return
    models = pydantic_models(ctx)
    bounded = _bounded_models(ctx)
    index = ctx.detection.index
    reported: set[tuple[str, int]] = set()
    for h in serving_handlers(ctx):
        req = [p.annotation.rsplit(".", 1)[-1] for p in h.params
               if p.annotation and p.annotation.rsplit(".", 1)[-1] in models]
        if any(r in bounded for r in req):
            continue
        if any(_BOUND_CALLS.search(effective(index.contexts[r.path], r.call)) for r in h.reach):
            continue
        fctx = index.contexts[h.path]
        if any((c.scope == h.function or c.scope.startswith(h.function + ".")) and c.raises
               and any(op in ("<", "<=", ">", ">=") for op in c.ops) for c in fctx.py.compares):
            continue
        if req:
            path, line = models[req[0]]
            what = f"request model {req[0]} declares no bounds (Field(ge=..., le=...), validators)"
            cell = None
        else:
            path, line, cell = h.anchor
            what = "no request schema or check bounds the inputs"
        if (path, line) in reported:
            continue
        reported.add((path, line))
        yield Hit(path, line, f"{h.route_label} ({h.path}:{h.line}) feeds a tabular model and {what}: "
                              "out-of-range values get predictions as confident as valid ones.",
                  cell=cell, key=f"{path}:{h.function}" if not req else f"model:{req[0]}")


# -- DAT004 --------------------------------------------------------------------

_TRANSFORMS = {"get_dummies", "map", "astype", "fillna", "replace", "apply", "cut", "qcut", "to_datetime", "log",
               "log1p", "clip", "where", "round", "lower", "strip", "str", "factorize", "one_hot", "sqrt", "exp",
               "transform", "fit_transform", "cat", "dt", "rank", "shift", "rolling", "diff"}
_GENERIC = {"main", "run", "predict", "predict_proba", "predict_batch", "train", "load", "load_model", "save",
            "save_model", "setup", "health", "collate", "collate_fn", "decode", "format_prob", "to_device",
            "index", "evaluate", "fit", "__init__", "__call__", "get", "post", "read", "write", "handler", "app",
            "create_app", "parse_args", "get_args", "config", "get_config", "build", "process", "forward", "score"}
_FRAME_TRANSFORMS = {"pandas.get_dummies", "pandas.cut", "pandas.qcut"}


def _serving_side(ctx: RuleContext) -> tuple[set[tuple[str, str]], list[tuple[str, Call, str]]]:
    """Functions reached from prediction handlers, and the calls in that reach (with route label)."""
    fns: set[tuple[str, str]] = set()
    calls: list[tuple[str, Call, str]] = []
    for h in serving_handlers(ctx):
        fns.add((h.path, h.function))
        for r in h.reach:
            fns.add((r.path, r.call.scope))
            calls.append((r.path, r.call, h.route_label))
    return fns, calls


def _training_side(ctx: RuleContext) -> tuple[set[tuple[str, str]], list[Reached]]:
    """Functions and calls reached by training; notebooks count only when no script trains."""
    fns: set[tuple[str, str]] = set()
    calls: list[Reached] = []
    es = entries(ctx)
    scripts = [e for e in es if e.kind != "notebook"]
    for e in scripts or es:
        for r in e.reach:
            if r.chain and r.chain[0] == "<import>":
                continue
            fns.add((r.path, r.call.scope))
            calls.append(r)
    return fns, calls


def _transform_body(ctx: RuleContext, path: str, qualname: str) -> bool:
    fctx = ctx.detection.index.contexts[path]
    return any(c.method in _TRANSFORMS for c in fctx.calls_by_scope.get(qualname, []))


@rule(id="DAT004", name="train-serve-skew-risk", area="data_quality", severity=Severity.HIGH,
      title="Feature transformation implemented separately for training and serving",
      rationale="When training and serving each carry their own copy of a feature transformation, the copies "
                "drift apart (a new category, a changed default, a different encoding) and the model receives "
                "features it was never trained on: training/serving skew, one of the costliest silent ML "
                "failures (Sculley et al. 2015; Breck et al. 2017). One shared module, a saved preprocessing "
                "pipeline or a feature store removes the duplicate (seed item G03).",
      remediation={
          "sklearn": "Put preprocessing in the model: pipe = make_pipeline(ColumnTransformer([...]), model); "
                     "pipe.fit(X, y); joblib.dump(pipe, ...) and call pipe.predict(raw_frame) in serving.",
          "feast": "Define the features once as Feast feature views and read them with get_historical_features "
                   "(training) and get_online_features (serving).",
          "default": "Move the transformation into one module imported by both training and serving (or into the "
                     "saved model pipeline) and delete the copy.",
      },
      seeds=("G03",), references=("Sculley et al. 2015", _BRECK), principle="data", tools=("sklearn", "feast"),
      bad="# train.py\ndef encode(df): return pd.get_dummies(df, columns=['plan'])\n"
          "# serve.py\ndef encode(df): return pd.get_dummies(df)",
      good="# features.py (imported by train.py and serve.py)\ndef encode(df): ...")
def train_serve_skew_risk(ctx: RuleContext) -> Iterator[Hit]:
    """Same-named transform functions defined in training and serving files; pandas encoders duplicated inline."""
    if ctx.detection.present("feature_store"):
        return
    handlers = serving_handlers(ctx)
    if not handlers or not entries(ctx):
        return
    serve_fns, serve_calls = _serving_side(ctx)
    train_fns, train_calls = _training_side(ctx)
    reported: set[tuple[str, int]] = set()
    dup_scopes: set[tuple[str, str]] = set()
    index = ctx.detection.index
    # (1) one function name defined twice: a copy in the training code and a copy in the serving code
    train_defs: dict[str, list[tuple[str, str]]] = {}
    for path, scope in sorted(train_fns):
        short = scope.rsplit(".", 1)[-1]
        if scope == "<module>" or short in _GENERIC or short.startswith("__"):
            continue
        train_defs.setdefault(short, []).append((path, scope))
    for path, scope in sorted(serve_fns):
        if scope == "<module>":
            continue
        short = scope.rsplit(".", 1)[-1]
        if short in _GENERIC or short.startswith("__"):
            continue
        if (path, scope) in train_fns:
            continue
        others = [o for o in train_defs.get(short, []) if o[0] != path and o not in serve_fns
                  and same_project(ctx, path, o[0])]
        if not others:
            continue
        other = others[0]
        if not (_transform_body(ctx, path, scope) and _transform_body(ctx, other[0], other[1])):
            continue
        fn = index.contexts[path].functions.get(scope)
        tfn = index.contexts[other[0]].functions.get(other[1])
        if fn is None or tfn is None:
            continue
        reported.add((path, fn.line))
        dup_scopes.add((path, scope))
        yield Hit(path, fn.line, f"{short}() is implemented twice: for serving at {path}:{fn.line} and for "
                                 f"training at {other[0]}:{tfn.line}; the copies can drift apart and skew the "
                                 "features the model sees.", cell=fn.cell, key=f"dup:{short}")
    # (2) the same pandas encoder applied inline on both sides, outside any shared function
    shared = train_fns & serve_fns
    train_by_name: dict[str, Reached] = {}
    for r in train_calls:
        name = effective(index.contexts[r.path], r.call)
        if name in _FRAME_TRANSFORMS and (r.path, r.call.scope) not in shared:
            train_by_name.setdefault(name, r)
    for path, call, label in serve_calls:
        name = effective(index.contexts[path], call)
        if name not in _FRAME_TRANSFORMS or (path, call.scope) in shared or (path, call.line) in reported \
                or (path, call.scope) in dup_scopes:
            continue
        t = train_by_name.get(name)
        if t is None or (t.path, t.call.line) == (path, call.line) or not same_project(ctx, path, t.path):
            continue
        reported.add((path, call.line))
        diff = _kw_diff(call, t.call)
        yield Hit(path, call.line, f"{label} encodes features with {name} at {path}:{call.line} and training "
                                   f"repeats the encoding separately at {t.path}:{t.call.line}{diff}; a shared "
                                   "preprocessing step would keep them identical.",
                  cell=call.cell, key=f"inline:{name}@{call.scope}")


def _kw_diff(a: Call, b: Call) -> str:
    ka = {k for k, _ in a.kwargs}
    kb = {k for k, _ in b.kwargs}
    if ka == kb:
        return ""
    only_train = sorted(kb - ka)
    only_serve = sorted(ka - kb)
    parts = []
    if only_train:
        parts.append(f"training also passes {', '.join(only_train)}")
    if only_serve:
        parts.append(f"serving also passes {', '.join(only_serve)}")
    return " (" + "; ".join(parts) + ")"
