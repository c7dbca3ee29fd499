"""Configuration files -> ``ConfigDoc`` facts of a known kind.

Detection and rules never reread a file: they ask for documents by ``kind`` and
read plain data with a line for each key. The path decides first (``dvc.yaml``,
``.gitlab-ci.yml``), the content second (``apiVersion`` + ``kind`` is Kubernetes
wherever it lives). Parsing is safe by construction: YAML through ``yaml_lines``
(events only, no constructor, capped size and depth), JSON, TOML and INI
through the standard library. Nothing raises: an unreadable file gives one
``invalid`` document that says why.
"""
from __future__ import annotations

import configparser
import json
import re
from typing import Any, Callable, Iterator

from .._patterns import lazy
from ..facts import ConfigDoc
from .yaml_lines import MAX_DEPTH, has_go_template, load_yaml_docs, neutralise_templates

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ImportError:
        _toml = None  # type: ignore[assignment]

__all__ = ["config_candidate", "parse_config", "targets_in"]

_YAML_EXT = (".yml", ".yaml")
_SKIP_DIRS = frozenset((".vscode", ".idea", "node_modules", ".git", ".claude", ".cursor"))  # editor/assistant
_SKIP_YAML = frozenset(("pnpm-lock.yaml", "conda-lock.yml", "conda-lock.yaml"))
_SKIP_JSON = frozenset(("package.json", "package-lock.json", "composer.json", "jsconfig.json", ".eslintrc.json",
                        "tokenizer.json", "vocab.json", "lerna.json", "bower.json", "npm-shrinkwrap.json",
                        "devcontainer.json", ".devcontainer.json"))  # JSON with comments, editor set-up
_SKIP_JSON_DIRS = frozenset(("data", "datasets"))
_SKIP_TOML = frozenset(("pyproject.toml", "pixi.toml", "poetry.lock", "uv.lock", "pdm.lock"))
_JSON_LINES_LIMIT = 512 * 1024  # above this, JSON keeps line 1 for every key
_JSON_DATA_SIZE = 256 * 1024  # above this, JSON of no known configuration kind is data


# -- which files -------------------------------------------------------------

def _is_jenkinsfile(name: str) -> bool:
    return name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.lower().endswith(".jenkinsfile")


def _is_dvc_config(path: str) -> bool:
    return path == ".dvc/config" or path.endswith("/.dvc/config")


def config_candidate(path: str) -> bool:
    """True for repo-relative POSIX paths worth parsing as configuration.

    Project manifests (pyproject.toml, lock files) are left to the manifest
    collector, and editor settings, JS tooling and tokenizer/vocabulary JSON
    are skipped: they are large and never carry ML configuration.
    """
    parts = path.split("/")
    name = parts[-1]
    lower = name.lower()
    if any(part in _SKIP_DIRS for part in parts[:-1]):
        return False
    if name in ("MLproject", "dvc.lock") or _is_jenkinsfile(name) or _is_dvc_config(path) or _is_dotenv(name):
        return True
    if lower.endswith(".dvc") and lower != ".dvc":
        return True
    if lower.endswith(_YAML_EXT):
        return lower not in _SKIP_YAML and not lower.endswith(".conda-lock.yml")
    if lower.endswith(".tpl"):
        return "templates" in parts[:-1]
    if lower.endswith(".json"):
        return not (lower in _SKIP_JSON or lower.startswith("tsconfig")
                    or any(part in _SKIP_JSON_DIRS for part in parts[:-1]))
    if lower.endswith(".toml"):
        return lower not in _SKIP_TOML
    return False


_DOTENV_PLACEHOLDER = ("example", "sample", "template", "tmpl", "dist", "defaults", "default", "schema", "test")


def _is_dotenv(name: str) -> bool:
    """A dotenv file that a program loads (.env, .env.local, .env.production), not a documented template."""
    lower = name.lower()
    if lower == ".env":
        return True
    return lower.startswith(".env.") and not any(w in lower[5:] for w in _DOTENV_PLACEHOLDER)


def _parse_dotenv(path: str, text: str) -> list[ConfigDoc]:
    """KEY=VALUE lines (optionally ``export KEY=...``, quoted values, trailing comments) as a flat mapping."""
    data: dict[str, str] = {}
    lines: dict[tuple, int] = {}
    for no, raw in enumerate(text.splitlines()[:5000], 1):
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$", raw)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if value[:1] in ("'", '"') and value[1:].find(value[0]) >= 0:
            value = value[1:1 + value[1:].find(value[0])]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        data[key] = value
        lines[(key,)] = no
    return [ConfigDoc(path=path, kind="dotenv", data=data, lines=lines)]


