"""Shared views for the reproducibility, versioning, compute and security rules.

The central one is the *training entry point*: a script or notebook someone
runs to fit a model, with every call it makes itself and every call made by the
repository helpers it reaches (a few levels deep). Seeding, configuration and
GPU questions are asked of that whole reach, so a ``set_seed`` in
``utils/seed.py`` called from ``train.py`` counts for ``train.py``.

Everything here is a pure function of Facts and Detection, memoized on the
RuleContext so several rules share one computation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from .._patterns import lazy
from ..detect.code_caps import training_calls
from ..detect.context import FileContext
from ..detect.matcher import normalize_qualname
from ..facts import Call, Expr, Ref

if TYPE_CHECKING:
    from ._base import RuleContext

__all__ = [
    "Reached", "EntryPoint", "entry_points", "is_num", "short", "shown", "where", "lit_value",
    "family_state", "FAMILY_LABEL", "uses_cuda", "reads_config", "HF_TRAINER", "all_code_units",
]

REACH_DEPTH = 3
_MAX_REACHED = 20000


class Reached(NamedTuple):
    """A call reached from an entry point: where it is, and the call in the entry file that led to it.
    (A named tuple: entry points reach tens of thousands of calls, and a frozen dataclass is slow to build.)"""

    ctx: FileContext
    call: Call
    root: Call
    chain: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return self.ctx.py.path

    @property
    def name(self) -> str:
        return self.ctx.effective(self.call)


@dataclass
class EntryPoint:
    path: str
    ctx: FileContext
    is_notebook: bool
    reached: list[Reached] = field(default_factory=list)
    training: list[Reached] = field(default_factory=list)

    @property
    def files(self) -> set[str]:
        return {r.path for r in self.reached}


def where(r: Reached, home: str | None = None) -> str:
    """``src/utils.py:12``, ``train.ipynb cell 3``, or ``line 12`` / ``cell 3`` inside ``home``."""
    if r.call.cell is not None:
        return f"cell {r.call.cell}" if r.path == home else f"{r.path} cell {r.call.cell}"
    return f"line {r.call.line}" if r.path == home else f"{r.path}:{r.call.line}"


def short(name: str) -> str:
    """``sklearn.ensemble.RandomForestClassifier`` -> ``RandomForestClassifier``; keeps ``np.random.rand`` readable."""
    name = normalize_qualname(name)
    for long, abbrev in (("numpy.", "np."), ("tensorflow.", "tf."), ("torch.nn.functional.", "F.")):
        if name.startswith(long):
            return abbrev + name[len(long):]
    if name.startswith(("sklearn.", "xgboost.", "lightgbm.", "catboost.", "transformers.", "lightning.",
                        "pytorch_lightning.", "trl.", "keras.")):
        parts = name.split(".")
        for i, part in enumerate(parts):
            if part[:1].isupper():
                return ".".join(parts[i:])
        return parts[-1]
    return name


def shown(r: "Reached") -> str:
    """The call as the code spells it when it is a method on a local object (``clf.fit``), else ``short``."""
    return r.call.qualname if r.call.receiver else short(r.name)


def is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def lit_value(ctx: FileContext, value: Any) -> Any:
    """A literal, or the literal a module-level name was assigned (one step of dataflow)."""
    if isinstance(value, Ref) and "." not in value.qualname:
        for a in ctx.py.assigns:
            if a.target == value.qualname and a.scope == "<module>" and not isinstance(a.value, (Ref, Expr)):
                return a.value
    return value


# -- entry points ----------------------------------------------------------------------------------------------------

def all_code_units(ctx: "RuleContext") -> list[FileContext]:
    """Non-test code units (Python files and notebooks' code) with their contexts."""
    index = ctx.detection.index
    return [c for c in index.contexts.values() if not c.py.is_test]


def _training_ids(rctx: "RuleContext") -> dict[str, set[tuple[int, str, int | None]]]:
    def compute() -> dict[str, set[tuple[int, str, int | None]]]:
        out: dict[str, set[tuple[int, str, int | None]]] = {}
        for fc in all_code_units(rctx):
            calls = training_calls(fc)
            if calls:
                out[fc.py.path] = {(c.line, c.qualname, c.cell) for c in calls}
        return out
    return rctx.memo("repro.training_ids", compute)  # type: ignore[return-value]


def _fn_calls(fc: FileContext, qualname: str) -> list[Call]:
    """Calls of a function, then of the functions nested in it (memoized per file; do not modify)."""
    memo = fc.table("repro_fn_calls")
    out = memo.get(qualname)
    if out is None:
        out = memo[qualname] = list(fc.calls_by_scope.get(qualname, ()))
        for scope in _nested_scopes(fc).get(qualname, ()):
            out.extend(fc.calls_by_scope[scope])
    return out


def _nested_scopes(fc: FileContext) -> dict[str, list[str]]:
    """Scope -> the scopes nested in it, in ``calls_by_scope`` order (built once per file)."""
    return fc.once("repro_nested_scopes", _group_nested_scopes, fc)


def _group_nested_scopes(fc: FileContext) -> dict[str, list[str]]:
    nested: dict[str, list[str]] = {}
    for scope in fc.calls_by_scope:
        parts = scope.split(".")
        for i in range(1, len(parts)):
            nested.setdefault(".".join(parts[:i]), []).append(scope)
    return nested


def _reach(rctx: "RuleContext", fc: FileContext) -> list[Reached]:
    """Every call of the entry file, plus calls of repository functions it reaches (REACH_DEPTH levels)."""
    index = rctx.detection.index
    out: list[Reached] = []
    seen: set[tuple[str, str]] = set()
    frontier: list[tuple[FileContext, Call, Call, tuple[str, ...]]] = [(fc, c, c, ()) for c in fc.py.calls]
    for depth in range(REACH_DEPTH + 1):
        nxt: list[tuple[FileContext, Call, Call, tuple[str, ...]]] = []
        for cur, call, root, chain in frontier:
            out.append(Reached(cur, call, root, chain))
            if depth == REACH_DEPTH or len(out) > _MAX_REACHED:
                continue
            target = index.resolve_function(cur, call)
            if target is None:
                continue
            tctx, fn = target
            if tctx is fc and not chain:
                continue  # a function of the entry file itself: its calls are already in the frontier
            key = (tctx.py.path, fn.qualname)
            if key in seen:
                continue
            seen.add(key)
            for c in _fn_calls(tctx, fn.qualname):
                nxt.append((tctx, c, root, chain + (fn.qualname,)))
        frontier = nxt
        if not frontier:
            break
    return out


def entry_points(rctx: "RuleContext") -> list[EntryPoint]:
    """Training entry points: scripts (``__main__`` or module-level training) and notebooks that reach a fit."""
    def compute() -> list[EntryPoint]:
        training = _training_ids(rctx)
        if not training:
            return []
        notebooks = {nb.path for nb in rctx.facts.notebooks}
        entries: list[EntryPoint] = []
        for fc in all_code_units(rctx):
            py = fc.py
            is_nb = py.path in notebooks
            module_training = any(c.scope == "<module>" for c in training_calls(fc)) if py.path in training \
                else False
            if not (is_nb or py.has_main or module_training):
                continue
            reached = _reach(rctx, fc)
            fits = [r for r in reached if (r.call.line, r.call.qualname, r.call.cell) in training.get(r.path, ())]
            if not fits:
                continue
            entries.append(EntryPoint(py.path, fc, is_nb, reached, fits))
        names = {e.path for e in entries}
        # a wrapper whose training all happens in another entry point's file is reported through that one
        kept = [e for e in entries
                if not all(r.path != e.path and r.path in names for r in e.training)]
        return sorted(kept, key=lambda e: e.path)
    return rctx.memo("repro.entry_points", compute)  # type: ignore[return-value]


# -- random number generator families --------------------------------------------------------------------------------

FAMILY_LABEL = {
    "python": "Python random", "numpy": "NumPy", "sklearn": "scikit-learn",
    "torch": "PyTorch", "cuda": "PyTorch CUDA", "tensorflow": "TensorFlow", "jax": "JAX",
}
_ORDER = ("python", "numpy", "sklearn", "torch", "cuda", "tensorflow", "jax")
_PY_DRAWS = frozenset({
    "random", "randint", "randrange", "choice", "choices", "sample", "shuffle", "uniform", "gauss",
    "normalvariate", "betavariate", "expovariate", "triangular", "getrandbits", "lognormvariate",
    "vonmisesvariate", "gammavariate", "paretovariate", "weibullvariate", "randbytes", "binomialvariate",
})
_NP_NOT_DRAWS = frozenset({
    "seed", "default_rng", "RandomState", "Generator", "get_state", "set_state", "SeedSequence", "PCG64",
    "PCG64DXSM", "MT19937", "Philox", "SFC64", "BitGenerator",
})
_SK_RANDOM = lazy(
    r"^(RandomForest\w+|ExtraTrees\w+|ExtraTree\w+|GradientBoosting\w+|HistGradientBoosting\w+|DecisionTree\w+|"
    r"MLP\w+|SGD\w+|Perceptron|PassiveAggressive\w+|KMeans|MiniBatchKMeans|BisectingKMeans|IsolationForest|"
    r"AdaBoost\w+|Bagging\w+|RandomTreesEmbedding|TSNE|train_test_split|ShuffleSplit|StratifiedShuffleSplit|"
    r"GroupShuffleSplit|RandomizedSearchCV|SpectralClustering|NMF|LatentDirichletAllocation|"
    r"RandomizedPCA|TruncatedSVD|GaussianMixture|BayesianGaussianMixture)$")
_SK_SHUFFLE = frozenset({"KFold", "StratifiedKFold", "RepeatedKFold", "RepeatedStratifiedKFold",
                         "StratifiedGroupKFold"})
_TORCH_DRAWS = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
    "multinomial", "poisson",
})
_TORCH_RANDOM_LAYERS = lazy(
    r"^(Linear|LazyLinear|Bilinear|Conv\w*|LazyConv\w*|Embedding\w*|LSTM\w*|GRU\w*|RNN\w*|MultiheadAttention|"
    r"Transformer\w*|\w*Dropout\w*|RReLU)$")
