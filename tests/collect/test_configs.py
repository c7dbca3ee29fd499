"""configs / yaml_lines: candidates, kinds, key lines, templates, and hostile input."""
from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from mlops_audit.collect.configs import config_candidate, parse_config, targets_in
from mlops_audit.collect.yaml_lines import neutralise_templates
from mlops_audit.facts import ConfigDoc

# A hang guard against quadratic blow-ups on hostile input, not a speed goal (those live in
# benchmarks/): linear parsing takes well under a second; a regression takes minutes.
HANG_GUARD_SECONDS = 60.0


def one(path: str, text: str) -> ConfigDoc:
    docs = parse_config(path, text)
    assert len(docs) == 1, docs
    return docs[0]


# -- candidates ----------------------------------------------------------------

@pytest.mark.parametrize("path", [
    ".github/workflows/ci.yml", "deploy/k8s/hpa.yaml", "conf/base/catalog.yml", "dashboards/model.json",
    "settings.toml", "data.dvc", ".dvc/config", "sub/.dvc/config", "MLproject", "Jenkinsfile",
    "ci/Jenkinsfile.nightly", "dvc.lock", ".pre-commit-config.yaml", "charts/app/templates/_helpers.tpl",
    ".buildkite/pipeline.yml", "azure-pipelines.yml", ".circleci/config.yml",
])
def test_candidates(path: str) -> None:
    assert config_candidate(path)


@pytest.mark.parametrize("path", [
    "pyproject.toml", "sub/pyproject.toml", "pixi.toml", "package-lock.json", "web/package.json",
    "tsconfig.json", ".devcontainer/devcontainer.json", "tsconfig.build.json", ".vscode/settings.json",
    "notebook.ipynb", "setup.cfg",
    "tox.ini", "uv.lock", "poetry.lock", "Pipfile", "pdm.lock", "data/train.json", "model/tokenizer.json",
    "pnpm-lock.yaml", "helpers.tpl", "README.md", "train.py", ".dvc", "node_modules/x/conf.yml",
])
def test_not_candidates(path: str) -> None:
    assert not config_candidate(path)


# -- kinds ---------------------------------------------------------------------

K8S = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: m\n"


