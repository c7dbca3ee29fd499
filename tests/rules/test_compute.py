"""Unit tests of the compute helpers."""
from __future__ import annotations

import pytest

from mlops_audit.facts import Call
from mlops_audit.rules.compute import _copy_sources, _is_data_source, _training_loader, _walk_precision


@pytest.mark.parametrize("value,sources", [
    ("data/ /app/data/", ["data/"]),
    ("--chown=app:app src/ data/train.csv /app/", ["src/", "data/train.csv"]),
    ('["datasets", "/app/datasets"]', ["datasets"]),
    ("--from=builder /data /data", None),
    ("requirements.txt", []),
])
def test_copy_sources(value: str, sources: list[str] | None) -> None:
    assert _copy_sources(value) == sources


@pytest.mark.parametrize("src,data", [
    ("data/", True), ("./datasets", True), ("train.csv", True), ("features.parquet", True),
    ("src/", False), ("data/schema.json", False), ("requirements.txt", False), ("https://x/data", False),
])
def test_is_data_source(src: str, data: bool) -> None:
    assert _is_data_source(src) is data


def test_precision_in_config() -> None:
    assert _walk_precision({"trainer": {"precision": "bf16-mixed"}}, [100])
    assert _walk_precision({"fp16": {"enabled": True}}, [100])
    assert _walk_precision({"args": [{"bf16": True}]}, [100])
    assert not _walk_precision({"trainer": {"precision": 32}}, [100])
    assert not _walk_precision({"fp16": False}, [100])


def test_training_loader() -> None:
    def call(*args: object, **kw: object) -> Call:
        return Call("torch.utils.data.DataLoader", 1, 1, "<module>", args=args, kwargs=tuple(kw.items()))
    assert _training_loader(call("ds", shuffle=True))
    assert _training_loader(call("ds", sampler="s"))
    assert _training_loader(call("ds", 32, True))
    assert not _training_loader(call("ds", batch_size=32))


def test_precision_switch_passed_to_accelerator_is_not_fp32(tmp_path) -> None:
    """Accelerator(mixed_precision=<flag>) leaves the precision to the user: no CMP003 for the demo loop."""
    from mlops_audit import audit
    from mlops_audit.config import AuditConfig

    demo = ("import torch\n\n\nif __name__ == \"__main__\":\n    model = torch.nn.Linear(4, 1).cuda()\n"
            "    loss = model(torch.randn(8, 4).cuda()).sum()\n    loss.backward()\n")
    (tmp_path / "demo.py").write_text(demo)
    found = audit(tmp_path, AuditConfig(use_cache=False, select=("CMP003",))).findings
    assert [(f.location.path, f.location.line) for f in found] == [("demo.py", 7)]

    (tmp_path / "trainer.py").write_text(
        "from accelerate import Accelerator\n\n\nclass Trainer:\n"
        "    def __init__(self, amp=False, kind=\"fp16\"):\n"
        "        self.accelerator = Accelerator(mixed_precision=kind if amp else \"no\")\n")
    assert audit(tmp_path, AuditConfig(use_cache=False, select=("CMP003",))).findings == []