_TF_DRAW_PREFIXES = ("tensorflow.keras.layers.", "keras.layers.", "tensorflow.keras.initializers.",
                     "keras.initializers.", "tensorflow.nn.dropout")
_TF_MODELS = frozenset({"tensorflow.keras.Sequential", "tensorflow.keras.Model", "keras.Sequential", "keras.Model",
                        "tensorflow.keras.models.Sequential", "keras.models.Sequential"})
_JAX_NOT_DRAWS = frozenset({"PRNGKey", "key", "split", "fold_in", "key_data", "wrap_key_data", "clone"})
_LIGHTNING_ROOTS = ("lightning", "pytorch_lightning")

# seeders that cover several families at once
_ALL_TORCH = ("python", "numpy", "sklearn", "torch", "cuda")
SEEDERS: dict[str, tuple[str, ...]] = {
    "random.seed": ("python",),
    "numpy.random.seed": ("numpy", "sklearn"),
    "torch.manual_seed": ("torch", "cuda"),
    "torch.random.manual_seed": ("torch", "cuda"),
    "torch.cuda.manual_seed": ("cuda",),
    "torch.cuda.manual_seed_all": ("cuda",),
    "tensorflow.random.set_seed": ("tensorflow",),
    "tensorflow.set_random_seed": ("tensorflow",),
    "tensorflow.compat.v1.set_random_seed": ("tensorflow",),
    "tensorflow.keras.utils.set_random_seed": ("python", "numpy", "sklearn", "tensorflow"),
    "keras.utils.set_random_seed": ("python", "numpy", "sklearn", "tensorflow"),
    "jax.random.PRNGKey": ("jax",),
    "jax.random.key": ("jax",),
    "transformers.set_seed": _ALL_TORCH + ("tensorflow",),
    "transformers.trainer_utils.set_seed": _ALL_TORCH + ("tensorflow",),
    "transformers.enable_full_determinism": _ALL_TORCH + ("tensorflow",),
    "transformers.trainer_utils.enable_full_determinism": _ALL_TORCH + ("tensorflow",),
    "accelerate.utils.set_seed": _ALL_TORCH,
    "accelerate.utils.random.set_seed": _ALL_TORCH,
}
HF_TRAINER = lazy(r"^(transformers\.(\w+\.)*(Seq2Seq)?Trainer|trl\.(\w+\.)*\w*Trainer|setfit\.(\w+\.)*Trainer)$")
_SEED_HELPER = lazy(r"(?i)^((set|fix|setup|init|reset)_?\w*_?seeds?|seed_?(everything|all|torch|rngs?)\w*)$")


