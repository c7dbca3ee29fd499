"""Versioning: models and data kept where their versions can be traced.

Git versions code well and binaries badly: every committed model or dataset
stays in every clone forever and carries no lineage. These rules flag model
and data files committed as plain blobs, large binaries left in history,
training data with no versioning system, and DVC set up without a remote that
would let anyone else fetch the data.
"""
from __future__ import annotations

import posixpath
from typing import Any, Iterator

from ..detect.config_caps import ci_commands
from ..detect.repo_caps import is_model_file, model_files
from ..facts import Expr, Facts, Ref, is_test_path
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._repro_util import entry_points, lit_value, where

__all__ = ["model_file_in_git", "large_blob_in_history", "data_file_in_git", "no_data_versioning",
           "dvc_without_remote", "human_size", "is_data_file", "dvc_outputs"]

MB = 1024 * 1024
_SMALL_MODEL = 100 * 1024
DATA_ANYWHERE = 5 * MB        # a data file this large is worth a look wherever it lives
DATA_IN_DATA_DIR = 1 * MB     # under data/ a smaller one is already a dataset
OTHER_HISTORY = 5 * MB        # non-model, non-data binaries only in history
OTHER_HEAD = 10 * MB
_DATA_EXT = frozenset({".csv", ".tsv", ".parquet", ".feather", ".arrow", ".jsonl", ".ndjson", ".npy", ".npz",
                       ".xlsx", ".xls", ".avro", ".orc", ".tfrecord", ".tfrecords", ".hdf", ".sqlite", ".db"})
_DATA_DIR_EXT = frozenset({".json", ".zip", ".gz", ".tgz", ".tar", ".xz", ".bz2", ".7z", ".txt", ".xml", ".h5",
                           ".hdf5", ".pkl", ".pickle"})
_DATA_DIRS = frozenset({"data", "datasets", "dataset", "raw_data", "training_data"})


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _in_data_dir(path: str) -> bool:
    return any(part.lower() in _DATA_DIRS for part in path.split("/")[:-1])


def _hdf5_data(path: str) -> bool:
    """An HDF5 file or pickle under a data directory holds a dataset, not a model."""
    return posixpath.splitext(path)[1].lower() in (".h5", ".hdf5", ".pkl", ".pickle") and _in_data_dir(path)


def is_data_file(path: str) -> bool:
    """A dataset by extension, or an archive/JSON/text file kept under a data directory."""
    ext = posixpath.splitext(path)[1].lower()
    return ext in _DATA_EXT or (ext in _DATA_DIR_EXT and _in_data_dir(path))


from ..detect.repo_caps import dvc_outputs  # noqa: E402  (re-exported: rules import it from here)


def _under(path: str, roots: set[str]) -> bool:
    return path in roots or any(path.startswith(r.rstrip("/") + "/") for r in roots)


def _git_models(ctx: RuleContext) -> list[tuple[str, int]]:
    def compute() -> list[tuple[str, int]]:
        git = ctx.facts.git
        if not git.is_repo:
            return []
        lfs = set(git.lfs_files)
        return [(p, git.tracked.get(p, size)) for p, size in model_files(ctx.facts)
                if p in git.tracked and p not in lfs and not is_test_path(p) and not _hdf5_data(p)]
    return ctx.memo("ver.git_models", compute)  # type: ignore[return-value]


@rule(id="VER001", name="model-file-in-git", area="versioning", severity=Severity.HIGH,
      concept="model_file_in_git", title="Serialized model file committed to git",
      rationale="A model committed as a plain git blob bloats every clone for good (history keeps each version), "
                "cannot be diffed, and carries no lineage: nothing says which data, code and run produced it. A "
                "registry or a data versioning tool keeps the bytes outside git and the link to the run inside.",
      remediation={
          "dvc": "Hand the file to DVC: `git rm --cached <file> && dvc add <file> && dvc push`, then commit the "
                 ".dvc pointer.",
          "mlflow": "Log the model to MLflow (`mlflow.<flavor>.log_model(..., registered_model_name=...)`), load it "
                    "by registry URI, and remove the file from git (`git rm --cached`, then add it to .gitignore).",
          "default": "Move the file out of plain git: `git lfs track \"*.pkl\"` and `git lfs migrate import "
                     "--include=\"*.pkl\"` (LFS), or `git rm --cached <file> && dvc add <file>` (DVC), or publish it "
                     "to a model registry and load it from there; then ignore the pattern in .gitignore.",
      },
      seeds=("H20", "K03", "H04"), references=("https://git-lfs.com", "https://dvc.org/doc/start/data-management"),
      bad="git add model/model.pkl", good="dvc add model/model.pkl  # or git lfs track '*.pkl'",
      principle="versioning", tools=("dvc", "git-lfs", "mlflow"))
