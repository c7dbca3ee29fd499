"""Testing and evaluation: code is tested, models are tested for quality, and nothing is promoted without
passing an evaluation gate bound to the exact model version."""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.calls import effective, walk_from
from ..detect.run_tracking import dvc_stage_scripts as _stage_scripts
from ..facts import Call
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._training_util import (
    code_contexts, entries, literal_path, promotion_sites, registry_sites,
)

__all__: list[str] = []

_BRECK = "Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness'"


def _anchor(ctx: RuleContext) -> tuple[str | None, int | None, int | None, str]:
    """The most relevant place for a repository-level testing finding: the first training entry point."""
    es = sorted(entries(ctx), key=lambda e: (e.kind == "notebook", e.path))
    if es:
        e = es[0]
        path, line, cell = e.anchor
        return path, line, cell, e.label
    if ctx.detection.routes:
        r = ctx.detection.routes[0]
        return r.file, r.line, None, f"{r.file} ({'/'.join(r.methods)} {r.path})"
    return None, None, None, ""


def _ml_code(ctx: RuleContext) -> bool:
    det = ctx.detection
    return bool(entries(ctx) or det.training_files or det.inventory.frameworks or det.present("serving"))


@rule(id="TST001", name="no-tests", area="testing", severity=Severity.HIGH,
      title="ML code without automated tests",
      rationale="Without tests, every change to feature code, data loading or serving can silently break the "
                "model path; the first signal is a production incident. Unit tests of feature logic and a smoke "
                f"test of training and prediction are the first rung of ML testing ({_BRECK}).",
      remediation={
          "default": "Add tests/ with pytest: unit tests of feature functions, a smoke test that trains on a tiny "
                     "sample and predicts, and a test that the serving handler rejects invalid input.\n"
                     "def test_predict_shape(model, sample):\n    assert model.predict(sample).shape == "
                     "(len(sample),)",
      },
      seeds=("K05", "G06"), references=(_BRECK,), principle="testing", tools=("pytest",), fixable=True,
      stakes_sensitive=False,
      bad="(ML code, no tests/ directory)", good="tests/test_features.py, tests/test_train_smoke.py")
def no_tests(ctx: RuleContext) -> Iterator[Hit]:
    """Once: ML code exists and no collected test function does."""
    if ctx.detection.present("unit_tests") or not _ml_code(ctx):
        return
    path, line, cell, label = _anchor(ctx)
    if path is None:
        yield Hit(None, None, "the repository has ML code but no automated tests (no pytest or unittest test "
                              "functions).", key="no-tests")
        return
    yield Hit(path, line, f"{label} has no automated tests: the repository contains no pytest or unittest test "
                          "functions.", cell=cell, key="no-tests")


@rule(id="TST002", name="no-model-quality-tests", area="testing", severity=Severity.MEDIUM,
      title="Tests never check the trained model's quality",
      rationale="Unit tests of code do not catch a model that got worse: a silent label bug or a bad feature "
                "leaves every test green. A test that trains (or loads) the model and asserts a metric "
                "threshold, an invariance or a directional expectation on a golden set catches it "
                f"({_BRECK}; seed items K05, H03, H12).",
      remediation={
          "default": "def test_model_quality(trained_model, golden):\n    proba = trained_model.predict_proba("
                     "golden.X)[:, 1]\n    assert roc_auc_score(golden.y, proba) >= 0.80\n"
                     "    assert f1_score(golden.y, proba > 0.5) >= 0.60",
      },
      seeds=("K05", "H03", "H12"), references=(_BRECK,), principle="testing", tools=("pytest",),
      stakes_sensitive=False,
      bad="def test_train_runs():\n    train(sample)", good="def test_quality():\n    assert auc(model, golden) >= 0.8")
