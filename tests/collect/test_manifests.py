from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_audit.collect.manifests import manifest_kind, parse_manifest
from mlops_audit.facts import LockFile, Manifest, Requirement

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "manifests"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _parse(path: str, text: str) -> Manifest:
    manifest, lock = parse_manifest(path, text)
    assert manifest is not None
    assert lock is None
    return manifest


def _by_name(manifest: Manifest) -> dict[str, Requirement]:
    return {r.name: r for r in manifest.requirements}


def _summary(manifest: Manifest) -> list[tuple[str, str, bool, int, str]]:
    return [(r.name, r.specifier, r.pinned, r.line, r.group) for r in manifest.requirements]


# --- manifest_kind -----------------------------------------------------------

@pytest.mark.parametrize("path, kind", [
    ("requirements.txt", "requirements"),
    ("requirements-dev.txt", "requirements"),
    ("dev-requirements.txt", "requirements"),
    ("svc/requirements_gpu.txt", "requirements"),
    ("requirements/base.txt", "requirements"),
    ("requirements/dev.in", "requirements"),
    ("requirements.in", "requirements"),
    ("constraints.txt", "requirements"),
    ("constraints-py311.txt", "requirements"),
    ("pyproject.toml", "pyproject"),
    ("pkg/setup.cfg", "setup_cfg"),
    ("setup.py", "setup_py"),
    ("Pipfile", "pipfile"),
    ("environment.yml", "conda"),
    ("envs/environment-gpu.yaml", "conda"),
    ("conda.yaml", "conda"),
    ("conda_env.yml", "conda"),
    ("poetry.lock", "lock"),
    ("uv.lock", "lock"),
    ("Pipfile.lock", "lock"),
    ("pdm.lock", "lock"),
    ("conda-lock.yml", "lock"),
    ("envs/linux.conda-lock.yml", "lock"),
    ("conda-linux-64.lock", "lock"),
    ("pixi.lock", "lock"),
    ("dvc.lock", None),
    ("package-lock.json", None),
    ("MANIFEST.in", None),
    ("notes.txt", None),
    ("docs/conf.py", None),
    ("setup.cfg.in", None),
    ("conda-forge.yml", None),
    ("train.py", None),
    # conda environments named after their use (Azure ML's conda_dependencies.yml convention)
    ("diabetes/conda_dependencies.yml", "conda"),
    ("scoring/conda_dependencies_scoring.yml", "conda"),
    ("deploy/serving.conda.yaml", "conda"),
    ("ci_dependencies.yml", None),
    ("anaconda.yml", None),
])
def test_manifest_kind_by_path(path: str, kind: str | None) -> None:
    assert manifest_kind(path) == kind


def test_manifest_kind_sees_pip_compile_output_as_lock() -> None:
    assert manifest_kind("requirements.txt", _fixture("pip_compiled.txt")) == "lock"
    assert manifest_kind("requirements.txt", "numpy==1.26.4\n") == "requirements"


def test_unhandled_path_gives_nothing() -> None:
    assert parse_manifest("dvc.lock", "schema: '2.0'\n") == (None, None)
    assert parse_manifest("README.md", "# hi") == (None, None)


# --- requirements.txt --------------------------------------------------------

REQUIREMENTS = """\
# training environment
--index-url https://pypi.example.invalid/simple
--extra-index-url=https://mirror.example.invalid/simple
-r base.txt
--requirement ../shared/common.txt
-c constraints.txt
numpy==1.26.4  # exact
Pandas>=2.0,<3 ; python_version >= "3.9"
Torch[CUDA,Extra] == 2.1.0 \\
    --hash=sha256:aaaa
scipy==1.*
attrs===23.1.0
-e git+https://example.invalid/org/featlib.git@v1.4.2#egg=feat_lib
-e .
git+https://example.invalid/org/nightly.git@main#egg=nightly
model-utils @ git+https://example.invalid/org/model-utils.git@0123456789abcdef0123456789abcdef01234567
https://files.example.invalid/wheels/fastkernels-0.3.1-py3-none-any.whl
./vendor/localpkg
"""


