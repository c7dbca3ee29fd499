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
    """Run training step {k} of block {i}.

    Args:
        model: the module being trained.
        batch: a pair of input and target tensors.
        optimizer: the optimizer that owns the parameters.
        scale: a multiplier applied to the loss.

    Returns:
        The metrics of the step, passed through the shared helper.
    """
    # forward pass
    inputs, targets = batch
    logits = model(inputs)
    loss = torch.nn.functional.cross_entropy(logits, targets) * scale
    # backward pass and update
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    metrics = {{"loss": float(loss), "step": {k}, "name": f"step-{{{k}}}"}}
    if metrics["loss"] > 10.0:
        raise RuntimeError("diverged")
    return helper_{j}(metrics, scale)
'''
# lines per _FUNC block, for sizing the tree
_FUNC_LINES = _FUNC.count("\n")


def generate(root: Path, files: int = 2000, target_lines: int = 1_000_000) -> None:
    """A synthetic tree the size of huggingface/diffusers: ~files modules, ~target_lines lines.

    Its density matches diffusers' (per line: ~4.5 AST nodes, ~0.3 calls; docstrings, comments and
    blank lines in similar shares), so parse and analysis cost per line is that of real ML code.
    """
    rng = random.Random(0)
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    per_file = target_lines // files
    funcs = max(1, (per_file - 35) // _FUNC_LINES)
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


def compile_bytecode() -> None:
    """Compile the tool's own modules, as ``pip install`` does for a regular (non-editable) install.

    An editable install under PYTHONDONTWRITEBYTECODE=1 recompiles every module
    at every start (~0.3 s); that is a property of the development set-up, not
    of the tool, so the benchmark measures what users run.
    """
    import mlops_audit

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(mlops_audit.__file__)],
                   check=False, stdout=subprocess.DEVNULL)


def phases(tree: Path) -> str:
    """Where a cold scan's time goes, measured in a child process: wall and CPU seconds per stage."""
    probe = (
        "import gc, resource, sys, time\n"
        "def cpu():\n"
        "    a = resource.getrusage(resource.RUSAGE_SELF); b = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "    return a.ru_utime + a.ru_stime, b.ru_utime + b.ru_stime\n"
        "from mlops_audit.collect import CollectOptions, plan\n"
        "from mlops_audit.config import AuditConfig\n"
        "from mlops_audit.detect import detect\n"
        "from mlops_audit.engine import evaluate\n"
        "cfg = AuditConfig(use_cache=False); gc.disable()\n"
        "c0, t0 = cpu(), time.perf_counter()\n"
        "facts = plan(sys.argv[1], CollectOptions(use_cache=False, exclude=cfg.exclude_matcher())).run()\n"
        "c1, t1 = cpu(), time.perf_counter(); gc.freeze()\n"
        "d = detect(facts); t2 = time.perf_counter()\n"
        "evaluate(facts, d, cfg); t3 = time.perf_counter()\n"
        "print(f'collect {t1 - t0:.2f} s wall (parse workers {c1[1] - c0[1]:.1f} s CPU, parent {c1[0] - c0[0]:.1f} s CPU); '\n"
        "      f'detect {t2 - t1:.2f} s; rules and scoring {t3 - t2:.2f} s')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(tree)], capture_output=True, text=True, check=False)
    return out.stdout.strip() or out.stderr.strip()[-500:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", help="scan this tree instead of generating one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--phases", action="store_true", help="also break a cold scan of the large tree down by stage")
    args = ap.parse_args()
    compile_bytecode()
    work = Path(tempfile.mkdtemp(prefix="mlops-audit-bench-"))
    env = {**os.environ, "MLOPS_AUDIT_CACHE_DIR": str(work / "cache")}
    exe = [sys.executable, "-m", "mlops_audit.cli"]
    try:
        tree = Path(args.tree) if args.tree else work / "large"
        if not args.tree:
            generate(tree)
        py = list(tree.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in py)
        print(f"tree: {tree}  python files: {len(py)}  lines: {lines}  cores: {os.cpu_count()}")
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
        tiny: dict[str, list[float]] = {"json": [], "terminal": []}
        for fmt, runs in tiny.items():
            for _ in range(args.repeat):
                shutil.rmtree(work / "cache", ignore_errors=True)
                runs.append(timed([*exe, "scan", str(small), "--format", fmt], env))
        print(f"large cold  (no cache): median {statistics.median(colds):6.2f} s  runs {[round(t, 2) for t in colds]}  target < 10 s")
        print(f"large warm  (cached):   median {statistics.median(warms):6.2f} s  runs {[round(t, 2) for t in warms]}  target < 1 s")
        for fmt, runs in tiny.items():
            print(f"10-file cold incl. start-up, --format {fmt}: median {statistics.median(runs):5.2f} s  target < 0.5 s")
        if args.phases:
            print("cold scan by stage:", phases(tree))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
