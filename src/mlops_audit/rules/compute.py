"""Compute: GPU training that wastes the hardware it runs on.

The compute area applies only to deep learning training code. These rules
flag the well-known anti-patterns: DataParallel where DistributedDataParallel
belongs, ``torch.cuda.empty_cache()`` used as a memory fix, full-FP32
training on GPUs, data loaders that starve the GPU, and datasets baked into
container images.
"""
from __future__ import annotations

import re
import shlex
from typing import Any, Iterator

from .._patterns import lazy
from ..facts import Call, Expr, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._repro_util import HF_TRAINER, Reached, all_code_units, entry_points, is_num, shown, uses_cuda, where
from .versioning import human_size, is_data_file

__all__ = ["data_parallel_instead_of_ddp", "empty_cache_oom_remedy", "fp32_training_on_gpu",
           "dataloader_without_workers", "dataset_copied_into_image", "mixed_precision_configured"]

_DATA_PARALLEL = frozenset({"torch.nn.DataParallel", "torch.nn.parallel.DataParallel",
                            "torch.nn.parallel.data_parallel.DataParallel", "torch.nn.parallel.data_parallel"})
_DDP = ("torch.nn.parallel.DistributedDataParallel", "torch.nn.parallel.distributed.DistributedDataParallel")


@rule(id="CMP001", name="data-parallel-instead-of-ddp", area="compute", severity=Severity.MEDIUM,
      concept="data_parallel_instead_of_ddp", title="torch.nn.DataParallel used for multi-GPU training",
      rationale="DataParallel runs every GPU from one Python process: it copies the model to each device on every "
                "forward pass, gathers outputs on GPU 0 (which runs out of memory first) and is bound by the GIL. "
                "PyTorch recommends DistributedDataParallel even on a single machine; it is markedly faster.",
      remediation={
          "lightning": "Let Lightning handle it: `Trainer(accelerator=\"gpu\", devices=N, strategy=\"ddp\")`.",
          "transformers": "Drop the DataParallel wrapper and launch the script with `torchrun --nproc_per_node=N` "
                          "(or `accelerate launch`); the Trainer switches to DDP by itself.",
          "default": "Launch one process per GPU with `torchrun --nproc_per_node=N train.py`, call "
                     "`torch.distributed.init_process_group(\"nccl\")`, wrap the model in "
                     "`DistributedDataParallel(model, device_ids=[local_rank])` and use a DistributedSampler.",
      },
      seeds=("Z10", "Z03"), references=("https://pytorch.org/docs/stable/notes/cuda.html#cuda-nn-ddp-instead",),
      bad="model = nn.DataParallel(model)", good="model = DistributedDataParallel(model, device_ids=[local_rank])",
      principle="compute", tools=("pytorch", "lightning"))
def data_parallel_instead_of_ddp(ctx: RuleContext) -> Iterator[Hit]:
    """Every DataParallel construction in non-test code (aliases resolved by import)."""
    for fc in all_code_units(ctx):
        by_name = fc.calls_by_name
        calls = fc.calls_among(by_name, _DATA_PARALLEL)
        if not calls:
            continue
        has_ddp = any(name in by_name for name in _DDP)
        for call in calls:
            loc = f"{fc.py.path} cell {call.cell}" if call.cell else f"{fc.py.path}:{call.line}"
            note = " (as the fallback beside DistributedDataParallel)" if has_ddp else ""
            yield Hit(fc.py.path, call.line, cell=call.cell, key=f"data-parallel:{call.scope}",
                      severity=Severity.LOW if has_ddp else None,
                      message=f"{loc} wraps the model in torch.nn.DataParallel{note}: one process drives every GPU, "
                              f"so scaling stalls on GPU 0 and the GIL; use DistributedDataParallel.")


_EMPTY_CACHE = ("torch.cuda.empty_cache", "torch.cuda.memory.empty_cache")


def _backward_scopes(fc: Any) -> set[str]:
    """Functions that run a backward pass (the training loop lives there)."""
    return {c.scope for c in fc.calls_by_method.get("backward", ()) if c.receiver}