def test_requirements_lines_names_and_pins() -> None:
    m = _parse("ml/requirements.txt", REQUIREMENTS)
    assert m.kind == "requirements"
    assert m.error is None
    assert _summary(m) == [
        ("numpy", "==1.26.4", True, 7, "main"),
        ("pandas", "<3,>=2.0", False, 8, "main"),
        ("torch", "==2.1.0", True, 9, "main"),
        ("scipy", "==1.*", False, 11, "main"),
        ("attrs", "===23.1.0", True, 12, "main"),
        ("feat-lib", "", True, 13, "main"),
        ("nightly", "", False, 15, "main"),
        ("model-utils", "", True, 16, "main"),
        ("fastkernels", "", True, 17, "main"),
    ]


def test_requirements_details() -> None:
    reqs = _by_name(_parse("ml/requirements.txt", REQUIREMENTS))
    assert reqs["pandas"].marker == 'python_version >= "3.9"'
    assert reqs["torch"].extras == ("cuda", "extra")
    assert reqs["torch"].hashes is True
    assert reqs["numpy"].hashes is False
    assert reqs["numpy"].raw == "numpy==1.26.4"
    assert reqs["feat-lib"].editable is True
    assert reqs["feat-lib"].url == "git+https://example.invalid/org/featlib.git@v1.4.2#egg=feat_lib"
    assert reqs["nightly"].editable is False
    assert reqs["model-utils"].url.startswith("git+https://")


def test_requirements_includes_are_repo_relative() -> None:
    m = _parse("ml/requirements.txt", REQUIREMENTS)
    assert m.includes == ("ml/base.txt", "shared/common.txt", "ml/constraints.txt")
    top = _parse("requirements.txt", "-rbase.txt\n--constraint=c.txt\n-r https://example.invalid/r.txt\n")
    assert top.includes == ("base.txt", "c.txt")
    assert top.requirements == ()


def test_requirements_malformed_line_is_noted_not_raised() -> None:
    m = _parse("requirements.txt", "numpy==1.26.4\nthis is not valid\npandas>=>1\nflask\n")
    assert [r.name for r in m.requirements] == ["numpy", "flask"]
    assert m.error is not None
    assert m.error.startswith("line 2: invalid requirement 'this is not valid'")
    assert m.error.endswith("(+1 more)")


def test_bare_vcs_url_without_egg_is_named_from_repo() -> None:
    text = "git+https://example.invalid/org/Data-Tools.git@v0.9.1\ngit+ssh://git@example.invalid/org/infra.git\n"
    m = _parse("requirements.txt", text)
    assert [(r.name, r.pinned, r.line) for r in m.requirements] == [("data-tools", True, 1), ("infra", False, 2)]


def test_byte_order_mark_is_ignored() -> None:
    assert [r.name for r in _parse("requirements.txt", "\ufeffnumpy==1.26.4\n").requirements] == ["numpy"]
    assert manifest_kind("requirements.txt", "\ufeffa==1 --hash=sha256:01\n") == "lock"


def test_requirements_continuation_keeps_first_line() -> None:
    m = _parse("requirements.txt", "\n\nrequests \\\n  >=2.31 \\\n  ; sys_platform == 'linux'\nidna\n")
    assert _summary(m) == [("requests", ">=2.31", False, 3, "main"), ("idna", "", False, 6, "main")]
    assert m.requirements[0].marker == 'sys_platform == "linux"'


