"""Documentation generated from rule metadata: one page per rule, an index, and the
seed traceability table.

``python -m mlops_audit.docs_gen`` writes docs/rules/<ID>.md, docs/rules/README.md
and docs/seeds.md; ``--check`` writes nothing and exits 1 when any of them is
stale or a page exists for a rule that is gone (for CI). The same Markdown is
what ``mlops-audit rules ID`` prints, so the page and the command never differ.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

from .rules import all_rules
from .rules._base import Rule, RuleMeta

__all__ = ["CONCEPTS", "rule_record", "rule_markdown", "index_markdown", "seeds_markdown", "generate", "stale",
           "default_docs_dir", "main"]

# report-contract defect concepts, described in our own words
CONCEPTS: dict[str, str] = {
    "model_load_per_request": "model weights or a pickle are deserialised inside the request handler",
    "unpinned_dependencies": "direct dependencies float: no exact versions and no lock file",
    "missing_lock_file": "nothing records the fully resolved environment",
    "partial_seeding": "a training entry point seeds some of the random generators it uses, not all",
    "model_file_in_git": "a serialised model is committed to git without git-lfs",
    "unsafe_deserialization": "a model file is loaded with pickle semantics (torch.load without "
                              "weights_only=True, pickle/joblib/dill)",
    "trust_remote_code": "a model is loaded with trust_remote_code=True",
    "hardcoded_secret": "an API key or token is written into code, configuration or a notebook",
    "notebook_out_of_order": "a notebook's execution counts do not increase from top to bottom",
    "data_parallel_instead_of_ddp": "training uses torch.nn.DataParallel rather than DistributedDataParallel",
    "prompt_concat_user_input": "user input is concatenated, f-stringed or formatted into a prompt",
    "no_max_tokens": "an LLM call has no bound on the tokens it may generate",
    "latest_model_reference": "serving loads a model as 'latest', by stage name, or by an unversioned path",
    "empty_cache_oom": "torch.cuda.empty_cache() is used to work around out-of-memory errors",
    "no_health_endpoint": "a server has no health or readiness check",
}

_HEADINGS = ("What it does", "Why is this bad", "Example", "Use instead", "Remediation by stack", "References",
             "Seed items", "Concept")


def _what_it_does(rule: Rule) -> str:
    doc = inspect.getdoc(rule.check) or ""
    return doc.strip() or rule.meta.title


def rule_record(rule: Rule) -> dict[str, Any]:
    """Everything known about a rule, as plain data (``rules --format json``)."""
    m = rule.meta
    return {
        "id": m.id, "name": m.name, "area": m.area, "severity": m.severity.value, "title": m.title,
        "concept": m.concept, "what_it_does": _what_it_does(rule), "rationale": m.rationale,
        "bad": m.bad, "good": m.good,
        "remediation": dict(m.remediation) if isinstance(m.remediation, Mapping) else {"default": m.remediation},
        "references": list(m.references), "seeds": list(m.seeds), "fixable": m.fixable,
        "requires": list(m.requires), "stakes_sensitive": m.stakes_sensitive, "principle": m.principle,
        "tools": list(m.tools),
    }


def _language(code: str) -> str:
    text = code.strip()
    first = text.split(None, 1)[0] if text else ""
    if first.upper() in ("FROM", "RUN", "COPY", "CMD", "ENTRYPOINT") and first.isupper():
        return "dockerfile"
    try:
        ast.parse(text)
        return "python"
    except SyntaxError:
        pass
    if text.startswith("[") and "=" in text:
        return "toml"
    try:
        import yaml

        if isinstance(yaml.safe_load(text), (dict, list)):
            return "yaml"
    except Exception:  # noqa: BLE001 - any parse failure just means "not YAML"
        pass
    return "text"


def _code(code: str) -> str:
    return f"```{_language(code)}\n{code.rstrip()}\n```"


def _remediation(meta: RuleMeta) -> str:
    rem = meta.remediation
    if isinstance(rem, str):
        return rem.strip() or "_None given._"
    parts = []
    keys = [k for k in rem if k != "default"] + (["default"] if "default" in rem else [])
    for key in keys:
        label = "Any other stack" if key == "default" else f"`{key}`"
        text = rem[key].strip()
        if "\n" in text:
            parts.append(f"**{label}**\n\n{_code(text)}")
        else:
            parts.append(f"**{label}**: {text}")
    return "\n\n".join(parts) or "_None given._"


def rule_markdown(rule: Rule) -> str:
    """The rule's page: fixed headings, in the order of ``_HEADINGS``."""
    from .seeds import ITEMS

    m = rule.meta
    facts = [f"- **Area**: {m.area}", f"- **Severity**: {m.severity.value}"
             + (" (demoted one level at low stakes)" if m.stakes_sensitive else ""),
             f"- **Fixable**: {'yes (`mlops-audit fix`)' if m.fixable else 'no'}"]
    if m.requires:
        facts.append(f"- **Applies when**: {', '.join(m.requires)}")
    if m.principle:
        facts.append(f"- **Principle**: {m.principle}")
    refs = "\n".join(f"- {r}" for r in m.references) or "_None._"
    seeds = "\n".join(f"- {s}: {ITEMS.get(s, '(unknown item)')}" for s in m.seeds) or "_None._"
    concept = (f"`{m.concept}`: {CONCEPTS[m.concept]}" if m.concept in CONCEPTS
               else f"`{m.concept}`" if m.concept else "_No report-contract concept._")
    sections = {
        "What it does": _what_it_does(rule),
        "Why is this bad": m.rationale.strip(),
        "Example": _code(m.bad) if m.bad.strip() else "_No example._",
        "Use instead": _code(m.good) if m.good.strip() else "_No example._",
        "Remediation by stack": _remediation(m),
        "References": refs,
        "Seed items": seeds,
        "Concept": concept,
    }
    body = "\n\n".join(f"## {h}\n\n{sections[h]}" for h in _HEADINGS)
    return f"# {m.id}: {m.name}\n\n{m.title}\n\n" + "\n".join(facts) + "\n\n" + body + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def index_markdown(rules: Iterable[Rule]) -> str:
    rules = list(rules)
    by_area: dict[str, list[Rule]] = {}
    for r in rules:
        by_area.setdefault(r.meta.area, []).append(r)
    out = ["# Rules", "",
           f"{len(rules)} rules. Each page is generated from the rule's metadata "
           "(`python -m mlops_audit.docs_gen`); `mlops-audit rules ID` prints the same text.", ""]
    for area in sorted(by_area):
        out += [f"## {area}", "", "| ID | Name | Severity | Concept | Title |", "|---|---|---|---|---|"]
        for r in sorted(by_area[area], key=lambda r: r.meta.id):
            m = r.meta
            out.append(f"| [{m.id}]({m.id}.md) | {m.name} | {m.severity.value} | {m.concept or ''} | "
                       f"{_cell(m.title)} |")
        out.append("")
    return "\n".join(out)


