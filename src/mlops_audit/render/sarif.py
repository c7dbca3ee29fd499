"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

- ``tool.driver.rules[]`` comes from the rule REGISTRY: id, kebab name, title,
  rationale, help (remediation per tool, bad/good examples, references),
  tags (area, concept), precision, and ``security-severity`` on security rules
  so GitHub ranks them in the Security tab.
- Each finding is one result: ``ruleId``/``ruleIndex``, ``level`` from the
  severity (critical/high -> error, medium -> warning, low/info -> note), the
  message, one location and ``partialFingerprints["mlopsAudit/v1"]`` (the
  report's line-free fingerprint, so GitHub tracks an alert across edits).
- Paths are repository-relative POSIX URIs under ``%SRCROOT%``. A scan of a
  sub-folder given as a relative path (``mlops-audit scan services/api``, run
  from the repository root as CI does) prefixes that folder.
- GitHub shows an alert only with a file and a start line, so findings without
  a line are anchored at line 1: file-level findings on their file, notebook
  findings on the ``.ipynb`` (cell and line go in the message and properties,
  since cell lines are not lines of the JSON file), and repository-level
  findings on the project's main manifest (pyproject.toml, setup.py, ...) as
  named in the report, else the first file the report mentions.

Deterministic: no timestamps, sorted rules, results in report order.
"""
from __future__ import annotations

import json
import posixpath
import re
from functools import lru_cache
from typing import Any, Iterable

from ..model import Finding, Report, Severity

__all__ = ["render", "SARIF_SCHEMA", "FINGERPRINT_KEY", "LEVEL", "SECURITY_SEVERITY", "is_security_rule"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "mlopsAudit/v1"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
         Severity.INFO: "note"}
# GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
SECURITY_SEVERITY = {Severity.CRITICAL: "9.3", Severity.HIGH: "7.5", Severity.MEDIUM: "5.0", Severity.LOW: "2.5",
                     Severity.INFO: "0.5"}
_SECURITY_CONCEPTS = frozenset({"unsafe_deserialization", "trust_remote_code", "hardcoded_secret",
                                "prompt_concat_user_input"})
_ANCHORS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "environment.yml", "environment.yaml",
            "Pipfile", "Dockerfile", "README.md")


def is_security_rule(rule_id: str, concept: str | None) -> bool:
    return rule_id.startswith("SEC") or (concept or "") in _SECURITY_CONCEPTS


@lru_cache(maxsize=1)
def _project_url() -> str | None:
    """The project's repository URL from the installed package metadata, when it declares one."""
    try:
        from importlib.metadata import metadata

        urls = metadata("mlops-audit").get_all("Project-URL") or []
    except Exception:  # not installed, or no metadata
        return None
    by_label = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        by_label[label.strip().lower()] = url.strip()
    for label in ("repository", "source", "homepage", "documentation"):
        url = by_label.get(label, "")
        if url.startswith("https://"):
            return url.rstrip("/")
    return None


def _help_uri(rule_id: str) -> str | None:
    url = _project_url()
    if url is None:
        return None
    if "github.com/" in url:
        return f"{url}/blob/main/docs/rules/{rule_id}.md"
    return f"{url}/rules/{rule_id}"


def _text(s: str) -> dict[str, str]:
    return {"text": s}


def _remediation_text(remediation: Any) -> tuple[str, str]:
    """(plain, markdown) of a remediation given as text or as {tool: text}."""
    if isinstance(remediation, str):
        return remediation, remediation
    items = list(remediation.items())
    default = [v for k, v in items if k == "default"]
    plain = "\n".join(f"{k}: {v}" for k, v in items if k != "default") + ("\n" if len(items) > 1 else "")
    plain += default[0] if default else ""
    md = "\n".join(f"- **{k}**: {v}" for k, v in items if k != "default")
    md += ("\n- **otherwise**: " + default[0]) if default and len(items) > 1 else (default[0] if default else "")
    return plain.strip(), md.strip()


def _lang(code: str) -> str:
    """A fence language for an example: most are Python, some are Dockerfiles, YAML or TOML."""
    first = code.strip().split("\n", 1)[0]
    if re.match(r"^(FROM|RUN|COPY|CMD|ENTRYPOINT)\b", first):
        return "dockerfile"
    if first.startswith("[") and first.endswith("]"):
        return "toml"
    if re.match(r"^(- |[\w.-]+:(\s|$))", first) and not first.rstrip().endswith(("):", "else:", "try:")):
        return "yaml"
    return "python"


def _rule_descriptor(meta: Any) -> dict[str, Any]:
    severity = Severity(meta.severity)
    plain_fix, md_fix = _remediation_text(meta.remediation)
    md = [f"**{meta.title}** (`{meta.id}` {meta.name}; area: {meta.area}; default severity: {severity.value})",
          "", "## Why it matters", meta.rationale, "", "## How to fix", md_fix]
    if meta.bad:
        md += ["", "## Example", "```" + _lang(meta.bad), meta.bad.strip("\n"), "```"]
    if meta.good:
        md += ["", "## Use instead", "```" + _lang(meta.good), meta.good.strip("\n"), "```"]
    if meta.references:
        md += ["", "## References"] + [f"- {r}" for r in meta.references]
    md += ["", f"Silence one occurrence with `# mlops-audit: ignore[{meta.id}] -- reason` on the flagged line."]
    tags = ["mlops", meta.area] + ([meta.concept] if meta.concept else [])
    security = is_security_rule(meta.id, meta.concept)
    props: dict[str, Any] = {"precision": getattr(meta, "precision", "") or "high", "area": meta.area}
    if security:
        tags.append("security")
        props["security-severity"] = SECURITY_SEVERITY[severity]
    props["tags"] = list(dict.fromkeys(tags))
    if meta.seeds:
        props["seeds"] = list(meta.seeds)
    desc: dict[str, Any] = {
        "id": meta.id, "name": meta.name, "shortDescription": _text(meta.title),
        "fullDescription": _text(meta.rationale or meta.title),
        "help": {"text": f"{meta.rationale}\n\nHow to fix: {plain_fix}".strip(), "markdown": "\n".join(md)},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": props,
    }
    uri = _help_uri(meta.id)
    if uri:
        desc["helpUri"] = uri
    return desc


def _fallback_descriptor(f: Finding) -> dict[str, Any]:
    """A rule the registry does not know (a finding from another version or a live probe)."""
    tags = ["mlops", f.area] + ([f.concept] if f.concept else [])
    props: dict[str, Any] = {"precision": "high", "area": f.area}
    if is_security_rule(f.rule, f.concept):
        tags.append("security")
        props["security-severity"] = SECURITY_SEVERITY[f.severity]
    props["tags"] = list(dict.fromkeys(tags))
    return {"id": f.rule, "name": f.name or f.rule, "shortDescription": _text(f.title),
            "fullDescription": _text(f.title), "help": {"text": f.remediation or f.title,
                                                       "markdown": f.remediation or f.title},
            "defaultConfiguration": {"level": LEVEL[f.severity]}, "properties": props}


def _report_paths(report: Report) -> Iterable[str]:
    for f in report.findings:
        if f.location is not None:
            yield f.location.path
    inv = report.inventory
    for fw in inv.frameworks:
        for e in fw.evidence:
            yield e.path
    for cap in inv.capabilities.values():
        for e in cap.evidence:
            yield e.path


def _anchor(report: Report) -> str:
    """The file a repository-level finding is shown on: the main manifest the report names, else any file."""
    paths = {p for p in _report_paths(report) if p and p != "."}
    for name in _ANCHORS:
        if name in paths:
            return name
    root_level = sorted(p for p in paths if "/" not in p)
    if root_level:
        return root_level[0]
    return sorted(paths)[0] if paths else "README.md"


def _prefix(report: Report) -> str:
    """Folder to prepend when a relative sub-folder was scanned (paths must be repository-relative)."""
    given = report.target.path.replace("\\", "/")
    if not given or posixpath.isabs(given) or (len(given) > 1 and given[1] == ":"):
        return ""
    norm = posixpath.normpath(given)
    if norm in (".", "") or norm.startswith(".."):
        return ""
    return norm + "/"


def _result(f: Finding, rule_index: int, prefix: str, anchor: str) -> dict[str, Any]:
    loc = f.location
    message = f.message or f.title
    props: dict[str, Any] = {"severity": f.severity.value, "area": f.area, "title": f.title}
    if f.concept:
        props["concept"] = f.concept
    if loc is None:
        path, region = anchor, {"startLine": 1}
        props["repositoryLevel"] = True
    elif loc.cell is not None:
        path, region = loc.path, {"startLine": 1}
        props["notebookCell"] = loc.cell
        if loc.line is not None:
            props["cellLine"] = loc.line
        where = f"cell {loc.cell}" + (f", line {loc.line}" if loc.line else "")
        if where not in message:
            message = f"{message} (notebook {where})"
    else:
        path = loc.path
        region = {"startLine": loc.line or 1}
        if loc.line and loc.end_line and loc.end_line > loc.line:
            region["endLine"] = loc.end_line
        if loc.line is None:
            props["fileLevel"] = True
    result: dict[str, Any] = {
        "ruleId": f.rule, "ruleIndex": rule_index, "level": LEVEL[f.severity], "message": _text(message),
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": prefix + path, "uriBaseId": "%SRCROOT%"}, "region": region}}],
        "properties": props,
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    return result


def build(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict (``render`` serialises it)."""
    from ..rules import all_rules

    rules = [_rule_descriptor(r.meta) for r in all_rules()]
    index = {d["id"]: i for i, d in enumerate(rules)}
    for f in report.findings:
        if f.rule not in index:
            index[f.rule] = len(rules)
            rules.append(_fallback_descriptor(f))
    prefix, anchor = _prefix(report), _anchor(report)
    results = [_result(f, index[f.rule], prefix, anchor) for f in report.findings]
    driver: dict[str, Any] = {"name": report.tool.name, "version": report.tool.version,
                              "semanticVersion": report.tool.version, "rules": rules}
    if _project_url():
        driver["informationUri"] = _project_url()
    notes = [{"level": "warning", "message": _text(n)} for n in report.inspection.notes]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    s = report.summary
    run_props: dict[str, Any] = {}
    if s is not None:
        run_props = {"verdict": s.verdict, "maturity": f"{s.maturity.score}/{s.maturity.max} {s.maturity.level}",
                     "automationLevel": s.automation_level, "stakes": s.stakes, "suppressed": s.suppressed,
                     "baselined": s.baselined}
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"mlops-audit/{prefix}"},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.target.commit:
        run_props["commit"] = report.target.commit
    if run_props:
        run["properties"] = {"mlopsAudit": run_props}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, **_: object) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False) + "\n"