@pytest.mark.parametrize("line, pinned", [
    ("pkg @ git+https://example.invalid/o/r.git@1a2b3c4", True),
    ("pkg @ git+https://example.invalid/o/r.git@v2.0.1", True),
    ("pkg @ git+https://example.invalid/o/r.git@develop", False),
    ("pkg @ git+https://example.invalid/o/r.git", False),
    ("pkg @ git+ssh://git@example.invalid/o/r.git", False),
    ("pkg @ https://example.invalid/o/r/archive/refs/tags/v1.2.zip", True),
    ("pkg @ https://example.invalid/o/r/archive/main.zip", False),
    ("pkg @ https://example.invalid/pkg-1.2.3.tar.gz", True),
    ("pkg @ https://example.invalid/dl/latest.tar.gz#sha256=abcd", True),
    ("pkg==1.0", True),
    ("pkg==1.0.*", False),
    ("pkg>=1,==1.2", True),
    ("pkg~=1.0", False),
    ("pkg", False),
])
def test_url_and_specifier_pins(line: str, pinned: bool) -> None:
    (req,) = _parse("requirements.txt", line + "\n").requirements
    assert req.pinned is pinned


def test_pip_compile_output_gives_manifest_and_lock() -> None:
    manifest, lock = parse_manifest("requirements.txt", _fixture("pip_compiled.txt"))
    assert lock == LockFile("requirements.txt", "pip_compile", 3)
    assert manifest is not None
    assert manifest.tools == ("pip_compile",)
    assert _summary(manifest) == [
        ("certifi", "==2023.11.17", True, 7, "main"),
        ("idna", "==3.6", True, 11, "main"),
        ("requests", "==2.31.0", True, 14, "main"),
    ]
    assert all(r.hashes for r in manifest.requirements)


def test_fully_hashed_file_without_header_is_a_lock() -> None:
    text = "a==1.0 --hash=sha256:01\nb==2.0 \\\n  --hash=sha256:02\n"
    manifest, lock = parse_manifest("requirements/prod.txt", text)
    assert lock == LockFile("requirements/prod.txt", "pip_compile", 2)
    assert manifest is not None and manifest.kind == "requirements"


def test_uv_pip_compile_header_and_partial_hashes() -> None:
    _, lock = parse_manifest("requirements.txt", "# This file was autogenerated by uv via the following command:\nx==1\n")
    assert lock == LockFile("requirements.txt", "uv", 1)
    _, lock = parse_manifest("requirements.txt", "a==1.0 --hash=sha256:01\nb==2.0\n")
    assert lock is None


# --- pyproject.toml ----------------------------------------------------------

PEP621 = """\
[build-system]
requires = ["hatchling>=1.18", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "fraud-detector"
dependencies = [
    "numpy==1.26.4",
    "scikit-learn>=1.3",
    'mlflow[extras]==2.9.2; python_version >= "3.10"',
]

[project.optional-dependencies]
serve = ["fastapi==0.109.0", "numpy==1.26.4"]
gpu = ["torch>=2"]

[dependency-groups]
test = ["pytest>=7", {include-group = "lint"}]
lint = ["ruff==0.1.9"]

[tool.pdm.dev-dependencies]
docs = ["mkdocs>=1.5"]

[tool.hatch.envs.default]
dependencies = ["coverage[toml]==7.4.0"]

[tool.uv]
dev-dependencies = ["ipykernel"]
"""


def test_pyproject_pep621_groups_and_lines() -> None:
    m = _parse("pyproject.toml", PEP621)
    assert m.kind == "pyproject"
    assert m.error is None
    assert m.project_name == "fraud-detector"
    assert m.tools == ("hatch", "pdm", "uv")
    assert _summary(m) == [
        ("numpy", "==1.26.4", True, 8, "main"),
        ("scikit-learn", ">=1.3", False, 9, "main"),
        ("mlflow", "==2.9.2", True, 10, "main"),
        ("fastapi", "==0.109.0", True, 14, "optional:serve"),
        ("numpy", "==1.26.4", True, 14, "optional:serve"),
        ("torch", ">=2", False, 15, "optional:gpu"),
        ("pytest", ">=7", False, 18, "group:test"),
        ("ruff", "==0.1.9", True, 19, "group:lint"),
        ("hatchling", ">=1.18", False, 2, "build"),
        ("hatch-vcs", "", False, 2, "build"),
        ("mkdocs", ">=1.5", False, 22, "dev"),
        ("coverage", "==7.4.0", True, 25, "dev"),
        ("ipykernel", "", False, 28, "dev"),
    ]
    mlflow = _by_name(m)["mlflow"]
    assert mlflow.extras == ("extras",)
    assert mlflow.marker == 'python_version >= "3.10"'