def no_model_quality_tests(ctx: RuleContext) -> Iterator[Hit]:
    """Once: tests exist, a model is trained, and no test asserts on model quality."""
    det = ctx.detection
    if not det.present("unit_tests") or det.present("model_tests") or not entries(ctx):
        return
    if _behavioural_tests(ctx):
        return
    tests = det.inventory.capabilities["unit_tests"].evidence
    if not tests:
        return
    first = sorted(tests, key=lambda e: (e.path, e.line or 0))[0]
    files = sorted({t.path for t in tests})
    more = len(files) - 1
    where = first.path if not more else f"{first.path} and {more} more file{'s' if more > 1 else ''}"
    es = sorted(entries(ctx), key=lambda e: (e.kind == "notebook", e.path))
    yield Hit(first.path, None, f"tests exist ({where}) but none asserts on the quality of the "
                                f"model trained by {es[0].label}: no metric threshold, invariance or golden-set "
                                "check.", key="no-model-tests")


_BEHAVIOUR = lazy(r"(?i)invarian|directional|(^|_)mft($|_)|behavio|golden|quality|metric|accuracy|(^|_)f1|auc|"
                        r"regression|perf(ormance)?|slice|fairness|bias|robust")


def _behavioural_tests(ctx: RuleContext) -> bool:
    """Test functions that assert on a model's behaviour: invariance, directional, golden-set or metric tests
    named as such, or tests under a tests/model*/ or tests/eval*/ folder that assert on predictions."""
    for fctx in code_contexts(ctx, include_tests=True):
        py = fctx.py
        if not py.is_test:
            continue
        in_model_dir = bool(re.search(r"(^|/)tests?/(model|eval|behavio)", py.path))
        asserting = {c.scope for c in py.compares if c.context == "assert"}
        for fn in py.functions:
            if not fn.name.startswith("test") or fn.qualname not in asserting:
                continue
            if _BEHAVIOUR.search(fn.name):
                return True
            if in_model_dir and any(p.name in ("model", "predictor", "trained_model", "pipeline", "clf")
                                    for p in fn.params):
                return True
    return False


# -- TST003 ---------------------------------------------------------------------

def _deploy_sites(ctx: RuleContext):
    out = []
    for fctx in code_contexts(ctx):
        for call in fctx.calls_among(fctx.calls_by_method, ("deploy", "create_deployment", "create")):
            name = effective(fctx, call)
            if re.search(r"^sagemaker\..*\.deploy$|^mlflow\.deployments\.\w+\.create_deployment$|"
                         r"\.create_deployment$|^bentoml\.deployment\.create$", name):
                out.append((fctx.py.path, call, name))
    return out


@rule(id="TST003", name="no-evaluation-gate", area="testing", severity=Severity.CRITICAL,
      title="Models are registered, promoted or deployed without an evaluation gate",
      rationale="Without an automated gate that compares the candidate's metrics with a threshold or with the "
                "production model, any model that finishes training goes live, including a broken one. The "
                "gate is what makes continuous training safe (Google Cloud MLOps level 2; seed items C24, G06).",
      remediation={
          "mlflow": "metrics = evaluate(candidate, holdout)\nchampion = client.get_model_version_by_alias('churn', "
                    "'champion')\nif metrics['auc'] < max(0.80, champion_auc - 0.01):\n    raise SystemExit("
                    "'candidate below gate')\nclient.set_registered_model_alias('churn', 'champion', version)",
          "default": "Before registering or promoting: compute holdout metrics, compare them with a fixed threshold "
                     "and with the current production model, and stop (raise / exit non-zero) when the "
                     "candidate falls short.",
      },
      seeds=("C24", "G06", "H13"), references=(_BRECK, "Google Cloud MLOps: level 2"), principle="testing",
      tools=("mlflow",),
      bad="model.fit(X, y)\nmlflow.sklearn.log_model(model, 'm', registered_model_name='churn')",
      good="if auc < 0.80:\n    raise SystemExit('below gate')\nmlflow.sklearn.log_model(model, 'm', "
           "registered_model_name='churn')")