def model_file_in_git(ctx: RuleContext) -> Iterator[Hit]:
    """Each model file tracked by git outside LFS (test fixtures excluded); file-level."""
    for path, size in _git_models(ctx):
        sev = Severity.HIGH if size >= _SMALL_MODEL else Severity.MEDIUM
        yield Hit(path, None, key=f"model-in-git:{path}", severity=sev,
                  message=f"{path} ({human_size(size)}) is a serialized model artifact committed to git as a regular "
                          f"blob: move it to git-lfs, DVC or a model registry and stop tracking it in git.")


@rule(id="VER002", name="large-blob-in-history", area="versioning", severity=Severity.MEDIUM,
      title="Large binary kept in git history",
      rationale="A large file deleted from the tree still lives in history: every clone and CI checkout downloads "
                "it again. Models and datasets there are also versions nobody can trace to a run.",
      remediation={
          "default": "Rewrite history to drop it (`git filter-repo --path <file> --invert-paths`, or "
                     "`git lfs migrate import --everything --include=<pattern>`), coordinate a force-push, and keep "
                     "such files in LFS, DVC or an artifact store from now on.",
      },
      seeds=("H26",), references=("https://github.com/newren/git-filter-repo",),
      bad="git rm big_model.pt  # the 400 MB blob stays in history", good="git filter-repo --path big_model.pt "
      "--invert-paths", principle="versioning", tools=("git-lfs", "dvc"))
def large_blob_in_history(ctx: RuleContext) -> Iterator[Hit]:
    """Per path: >1 MB blobs of models/data only in history; other binaries above larger thresholds."""
    git = ctx.facts.git
    if not git.is_repo or not git.large_blobs:
        return
    in_vers001 = {p for p, _ in _git_models(ctx)}
    groups: dict[str, list[Any]] = {}
    for blob in git.large_blobs:
        groups.setdefault(blob.path, []).append(blob)
    for path in sorted(groups):
        if is_test_path(path) or path in in_vers001:
            continue
        blobs = groups[path]
        total = sum(b.size for b in blobs)
        biggest = max(b.size for b in blobs)
        in_head = any(b.in_head for b in blobs)
        ml = is_model_file(path) or is_data_file(path)
        tracked_now = path in git.tracked
        if in_head:
            if ml or biggest < OTHER_HEAD:
                continue  # current models and data are VER001/VER003's; small current assets are fine
            sev, where_ = Severity.LOW, "is committed and stays in history"
        else:
            if not ml and biggest < OTHER_HISTORY:
                continue
            sev = Severity.MEDIUM if ml else Severity.LOW
            where_ = "older versions remain in history" if tracked_now else "was deleted but remains in history"
        count = f"{len(blobs)} versions, {human_size(total)}" if len(blobs) > 1 else human_size(total)
        partial = " (shallow clone: history is incomplete)" if git.shallow else ""
        yield Hit(path, None, key=f"large-blob:{path}", severity=sev,
                  message=f"{path} ({count}) {where_}: every clone downloads it; purge it with git filter-repo "
                          f"and keep such files in LFS or DVC{partial}.")


@rule(id="VER003", name="data-file-in-git", area="versioning", severity=Severity.MEDIUM,
      title="Dataset committed to git",
      rationale="Datasets in plain git make every clone heavy, cannot be versioned independently of code, and "
                "leave no record of which version trained which model. A data versioning tool keeps a small "
                "pointer in git and the bytes in storage built for them.",
      remediation={
          "dvc": "`git rm --cached <file> && dvc add <file> && dvc push`, and commit the .dvc file.",
          "default": "Track the file with DVC (`dvc add`) or git-lfs (`git lfs track`), or keep it in object "
                     "storage with versioning and reference the version from the training config.",
      },
      seeds=("K03", "C25"), references=("https://dvc.org/doc/start/data-management",),
      bad="git add data/train.csv  # 48 MB", good="dvc add data/train.csv", principle="versioning",
      tools=("dvc", "git-lfs"))