def test_pyproject_poetry() -> None:
    m = _parse("pyproject.toml", _fixture("poetry_pyproject.toml"))
    assert m.error is None
    assert m.project_name == "churn-model"
    assert m.tools == ("poetry",)
    assert _summary(m) == [
        ("poetry-core", ">=1.0.0", False, 26, "build"),
        ("torch", "==2.1.0", True, 7, "main"),
        ("pandas", "^2.1", False, 8, "main"),
        ("scikit-learn", "~1.3", False, 9, "main"),
        ("transformers", "==4.35.2", True, 10, "main"),
        ("featurelib", "", True, 11, "main"),
        ("nightly", "", False, 12, "main"),
        ("shap", "==0.44.0", True, 14, "optional:explain"),
        ("black", "", False, 20, "dev"),
        ("pytest", "==7.4.3", True, 23, "group:test"),
    ]
    reqs = _by_name(m)
    assert reqs["transformers"].extras == ("sentencepiece", "torch")
    assert reqs["featurelib"].url == "git+https://example.invalid/org/featurelib.git@1a2b3c4d5e6f"
    assert reqs["torch"].raw == 'torch = "2.1.0"'
    assert "localpkg" not in reqs and "python" not in reqs


def test_pyproject_line_falls_back_to_table_header() -> None:
    text = '[project]\nname = "x"\ndependencies = ["a\\u0062c==1"]\n'
    (req,) = _parse("pyproject.toml", text).requirements
    assert (req.name, req.line, req.pinned) == ("abc", 3, True)


def test_pyproject_malformed_toml() -> None:
    m = _parse("pyproject.toml", "[project\nname = 'x'\n")
    assert m.requirements == ()
    assert m.error is not None and m.error.startswith("invalid TOML:")


def test_pyproject_bad_requirement_string() -> None:
    m = _parse("pyproject.toml", '[project]\ndependencies = [\n  "ok==1",\n  "not valid at all",\n]\n')
    assert [r.name for r in m.requirements] == ["ok"]
    assert m.error is not None and m.error.startswith("line 4: invalid requirement")


def test_pyproject_setuptools_and_flit_tools() -> None:
    text = '[build-system]\nbuild-backend = "flit_core.buildapi"\n[tool.setuptools]\npackages = []\n'
    assert _parse("pyproject.toml", text).tools == ("flit", "setuptools")


# --- setup.cfg / setup.py ----------------------------------------------------

SETUP_CFG = """\
[metadata]
name = cfg-demo

[options]
packages = find:
install_requires =
    numpy==1.26.4
    # a comment line
    requests>=2 ; python_version >= "3.8"
setup_requires = setuptools_scm

[options.extras_require]
viz =
    matplotlib==3.8.2
"""


def test_setup_cfg() -> None:
    m = _parse("pkg/setup.cfg", SETUP_CFG)
    assert m.kind == "setup_cfg"
    assert m.error is None
    assert m.project_name == "cfg-demo"
    assert m.tools == ("setuptools",)
    assert _summary(m) == [
        ("numpy", "==1.26.4", True, 7, "main"),
        ("requests", ">=2", False, 9, "main"),
        ("setuptools-scm", "", False, 10, "build"),
        ("matplotlib", "==3.8.2", True, 14, "optional:viz"),
    ]


