"""Reproducibility: seeds, pinned environments, rebuildable images, parameterised training.

A training run is reproducible when the same code, data, configuration and
environment give the same model. These rules look for the usual holes: random
number generators left unseeded, dependency ranges with nothing to freeze
them, images built on moving tags, hyperparameters buried as literals, and
training that exists only inside notebooks.
"""
from __future__ import annotations

import re
from typing import Iterator

from .._patterns import lazy
from ..detect.evidence import in_test_suite
from ..facts import Call, Dockerfile, DockerInstruction, Manifest, Requirement
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._repro_util import (
    FAMILY_LABEL, Reached, entry_points, family_state, is_num, reads_config, short, shown, where,
)

__all__ = [
    "partial_seeding", "no_seeding", "unpinned_dependencies", "missing_lock_file", "no_environment_spec",
    "unpinned_base_image", "hardcoded_hyperparameters", "training_only_in_notebooks", "parse_from",
]

_SEED_REMEDIATION = {
    "lightning": "Call `lightning.seed_everything(cfg.seed, workers=True)` first thing in the entry point: it seeds "
                 "Python, NumPy and PyTorch (CPU and CUDA) together, and the DataLoader workers with workers=True.",
    "transformers": "Call `transformers.set_seed(seed)` at the top of the entry point (the HF Trainer does it from "
                    "TrainingArguments.seed, custom loops do not).",
    "pytorch": "Seed every generator in one helper called first in the entry point:\n"
               "    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)  # also seeds CUDA\n"
               "and pass random_state=seed to scikit-learn estimators and splitters.",
    "tensorflow": "Call `tf.keras.utils.set_random_seed(seed)` first: it seeds Python, NumPy and TensorFlow together.",
    "default": "Set one seed from configuration and apply it to every generator the run draws from: "
               "random.seed(seed), np.random.seed(seed), torch.manual_seed(seed), tf.random.set_seed(seed), and "
               "random_state=seed on scikit-learn estimators and splitters. Log the seed with the run.",
}


def _labels(families: list[str]) -> str:
    return ", ".join(FAMILY_LABEL[f] for f in families)


def _examples(rs: list[Reached], limit: int = 2, home: str | None = None, suffix: str = "") -> str:
    seen: list[str] = []
    for r in rs:
        via = f" via {r.chain[0]}()" if r.chain else ""
        if suffix == "own":
            tail = "(random_state=...)" if r.name.startswith("sklearn.") else "(seed)"
        elif suffix == "draw":
            tail = " without random_state" if r.name.startswith("sklearn.") else ""
        else:
            tail = suffix
        text = f"{shown(r)}{tail} at {where(r, home)}{via}"
        if text not in seen:
            seen.append(text)
        if len(seen) >= limit:
            break
    return ", ".join(seen)


def _main_fit(training: list[Reached]) -> Reached:
    """The call that best shows training: a fit or trainer.train, else a backward pass, else model.train()."""
    def rank(r: Reached) -> tuple[int, int, int, int]:
        method = r.call.method
        if method.startswith("fit") or (method == "train" and "rainer" in r.name):
            kind = 0
        elif method == "backward":
            kind = 1
        else:
            kind = 2
        return kind, r.root.cell or 0, r.root.line, r.call.line
    return min(training, key=rank)


def _first_root(rs: list[Reached]) -> Call:
    return min((r.root for r in rs), key=lambda c: (c.cell or 0, c.line))


@rule(id="REP001", name="partial-seeding", area="reproducibility", severity=Severity.HIGH,
      concept="partial_seeding", title="Training entry point seeds some random generators but not all",
      rationale="A run that seeds NumPy but not PyTorch (or Python's random but not NumPy) still changes from run "
                "to run: weight initialisation, shuffling, dropout and data splits each draw from their own "
                "generator. Partial seeding is worse than none because it looks reproducible. Reproducible training "
                "is a precondition for comparing experiments and for the ML Test Score's reproducibility test "
                "(Breck et al. 2017).",
      remediation=_SEED_REMEDIATION, seeds=("H09", "K07", "G05", "C02", "K11"),
      references=("Breck et al. 2017, The ML Test Score (Infra 1: training is reproducible)",
                  "https://pytorch.org/docs/stable/notes/randomness.html"),
      bad="random.seed(0)\nmodel = Net()  # torch weights initialised from an unseeded generator\n",
      good="random.seed(0); np.random.seed(0); torch.manual_seed(0)\nmodel = Net()\n",
      principle="reproducibility", tools=("lightning", "transformers"))