def no_evaluation_gate(ctx: RuleContext) -> Iterator[Hit]:
    """Once: a trained model is registered, promoted, pushed or deployed and no evaluation gate exists."""
    det = ctx.detection
    if det.present("evaluation_gate") or not (entries(ctx) or det.training_files):
        return
    candidates: list[tuple[int, str, Call, str]] = []
    for s in promotion_sites(ctx):
        candidates.append((0, s.path, s.call, "promotes"))
    for path, call, name in _deploy_sites(ctx):
        candidates.append((1, path, call, "deploys"))
    for s in registry_sites(ctx):
        if s.name.startswith("bentoml."):
            continue
        verb = "pushes" if "push_to_hub" in s.name or "upload" in s.name else "registers"
        candidates.append((2, s.path, s.call, verb))
    if not candidates:
        return
    candidates.sort(key=lambda c: (c[0], c[1], c[2].cell or 0, c[2].line))
    _, path, call, verb = candidates[0]
    yield Hit(path, call.line, f"{path}:{call.line} {verb} a model ({call.qualname.replace('()', '')}) and no code "
                               "compares its metrics with a threshold or the production model before it does: "
                               "a worse model goes through unchecked.", cell=call.cell, key="evaluation-gate")


# -- TST004 ---------------------------------------------------------------------

_MODEL_LOAD = lazy(r"^(joblib\.load|pickle\.load|dill\.load|torch\.load|tensorflow\.keras\.models\.load_model|"
                         r"keras\.models\.load_model|sklearn\.externals\.joblib\.load|skops\.io\.load)$")
_MODEL_FILE = lazy(r"(?i)\.(pkl|pickle|joblib|pt|pth|ckpt|h5|keras|sav)$")
_METRIC_OUT = lazy(r"(?i)metric|score|eval|result")
_METRIC_FUNC = lazy(r"^sklearn\.metrics\.\w+|^torchmetrics\.|^evaluate\.load")
_IDENTITY = lazy(r"^hashlib\.|(^|\.)(md5|sha1|sha256|file_digest|getmtime)$|^mlflow\.(log_model|.*\.log_model|"
                       r"register_model|log_artifact)|^mlflow\.evaluate|^wandb\.use_artifact|^dvc\.api\.")


def _eval_scripts(ctx: RuleContext) -> Iterator[tuple[str, list]]:
    """Non-training scripts and notebooks with their reach (training entry points bind metrics in-process)."""
    index = ctx.detection.index
    training = {e.path for e in entries(ctx) if e.kind in ("script", "notebook")}
    for fctx in code_contexts(ctx):
        py = fctx.py
        if py.path in training:
            continue
        if not (py.has_main or py.path.endswith(".ipynb")):
            continue
        if not any(c.qualname.split(".", 1)[0] in ("joblib", "pickle", "dill", "torch", "keras", "tensorflow",
                                                   "skops", "sklearn")
                   for c in fctx.calls_among(fctx.calls_by_method, ("load", "load_model"))):
            continue  # the fixed-path model load must be in the script itself
        reach = list(walk_from(index, fctx, list(fctx.calls_by_scope.get("<module>", [])), depth=2))
        yield py.path, reach


def _dvc_stage_scripts(ctx: RuleContext) -> set[str]:
    return set(_stage_scripts(ctx.facts))