def _format(path: str) -> str:
    """How to read a file: yaml, json, toml, ini (DVC config), jenkins or dotenv."""
    name = path.rsplit("/", 1)[-1]
    if _is_dotenv(name):
        return "dotenv"
    if _is_dvc_config(path):
        return "ini"
    if _is_jenkinsfile(name):
        return "jenkins"
    ext = name.lower().rsplit(".", 1)[-1]
    return ext if ext in ("json", "toml") else "yaml"


# -- kinds ---------------------------------------------------------------------

def _path_kind(path: str) -> str | None:
    """A kind decided by the file's name and place alone, whatever it contains."""
    parts = path.split("/")
    name = parts[-1]
    lower = name.lower()
    dirs = parts[:-1]
    if len(dirs) >= 2 and dirs[-2] == ".github" and dirs[-1] == "workflows" and lower.endswith(_YAML_EXT):
        # GitHub runs only .yml/.yaml files of this folder; JSON and the like beside them are tool configs
        # (markdown-link-check, labeler settings) and are classified by their content like any other file
        return "github_actions"
    if lower in ("action.yml", "action.yaml") and (not dirs or ".github" in dirs):
        return "github_action"
    if lower.endswith(".gitlab-ci.yml") or lower == ".gitlab-ci.yaml" or dirs[:2] == [".gitlab", "ci"]:
        return "gitlab_ci"
    if ".circleci" in dirs:
        return "circleci"
    if lower.startswith("azure-pipelines") or ".azure-pipelines" in dirs or ".azuredevops" in dirs:
        return "azure_pipelines"
    if lower.startswith("bitbucket-pipelines"):
        return "bitbucket_pipelines"
    if lower.startswith("cloudbuild") and lower.endswith((".yaml", ".yml", ".json")):
        return "cloud_build"
    if ".buildkite" in dirs or lower in ("buildkite.yml", "buildkite.yaml"):
        return "buildkite"
    return _NAME_KINDS.get(name) or _NAME_KINDS.get(lower) or _pattern_kind(lower, dirs)


_NAME_KINDS = {
    ".travis.yml": "travis", ".drone.yml": "drone", "Chart.yaml": "helm_chart",
    "kustomization.yaml": "kustomize", "kustomization.yml": "kustomize",
    "Kustomization": "kustomize", ".pre-commit-config.yaml": "precommit",
    ".pre-commit-config.yml": "precommit", "dvc.yaml": "dvc_yaml", "dvc.yml": "dvc_yaml",
    "dvc.lock": "dvc_lock", "MLproject": "mlproject", ".kedro.yml": "kedro",
}
_VALUES = lazy(r"values(?:[._-].*)?\.ya?ml\Z")
_PROMPTFOO = lazy(r"promptfooconfig.*\.(?:ya?ml|json)\Z")
_KEDRO_NAME = lazy(r"(?:catalog|parameters)(?:[._-].*)?\.ya?ml\Z")


def _pattern_kind(lower: str, dirs: list[str]) -> str | None:
    """Kinds named by a file-name pattern or a directory convention."""
    if lower.endswith(".dvc"):
        return "dvc_file"
    if _VALUES.match(lower):
        return "helm_values"
    if _PROMPTFOO.match(lower):
        return "promptfoo"
    if "conf" in dirs and (_KEDRO_NAME.match(lower) or
                           any(d in ("catalog", "parameters") for d in dirs[dirs.index("conf"):])):
        return "kedro"
    if ".zenml" in dirs:
        return "zenml"
    return None


def _is_compose_name(lower: str) -> bool:
    return lower.startswith(("docker-compose", "compose")) and lower.endswith(_YAML_EXT)


def _any_item(value: Any, test: Callable[[dict], bool]) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) and test(v) for v in value)


def _is_prometheus_rules(d: dict) -> bool:
    return _any_item(d.get("groups"), lambda g: _any_item(
        g.get("rules"), lambda r: "alert" in r or "record" in r))


def _is_compose(d: dict) -> bool:
    services = d.get("services")
    return isinstance(services, dict) and bool(services) and all(
        isinstance(s, dict) and ("image" in s or "build" in s) for s in services.values())


