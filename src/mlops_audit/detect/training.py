"""Training entry points and what each one logs: a pure view over Facts + RepoIndex.

A *training entry point* is something a person or a scheduler starts that ends
up fitting a model: a script (``if __name__ == "__main__"``, or module-level
code in a file no other module imports), a notebook, a CLI command
(click/typer/hydra), a request handler, or an orchestrator step no script
reaches. Fitting counts when it is reached through repository helpers too
(``scripts/train.py`` calling ``train_model()`` from ``src/models.py``),
following calls up to three helper levels (detect/calls.py), callbacks passed
by name, class constructors and methods of objects built from repository
classes.

For each entry point the view records which tracking mechanisms are reachable
(detect/run_tracking.py): direct tracker calls (MLflow, W&B, DVCLive,
TensorBoard, ...), framework integrations (Lightning loggers and the Lightning
default logger, Hugging Face ``report_to``, accelerate trackers, Keras
callbacks, autolog), Hydra ``_target_`` loggers, and pipeline systems that
record runs by themselves (a DVC stage, an MLproject entry point,
ZenML/Metaflow steps).
"""
from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .._patterns import lazy
from ..facts import Call, ConfigDoc, Expr, Facts, Function, Ref
from .calls import DEPTH, Reached, backpropagates_loss, calls_in, effective, targets, walk_from
from .context import FileContext, RepoIndex
from .matcher import normalize_qualname
from .run_tracking import (
    IMPLIED, TRACKER_ROOTS, TrackingUse, config_tracking, dvc_stage_scripts, dvc_stage_tracking, imported_roots,
    mlproject_scripts, tracking_uses_of,
)
from .serving import Route

__all__ = ["EntryPoint", "TrainingView", "training_view", "fit_kind", "STEP_DECORATORS", "CLI_DECORATORS"]

_K = frozenset

_PREPROC = lazy(r"(?i)scaler|encoder|vectori[sz]er|imputer|transformer$|tokeni[sz]er|\bpca\b|pca\.|"
                      r"normali[sz]er|binarizer|discreti[sz]er|selector|featurizer|preprocess|"
                      r"sklearn\.(preprocessing|feature_extraction|feature_selection|decomposition|impute)\.")
_BOOST_TRAIN = {"xgboost.train", "lightgbm.train", "catboost.train", "xgboost.cv", "lightgbm.cv"}
_NOT_FIT_ROOTS = ("scipy.", "numpy.", "statsmodels.distributions", "sentencepiece.", "tokenizers.", "spacy.tokens")
STEP_DECORATORS = ("zenml.step", "zenml.steps.step", "prefect.task", "prefect.flow", "dagster.op", "dagster.asset",
                   "airflow.decorators.task", "kfp.dsl.component", "kfp.v2.dsl.component", "flytekit.task",
                   "metaflow.step")
CLI_DECORATORS = ("click.command", "click.group", "hydra.main", "typer.Typer.command")
_TRACKING_STEP = {"zenml": ("zenml.step", "zenml.steps.step"), "metaflow": ("metaflow.step",)}



_FIT_METHODS = frozenset({"fit", "fit_generator", "train", "backward", "learn"})


def fit_kind(ctx: FileContext, call: Call, scope_calls: Iterable[Call] = ()) -> str | None:
    """Why this call fits a model (``fit``, ``train``, ``boost``, ``loop``), or None.

    ``model.train()`` without arguments is PyTorch's mode switch, not fitting;
    ``loss.backward()`` counts only with an optimizer step in the same function.
    """
    m = call.qualname.rpartition(".")[2]
    if m not in _FIT_METHODS:
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
    if not backpropagates_loss(call):
        return None
    for other in scope_calls:
        if other.method == "step" and re.search(r"(?i)optim|opt\.step$|^opt|scaler|accelerator|sched",
                                               normalize_qualname(other.qualname)):
            return "loop"
    return None


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
        """What the entry point's runs record, including what each tracker records by itself."""
        out: set[str] = set()
        for t in self.tracking:
            out |= t.kinds
            out |= IMPLIED.get(t.tool, frozenset())
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
    if not fn.decorators:
        return False
    prefixes = tuple(p + "." for p in patterns)
    for d in fn.decorators:
        name = normalize_qualname(d.qualname)
        obj, _, meth = name.rpartition(".")
        if name in patterns or name.startswith(prefixes):
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
                yield ctx, "cli", fn.qualname, fn.qualname, fn.line, calls_in(ctx, fn)
    for r in routes:
        ctx = index.contexts.get(r.file)
        fn = ctx.functions.get(r.function) if ctx else None
        if ctx and fn and not ctx.py.is_test:
            yield ctx, "route", f"{'/'.join(r.methods)} {r.path}".strip(), fn.qualname, fn.line, calls_in(ctx, fn)
    for path, ctx in ordered:
        flows = {c.name for c in ctx.py.classes if any(b.endswith("FlowSpec") for b in c.bases)}
        for fn in ctx.py.functions:
            if _decorated(fn, STEP_DECORATORS, ctx) and (fn.class_name in flows or not fn.class_name
                                                           or "metaflow" not in str(fn.decorators)):
                yield ctx, "step", fn.qualname, fn.qualname, fn.line, calls_in(ctx, fn)