def partial_seeding(ctx: RuleContext) -> Iterator[Hit]:
    """Per training entry point: RNG families drawn from vs families seeded (through helpers too)."""
    for entry in entry_points(ctx):
        st = family_state(ctx, entry)
        if st.unknown_seeder:
            continue
        seeded, unseeded = st.seeded_families(), st.unseeded_families()
        # a family seeded at one call and not at another (one estimator with random_state, one without)
        seeded += [f for f in unseeded if f in st.self_seeded and f not in seeded]
        if not seeded or not unseeded:
            continue
        seeding = st.seeding_calls()
        root = _first_root(seeding)
        own = [r for rs in st.self_seeded.values() for r in rs]
        global_ = [r for r in seeding if r not in own]
        via = ", ".join(x for x in (_examples(global_, home=entry.path),
                                     _examples(own, 1, entry.path, "own")) if x)
        # a family seeded at one draw and not at another reads "not scikit-learn at every draw (...)"
        missing = "; ".join(f"{FAMILY_LABEL[f]}{' at every draw' if f in seeded else ''} "
                            f"({_examples(st.unseeded[f], 1, entry.path, 'draw')})" for f in unseeded)
        yield Hit(entry.path, root.line, cell=root.cell, key=f"partial-seeding:{','.join(unseeded)}",
                  message=f"{entry.path} seeds {_labels(seeded)} ({via}) but not {missing}: runs of this entry "
                          f"point cannot be repeated exactly.")


@rule(id="REP002", name="no-seeding", area="reproducibility", severity=Severity.MEDIUM,
      title="Training entry point draws random numbers without any seed",
      rationale="Without a seed every run initialises, shuffles and splits differently, so a metric change "
                "between two runs cannot be told apart from noise and a reported model cannot be rebuilt.",
      remediation=_SEED_REMEDIATION, seeds=("H09", "K07", "G05", "K11"),
      references=("Breck et al. 2017, The ML Test Score (Infra 1: training is reproducible)",),
      bad="clf = RandomForestClassifier()\nclf.fit(X, y)\n",
      good="clf = RandomForestClassifier(random_state=cfg.seed)\nclf.fit(X, y)\n",
      principle="reproducibility")
def no_seeding(ctx: RuleContext) -> Iterator[Hit]:
    """Per training entry point: randomness in use and no seeding call anywhere in its reach."""
    for entry in entry_points(ctx):
        st = family_state(ctx, entry)
        if st.unknown_seeder or st.seeding_calls():
            continue
        unseeded = st.unseeded_families()
        if not unseeded:
            continue
        fit = _main_fit(entry.training)
        root = fit.root
        missing = "; ".join(f"{FAMILY_LABEL[f]} ({_examples(st.unseeded[f], 1, entry.path, 'draw')})" for f in unseeded)
        yield Hit(entry.path, root.line, cell=root.cell, key="no-seeding",
                  message=f"{entry.path} trains ({shown(fit)} at {where(fit, entry.path)}) with randomness it never "
                          f"seeds: {missing}. No seed is set anywhere this entry point reaches.")


# -- dependencies ----------------------------------------------------------------------------------------------------

_CONCRETE = ("requirements", "conda", "pipfile")
# environments of examples, docs and demos matter less than the project's own when both exist
_SIDE_DIRS = lazy(r"(?i)(^|/)(examples?|docs?|tutorials?|demos?|notebooks?|benchmarks?|samples?)/")
_FREEZE_MIN = 30


def _is_frozen(m: Manifest) -> bool:
    """A requirements file that is itself a lock: every line pinned with hashes, or a full `pip freeze`."""
    reqs = [r for r in m.requirements if r.group == "main"]
    if not reqs or not all(r.pinned for r in reqs):
        return False
    return all(r.hashes for r in reqs) or (m.kind == "requirements" and len(reqs) >= _FREEZE_MIN)


def _runtime_by_manifest(ctx: RuleContext) -> dict[str, list[Requirement]]:
    from ..detect.repo_caps import runtime_requirements

    out: dict[str, list[Requirement]] = {}
    for path, req in runtime_requirements(ctx.facts):
        out.setdefault(path, []).append(req)
    return out


def _describe(r: Requirement) -> str:
    if r.url:
        return f"{r.name} from {r.url.split('#', 1)[0]} without a fixed commit"
    return f"{r.name}{r.specifier}" if r.specifier else f"{r.name} (no version)"