def _has_panels(d: dict) -> bool:
    """Grafana's shape: ``panels`` (or legacy ``rows``) is a list of mappings. A tokenizer vocabulary that
    happens to hold the words "panels" and "title" maps them to integers."""
    return any(isinstance(d.get(key), list) and all(isinstance(p, dict) for p in d[key])
               for key in ("panels", "rows"))


def _is_grafana_dashboard(d: dict) -> bool:
    inner = d.get("dashboard")
    if isinstance(inner, dict) and _has_panels(inner):
        return True
    return _has_panels(d) and ("title" in d or "dashboard" in d)


def _is_conda_env(d: dict) -> bool:
    """A conda environment under any file name: ``dependencies`` holds package specs (strings) and at most
    a ``pip:`` sub-list. Helm's Chart.yaml also has name + dependencies, but its entries are mappings."""
    deps = d.get("dependencies")
    if not isinstance(deps, list) or not ("channels" in d or "name" in d):
        return False
    specs = [x for x in deps if isinstance(x, str)]
    return bool(specs) and len(specs) + sum(isinstance(x, dict) and set(x) == {"pip"} for x in deps) == len(deps)


def _azure_steps(d: dict) -> Iterator[dict]:
    """Step mappings of an Azure Pipelines document: top-level steps, jobs' steps, stages' jobs' steps."""
    def steps_of(node: Any) -> Iterator[dict]:
        if isinstance(node, dict):
            for step in node.get("steps") or ():
                if isinstance(step, dict):
                    yield step
            strategy = node.get("strategy")
            if isinstance(strategy, dict):  # deployment jobs: strategy.runOnce.deploy.steps
                for phase in strategy.values():
                    if isinstance(phase, dict):
                        for part in phase.values():
                            yield from steps_of(part)

    yield from steps_of(d)
    for job in d.get("jobs") or () if isinstance(d.get("jobs"), list) else ():
        yield from steps_of(job)
    for stage in d.get("stages") or () if isinstance(d.get("stages"), list) else ():
        if isinstance(stage, dict) and isinstance(stage.get("jobs"), list):
            for job in stage["jobs"]:
                yield from steps_of(job)


def _is_azure_pipeline(d: dict) -> bool:
    """Azure Pipelines YAML wherever it lives (``.pipelines/ci.yml``, templates): steps written as
    ``- task: Name@N`` or ``- script: ... / displayName: ...``, or a ``pool: {vmImage: ...}``."""
    if not any(isinstance(d.get(k), list) for k in ("steps", "jobs", "stages")):
        return False
    pool = d.get("pool")
    if isinstance(pool, dict) and "vmImage" in pool:
        return True
    for i, step in enumerate(_azure_steps(d)):
        if i > 200:
            break
        task = step.get("task")
        if isinstance(task, str) and re.fullmatch(r"[\w.-]+@\d+", task):
            return True
        if "displayName" in step and any(k in step for k in ("script", "bash", "pwsh", "powershell", "template",
                                                                "checkout", "publish", "download")):
            return True
    return False


def _is_cloud_build(d: dict) -> bool:
    """Google Cloud Build: ``steps`` whose items name a builder image (gcr.io/cloud-builders/..., docker)."""
    steps = d.get("steps")
    if not isinstance(steps, list) or not steps:
        return False
    named = [s for s in steps if isinstance(s, dict) and isinstance(s.get("name"), str)]
    return bool(named) and len(named) == len([s for s in steps if isinstance(s, dict)]) and any(
        "/" in s["name"] or ":" in s["name"] or s.get("entrypoint") or "args" in s for s in named)


_GRAFANA_PROVISIONING = ("datasources", "providers", "contactPoints", "policies", "groups",
                         "notifiers", "deleteDatasources", "muteTimes", "templates")