def _kw_is_set(call: Call, name: str) -> bool:
    """A keyword given with anything but a literal None (``**kwargs`` may carry it too)."""
    if call.star_kwargs:
        return True
    return call.has_kw(name) and call.kw(name) is not None


def _rng_use(name: str, call: Call) -> tuple[str | None, str | None]:
    """(family drawing unseeded randomness, family seeded by the call's own argument) for one call."""
    if name.startswith("random."):
        fn = name[7:]
        if fn in _PY_DRAWS:
            return "python", None
        if fn == "Random":
            return (None, "python") if (call.args or call.kwargs) else ("python", None)
        return None, None
    if name.startswith("numpy.random."):
        fn = name[13:]
        if fn in ("default_rng", "RandomState", "Generator"):
            return (None, "numpy") if (call.args or call.kwargs) else ("numpy", None)
        if "." not in fn and fn not in _NP_NOT_DRAWS:
            return "numpy", None
        return None, None
    if name.startswith("sklearn."):
        fn = name.rsplit(".", 1)[-1]
        if _SK_RANDOM.match(fn):
            if fn == "train_test_split" and call.kw("shuffle") is False:
                return None, None
            return (None, "sklearn") if _kw_is_set(call, "random_state") else ("sklearn", None)
        if fn in _SK_SHUFFLE and call.kw("shuffle") is True:
            return (None, "sklearn") if _kw_is_set(call, "random_state") else ("sklearn", None)
        return None, None
    if name.startswith("torch."):
        fn = name.rsplit(".", 1)[-1]
        if name.count(".") == 1 and fn in _TORCH_DRAWS:
            return "torch", None
        if name.startswith("torch.nn.init.") or name.startswith("torch.optim.") and fn[:1].isupper():
            return "torch", None
        if name.startswith("torch.nn.") and name.count(".") == 2 and _TORCH_RANDOM_LAYERS.match(fn):
            return "torch", None
        if name in ("torch.nn.functional.dropout", "torch.nn.functional.dropout2d"):
            return "torch", None
        if name in ("torch.utils.data.random_split", "torch.utils.data.dataset.random_split"):
            return (None, "torch") if _kw_is_set(call, "generator") else ("torch", None)
        if name in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader") \
                and call.kw("shuffle") is True:
            return (None, "torch") if _kw_is_set(call, "generator") else ("torch", None)
        return None, None
    if name.startswith("torchvision.transforms.") and name.rsplit(".", 1)[-1].startswith("Random"):
        return "torch", None
    if name.startswith(_TF_DRAW_PREFIXES) or name in _TF_MODELS:
        return "tensorflow", None
    if name.startswith("tensorflow.random.") and name.rsplit(".", 1)[-1] not in ("set_seed", "Generator"):
        return "tensorflow", None
    if name.startswith("jax.random.") and name.rsplit(".", 1)[-1] not in _JAX_NOT_DRAWS:
        return "jax", None
    if name.startswith(_LIGHTNING_ROOTS) and name.endswith("Trainer.fit"):
        return "torch", None
    return None, None