@rule(id="REP003", name="unpinned-dependencies", area="reproducibility", severity=Severity.HIGH,
      concept="unpinned_dependencies", title="Runtime dependencies are not pinned and no lock file fixes them",
      rationale="A range such as torch>=2.0 resolves to a different version every time the environment is "
                "rebuilt, so yesterday's model may not retrain, load or score the same today. Sculley et al. "
                "(2015) count unstable external dependencies among ML's hidden technical debt.",
      remediation={
          "default": "Pin exact versions for the training and serving environment: generate a lock "
                     "(`uv pip compile requirements.in -o requirements.txt`, `pip-compile`, `poetry lock`, "
                     "`uv lock`) and install from it in CI and images. Keep ranges only in a library's "
                     "published metadata.",
      },
      seeds=("H09", "K07", "G05"), references=("Sculley et al. 2015, Hidden Technical Debt in Machine Learning Systems",
                                               "https://pip.pypa.io/en/stable/topics/repeatable-installs/"),
      bad="torch>=2.0\nscikit-learn\n", good="torch==2.3.1\nscikit-learn==1.5.0\n",
      principle="reproducibility", tools=("uv", "pip-tools", "poetry"))
def unpinned_dependencies(ctx: RuleContext) -> Iterator[Hit]:
    """One finding per environment manifest with unpinned runtime requirements, when no lock file exists."""
    facts = ctx.facts
    if _project_locks(facts):
        return
    by_path = _runtime_by_manifest(ctx)
    manifests = {m.path: m for m in facts.manifests}
    concrete = [p for p in by_path if manifests[p].kind in _CONCRETE]
    candidates = concrete or list(by_path)
    main = [p for p in candidates if not _SIDE_DIRS.search(p)]
    for path in sorted(main or candidates):
        m = manifests[path]
        if _is_frozen(m):
            continue
        reqs = sorted(by_path[path], key=lambda r: r.line)
        loose = [r for r in reqs if not r.pinned]
        if not loose:
            continue
        names = ", ".join(_describe(r) for r in loose[:4]) + (", ..." if len(loose) > 4 else "")
        yield Hit(path, loose[0].line, key=f"unpinned:{path}",
                  message=f"{path}: {len(loose)} of {len(reqs)} runtime requirements are not pinned to an exact "
                          f"version ({names}) and no lock file fixes them.")


@rule(id="REP004", name="missing-lock-file", area="reproducibility", severity=Severity.MEDIUM,
      concept="missing_lock_file", title="No lock file fixes the resolved environment",
      rationale="Even exact pins on direct dependencies leave every transitive dependency free to move. A lock "
                "file records the whole resolved set (with hashes), so training, CI and serving install the "
                "same packages.",
      remediation="Commit a lock of the full environment and install from it everywhere: `uv lock` / "
                  "`poetry lock` for pyproject projects, `uv pip compile requirements.in --generate-hashes -o "
                  "requirements.txt` (or pip-compile) for requirements files, conda-lock for conda environments.",
      seeds=("K07", "K11", "H09"), references=("https://pip.pypa.io/en/stable/topics/repeatable-installs/",),
      bad="requirements.txt only", good="requirements.in + requirements.txt compiled with hashes, or uv.lock",
      principle="reproducibility", tools=("uv", "pip-tools", "poetry", "conda-lock"))
def missing_lock_file(ctx: RuleContext) -> Iterator[Hit]:
    """Repository-level: dependency manifests declare requirements but no lock file exists."""
    facts = ctx.facts
    if _project_locks(facts):
        return
    manifests = [m for m in facts.manifests if m.requirements and not in_test_suite(m.path)]
    if not manifests or any(_is_frozen(m) for m in manifests if m.kind == "requirements"):
        return
    names = ", ".join(m.path for m in manifests[:3]) + (", ..." if len(manifests) > 3 else "")
    yield Hit(None, key="missing-lock",
              message=f"Dependencies are declared ({names}) but no lock file records the resolved environment "
                      f"(poetry.lock, uv.lock, a compiled requirements file, conda-lock, ...).")


def _project_locks(facts) -> list:
    """Lock files of the project itself: a lock under tests/ pins a fixture's environment, not the project's."""
    return [lock for lock in facts.locks if not in_test_suite(lock.path)]


_DEVCONTAINER = lazy(r"(^|/)\.devcontainer(\.json|/devcontainer\.json|/[^/]+/devcontainer\.json)$")
_ENV_FILES = lazy(r"(^|/)(flake\.nix|shell\.nix|default\.nix|cog\.yaml|bentofile\.ya?ml|Singularity(\.def)?|"
                        r"apptainer\.def|runtime\.txt|\.python-version)$")


