"""SEC003 when trust_remote_code=True sits in a keyword dictionary: anchor on the call that receives it."""
from __future__ import annotations

from pathlib import Path

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.model import Severity

from ..conftest import FIXTURES, materialize

UNPINNED = "without pinning a reviewed revision: the repository's Python runs at load time."


def _sec003(name: str, tmp_path: Path) -> list[tuple[str, int | None, Severity, str]]:
    repo = materialize(FIXTURES / name, tmp_path / "repo")
    report = audit(repo, AuditConfig(use_cache=False, select=("SEC003",)))
    return sorted((f.location.path, f.location.line, f.severity, f.message)
                  for f in report.findings if f.rule == "SEC003")


def test_finding_sits_on_the_call_that_receives_the_dictionary(tmp_path: Path) -> None:
    assert _sec003("sec003_anchor_positive", tmp_path) == [
        # model_kwargs = dict(trust_remote_code=True, ...) at line 8, from_pretrained(**model_kwargs) at 14
        ("finetune.py", 14, Severity.HIGH,
         "finetune.py:14 calls AutoModelForCausalLM.from_pretrained with trust_remote_code=True, set in "
         f"model_kwargs at line 8, {UNPINNED}"),
        # return AutoTokenizer.from_pretrained(model_name, **tok_kwargs)
        ("finetune.py", 23, Severity.HIGH,
         "finetune.py:23 calls AutoTokenizer.from_pretrained with trust_remote_code=True, set in tok_kwargs at "
         f"line 22, {UNPINNED}"),
        # kwargs.update(trust_remote_code=True, revision=<sha>): the pin travels with the dictionary
        ("finetune.py", 29, Severity.MEDIUM,
         "finetune.py:29 calls AutoModelForCausalLM.from_pretrained with trust_remote_code=True, set in kwargs "
         "at line 28 (revision pinned to a commit): the repository's Python runs at load time."),
        # pipeline(..., model_kwargs=extra)
        ("finetune.py", 34, Severity.HIGH,
         f"finetune.py:34 calls transformers.pipeline with trust_remote_code=True, set in extra at line 33, "
         f"{UNPINNED}"),
    ]


def test_dictionary_not_received_in_its_function_is_named_as_such(tmp_path: Path) -> None:
    tail = ("without pinning a reviewed revision; a model or dataset loaded with these arguments runs its "
            "repository's Python at load time.")
    found = _sec003("sec003_anchor_negative", tmp_path)
    # used in another function, and a dictionary no call of its function receives (another one is passed):
    # the finding stays on the dictionary and says so; trust_remote_code=False and test files give nothing
    assert found == [
        ("loaders.py", 3, Severity.HIGH, f"loaders.py:3: trust_remote_code=True set in MODEL_KWARGS {tail}"),
        ("loaders.py", 12, Severity.HIGH, f"loaders.py:12: trust_remote_code=True set in remote {tail}"),
    ]
    assert not any("calls dict" in message for *_, message in found)
