"""Import resolution in the Python collector: aliases and relative imports give qualified call names."""
from __future__ import annotations

import pytest

from mlops_audit.collect.python import parse_python


@pytest.mark.parametrize("source, expected", [
    ("import mlflow as mf\nmf.log_metric('auc', 1)\n", "mlflow.log_metric"),
    ("from joblib import load\nload('m.pkl')\n", "joblib.load"),
    ("from . import endpoints\nendpoints.live()\n", ".endpoints.live"),     # a sibling module, one level
    ("from .. import util\nutil.x()\n", "..util.x"),
    ("from .handlers import live\nlive()\n", ".handlers.live"),
    ("from ..pkg.handlers import live as l\nl()\n", "..pkg.handlers.live"),
])
def test_call_names_resolve_through_imports(source: str, expected: str) -> None:
    assert [c.qualname for c in parse_python("pkg/app.py", source).calls] == [expected]