@rule(id="CMP002", name="empty-cache-oom-remedy", area="compute", severity=Severity.LOW,
      concept="empty_cache_oom", title="torch.cuda.empty_cache() used to fight GPU memory pressure",
      rationale="empty_cache() only hands cached blocks that no tensor uses back to the driver; it frees no "
                "memory the program holds, so it does not prevent out-of-memory errors. Called in a training "
                "loop it forces slow re-allocations every step. The real fixes are smaller batches, gradient "
                "accumulation, mixed precision, activation checkpointing, and dropping references to tensors.",
      remediation={
          "default": "Remove the call. Find what holds memory (torch.cuda.memory_summary(), deleting references "
                     "such as accumulated losses kept with their graph: use loss.item()), then reduce peak use with "
                     "gradient accumulation, autocast, or torch.utils.checkpoint.",
      },
      seeds=("Z10",), references=("https://pytorch.org/docs/stable/notes/cuda.html#memory-management",),
      bad="except torch.cuda.OutOfMemoryError:\n    torch.cuda.empty_cache()",
      good="# accumulate gradients over 4 micro-batches instead of one large batch",
      principle="compute", tools=("pytorch",))
def empty_cache_oom_remedy(ctx: RuleContext) -> Iterator[Hit]:
    """Every torch.cuda.empty_cache() in non-test code; MEDIUM inside a function that also trains."""
    for fc in all_code_units(ctx):
        calls = fc.calls_among(fc.calls_by_name, _EMPTY_CACHE)
        if not calls:
            continue
        training = _backward_scopes(fc)
        for call in calls:
            in_loop = call.scope in training
            loc = f"{fc.py.path} cell {call.cell}" if call.cell else f"{fc.py.path}:{call.line}"
            detail = (f" in {call.scope}(), the function that runs the backward pass, where each call makes the "
                      f"allocator start over" if in_loop and call.scope != "<module>" else "")
            yield Hit(fc.py.path, call.line, cell=call.cell, key=f"empty-cache:{call.scope}",
                      severity=Severity.MEDIUM if in_loop else None,
                      message=f"{loc} calls torch.cuda.empty_cache(){detail}: it frees no memory the program "
                              f"still references and does not prevent out-of-memory errors.")


# -- mixed precision -------------------------------------------------------------------------------------------------

_PRECISION_KEYS = frozenset({"fp16", "bf16", "amp", "use_amp", "mixed_precision", "precision", "half", "use_fp16",
                             "use_bf16", "autocast", "tf32"})
_LOW_PRECISION = lazy(r"(?i)^(16|bf16|fp16|16-mixed|bf16-mixed|16-true|bf16-true|mixed|amp|half|true|o1|o2)$")
_CONFIG_KINDS = ("hydra", "params", "yaml", "json", "toml")
_WALK_BUDGET = 20000


def _walk_precision(data: Any, budget: list[int]) -> bool:
    stack = [data]
    while stack and budget[0] > 0:
        node = stack.pop()
        budget[0] -= 1
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and k.lower() in _PRECISION_KEYS:
                    if v is True or (isinstance(v, (str, int)) and not isinstance(v, bool)
                                     and _LOW_PRECISION.match(str(v))):
                        return True
                    if isinstance(v, dict) and v.get("enabled") is True:
                        return True
                if isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(n for n in node if isinstance(n, (dict, list)))
    return False


# Trainer-like constructors whose precision keyword, set from a variable, is a precision switch for the user
_PRECISION_SWITCHES = {"Accelerator": ("accelerate.", ("mixed_precision",)),
                       "Trainer": (("lightning", "pytorch_lightning"), ("precision",)),
                       "Fabric": (("lightning", "lightning_fabric"), ("precision",)),
                       "TrainingArguments": ("transformers.", ("fp16", "bf16")),
                       "Seq2SeqTrainingArguments": ("transformers.", ("fp16", "bf16"))}