def _targets_of(index: RepoIndex, ctx: FileContext, call: Call) -> list[tuple[FileContext, Function]]:
    return [t for t in targets(index, ctx, call) if not t[0].py.is_test]


def _fits_within(index: RepoIndex, ctx: FileContext, fn: Function, depth: int,
                 memo: dict[tuple[str, str, int], bool], fit_names: frozenset[str] | None) -> bool:
    """Whether ``fn`` or a repository function it calls (``depth`` more levels) fits a model.

    One level above the bottom only functions that fit themselves count, so only calls that can land in
    one (``_may_land_in``) are resolved there: the widest level of the search costs little.
    """
    key = (ctx.py.path, fn.qualname, depth)
    if key in memo:
        return memo[key]
    memo[key] = False  # cycles
    found = _fn_fits(ctx, fn) or (depth > 0 and any(
        _fits_within(index, t_ctx, t_fn, depth - 1, memo, fit_names)
        for call in calls_in(ctx, fn) if depth > 1 or _may_land_in(call, fit_names)
        for t_ctx, t_fn in _targets_of(index, ctx, call)))
    memo[key] = found
    return found


def _fit_names(index: RepoIndex) -> frozenset[str] | None:
    """The last segments of the qualified names of functions that fit a model themselves (``_fn_fits``), and
    the class of such an ``__init__``; None when a module-level function named ``__init__`` fits."""
    names: set[str] = set()
    for ctx in index.contexts.values():
        if ctx.py.is_test:
            continue  # test functions are never followed into (_targets_of)
        for scope in _fitting_scopes(ctx):
            parts = scope.split(".")
            for i in range(1, len(parts) + 1):
                if ".".join(parts[:i]) not in ctx.functions:
                    continue
                if i == 1 and parts[0] == "__init__":
                    return None
                names.add(parts[i - 1])
                if parts[i - 1] == "__init__":
                    names.add(parts[i - 2])
    return frozenset(names)


def _may_land_in(call: Call, names: frozenset[str] | None) -> bool:
    """Whether a target of ``call`` (``targets``) can be a function named in ``names`` (``_fit_names``).

    Every way ``targets`` finds a function keeps a name segment: the function's last segment is the last
    segment of the called name once ``()`` is dropped (typing a receiver replaces only its head), or of a
    name passed as an argument; a constructor's ``__init__`` follows its class's segment.
    """
    if names is None or normalize_qualname(call.qualname).rpartition(".")[2] in names:
        return True
    return any(isinstance(arg, Ref) and arg.qualname.rpartition(".")[2] in names
               for arg in (*call.args, *(v for _, v in call.kwargs)))


def _fn_fits(ctx: FileContext, fn: Function) -> bool:
    """``_any_fit`` over ``calls_in(ctx, fn)``, answered from the scopes of the file's fitting calls."""
    scopes = _fitting_scopes(ctx)
    if not scopes:
        return False
    prefix = fn.qualname + "."
    return any(s == fn.qualname or s.startswith(prefix) for s in scopes)


def _fitting_scopes(ctx: FileContext) -> frozenset[str]:
    """Scopes of the calls that fit a model in this file (computed once per file; most files have none)."""
    return ctx.once("fit_scopes", _find_fitting_scopes, ctx)


def _find_fitting_scopes(ctx: FileContext) -> frozenset[str]:
    return frozenset(c.scope for c in ctx.calls_among(ctx.calls_by_method, _FIT_METHODS)
                     if fit_kind(ctx, c, ctx.calls_by_scope.get(c.scope, ())))


def _any_fit(ctx: FileContext, calls: list[Call]) -> bool:
    for call in calls:
        if call.qualname.rpartition(".")[2] in _FIT_METHODS and fit_kind(ctx, call,
                                                                           ctx.calls_by_scope.get(call.scope, ())):
            return True
    return False


def _may_fit(index: RepoIndex, ctx: FileContext, start: list[Call], memo: dict[tuple[str, str, int], bool],
             fit_names: frozenset[str] | None) -> bool:
    """Cheap, memoized pre-check before the full walk of a candidate entry point."""
    if _any_fit(ctx, start):
        return True
    return any(_fits_within(index, t_ctx, t_fn, DEPTH - 1, memo, fit_names)
               for call in start for t_ctx, t_fn in _targets_of(index, ctx, call))


