from __future__ import annotations

import re

import pytest

from mlops_audit.detect.distributions import IMPORT_TO_DISTS, dists_for_import, imports_for_dist


def test_mapping_is_broad_and_normalized() -> None:
    assert len(IMPORT_TO_DISTS) >= 80
    for module, dists in IMPORT_TO_DISTS.items():
        assert re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*", module), module
        assert dists and len(set(dists)) == len(dists), module
        for dist in dists:
            assert dist == re.sub(r"[-_.]+", "-", dist).lower(), dist


@pytest.mark.parametrize("module, expected", [
    ("sklearn", ("scikit-learn",)),
    ("sklearn.ensemble", ("scikit-learn",)),
    ("PIL.Image", ("pillow", "pillow-simd")),
    ("yaml", ("pyyaml",)),
    ("skimage.io", ("scikit-image",)),
    ("bs4", ("beautifulsoup4",)),
    ("dotenv", ("python-dotenv",)),
    ("llama_index.core", ("llama-index", "llama-index-core")),
    ("google.generativeai", ("google-generativeai",)),
    ("google.genai.types", ("google-genai",)),
    ("langchain_openai", ("langchain-openai",)),
    ("sentence_transformers", ("sentence-transformers",)),
    ("huggingface_hub", ("huggingface-hub",)),
    ("great_expectations.core", ("great-expectations",)),
    ("pytorch_lightning", ("pytorch-lightning",)),
    ("lightning.pytorch", ("lightning",)),
    ("torch.nn", ("torch", "pytorch")),
])
def test_known_imports(module: str, expected: tuple[str, ...]) -> None:
    assert dists_for_import(module) == expected


def test_alternatives_are_listed() -> None:
    assert "opencv-python-headless" in dists_for_import("cv2")
    assert "opencv-contrib-python" in dists_for_import("cv2")
    assert dists_for_import("cv2")[0] == "opencv-python"
    assert {"tensorflow", "tensorflow-cpu", "tf-nightly"} <= set(dists_for_import("tensorflow.keras"))


def test_default_is_normalized_top_level_name() -> None:
    assert dists_for_import("some_pkg.sub") == ("some-pkg",)
    assert dists_for_import("Requests") == ("requests",)
    assert dists_for_import("numpy") == ("numpy",)


def test_namespace_packages_guess_from_prefixes() -> None:
    assert dists_for_import("google.cloud.storage.blob") == ("google-cloud-storage",)
    assert dists_for_import("google.cloud.pubsub_v1") == ("google-cloud-pubsub-v1", "google-cloud")
    assert dists_for_import("azure.identity") == ("azure-identity",)


@pytest.mark.parametrize("dist, expected", [
    ("scikit-learn", ("sklearn",)),
    ("Scikit_Learn", ("sklearn",)),
    ("PyYAML", ("yaml",)),
    ("opencv-python-headless", ("cv2",)),
    ("pillow", ("PIL",)),
    ("matplotlib", ("matplotlib", "mpl_toolkits")),
    ("llama-index-core", ("llama_index",)),
    ("google-cloud-pubsub", ("google.cloud.pubsub",)),
    ("azure-storage-blob", ("azure.storage.blob",)),
    ("some-dist", ("some_dist",)),
])
def test_imports_for_dist(dist: str, expected: tuple[str, ...]) -> None:
    assert imports_for_dist(dist) == expected


def test_round_trip_for_every_mapped_dist() -> None:
    for module, dists in IMPORT_TO_DISTS.items():
        for dist in dists:
            assert module in imports_for_dist(dist)