@rule(id="REP005", name="no-environment-spec", area="reproducibility", severity=Severity.MEDIUM,
      title="Nothing can rebuild the runtime environment",
      rationale="Without a container image, a conda environment, a devcontainer or a lock file, the environment "
                "a model was trained in exists only on someone's machine; a retrain months later starts by "
                "guessing versions of Python, CUDA and every library.",
      remediation={
          "default": "Add a Dockerfile (or a conda environment.yml / devcontainer) that installs the locked "
                     "dependencies on a pinned base image, and build it in CI.",
      },
      seeds=("K07",), references=("Google Cloud, MLOps: Continuous delivery and automation pipelines in ML",),
      bad="requirements.txt with ranges, no Dockerfile", good="Dockerfile FROM python:3.11.9-slim + locked installs",
      principle="reproducibility", tools=("docker", "conda"))
def no_environment_spec(ctx: RuleContext) -> Iterator[Hit]:
    """Repository-level: no Dockerfile, compose, conda env, devcontainer, lock file nor similar."""
    facts = ctx.facts
    if any(not in_test_suite(d.path) for d in facts.dockerfiles) or _project_locks(facts) or any(
            m.kind == "conda" and not in_test_suite(m.path) for m in facts.manifests):
        return
    if any(d.kind in ("compose", "mlproject") for d in facts.configs):
        return
    for f in facts.files:
        if _DEVCONTAINER.search(f.path) or _ENV_FILES.search(f.path):
            return
    for fc in ctx.detection.index.contexts.values():
        if any(c.qualname.endswith("DockerSettings") for c in fc.py.calls):
            return
    has_manifest = any(m.requirements for m in facts.manifests)  # a setup.py building an extension declares none
    what = "only dependency manifests describe it" if has_manifest else "no dependency manifest declares it"
    yield Hit(None, key="no-environment-spec",
              message=f"The environment cannot be rebuilt: {what}, and there is no Dockerfile, compose file, conda "
                      f"environment, devcontainer or lock file.")


# -- base images -----------------------------------------------------------------------------------------------------

_FLOATING_TAGS = frozenset({"latest", "stable", "lts", "nightly", "edge", "rolling", "current", "main", "master",
                            "dev", "devel", "head", "unstable", "testing"})
_VAR = lazy(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}?")


def parse_from(value: str) -> tuple[str, str | None]:
    """(image reference, stage name) of a FROM value, options such as --platform dropped."""
    parts = [p for p in value.split() if not p.startswith("--")]
    if not parts:
        return "", None
    image = parts[0]
    stage = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
    return image, stage


def _substitute(image: str, args: dict[str, str | None]) -> str | None:
    """Expand ARG references with their defaults; None when one has no default."""
    missing = False

    def repl(m: re.Match[str]) -> str:
        nonlocal missing
        value = args.get(m.group(1))
        if value is None:
            missing = True
            return ""
        return value
    out = _VAR.sub(repl, image)
    return None if missing else out


def _tag_problem(image: str) -> str | None:
    """Why an image reference floats, or None when it is pinned well enough."""
    if "@sha256:" in image or "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (it means :latest)"
    tag = last.split(":", 1)[1]
    if tag.lower() in _FLOATING_TAGS:
        return f"uses the moving tag :{tag}"
    m = re.match(r"^v?(\d+)(?=$|[-_a-zA-Z])", tag)
    if m and not re.match(r"^v?\d+[.]\d", tag) and len(m.group(1)) <= 2:
        return f"uses the major-only tag :{tag}, which moves across minor releases"
    return None


def _from_problems(df: Dockerfile) -> Iterator[tuple[DockerInstruction, str, str]]:
    args: dict[str, str | None] = {}
    stages: set[str] = set()
    for ins in df.instructions:
        if ins.instruction == "ARG":
            for token in ins.value.split():
                name, sep, default = token.partition("=")
                if sep:
                    args[name] = default.strip("\"'")
                elif name not in args:
                    args[name] = None
            continue
        if ins.instruction != "FROM":
            continue
        raw, stage = parse_from(ins.value)
        if stage:
            stages.add(stage.lower())
        if not raw or raw.lower() == "scratch" or raw.lower() in stages:
            continue
        image = _substitute(raw, args) if "$" in raw else raw
        if not image or image.lower() in stages or image.lower() == "scratch":
            continue
        problem = _tag_problem(image)
        if problem:
            ref = raw if image == raw else f"{raw} (= {image})"
            yield ins, ref, problem


