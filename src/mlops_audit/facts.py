"""Facts: everything the collect stage learned about a repository.

These are the only objects that cross from collect/ (the one package that reads
files) to detect/ and rules/. They are frozen records (dataclasses, see
``_records``) made of plain values so that they pickle into the per-file cache
and travel between worker processes. The per-site records of Python code
(``Call``, ``Assign``, ...; hundreds of thousands on a large tree) are slotted
instead of frozen: a frozen ``__init__`` costs four times as much, and a
pickled dict per object costs seconds on a 1M-line repository. Treat every
fact as read-only.

Values taken from source code are represented without executing anything:
literals become Python values; a name or attribute becomes a ``Ref`` holding
its import-resolved qualified name; anything else becomes an ``Expr`` that
records only what kind of expression it was (and, for f-strings and string
concatenation, which names flowed into it).
"""
from __future__ import annotations

from dataclasses import field
from typing import Any, Iterator, Mapping

from ._records import record

__all__ = [
    "Ref", "Expr", "Location", "Import", "Call", "Decorator", "Param", "Function",
    "ClassDef", "StringBuild", "Assign", "Compare", "PyFile", "Cell", "Notebook",
    "Requirement", "Manifest", "LockFile", "ConfigDoc", "DockerInstruction",
    "Dockerfile", "GitBlob", "GitFacts", "Skipped", "FileEntry", "Facts",
    "is_test_path", "Suppression",
]



@record(frozen=False, slots=True)
class Ref:
    """A name or attribute in code, resolved through imports (``mf.log_metric`` -> ``mlflow.log_metric``)."""

    qualname: str

    def __str__(self) -> str:
        return self.qualname


@record(frozen=False, slots=True)
class Expr:
    """A non-literal expression: its AST kind and the names that flow into it.

    ``kind`` is e.g. ``call``, ``fstring``, ``concat``, ``subscript``, ``format``.
    ``callee`` holds the resolved name for calls (``os.getenv``); ``names`` the
    local or resolved names read by the expression, in order.
    """

    kind: str
    callee: str = ""
    names: tuple[str, ...] = ()
    literal: Any = None  # first literal argument of a call, e.g. os.getenv("SEED")


@record()
class Location:
    """A place in the repository; ``cell`` is set inside notebooks (1-based index among all cells)."""

    path: str
    line: int | None = None
    end_line: int | None = None
    cell: int | None = None


@record(frozen=False, slots=True)
class Import:
    module: str          # "mlflow", "sklearn.ensemble"
    name: str | None     # imported member for ``from x import y``; None for ``import x``
    alias: str           # the local name bound
    line: int
    guarded: bool = False   # inside try/except ImportError: an optional integration
    in_function: bool = False
    cell: int | None = None  # notebooks: the code cell (``line`` counts within it)

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module