def training_view(facts: Facts, index: RepoIndex, routes: list[Route]) -> TrainingView:
    """Every training entry point with its reach and tracking (see ``_training_view``).

    The walk allocates many small objects over a large, long-lived heap of facts; cyclic garbage
    collection would rescan that heap again and again for nothing, so it is paused meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _training_view(facts, index, routes)
    finally:
        if was_enabled:
            gc.enable()


def _training_view(facts: Facts, index: RepoIndex, routes: list[Route]) -> TrainingView:
    """Every training entry point with its reach and tracking.

    Functions (CLI commands, handlers, steps) reached by a script or by a wider function entry point are
    part of that entry point, not entry points of their own: candidates are accepted scripts and notebooks
    first, then functions by decreasing reach.
    """
    cfg_tracking = config_tracking(facts)
    dvc_stages = dvc_stage_scripts(facts)
    mlproject = mlproject_scripts(facts)
    computed: list[tuple[EntryPoint, FileContext, str]] = []
    memo: dict[tuple[str, str, int], bool] = {}
    fit_names = _fit_names(index)
    for ctx, kind, label, fn_name, line, start in _entry_candidates(index, routes):
        if not _may_fit(index, ctx, start, memo, fit_names):
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
        _attach_tracking(entry, index, facts, cfg_tracking, dvc_stages, mlproject)
        entries.append(entry)
    entries.sort(key=lambda e: (e.kind == "notebook", e.path, e.line))
    return TrainingView(entries, cfg_tracking)


def _imported_module_calls(index: RepoIndex, ctx: FileContext) -> list[Reached]:
    """Module-level tracker calls of imported repository modules (``mlflow.autolog()`` in a config module)."""
    out: list[Reached] = []
    modules = index.modules
    for imp in ctx.py.imports:
        mod = imp.module.lstrip(".")
        path = modules.get(mod)
        if path is None or path == ctx.py.path:
            continue
        other = index.contexts.get(path)
        if other is None or other.py.is_test:
            continue
        out.extend(_module_tracker_calls(other))
    return out


def _module_tracker_calls(ctx: FileContext) -> list[Reached]:
    """Module-level calls into a tracker's package, as reached through an import (memoized per file: the
    same modules are imported by many entry points)."""
    return ctx.once("module_tracker_calls", _find_module_tracker_calls, ctx)


def _find_module_tracker_calls(ctx: FileContext) -> list[Reached]:
    return [Reached(ctx.py.path, call, ("<import>",), call) for call in ctx.calls_by_scope.get("<module>", [])
            if call.qualname.split(".", 1)[0] in TRACKER_ROOTS]


def _attach_tracking(entry: EntryPoint, index: RepoIndex, facts: Facts, cfg_tracking: list[TrackingUse],
                     dvc_stages: dict[str, ConfigDoc], mlproject: dict[str, ConfigDoc]) -> None:
    roots_cache: dict[str, set[str]] = {}
    hydra = False
    for r in entry.reach:
        ctx = index.contexts[r.path]
        roots = roots_cache.get(r.path)
        if roots is None:
            roots = roots_cache[r.path] = imported_roots(ctx.py)
        entry.tracking.extend(tracking_uses_of(ctx, r.call, roots))
        # typing a receiver keeps the method, so the name without "()" must end like Hydra's: a cheap pre-test
        if not hydra and normalize_qualname(r.call.qualname).endswith(("instantiate", "call", "main")):
            name = effective(ctx, r.call)
            hydra = name in ("hydra.utils.instantiate", "hydra.utils.call") or name.endswith("hydra.main")
    # framework integrations that log by default
    for f in entry.fits:
        integ = _fit_integration(index, index.contexts[f.path], f, entry)
        if isinstance(integ, str):
            entry.unknown = entry.unknown or integ
        elif integ is not None:
            entry.tracking.append(integ)
    if any(_decorated_step(index, r, "zenml") for r in entry.fits):
        zenml_kinds = _K({"run", "params", "artifacts", "model", "dataset", "code", "env"})
        entry.tracking.append(TrackingUse("zenml", zenml_kinds,
                                          entry.path, entry.line, "ZenML step (artifacts and lineage tracked)",
                                          explicit=False))
    if any(_decorated_step(index, r, "metaflow") for r in entry.fits):
        entry.tracking.append(TrackingUse("metaflow", _K({"run", "params", "artifacts", "model", "code"}),
                                          entry.path, entry.line, "Metaflow step (artifacts tracked)", explicit=False))
    if hydra:
        for t in cfg_tracking:
            entry.tracking.append(t)
    if not entry.logged and not entry.unknown:
        for f in entry.fits:
            for key in ("callbacks", "logger", "loggers"):
                value = f.call.kw(key)
                items = value if isinstance(value, tuple) else (value,)
                if any(isinstance(v, Ref) for v in items):
                    entry.unknown = f"the fit receives {key} built elsewhere"
    doc = dvc_stages.get(entry.path)
    if doc is not None:
        entry.tracking.append(dvc_stage_tracking(entry.path, doc, facts))
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
