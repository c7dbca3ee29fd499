"""Unit tests of the reproducibility helpers: RNG families, seed helpers, base images, manifests."""
from __future__ import annotations

from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.facts import Call, Manifest, Ref, Requirement
from mlops_audit.rules._repro_util import _SEED_HELPER, _rng_use, uses_cuda
from mlops_audit.rules.reproducibility import _is_frozen, _tag_problem, parse_from


def _call(name: str, *args: object, **kwargs: object) -> Call:
    receiver = name.split(".", 1)[0] if name.split(".", 1)[0] in ("model", "x", "net") else ""
    return Call(name, 1, 1, "<module>", args=args, kwargs=tuple(kwargs.items()), receiver=receiver)


@pytest.mark.parametrize("name,kwargs,expected", [
    ("random.shuffle", {}, ("python", None)),
    ("random.seed", {}, (None, None)),
    ("numpy.random.rand", {}, ("numpy", None)),
    ("numpy.random.seed", {}, (None, None)),
    ("sklearn.ensemble.RandomForestClassifier", {}, ("sklearn", None)),
    ("sklearn.ensemble.RandomForestClassifier", {"random_state": 0}, (None, "sklearn")),
    ("sklearn.ensemble.RandomForestClassifier", {"random_state": Ref("cfg.seed")}, (None, "sklearn")),
    ("sklearn.ensemble.RandomForestClassifier", {"random_state": None}, ("sklearn", None)),
    ("sklearn.linear_model.LinearRegression", {}, (None, None)),
    ("sklearn.model_selection.train_test_split", {"shuffle": False}, (None, None)),
    ("sklearn.model_selection.KFold", {"shuffle": True}, ("sklearn", None)),
    ("sklearn.model_selection.KFold", {}, (None, None)),
    ("torch.randn", {}, ("torch", None)),
    ("torch.nn.Linear", {}, ("torch", None)),
    ("torch.nn.CrossEntropyLoss", {}, (None, None)),
    ("torch.utils.data.DataLoader", {"shuffle": True}, ("torch", None)),
    ("torch.utils.data.DataLoader", {}, (None, None)),
    ("tensorflow.keras.layers.Dense", {}, ("tensorflow", None)),
    ("jax.random.normal", {}, ("jax", None)),
    ("jax.random.PRNGKey", {}, (None, None)),
])
def test_rng_use(name: str, kwargs: dict, expected: tuple) -> None:
    assert _rng_use(name, _call(name, **kwargs)) == expected


def test_seeded_generators_are_self_seeded() -> None:
    assert _rng_use("numpy.random.default_rng", _call("numpy.random.default_rng", 42)) == (None, "numpy")
    assert _rng_use("numpy.random.default_rng", _call("numpy.random.default_rng")) == ("numpy", None)
    assert _rng_use("random.Random", _call("random.Random", 1)) == (None, "python")


@pytest.mark.parametrize("method,helper", [
    ("set_seed", True), ("set_seeds", True), ("seed_everything", True), ("set_random_seed", True),
    ("fix_seed", True), ("init_seeds", True), ("seed_all", True), ("seed_torch", True),
    ("seed", False), ("predict", False), ("set_device", False),
])
def test_seed_helper_names(method: str, helper: bool) -> None:
    assert bool(_SEED_HELPER.match(method)) is helper


def test_uses_cuda() -> None:
    assert uses_cuda("torch.cuda.is_available", _call("torch.cuda.is_available"))
    assert uses_cuda("model.cuda", _call("model.cuda"))
    assert uses_cuda("model.to", _call("model.to", "cuda:0"))
    assert uses_cuda("torch.device", _call("torch.device", "cuda"))
    assert not uses_cuda("model.to", _call("model.to", "cpu"))
    assert uses_cuda("lightning.Trainer", _call("lightning.Trainer", accelerator="gpu"))
    assert not uses_cuda("lightning.Trainer", _call("lightning.Trainer", accelerator="cpu"))


@pytest.mark.parametrize("value,image,stage", [
    ("python:3.11 AS builder", "python:3.11", "builder"),
    ("--platform=linux/amd64 python:3.11-slim", "python:3.11-slim", None),
    ("scratch", "scratch", None),
])
def test_parse_from(value: str, image: str, stage: str | None) -> None:
    assert parse_from(value) == (image, stage)


