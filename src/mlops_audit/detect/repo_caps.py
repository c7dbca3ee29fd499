"""Capabilities that are facts about the repository as a whole: dependency pins
and lock files, model files in git, model cards, prompt files, and the
configuration system (decided from several weaker signals together).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from .._patterns import lazy
from ..facts import ConfigDoc, Facts, Requirement
from .evidence import Evidence, in_test_suite

__all__ = ["detect_repo", "runtime_requirements", "model_files", "is_model_file", "dvc_outputs"]

_MODEL_EXT = {".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras", ".pkl", ".pickle", ".joblib", ".onnx",
              ".safetensors", ".pb", ".tflite", ".mlmodel", ".gguf", ".sav",
              ".mar"}  # .mar: a TorchServe model archive (weights + handler zipped)
_BIN_WEIGHTS = lazy(r"(?i)(pytorch_model|model|weights?|adapter_model|checkpoint|ckpt)[^/]*\.bin$")
_CARD_NAMES = {"model_card.md", "modelcard.md", "model-card.md", "model_card.yaml", "model_card.json"}
_PROMPT_DIR = lazy(r"(^|/)prompts?(/|$)|(^|/)prompt_templates?(/|$)")
_NON_RUNTIME_REQ = lazy(r"(?i)(^|/|[-_.])(dev|test|tests|testing|lint|docs?|ci|style|typing|mypy|build)"
                              r"([-_.]|/|$)")


def is_model_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""  # PurePosixPath.suffix, without the object
    if suffix in _MODEL_EXT:
        return True
    return suffix == ".bin" and bool(_BIN_WEIGHTS.search(name))


def dvc_outputs(facts: Facts) -> set[str]:
    """Paths DVC manages (``outs`` of .dvc files and dvc.yaml stages), repo-relative and normalized."""
    import posixpath

    out: set[str] = set()
    for doc in facts.configs:
        data = doc.data if isinstance(doc.data, dict) else {}
        base = doc.path.rsplit("/", 1)[0] + "/" if "/" in doc.path else ""
        if doc.kind == "dvc_file":
            for o in data.get("outs") or []:
                if isinstance(o, dict) and isinstance(o.get("path"), str):
                    out.add(posixpath.normpath(base + o["path"]))
        elif doc.kind == "dvc_yaml":
            stages = data.get("stages")
            for stage in (stages.values() if isinstance(stages, dict) else ()):
                if not isinstance(stage, dict):
                    continue
                for o in stage.get("outs") or []:
                    name = o if isinstance(o, str) else (next(iter(o)) if isinstance(o, dict) and o else None)
                    if isinstance(name, str):
                        out.add(posixpath.normpath(base + name))
    return out


def model_files(facts: Facts) -> list[tuple[str, int]]:
    """Serialized model files: known weight extensions, plus the extension-less ``model`` files of a spaCy
    pipeline directory (each component folder holds ``cfg`` next to its ``model``)."""
    paths = {f.path for f in facts.files}
    out = []
    for f in facts.files:
        if is_model_file(f.path):
            out.append((f.path, f.size))
        elif f.path.rsplit("/", 1)[-1] == "model" and "/" in f.path and f.path.rsplit("/", 1)[0] + "/cfg" in paths:
            out.append((f.path, f.size))
    return out


def runtime_requirements(facts: Facts) -> list[tuple[str, Requirement]]:
    """Runtime dependencies: main groups of manifests that are not dev/test/docs files.

    Manifests of the test suite (tests/integration/.../conda.yaml) describe a fixture's environment, not the
    project's. A compiled requirements file keeps its transitive pins (``Requirement.direct`` False) here:
    they are part of the environment it fixes; only tool declarations leave them out."""
    out = []
    for m in facts.manifests:
        if in_test_suite(m.path):
            continue
        if m.kind == "requirements" and _NON_RUNTIME_REQ.search(PurePosixPath(m.path).stem + "/"):
            continue
        if m.kind == "requirements" and _NON_RUNTIME_REQ.search(str(PurePosixPath(m.path).parent) + "/"):
            continue
        for r in m.requirements:
            if r.group == "main" and r.name not in ("python", "pip"):
                out.append((m.path, r))
    return out


def detect_repo(facts: Facts, ev: Evidence) -> None:
    _locks_and_pins(facts, ev)
    _model_files(facts, ev)
    _model_card(facts, ev)
    _prompt_files(facts, ev)
    _config_management(facts, ev)


def _locks_and_pins(facts: Facts, ev: Evidence) -> None:
    locks = [lock for lock in facts.locks if not in_test_suite(lock.path)]  # tests/fixtures/poetry.lock fixes nothing
    for lock in locks:
        ev.add("lock_file", lock.tool, lock.path, 1, f"{lock.tool} lock")
    reqs = runtime_requirements(facts)
    if not reqs:
        return
    unpinned = [(p, r) for p, r in reqs if not r.pinned]
    if not unpinned:
        direct = [(p, r) for p, r in reqs if r.direct] or reqs  # a compiled file's transitive pins come along
        first = direct[0]
        ev.add("pinned_dependencies", "", first[0], first[1].line, f"{len(direct)} direct dependencies pinned")
    elif locks:
        ev.add("pinned_dependencies", "", locks[0].path, 1, "a lock file fixes the resolved versions")


def _model_files(facts: Facts, ev: Evidence) -> None:
    git = facts.git
    if not git.is_repo:
        return
    lfs = set(git.lfs_files)
    for path, size in model_files(facts):
        if path in git.tracked and path not in lfs:
            ev.add("model_artifacts_in_git", "", path, None, f"{size} bytes tracked by git")


def _model_card(facts: Facts, ev: Evidence) -> None:
    for f in facts.files:
        name = f.path.rsplit("/", 1)[-1].lower()
        if name in _CARD_NAMES or (name.endswith(".md") and "model_card" in name):
            ev.add("model_card", "", f.path, 1, "model card")
    for path, text in facts.texts.items():
        if not path.lower().endswith("readme.md") or not text.startswith("---"):
            continue
        end = text.find("\n---", 3)
        if end < 0:
            continue
        front = text[3:end]
        if re.search(r"(?m)^(model-index|model_name|pipeline_tag|base_model)\s*:", front):
            ev.add("model_card", "huggingface_hub", path, 1, "Hugging Face model card metadata")


_PROMPT_KEY = lazy(r"(?i)(^|_)(system_)?(prompt|prompts)(_|$)|^(system|user)_(message|template)$|"
                         r"^(instruction|prompt)_template$")
_PROMPT_DOC_KINDS = frozenset({"json", "yaml", "toml", "params", "hydra"})


def _prompt_text(value: object) -> bool:
    """A string that reads like a prompt: a few words, or a template with a placeholder."""
    if not isinstance(value, str):
        return False
    return len(value.split()) >= 5 or bool(re.search(r"\{\{?\s*\w+\s*\}?\}", value))


def _prompt_documents(facts: Facts, ev: Evidence) -> None:
    """JSON/YAML documents that hold prompt templates under prompt keys (``prompt_input``, ``system_prompt``,
    LangChain's serialized ``_type: prompt`` with a ``template``), wherever the file lives."""
    for doc in facts.configs:
        if doc.kind not in _PROMPT_DOC_KINDS or not isinstance(doc.data, dict) or _tool_config(doc.path):
            continue
        data = doc.data
        if data.get("_type") in ("prompt", "few_shot") and _prompt_text(data.get("template")):
            ev.add("prompt_files", "", doc.path, doc.lines.get(("template",), doc.line), "LangChain prompt file")
            continue
        blocks = [((), data)] + [((k,), v) for k, v in list(data.items())[:50] if isinstance(v, dict)]
        for prefix, block in blocks:
            key = next((k for k, v in block.items() if isinstance(k, str) and _PROMPT_KEY.search(k)
                        and (_prompt_text(v) or (isinstance(v, list) and any(_prompt_text(x) for x in v[:5])))),
                       None)
            if key is not None:
                ev.add("prompt_files", "", doc.path, doc.lines.get(prefix + (key,), doc.line), f"prompt template {key}")
                break


# Prompt file formats, wherever they live: ``*.prompt`` (Dotprompt, Semantic Kernel) and ``*.prompty``
# (Microsoft Prompty: YAML front matter with the model settings, then the template).
_PROMPT_FORMATS = (".prompt", ".prompty")
_PROMPT_DIR_SUFFIXES = frozenset({".txt", ".md", ".yaml", ".yml", ".json", ".jsonl", ".j2", ".jinja", ".jinja2",
                                  ".tmpl", ".mustache"})
_STRUCTURED = frozenset({".yaml", ".yml", ".json"})


def _prompt_files(facts: Facts, ev: Evidence) -> None:
    _prompt_documents(facts, ev)
    docs: dict[str, list[ConfigDoc]] | None = None
    packages: set[str] | None = None  # folders holding an __init__.py, computed on the first Markdown candidate
    for f in facts.files:
        lower = f.path.lower()
        name = PurePosixPath(lower).name
        suffix = PurePosixPath(lower).suffix
        in_dir = bool(_PROMPT_DIR.search(lower))
        if f.kind == "prompt" or lower.endswith(_PROMPT_FORMATS) or ".prompt." in name or (
                in_dir and suffix in _PROMPT_DIR_SUFFIXES):
            if "/docs/" in "/" + lower or lower.startswith("docs/"):
                continue
            if lower.startswith((".github/", ".vscode/", ".cursor/", ".claude/")):
                continue  # coding-assistant prompts (.github/prompts/*.prompt.md) steer an IDE, not the project's LLM
            if lower.endswith(".md") and (not in_dir or name.startswith(("readme", "contributing"))):
                continue  # PROMPTING.md, prompt_notes.md, prompts/README.md: prose about prompts
            if lower.endswith(".md"):
                if packages is None:
                    packages = {p.rpartition("/")[0] for p in (e.path.lower() for e in facts.files)
                                if p == "__init__.py" or p.endswith("/__init__.py")}
                if lower.rpartition("/")[0] in packages:
                    continue  # src/pkg/prompt/formats.md: a note beside the package's prompt code, not a prompt
            if suffix in _STRUCTURED and not lower.endswith(_PROMPT_FORMATS) and ".prompt." not in name:
                if docs is None:
                    docs = {}
                    for d in facts.configs:
                        docs.setdefault(d.path, []).append(d)
                parsed = docs.get(f.path)
                if parsed and not any(_holds_prompt(d.data) for d in parsed):
                    continue  # prompts/tools.json (a function-calling schema), prompts/settings.yaml: no prompt text
            ev.add("prompt_files", "", f.path, 1, "prompt file")


def _json_schema(node: object) -> bool:
    return isinstance(node, dict) and ("$schema" in node or (
        node.get("type") == "object" and isinstance(node.get("properties"), dict)))


def _tool_schema(node: dict) -> bool:
    """A function-calling tool definition (OpenAI ``{"type": "function", "function": {...}}``, a bare
    ``{"name", "description", "parameters"}``, Anthropic ``input_schema``, MCP ``inputSchema``) or a JSON
    Schema: its descriptions document arguments for the model, they are no prompt of their own."""
    if node.get("type") == "function" and isinstance(node.get("function"), dict):
        return True
    if "name" in node and any(_json_schema(node.get(k)) for k in ("parameters", "input_schema", "inputSchema")):
        return True
    return _json_schema(node)


def _holds_prompt(data: object, budget: int = 2000) -> bool:
    """Some string of a parsed prompt-folder document reads like a prompt (outside tool schemas)."""
    stack = [data]
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, dict):
            if not _tool_schema(node):
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node[:200])
        elif _prompt_text(node):
            return True
    return False


