"""Pipelines, retraining and CI/CD: training is a reproducible pipeline, retraining is triggered
automatically, and CI runs the tests on every change (seed items C22, C23, K02, G10)."""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.config_caps import CI_TOOLS, TEST_COMMAND, ci_commands
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._training_util import entries

__all__: list[str] = []

_GOOGLE = "Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning'"


def _first_entry(ctx: RuleContext):
    es = sorted(entries(ctx), key=lambda e: (e.kind == "notebook", e.path))
    return es[0] if es else None


@rule(id="AUT001", name="no-pipeline-definition", area="automation", severity=Severity.HIGH,
      title="Training is not defined as a pipeline",
      rationale="When training is a script someone runs by hand, the steps (data extraction, validation, "
                "training, evaluation, registration) and their order live in a person's head: runs are not "
                "repeatable and cannot be scheduled or triggered. A pipeline definition is MLOps level 1 "
                f"({_GOOGLE}; seed items C23, K02).",
      remediation={
          "dvc": "dvc stage add -n train -d src/train.py -d data/train.csv -p train -o model.pkl "
                 "python src/train.py   # then: dvc repro",
          "zenml": "@step\ndef train(df: pd.DataFrame) -> ClassifierMixin: ...\n@pipeline\ndef training():\n"
                   "    train(load())",
          "prefect": "@flow\ndef training():\n    df = load_data()\n    model = train(df)\n    evaluate(model)",
          "default": "Describe the training steps in a pipeline tool the team can run and schedule (DVC stages "
                     "for a light start; Prefect, Airflow, Kubeflow or ZenML for orchestration).",
      },
      seeds=("C23", "K02", "K01"), references=(_GOOGLE,), principle="automation", tools=("dvc", "prefect", "zenml"),
      fixable=True,
      bad="python train.py  # by hand, steps in a README",
      good="dvc.yaml with prepare -> train -> evaluate stages; dvc repro")
def no_pipeline_definition(ctx: RuleContext) -> Iterator[Hit]:
    """Once: training entry points exist and no pipeline or orchestrator defines them."""
    if ctx.detection.present("pipeline_orchestration"):
        return
    e = _first_entry(ctx)
    if e is None:
        return
    path, line, cell = e.anchor
    n = len(entries(ctx))
    others = f" (and {n - 1} other training entry point{'s' if n > 2 else ''})" if n > 1 else ""
    yield Hit(path, line, f"{e.label}{others} trains a model outside any pipeline definition (no DVC stages, "
                          "Airflow, Kubeflow, Prefect, ZenML, ...): the training steps cannot be re-run, "
                          "scheduled or triggered as a unit.", cell=cell, key="pipeline")


@rule(id="AUT002", name="no-retraining-trigger", area="automation", severity=Severity.HIGH,
      title="Served or registered model is never retrained automatically",
      rationale="Data drifts; a model served for months without retraining decays silently. A schedule, a "
                "data-volume trigger or a drift alert that starts the retrain-validate-deploy loop is what "
                f"keeps it current (MLOps level 2, {_GOOGLE}; seed items C22, G10).",
      remediation={
          "github_actions": "on:\n  schedule:\n    - cron: '0 3 * * 1'   # weekly\njobs:\n  retrain:\n"
                            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                            "      - run: dvc repro   # or python -m pipeline.train",
          "airflow": "DAG('retrain', schedule='@weekly', ...)",
          "prefect": "training.serve(name='weekly-retrain', cron='0 3 * * 1')",
          "default": "Trigger retraining on a schedule (CI cron, orchestrator schedule, Kubernetes CronJob) or on "
                     "a drift/data-volume signal, and run evaluation and registration in the same pipeline.",
      },
      seeds=("C22", "G10", "K02"), references=(_GOOGLE,), principle="automation",
      tools=("github_actions", "airflow", "prefect"),
      bad="(a served model; training only by hand)", good="scheduled CI job running the training pipeline weekly")
def no_retraining_trigger(ctx: RuleContext) -> Iterator[Hit]:
    """Once: a trained model is served or registered and no schedule or trigger retrains it."""
    det = ctx.detection
    if det.present("scheduled_retraining") or not (det.present("serving") or det.present("model_registry")):
        return
    e = _first_entry(ctx)
    if e is None:
        return
    pipe = det.inventory.capabilities["pipeline_orchestration"]
    state = "served" if det.present("serving") else "registered"
    training_files = {r.path for en in entries(ctx) for r in en.reach} | {en.path for en in entries(ctx)}
    pipe_ev = [ev for ev in pipe.evidence if ev.path in training_files and ev.line is not None]
    if pipe.present and pipe_ev:
        ev = pipe_ev[0]
        yield Hit(ev.path, ev.line, f"the model trained by {e.label} is {state}, and the pipeline defined at "
                                    f"{ev.path}:{ev.line} is never started by a schedule, new data or drift "
                                    "(no CI cron, orchestrator schedule, CronJob or drift trigger).", cell=ev.cell,
                  key="retraining")
        return
    path, line, cell = e.anchor
    yield Hit(path, line, f"the model trained by {e.label} is {state} but only retrained by hand: no schedule, "
                          "CronJob, orchestrator trigger or drift alert starts training.", cell=cell,
              key="retraining")