def _precision_switch(ctx: RuleContext) -> bool:
    """``Accelerator(mixed_precision=kind if amp else "no")``, ``Trainer(precision=cfg.precision)``: the
    precision is the user's choice, so FP32 is not a fact of the code."""
    for fc in all_code_units(ctx):
        for call in fc.calls_among(fc.calls_by_method, _PRECISION_SWITCHES):
            roots, keys = _PRECISION_SWITCHES[call.method]
            if fc.effective(call).startswith(roots) and any(
                    isinstance(call.kw(k), (Ref, Expr)) for k in keys):
                return True
    return False


def mixed_precision_configured(ctx: RuleContext) -> bool:
    """Mixed precision in code (capability), in any configuration file (fp16/bf16/precision/amp keys), or a
    precision switch passed to the trainer."""
    def compute() -> bool:
        if ctx.detection.present("mixed_precision"):
            return True
        budget = [_WALK_BUDGET]
        if any(_walk_precision(d.data, budget) for d in ctx.facts.configs if d.kind in _CONFIG_KINDS):
            return True
        return _precision_switch(ctx)
    return ctx.memo("cmp.mixed_precision", compute)  # type: ignore[return-value]


def _precision_off(value: Any) -> bool:
    """A literal that leaves the precision at FP32 (missing, False, 32)."""
    return value is None or value is False or value in (32, "32", "32-true", "fp32", "no")


def _fp32_training(entry: Any) -> Reached | None:
    """The call that makes this entry point train in FP32: a literal Trainer/TrainingArguments, or a raw loop."""
    backward = None
    for r in entry.reached:
        name = r.name
        call = r.call
        if re.match(r"^transformers\.(\w+\.)*(Seq2Seq)?TrainingArguments$", name):
            if not call.star_kwargs and _precision_off(call.kw("fp16")) and _precision_off(call.kw("bf16")):
                return r
            return None
        if re.match(r"^(lightning|pytorch_lightning)\.(\w+\.)*Trainer$", name):
            if not call.star_kwargs and _precision_off(call.kw("precision")):
                return r
            return None
        if name.startswith(("accelerate.", "deepspeed.")) or HF_TRAINER.match(name):
            return None
        if backward is None and name.endswith(".backward") and call.receiver and "loss" in call.receiver.lower():
            backward = r
    return backward


@rule(id="CMP003", name="fp32-training-on-gpu", area="compute", severity=Severity.MEDIUM,
      title="GPU training runs in full FP32 precision",
      rationale="On GPUs with tensor cores (V100, T4, A100, H100, RTX 20/30/40) mixed precision usually trains "
                "two to three times faster and halves activation memory, with no accuracy loss for most models "
                "when the loss is scaled (FP16) or bfloat16 is used. Staying in FP32 without a measured reason "
                "wastes most of the hardware.",
      remediation={
          "lightning": "Set `Trainer(precision=\"bf16-mixed\")` (or \"16-mixed\" on GPUs without bfloat16).",
          "transformers": "Set `TrainingArguments(bf16=True)` (Ampere or newer) or `fp16=True`.",
          "default": "Wrap the forward pass in `with torch.autocast(\"cuda\", dtype=torch.bfloat16):` (or float16 "
                     "with `torch.amp.GradScaler()` scaling the loss), and keep FP32 only where a measurement "
                     "shows it is needed.",
      },
      seeds=("Z10",), references=("https://pytorch.org/docs/stable/amp.html",
                                   "Micikevicius et al. 2018, Mixed Precision Training"),
      bad="loss = criterion(model(x.cuda()), y.cuda())\nloss.backward()",
      good="with torch.autocast('cuda', dtype=torch.bfloat16):\n    loss = criterion(model(x), y)\nloss.backward()",
      principle="compute", tools=("pytorch", "lightning", "transformers"))
