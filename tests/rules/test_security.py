"""Unit tests of the secret judgment and the torch version logic (tokens are assembled at run time)."""
from __future__ import annotations

import pytest

from mlops_audit.rules.security import _docker_pairs, _output_secrets, _torch_spec_safe, judge_secret, redact

# Assembled here so that no credential-shaped literal sits in the repository.
AWS_ID = "AKIA" + "QWERTYUIOPASDFGH"
HF = "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
RANDOM = "Zr7Qp2Lx9Wm4Tn8Vb3Kc6Hd1"


@pytest.mark.parametrize("name,value,kind", [
    (None, AWS_ID, "AWS Access Key"),
    ("aws_access_key_id", AWS_ID, "AWS Access Key"),
    (None, HF, "Hugging Face token"),
    ("token", GH, "GitHub Token"),
    ("api_key", RANDOM, "credential"),
    ("x-api-key", RANDOM, "credential"),
    ("db_password", "Xk9mP2vL7qRt", "password"),
])
def test_secrets_found(name: str | None, value: str, kind: str) -> None:
    assert judge_secret(name, value) == kind


@pytest.mark.parametrize("name,value", [
    ("api_key", "<your-api-key>"), ("api_key", "your_api_key_here"), ("token", "sk-..."),
    ("password", "changeme"), ("secret_key", "${SECRET_KEY}"), ("api_key", "OPENAI_API_KEY"),
    ("pad_token", "<pad>"), ("max_tokens", "4096"), ("model_name", "bert-base-uncased"),
    ("run_id", "3f2a9c1b8e7d4f6a9b0c1d2e3f4a5b6c"), ("api_key", "/etc/secrets/api_key.txt"),
    ("aws_access_key_id", "AKIA" + "IOSFODNN7EXAMPLE"), ("api_key", "short1"),
    (None, "ACCAGGTTACCAGGTTACCAGGTTACCAGGTTACGT"),   # a DNA read is not an AWS key
    (None, RANDOM),                                   # high entropy alone, with no secret name, is not enough
])
def test_not_secrets(name: str | None, value: str) -> None:
    assert judge_secret(name, value) is None


def test_token_inside_prose() -> None:
    assert judge_secret(None, f"export KEY={AWS_ID} before running") == "AWS Access Key"


def test_notebook_output_lines() -> None:
    found = list(_output_secrets(f"loss 0.2\nAPI_KEY={RANDOM}\n"))
    assert found == [("credential", RANDOM)]
    assert list(_output_secrets("api_key=<redacted>\nepoch 3\n")) == []


def test_docker_pairs() -> None:
    assert list(_docker_pairs("ENV", "A=1 B=\"two words\"")) == [("A", "1"), ("B", "two words")]
    assert list(_docker_pairs("ENV", "TOKEN abc def")) == [("TOKEN", "abc def")]
    assert list(_docker_pairs("ARG", "API_TOKEN")) == []


@pytest.mark.parametrize("spec,safe", [
    ("", False), (">=2.0", False), ("<2.6", False), (">=2.6", True), ("==2.6.0", True), ("~=2.7", True),
    ("==2.5.1", False), (">=2.6,<3", True),
    # exact pins of releases the old sampling missed, wildcards and strict bounds
    ("==2.1.0", False), ("==1.12.1", False), ("==2.0.0", False), ("==2.*", False), ("==2.6.*", True),
    (">2.5.1", False), (">2.6", True), ("===2.7.0", True), (">=1.13,!=2.0.0", False), ("<3,>=2.6.0", True),
])
def test_torch_spec(spec: str, safe: bool) -> None:
    assert _torch_spec_safe(spec) is safe


def test_redact_never_shows_the_secret() -> None:
    assert RANDOM not in redact(RANDOM)
    assert redact(RANDOM).startswith("Zr7Q")
