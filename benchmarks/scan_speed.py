#!/usr/bin/env python3
"""Scan-speed benchmark: cold and warm scans of a large tree, and a tiny repository end to end.

Targets (2-core machine): on ~2,000 Python files / ~1M lines, cold < 10 s and
warm (cached) < 1 s; on a 10-file repository < 0.5 s including interpreter
start-up. Not a test: timings depend on the machine, so they live here.

    python benchmarks/scan_speed.py                 # generates the large tree
    python benchmarks/scan_speed.py --tree DIR      # or scan a real checkout (e.g. diffusers)
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_MODULE = '''"""Generated module {i}: a model block, a trainer and helpers."""
import math
import os
import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from pkg.util_{j} import helper_{j}

CONFIG = {{"lr": 1e-3, "epochs": 3, "name": "block_{i}"}}


class Block{i}(nn.Module):
    """A residual block."""

    def __init__(self, dim: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.norm(x)
        h = self.proj(h)
        if h.shape[-1] > 1 and self.training:
            h = self.drop(h)
        return x + h
'''
_FUNC = '''

def step_{i}_{k}(model, batch, optimizer, scale: float = 1.0):
    """Training step {k}."""
    inputs, targets = batch
    logits = model(inputs)
    loss = torch.nn.functional.cross_entropy(logits, targets) * scale
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    metrics = {{"loss": float(loss), "step": {k}, "name": f"step-{{{k}}}-{{scale}}"}}
    if metrics["loss"] > 10.0:
        raise RuntimeError("diverged")
    values = [math.sqrt(abs(v)) for v in np.linspace(0, 1, 8)]
    return helper_{j}(metrics, values, os.getenv("RANK", "0"), random.random())
'''


def generate(root: Path, files: int = 2000, target_lines: int = 1_000_000) -> None:
    """A synthetic tree the size of huggingface/diffusers: ~files modules, ~target_lines lines."""
    rng = random.Random(0)
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    per_file = target_lines // files
    funcs = max(1, (per_file - 35) // 17)
    for j in range(20):
        (pkg / f"util_{j}.py").write_text(f"def helper_{j}(*args):\n    return args\n")
    for i in range(files - 21):
        body = _MODULE.format(i=i, j=rng.randrange(20))
        body += "".join(_FUNC.format(i=i, k=k, j=rng.randrange(20)) for k in range(funcs))
        sub = pkg / f"m{i // 100}"
        sub.mkdir(exist_ok=True)
        (sub / f"mod_{i}.py").write_text(body)
    (root / "requirements.txt").write_text("torch>=2.1\nnumpy\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-qm", "gen"],
                   cwd=root, check=True)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", help="scan this tree instead of generating one")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlops-audit-bench-"))
    env = {**os.environ, "MLOPS_AUDIT_CACHE_DIR": str(work / "cache")}
    exe = [sys.executable, "-m", "mlops_audit.cli"]
    try:
        tree = Path(args.tree) if args.tree else work / "large"
        if not args.tree:
            generate(tree)
        py = list(tree.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in py)
        print(f"tree: {tree}  python files: {len(py)}  lines: {lines}")
        colds = []
        for _ in range(args.repeat):
            shutil.rmtree(work / "cache", ignore_errors=True)
            colds.append(timed([*exe, "scan", str(tree), "--format", "json"], env))
        warms = [timed([*exe, "scan", str(tree), "--format", "json"], env) for _ in range(args.repeat)]
        small = work / "small"
        small.mkdir()
        for i in range(10):
            (small / f"m{i}.py").write_text("import sklearn\nfrom sklearn.linear_model import LogisticRegression\n"
                                            "LogisticRegression().fit([[0]], [0])\n")
        tiny_cold = []
        for _ in range(args.repeat):
            shutil.rmtree(work / "cache", ignore_errors=True)
            tiny_cold.append(timed([*exe, "scan", str(small), "--format", "json"], env))
        print(f"large cold  (no cache): median {statistics.median(colds):6.2f} s  runs {[round(t, 2) for t in colds]}  target < 10 s")
        print(f"large warm  (cached):   median {statistics.median(warms):6.2f} s  runs {[round(t, 2) for t in warms]}  target < 1 s")
        print(f"10-file cold incl. start-up: median {statistics.median(tiny_cold):6.2f} s  target < 0.5 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