@pytest.mark.parametrize("path,text,kind", [
    (".github/workflows/ci.yml", "on: push\njobs: {}\n", "github_actions"),
    (".github/actions/setup/action.yml", "runs:\n  using: composite\n", "github_action"),
    (".gitlab-ci.yml", "test:\n  script: [pytest]\n", "gitlab_ci"),
    (".circleci/config.yml", "version: 2.1\n", "circleci"),
    ("azure-pipelines.yml", "trigger: [main]\n", "azure_pipelines"),
    ("bitbucket-pipelines.yml", "pipelines: {}\n", "bitbucket_pipelines"),
    (".buildkite/pipeline.yml", "steps: []\n", "buildkite"),
    (".travis.yml", "language: python\n", "travis"),
    (".drone.yml", "kind: pipeline\n", "drone"),
    ("deploy/hpa.yaml", K8S, "k8s"),
    ("deploy/rules.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec: {}\n", "k8s"),
    ("charts/app/Chart.yaml", "apiVersion: v2\nname: app\n", "helm_chart"),
    ("charts/app/values.yaml", "replicaCount: 1\n", "helm_values"),
    ("charts/app/values-prod.yaml", "replicaCount: 3\n", "helm_values"),
    ("overlays/prod/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
     "kind: Kustomization\nresources: [a.yaml]\n", "kustomize"),
    ("docker-compose.yml", "services:\n  api:\n    build: .\n", "compose"),
    ("compose.yaml", "services:\n  api:\n    image: x\n", "compose"),
    ("deploy/stack.yml", "services:\n  api:\n    image: x\n", "compose"),
    ("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n", "dvc_yaml"),
    ("dvc.lock", "schema: '2.0'\nstages: {}\n", "dvc_lock"),
    ("data/raw.csv.dvc", "outs:\n- md5: abc\n  path: raw.csv\n", "dvc_file"),
    ("MLproject", "name: p\nentry_points:\n  main:\n    command: python train.py\n", "mlproject"),
    ("conf/base/catalog.yml", "cars:\n  type: pandas.CSVDataset\n", "kedro"),
    ("conf/base/parameters_training.yml", "lr: 0.1\n", "kedro"),
    ("pipelines/run.yaml", "enable_cache: false\nsteps:\n  trainer:\n    parameters: {}\n", "zenml"),
    ("monitoring/alerts.yml", "groups:\n- name: model\n  rules:\n  - alert: HighLatency\n    expr: x > 1\n",
     "prometheus_rules"),
    ("monitoring/dash.json", '{"title": "Model", "panels": []}', "grafana_dashboard"),
    ("monitoring/wrapped.json", '{"dashboard": {"panels": []}}', "grafana_dashboard"),
    ("grafana/provisioning/ds.yaml", "apiVersion: 1\ndatasources: []\n", "grafana_provisioning"),
    ("promptfooconfig.yaml", "prompts: [p.txt]\n", "promptfoo"),
    ("evals/llm.yaml", "prompts: [p.txt]\nproviders: [openai:gpt-4o]\n", "promptfoo"),
    (".pre-commit-config.yaml", "repos: []\n", "precommit"),
    ("src/train.yaml", "defaults:\n  - model: resnet\n", "hydra"),
    ("src/model.yaml", "net:\n  _target_: torch.nn.Linear\n", "hydra"),
    ("configs/experiment/big.yaml", "trainer:\n  max_epochs: 3\n", "hydra"),
    ("params.yaml", "train:\n  lr: 0.1\n", "params"),
    ("params.json", '{"lr": 0.1}', "params"),
    ("lightning_logs/version_0/hparams.yaml", "lr: 0.1\n", "params"),
    ("config_train.yaml", "lr: 0.1\nepochs: 3\nname: x\n", "params"),
    ("config_deep.yaml", "a: {b: {c: 1}}\nd: {e: {f: 2}}\n", "yaml"),
    ("metaflow_config.json", '{"METAFLOW_DEFAULT_DATASTORE": "s3"}', "metaflow"),
    ("pipeline.yaml", "pipelineInfo: {name: p}\nroot: {}\ndeploymentSpec: {}\n", "kfp_pipeline"),
    ("environment.yaml", "name: e\nchannels: [conda-forge]\ndependencies: [python=3.11]\n", "conda_env"),
    # Azure Pipelines outside azure-pipelines.yml: recognised by task@N / displayName steps or pool.vmImage
    (".pipelines/ci.yml", "trigger: [main]\npool:\n  vmImage: ubuntu-latest\nsteps:\n- script: pytest\n",
     "azure_pipelines"),
    (".pipelines/lint-template.yml", "steps:\n- script: flake8\n  displayName: Lint\n", "azure_pipelines"),
    ("ops/release.yml", "stages:\n- stage: S\n  jobs:\n  - job: J\n    steps:\n    - task: AzureCLI@2\n",
     "azure_pipelines"),
    ("misc/steps.yaml", "steps:\n- name: fetch\n  run: make\n", "yaml"),
    ("misc/settings.yaml", "a: 1\n", "yaml"),
    ("misc/list.yaml", "- a\n- b\n", "yaml"),
    ("misc/settings.json", '[1, 2]', "json"),
    ("misc/settings.toml", "a = 1\n", "toml"),
])
def test_kinds(path: str, text: str, kind: str) -> None:
    assert one(path, text).kind == kind


def test_keys_are_source_text() -> None:
    """``on:`` must not become True, nor ``200:`` an int: key paths are str keys and int indexes."""
    doc = one(".github/workflows/ci.yml", "on:\n  push: {}\n200: ok\nyes: no\n")
    assert doc.data == {"on": {"push": {}}, "200": "ok", "yes": False}
    assert doc.line_of("on", "push") == 2


def test_scalars() -> None:
    doc = one("x.yaml", "a: [1, 0x1f, 0755, 1_000, 1e-4, .5, .inf, ~, null, yes, Off, '5', !!int '7', 1:20]\n")
    assert doc.data["a"][:8] == [1, 31, 493, 1000, 1e-4, 0.5, float("inf"), None]
    assert doc.data["a"][8:] == [None, True, False, "5", 7, "1:20"]


# -- lines and documents ---------------------------------------------------------------

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: tests
        run: |
          pip install -e .
          pytest -q
