"""The capability vocabulary (capabilities.yaml, shipped as package data).

The YAML file is the spec's own and stays the source of truth; every run reads
``capabilities.json``, generated from it by ``python -m mlops_audit.capabilities``
(a test fails when it is stale), because importing and running PyYAML would cost
a small repository's scan a tenth of its time.
"""
from __future__ import annotations

import json
import os
import sys
from functools import lru_cache

from ._records import record

__all__ = ["Capability", "capabilities", "areas", "frameworks"]


@record()
class Capability:
    id: str
    area: str
    present_when: str
    tools: tuple[str, ...]


_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@lru_cache(maxsize=1)
def _load() -> dict:
    # a plain path: importlib.resources pulls in zipfile (~25 ms) for a file that is always on disk
    with open(os.path.join(_DATA, "capabilities.json"), encoding="utf-8") as fh:
        return json.load(fh)


def from_yaml() -> dict:
    """The vocabulary parsed from the shipped capabilities.yaml (the generator's and the freshness test's input)."""
    import yaml

    with open(os.path.join(_DATA, "capabilities.yaml"), encoding="utf-8") as fh:
        text = fh.read()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def to_json(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def capabilities() -> dict[str, Capability]:
    data = _load()["capabilities"]
    return {cid: Capability(cid, v["area"], v["present_when"], tuple(v.get("tools") or ()))
            for cid, v in data.items()}


def areas() -> dict[str, str]:
    return dict(_load()["areas"])


def frameworks() -> tuple[str, ...]:
    return tuple(_load()["frameworks"])


def main() -> int:
    """Regenerate data/capabilities.json from data/capabilities.yaml."""
    path = os.path.join(_DATA, "capabilities.json")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(to_json(from_yaml()))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