_MAYBE_TESTS = lazy(r"(^|[\s;&|])(make(\s*$|\s+(ci|all|check\w*|verify|validate|qa|tests?\w*))|"
                          r"(bash|sh|\./|python\d*\s+)\S*(ci|check|verify|test|qa)\S*)(\s|$)")
_SCRIPTISH = (".sh", ".bash", ".yaml", ".yml", ".ps1", ".bat", ".cmd", ".mk")


def _ci_docs(ctx: RuleContext):
    return [d for d in ctx.facts.configs if d.kind in CI_TOOLS]


def _delegates(ctx: RuleContext) -> bool:
    """CI calls a reusable workflow, a repository script or job spec, or a wrapper target that may run the
    tests: the audit cannot see inside, so it does not judge."""
    files = ctx.facts.file_paths()
    for doc in _ci_docs(ctx):
        data = doc.data if isinstance(doc.data, dict) else {}
        jobs = data.get("jobs")
        if isinstance(jobs, dict) and any(isinstance(j, dict) and "uses" in j for j in jobs.values()):
            return True
        for cmd, _ in ci_commands(doc):
            if _MAYBE_TESTS.search(cmd):
                return True
            for token in re.findall(r"[\w./-]+", cmd):
                token = token[2:] if token.startswith("./") else token
                if token != doc.path and token.endswith(_SCRIPTISH) and token in files:
                    return True
    return False


@rule(id="AUT003", name="ci-does-not-run-tests", area="automation", severity=Severity.HIGH,
      title="CI runs but never executes the test suite",
      rationale="A CI pipeline that lints or builds without running the tests gives a green check to changes "
                "that break feature code or the model path; the tests only help when every change runs them "
                "(seed item K02, CI/CD level of automation).",
      remediation={
          "github_actions": "      - run: pip install -r requirements.txt pytest\n      - run: pytest -q",
          "gitlab_ci": "test:\n  script:\n    - pip install -r requirements.txt pytest\n    - pytest -q",
          "default": "Add a CI step that installs the project and runs the test suite (pytest) on every push and "
                     "pull request.",
      },
      seeds=("K02", "K05"), references=(_GOOGLE,), principle="automation", tools=("github_actions",),
      stakes_sensitive=False,
      bad="steps:\n  - run: flake8 .", good="steps:\n  - run: flake8 .\n  - run: pytest -q")
def ci_does_not_run_tests(ctx: RuleContext) -> Iterator[Hit]:
    """Once, on the first CI file: CI exists, tests exist, and no CI command runs them."""
    det = ctx.detection
    if not det.present("ci") or not det.present("unit_tests") or det.present("ci_runs_tests"):
        return
    docs = sorted(_ci_docs(ctx), key=lambda d: d.path)
    if not docs or _delegates(ctx):
        return
    if any(TEST_COMMAND.search(cmd) for d in docs for cmd, _ in ci_commands(d)):
        return
    paths = list(dict.fromkeys(d.path for d in docs))
    names = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    yield Hit(docs[0].path, 1, f"CI is configured ({names}) and the repository has tests, but no CI step runs "
                               "them (no pytest, tox, nox, unittest or make test).", key="ci-tests")


@rule(id="AUT004", name="no-ci", area="automation", severity=Severity.MEDIUM,
      title="No continuous integration",
      rationale="Without CI nothing runs the tests, the training smoke test or the lint on each change; "
                "breakage is found by whoever runs the code next. CI is the second step on the automation "
                f"ladder ({_GOOGLE}; seed item K02).",
      remediation={
          "default": "Add .github/workflows/ci.yml:\non: [push, pull_request]\njobs:\n  test:\n"
                     "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                     "      - uses: actions/setup-python@v5\n        with: {python-version: '3.11'}\n"
                     "      - run: pip install -r requirements.txt pytest\n      - run: pytest -q",
      },
      seeds=("K02",), references=(_GOOGLE,), principle="automation", tools=("github_actions",), fixable=True,
      stakes_sensitive=False,
      bad="(tests and training code, no CI configuration)", good=".github/workflows/ci.yml running pytest")
def no_ci(ctx: RuleContext) -> Iterator[Hit]:
    """Once, repository-level: tests or training code exist and no CI configuration does."""
    det = ctx.detection
    if det.present("ci"):
        return
    has_tests = det.present("unit_tests")
    if not (has_tests or entries(ctx)):
        return
    what = "tests and training code" if has_tests and entries(ctx) else ("tests" if has_tests else "training code")
    yield Hit(None, None, f"the repository has {what} but no CI configuration (GitHub Actions, GitLab CI, Jenkins, "
                          "...): nothing runs them on each change.", key="no-ci")