_RNG_CONSTRUCTORS = frozenset({"random.Random", "numpy.random.RandomState", "numpy.random.Generator"})


def _reseeded(r: Reached) -> bool:
    """A generator object built without a seed whose variable gets ``.seed(value)`` in the same function."""
    if r.name not in _RNG_CONSTRUCTORS:
        return False
    call = r.call
    target = next((a.target for a in r.ctx.py.assigns if a.line == call.line and a.scope == call.scope
                   and isinstance(a.value, Expr) and a.value.kind == "call"), None)
    if not target:
        return False
    return any(c.method == "seed" and c.receiver == target and (c.args or c.kwargs)
               for c in r.ctx.calls_by_scope.get(call.scope, ()))


CUDA_DEVICE = lazy(r"^cuda(:\d+)?$")


def uses_cuda(name: str, call: Call) -> bool:
    """Does this call put work on an NVIDIA GPU (or choose the GPU when there is one)?"""
    if name in ("torch.cuda.is_available", "torch.cuda.device_count", "torch.cuda.set_device"):
        return True
    method = call.method
    if method == "cuda" and (call.receiver or "." in name) and not name.startswith("torch.cuda"):
        return True
    if name == "torch.device" or method == "to":
        values = list(call.args[:1]) + [v for k, v in call.kwargs if k == "device"]
        if any(isinstance(v, str) and CUDA_DEVICE.match(v) for v in values):
            return True
    if name.startswith(_LIGHTNING_ROOTS) and name.endswith("Trainer"):
        acc = call.kw("accelerator")
        if isinstance(acc, str) and acc.lower() in ("gpu", "cuda"):
            return True
        gpus = call.kw("gpus")
        if is_num(gpus) and gpus != 0 or isinstance(gpus, (list, tuple)) and gpus:
            return True
    return False