def test_setup_cfg_file_directive_and_malformed() -> None:
    m = _parse("pkg/setup.cfg", "[options]\ninstall_requires = file: requirements.txt, ../req/extra.txt\n")
    assert m.includes == ("pkg/requirements.txt", "req/extra.txt")
    bad = _parse("setup.cfg", "no section header here\n")
    assert bad.error is not None and bad.error.startswith("invalid INI:")


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed.marker"
    text = _fixture("setup_with_side_effect.py").replace("__MARKER__", str(marker))
    m = _parse("setup.py", text)
    assert not marker.exists()
    assert m.error is None
    assert m.project_name == "side-effect-demo"
    assert _summary(m) == [
        ("numpy", "==1.26.4", True, 11, "main"),
        ("requests", ">=2.31", False, 12, "main"),
        ("matplotlib", "==3.8.2", True, 19, "optional:viz"),
        ("wheel", "", False, 22, "build"),
    ]


def test_setup_py_non_literal_and_attribute_call() -> None:
    text = "import setuptools\nsetuptools.setup(install_requires=read_reqs(), extras_require=EXTRAS)\n"
    m = _parse("setup.py", text)
    assert m.requirements == () and m.error is None
    text = "from setuptools import setup\nsetup(install_requires='a==1\\nb>=2')\n"
    assert _summary(_parse("setup.py", text)) == [("a", "==1", True, 2, "main"), ("b", ">=2", False, 3, "main")]


def test_setup_py_syntax_error() -> None:
    m = _parse("setup.py", "setup(install_requires=[\n")
    assert m.error is not None and m.error.startswith("invalid Python at line")


# --- Pipfile -----------------------------------------------------------------

PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[packages]
numpy = "==1.26.4"
requests = "*"
uvicorn = {version = ">=0.25", extras = ["standard"]}
feat = {git = "https://example.invalid/o/feat.git", ref = "0123abcd"}

[dev-packages]
pytest = "==7.4.3"