"""


def test_key_and_item_lines() -> None:
    doc = one(".github/workflows/ci.yml", WORKFLOW)
    assert doc.line == 1
    assert doc.lines[("jobs",)] == 3
    assert doc.lines[("jobs", "test", "steps")] == 6
    assert doc.lines[("jobs", "test", "steps", 0)] == 7
    assert doc.lines[("jobs", "test", "steps", 1)] == 8
    assert doc.lines[("jobs", "test", "steps", 1, "run")] == 9
    assert doc.lines[("on", 0)] == 2
    assert doc.data["jobs"]["test"]["steps"][1]["run"] == "pip install -e .\npytest -q\n"
    assert doc.line_of("nope") == 1


def test_value_lines_point_at_block_text() -> None:
    """``run: |`` sits on one line and its commands start on the next: evidence should cite them."""
    doc = one(".github/workflows/ci.yml", WORKFLOW + "    env:\n      A:\n        b\n")
    assert doc.value_lines == {("jobs", "test", "steps", 1, "run"): 10, ("jobs", "test", "env", "A"): 14}


def test_multi_document_indexes_and_lines() -> None:
    text = "# leading comment\n---\n" + K8S + "---\n---\n" + "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n"
    docs = parse_config("deploy/all.yaml", text)
    assert [(d.kind, d.index, d.line) for d in docs] == [("k8s", 0, 3), ("k8s", 2, 9)]
    assert docs[1].data["kind"] == "Service"
    assert docs[1].lines[("spec", "ports", 0)] == 13
    assert docs[1].lines[("spec", "ports", 0, "port")] == 13


def test_empty_file_gives_no_document() -> None:
    assert parse_config("empty.yaml", "") == []
    assert parse_config("empty.yaml", "# nothing\n---\n") == []


def test_merge_keys_move_lines() -> None:
    text = "base: &b\n  lr: 0.1\n  bs: 8\nexp:\n  <<: *b\n  bs: 16\nboth:\n  <<: [*b, {extra: 1}]\n"
    doc = one("x.yaml", text)
    assert doc.data["exp"] == {"bs": 16, "lr": 0.1}
    assert doc.lines[("exp", "lr")] == 2 and doc.lines[("exp", "bs")] == 6
    assert doc.data["both"] == {"lr": 0.1, "bs": 8, "extra": 1}
    assert doc.lines[("both", "extra")] == 8
    assert not any("<<" in str(p) for p in doc.lines)


def test_aliases_replay_lines() -> None:
    doc = one("x.yaml", "defaults: &d\n  retries: 3\njobs:\n  - *d\n")
    assert doc.data["jobs"] == [{"retries": 3}]
    assert doc.lines[("jobs", 0)] == 4 and doc.lines[("jobs", 0, "retries")] == 2


def test_docs_pickle() -> None:
    for doc in parse_config("x.yaml", "a: &x [1, 2]\nb: *x\n"):
        assert pickle.loads(pickle.dumps(doc)) == doc


# -- Helm and other templates ---------------------------------------------------------

DEPLOYMENT = """\
{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          readinessProbe:
            httpGet:
              path: /ready
{{- end }}
"""


def test_helm_template_yields_k8s_with_lines() -> None:
    doc = one("charts/app/templates/deployment.yaml", DEPLOYMENT)
    assert (doc.kind, doc.templated, doc.error, doc.line) == ("k8s", True, None, 2)
    assert doc.data["kind"] == "Deployment"
    assert doc.data["spec"]["replicas"] == "__tpl__"
    assert doc.lines[("spec", "replicas")] == 9
    container = ("spec", "template", "spec", "containers", 0)
    assert doc.lines[container] == 13
    assert doc.lines[container + ("readinessProbe", "httpGet", "path")] == 21
    assert doc.data["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] == {"httpGet": {"path": "/ready"}}


def test_neutralise_keeps_line_count() -> None:
    out = neutralise_templates(DEPLOYMENT)
    assert out.count("\n") == DEPLOYMENT.count("\n")
    assert "{{" not in out


def test_helm_helpers_and_broken_templates_are_not_invalid() -> None:
    helper = '{{- define "app.labels" -}}\napp: {{ .Chart.Name }}\n{{- end }}\n'
    doc = one("charts/app/templates/_helpers.tpl", helper)
    assert (doc.kind, doc.templated) == ("helm_template", True)
    broken = "{{- range .Values.x }}\n  a: 1\n b: 2\n{{- end }}\n"
    docs = parse_config("charts/app/templates/cm.yaml", broken)
    assert [(d.kind, d.index, d.templated) for d in docs] == [("helm_template", 0, True), ("helm_template", 1, True)]
    assert docs[1].error and docs[1].data is None and docs[1].line == 3


def test_github_expressions_untouched() -> None:
    doc = one(".github/workflows/ci.yml", "jobs:\n  t:\n    steps:\n      - run: echo ${{ matrix.py }}\n")
    assert doc.data["jobs"]["t"]["steps"][0]["run"] == "echo ${{ matrix.py }}"
    assert not doc.templated


def test_jinja_template_retried_after_failure() -> None:
    text = "name: job\n{% if gpu %}\nresources: {{ gpu_spec }}\n{% endif %}\nimage: x\n"
    doc = one("deploy/job.yaml.yaml", text)
    assert doc.templated and doc.data == {"name": "job", "resources": "__tpl__", "image": "x"}
    assert doc.lines[("image",)] == 5


def test_prompt_templates_outside_helm_keep_their_text() -> None:
    doc = one("prompts/templates/qa.yaml", "template: 'Answer {{ question }} using {{ context }}'\n")
    assert doc.data["template"] == "Answer {{ question }} using {{ context }}"


# -- Hydra targets -------------------------------------------------------------------

def test_targets_in() -> None:
    text = """\
defaults:
  - _self_
trainer:
  _target_: lightning.pytorch.Trainer
  logger:
    - _target_: lightning.pytorch.loggers.wandb.WandbLogger
      project: p
    - _target_: lightning.pytorch.loggers.CSVLogger
model:
  _target_: ${oc.env:MODEL}
"""
    doc = one("configs/train.yaml", text)
    assert doc.kind == "hydra"
    assert targets_in(doc) == [
        ("lightning.pytorch.Trainer", 4),
        ("lightning.pytorch.loggers.wandb.WandbLogger", 6),
        ("lightning.pytorch.loggers.CSVLogger", 8),
        ("${oc.env:MODEL}", 10),
    ]


def test_targets_in_json_without_lines() -> None:
    doc = one("x.json", '{"opt": {"_target_": "torch.optim.Adam"}}')
    assert targets_in(doc) == [("torch.optim.Adam", 1)]


# -- other formats -------------------------------------------------------------------

def test_json_lines() -> None:
    doc = one("dash.json", '{\n  "title": "m",\n  "panels": [\n    {"id": 1},\n    "x"\n  ]\n}\n')
    assert doc.lines == {("title",): 2, ("panels",): 3, ("panels", 0): 4, ("panels", 0, "id"): 4,
                         ("panels", 1): 5}


def test_dvc_config() -> None:
    text = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/dvc\n"
    doc = one(".dvc/config", text)
    assert doc.kind == "dvc_config"
    assert doc.data == {"core": {"remote": "storage"}, "remote": {"storage": {"url": "s3://bucket/dvc"}}}
    assert doc.lines[("remote", "storage", "url")] == 4


def test_jenkinsfile() -> None:
    text = "pipeline {\n  stages {\n    stage('Test') {\n      steps {\n        sh 'pytest -q'\n" \
           "        sh '''\n          make lint\n        '''\n      }\n    }\n  }\n}\n"
    doc = one("Jenkinsfile", text)
    assert (doc.kind, doc.error) == ("jenkins", None)
    assert doc.data == {"text_stages": ["Test"], "sh": ["pytest -q", "\n          make lint\n        "]}
    assert doc.lines == {("text_stages", 0): 3, ("sh", 0): 5, ("sh", 1): 6}


def test_toml() -> None:
    doc = one("params.toml", "[train]\nlr = 0.1\n")
    assert (doc.kind, doc.data) == ("params", {"train": {"lr": 0.1}})


# -- errors and hostile input -----------------------------------------------------------

@pytest.mark.parametrize("path,text,message", [
    ("x.yaml", "a: 1\n  b: 2\n", "YAML error at line 2: "),
    ("x.yaml", "a: [1, 2\nb: 3\n", "YAML error at line "),
    ("x.yaml", "a: *nope\n", "YAML error at line 1: found undefined alias"),
    ("x.json", '{"a": 1,}', "JSON error at line 1: "),
    ("x.toml", "a = \n", "TOML error: "),
    (".dvc/config", "remote = x\n", "INI error at line 1: "),
])
def test_invalid_documents(path: str, text: str, message: str) -> None:
    doc = one(path, text)
    assert doc.kind == "invalid" and doc.data is None
    assert doc.error is not None and doc.error.startswith(message), doc.error


def test_error_after_good_documents_keeps_them() -> None:
    docs = parse_config("x.yaml", "a: 1\n---\nb: [\n")
    assert [(d.kind, d.index) for d in docs] == [("yaml", 0), ("invalid", 1)]


def test_billion_laughs_refused_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    doc = one("bomb.yaml", "\n".join(lines) + "\n")
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    assert doc.kind == "invalid" and "aliases expand" in (doc.error or "")


@pytest.mark.parametrize("text", ["- " * 200_000 + "x", "[" * 200_000 + "]" * 200_000,
                                  "{a: " * 100_000 + "1" + "}" * 100_000, "a: &a [*a]\n"])
def test_deep_nesting_refused(text: str) -> None:
    doc = one("deep.yaml", text)
    assert doc.kind == "invalid" and doc.error


def test_deep_json_refused() -> None:
    assert one("deep.json", "[" * 150 + "]" * 150).kind == "invalid"


def test_python_tags_never_execute(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (f"a: !!python/object/apply:os.system ['touch {marker}']\n"
            f"b: !!python/object/new:subprocess.check_call [['touch', '{marker}']]\n"
            "c: !!python/name:os.system\n"
            f"d: !!python/object/apply:subprocess.call\n  args: [['touch', '{marker}']]\n")
    doc = one("evil.yaml", text)
    assert not marker.exists()
    assert doc.data["a"] == [f"touch {marker}"]
    assert doc.data["b"] == [["touch", str(marker)]]
    assert doc.data["c"] == ""
    assert doc.data["d"] == {"args": [["touch", str(marker)]]}


def test_custom_tags_are_plain_data() -> None:
    text = "Resources:\n  B:\n    Properties:\n      Name: !Ref Env\n      Arn: !GetAtt [B, Arn]\n" \
           "      Sub: !Sub\n        - x-${A}\n        - {A: 1}\n"
    props = one("template.yaml", text).data["Resources"]["B"]["Properties"]
    assert props == {"Name": "Env", "Arn": ["B", "Arn"], "Sub": ["x-${A}", {"A": 1}]}


@pytest.mark.parametrize("text", ["\x00\x01", "a: b: c", "\t- x", "{{{", "%YAML 9.9\n---\na", "!<!> x",
                                  "? ? ?", "\ufeffa: 1", "a:\n\t- b", "*a", "&a"])
@pytest.mark.parametrize("path", ["x.yaml", "x.json", "x.toml", ".dvc/config", "Jenkinsfile",
                                  "charts/c/templates/x.yaml"])
def test_never_raises(path: str, text: str) -> None:
    for doc in parse_config(path, text):
        assert isinstance(doc, ConfigDoc)


@pytest.mark.parametrize("path,text", [
    ("charts/c/templates/x.yaml", "a: {{ .Values.x }}\n" + "{{ " * 200_000),
    ("x.yaml", "{%" * 200_000 + "a: ["),
    ("Jenkinsfile", "sh '''" * 50_000),
    ("Jenkinsfile", "sh '" * 100_000 + "\n" + "stage('" * 100_000),
    ("Jenkinsfile", "sh" + " " * 200_000 + "(" + " " * 200_000),
    (".dvc/config", "[" + " " * 200_000 + "x\n"),
])
def test_hostile_text_stays_linear(path: str, text: str) -> None:
    start = time.perf_counter()
    parse_config(path, text)
    assert time.perf_counter() - start < HANG_GUARD_SECONDS


def test_anchor_on_a_key() -> None:
    doc = one("x.yaml", "k: &k name\n*k : v\n")
    assert doc.data == {"k": "name", "name": "v"} and doc.lines[("name",)] == 2


def test_large_json_of_no_configuration_kind_is_data() -> None:
    """Hundreds of KB of experiment results are data: not walked as configuration (slow, and no settings)."""
    import json

    results = json.dumps({"config": {"chunk_size": 300}, "results": [
        {"question": f"q{i}", "answer": "x" * 200, "sources": [f"https://docs/{i}"]} for i in range(2000)]})
    [doc] = parse_config("experiments/evaluations/chunk-size-300.json", results)
    assert (doc.kind, doc.data) == ("data", None)
    assert doc.error.endswith("of JSON of no configuration kind: read as data")
    dashboard = json.dumps({"title": "Model latency", "panels": [
        {"type": "graph", "title": f"p{i}", "targets": [{"expr": "x" * 200}]} for i in range(1500)]})
    [doc] = parse_config("monitoring/dashboards/model.json", dashboard)
    assert len(dashboard) > 256 * 1024 and doc.kind == "grafana_dashboard"