_DOCKER_BUILD_TAG = lazy(r"\bdocker\s+(?:buildx\s+)?build\b[^\n;&|]*?\s(?:-t|--tag)[=\s]+([\w./-]+)")


def _image_name(image: str) -> str:
    """An image reference without tag or digest, lower case: ``airflow-ml-base:latest`` -> ``airflow-ml-base``."""
    ref = image.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    return ((head + "/" if head else "") + last.split(":", 1)[0]).lower()


def _locally_built_images(ctx: RuleContext) -> frozenset[str]:
    """Unqualified image names built from this repository: compose services with build + image, CI docker builds."""
    from ..detect.config_caps import ci_commands

    def compute() -> frozenset[str]:
        names: set[str] = set()
        for doc in ctx.facts.configs:
            services = doc.data.get("services") if doc.kind == "compose" and isinstance(doc.data, dict) else None
            if isinstance(services, dict):
                for svc in services.values():
                    if isinstance(svc, dict) and svc.get("build") and isinstance(svc.get("image"), str):
                        names.add(_image_name(svc["image"]))
            elif doc.kind in ("github_actions", "gitlab_ci", "azure_pipelines", "circleci", "bitbucket_pipelines",
                              "jenkins", "travis", "drone", "buildkite"):
                for cmd, _line in ci_commands(doc):
                    names.update(_image_name(m) for m in _DOCKER_BUILD_TAG.findall(cmd))
        # a registry-qualified name (gcr.io/x/y) is pulled, whatever is built locally under it
        return frozenset(n for n in names if "/" not in n or "." not in n.split("/", 1)[0])
    return ctx.memo("repro.local_images", compute)  # type: ignore[return-value]


@rule(id="REP006", name="unpinned-base-image", area="reproducibility", severity=Severity.MEDIUM,
      title="Docker base image is not pinned",
      rationale="A base image without a tag, with :latest or with a moving tag changes under the same Dockerfile: "
                "Python, CUDA and system libraries shift between two builds of one commit, which breaks the "
                "promise that the image rebuilds the environment the model was trained or validated in.",
      remediation={
          "default": "Use a specific release tag and, for full reproducibility, the digest: "
                     "`FROM python:3.11.9-slim@sha256:<digest>` (get it with `docker buildx imagetools inspect`). "
                     "Let Dependabot or Renovate propose updates.",
      },
      seeds=("K07",), references=("https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",),
      bad="FROM pytorch/pytorch:latest", good="FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime@sha256:...",
      principle="reproducibility", tools=("docker",))
def unpinned_base_image(ctx: RuleContext) -> Iterator[Hit]:
    """FROM lines without a tag, with :latest or a major-only tag, and no digest (ARG defaults expanded).
    Base images the repository builds itself (a compose service with ``build:`` and ``image:``, a CI
    ``docker build -t``) are skipped: their content is the repository's own Dockerfile."""
    local = _locally_built_images(ctx)
    for df in ctx.facts.dockerfiles:
        for ins, ref, problem in _from_problems(df):
            if _image_name(ref.split(" (= ", 1)[-1].rstrip(")")) in local:
                continue
            yield Hit(df.path, ins.line, key=f"from:{ref}",
                      message=f"{df.path}:{ins.line} FROM {ref} {problem}; rebuilding the image can silently "
                              f"change the environment.")


# -- hard-coded hyperparameters --------------------------------------------------------------------------------------

HYPERPARAMETERS = frozenset({
    "learning_rate", "lr", "n_estimators", "max_depth", "epochs", "num_epochs", "max_epochs", "n_epochs",
    "batch_size", "num_train_epochs", "per_device_train_batch_size", "weight_decay", "momentum", "C", "alpha",
    "gamma", "num_leaves", "min_child_weight", "subsample", "colsample_bytree", "dropout", "l1_ratio", "reg_alpha",
    "reg_lambda", "min_samples_split", "min_samples_leaf", "n_neighbors", "iterations", "depth", "eta",
    "max_iter", "hidden_size", "num_layers", "warmup_steps", "gradient_accumulation_steps", "max_steps",
    "l2_leaf_reg", "min_data_in_leaf", "max_features", "hidden_layer_sizes", "eps", "betas",
})
_HP_CALLEE = lazy(r"^(sklearn\.|xgboost\.|lightgbm\.|catboost\.|torch\.optim\.|tensorflow\.keras\.optimizers\.|"
                        r"keras\.optimizers\.|transformers\.(\w+\.)*(Seq2Seq)?TrainingArguments$|"
                        r"trl\.(\w+\.)*\w*Config$|"
                        r"(lightning|pytorch_lightning)\.(\w+\.)*Trainer$)")