# Content rules, first match wins. Each reads only top-level keys (cheap).
_CONTENT_RULES: tuple[tuple[str, Callable[[dict], bool]], ...] = (
    ("k8s", lambda d: isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)),
    ("compose", _is_compose),
    ("azure_pipelines", _is_azure_pipeline),
    ("cloud_build", _is_cloud_build),
    ("prometheus_rules", _is_prometheus_rules),
    ("grafana_dashboard", _is_grafana_dashboard),
    ("grafana_provisioning", lambda d: "apiVersion" in d and "kind" not in d
        and any(k in d for k in _GRAFANA_PROVISIONING)),
    ("promptfoo", lambda d: "prompts" in d and ("providers" in d or "targets" in d)),
    ("kfp_pipeline", lambda d: "pipelineInfo" in d and ("deploymentSpec" in d or "root" in d)),
    ("prefect_deployments", lambda d: isinstance(d.get("deployments"), list) and any(
        isinstance(x, dict) and isinstance(x.get("entrypoint"), str) for x in d["deployments"])),
    ("zenml", lambda d: isinstance(d.get("steps"), dict) and any(
        k in d for k in ("settings", "enable_cache", "run_name", "enable_artifact_metadata", "schedule"))),
    ("conda_env", _is_conda_env),
    ("metaflow", lambda d: any(isinstance(k, str) and k.startswith("METAFLOW_") for k in d)),
    ("hydra", lambda d: isinstance(d.get("defaults"), list) or isinstance(d.get("hydra"), dict)
        or _has_target(d)),
)

_PARAMS_NAME = lazy(r"(?:params|hparams[\w.-]*)\.(?:ya?ml|json|toml)\Z")
_CONFIG_NAME = lazy(r"config[\w.-]*\.(?:ya?ml|json|toml)\Z")
_HYDRA_DIRS = frozenset(("conf", "configs", "config"))


def _is_flat(value: Any, depth: int = 0) -> bool:
    """A scalar, a list of scalars or (once) a mapping of those: what params look like."""
    if isinstance(value, list):
        return all(not isinstance(v, (list, dict)) for v in value)
    if isinstance(value, dict):
        return depth == 0 and all(_is_flat(v, 1) for v in value.values())
    return True


def _mostly_scalar(d: dict) -> bool:
    flat = sum(1 for v in d.values() if _is_flat(v))
    return bool(d) and flat * 4 >= len(d) * 3


def _classify(path: str, data: Any, fmt: str) -> str:
    """The kind of one document: path rules, then content rules in order, then names and dirs."""
    lower = path.rsplit("/", 1)[-1].lower()
    kind = _path_kind(path)
    if kind is not None:
        return kind
    if isinstance(data, dict):
        if _is_compose_name(lower) and ("services" in data or lower.startswith("docker-compose")):
            return "compose"
        for name, test in _CONTENT_RULES:
            if test(data):
                return name
        if _PARAMS_NAME.match(lower):
            return "params"
        if fmt == "yaml" and _HYDRA_DIRS.intersection(path.split("/")[:-1]):
            return "hydra"
        if _CONFIG_NAME.match(lower) and _mostly_scalar(data):
            return "params"
    return fmt


# -- walking data ----------------------------------------------------------------

def _walk(data: Any) -> Iterator[tuple[tuple, str, Any]]:
    """Every mapping entry as (path of its mapping, key, value), iteratively."""
    stack: list[tuple[tuple, Any]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            for key, value in items:
                yield path, key, value
            stack.extend((path + (k,), v) for k, v in reversed(items) if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node)))
                         if isinstance(v, (dict, list)))


