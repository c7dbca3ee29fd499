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