def _config_management(facts: Facts, ev: Evidence) -> None:
    """yaml/json/toml configs count when code reads them; pydantic config models count as a config system."""
    config_docs = [d for d in facts.configs if d.kind in ("params", "hydra", "kedro", "yaml")
                   and not _tool_config(d.path)]
    if ev.present("_yaml_read") and config_docs:
        for h in ev.hits("_yaml_read")[:3]:
            ev.add("config_management", "yaml", h.path, h.line, h.detail, h.cell)
        ev.add("config_management", "yaml", config_docs[0].path, 1, "config file")
    for h in ev.hits("_config_file_literal"):
        ev.add("config_management", h_tool(ev, "_config_file_literal", h.detail), h.path, h.line, h.detail, h.cell)
    json_docs = [d for d in facts.configs if (d.kind in ("json", "toml") or (
        d.kind == "params" and d.path.lower().endswith((".json", ".toml")))) and _run_config_json(d)]
    json_reads = [h for h in ev.hits("_json_toml_read") if h.cell is None]  # notebooks json.load data, mostly
    if json_docs and json_reads:  # config.json / hparams.json read with json.load
        tool = "json" if json_docs[0].path.lower().endswith(".json") else "toml"
        for h in json_reads[:3]:
            ev.add("config_management", tool, h.path, h.line, h.detail, h.cell)
        ev.add("config_management", tool, json_docs[0].path, 1, "config file")
    if ev.present("_pydantic_config") and (config_docs or ev.present("_yaml_read")):
        for h in ev.hits("_pydantic_config")[:3]:
            ev.add("config_management", "pydantic", h.path, h.line, h.detail, h.cell)
    params = [d for d in facts.configs if d.kind == "dvc_yaml" and isinstance(d.data, dict)
              and any(isinstance(s, dict) and s.get("params") for s in (d.data.get("stages") or {}).values())]
    for d in params:
        ev.add("config_management", "yaml", d.path, d.line, "dvc stage params")
    kedro_params = [d for d in facts.configs if d.kind == "kedro" and isinstance(d.data, dict) and d.data
                    and d.path.rsplit("/", 1)[-1].lower().startswith("parameters")]
    if kedro_params and ev.present("_kedro_params"):  # Kedro nodes fed from conf/*/parameters*.yml
        for h in ev.hits("_kedro_params")[:3]:
            ev.add("config_management", "yaml", h.path, h.line, h.detail, h.cell)
        ev.add("config_management", "yaml", kedro_params[0].path, 1, "kedro parameters file")