def data_file_in_git(ctx: RuleContext) -> Iterator[Hit]:
    """Data files tracked by git outside LFS and DVC: >= 5 MB anywhere, >= 1 MB under a data directory."""
    git = ctx.facts.git
    if not git.is_repo:
        return
    lfs = set(git.lfs_files)
    dvc = dvc_outputs(ctx.facts)
    for path, size in sorted(git.tracked.items()):
        if path in lfs or is_test_path(path) or not is_data_file(path) or (is_model_file(path)
                                                                            and not _hdf5_data(path)):
            continue
        threshold = DATA_IN_DATA_DIR if _in_data_dir(path) else DATA_ANYWHERE
        if size < threshold or _under(path, dvc):
            continue
        yield Hit(path, None, key=f"data-in-git:{path}",
                  message=f"{path} ({human_size(size)}) is a dataset committed to git as a regular blob; version it "
                          f"with DVC or git-lfs instead.")


_READERS = {
    "pandas.read_csv", "pandas.read_parquet", "pandas.read_json", "pandas.read_excel", "pandas.read_feather",
    "pandas.read_table", "pandas.read_pickle", "pandas.read_orc", "pandas.read_hdf", "numpy.load", "numpy.loadtxt",
    "numpy.genfromtxt", "polars.read_csv", "polars.read_parquet", "polars.scan_csv", "polars.scan_parquet",
    "polars.read_ndjson", "pyarrow.parquet.read_table", "pyarrow.csv.read_csv", "torchvision.datasets.ImageFolder",
    "tensorflow.keras.utils.image_dataset_from_directory", "keras.utils.image_dataset_from_directory",
    "datasets.load_from_disk",
}
_FILE_BUILDERS = frozenset({"csv", "json", "parquet", "text", "arrow", "imagefolder", "audiofolder"})
_REMOTE = ("http://", "https://", "s3://", "gs://", "gcs://", "az://", "abfs://", "hf://", "hdfs://", "dbfs:/")


