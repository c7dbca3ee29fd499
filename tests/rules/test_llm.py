"""Unit tests for the LLM rules' matchers and the paths the fixtures cannot show."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mlops_audit import audit
from mlops_audit.config import AuditConfig
from mlops_audit.facts import Expr, Ref
from mlops_audit.rules._llm_flow import is_llm_type, occurrences, safe, short

from ..conftest import git_init


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _found(root: Path, rule_id: str) -> list[tuple[str | None, int | None]]:
    report = audit(root, AuditConfig(use_cache=False, select=(rule_id,)))
    return sorted((f.location.path if f.location else None, f.location.line if f.location else None)
                  for f in report.findings if f.rule == rule_id)


# -- matchers -----------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("openai.OpenAI", True),
    ("openai.OpenAI.chat.completions", True),
    ("langchain_community.llms.ollama.Ollama", True),
    ("langchain_community.embeddings.ollama.OllamaEmbeddings", False),
    ("openai.OpenAI.embeddings", False),
    ("sklearn.linear_model.LogisticRegression", False),
    ("", False),
])
def test_is_llm_type(name: str, expected: bool) -> None:
    assert is_llm_type(name) is expected


def test_short_names() -> None:
    assert short("langchain_community.llms.ollama.Ollama.invoke") == "Ollama.invoke"
    assert short("ollama.chat") == "ollama.chat"


def _msg(role: str, content: object) -> Expr:
    return Expr("dict", names=("role", "content"), literal=(("role", role), ("content", content)))


def test_role_separated_user_message_is_safe() -> None:
    value = (_msg("system", "rules"), _msg("user", Ref("prompt")))
    occ = list(occurrences(value, lambda v: isinstance(v, Ref) and v.qualname == "prompt"))
    assert occ == [("user", True)]
    assert all(safe(o, False) for o in occ)


def test_lone_user_message_and_system_message_are_unsafe() -> None:
    lone = list(occurrences((_msg("user", Ref("prompt")),), lambda v: isinstance(v, Ref)))
    assert not safe(lone[0], False)
    assert safe(lone[0], True)  # a system= keyword holds the instructions
    system = list(occurrences((_msg("system", Ref("prompt")), _msg("user", "hi")), lambda v: isinstance(v, Ref)))
    assert not safe(system[0], True)


def test_langchain_tuples_carry_roles() -> None:
    value = (("system", "rules"), ("human", Ref("q")))
    assert list(occurrences(value, lambda v: isinstance(v, Ref))) == [("human", True)]


# -- LLM001 sources the fixtures do not show ------------------------------------
def test_typer_sys_argv_and_streamlit_sources(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "cli.py": """
            import sys
            import typer
            from openai import OpenAI

            app = typer.Typer()
            client = OpenAI()


            @app.command()
            def ask(question: str):
                prompt = "Reply in haiku form to this question: " + question
                client.chat.completions.create(model="m", max_tokens=9, messages=[{"role": "user", "content": prompt}])


            def raw():
                topic = sys.argv[1]
                text = f"Write a short poem about {topic}"
                client.responses.create(model="m", input=text, max_output_tokens=9)
        """,
        "ui.py": """
            import streamlit as st
            from langchain_openai import ChatOpenAI

            llm = ChatOpenAI(model="m", max_tokens=9)
            name = st.text_input("Your name")
            greeting = f"Greet {name} warmly in two sentences."
            st.write(llm.invoke(greeting))
        """,
    })
    assert _found(root, "LLM001") == [("cli.py", 11), ("cli.py", 17), ("ui.py", 6)]


def test_unchanged_user_text_is_not_a_prompt_build(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "app.py": """
            from fastapi import FastAPI
            from langchain_openai import ChatOpenAI

            app = FastAPI()
            llm = ChatOpenAI(model="m", max_tokens=9)


            @app.get("/q")
            def q(text: str):
                cleaned = text.strip()
                return llm.invoke(cleaned)
        """,
    })
    assert _found(root, "LLM001") == []


# -- LLM004: a custom evaluation in tests suppresses the gap -------------------------
def test_tests_that_exercise_the_llm_count_as_an_eval(tmp_path: Path) -> None:
    files = {
        "rag.py": """
            from openai import OpenAI

            client = OpenAI()


            def answer(question):
                return client.chat.completions.create(model="m", max_tokens=9,
                                                      messages=[{"role": "user", "content": question}])
        """,
        "tests/test_rag.py": """
            from rag import answer


            def test_golden():
                assert "30 days" in answer("What is the refund window?")
        """,
    }
    assert _found(_repo(tmp_path, files), "LLM004") == []


# -- LLM005: prompt files git does not track -------------------------------------------
def test_untracked_prompt_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "app.py": """
            from openai import OpenAI

            client = OpenAI()
            client.chat.completions.create(model="m", max_tokens=9, messages=[])
        """,
        "prompts/committed.txt": "Answer briefly.\n",
    })
    git_init(root)
    (root / "prompts" / "draft.txt").write_text("Answer at length.\n", encoding="utf-8")
    assert _found(root, "LLM005") == [("prompts/draft.txt", None)]


def test_notebook_inline_prompt_is_anchored_in_its_cell(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [
        "from openai import OpenAI\n", "client = OpenAI()\n",
        "SYSTEM_PROMPT = \"You are a meticulous analyst who answers with citations only.\""]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = _repo(tmp_path, {"explore.ipynb": json.dumps(nb)})
    report = audit(root, AuditConfig(use_cache=False, select=("LLM003",)))
    (finding,) = [f for f in report.findings if f.rule == "LLM003"]
    assert finding.location is not None
    assert (finding.location.path, finding.location.line, finding.location.cell) == ("explore.ipynb", 3, 1)


def test_scoring_llm_answers_with_a_metrics_library_counts_as_an_eval(tmp_path: Path) -> None:
    files = {
        "tagger.py": """
            import openai


            def tag(text):
                return openai.chat.completions.create(model="m", max_tokens=5,
                                                      messages=[{"role": "user", "content": text}])
        """,
        "score_tags.py": """
            from sklearn.metrics import f1_score

            from tagger import tag

            y_true = ["a", "b"]
            y_pred = [tag(t) for t in ["x", "y"]]
            print(f1_score(y_true, y_pred, average="macro"))
        """,
    }
    assert _found(_repo(tmp_path, files), "LLM004") == []


def test_system_kwarg_and_appended_messages(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "app.py": """
            import anthropic
            from fastapi import FastAPI
            from openai import OpenAI

            app = FastAPI()
            claude = anthropic.Anthropic()
            client = OpenAI()
            SYSTEM = "You are a helpful assistant for ACME customers."


            @app.get("/persona")
            def persona(name: str, q: str):
                return claude.messages.create(model="m", max_tokens=9, system=f"You are the assistant of {name}.",
                                              messages=[{"role": "user", "content": q}])


            @app.get("/framed")
            def framed(q: str):
                return claude.messages.create(model="m", max_tokens=9, system=SYSTEM,
                                              messages=[{"role": "user", "content": f"Question: {q}"}])


            @app.get("/history-with-system")
            def history_with_system(q: str):
                history = [{"role": "system", "content": SYSTEM}]
                history.append({"role": "user", "content": f"Question: {q}"})
                return client.chat.completions.create(model="m", messages=history, max_tokens=9)


            @app.get("/history-alone")
            def history_alone(q: str):
                history = []
                history.append({"role": "user", "content": f"Answer as a pirate: {q}"})
                return client.chat.completions.create(model="m", messages=history, max_tokens=9)
        """,
    })
    assert _found(root, "LLM001") == [("app.py", 13), ("app.py", 33)]