def fp32_training_on_gpu(ctx: RuleContext) -> Iterator[Hit]:
    """Per FP32 training site reached from a training entry point on CUDA (one finding however many entry
    points share the loop), when no mixed precision is set in code or configuration."""
    if mixed_precision_configured(ctx):
        return
    sites: dict[tuple[str, int, int | None], tuple[Reached, Reached, list[str]]] = {}
    for entry in entry_points(ctx):
        cuda = next((r for r in entry.reached if uses_cuda(r.name, r.call)), None)
        if cuda is None:
            continue
        r = _fp32_training(entry)
        if r is None:
            continue
        sites.setdefault((r.path, r.call.line, r.call.cell), (r, cuda, []))[2].append(entry.path)
    for r, cuda, entries in sites.values():
        who = f"{entries[0]} trains" if len(entries) == 1 else f"{', '.join(entries[:-1])} and {entries[-1]} train"
        yield Hit(r.path, r.call.line, cell=r.call.cell, key=f"fp32:{entries[0]}",
                  message=f"{who} on CUDA ({shown(cuda)} at {where(cuda)}) in full FP32 "
                          f"({shown(r)} at {where(r)}): no autocast, GradScaler, fp16/bf16 or precision setting in "
                          f"code or configuration.")


# -- data loading ----------------------------------------------------------------------------------------------------

_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})


def _arg(call: Call, name: str, position: int) -> Any:
    if call.has_kw(name):
        return call.kw(name)
    return call.args[position] if len(call.args) > position else None


def _unset(value: Any, good: Any) -> bool:
    """A literal that is not the good setting (missing counts as unset; names and expressions count as set)."""
    if isinstance(value, (Ref, Expr)):
        return False
    return not good(value)


def _training_loader(call: Call) -> bool:
    """A loader that feeds training: shuffled, or drawing from a sampler."""
    return call.kw("shuffle") not in (None, False) or call.has_kw("sampler") or call.has_kw("batch_sampler") \
        or (len(call.args) >= 3 and call.args[2] is True)


@rule(id="CMP004", name="dataloader-without-workers", area="compute", severity=Severity.MEDIUM,
      title="DataLoader in GPU code loads data in the main process or without pinned memory",
      rationale="With num_workers=0 every batch is read, decoded and augmented in the training process while the "
                "GPU waits; without pin_memory=True host-to-device copies cannot overlap compute. Both are the "
                "first things to check when GPU utilisation is low.",
      remediation={
          "lightning": "Pass `num_workers=cfg.num_workers` (e.g. the number of CPU cores per GPU), "
                       "`pin_memory=True` and `persistent_workers=True` to the DataLoaders of the DataModule.",
          "default": "Use `DataLoader(ds, batch_size=..., num_workers=min(8, os.cpu_count()), pin_memory=True, "
                     "persistent_workers=True)` and move batches with `.to(device, non_blocking=True)`; measure "
                     "GPU utilisation before and after.",
      },
      seeds=("Z03", "Z10"), references=("https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html",),
      bad="DataLoader(train_ds, batch_size=64, shuffle=True)",
      good="DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=8, pin_memory=True)",
      principle="compute", tools=("pytorch",))
def dataloader_without_workers(ctx: RuleContext) -> Iterator[Hit]:
    """Training DataLoaders reached from a CUDA training entry point, without workers or pinned memory."""
    reported: set[tuple[str, int, int | None]] = set()
    for entry in entry_points(ctx):
        if not any(uses_cuda(r.name, r.call) for r in entry.reached):
            continue
        for r in entry.reached:
            call = r.call
            if r.name not in _LOADERS or call.star_kwargs or r.ctx.py.is_test or not _training_loader(call):
                continue
            where_ = (r.path, call.line, call.cell)
            if where_ in reported:
                continue
            workers, pin = _arg(call, "num_workers", 5), _arg(call, "pin_memory", 7)
            no_workers = _unset(workers, lambda v: is_num(v) and v > 0)
            no_pin = _unset(pin, lambda v: v is True)
            if not (no_workers or no_pin):
                continue
            reported.add(where_)
            missing = []
            if no_workers:
                missing.append("num_workers=0" if workers == 0 else "no num_workers (so 0)")
            if no_pin:
                missing.append("pin_memory=False" if pin is False else "no pin_memory=True")
            yield Hit(r.path, call.line, cell=call.cell, key=f"dataloader:{call.scope}",
                      severity=None if no_workers else Severity.LOW,
                      message=f"{where(r)} builds the training DataLoader with {' and '.join(missing)} while "
                              f"{entry.path} trains on CUDA: "
                              + ("batches are prepared in the training process while the GPU waits."
                                 if no_workers else "host-to-GPU copies cannot overlap with compute."))


