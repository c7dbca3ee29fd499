"""The capability vocabulary (capabilities.yaml, shipped as package data)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Capability", "capabilities", "areas", "frameworks"]


@dataclass(frozen=True)
class Capability:
    id: str
    area: str
    present_when: str
    tools: tuple[str, ...]


@lru_cache(maxsize=1)
def _load() -> dict:
    import yaml

    text = resources.files("mlops_audit").joinpath("data/capabilities.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def capabilities() -> dict[str, Capability]:
    data = _load()["capabilities"]
    return {cid: Capability(cid, v["area"], v["present_when"], tuple(v.get("tools") or ()))
            for cid, v in data.items()}


def areas() -> dict[str, str]:
    return dict(_load()["areas"])


def frameworks() -> tuple[str, ...]:
    return tuple(_load()["frameworks"])