def _too_deep(data: Any) -> bool:
    """True past MAX_DEPTH levels: the same cap YAML gets, so recursive walkers downstream are safe."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _has_target(data: Any) -> bool:
    return any(key == "_target_" for _, key, _ in _walk(data))


def targets_in(doc: ConfigDoc) -> list[tuple[str, int]]:
    """Every Hydra ``_target_`` (a class or function to instantiate) with its line.

    Detection treats these like calls: ``_target_: lightning.pytorch.loggers.WandbLogger``
    is as much evidence of W&B logging as the constructor call in code.
    """
    found = [(value, doc.lines.get(path + (key,), doc.line)) for path, key, value in _walk(doc.data)
             if key == "_target_" and isinstance(value, str) and value]
    return sorted(found, key=lambda item: item[1])


# -- readers -------------------------------------------------------------------

def _invalid(path: str, message: str, line: int = 1, index: int = 0) -> ConfigDoc:
    """The one document a file that cannot be read gives (or the tail of a broken stream)."""
    return ConfigDoc(path=path, kind="invalid", data=None, line=line, index=index, error=message)


def _helm_template_path(path: str) -> bool:
    parts = path.split("/")
    return "templates" in parts[:-1] or parts[-1].lower().endswith(".tpl")


def _parse_yaml(path: str, text: str) -> list[ConfigDoc]:
    """YAML documents; Helm templates are neutralised first, Jinja-ish files on failure."""
    helm = _helm_template_path(path) and has_go_template(text)
    source = neutralise_templates(text) if helm else text
    docs, failure = load_yaml_docs(source)
    templated = helm
    if failure is not None and not helm and not docs and ("{{" in text or "{%" in text):
        retry_docs, retry_failure = load_yaml_docs(neutralise_templates(text))
        if retry_failure is None:
            docs, failure, templated = retry_docs, None, True
    out: list[ConfigDoc] = []
    for doc in docs:
        kind = _classify(path, doc.data, "yaml")
        if helm and (kind != "k8s" or path.lower().endswith(".tpl")):
            kind = "helm_template"
        out.append(ConfigDoc(path=path, kind=kind, data=doc.data, line=doc.line, index=doc.index,
                             lines=doc.lines, templated=templated, value_lines=doc.value_lines))
    if failure is not None:
        if helm:
            out.append(ConfigDoc(path=path, kind="helm_template", data=None, line=failure.line,
                                 index=failure.index, error=failure.message, templated=True))
        else:
            out.append(_invalid(path, failure.message, failure.line, failure.index))
    return out


_JSON_TOKEN = lazy(r'"(?:[^"\\]|\\.)*"(?:\s*:)?|[\[\]{},]')


def _json_lines(text: str) -> dict[tuple, int]:
    """Lines of every key, and of container and string items, from one token scan.

    Runs only on text that ``json.loads`` accepted, so the token stream is sound.
    Numbers and literals inside arrays get no line (they have no token).
    """
    lines: dict[tuple, int] = {}
    stack: list[list[Any]] = []   # [path, is_object, current key or index]
    line, last = 1, 0
    for match in _JSON_TOKEN.finditer(text):
        start = match.start()
        line += text.count("\n", last, start)
        last = start
        token = match.group()
        head = token[0]
        top = stack[-1] if stack else None
        if head == '"':
            if token[-1] == ":":
                raw = token[:-1].rstrip()
                key = raw[1:-1] if "\\" not in raw else json.loads(raw)
                top[2] = key  # type: ignore[index]
                lines[top[0] + (key,)] = line  # type: ignore[index]
            elif top is not None and not top[1]:
                lines[top[0] + (top[2],)] = line
        elif head == ",":
            if top is not None and not top[1]:
                top[2] += 1
        elif head in "[{":
            if top is None:
                path: tuple = ()
            else:
                path = top[0] + (top[2],)
                if not top[1]:
                    lines[path] = line
            stack.append([path, head == "{", 0])
        elif stack:
            stack.pop()
    return lines


def _parse_json(path: str, text: str) -> list[ConfigDoc]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return [_invalid(path, f"JSON error at line {line}: {getattr(exc, 'msg', exc)}", line)]
    except RecursionError:
        return [_invalid(path, "JSON error: nesting too deep")]
    if isinstance(data, (dict, list)) and _too_deep(data):
        return [_invalid(path, f"JSON error: nesting deeper than {MAX_DEPTH} levels")]
    kind = _classify(path, data, "json")
    if kind == "json" and len(text) > _JSON_DATA_SIZE:
        # experiment results, eval outputs, datasets: walking every string of them is slow and finds no settings
        return [ConfigDoc(path=path, kind="data", data=None,
                          error=f"{len(text) // 1024} KB of JSON of no configuration kind: read as data")]
    lines = _json_lines(text) if len(text) <= _JSON_LINES_LIMIT else {}
    return [ConfigDoc(path=path, kind=kind, data=data, lines=lines)]


def _parse_toml(path: str, text: str) -> list[ConfigDoc]:
    if _toml is None:
        return [ConfigDoc(path=path, kind="toml", data=None,
                          error="no TOML parser available (install tomli on Python 3.10)")]
    try:
        data = _toml.loads(text)
    except Exception as exc:  # tomllib raises TOMLDecodeError, deep nesting RecursionError
        return [_invalid(path, f"TOML error: {str(exc)[:200]}")]
    if _too_deep(data):
        return [_invalid(path, f"TOML error: nesting deeper than {MAX_DEPTH} levels")]
    return [ConfigDoc(path=path, kind=_classify(path, data, "toml"), data=data)]


_INI_SECTION = lazy(r"\s*\[\s*'?(\w+)(?:\s+\"([^\"]*)\")?'?\s*\]")
_INI_KEY = lazy(r"\s*([\w.-]+)\s*[=:]")


def _ini_path(header: str) -> tuple | None:
    """``['remote "storage"']`` -> ("remote", "storage"); ``[core]`` -> ("core",); else None."""
    match = _INI_SECTION.match(header)
    if match is None:
        return None
    return match.group(1, 2) if match.group(2) is not None else (match.group(1),)


def _parse_dvc_config(path: str, text: str) -> list[ConfigDoc]:
    """``.dvc/config`` (INI): sections nest as data["remote"]["storage"]["url"]."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", 1) or 1
        return [_invalid(path, f"INI error at line {line}: {exc.message.splitlines()[0]}", line)]
    data: dict[str, Any] = {}
    for section in parser.sections():
        node = data
        for part in _ini_path(f"[{section}]") or (section,):
            node = node.setdefault(part, {})
        node.update(parser.items(section, raw=True))
    lines: dict[tuple, int] = {}
    current: tuple = ()
    for number, raw in enumerate(text.splitlines(), 1):
        header = _ini_path(raw)
        if header:
            current = header
            lines.setdefault(current, number)
            continue
        key = _INI_KEY.match(raw)
        if key and current and not raw.lstrip().startswith(("#", ";")):
            lines.setdefault(current + (key.group(1),), number)
    return [ConfigDoc(path=path, kind="dvc_config", data=data, lines=lines)]


