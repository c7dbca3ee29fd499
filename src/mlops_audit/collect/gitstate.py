"""A cheap fingerprint of a git work tree's state (HEAD, refs, dirty files).

Used to key the whole-audit memo: if the files and this fingerprint are
unchanged, the previous audit's result still holds. Read-only commands only.
"""
from __future__ import annotations

import hashlib
import os
import subprocess

__all__ = ["git_state"]


def git_state(target: str) -> str:
    """A hex digest of HEAD, every ref and the porcelain status; "" outside git or on any error."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    h = hashlib.sha256()
    for args in (["rev-parse", "HEAD"], ["for-each-ref", "--format=%(objectname) %(refname)"],
                 ["status", "--porcelain=v1", "-z", "--untracked-files=no"]):
        try:
            proc = subprocess.run(["git", "-C", target, *args], capture_output=True, env=env, timeout=20,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return ""
        if proc.returncode != 0:
            return ""
        h.update(proc.stdout)
    return h.hexdigest()