def seeds_markdown(rules: Iterable[Rule]) -> str:
    from .seeds import SOURCES, summary, traceability

    rows = traceability(rules)
    s = summary(rows)
    out = ["# Seed checklist traceability", "",
           "Every item of the seed checklist and what covers it: rules (their `seeds` metadata), inventory "
           "capabilities, report parts, commands, declared contracts (`[tool.mlops-audit.contracts]`), live "
           "audits, or the evidence that would settle it. Generated by `python -m mlops_audit.docs_gen`; "
           "`mlops-audit rules --seeds` prints the same table.", "",
           f"**Coverage: {s['covered']} of {s['total']} items ({s['covered_percent']}%)**; "
           f"{s['planned']} planned, {s['needs_evidence']} need evidence, {s['missing']} missing; "
           f"{s['by_rule']} items have at least one rule.", ""]
    for prefix, source in SOURCES.items():
        out += [f"## {source} ({prefix})", "", "| Item | What | Status | Rules | Other coverage |",
                "|---|---|---|---|---|"]
        for r in rows:
            if r.id[0] != prefix:
                continue
            rules_cell = ", ".join(f"[{x}](rules/{x}.md)" for x in r.rules)
            other = "; ".join(_cell(e) for e, _ in r.coverage)
            out.append(f"| {r.id} | {_cell(r.text)} | {r.status} | {rules_cell} | {other} |")
        out.append("")
    return "\n".join(out)


def default_docs_dir() -> Path:
    """docs/ of the source checkout (src/mlops_audit/docs_gen.py -> <repo>/docs)."""
    return Path(__file__).resolve().parents[2] / "docs"


def generate(rules: Iterable[Rule] | None = None) -> dict[str, str]:
    """Relative path (under docs/) -> content of every generated file."""
    rules = list(rules) if rules is not None else all_rules()
    files = {f"rules/{r.meta.id}.md": rule_markdown(r) for r in rules}
    files["rules/README.md"] = index_markdown(rules)
    files["seeds.md"] = seeds_markdown(rules)
    return files


def stale(docs: Path, files: Mapping[str, str]) -> list[str]:
    """Generated files that differ on disk, are missing, or exist for rules that are gone."""
    out = [rel for rel, text in files.items()
           if not (docs / rel).is_file() or (docs / rel).read_text(encoding="utf-8") != text]
    rules_dir = docs / "rules"
    if rules_dir.is_dir():
        for page in sorted(rules_dir.glob("*.md")):
            rel = f"rules/{page.name}"
            if rel not in files:
                out.append(f"{rel} (no such rule)")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_audit.docs_gen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="docs directory (default: the checkout's docs/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when any file is stale")
    args = parser.parse_args(argv)
    docs = args.out or default_docs_dir()
    files = generate()
    if args.check:
        bad = stale(docs, files)
        for rel in bad:
            print(f"stale: {docs / rel}", file=sys.stderr)
        if bad:
            print("run: python -m mlops_audit.docs_gen", file=sys.stderr)
        return 1 if bad else 0
    rules_dir = docs / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    for page in rules_dir.glob("*.md"):
        if f"rules/{page.name}" not in files:
            page.unlink()
    written = 0
    for rel, text in files.items():
        path = docs / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    print(f"{len(files)} files in {docs} ({written} updated)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