_JENKINS_STAGE = lazy(r"""\bstage\s*\(\s*(['"])([^'"\n]{1,200})\1""")
_LINE_STRING = {q: lazy(rf"((?:[^{q}\\\n]|\\.)*){q}") for q in "'\""}
_JENKINS_STEP = lazy(r"""\b(?:sh|bat|powershell|pwsh)\b\s*(?:\(\s*)?(?:script\s*:\s*)?('''|\"\"\"|'|")""")


def _jenkins_steps(text: str) -> Iterator[tuple[int, str]]:
    """(offset, command) of shell steps; each string is read once, so hostile text stays linear."""
    pos = 0
    while True:
        match = _JENKINS_STEP.search(text, pos)
        if match is None:
            return
        quote, body = match.group(1), match.end()
        if len(quote) == 3:
            end = text.find(quote, body)
            if end < 0:
                return  # no later triple quote can close either
            yield match.start(), text[body:end]
            pos = end + 3
            continue
        string = _LINE_STRING[quote].match(text, body)
        if string is None:  # unterminated on its line: go on after that line
            newline = text.find("\n", body)
            pos = len(text) if newline < 0 else newline
            continue
        yield match.start(), string.group(1)
        pos = string.end()


def _parse_jenkins(path: str, text: str) -> list[ConfigDoc]:
    """A Jenkinsfile is Groovy, not data: keep stage names and shell steps, with lines.

    Shell steps go under ``sh`` (also for ``bat``/``powershell``) so that code
    reading CI step commands by key finds them as it does for YAML CI files.
    """
    found: list[tuple[int, str, str]] = []
    for match in _JENKINS_STAGE.finditer(text):
        found.append((match.start(), "text_stages", match.group(2)))
    for start, command in _jenkins_steps(text):
        found.append((start, "sh", command))
    found.sort()
    data: dict[str, list[str]] = {"text_stages": [], "sh": []}
    lines: dict[tuple, int] = {}
    line, last = 1, 0
    for start, key, value in found:
        line += text.count("\n", last, start)
        last = start
        lines[(key, len(data[key]))] = line
        data[key].append(value)
    return [ConfigDoc(path=path, kind="jenkins", data=data, lines=lines)]


_READERS: dict[str, Callable[[str, str], list[ConfigDoc]]] = {
    "yaml": _parse_yaml, "json": _parse_json, "toml": _parse_toml,
    "ini": _parse_dvc_config, "jenkins": _parse_jenkins, "dotenv": _parse_dotenv,
}


def parse_config(path: str, text: str) -> list[ConfigDoc]:
    """Every document of one configuration file, each with its kind; never raises."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return _READERS[_format(path)](path, text)
    except Exception as exc:  # a collector bug must not stop the audit
        return [_invalid(path, f"internal error while parsing: {type(exc).__name__}: {exc}"[:300])]
