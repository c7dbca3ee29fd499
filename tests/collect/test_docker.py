"""docker: which files are Dockerfiles, and instructions with the lines they start and end on."""
from __future__ import annotations

import time

import pytest

from mlops_audit.collect.docker import dockerfile_candidate, parse_dockerfile
from mlops_audit.facts import DockerInstruction

# A hang guard against quadratic blow-ups on hostile input, not a speed goal (those live in
# benchmarks/): linear parsing takes well under a second; a regression takes minutes.
HANG_GUARD_SECONDS = 60.0


def rows(text: str) -> list[tuple[str, str, int, int | None]]:
    return [(i.instruction, i.value, i.line, i.end_line) for i in parse_dockerfile("Dockerfile", text).instructions]


@pytest.mark.parametrize("path", [
    "Dockerfile", "docker/Dockerfile", "Dockerfile.gpu", "serving.Dockerfile", "train.dockerfile",
    "Containerfile", "Containerfile.cuda", "dockerfile",
])
def test_candidates(path: str) -> None:
    assert dockerfile_candidate(path)


@pytest.mark.parametrize("path", [
    "Dockerfile.dockerignore", ".dockerignore", "docs/Dockerfile.md", "dockerfiles/readme.txt",
    "my_dockerfile_utils.py", "DockerfileGenerator.java",
])
def test_not_candidates(path: str) -> None:
    assert not dockerfile_candidate(path)


def test_continuations_comments_and_lowercase() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"     # 1 directive
        "ARG BASE=python:3.11-slim\n"        # 2 ARG before FROM
        "from ${BASE} AS build\n"            # 3 lowercase
        "\n"
        "RUN apt-get update && \\\n"         # 5
        "    # comments inside are dropped\n"
        "    apt-get install -y curl \\\n"
        "\n"                                 # 8 blank line inside continuation
        "    && rm -rf /var/lib/apt/lists/*\n"  # 9
        "WORKDIR /app   \n"                  # 10
    )
    assert rows(text) == [
        ("ARG", "BASE=python:3.11-slim", 2, 2),
        ("FROM", "${BASE} AS build", 3, 3),
        ("RUN", "apt-get update &&     apt-get install -y curl     && rm -rf /var/lib/apt/lists/*", 5, 9),
        ("WORKDIR", "/app", 10, 10),
    ]


def test_trailing_whitespace_after_backslash_still_continues() -> None:
    assert rows("RUN a \\  \n  b\nUSER x\n") == [("RUN", "a   b", 1, 2), ("USER", "x", 3, 3)]


def test_heredocs_are_one_instruction() -> None:
    text = (
        "FROM python:3.11\n"
        "RUN <<EOF\n"                 # 2
        "set -e\n"
        "pip install -r requirements.txt\n"
        "EOF\n"                       # 5
        "COPY <<-CFG <<'APP' /etc/\n"  # 6: two heredocs, tab-stripped terminator
        "\tkey=1\n"
        "\tCFG\n"
        "print('hi')\n"
        "APP\n"                       # 10
        "CMD [\"python\", \"app.py\"]\n"  # 11
    )
    got = rows(text)
    assert [(r[0], r[2], r[3]) for r in got] == [("FROM", 1, 1), ("RUN", 2, 5), ("COPY", 6, 10), ("CMD", 11, 11)]
    assert got[1][1] == "<<EOF\nset -e\npip install -r requirements.txt\nEOF"
    assert "print('hi')" in got[2][1]


def test_unclosed_heredoc_does_not_swallow_the_file() -> None:
    text = 'RUN echo "<<NOT a heredoc"\nRUN cat <<EOF\nUSER app\nEXPOSE 80\n'
    assert [(r[0], r[2]) for r in rows(text)] == [("RUN", 1), ("RUN", 2), ("USER", 3), ("EXPOSE", 4)]


def test_here_string_is_not_a_heredoc() -> None:
    assert rows("RUN cat <<<\"$X\"\nUSER app\n") == [("RUN", 'cat <<<"$X"', 1, 1), ("USER", "app", 2, 2)]


def test_escape_directive_backtick() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n    && echo done\nWORKDIR c:\\app\\\n"
    assert rows(text) == [
        ("FROM", "mcr.microsoft.com/windows/servercore", 2, 2),
        ("RUN", "dir c:\\     && echo done", 3, 4),
        ("WORKDIR", "c:\\app\\", 5, 5),
    ]


def test_escape_directive_only_at_top() -> None:
    text = "FROM x\n# escape=`\nRUN a `\nUSER b\n"
    assert [r[0] for r in rows(text)] == ["FROM", "RUN", "USER"]


def test_exec_form_args() -> None:
    df = parse_dockerfile("Dockerfile", (
        'FROM python:3.11\n'
        'ENTRYPOINT ["uvicorn", "app:api", "--port", "8080"]\n'
        'CMD python serve.py\n'
        'HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost:8080/health"]\n'
        'RUN ["pip", "install", \\\n      "torch"]\n'
        'ONBUILD RUN make\n'
    ))
    args = {i.instruction: i.args for i in df.instructions}
    assert args["ENTRYPOINT"] == ("uvicorn", "app:api", "--port", "8080")
    assert args["CMD"] == ()
    assert args["HEALTHCHECK"] == ("curl", "-f", "http://localhost:8080/health")
    assert args["RUN"] == ("pip", "install", "torch")
    assert df.instructions[-1] == DockerInstruction("ONBUILD", "RUN make", 7, 7)


def test_crlf_and_bom() -> None:
    assert rows("\ufeffFROM x\r\nRUN a \\\r\n  b\r\n") == [("FROM", "x", 1, 1), ("RUN", "a   b", 2, 3)]


def test_continuation_at_end_of_file() -> None:
    assert rows("FROM x\nRUN a \\\n") == [("FROM", "x", 1, 1), ("RUN", "a", 2, 2)]


@pytest.mark.parametrize("text", ["", "\\\n\\", "[[[", "12 FROM x", "RUN <<", "# escape=\n", "\x00", "FROM"])
def test_never_raises(text: str) -> None:
    df = parse_dockerfile("Dockerfile", text)
    assert df.path == "Dockerfile"


def test_heredoc_flood_stays_linear() -> None:
    start = time.perf_counter()
    df = parse_dockerfile("Dockerfile", "RUN <<EOF\n" * 20_000)
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    assert len(df.instructions) == 20_000
