"""The shipped vocabulary: the run-time JSON copy must match the spec's YAML it is generated from."""
from __future__ import annotations

import os

from mlops_audit import capabilities


def test_json_copy_is_fresh():
    with open(os.path.join(capabilities._DATA, "capabilities.json"), encoding="utf-8") as fh:
        shipped = fh.read()
    assert shipped == capabilities.to_json(capabilities.from_yaml()), \
        "data/capabilities.json is stale: run `python -m mlops_audit.capabilities`"


def test_vocabulary_reads_the_json_copy():
    caps = capabilities.capabilities()
    assert caps["experiment_tracking"].area == capabilities.from_yaml()["capabilities"]["experiment_tracking"]["area"]
    assert set(caps) == set(capabilities.from_yaml()["capabilities"])