# -- images ----------------------------------------------------------------------------------------------------------

def _copy_sources(value: str) -> list[str] | None:
    """Source paths of a COPY/ADD (flags dropped); None for copies from another stage or image."""
    try:
        tokens = shlex.split(value, posix=True)
    except ValueError:
        tokens = value.split()
    if value.strip().startswith("["):
        import json

        try:
            tokens = [t for t in json.loads(value) if isinstance(t, str)]
        except ValueError:
            return []
    if any(t.startswith("--from") for t in tokens):
        return None
    args = [t for t in tokens if not t.startswith("--")]
    return args[:-1] if len(args) >= 2 else []


_DATA_DIRS = frozenset({"data", "datasets", "dataset", "raw_data", "training_data"})


def _is_data_source(src: str) -> bool:
    clean = src.rstrip("/").lstrip("./")
    if not clean or clean.startswith(("http://", "https://")):
        return False
    last = clean.rsplit("/", 1)[-1].lower()
    if last in _DATA_DIRS or last.rstrip("*") in _DATA_DIRS:
        return True
    return is_data_file(clean) and not clean.endswith((".txt", ".json", ".xml"))


def _known_size(ctx: RuleContext, base: str, src: str) -> int | None:
    """Bytes of repository files under the copied path, or None when the repository holds none of them."""
    clean = src.rstrip("/").lstrip("./")
    prefixes = {clean, f"{base}{clean}" if base else clean}
    total, found = 0, False
    for f in ctx.facts.files:
        for p in prefixes:
            if f.path == p or f.path.startswith(p + "/"):
                total += f.size
                found = True
                break
    return total if found else None


@rule(id="CMP005", name="dataset-copied-into-image", area="compute", severity=Severity.MEDIUM,
      title="Dataset copied into a container image",
      rationale="Baking data into an image makes every build and pull carry the dataset, ties the data version "
                "to the image tag instead of a data versioning system, and ships training data to every place "
                "the image runs, serving included.",
      remediation={
          "dvc": "Keep data out of the image (add data/ to .dockerignore) and fetch it at run time with "
                 "`dvc pull` or `dvc.api.open`, or mount it as a volume.",
          "default": "Add the data directory to .dockerignore and mount the data at run time (volume, object "
                     "storage, or a `dvc pull` step in the job), keeping the image for code and dependencies.",
      },
      seeds=("Z10",), references=("https://docs.docker.com/build/building/best-practices/",),
      bad="COPY data/ /app/data/", good="# .dockerignore: data/\n# docker run -v /mnt/data:/app/data ...",
      principle="compute", tools=("docker", "dvc"))
def dataset_copied_into_image(ctx: RuleContext) -> Iterator[Hit]:
    """COPY/ADD of data directories or data files, unless the repository shows them to be tiny (< 1 MB)."""
    for df in ctx.facts.dockerfiles:
        base = df.path.rsplit("/", 1)[0] + "/" if "/" in df.path else ""
        for ins in df.instructions:
            if ins.instruction not in ("COPY", "ADD"):
                continue
            sources = _copy_sources(ins.value)
            if not sources:
                continue
            data = [s for s in sources if _is_data_source(s)]
            if not data:
                continue
            sizes = [_known_size(ctx, base, s) for s in data]
            if all(s is not None and s < 1024 * 1024 for s in sizes):
                continue
            known = sum(s for s in sizes if s)
            size = f" ({human_size(known)} in the repository)" if known else ""
            yield Hit(df.path, ins.line, key=f"copy-data:{','.join(data)}",
                      message=f"{df.path}:{ins.line} {ins.instruction} puts {', '.join(data)}{size} into the image: "
                              f"data travels with every build and pull and is versioned by image tag.")
