"""Generated docs must match the rule metadata (re-run `python -m mlops_audit.docs_gen`)."""
from __future__ import annotations

from pathlib import Path

from mlops_audit import docs_gen
from mlops_audit.rules import all_rules

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_are_fresh() -> None:
    bad = docs_gen.stale(DOCS, docs_gen.generate())
    assert bad == [], "stale docs; run: python -m mlops_audit.docs_gen"


def test_check_mode_detects_staleness(tmp_path: Path) -> None:
    assert docs_gen.main(["--out", str(tmp_path), "--check"]) == 1
    assert docs_gen.main(["--out", str(tmp_path)]) == 0
    assert docs_gen.main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "rules" / "XYZ999.md").write_text("# gone\n", encoding="utf-8")
    assert docs_gen.main(["--out", str(tmp_path), "--check"]) == 1
    assert docs_gen.main(["--out", str(tmp_path)]) == 0
    assert not (tmp_path / "rules" / "XYZ999.md").exists()


def test_every_rule_page_has_the_fixed_headings() -> None:
    for rule in all_rules():
        page = docs_gen.rule_markdown(rule)
        positions = [page.index(f"\n## {h}\n") for h in docs_gen._HEADINGS]
        assert positions == sorted(positions), rule.meta.id
