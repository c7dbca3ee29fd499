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
    """A hex digest of HEAD, every ref and the porcelain status; "" outside git or on any error.

    The three read-only commands run side by side: each costs a process start,
    which is most of a small scan's git time.
    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    commands = (["rev-parse", "HEAD"], ["for-each-ref", "--format=%(objectname) %(refname)"],
                ["status", "--porcelain=v1", "-z", "--untracked-files=no"])
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for args in commands:
            procs.append(subprocess.Popen(["git", "-C", target, *args], stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env))
        h = hashlib.sha256()
        for proc in procs:
            out, _ = proc.communicate(timeout=20)
            if proc.returncode != 0:
                return ""
            h.update(out)
        return h.hexdigest()
    except (OSError, subprocess.SubprocessError):
        return ""
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