@rule(id="TST004", name="evaluation-not-bound-to-model-version", area="testing", severity=Severity.MEDIUM,
      title="Evaluation results are not tied to the exact model they measured",
      rationale="An evaluation script that loads 'model.pkl' from a fixed path and writes metrics without the "
                "model's hash or version produces numbers nobody can attribute: after the next retrain the same "
                "metrics file silently describes a different model (seed item H27).",
      remediation={
          "mlflow": "Evaluate a registered version: model = mlflow.pyfunc.load_model(f'models:/churn/{version}') "
                    "and log the metrics in that version's run (mlflow.evaluate or log_metrics with "
                    "run_id=mv.run_id).",
          "dvc": "Make evaluation a dvc.yaml stage with the model file as a dependency: dvc.lock then binds the "
                 "metrics to the model's hash.",
          "default": "Record the model file's sha256 (or registry version) next to the metrics: "
                     "metrics['model_sha256'] = hashlib.sha256(open(path, 'rb').read()).hexdigest()",
      },
      seeds=("H27",), references=(_BRECK,), principle="testing", tools=("mlflow", "dvc"), stakes_sensitive=False,
      bad="model = joblib.load('model.pkl')\njson.dump({'auc': auc}, open('metrics.json', 'w'))",
      good="json.dump({'auc': auc, 'model_sha256': sha}, open('metrics.json', 'w'))")
def evaluation_not_bound_to_model_version(ctx: RuleContext) -> Iterator[Hit]:
    """Scripts that load a model from a fixed file, compute metrics and write them with no model identity."""
    if not entries(ctx):
        return
    index = ctx.detection.index
    dvc = _dvc_stage_scripts(ctx)
    for path, reach in _eval_scripts(ctx):
        if path in dvc:
            continue
        load = None
        computes = False
        writes = None
        identity = False
        for r in reach:
            fctx = index.contexts[r.path]
            call = r.call
            name = effective(fctx, call)
            if load is None and _MODEL_LOAD.search(name):
                target = _fixed_model_path(fctx, call)
                if target:
                    load = (r, target)
            if _METRIC_FUNC.search(name):
                computes = True
            if writes is None and _writes_metrics(fctx, call, name):
                writes = r
            if _IDENTITY.search(name):
                identity = True
        if load is None or not computes or writes is None or identity:
            continue
        r, target = load
        yield Hit(r.path, r.call.line, f"{path} evaluates the model loaded from the fixed path {target!r} "
                                       f"({r.call.qualname} at {r.path}:{r.call.line}) and writes metrics "
                                       f"({writes.call.qualname} at {writes.path}:{writes.call.line}) without the "
                                       "model's hash or version: the numbers cannot be tied to a model after the "
                                       "next retrain.", cell=r.call.cell, key=f"{path}|{r.call.qualname}")


def _fixed_model_path(fctx, call: Call) -> str | None:
    lit = literal_path(fctx, call.args[0] if call.args else call.kw("filename", call.kw("f")), call.scope)
    if lit is None and call.qualname.split(".")[0] in ("pickle", "joblib", "dill"):
        for c in fctx.calls_by_scope.get(call.scope, []):
            if c.qualname == "open" and c.args and isinstance(c.args[0], str) and _MODEL_FILE.search(c.args[0]):
                return c.args[0]
        return None
    if lit and _MODEL_FILE.search(lit) and not re.search(r"\{|%", lit):
        return lit
    return None


def _writes_metrics(fctx, call: Call, name: str) -> bool:
    if name in ("json.dump", "yaml.dump", "yaml.safe_dump"):
        target = call.args[1] if len(call.args) > 1 else call.kw("fp", call.kw("stream"))
        lit = literal_path(fctx, target, call.scope)
        if lit and _METRIC_OUT.search(lit):
            return True
        for c in fctx.calls_by_scope.get(call.scope, []):
            if c.qualname == "open" and c.args and isinstance(c.args[0], str) and _METRIC_OUT.search(c.args[0]) \
                    and len(c.args) > 1 and isinstance(c.args[1], str) and "w" in c.args[1]:
                return True
        return False
    if call.method in ("to_csv", "to_json", "write_text") and call.args:
        lit = literal_path(fctx, call.args[0], call.scope)
        return bool(lit and _METRIC_OUT.search(lit))
    if name in ("mlflow.log_metric", "mlflow.log_metrics", "wandb.log") or name.startswith("dvclive.Live.log_metric"):
        return True
    return False