@record(frozen=False, slots=True)
class Call:
    """A call site. ``qualname`` is import-resolved; local names keep their bare spelling.

    ``scope`` is the dotted name of the enclosing function or class
    (``Trainer.fit``), or ``<module>``; ``in_main`` marks calls under
    ``if __name__ == "__main__"``.
    """

    qualname: str
    line: int
    end_line: int
    scope: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    star_kwargs: bool = False
    in_main: bool = False
    receiver: str = ""  # for method calls on a local object: the local name (``model`` in model.fit)
    cell: int | None = None
    in_except: str = ""  # inside an ``except`` handler: the handled exception names ("*" for a bare except)

    def kw(self, name: str, default: Any = None) -> Any:
        for key, value in self.kwargs:
            if key == name:
                return value
        return default

    def has_kw(self, name: str) -> bool:
        return any(key == name for key, _ in self.kwargs)

    @property
    def method(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@record(frozen=False, slots=True)
class Decorator:
    qualname: str
    line: int
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def kw(self, name: str, default: Any = None) -> Any:
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


@record(frozen=False, slots=True)
class Param:
    name: str
    annotation: str = ""   # resolved qualified name of the annotation, "" when absent
    default: Any = None
    has_default: bool = False


@record(frozen=False, slots=True)
class Function:
    name: str
    qualname: str          # dotted within the module: "Service.predict"
    line: int
    end_line: int
    decorators: tuple[Decorator, ...] = ()
    params: tuple[Param, ...] = ()
    is_async: bool = False
    class_name: str = ""
    returns_names: tuple[str, ...] = ()
    cell: int | None = None


@record(frozen=False, slots=True)
class ClassDef:
    name: str
    qualname: str
    line: int
    end_line: int
    bases: tuple[str, ...] = ()
    decorators: tuple[Decorator, ...] = ()
    fields: tuple[str, ...] = ()  # annotated class attributes (pydantic / dataclass fields)
    cell: int | None = None


@record(frozen=False, slots=True)
class StringBuild:
    """A string assembled at run time: f-string, ``+`` concatenation, ``.format`` or ``%``.

    ``names`` are the variables interpolated; ``target`` the local name it is
    assigned to, if any. Used to follow user input into prompts.
    """

    kind: str
    line: int
    scope: str
    names: tuple[str, ...]
    target: str = ""
    literal_parts: tuple[str, ...] = ()
    cell: int | None = None


@record(frozen=False, slots=True)
class Assign:
    """``target = value`` where value is a call, a name or a literal: enough for one-step dataflow."""

    target: str
    line: int
    scope: str
    value: Any
    cell: int | None = None


@record(frozen=False, slots=True)
class Compare:
    """A comparison in an ``if``, ``assert`` or ``while`` test; ``raises`` when its body raises or exits."""

    line: int
    scope: str
    context: str            # "if" | "assert" | "while" | "expr"
    names: tuple[str, ...]  # names and string subscripts read (``metrics["auc"]`` -> "metrics", "auc")
    constants: tuple[Any, ...]
    ops: tuple[str, ...]
    raises: bool = False
    cell: int | None = None
    stops: bool = False     # the body raises, exits or returns nothing (returning a value is an answer)


@record()
class PyFile:
    """Facts of one Python source file (or one notebook's code, cell by cell)."""

    path: str
    is_test: bool
    lines: int
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    functions: tuple[Function, ...] = ()
    classes: tuple[ClassDef, ...] = ()
    strings: tuple[StringBuild, ...] = ()
    assigns: tuple[Assign, ...] = ()
    compares: tuple[Compare, ...] = ()
    has_main: bool = False
    main_line: int | None = None
    syntax_error: str | None = None
    syntax_error_line: int | None = None

    def calls_named(self, *prefixes: str) -> Iterator[Call]:
        for call in self.calls:
            for prefix in prefixes:
                if call.qualname == prefix or call.qualname.startswith(prefix + "."):
                    yield call
                    break

    def imported_modules(self) -> set[str]:
        return {imp.module for imp in self.imports}

    def function(self, qualname: str) -> Function | None:
        for fn in self.functions:
            if fn.qualname == qualname:
                return fn
        return None


@record()
class Cell:
    index: int              # 1-based index among all cells
    cell_type: str
    execution_count: int | None
    output_bytes: int
    source_line: int        # line of the cell in the raw JSON file, when known
    has_error_output: bool = False


@record()
class Notebook:
    path: str
    cells: tuple[Cell, ...]
    kernel_language: str
    code: PyFile            # code cells' facts; Location.cell names the cell
    outputs_text: tuple[tuple[int, str], ...] = ()   # (cell index, text output) for secret scanning
    error: str | None = None
    bad_cells: tuple[int, ...] = ()                  # code cells skipped for a syntax error (cell index)
    magics: tuple[tuple[int, int, str], ...] = ()    # (cell index, line in cell, text) of IPython-only lines

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.cell_type == "code")

    @property
    def in_order(self) -> bool:
        """No cell ran before one above it. Counts of 0 (Databricks exports) or missing say nothing, and a
        repeated count comes from a tool or a copied cell, not a kernel: only a decrease is disorder."""
        counts = [c.execution_count for c in self.code_cells if c.execution_count]
        return not any(b < a for a, b in zip(counts, counts[1:]))


@record()
class Requirement:
    """One dependency as a manifest declares it; ``name`` is the PEP 503 normalized name."""

    name: str
    specifier: str
    line: int
    raw: str = ""
    pinned: bool = False          # == (without wildcard) or ===, or a URL/VCS pin to a commit
    group: str = "main"           # main | optional:<extra> | dev | group:<name> | build
    marker: str = ""
    url: str = ""
    editable: bool = False
    hashes: bool = False
    extras: tuple[str, ...] = ()  # requested extras, sorted: ``pkg[a,b]`` -> ("a", "b")
    direct: bool = True           # False for a compiled file's transitive pin (``# via`` names no input file)


@record()
class Manifest:
    path: str
    kind: str                      # requirements | pyproject | setup_cfg | setup_py | pipfile | conda | ...
    requirements: tuple[Requirement, ...] = ()
    includes: tuple[str, ...] = ()  # -r / -c targets, repo-relative
    tools: tuple[str, ...] = ()     # build/project tools declared (poetry, pdm, hatch, uv, ...)
    project_name: str = ""
    error: str | None = None


@record()
class LockFile:
    path: str
    tool: str   # poetry | uv | pipenv | pdm | conda_lock | pip_compile | pixi
    packages: int = 0