[requires]
python_version = "3.11"
"""


def test_pipfile() -> None:
    m = _parse("Pipfile", PIPFILE)
    assert m.kind == "pipfile"
    assert m.tools == ("pipenv",)
    assert _summary(m) == [
        ("numpy", "==1.26.4", True, 6, "main"),
        ("requests", "", False, 7, "main"),
        ("uvicorn", ">=0.25", False, 8, "main"),
        ("feat", "", True, 9, "main"),
        ("pytest", "==7.4.3", True, 12, "dev"),
    ]
    assert _by_name(m)["uvicorn"].extras == ("standard",)


# --- conda environment.yml ---------------------------------------------------

def test_conda_environment() -> None:
    m = _parse("envs/environment.yml", _fixture("environment.yml"))
    assert m.kind == "conda"
    assert m.error is None
    assert m.tools == ("conda",)
    assert _summary(m) == [
        ("numpy", "=1.26.4", True, 6, "main"),
        ("pandas", "=2.1", False, 7, "main"),
        ("scikit-learn", "==1.3.2", True, 8, "main"),
        ("pytorch", ">=2.0", False, 9, "main"),
        ("xgboost", "2.0.3", True, 10, "main"),
        ("mlflow", "==2.9.2", True, 13, "main"),
        ("evidently", "", False, 15, "main"),
    ]
    assert m.includes == ("envs/requirements-extra.txt",)


def test_conda_build_string_pin_and_wildcards() -> None:
    text = "dependencies:\n  - cudatoolkit=11.8=h1234_0\n  - numpy=1.26.*\n  - scipy\n"
    assert [(r.name, r.pinned) for r in _parse("environment.yaml", text).requirements] == [
        ("cudatoolkit", True), ("numpy", False), ("scipy", False)]


@pytest.mark.parametrize("text, prefix", [
    ("dependencies: [numpy\n  - : :\n", "invalid YAML:"),
    ("- just\n- a list\n", "not a conda environment mapping"),
    ("dependencies:\n  - 'numpy@@1'\n", "line 2: invalid conda spec"),
])
def test_conda_malformed(text: str, prefix: str) -> None:
    m = _parse("environment.yml", text)
    assert m.error is not None and m.error.startswith(prefix)


def test_conda_empty_file() -> None:
    assert _parse("environment.yml", "") == Manifest("environment.yml", "conda", tools=("conda",))


# --- lock files --------------------------------------------------------------

def _toml_lock(n: int, table: str = "package") -> str:
    return "".join(f'[[{table}]]\nname = "p{i}"\nversion = "1.0"\n\n' for i in range(n))


@pytest.mark.parametrize("path, text, tool, count", [
    ("poetry.lock", _toml_lock(3), "poetry", 3),
    ("uv.lock", "version = 1\n" + _toml_lock(2), "uv", 2),
    ("pdm.lock", _toml_lock(4), "pdm", 4),
    ("pylock.toml", _toml_lock(2, "packages"), "pylock", 2),
    ("Pipfile.lock", json.dumps({"_meta": {}, "default": {"a": {}, "b": {}}, "develop": {"c": {}}}),
     "pipenv", 3),
    ("Pipfile.lock", "{ not json", "pipenv", 0),
    ("conda-lock.yml", "version: 1\npackage:\n- name: numpy\n  manager: conda\n  platform: linux-64\n"
     "- name: numpy\n  manager: conda\n  platform: osx-64\n- name: mlflow\n  manager: pip\n",
     "conda_lock", 2),
    ("conda-linux-64.lock", "@EXPLICIT\nhttps://conda.example.invalid/a.conda\nhttps://conda.example.invalid/b.conda\n",
     "conda_lock", 2),
    ("pixi.lock", "version: 6\npackages:\n- conda: https://x.invalid/a.conda\n- pypi: https://x.invalid/b.whl\n",
     "pixi", 2),
    ("requirements.lock", "# generated by rye\na==1.0\nb[x]==2.0\n", "rye", 2),
])
def test_lock_files(path: str, text: str, tool: str, count: int) -> None:
    assert parse_manifest(path, text) == (None, LockFile(path, tool, count))


def test_malformed_yaml_lock_still_counts_as_lock() -> None:
    assert parse_manifest("pixi.lock", "packages: [\n") == (None, LockFile("pixi.lock", "pixi", 0))


# --- robustness --------------------------------------------------------------

GARBAGE = ["\x00\x01\x02", "[[[", "{{{: :", "= = =", "\ufeff", "\\\n\\\n", "a" * 5000, "- - -\n  : x"]


@pytest.mark.parametrize("path", [
    "requirements.txt", "pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "environment.yml",
    "poetry.lock", "Pipfile.lock", "conda-lock.yml", "pixi.lock",
])
@pytest.mark.parametrize("text", GARBAGE)
def test_parse_manifest_never_raises(path: str, text: str) -> None:
    manifest, lock = parse_manifest(path, text)
    assert manifest is not None or lock is not None


# --- conda environments recognised by content ----------------------------------

def test_conda_environment_under_another_name_is_a_manifest(tmp_path: Path) -> None:
    from mlops_audit.collect import CollectOptions, collect

    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "gpu.yml").write_text(
        "name: train\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pytorch=2.3.1\n"
        "  - pip:\n    - mlflow==2.14.1\n")
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "values-deps.yaml").write_text(  # Helm-style: dependencies are mappings
        "name: api\ndependencies:\n  - name: redis\n    version: 18.1.0\n")
    facts = collect(str(tmp_path), CollectOptions(use_cache=False))
    assert [(m.path, m.kind) for m in facts.manifests] == [("env/gpu.yml", "conda")]
    assert _summary(facts.manifests[0]) == [
        ("pytorch", "=2.3.1", True, 5, "main"), ("mlflow", "==2.14.1", True, 7, "main")]


def test_editable_local_directory_without_dot_slash_is_no_error() -> None:
    """``-e libs/featurizer`` installs a directory of the repository: pip accepts it, so must we."""
    m = _parse("serving/requirements.txt", "fastapi==0.111.0\n-e libs/featurizer\n-e .\n")
    assert m.error in (None, "")
    assert _summary(m) == [("fastapi", "==0.111.0", True, 1, "main")]
