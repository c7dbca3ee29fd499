"""parse_notebook: IPython syntax, cross-cell name resolution, cell facts, bad input."""
from __future__ import annotations

import pytest

import json
import warnings
from typing import Any

from mlops_audit.collect.notebooks import neutralise_ipython, parse_notebook
from mlops_audit.facts import Cell


def code(source: str, count: int | None = None, outputs: list | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "metadata": {},
            "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def notebook(*cells: dict[str, Any], language: str = "python") -> str:
    meta = {"kernelspec": {"display_name": "K", "language": language, "name": "k"},
            "language_info": {"name": language}}
    return json.dumps({"cells": list(cells), "metadata": meta, "nbformat": 4, "nbformat_minor": 5},
                      indent=1, sort_keys=True)


STREAM = {"name": "stdout", "output_type": "stream", "text": ["token=abc123\n", "done\n"]}
RESULT = {"data": {"text/plain": ["0.93"], "image/png": "iVBOR"}, "execution_count": 2,
          "metadata": {}, "output_type": "execute_result"}
ERROR = {"ename": "KeyError", "evalue": "'MLFLOW_URI'", "output_type": "error", "traceback": ["..."]}

MAIN = notebook(
    markdown("# Training\n"),
    code("%matplotlib inline\nimport mlflow as mf\n!pip install torch==2.1 \\\n    numpy\nimport os\n", 3, [STREAM]),
    code("def broken(:\n    pass\n", 1),
    code("files = !ls data\nfor f in files:\n    %time mf.log_artifact(f)\nmf.log_metric('auc', 0.9)\n", 2,
         [RESULT, ERROR]),
    code("os.path.join?\n??os\n"),
)


def cell_start_lines(text: str) -> list[int]:
    """Independent oracle: with indent=1 and sorted keys each cell object opens on a line '  {'."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if line == "  {"]


def nested_size(outputs: list, indent: int = 3) -> int:
    """On-disk size of an outputs array that json.dumps(indent=1) nested ``indent`` spaces deep."""
    flat = json.dumps(outputs, indent=1, sort_keys=True)
    return len(flat) + indent * flat.count("\n")


def test_cells_and_counts() -> None:
    nb = parse_notebook("notebooks/train.ipynb", MAIN)
    assert nb.error is None
    assert nb.kernel_language == "python"
    lines = cell_start_lines(MAIN)
    assert lines == [3, 10, 32, 42, 74]
    assert (nested_size([STREAM]), nested_size([RESULT, ERROR])) == (132, 336)
    assert nb.cells == (
        Cell(1, "markdown", None, 0, 3),
        Cell(2, "code", 3, 132, 10),
        Cell(3, "code", 1, 0, 32),
        Cell(4, "code", 2, 336, 42, has_error_output=True),
        Cell(5, "code", None, 0, 74),
    )
    assert [c.index for c in nb.code_cells] == [2, 3, 4, 5]
    assert nb.in_order is False


def test_alias_resolves_across_cells_with_within_cell_lines() -> None:
    nb = parse_notebook("notebooks/train.ipynb", MAIN)
    calls = [(c.qualname, c.line, c.cell) for c in nb.code.calls if c.qualname.startswith("mlflow")]
    assert calls == [("mlflow.log_artifact", 3, 4), ("mlflow.log_metric", 4, 4)]
    assert [(i.module, i.alias, i.line) for i in nb.code.imports] == [("mlflow", "mf", 2), ("os", "os", 5)]
    assert nb.code.path == "notebooks/train.ipynb"
    assert nb.code.is_test is False
    assert nb.code.syntax_error is None


def test_bad_cell_is_skipped_and_recorded() -> None:
    nb = parse_notebook("nb.ipynb", MAIN)
    assert nb.bad_cells == (3,)
    assert not any(f.name == "broken" for f in nb.code.functions)


def test_magics_are_recorded_with_cell_and_line() -> None:
    nb = parse_notebook("nb.ipynb", MAIN)
    assert nb.magics == (
        (2, 1, "%matplotlib inline"),
        (2, 3, "!pip install torch==2.1 numpy"),
        (4, 1, "files = !ls data"),
        (4, 3, "%time mf.log_artifact(f)"),
        (5, 1, "os.path.join?"),
        (5, 2, "??os"),
    )


def test_outputs_text_for_secret_scanning() -> None:
    nb = parse_notebook("nb.ipynb", MAIN)
    assert nb.outputs_text == ((2, "token=abc123\ndone\n"), (4, "0.93\nKeyError: 'MLFLOW_URI'"))


def test_outputs_text_is_truncated_to_20kb() -> None:
    big = {"name": "stdout", "output_type": "stream", "text": "x" * 50_000}
    nb = parse_notebook("nb.ipynb", notebook(code("print(1)\n", 1, [big])))
    assert nb.outputs_text == ((1, "x" * 20 * 1024),)


def test_cell_magic_with_python_body() -> None:
    nb = parse_notebook("nb.ipynb", notebook(code("\n%%time\nimport joblib\njoblib.dump(m, 'm.pkl')\n")))
    assert [(c.qualname, c.line, c.cell) for c in nb.code.calls] == [("joblib.dump", 4, 1)]
    assert nb.magics == ((1, 2, "%%time"),)
    assert nb.bad_cells == ()


def test_non_python_cell_magics_give_no_code() -> None:
    text = notebook(code("%%bash\npip install torch\necho done\n"),
                    code("%%writefile train.py\nimport torch\n"),
                    code("import pickle\npickle.load(f)\n"))
    nb = parse_notebook("nb.ipynb", text)
    assert [c.qualname for c in nb.code.calls] == ["pickle.load"]
    assert [i.module for i in nb.code.imports] == ["pickle"]
    assert nb.magics == ((1, 1, "%%bash"), (1, 2, "pip install torch"), (1, 3, "echo done"),
                         (2, 1, "%%writefile train.py"))
    assert nb.bad_cells == ()


def test_escapes_inside_strings_and_brackets_are_left_alone() -> None:
    source = 's = """\n!not a shell line\n%nor a magic\n"""\n!ls\nx = [1,\n     2]\n'
    text, magics = neutralise_ipython(source)
    assert text == 's = """\n!not a shell line\n%nor a magic\n"""\npass\nx = [1,\n     2]\n'
    assert magics == [(5, "!ls")]
    nb = parse_notebook("nb.ipynb", notebook(code(source)))
    assert [(a.target, a.value, a.line) for a in nb.code.assigns] == [
        ("s", "\n!not a shell line\n%nor a magic\n", 1), ("x", (1, 2), 6)]


def test_neutralise_keeps_line_count_and_indentation() -> None:
    source = "if ok:\n    !echo yes\nelse:\n    x = %env HOME\n"
    text, magics = neutralise_ipython(source)
    assert text == "if ok:\n    pass\nelse:\n    pass\n"
    assert magics == [(2, "!echo yes"), (4, "x = %env HOME")]
    assert neutralise_ipython("%%sql\nSELECT 1\n") == (None, [(1, "%%sql")])


def test_plain_python_cell_untouched() -> None:
    assert neutralise_ipython("a = b % c\nd = e != f\n") == ("a = b % c\nd = e != f\n", [])


def test_broken_json_sets_error() -> None:
    nb = parse_notebook("nb.ipynb", '{"cells": [')
    assert nb.error is not None and nb.error.startswith("NotJSONError")
    assert nb.cells == () and nb.code.calls == () and nb.code.path == "nb.ipynb"


def test_json_that_is_not_a_notebook_sets_error() -> None:
    for text in ("[]", '{"nbformat": 4}', '"just a string"'):
        nb = parse_notebook("nb.ipynb", text)
        assert nb.error is not None, text
        assert nb.cells == ()


def test_nbformat_v3_is_upgraded() -> None:
    v3 = {"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Old"]},
        {"cell_type": "code", "collapsed": False, "input": ["import numpy as np\n", "np.load('w.npy')"],
         "language": "python", "metadata": {}, "outputs": [], "prompt_number": 4},
    ], "metadata": {}}]}
    nb = parse_notebook("old.ipynb", json.dumps(v3, indent=1))
    assert nb.error is None
    assert [(c.index, c.cell_type, c.execution_count) for c in nb.cells] == [(1, "markdown", None), (2, "code", 4)]
    assert [(c.qualname, c.line, c.cell) for c in nb.code.calls] == [("numpy.load", 2, 2)]
    assert nb.kernel_language == "python"
    assert [c.source_line for c in nb.cells] == [0, 0]   # v3 layout (worksheets) is not located


def test_invalid_escape_in_string_is_not_a_bad_cell() -> None:
    text = notebook(code('import re\nre.compile("\\d+")\n'))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # even under -W error the cell still parses
        nb = parse_notebook("nb.ipynb", text)
    assert (nb.bad_cells, [c.qualname for c in nb.code.calls]) == ((), ["re.compile"])


def test_r_kernel_gives_no_code_facts() -> None:
    nb = parse_notebook("analysis.ipynb", notebook(code("library(dplyr)\nx <- 1\n", 1), language="R"))
    assert nb.kernel_language == "r"
    assert nb.code.calls == () and nb.code.imports == () and nb.bad_cells == ()
    assert [c.cell_type for c in nb.cells] == ["code"]


def test_language_defaults_to_python_without_metadata() -> None:
    text = json.dumps({"cells": [code("import os\n")], "metadata": {}, "nbformat": 4, "nbformat_minor": 2})
    nb = parse_notebook("tests/test_nb.ipynb", text)
    assert nb.kernel_language == "python"
    assert nb.code.is_test is True
    assert nb.cells[0].source_line == 1  # compact JSON: everything is on line 1


def test_source_line_ignores_nested_cell_type_keys() -> None:
    nested = {"data": {"application/json": {"cell_type": "code"}, "text/plain": ["{}"]},
              "metadata": {}, "output_type": "display_data"}
    text = notebook(code("x = 1\n", 1, [nested]), markdown("hi\n"))
    nb = parse_notebook("nb.ipynb", text)
    assert [c.source_line for c in nb.cells] == cell_start_lines(text)
    assert [c.source_line for c in nb.cells][0] == 3


def test_top_level_await_and_empty_cells() -> None:
    nb = parse_notebook("nb.ipynb", notebook(code(""), code("await client.fetch()\n")))
    assert nb.bad_cells == ()
    assert [c.qualname for c in nb.code.calls] == ["client.fetch"]


def test_output_bytes_is_the_on_disk_size() -> None:
    outputs = [STREAM, {"name": "stderr", "output_type": "stream", "text": "é\n"}]
    text = json.dumps({"cells": [code("print(1)\n", 1, outputs), markdown("x")], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5}, sort_keys=True, ensure_ascii=False)
    nb = parse_notebook("nb.ipynb", text)
    assert nb.cells[0].output_bytes == len(json.dumps(outputs, sort_keys=True, ensure_ascii=False).encode())
    assert nb.cells[1].output_bytes == 0


def test_current_format_is_read_without_importing_nbformat() -> None:
    """nbformat (and the jsonschema it loads) is only needed to upgrade notebooks older than format 4."""
    import subprocess
    import sys

    probe = ("import sys\nfrom mlops_audit.collect.notebooks import parse_notebook\n"
             f"nb = parse_notebook('nb.ipynb', {MAIN!r})\n"
             "assert nb.error is None and len(nb.cells) == 5, nb\n"
             "print('nbformat' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("counts, in_order", [
    ([0, 0, 0], True),          # Databricks export: every count 0
    ([None, None], True),       # never run
    ([1, 1, 2], True),          # a repeated count is a copied cell, not a kernel running backwards
    ([1, 0, 2, 3], True),       # a 0 between ordered counts says nothing
    ([1, 3, 2], False),
    ([0, 4, 0, 3], False),
])
def test_in_order_reads_only_real_execution_counts(counts: list, in_order: bool) -> None:
    import json

    cells = [{"cell_type": "code", "execution_count": n, "metadata": {}, "outputs": [], "source": f"x = {i}"}
             for i, n in enumerate(counts)]
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    assert parse_notebook("nb.ipynb", text).in_order is in_order