@record()
class ConfigDoc:
    """A structured document of a known kind.

    ``kind`` names what it is (github_actions, gitlab_ci, k8s, helm_values,
    helm_template, kustomize, compose, dvc_yaml, dvc_file, dvc_config,
    mlproject, kedro, zenml, prometheus_rules, grafana_dashboard, promptfoo,
    hydra, params, yaml, json, toml, ...). ``data`` is the parsed document
    (dicts, lists, scalars); ``lines`` maps a key path (tuple of keys and list
    indexes) to its line. Multi-document YAML files give one ConfigDoc each,
    with ``index``.
    """

    path: str
    kind: str
    data: Any
    line: int = 1
    index: int = 0
    lines: Mapping[tuple, int] = field(default_factory=dict)
    error: str | None = None
    templated: bool = False  # parsed after neutralising {{ }} / {% %} template actions (Helm, Jinja)
    # line where a scalar value's text starts when not on its key's line: block
    # scalars (``run: |`` -> the line after), values on the next line
    value_lines: Mapping[tuple, int] = field(default_factory=dict)

    def line_of(self, *keys: Any) -> int:
        return self.lines.get(tuple(keys), self.line)


@record()
class DockerInstruction:
    instruction: str   # upper-case: FROM, RUN, COPY, ...
    value: str
    line: int
    end_line: int | None = None      # last physical line (continuations, heredocs)
    args: tuple[str, ...] = ()       # exec (JSON array) form arguments, e.g. CMD ["python", "app.py"]


@record()
class Dockerfile:
    path: str
    instructions: tuple[DockerInstruction, ...]


@record()
class GitBlob:
    path: str
    size: int
    sha: str
    in_head: bool = False   # still present at HEAD (False: only in history)


@record()
class GitFacts:
    is_repo: bool
    head: str | None = None
    dirty: bool | None = None
    root: str | None = None                       # absolute path of the enclosing work tree
    prefix: str = ""                              # target path relative to the work tree root
    tracked: Mapping[str, int] = field(default_factory=dict)   # target-relative path -> size
    lfs_patterns: tuple[str, ...] = ()
    lfs_files: tuple[str, ...] = ()               # tracked files stored as LFS pointers
    large_blobs: tuple[GitBlob, ...] = ()         # > 1 MB anywhere in history
    error: str | None = None
    shallow: bool = False                         # shallow clone: history (large_blobs) is partial
    lfs_sizes: Mapping[str, int] = field(default_factory=dict)  # LFS pointer path -> real object size


@record()
class Suppression:
    """An inline ``# mlops-audit: ignore[ID, ...] -- reason`` comment (see suppress.py).

    ``line`` is the comment's line (within ``cell`` for notebooks); ``target``
    the line it covers: the same line for a trailing comment, the next code
    line for a comment standing alone. ``error`` explains a malformed one.
    """

    line: int
    ids: tuple[str, ...]
    reason: str
    target: int
    cell: int | None = None
    error: str = ""


@record()
class Skipped:
    path: str
    reason: str   # size | binary | encoding | syntax | ignored | symlink | unreadable | parse | data
    detail: str = ""


@record()
class FileEntry:
    path: str
    kind: str     # python | notebook | manifest | lock | config | dockerfile | markdown | data | model | other
    size: int


def is_test_path(path: str) -> bool:
    """True for files that only a test runner uses: tests/, test_*.py, *_test.py, conftest.py."""
    parts = path.split("/")
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    if name == "tests.py":
        return True
    return any(p in ("tests", "test", "testing") for p in parts[:-1])


@record()
class Facts:
    """Everything collected about one target, ready for detect/ and rules/."""

    root: str
    files: tuple[FileEntry, ...] = ()
    python: tuple[PyFile, ...] = ()
    notebooks: tuple[Notebook, ...] = ()
    manifests: tuple[Manifest, ...] = ()
    locks: tuple[LockFile, ...] = ()
    configs: tuple[ConfigDoc, ...] = ()
    dockerfiles: tuple[Dockerfile, ...] = ()
    git: GitFacts = field(default_factory=lambda: GitFacts(is_repo=False))
    skipped: tuple[Skipped, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)  # small prose files rules may need (README, MODEL_CARD)
    cached_files: int = 0
    suppressions: Mapping[str, tuple[Suppression, ...]] = field(default_factory=dict)  # path -> inline ignores

    def code_units(self, include_tests: bool = False) -> Iterator[PyFile]:
        """Python files and notebooks' code, tests excluded unless asked."""
        for py in self.python:
            if include_tests or not py.is_test:
                yield py
        for nb in self.notebooks:
            if include_tests or not nb.code.is_test:
                yield nb.code

    def configs_of(self, *kinds: str) -> Iterator[ConfigDoc]:
        for doc in self.configs:
            if doc.kind in kinds:
                yield doc

    def file_paths(self) -> set[str]:
        return {f.path for f in self.files}
