"""`mlops-audit rules`: catalog, explanation, seed traceability; and the seed data itself."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from mlops_audit import seeds
from mlops_audit.capabilities import capabilities
from mlops_audit.cli import main
from mlops_audit.commands import rules as rules_cmd
from mlops_audit.rules import all_rules

SEED_DOC_IDS = ([f"C{i:02d}" for i in range(1, 38)] + [f"K{i:02d}" for i in range(1, 13)]
                + [f"H{i:02d}" for i in range(1, 30)] + [f"Z{i:02d}" for i in range(1, 13)]
                + [f"G{i:02d}" for i in range(1, 11)])


def _run(*args: str):
    return CliRunner().invoke(main, ["rules", *args])


def test_catalog_lists_every_rule_plainly() -> None:
    result = _run()
    assert result.exit_code == 0, result.output
    for r in all_rules():
        assert re.search(rf"^{r.meta.id}\s+{re.escape(r.meta.name)}\s", result.output, re.M)
    assert "\x1b[" not in result.output  # not a TTY: no colour codes


def test_catalog_json_and_area_filter() -> None:
    data = json.loads(_run("--format", "json", "--area", "llm").output)
    assert {d["id"] for d in data} >= {"LLM001", "LLM002", "LLM003", "LLM004", "LLM005"}
    assert all(d["area"] == "llm" for d in data)
    assert {"id", "name", "area", "severity", "concept", "title", "rationale", "remediation", "seeds"} <= set(data[0])
    assert _run("--area", "nonsense").exit_code == 2


@pytest.mark.parametrize("query", ["LLM001", "llm001", "prompt-built-from-user-input"])
def test_explain_by_id_or_name(query: str) -> None:
    result = _run(query)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("# LLM001: prompt-built-from-user-input")
    for heading in ("What it does", "Why is this bad", "Example", "Use instead", "Remediation by stack",
                    "References", "Seed items", "Concept"):
        assert f"## {heading}" in out
    assert "H16:" in out and "prompt_concat_user_input" in out and "`langchain`" in out


def test_explain_json() -> None:
    data = json.loads(_run("LLM002", "--format", "json").output)
    assert data["id"] == "LLM002" and data["concept"] == "no_max_tokens" and "ollama" in data["remediation"]


def test_unknown_rule_exits_2_with_a_suggestion() -> None:
    result = _run("LLM01")
    assert result.exit_code == 2
    assert "Did you mean LLM001" in result.output


def test_tty_rendering_uses_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_cmd, "_is_tty", lambda: True)
    for args in ((), ("--seeds",)):
        result = _run(*args)
        assert result.exit_code == 0, result.output
        assert "┃" in result.output  # a rich table, not the plain one
    explained = _run("LLM001")
    assert explained.exit_code == 0
    assert "LLM001: prompt-built-from-user-input" in explained.output
    assert not explained.output.startswith("# ")  # Markdown rendered, not printed raw


def test_seeds_command_lists_every_item() -> None:
    result = _run("--seeds")
    assert result.exit_code == 0
    for item in SEED_DOC_IDS:
        assert re.search(rf"^{item}\s", result.output, re.M), item
    assert re.search(r"Coverage: \d+/100 items", result.output)
    data = json.loads(_run("--seeds", "--format", "json").output)
    assert [i["id"] for i in data["items"]] == SEED_DOC_IDS
    assert data["summary"]["total"] == 100


# -- the seed data --------------------------------------------------------------
def test_seed_items_are_exactly_the_checklist() -> None:
    assert list(seeds.ITEMS) == SEED_DOC_IDS
    assert set(seeds.COVERAGE) <= set(seeds.ITEMS)


def test_every_seed_referenced_by_a_rule_exists() -> None:
    unknown = {(r.meta.id, s) for r in all_rules() for s in r.meta.seeds if s not in seeds.ITEMS}
    assert unknown == set()


def test_coverage_entries_name_real_things() -> None:
    caps = set(capabilities())
    planned_reports = set()
    for item, entries in seeds.COVERAGE.items():
        for entry in entries:
            kind, _, rest = entry.partition(":")
            assert kind in ("capability", "report", "command", "contract", "live audit", "needs evidence"), entry
            if kind == "capability":
                assert rest.strip() in caps, (item, entry)
            if kind == "report" and seeds.entry_status(entry) != "covered":
                planned_reports.add(rest.strip())
    assert planned_reports == set(seeds.PLANNED_REPORT_PARTS)


def test_at_least_95_percent_of_items_are_covered() -> None:
    rows = seeds.traceability(all_rules())
    summary = seeds.summary(rows)
    assert summary["missing"] == 0, [r.id for r in rows if r.status == "missing"]
    assert summary["covered_percent"] >= 95.0, [(r.id, r.status) for r in rows if r.status != "covered"]


def test_item_texts_are_paraphrases_not_copies() -> None:
    from pathlib import Path

    spec = Path("/work/shared/spec/seed-checks.md")
    if not spec.exists():
        pytest.skip("seed checklist not available")
    originals = {}
    for line in spec.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- ([CKHZG]\d\d) (.+)", line)
        if m:
            originals[m.group(1)] = re.sub(r"\s*\((HIGH|MEDIUM|CRITICAL|LOW)\)$", "", m.group(2)).strip().lower()
    copies = [i for i, text in seeds.ITEMS.items() if text.strip().lower() == originals.get(i)]
    assert copies == []