@dataclass
class FamilyState:
    unseeded: dict[str, list[Reached]] = field(default_factory=dict)   # family -> unseeded draws
    seeded: dict[str, list[Reached]] = field(default_factory=dict)     # family -> seeding calls
    self_seeded: dict[str, list[Reached]] = field(default_factory=dict)
    unknown_seeder: list[Reached] = field(default_factory=list)        # a seed helper we cannot see into
    hf_trainer: list[Reached] = field(default_factory=list)

    def seeded_families(self) -> list[str]:
        """Families seeded; the implicit ones (scikit-learn through NumPy, CUDA through torch) only when used."""
        used = set(self.unseeded) | set(self.self_seeded)
        fams = {f for f in self.seeded if f in used or f not in ("sklearn", "cuda")}
        fams |= {f for f in self.self_seeded if f not in self.unseeded}
        return [f for f in _ORDER if f in fams]

    def unseeded_families(self) -> list[str]:
        return [f for f in _ORDER if f in self.unseeded and f not in self.seeded]

    def seeding_calls(self) -> list[Reached]:
        calls = [r for rs in self.seeded.values() for r in rs] + [r for rs in self.self_seeded.values() for r in rs]
        return calls + self.unknown_seeder + self.hf_trainer


def family_state(rctx: "RuleContext", entry: EntryPoint) -> FamilyState:
    """Which RNG families the entry point draws from without a seed, and which it seeds."""
    def compute() -> FamilyState:
        state = FamilyState()
        cuda_calls: list[Reached] = []
        trainer_classes = _hf_trainer_subclasses(rctx)
        for r in entry.reached:
            name = r.name
            fams = SEEDERS.get(name)
            if fams is None and name.startswith(_LIGHTNING_ROOTS) and name.endswith("seed_everything"):
                fams = _ALL_TORCH
            if fams:
                for f in fams:
                    state.seeded.setdefault(f, []).append(r)
                continue
            if HF_TRAINER.match(name) or name.rsplit(".", 1)[-1] in trainer_classes and r.call.qualname == name:
                state.hf_trainer.append(r)
                for f in _ALL_TORCH:
                    state.seeded.setdefault(f, []).append(r)
                continue
            if _SEED_HELPER.match(r.call.method) and not name.startswith(("random.", "numpy.", "torch.")) \
                    and rctx.detection.index.resolve_function(r.ctx, r.call) is None:
                state.unknown_seeder.append(r)
                continue
            draw, own = _rng_use(name, r.call)
            if draw and _reseeded(r):
                draw, own = None, draw  # rng = random.Random(); rng.seed(seed): seeded right after it is built
            if draw:
                state.unseeded.setdefault(draw, []).append(r)
            if own:
                state.self_seeded.setdefault(own, []).append(r)
            if uses_cuda(name, r.call):
                cuda_calls.append(r)
        torch_uses = state.unseeded.get("torch")
        if torch_uses:
            # optimizers only show that a torch model is trained; name a real draw first when there is one
            torch_uses.sort(key=lambda r: r.name.startswith("torch.optim."))
        if cuda_calls and "torch" in state.unseeded:
            state.unseeded.setdefault("cuda", []).extend(cuda_calls)
        return state
    return rctx.memo(f"repro.families:{entry.path}", compute)  # type: ignore[return-value]


