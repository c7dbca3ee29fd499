"""Capabilities evidenced by configuration: CI, Kubernetes, DVC, Hydra, Docker,
Prometheus, Grafana, promptfoo, DeepSpeed and friends.

Every check reads a parsed document (a ConfigDoc), never raw text: a shell
command counts only when it is the value of a CI step, not when it is a word in
a README.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from .._patterns import lazy
from ..facts import ConfigDoc, Facts
from .code_caps import CALL_INDEX
from .evidence import Evidence

__all__ = ["detect_configs", "walk_doc", "ci_commands", "serving_image", "CI_TOOLS", "TEST_COMMAND", "TRAIN_COMMAND",
           "recipe_training_files"]

CI_TOOLS = {
    "github_actions": "github_actions", "gitlab_ci": "gitlab_ci", "circleci": "circleci",
    "azure_pipelines": "azure_pipelines", "bitbucket_pipelines": "bitbucket_pipelines",
    "buildkite": "buildkite", "travis": "travis", "drone": "drone", "jenkins": "jenkins",
    "cloud_build": "google_cloud_build",
}
# Task runners count when the task is named after tests: ``make test-unit``, ``just test``, ``mise run test``,
# ``poe test``, ``task test``, ``invoke test``, ``pixi run test``, ``hatch test``.
TEST_COMMAND = lazy(
    r"(^|[\s;&|(/])(pytest|py\.test|tox|nox|unittest|nosetests|make\s+(\S*(?<![A-Za-z])tests?\b\S*|check)|"
    r"(hatch|poetry|uv|pdm|pipenv)\s+run\s+(pytest|test|tox|nox)|python\d*(\.\d+)?\s+-m\s+(pytest|unittest)|"
    r"bash\s+\S*test\S*\.sh|\./\S*test\S*\.sh|"
    r"(just|mise\s+run|mise|poe|task|invoke|inv|pixi\s+run|rye|hatch)\s+\S*(?<![A-Za-z])tests?\b\S*)(\s|$|[;&|)])")
# ``train`` must start a word part: ``pretrained``, ``constraint`` and ``mytrain`` are not training.
TRAIN_COMMAND = lazy(
    r"(^|[\s;&|/])(\S*(?<![A-Za-z])(re)?train\S*\.py|dvc\s+repro|dvc\s+exp\s+run|mlflow\s+run|kedro\s+run|"
    r"zenml\s+pipeline\s+run|python\d*\s+-m\s+\S*(?<![A-Za-z])(re)?train\S*|\S*(?<![A-Za-z])retrain\S*|"
    r"\S*pipeline\S*\.py|run\.py\s+.*train)")
# Shell segments that set things up rather than run them: installing pytest is not running it.
_SETUP_SEGMENT = lazy(
    r"^\s*(sudo\s+)?(python\d*(\.\d+)?\s+-m\s+)?(pip\d*|uv\s+pip|pipx|poetry\s+add|pdm\s+add|uv\s+add|"
    r"conda|mamba|micromamba|apt(-get)?|brew|npm|yarn|echo|printf)\b")
# Model-server images: a container running one of them serves a model whatever the manifest kind.
_SERVING_IMAGES = (
    ("tf_serving", lazy(r"(^|/)tensorflow/serving([:@]|$)")),
    ("triton", lazy(r"(^|/)(nvidia/)?tritonserver([:@]|$)")),
    ("torchserve", lazy(r"(^|/)pytorch/torchserve([:@-]|$)")),
    ("vllm", lazy(r"(^|/)vllm/vllm-openai([:@]|$)")),
    ("tgi", lazy(r"(^|/)huggingface/text-generation-inference([:@]|$)")),
)
# CLI commands that deploy a model behind an endpoint.
_DEPLOY_COMMANDS = (
    ("azureml", lazy(r"(^|\s)az\s+ml\s+(model\s+deploy|online-deployment\s+create|online-endpoint\s+create)\b")),
    ("vertex", lazy(r"(^|\s)gcloud\s+(beta\s+)?ai\s+endpoints\s+deploy-model\b")),
)


# Commands that start a model server (a notebook's ``!``/``%%bash`` line, a container's CMD or ENTRYPOINT).
_SERVER_COMMANDS = (
    ("tf_serving", lazy(r"(^|[\s/])tensorflow_model_server(\s|$)")),
    ("mlflow_serve", lazy(r"(^|\s)mlflow\s+models\s+serve\b")),
    ("torchserve", lazy(r"(^|[\s/])torchserve\s+--start\b")),
    ("bentoml", lazy(r"(^|\s)bentoml\s+serve\b")),
    ("triton", lazy(r"(^|[\s/])tritonserver\s")),
    ("vllm", lazy(r"(^|\s)vllm\s+serve\b|-m\s+vllm\.entrypoints\.")),
    ("tgi", lazy(r"(^|[\s/])text-generation-launcher\s")),
)
_DOCKER_RUN = lazy(r"(^|\s)docker\s+run\s")


def server_command(command: str) -> str | None:
    """The model server a shell command starts (``tensorflow_model_server --rest_api_port=8501 ...``,
    ``docker run ... tensorflow/serving``, ``mlflow models serve -m ...``), or None."""
    for tool, pattern in _SERVER_COMMANDS:
        if pattern.search(command):
            return tool
    if _DOCKER_RUN.search(command):
        return next((tool for tool in map(serving_image, command.split()) if tool), None)
    return None


def serving_image(image: str) -> str | None:
    """The model server an image reference runs (``tensorflow/serving:2.14`` -> tf_serving), or None."""
    ref = image.strip().lower()
    for tool, pattern in _SERVING_IMAGES:
        if pattern.search(ref):
            return tool
    return None


_K8S_AUTOSCALE = {"HorizontalPodAutoscaler": "k8s_hpa", "ScaledObject": "keda", "ScaledJob": "keda"}
_TRAFFIC_KINDS = {"Rollout": "argo_rollouts", "Canary": "flagger"}


def walk_doc(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every (key path, value) pair of a parsed document, depth first."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from walk_doc(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk_doc(v, path + (i,))


_walk = walk_doc


def ci_commands(doc: ConfigDoc) -> Iterator[tuple[str, int]]:
    """Shell commands a CI document runs, with their lines (GitHub run:, GitLab script:, generic steps)."""
    for path, value in _walk(doc.data):
        if not path:
            continue
        key = path[-1] if not isinstance(path[-1], int) else (path[-2] if len(path) > 1 else "")
        if key in ("run", "script", "before_script", "after_script", "command", "commands", "cmd", "steps",
                   "install", "test", "build", "inlineScript", "bash", "sh", "pwsh", "powershell"):
            if isinstance(value, str):
                yield value, doc.lines.get(path, doc.line)
    if doc.kind == "cloud_build":
        # a build step runs its entrypoint with its args: `entrypoint: python, args: [-m, pytest, tests]`
        steps = doc.data.get("steps") if isinstance(doc.data, dict) else None
        for i, step in enumerate(steps if isinstance(steps, list) else ()):
            if not isinstance(step, dict):
                continue
            args = step.get("args")
            words = [str(step.get("entrypoint") or "")] + ([str(a) for a in args] if isinstance(args, list) else [])
            text = " ".join(w for w in words if w)
            if text:
                yield text, doc.lines.get(("steps", i), doc.line)


def command_segments(cmd: str) -> Iterator[str]:
    """The commands of a CI shell step that run something: comments, installs and echoes dropped."""
    for raw in cmd.splitlines():
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        for seg in re.split(r"&&|\|\||;|\|", line):
            if seg.strip() and not _SETUP_SEGMENT.match(seg):
                yield seg.strip()


def detect_configs(facts: Facts, ev: Evidence) -> None:
    for doc in facts.configs:
        handler = _HANDLERS.get(doc.kind)
        if handler is not None:
            handler(doc, ev)
        if doc.kind in CI_TOOLS:
            _ci(doc, ev)
        if doc.kind == "prefect_deployments":
            _prefect_deployments(doc, ev, facts)
        _hydra_and_targets(doc, ev)
    for df in facts.dockerfiles:
        line = df.instructions[0].line if df.instructions else 1
        ev.add("containerized", "docker", df.path, line, "Dockerfile")
        for ins in df.instructions:
            if ins.instruction == "FROM":
                tool = serving_image(ins.value.split()[0] if ins.value.split() else "")
                if tool:
                    ev.add("serving", tool, df.path, ins.line, f"FROM {ins.value.split()[0]}")
        for ins in df.instructions:
            if ins.instruction == "HEALTHCHECK" and "NONE" not in ins.value.upper():
                ev.add("health_endpoint", "", df.path, ins.line, "HEALTHCHECK")
            if ins.instruction in ("CMD", "ENTRYPOINT"):
                tool = server_command(ins.value.replace('"', " ").replace(",", " "))
                if tool:
                    ev.add("serving", tool, df.path, ins.line, f"{ins.instruction} starts {tool}")
    for nb in facts.notebooks:
        if nb.code.is_test:
            continue
        for cell, line, text in nb.magics:
            tool = server_command(text.lstrip("!%").strip())
            if tool:
                ev.add("serving", tool, nb.path, line, f"{text.strip()[:60]}", cell)
    for pattern in facts.git.lfs_patterns:
        if re.search(r"(?i)\.(csv|tsv|parquet|jsonl|json|feather|arrow|npy|npz|h5|hdf5|zip|tar|gz|xml|txt|avro)\b|data",
                     pattern):
            ev.add("data_versioning", "git_lfs", ".gitattributes", None, f"LFS rule {pattern}")


_PREFECT_SCHEDULE_KEYS = ("cron", "interval", "rrule")


def _prefect_deployments(doc: ConfigDoc, ev: Evidence, facts: Facts) -> None:
    """prefect.yaml: each deployment runs a flow (``entrypoint: flows/train.py:train_flow``). A deployment is a
    pipeline; with ``schedules`` (cron, interval, rrule) whose flow trains, it is scheduled retraining."""
    from .code_caps import TRAIN_WORD, starts_training
    from .context import FileContext

    code = {py.path: py for py in facts.python}
    for i, dep in enumerate(doc.data.get("deployments") or ()):
        if not isinstance(dep, dict) or not isinstance(dep.get("entrypoint"), str):
            continue
        entry = dep["entrypoint"].rsplit(":", 1)[0].lstrip("./")
        base = doc.path.rsplit("/", 1)[0] + "/" if "/" in doc.path else ""
        py = code.get(base + entry) or code.get(entry)
        trains = bool(TRAIN_WORD.search(f"{dep.get('name', '')} {dep['entrypoint']}")) or (
            py is not None and starts_training(FileContext(py)))
        line = doc.lines.get(("deployments", i, "entrypoint"), doc.line)
        if trains:
            ev.add("pipeline_orchestration", "prefect", doc.path, line, f"Prefect deployment {dep['entrypoint']}")
        schedules = dep.get("schedules") or ([dep["schedule"]] if isinstance(dep.get("schedule"), dict) else [])
        timed = [j for j, sch in enumerate(schedules) if isinstance(sch, dict) and any(
            sch.get(k) for k in _PREFECT_SCHEDULE_KEYS) and sch.get("active", True) is not False]
        if trains and timed:
            where = doc.lines.get(("deployments", i, "schedules", timed[0]), line)
            ev.add("scheduled_retraining", "prefect", doc.path, where, f"scheduled Prefect deployment {dep['entrypoint']}")


def _ci(doc: ConfigDoc, ev: Evidence) -> None:
    ev.add("ci", CI_TOOLS[doc.kind], doc.path, doc.line if doc.index == 0 else doc.line, doc.kind)
    schedule = _schedule_line(doc)
    trains = []
    for cmd, line in ci_commands(doc):
        segments = list(command_segments(cmd))
        tests = [seg for seg in segments if TEST_COMMAND.search(seg)]
        if tests:
            ev.add("ci_runs_tests", "", doc.path, line, tests[0][:80])
        if re.search(r"(^|\s)cml(\s|-)", cmd):
            ev.add("ci", "cml", doc.path, line, "cml")
        for tool, pattern in _DEPLOY_COMMANDS:
            hit = next((seg for seg in segments if pattern.search(seg)), None)
            if hit:
                ev.add("serving", tool, doc.path, line, hit[:80])
        if any(TRAIN_COMMAND.search(seg) and not TEST_COMMAND.search(seg) for seg in segments):
            trains.append(line)
    for path, value in _walk(doc.data):
        if path and path[-1] == "uses" and isinstance(value, str) and "setup-cml" in value:
            ev.add("ci", "cml", doc.path, doc.lines.get(path, doc.line), value)
        if doc.kind == "github_actions" and path and path[-1] == "uses" and isinstance(value, str):
            line = doc.lines.get(path, doc.line)
            step = _parent(doc.data, path)
            inputs = step.get("with") if isinstance(step, dict) else None
            action = value.split("@", 1)[0]
            if _TEST_ACTION.search(action) and not _REPORT_ACTION.search(action):
                ev.add("ci_runs_tests", "", doc.path, line, value[:80])
            elif isinstance(inputs, dict) and any(_TEST_INPUT.search(str(k)) and v not in (None, False, "", "false")
                                                  for k, v in inputs.items()):
                ev.add("ci_runs_tests", "", doc.path, line, f"{value[:60]} with test inputs")
    if schedule is not None and trains and not _validates_pull_requests(doc):
        ev.add("scheduled_retraining", doc.kind, doc.path, schedule, "scheduled CI job runs training")


# An action that runs the test suite (``.../tox-github-action``, ``.../pytest-action``), or a step whose inputs
# configure pytest (``pytest-args:`` of an app-testing action).
_TEST_ACTION = lazy(r"(?i)(^|[/_-])(pytest|tox|nox)([/_-]|$)")
_REPORT_ACTION = lazy(r"(?i)result|report|summary|publish|coverage|annotat|comment|upload")
_TEST_INPUT = lazy(r"(?i)(^|[-_])pytest([-_]|$)")


def _parent(data: Any, path: tuple) -> Any:
    node = data
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _validates_pull_requests(doc: ConfigDoc) -> bool:
    """A GitHub workflow that also runs on pull requests: its training commands are smoke tests of the
    code (a nightly cron re-runs the same checks), not a retraining schedule, which no one runs per PR."""
    data = doc.data if isinstance(doc.data, dict) else {}
    on = data.get("on", data.get(True))
    events = on if isinstance(on, (dict, list)) else [on]
    return doc.kind == "github_actions" and any(e in ("pull_request", "pull_request_target") for e in events)


def _schedule_line(doc: ConfigDoc) -> int | None:
    data = doc.data if isinstance(doc.data, dict) else {}
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on:` key as True
    if isinstance(on, dict) and "schedule" in on:
        key = "on" if "on" in data else True
        return doc.lines.get((key, "schedule"), doc.line)
    if doc.kind == "azure_pipelines" and isinstance(data.get("schedules"), list) and any(
            isinstance(item, dict) and item.get("cron") for item in data["schedules"]):
        return doc.lines.get(("schedules",), doc.line)
    if doc.kind == "gitlab_ci":
        for path, value in _walk(data):
            if isinstance(value, str) and "$CI_PIPELINE_SOURCE" in value and "schedule" in value:
                return doc.lines.get(path, doc.line)
    return None


def _k8s(doc: ConfigDoc, ev: Evidence) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    kind = str(data.get("kind", ""))
    api = str(data.get("apiVersion", ""))
    _serving_images(doc, ev, kind)
    if kind in _K8S_AUTOSCALE:
        ev.add("autoscaling", _K8S_AUTOSCALE[kind], doc.path, doc.line, kind)
    if kind in _TRAFFIC_KINDS:
        ev.add("traffic_splitting", _TRAFFIC_KINDS[kind], doc.path, doc.line, kind)
    if kind == "InferenceService":
        ev.add("serving", "kserve", doc.path, doc.line, kind)
        for path, value in _walk(data):
            if path and path[-1] == "canaryTrafficPercent":
                ev.add("traffic_splitting", "kserve", doc.path, doc.lines.get(path, doc.line), "canaryTrafficPercent")
            if path and path[-1] in ("minReplicas", "maxReplicas", "scaleTarget", "scaleMetric"):
                ev.add("autoscaling", "kserve", doc.path, doc.lines.get(path, doc.line), str(path[-1]))
    if kind in ("InferenceService", "SeldonDeployment"):
        for path, value in _walk(data):
            if path and path[-1] == "logger" and isinstance(value, dict) and ("mode" in value or "url" in value):
                ev.add("prediction_logging", "", doc.path, doc.lines.get(path, doc.line), "payload logger")
                break
    if kind == "SeldonDeployment":
        ev.add("serving", "seldon", doc.path, doc.line, kind)
        predictors = (data.get("spec") or {}).get("predictors") if isinstance(data.get("spec"), dict) else None
        if isinstance(predictors, list):
            if sum(1 for p in predictors if isinstance(p, dict) and "traffic" in p) >= 2:
                ev.add("traffic_splitting", "seldon", doc.path, doc.line, "predictor traffic")
            for i, p in enumerate(predictors):
                if isinstance(p, dict) and p.get("shadow") is True:
                    ev.add("shadow_deployment", "seldon", doc.path,
                           doc.lines.get(("spec", "predictors", i, "shadow"), doc.line), "shadow predictor")
    if api.startswith("mlops.seldon.io/"):  # Seldon Core v2 resources
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        if kind in ("Model", "Server", "Pipeline"):
            ev.add("serving", "seldon", doc.path, doc.line, kind)
        if kind == "Experiment":
            candidates = spec.get("candidates")
            if isinstance(candidates, list) and sum(1 for c in candidates if isinstance(c, dict)) >= 2:
                ev.add("traffic_splitting", "seldon", doc.path, doc.lines.get(("spec", "candidates"), doc.line),
                       "experiment candidates")
            mirror = spec.get("mirror")
            if isinstance(mirror, dict) and mirror.get("name"):
                ev.add("shadow_deployment", "seldon", doc.path, doc.lines.get(("spec", "mirror"), doc.line),
                       "experiment mirror")
    if kind == "VirtualService":
        for path, value in _walk(data):
            if path and path[-1] == "mirror":
                ev.add("shadow_deployment", "istio", doc.path, doc.lines.get(path, doc.line), "mirror")
            if path and path[-1] == "route" and isinstance(value, list) and sum(
                    1 for r in value if isinstance(r, dict) and "weight" in r) >= 2:
                ev.add("traffic_splitting", "istio", doc.path, doc.lines.get(path, doc.line), "weighted routes")
    if kind == "PrometheusRule":
        if any(path and path[-1] == "alert" for path, _ in _walk(data)):
            ev.add("alerting", "prometheus_rules", doc.path, doc.line, kind)
    if kind in ("PipelineRun", "Pipeline") and "tekton.dev" in api and (
            doc.path.startswith(".tekton/") or "/.tekton/" in doc.path or any(
                "pipelinesascode" in str(k) for k in ((data.get("metadata") or {}).get("annotations") or {}))):
        ev.add("ci", "tekton", doc.path, doc.line, f"Tekton {kind} run on repository events")
    if kind in ("Workflow", "CronWorkflow", "WorkflowTemplate") and "argoproj" in api:
        ev.add("pipeline_orchestration", "argo_workflows", doc.path, doc.line, kind)
    if kind in ("CronJob", "CronWorkflow"):
        text = " ".join(str(v) for _, v in _walk(data) if isinstance(v, str))
        if TRAIN_COMMAND.search(text) or re.search(r"(?i)(?<![a-z])(re)?train", text):
            ev.add("scheduled_retraining", "k8s_cronjob", doc.path, doc.line, kind)
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Pod"):
        for path, _ in _walk(data):
            if path and path[-1] in ("livenessProbe", "readinessProbe", "startupProbe"):
                ev.add("health_endpoint", "", doc.path, doc.lines.get(path, doc.line), str(path[-1]))
    if kind == "Service" and "serving.knative.dev" in api:
        for path, value in _walk(data):
            if path and isinstance(path[-1], str) and path[-1].startswith("autoscaling.knative.dev"):
                ev.add("autoscaling", "knative", doc.path, doc.lines.get(path, doc.line), path[-1])
            if path and path[-1] == "traffic" and isinstance(value, list) and sum(
                    1 for t in value if isinstance(t, dict) and "percent" in t) >= 2:
                ev.add("traffic_splitting", "knative", doc.path, doc.lines.get(path, doc.line),
                       "traffic split between revisions")
    if kind == "Ingress":
        for path, value in _walk(data):
            if path and isinstance(path[-1], str) and path[-1].endswith("canary-weight"):
                ev.add("traffic_splitting", "nginx", doc.path, doc.lines.get(path, doc.line), path[-1])


def _dvc(doc: ConfigDoc, ev: Evidence) -> None:
    if doc.kind == "dvc_yaml":
        data = doc.data if isinstance(doc.data, dict) else {}
        if isinstance(data.get("stages"), dict) and data["stages"]:
            ev.add("pipeline_orchestration", "dvc_pipelines", doc.path, doc.lines.get(("stages",), doc.line), "dvc stages")
        return
    ev.add("data_versioning", "dvc", doc.path, doc.line, doc.kind)


def _simple(capability: str, tool: str):
    def handler(doc: ConfigDoc, ev: Evidence) -> None:
        ev.add(capability, tool, doc.path, doc.line, doc.kind)
    return handler


def _compose(doc: ConfigDoc, ev: Evidence) -> None:
    if isinstance(doc.data, dict) and doc.data.get("services"):
        ev.add("containerized", "docker_compose", doc.path, doc.line, "compose services")
        _serving_images(doc, ev, "compose service")


def _serving_images(doc: ConfigDoc, ev: Evidence, what: str) -> None:
    """Containers (Kubernetes workloads, compose services) that run a model-server image."""
    for path, value in _walk(doc.data):
        if path and path[-1] == "image" and isinstance(value, str):
            tool = serving_image(value)
            if tool:
                ev.add("serving", tool, doc.path, doc.lines.get(path, doc.line), f"{what} image {value}")


def _prom_rules(doc: ConfigDoc, ev: Evidence) -> None:
    if any(path and path[-1] == "alert" for path, _ in _walk(doc.data)):
        ev.add("alerting", "prometheus_rules", doc.path, doc.line, "alert rules")


def _grafana(doc: ConfigDoc, ev: Evidence) -> None:
    ev.add("dashboards", "grafana", doc.path, doc.line, "Grafana dashboard")
    if any(path and path[-1] == "alert" and isinstance(value, dict) for path, value in _walk(doc.data)):
        ev.add("alerting", "grafana", doc.path, doc.line, "panel alert")


_HF_TRAINING_KEYS = frozenset({"learning_rate", "per_device_train_batch_size", "num_train_epochs",
                               "gradient_accumulation_steps", "output_dir", "max_steps", "warmup_ratio",
                               "lr_scheduler_type", "logging_steps", "save_strategy", "eval_strategy"})
_REPORT_TO = {"wandb": "wandb", "mlflow": "mlflow", "tensorboard": "tensorboard", "comet_ml": "comet",
              "neptune": "neptune", "clearml": "clearml", "dvclive": "dvclive", "aim": "aim",
              "trackio": "trackio"}


def _hf_training_args(doc: ConfigDoc, ev: Evidence) -> None:
    """Hugging Face TrainingArguments written as a config file (TRL / alignment-handbook style recipes):
    ``report_to``, ``bf16``/``fp16``, ``push_to_hub``, ``deepspeed`` and ``fsdp`` mean what they mean in code."""
    data = doc.data
    blocks: list[tuple[tuple, dict]] = []
    if isinstance(data, dict):
        blocks.append(((), data))
        blocks.extend(((k,), v) for k, v in data.items() if isinstance(v, dict))
    for prefix, block in blocks:
        if len(_HF_TRAINING_KEYS.intersection(block)) < 2:
            continue

        def line(key: str) -> int:
            return doc.lines.get(prefix + (key,), doc.line)

        report = block.get("report_to")
        for name in (report if isinstance(report, list) else [report]):
            tool = _REPORT_TO.get(str(name).lower()) if name is not None else None
            if tool:
                ev.add("experiment_tracking", tool, doc.path, line("report_to"), f"report_to: {name}")
        for key in ("bf16", "fp16"):
            if block.get(key) is True:
                ev.add("mixed_precision", "transformers", doc.path, line(key), f"{key}: true")
        if block.get("push_to_hub") is True:
            ev.add("model_registry", "huggingface_hub", doc.path, line("push_to_hub"), "push_to_hub: true")
        if isinstance(block.get("deepspeed"), (str, dict)) and block.get("deepspeed"):
            ev.add("distributed_training", "deepspeed", doc.path, line("deepspeed"), "deepspeed config")
        if isinstance(block.get("fsdp"), str) and block["fsdp"].strip() and block["fsdp"].lower() != "false":
            ev.add("distributed_training", "fsdp", doc.path, line("fsdp"), f"fsdp: {block['fsdp']}")


_ACCELERATE_BACKENDS = {"DEEPSPEED": "deepspeed", "FSDP": "fsdp", "MULTI_GPU": "ddp"}


def _mlflow_recipe(doc: ConfigDoc, steps: dict, ev: Evidence) -> None:
    """An MLflow Recipe (``recipe.yaml``): a declared ingest -> train -> evaluate -> register pipeline whose
    runs MLflow tracks, whose evaluate step can hold the model back, and whose register step registers it."""
    def line(*path: str) -> int | None:
        return doc.lines.get(("steps", *path), doc.lines.get(("steps",), doc.line))

    ev.add("pipeline_orchestration", "mlflow_recipes", doc.path, doc.lines.get(("recipe",), doc.line),
           f"MLflow Recipe {doc.data['recipe']}")  # type: ignore[index]
    ev.add("experiment_tracking", "mlflow", doc.path, doc.lines.get(("recipe",), doc.line),
           "MLflow Recipes log every step run to MLflow")
    evaluate, register = steps.get("evaluate"), steps.get("register")
    criteria = evaluate.get("validation_criteria") if isinstance(evaluate, dict) else None
    blocks = not (isinstance(register, dict) and register.get("allow_non_validated_model") is True)
    if isinstance(criteria, list) and blocks and any(isinstance(c, dict) and "threshold" in c for c in criteria):
        ev.add("evaluation_gate", "", doc.path, line("evaluate", "validation_criteria"),
               "validation_criteria must hold before the register step")
    if "register" in steps:
        ev.add("model_registry", "mlflow", doc.path, line("register"), "recipe register step")


def recipe_training_files(facts: Facts) -> set[str]:
    """The train step modules of MLflow Recipes (``steps/train.py`` beside ``recipe.yaml``, by the recipe
    convention): the framework calls their ``estimator_fn`` and fits it, so no ``fit`` appears in the code."""
    out = set()
    for doc in facts.configs:
        data = doc.data
        if isinstance(data, dict) and isinstance(data.get("recipe"), str) and isinstance(data.get("steps"), dict) \
                and "train" in data["steps"]:
            folder = doc.path.rpartition("/")[0]
            out.add(f"{folder}/steps/train.py" if folder else "steps/train.py")
    return out


def _generic(doc: ConfigDoc, ev: Evidence) -> None:
    """Structured settings that mark a capability wherever they appear: DeepSpeed, accelerate, alertmanager."""
    data = doc.data
    if not isinstance(data, dict):
        return
    _hf_training_args(doc, ev)
    if "zero_optimization" in data or ("train_micro_batch_size_per_gpu" in data):
        ev.add("distributed_training", "deepspeed", doc.path, doc.lines.get(("zero_optimization",), doc.line),
               "DeepSpeed config")
        for key in ("fp16", "bf16"):
            sub = data.get(key)
            if isinstance(sub, dict) and sub.get("enabled") is True:
                ev.add("mixed_precision", "deepspeed", doc.path, doc.lines.get((key,), doc.line), f"{key}.enabled")
    backend = data.get("distributed_type")
    if backend in ("MULTI_GPU", "DEEPSPEED", "FSDP", "MULTI_NPU", "TPU", "MULTI_XPU"):
        line = doc.lines.get(("distributed_type",), doc.line)
        ev.add("distributed_training", "accelerate", doc.path, line, "accelerate config")
        engine = _ACCELERATE_BACKENDS.get(backend)
        if engine:  # accelerate launches the named engine: DeepSpeed, FSDP, or DDP for MULTI_GPU
            ev.add("distributed_training", engine, doc.path, line, f"distributed_type: {backend}")
    if data.get("mixed_precision") in ("fp16", "bf16", "fp8") and "distributed_type" in data:
        ev.add("mixed_precision", "accelerate", doc.path, doc.lines.get(("mixed_precision",), doc.line),
               "accelerate config")
    if isinstance(data.get("recipe"), str) and isinstance(data.get("steps"), dict):
        _mlflow_recipe(doc, data["steps"], ev)
    if "receivers" in data and "route" in data:
        ev.add("alerting", "alertmanager", doc.path, doc.line, "Alertmanager config")
    if isinstance(data.get("autoscaling_config"), dict):
        ev.add("autoscaling", "ray_serve", doc.path, doc.lines.get(("autoscaling_config",), doc.line), "autoscaling_config")
    _azureml_configs(doc, data, ev)
    if doc.path.rsplit("/", 1)[-1] == "bentofile.yaml" and isinstance(data.get("docker"), dict):
        ev.add("containerized", "docker", doc.path, doc.lines.get(("docker",), doc.line), "bentofile docker")


def _azureml_configs(doc: ConfigDoc, data: dict, ev: Evidence) -> None:
    """Azure ML deployment files: v1 deployment/inference configs (``computeType: AKS``, ``entryScript``) and
    v2 YAML named by its ``$schema`` (online deployments and endpoints, pipeline jobs)."""
    def line(*keys: str) -> int:
        return doc.lines.get(tuple(keys), doc.line)

    schema = str(data.get("$schema", ""))
    if "azureml" in schema.lower():
        if re.search(r"(?i)online(Deployment|Endpoint)", schema):
            ev.add("serving", "azureml", doc.path, doc.line, "Azure ML online deployment")
            scale = data.get("scale_settings")
            if isinstance(scale, dict) and str(scale.get("type", "")).lower() == "target_utilization":
                ev.add("autoscaling", "azureml", doc.path, line("scale_settings"), "scale_settings: target_utilization")
        elif re.search(r"(?i)pipelineJob", schema):
            ev.add("pipeline_orchestration", "azureml_pipelines", doc.path, doc.line, "Azure ML pipeline job")
        return
    compute = str(data.get("computeType", "")).upper()
    if compute in ("AKS", "ACI") and any(k in data for k in ("containerResourceRequirements", "autoScaler",
                                                             "authEnabled", "numReplicas")):
        ev.add("serving", "azureml", doc.path, line("computeType"), f"Azure ML {compute} deployment config")
        auto = data.get("autoScaler")
        if isinstance(auto, dict) and auto.get("autoscaleEnabled") is True:
            ev.add("autoscaling", "azureml", doc.path, line("autoScaler"), "autoScaler.autoscaleEnabled")
    elif isinstance(data.get("entryScript"), str) and ("runtime" in data or "condaFile" in data
                                                       or "environment" in data):
        ev.add("serving", "azureml", doc.path, line("entryScript"), "Azure ML inference config")


def _hydra_and_targets(doc: ConfigDoc, ev: Evidence) -> None:
    """Hydra ``_target_`` instantiations count as calls; Lightning trainer strategy/precision keys count too."""
    data = doc.data
    if not isinstance(data, (dict, list)):
        return
    for path, value in _walk(data):
        if not path or not isinstance(path[-1], str):
            continue
        key = path[-1]
        line = doc.lines.get(path, doc.line)
        if key == "_target_" and isinstance(value, str):
            for capability, tool in CALL_INDEX.match(value):
                if capability in ("experiment_tracking", "hyperparameter_search", "distributed_training",
                                  "mixed_precision", "data_validation", "drift_detection", "model_registry"):
                    ev.add(capability, tool, doc.path, line, f"_target_: {value}")
        elif key == "strategy" and isinstance(value, str) and _near_trainer(path, data, doc.path):
            v = value.lower()
            for prefix, tool in (("ddp", "ddp"), ("fsdp", "fsdp"), ("deepspeed", "deepspeed")):
                if v.startswith(prefix):
                    ev.add("distributed_training", tool, doc.path, line, f"strategy: {value}")
                    ev.add("distributed_training", "lightning", doc.path, line, "Lightning Trainer strategy")
        elif key == "precision" and isinstance(value, (str, int)) and _near_trainer(path, data, doc.path):
            v = str(value).lower()
            if v.startswith(("16", "bf16")):
                ev.add("mixed_precision", "lightning", doc.path, line, f"precision: {value}")
        elif key == "sweeper" or (isinstance(value, str) and "optuna" in value and key in ("override hydra/sweeper",)):
            if isinstance(value, (str, dict)) and "optuna" in str(value).lower():
                ev.add("hyperparameter_search", "optuna", doc.path, line, "Hydra Optuna sweeper")
    defaults = data.get("defaults") if isinstance(data, dict) else None
    if isinstance(defaults, list):
        for i, item in enumerate(defaults):
            if isinstance(item, dict):
                for k, v in item.items():
                    if "sweeper" in str(k) and "optuna" in str(v).lower():
                        ev.add("hyperparameter_search", "optuna", doc.path, doc.lines.get(("defaults", i), doc.line),
                               "Hydra Optuna sweeper")


def _near_trainer(path: tuple, data: Any, doc_path: str = "") -> bool:
    """A strategy/precision key belongs to a Lightning Trainer config (by its _target_ or its place,
    including a Hydra config group such as ``configs/trainer/ddp.yaml``)."""
    if len(path) == 1 and "trainer" in doc_path.lower().rsplit("/", 1)[0].rsplit("/", 1)[-1]:
        return True
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key] if isinstance(parent, (dict, list)) else None
    if isinstance(parent, dict):
        target = str(parent.get("_target_", ""))
        if "Trainer" in target or "lightning" in target:
            return True
    return any(isinstance(k, str) and "trainer" in k.lower() for k in path[:-1])


def _grafana_provisioning(doc: ConfigDoc, ev: Evidence) -> None:
    """Grafana file provisioning: alert rule groups, contact points and notification policies are alerts."""
    data = doc.data if isinstance(doc.data, dict) else {}
    groups = data.get("groups")
    if isinstance(groups, list) and any(isinstance(g, dict) and g.get("rules") for g in groups):
        ev.add("alerting", "grafana", doc.path, doc.lines.get(("groups",), doc.line), "Grafana alert rules")
    for key in ("contactPoints", "policies"):
        if data.get(key):
            ev.add("alerting", "grafana", doc.path, doc.lines.get((key,), doc.line), f"Grafana {key}")
    providers = data.get("providers")
    if isinstance(providers, list) and any(isinstance(p, dict) and (p.get("type") in (None, "file")) and
                                           isinstance(p.get("options"), dict) and p["options"].get("path")
                                           for p in providers):
        # a dashboard provider: Grafana loads the project's dashboards from files at start-up
        ev.add("dashboards", "grafana", doc.path, doc.lines.get(("providers",), doc.line),
               "Grafana dashboard provider")


def _promptfoo(doc: ConfigDoc, ev: Evidence) -> None:
    ev.add("llm_evaluation", "promptfoo", doc.path, doc.line, "promptfoo config")


_HANDLERS = {
    "k8s": _k8s,
    "dvc_yaml": _dvc, "dvc_file": _dvc, "dvc_config": _dvc, "dvc_lock": _dvc,
    "mlproject": _simple("pipeline_orchestration", "mlflow_projects"),
    "kedro": _simple("pipeline_orchestration", "kedro"),
    "compose": _compose,
    "prometheus_rules": _prom_rules,
    "grafana_dashboard": _grafana,
    "grafana_provisioning": _grafana_provisioning,
    "promptfoo": _promptfoo,
    "json": _generic, "yaml": _generic, "params": _generic, "hydra": _generic, "toml": _generic,
}