def _local_literals(value: Any) -> list[str] | None:
    """Literal paths of a data_files argument (str, list or dict of str); None when any part is computed."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple):
        out: list[str] = []
        for pair in value.literal:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                return None
            inner = _local_literals(pair[1])
            if inner is None:
                return None
            out.extend(inner)
        return out
    return None


def _remote_build(r: Any, value: Any) -> bool:
    """An f-string or concatenation (in the call, or assigned to the name passed) that starts with a URL scheme."""
    py = r.ctx.py
    call = r.call
    name = value.qualname if isinstance(value, Ref) else None
    for sb in py.strings:
        if sb.cell != call.cell or not sb.literal_parts:
            continue
        inside = call.line <= sb.line <= call.end_line
        if (inside or (name and sb.target == name)) and sb.literal_parts[0].startswith(_REMOTE):
            return True
    return False


def _data_read(ctx: RuleContext, r: Any) -> str | None:
    """What a reached call reads training data from, if it reads a local file; None otherwise."""
    name = r.name
    call = r.call
    if name == "datasets.load_dataset":
        builder = call.args[0] if call.args else call.kw("path")
        if not (isinstance(builder, str) and builder in _FILE_BUILDERS):
            return None
        paths = _local_literals(lit_value(r.ctx, call.kw("data_files")))
        if not paths:
            return None  # hub datasets, or files named at run time we cannot see
        arg: Any = paths[0]
    elif name in _READERS:
        arg = call.args[0] if call.args else next((v for k, v in call.kwargs if k in (
            "filepath_or_buffer", "path", "file", "fname", "source", "directory", "root")), None)
        if arg is None:
            return None
    else:
        return None
    value = lit_value(r.ctx, arg)
    if isinstance(value, str):
        if value.startswith(_REMOTE):
            return None
        if posixpath.normpath(value) in ctx.facts.git.tracked:
            return None  # a file git itself versions
        return repr(value)
    if _remote_build(r, value):
        return None
    if isinstance(value, Ref):
        return f"the path in {value.qualname}"
    return "a path computed at run time"


@rule(id="VER004", name="no-data-versioning", area="versioning", severity=Severity.MEDIUM,
      title="Training reads data files that no versioning system tracks",
      rationale="When the training data can change in place, a model cannot be traced to the exact data it saw, "
                "a regression cannot be bisected, and a retrain is not the same experiment. Data versioning "
                "(DVC, lakeFS, Delta time travel, LFS) pins each model to a data version.",
      remediation={
          "default": "Version the data the training reads: `dvc init && dvc add data/ && dvc remote add -d "
                     "storage s3://bucket/path && dvc push` (or lakeFS / Delta tables), and record the data "
                     "version with each training run.",
      },
      seeds=("K03", "C25", "G04", "Z04"), references=("https://dvc.org/doc/start/data-management",),
      bad="df = pd.read_csv(args.train_csv)  # whatever the file holds today",
      good="with dvc.api.open('data/train.csv', rev='v1.2') as f: df = pd.read_csv(f)",
      principle="versioning", tools=("dvc", "lakefs"))
def no_data_versioning(ctx: RuleContext) -> Iterator[Hit]:
    """Once: the first local data read reached from a training entry point, when data_versioning is absent."""
    if ctx.detection.present("data_versioning"):
        return
    for entry in entry_points(ctx):
        for r in sorted(entry.reached, key=lambda r: (r.path != entry.path, r.path, r.call.cell or 0, r.call.line)):
            if r.ctx.py.is_test:
                continue
            source = _data_read(ctx, r)
            if source is None:
                continue
            yield Hit(r.path, r.call.line, cell=r.call.cell, key="no-data-versioning",
                      message=f"{where(r)} reads training data ({source}) for {entry.path}, and no data versioning "
                              f"(DVC, lakeFS, Delta, git-lfs) tracks it.")
            return


def _ci_adds_remote(facts: Facts) -> bool:
    for doc in facts.configs:
        if doc.kind in ("github_actions", "gitlab_ci", "circleci", "azure_pipelines", "bitbucket_pipelines",
                        "jenkins", "buildkite", "travis", "drone"):
            for command, _ in ci_commands(doc):
                if "dvc remote add" in command:
                    return True
    return False


@rule(id="VER005", name="dvc-without-remote", area="versioning", severity=Severity.HIGH,
      title="DVC tracks data but no remote is configured",
      rationale="Without a DVC remote the tracked data and models exist only in one machine's cache: the "
                "pointers in git cannot be resolved by anyone else, by CI, or after that disk is gone.",
      remediation={
          "default": "Add a default remote and push: `dvc remote add -d storage s3://<bucket>/<path>` (credentials "
                     "in .dvc/config.local or the environment), commit .dvc/config, then `dvc push`.",
      },
      seeds=("C25", "K03"), references=("https://dvc.org/doc/command-reference/remote/add",),
      bad="[core]\n    autostage = true\n",
      good="[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://...\n",
      principle="versioning", tools=("dvc",))
def dvc_without_remote(ctx: RuleContext) -> Iterator[Hit]:
    """DVC tracks outputs but neither .dvc/config nor CI configures a remote."""
    facts = ctx.facts
    configs = [d for d in facts.configs if d.kind == "dvc_config"]
    tracked = [d for d in facts.configs if d.kind == "dvc_file"]
    if not tracked and not dvc_outputs(facts):
        return
    for doc in configs:
        data = doc.data if isinstance(doc.data, dict) else {}
        remotes = data.get("remote")
        core = data.get("core") if isinstance(data.get("core"), dict) else {}
        if (isinstance(remotes, dict) and remotes) or core.get("remote"):
            return
    if _ci_adds_remote(facts):
        return
    if configs:
        doc = sorted(configs, key=lambda d: d.path)[0]
        yield Hit(doc.path, 1, key="dvc-without-remote",
                  message=f"{doc.path} configures no DVC remote: data and models tracked by DVC cannot be pulled "
                          f"by anyone else or by CI.")
        return
    anchor = sorted(tracked or [d for d in facts.configs if d.kind == "dvc_yaml"], key=lambda d: d.path)[0]
    yield Hit(anchor.path, 1, key="dvc-without-remote",
              message=f"{anchor.path} is tracked with DVC, but no .dvc/config is committed, so no remote is "
                      f"configured: the data cannot be pulled by anyone else or by CI.")