@pytest.mark.parametrize("image,floats", [
    ("python", True), ("python:latest", True), ("pytorch/pytorch:latest", True), ("python:3-slim", True),
    ("localhost:5000/team/base", True), ("python:3.11.9-slim", False), ("python:3.11", False),
    ("ubuntu:22.04", False), ("ubuntu:jammy", False), ("nvidia/cuda:12.1.1-runtime-ubuntu22.04", False),
    ("python@sha256:abcdef", False), ("ghcr.io/org/img:1.2.3", False), ("img:20240101", False),
])
def test_tag_problem(image: str, floats: bool) -> None:
    assert (_tag_problem(image) is not None) is floats


def test_frozen_requirements_count_as_a_lock() -> None:
    pinned = tuple(Requirement(f"pkg{i}", "==1.0", i, pinned=True) for i in range(40))
    assert _is_frozen(Manifest("requirements.txt", "requirements", pinned))
    assert not _is_frozen(Manifest("requirements.txt", "requirements", pinned[:4]))
    hashed = tuple(Requirement(f"pkg{i}", "==1.0", i, pinned=True, hashes=True) for i in range(3))
    assert _is_frozen(Manifest("requirements.txt", "requirements", hashed))


def _scan(tmp_path: Path, files: dict[str, str], rule: str) -> list:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    report = audit(tmp_path, AuditConfig(use_cache=False, select=(rule,)))
    return [f for f in report.findings if f.rule == rule]


def test_seed_helper_two_levels_deep_counts(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/seeding.py": "import random\nimport numpy as np\nimport torch\n\n\ndef _all(s):\n"
                          "    random.seed(s)\n    np.random.seed(s)\n    torch.manual_seed(s)\n\n\n"
                          "def setup(cfg):\n    _all(cfg)\n",
        "train.py": "import random\nimport torch\nfrom pkg.seeding import setup\n\n\ndef main():\n    setup(1)\n"
                    "    random.shuffle([1])\n    loss = torch.nn.Linear(1, 1)(torch.ones(1)).sum()\n"
                    "    loss.backward()\n\n\nif __name__ == '__main__':\n    main()\n",
    }
    assert _scan(tmp_path, files, "REP001") == []
    assert _scan(tmp_path, {}, "REP002") == []


def test_partial_seeding_message_names_both_sides(tmp_path: Path) -> None:
    files = {"train.py": "import random\nimport torch\n\nrandom.seed(0)\nnet = torch.nn.Linear(2, 1)\n"
                         "loss = net(torch.ones(2)).sum()\nloss.backward()\n"}
    (finding,) = _scan(tmp_path, files, "REP001")
    assert finding.location.line == 4
    assert "Python random" in finding.message and "PyTorch" in finding.message


def test_rep005_message_when_no_manifest_declares_dependencies(tmp_path) -> None:
    """A setup.py that only builds a CUDA extension declares no dependency: the message must not say manifests
    describe the environment."""
    from mlops_audit import audit
    from mlops_audit.config import AuditConfig

    (tmp_path / "setup.py").write_text("from setuptools import setup\n\nsetup(name='kernels', ext_modules=[])\n")
    (tmp_path / "train.py").write_text("import torch\n\n\ndef main(model, x):\n    loss = model(x).sum()\n"
                                       "    loss.backward()\n\n\nif __name__ == '__main__':\n    main(None, None)\n")
    [finding] = audit(tmp_path, AuditConfig(use_cache=False, select=("REP005",))).findings
    assert "no dependency manifest declares it" in finding.message


def test_rep001_names_a_family_seeded_at_one_draw_but_not_another(tmp_path) -> None:
    (tmp_path / "train.py").write_text(
        "from sklearn.ensemble import RandomForestClassifier\nfrom sklearn.tree import DecisionTreeClassifier\n\n\n"
        "def main(x, y):\n    RandomForestClassifier(random_state=0).fit(x, y)\n    DecisionTreeClassifier().fit(x, y)\n"
        "\n\nif __name__ == '__main__':\n    main([[0]], [0])\n")
    [finding] = audit(tmp_path, AuditConfig(use_cache=False, select=("REP001",))).findings
    assert "but not scikit-learn at every draw (" in finding.message
