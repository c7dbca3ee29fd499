"""Engine guarantees of issue 2: never execute, survive hostile input, honour the contract."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mlops_audit import audit
from mlops_audit.capabilities import capabilities
from mlops_audit.config import AuditConfig
from mlops_audit.schema import SCHEMA_PATH, render_schema

from .conftest import FIXTURES, git_init, materialize


def _tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest() + f":{p.stat().st_mtime_ns}"
    return out


def test_audited_code_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    monkeypatch.chdir(repo)  # a pickle or notebook that ran would write its marker here
    report = audit(repo, AuditConfig(use_cache=False))
    markers = sorted(p.name for p in tmp_path.rglob("MARKER*"))
    assert markers == []
    # and yet everything was read: setup.py's literal requirement, the notebook, the model file
    assert report.inventory.frameworks[0].name == "sklearn"
    assert report.inventory.frameworks[0].declared == "scikit-learn==1.5.2"
    assert [nb.path for nb in report.inventory.artifacts.notebooks] == ["notebooks/run_me.ipynb"]
    assert [m.path for m in report.inventory.artifacts.models] == ["models/model.pkl"]


def test_scan_leaves_repository_untouched(tmp_path: Path) -> None:
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    git_init(repo)
    before = _tree_digest(repo)
    audit(repo, AuditConfig())
    audit(repo, AuditConfig())  # warm
    assert _tree_digest(repo) == before


def _write_hostile_repo(root: Path) -> None:
    root.mkdir()
    (root / "good.py").write_text("import mlflow as mf\nmf.log_metric('auc', 0.9)\n")
    (root / "broken.py").write_text("def f(:\n    pass\n")
    (root / "latin1.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    (root / "declared.py").write_bytes("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
    (root / "binary.py").write_bytes(b"\x00\x01\x02binary")
    (root / "huge.py").write_bytes(b"x = 1\n" * (1024 * 1024))  # 6 MB
    (root / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    (root / "nb.ipynb").write_text("{ this is not json")
    (root / "cfg.yaml").write_text("a: [unclosed\n")
    (root / "bomb.yaml").write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)))
    (root / "requirements.txt").write_text("numpy==1.26.4\nthis is :: not a requirement\n")
    (root / "requirements-win.txt").write_bytes("torch==2.1.0\r\nscikit-learn==1.5.2\r\n".encode("utf-16"))
    loop = root / "loop"
    loop.mkdir()
    os.symlink("..", loop / "back")  # a directory symlink loop
    os.symlink("/etc/passwd", root / "escape.py")  # a symlink out of the target


def test_hostile_input_is_noted_never_fatal(tmp_path: Path) -> None:
    root = tmp_path / "hostile"
    _write_hostile_repo(root)
    report = audit(root, AuditConfig(use_cache=False))
    skipped = {(s.path, s.reason) for s in report.inspection.skipped}
    assert ("broken.py", "syntax") in skipped
    assert ("latin1.py", "encoding") in skipped
    assert ("binary.py", "binary") in skipped
    assert ("huge.py", "size") in skipped
    assert ("escape.py", "symlink") in skipped
    assert ("nb.ipynb", "parse") in skipped
    assert ("cfg.yaml", "parse") in skipped
    assert ("bomb.yaml", "parse") in skipped
    assert ("deep.py", "syntax") in skipped or any(p == "deep.py" for p, _ in skipped)
    assert not any(p.startswith("loop/back/") for p, _ in skipped)
    assert "declared.py" not in {p for p, _ in skipped}  # a PEP 263 declaration is honoured
    assert "requirements-win.txt" not in {p for p, _ in skipped}  # UTF-16 with a BOM is text
    tracking = report.inventory.capabilities["experiment_tracking"]
    assert tracking.present and tracking.tools == ["mlflow"]
    assert {(e.path, e.line) for e in tracking.evidence} == {("good.py", 2)}


def test_report_matches_shipped_schema_and_contract(tmp_path: Path) -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), \
        "stale schema: run `python -m mlops_audit.schema`"
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    report = json.loads(audit(repo, AuditConfig(use_cache=False)).to_json())
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert report["schema_version"] == "1"
    assert set(report["inventory"]["capabilities"]) == set(capabilities())
    for key in ("tool", "target", "inventory", "findings", "areas", "summary"):
        assert key in report
    assert set(report["summary"]) >= {"verdict", "maturity", "automation_level", "stakes", "counts"}


def test_monorepo_subfolder_paths_are_relative_to_target(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    (root / "projects" / "a" / "src").mkdir(parents=True)
    (root / "projects" / "b").mkdir(parents=True)
    (root / "projects" / "a" / "src" / "train.py").write_text(
        "import wandb\nwandb.init(project='a')\n")
    (root / "projects" / "b" / "train.py").write_text("import mlflow\nmlflow.log_metric('x', 1)\n")
    git_init(root)
    report = audit(root / "projects" / "a", AuditConfig(use_cache=False))
    tracking = report.inventory.capabilities["experiment_tracking"]
    assert tracking.tools == ["wandb"]
    assert [(e.path, e.line) for e in tracking.evidence] == [("src/train.py", 2)]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    assert report.target.commit == head and report.target.dirty is False


def test_gitignored_and_vendored_files_do_not_count(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "venv" / "lib").mkdir(parents=True)
    (root / "third_party").mkdir()
    (root / "generated").mkdir()
    (root / ".gitignore").write_text("generated/\n")
    (root / "venv" / "lib" / "x.py").write_text("import wandb\nwandb.init()\n")
    (root / "third_party" / "y.py").write_text("import wandb\nwandb.init()\n")
    (root / "pkg" / "_vendor" / "tracker").mkdir(parents=True)  # pip-style vendoring
    (root / "pkg" / "_vendor" / "tracker" / "w.py").write_text("import wandb\nwandb.init()\n")
    (root / "generated" / "z.py").write_text("import wandb\nwandb.init()\n")
    (root / "train.py").write_text("print('no tracking here')  # wandb.init() in a comment\n")
    for use_git in (False, True):
        if use_git:
            git_init(root)
        report = audit(root, AuditConfig(use_cache=False))
        assert not report.inventory.capabilities["experiment_tracking"].present


def test_warm_scan_reuses_cache_and_gives_the_same_report(tmp_path: Path) -> None:
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    git_init(repo)
    cold = json.loads(audit(repo, AuditConfig()).to_json())
    warm = json.loads(audit(repo, AuditConfig()).to_json())
    assert warm["inspection"]["cached_files"] > 0
    for report in (cold, warm):
        report.pop("inspection")
    assert cold == warm
    # a change is seen
    (repo / "pkg" / "train.py").write_text("import wandb\nwandb.init(project='p')\n")
    changed = audit(repo, AuditConfig())
    assert changed.inventory.capabilities["experiment_tracking"].tools == ["wandb"]


def test_cli_json_output_and_help_are_fast_to_import(tmp_path: Path) -> None:
    repo = materialize(FIXTURES / "engine" / "never_run", tmp_path / "repo")
    proc = subprocess.run([sys.executable, "-m", "mlops_audit.cli", "scan", str(repo), "--format", "json",
                           "--no-cache"], capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["schema_version"] == "1"
    # the CLI module must not import the heavy pipeline just to parse arguments
    code = "import sys, mlops_audit.cli; print(sorted(m for m in ('nbformat', 'jinja2', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    assert out == "[]"
    # nor does a JSON scan load what only other formats, commands or the schema generator need
    code = ("import sys\nfrom mlops_audit.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pydantic', 'rich', 'jinja2', 'mlops_audit.commands.rules')"
            " if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "scan", str(repo), "--format", "json", "--no-cache"],
                          capture_output=True, text=True)
    assert json.loads(proc.stdout)["schema_version"] == "1"
    assert proc.stderr.strip() == "[]"


def test_repository_without_ml_code_gets_a_plain_next_step(tmp_path: Path) -> None:
    """No maturity area applies to a repository with no ML code: the next step says so instead of pointing at
    findings that do not exist."""
    (tmp_path / "cli.py").write_text("import click\n\n\n@click.command()\ndef main():\n    click.echo('hi')\n")
    report = audit(tmp_path, AuditConfig(use_cache=False))
    assert report.summary.maturity.score == 0
    assert report.summary.maturity.next_step == "No maturity area applies: the scan found no ML code to assess."


def test_a_file_linked_inside_the_target_is_read_once(tmp_path: Path) -> None:
    """examples/x.py -> ../docs/x.py: the link is the same file, so its findings must not double."""
    root = tmp_path / "r"
    (root / "docs").mkdir(parents=True)
    (root / "examples").mkdir()
    (root / "requirements.txt").write_text("torch==2.1.0\n")
    (root / "docs" / "restore.py").write_text("import torch\n\nstate = torch.load('model.pt')\n")
    os.symlink("../docs/restore.py", root / "examples" / "restore.py")
    for use_git in (False, True):
        if use_git:
            git_init(root)
        report = audit(root, AuditConfig(use_cache=False, select=("SEC001",)))
        assert [(f.location.path, f.location.line) for f in report.findings] == [("docs/restore.py", 3)]
        skipped = {(s.path, s.reason, s.detail) for s in report.inspection.skipped}
        assert ("examples/restore.py", "symlink", "same file as docs/restore.py") in skipped