_RUN_CONFIG_NAME = lazy(r"(^|[_-])(config|configs|params|hparams|hyperparams|hyperparameters|settings)"
                              r"([_-][\w-]*)?\.(json|toml)$")
_MODEL_CONFIG_KEYS = frozenset({"architectures", "model_type", "_name_or_path", "transformers_version"})


def _run_config_json(doc: ConfigDoc) -> bool:
    """A JSON/TOML file named like a run configuration (config.json, train_config.json, hparams.json), not a
    developer tool's file (tsconfig.json, pyproject.toml) and not a saved Hugging Face model config."""
    parts = doc.path.lower().split("/")
    name = parts[-1]
    if not _RUN_CONFIG_NAME.search(name) or name.startswith(("tsconfig", "jsconfig")) or _tool_config(doc.path):
        return False
    if any(p in ("tests", "test", "node_modules") for p in parts[:-1]):
        return False
    # DeepSpeed configs (zero_optimization) are read by the launcher, whatever json.load the code does
    return isinstance(doc.data, dict) and not ((_MODEL_CONFIG_KEYS | {"zero_optimization"}) & set(doc.data))


_TOOL_DIRS = frozenset({".github", ".gitlab", ".circleci", "docs", "doc", ".devcontainer", ".vscode"})
_TOOL_FILES = frozenset({"mkdocs.yml", "mkdocs.yaml", ".readthedocs.yml", ".readthedocs.yaml", "codecov.yml",
                         ".codecov.yml", ".yamllint", ".yamllint.yml", ".yamllint.yaml", "_toctree.yml",
                         ".gitpod.yml", "renovate.json", ".markdownlint.yaml", ".markdownlint.yml",
                         ".terraform-docs.yaml", ".terraform-docs.yml", ".golangci.yml", ".goreleaser.yml"})


def _tool_config(path: str) -> bool:
    """YAML that configures a developer tool or the documentation, not the project's runs."""
    parts = path.split("/")
    return parts[-1].lower() in _TOOL_FILES or any(p in _TOOL_DIRS for p in parts[:-1])


def h_tool(ev: Evidence, capability: str, detail: str) -> str:
    for ext in ("yaml", "json", "toml"):
        if detail.rstrip("')\"").endswith(ext) or f".{ext}" in detail or (ext == "yaml" and ".yml" in detail):
            return ext
    return "yaml"