def _hf_trainer_subclasses(rctx: "RuleContext") -> frozenset[str]:
    def compute() -> frozenset[str]:
        names = set()
        for fc in rctx.detection.index.contexts.values():
            for cls in fc.py.classes:
                if any(HF_TRAINER.match(normalize_qualname(b)) for b in cls.bases):
                    names.add(cls.name)
        return frozenset(names)
    return rctx.memo("repro.hf_trainer_classes", compute)  # type: ignore[return-value]


# -- configuration ---------------------------------------------------------------------------------------------------

_CONFIG_CALL = lazy(
    r"^(argparse\.|click\.|typer\.|fire\.|hydra\.|omegaconf\.|yaml\.(safe_)?load|yaml\.full_load|json\.loads?$|"
    r"toml\.load|tomllib\.load|tomli\.load|configparser\.|os\.getenv|os\.environ\.get|transformers\.HfArgumentParser|"
    r"transformers\.hf_argparser\.|jsonargparse\.|tyro\.|simple_parsing\.|absl\.flags|absl\.app\.run|ml_collections\.|"
    r"gin\.|dotenv\.|dvc\.api\.params_show|lightning\.pytorch\.cli\.|pytorch_lightning\.cli\.|lightning\.pytorch\.cli|"
    r"pydantic_settings\.|sacred\.|docopt\.|mlflow\.projects|wandb\.config)")
_CONFIG_DECORATOR = lazy(r"^(hydra\.main|click\.|typer\.|gin\.configurable|sacred\.|absl\.)")


def reads_config(entry: EntryPoint) -> str | None:
    """How the entry point takes its settings from outside the code (CLI, files, environment), if it does."""
    for r in entry.reached:
        if _CONFIG_CALL.match(r.name):
            return f"{short(r.name)} at {where(r)}"
    py = entry.ctx.py
    for line, names in _names_read(py):
        for attr in ("sys.argv", "os.environ"):
            if attr in names:
                return f"{attr} at {py.path}:{line}"
    for fn in py.functions:
        for d in fn.decorators:
            if _CONFIG_DECORATOR.match(normalize_qualname(d.qualname)):
                return f"@{d.qualname} at {py.path}:{d.line}"
    return None


def _names_read(py: Any) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Names read by call arguments and assigned values (``int(sys.argv[1])`` reads ``sys.argv``)."""
    for call in py.calls:
        for v in list(call.args) + [v for _, v in call.kwargs]:
            if isinstance(v, Ref):
                yield call.line, (v.qualname,)
            elif isinstance(v, Expr):
                yield call.line, v.names
    for a in py.assigns:
        if isinstance(a.value, Ref):
            yield a.line, (a.value.qualname,)
        elif isinstance(a.value, Expr):
            yield a.line, a.value.names