def _literal_hyperparameters(name: str, call: Call) -> list[str]:
    if not (_HP_CALLEE.match(name) or call.method in ("fit", "compile")):
        return []
    found = [f"{k}={v!r}" for k, v in call.kwargs if k in HYPERPARAMETERS and is_num(v)]
    if name.startswith("torch.optim.") and len(call.args) >= 2 and is_num(call.args[1]):
        found.append(f"lr={call.args[1]!r}")
    return found


@rule(id="REP007", name="hardcoded-hyperparameters", area="reproducibility", severity=Severity.MEDIUM,
      title="Hyperparameters are literals in a training script that reads no configuration",
      rationale="When learning rates, tree depths and epoch counts live as literals in code, every experiment is a "
                "code edit: runs cannot be compared by configuration, searched, or reproduced from logged "
                "parameters, and the values carry no record of where they came from.",
      remediation={
          "hydra": "Move the values into the Hydra config (conf/model/*.yaml) and read them from cfg.",
          "dvc": "Move the values into params.yaml, read them with yaml.safe_load or dvc.api.params_show(), and "
                 "declare them as stage params in dvc.yaml.",
          "default": "Read hyperparameters from a config file (params.yaml with yaml.safe_load, Hydra, or "
                     "argparse/typer options with defaults) and log them with the run.",
      },
      seeds=("G05", "Z09", "C02"), references=("Sculley et al. 2015, Hidden Technical Debt (configuration debt)",),
      bad="model = XGBClassifier(max_depth=6, learning_rate=0.1)\nmodel.fit(X, y)\n",
      good="params = yaml.safe_load(open('params.yaml'))['train']\nmodel = XGBClassifier(**params)\n",
      principle="reproducibility", tools=("hydra", "dvc"))
def hardcoded_hyperparameters(ctx: RuleContext) -> Iterator[Hit]:
    """Per script entry point (notebooks excluded): first literal hyperparameter call when no config is read."""
    reported: set[tuple[str, int]] = set()
    for entry in entry_points(ctx):
        if entry.is_notebook or reads_config(entry):
            continue
        for r in sorted(entry.reached, key=lambda r: (r.path != entry.path, r.path, r.call.line)):
            if r.ctx.py.is_test:
                continue
            values = _literal_hyperparameters(r.name, r.call)
            if not values:
                continue
            if (r.path, r.call.line) not in reported:
                reported.add((r.path, r.call.line))
                yield Hit(r.path, r.call.line, cell=r.call.cell, key=f"hyper:{short(r.name)}",
                          message=f"{where(r)} hard-codes {', '.join(values[:4])} in {short(r.name)}(...), and "
                                  f"{entry.path} reads no configuration (no CLI options, config file or Hydra).")
            break


@rule(id="REP008", name="training-only-in-notebooks", area="reproducibility", severity=Severity.MEDIUM,
      title="Models are trained only in notebooks",
      rationale="Notebook training depends on hidden kernel state and cell order, cannot be run by a scheduler or "
                "CI job as is, and resists review and testing. A script or pipeline step is the unit that can be "
                "rerun, parameterised and automated.",
      remediation={
          "default": "Move the training code into a module with an entry point (src/train.py with a main() reading "
                     "its config) and keep the notebook for exploration, importing from the module.",
      },
      seeds=("K01", "K07"), references=("Google Cloud, MLOps level 1: pipeline automation",),
      bad="notebooks/train.ipynb is the only place model.fit is called",
      good="src/train.py main() trains; the notebook imports it",
      principle="automation")
def training_only_in_notebooks(ctx: RuleContext) -> Iterator[Hit]:
    """File-level, on the first training notebook, when no .py file trains."""
    training = ctx.detection.training_files
    if not training or not all(p.endswith(".ipynb") for p in training):
        return
    listed = ", ".join(training[:3]) + (", ..." if len(training) > 3 else "")
    yield Hit(training[0], None, key="training-only-in-notebooks",
              message=f"Training happens only in notebooks ({listed}); no Python module or script trains a model "
                      f"that a pipeline or CI job could run.")
