"""Dependency manifests and lock files -> ``Manifest`` / ``LockFile`` facts, statically.

Nothing is executed or imported: setup.py is read with ``ast``, TOML with
tomllib, YAML with ``safe_load`` semantics, requirement strings with
``packaging``. ``parse_manifest`` never raises: a malformed file yields a
Manifest whose ``error`` says why, so one broken file cannot abort an audit.
TOML, INI and YAML parsers drop positions, so lines are recovered by a light
scan of the raw text (best effort, falling back to the enclosing table header).
"""
from __future__ import annotations

import ast
import bisect
import configparser
import json
import posixpath
import re
import sys
from dataclasses import replace
from typing import Any, Callable


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from .._patterns import lazy
from ..facts import LockFile, Manifest, Requirement

__all__ = ["MANIFEST_KIND", "LOCK_TOOL", "manifest_kind", "parse_manifest"]

MANIFEST_KIND: dict[str, str] = {
    "pyproject.toml": "pyproject", "setup.cfg": "setup_cfg", "setup.py": "setup_py",
    "pipfile": "pipfile", "conda.yml": "conda", "conda.yaml": "conda",
}
LOCK_TOOL: dict[str, str] = {
    "poetry.lock": "poetry", "uv.lock": "uv", "pipfile.lock": "pipenv", "pdm.lock": "pdm",
    "pixi.lock": "pixi", "conda-lock.yml": "conda_lock", "conda-lock.yaml": "conda_lock",
    "pylock.toml": "pylock",
}
# environment.yml, conda_env.yaml, and conda files named after their use (conda_dependencies.yml, scoring.conda.yml)
_ENV_RE = lazy(r"((environment|conda[-_]env(ironment)?)([-_.][\w.-]*)?|[\w.-]*conda[-_.](?!forge[-_.])[\w.-]+|"
                     r"[\w.-]+[-_.]conda)\.ya?ml")
_COMMENT_RE = lazy(r"(^|\s+)#.*$")
_INCLUDE_RE = lazy(r"(?:-[rc]\s*|--(?:requirement|constraint)(?:\s*=\s*|\s+))(\S+)$")
_EDITABLE_RE = lazy(r"(?:-e\s*|--editable(?:\s*=\s*|\s+))(.+)$")
_URLISH_RE = lazy(
    r"[a-z][\w+.-]*://|file:|\.{1,2}(?:/|$|[\s\[;])|/|[^\s;@]+\.(?:whl|zip|tar\.gz|tgz)(?:$|[\s#;])", re.I)
_FIXED_REF_RE = lazy(r"[0-9a-f]{7,40}|[vV]?\d+(?:\.\d+)+[\w.+-]*")
_CONDA_RE = lazy(r"(?:[\w./:-]+::)?([A-Za-z0-9_][\w.-]*)\s*((?:[=<>!~\[]|\d).*)?")
_BACKENDS = (("setuptools", "setuptools"), ("poetry", "poetry"), ("hatchling", "hatch"),
             ("pdm", "pdm"), ("flit", "flit"), ("maturin", "maturin"), ("uv_build", "uv"),
             ("scikit_build", "scikit_build"), ("mesonpy", "meson"))
_TOOL_TABLES = ("poetry", "pdm", "hatch", "uv", "setuptools", "flit", "pixi", "rye", "maturin")
_MAX_ERROR = 200


# PyYAML and packaging cost ~0.1 s to import: only trees with manifests pay for them
def _load_yaml(text: str) -> Any:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _format_errors() -> tuple[tuple[type[BaseException], str], ...]:
    import yaml

    return ((tomllib.TOMLDecodeError, "invalid TOML"), (yaml.YAMLError, "invalid YAML"),
            (configparser.Error, "invalid INI"), (json.JSONDecodeError, "invalid JSON"))


def canonicalize_name(name: str) -> str:
    """PEP 503 normalised project name (``packaging.utils.canonicalize_name``, imported on first use)."""
    from packaging.utils import canonicalize_name as canonical

    return canonical(name)


def _lock_tool(name: str) -> str | None:
    """The lock tool a file name implies; names alone decide, so no content is needed."""
    low = name.lower()
    if low in LOCK_TOOL:
        return LOCK_TOOL[low]
    if low.endswith((".conda-lock.yml", ".conda-lock.yaml")) or re.fullmatch(r"conda-[\w-]+\.lock", low):
        return "conda_lock"
    if re.fullmatch(r"pylock\.[\w-]+\.toml", low):
        return "pylock"
    if low.startswith("requirements") and low.endswith(".lock"):
        return "rye"
    return None


def _is_requirements_path(path: str) -> bool:
    """pip requirement files by convention; MANIFEST.in and other ``.in`` templates are excluded."""
    parts = path.lower().split("/")
    stem, ext = posixpath.splitext(parts[-1])
    if ext not in (".txt", ".in") or parts[-1] == "manifest.in":
        return False
    in_req_dir = any(d.startswith("requirements") for d in parts[:-1])  # requirements/pytorch/base.txt
    return "requirement" in stem or stem.startswith("constraint") or in_req_dir


def manifest_kind(path: str, text: str | None = None) -> str | None:
    """Kind of a repo-relative POSIX path, or None; with ``text``, pip-compile output is ``lock``."""
    name = posixpath.basename(path)
    if _lock_tool(name):
        return "lock"
    if name.lower() in MANIFEST_KIND:
        return MANIFEST_KIND[name.lower()]
    if _ENV_RE.fullmatch(name.lower()) and not name.lower().startswith("conda-forge"):  # feedstock config
        return "conda"
    if _is_requirements_path(path):
        compiled = text is not None and _parse_requirements(path, text.lstrip("\ufeff"))[1]
        return "lock" if compiled else "requirements"
    return None


def parse_manifest(path: str, text: str) -> tuple[Manifest | None, LockFile | None]:
    """Facts of one manifest or lock file; never raises (an audit must survive any input)."""
    kind = manifest_kind(path)
    if kind is None:
        return None, None
    text = text.lstrip("\ufeff")
    tool = _lock_tool(posixpath.basename(path))
    try:
        if tool:
            return None, LockFile(path, tool, _count_locked(tool, path, text))
        if kind == "requirements":
            return _parse_requirements(path, text)
        return _PARSERS[kind](path, text), None
    except Exception as exc:  # noqa: BLE001 - malformed input of any shape becomes an error note
        if tool:
            return None, LockFile(path, tool)
        return Manifest(path, kind, error=_error_text(exc)), None


def _error_text(exc: BaseException) -> str:
    """A one-line message naming the format that failed, short enough for a report."""
    if isinstance(exc, SyntaxError):
        msg = f"invalid Python at line {exc.lineno}: {exc.msg}"
    else:
        label = next((label for cls, label in _format_errors() if isinstance(exc, cls)),
                     f"could not parse: {type(exc).__name__}")
        msg = f"{label}: {exc}"
    return " ".join(msg.split())[:_MAX_ERROR]


def _summarize(errors: list[str]) -> str | None:
    if not errors:
        return None
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return (errors[0] + more)[:_MAX_ERROR]


class _Lines:
    """Line lookup in raw text for formats whose parsers drop positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [i for i, line in enumerate(self.lines) if line.startswith("[")]
        self.headers: dict[str, int] = {}
        for i in reversed(self.starts):
            inner = self.lines[i].split("#", 1)[0].strip().strip("[]")
            self.headers[re.sub(r"[\s\"']", "", inner)] = i + 1

    def header(self, *tables: str) -> int:
        """Line of the first of ``tables`` that has a header (1 when none has)."""
        return next((self.headers[t] for t in tables if t in self.headers), 1)

    def _end(self, start: int) -> int:
        pos = bisect.bisect_left(self.starts, start)
        return self.starts[pos] if pos < len(self.starts) else len(self.lines)

    def key(self, key: str, start: int) -> int:
        """Line of ``key =`` (or ``key:``) within the section opened at ``start``; else ``start``."""
        pat = re.compile(r"\s*(?:-\s*)?(?:[\w.\"'-]+\.)?[\"']?" + re.escape(key) + r"[\"']?\s*[=:]", re.I)
        for i in range(start - 1, self._end(start)):
            if pat.match(self.lines[i]):
                return i + 1
        return start

    def find(self, needle: str, start: int) -> int:
        """First line from ``start`` to its section's end holding ``needle`` as a whole item; else 0."""
        pat = re.compile(r"(?<![\w.-])" + re.escape(needle) + r"(?![\w.-])")
        for i in range(max(start - 1, 0), self._end(start)):
            if pat.search(self.lines[i]):
                return i + 1
        return 0

    def text(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""


def _is_fixed_ref(ref: str) -> bool:
    return bool(_FIXED_REF_RE.fullmatch(ref))


def _url_pinned(url: str) -> bool:
    """A URL fixes its content when it names a commit, tag, hash, wheel or versioned archive."""
    base, _, fragment = url.partition("#")
    if re.search(r"(?:^|&)(?:sha\d+|md5)=", fragment):
        return True
    scheme, sep, rest = base.partition("://")
    if "+" in scheme or scheme in ("git", "hg", "svn", "bzr"):
        _, at, ref = (rest.split("/", 1)[-1] if sep else rest).rpartition("@")
        return bool(at) and _is_fixed_ref(ref)
    leaf = base.rstrip("/").rsplit("/", 1)[-1]
    if leaf.endswith(".whl"):
        return True
    stem = re.sub(r"\.(?:zip|tar\.gz|tgz|tar\.bz2)$", "", leaf)
    return stem != leaf and (_is_fixed_ref(stem) or bool(re.search(r"-\d+(?:\.\d+)+", stem)))


def _spec_pinned(spec: str) -> bool:
    """Exact pins only: ``===X`` or ``==X`` without a wildcard."""
    return any(p.strip().startswith("===") or (p.strip().startswith("==") and "*" not in p)
               for p in spec.split(","))


def _req(name: str, spec: str, line: int, raw: str, *, group: str = "main", url: str = "",
         marker: str = "", extras: Any = (), editable: bool = False, hashes: bool = False,
         pinned: bool | None = None) -> Requirement:
    if pinned is None:
        pinned = _url_pinned(url) if url else _spec_pinned(spec)
    return Requirement(name=canonicalize_name(name), specifier=spec, line=line, raw=raw,
                       pinned=pinned, group=group, marker=marker, url=url, editable=editable,
                       hashes=hashes, extras=tuple(sorted(canonicalize_name(str(e)) for e in extras)))


def _url_name(url: str) -> str:
    """Name implied by a VCS repository or wheel URL without ``#egg=``; "" for local paths."""
    base = url.split("#")[0]
    if re.match(r"(?:git|hg|svn|bzr)\+", base):
        repo = base.split("://", 1)[-1].split("/", 1)[-1].rsplit("@", 1)[0]
        return re.sub(r"\.git$", "", repo.rstrip("/").rsplit("/", 1)[-1])
    leaf = base.rstrip("/").rsplit("/", 1)[-1]
    return leaf.split("-")[0] if leaf.endswith(".whl") else ""


def _from_pep508(text: str, line: int, group: str = "main", editable: bool = False,
                 hashes: bool = False) -> Requirement | None:
    """A PEP 508 string or a bare URL/path; None for unnamed local paths (the project itself)."""
    if _URLISH_RE.match(text):
        url, *rest = re.split(r"\s+;", text, maxsplit=1)
        url, marker = url.strip(), rest[0].strip() if rest else ""
        egg = re.search(r"[#&]egg=([\w.-]+)", url)
        name = egg.group(1) if egg else _url_name(url)
        if not name:
            return None
        return _req(name, "", line, text, group=group, url=url, marker=marker,
                    editable=editable, hashes=hashes)
    from packaging.requirements import Requirement as PkgRequirement

    req = PkgRequirement(text)
    return _req(req.name, str(req.specifier), line, text, group=group, url=req.url or "",
                marker=str(req.marker) if req.marker else "", extras=req.extras,
                editable=editable, hashes=hashes)


def _req_entry(text: str, line: int, base: str, group: str) -> tuple[Requirement | None, str | None]:
    """One logical requirements line -> (requirement, include target); other options are ignored."""
    m = _INCLUDE_RE.match(text)
    if m:
        target = m.group(1)
        return None, None if "://" in target else posixpath.normpath(posixpath.join(base, target))
    m = _EDITABLE_RE.match(text)
    body = m.group(1).strip() if m else text
    if body.startswith("-"):
        return None, None
    if m and "/" in body and "://" not in body and "@" not in body and not body.startswith((".", "/")):
        body = "./" + body  # -e libs/my_pkg: a local directory, not a requirement name
    spec, *options = re.split(r"\s+(?=--[a-z])", body)
    hashes = any(o.startswith("--hash") for o in options)
    return _from_pep508(spec.strip(), line, group, editable=bool(m), hashes=hashes), None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """pip's view of the file: backslash continuations joined, comments stripped, blanks dropped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 1
    for no, raw in enumerate(text.splitlines() + [""], 1):
        start = start if buf else no
        if raw.endswith("\\") and not raw.lstrip().startswith("#"):
            buf.append(raw[:-1])
            continue
        joined = _COMMENT_RE.sub("", " ".join(buf + [raw])).strip()
        buf = []
        out.extend([(start, joined)] if joined else [])
    return out


def _parse_req_lines(entries: list[tuple[int, str]], base: str, errors: list[str],
                     group: str = "main") -> tuple[list[Requirement], list[str]]:
    """Requirement strings with their lines; a bad one becomes an error note, not an exception."""
    reqs: list[Requirement] = []
    includes: list[str] = []
    for line, text in entries:
        try:
            req, include = _req_entry(text, line, base, group)
        except Exception as exc:  # noqa: BLE001 - InvalidRequirement and malformed URLs alike
            errors.append(f"line {line}: invalid requirement {text[:60]!r}: {str(exc).splitlines()[0]}")
            continue
        reqs.extend([req] if req else [])
        includes.extend([include] if include else [])
    return reqs, includes


def _compiled_header(text: str) -> bool:
    head = text[:4000].lower()
    return "autogenerated by pip-compile" in head or "autogenerated by uv" in head


def _compile_tool(text: str, reqs: list[Requirement]) -> str | None:
    """pip-compile (or uv pip compile) output: by its header, or every requirement hash-pinned."""
    head = text[:4000].lower()
    if "autogenerated by pip-compile" in head:
        return "pip_compile"
    if "autogenerated by uv" in head:
        return "uv"
    return "pip_compile" if reqs and all(r.pinned and r.hashes for r in reqs) else None


# ``# via`` annotations of pip-compile / uv pip compile output, on the requirement's line
# (``--annotation-style=line``) or on the comment lines after it (the default "split" style)
_VIA_INLINE = lazy(r"(?:^|\s)#\s*via\b(.*)$")
_VIA_HEAD = lazy(r"#\s*via\b(.*)$")
_VIA_ITEM = lazy(r"#\s{2,}(\S.*)$")
# a via item that names one of the compile inputs: ``-r requirements.in``, ``my-app (pyproject.toml)``,
# ``my-app (pyproject.toml:dev)``, ``-r requirements/base.in``; ``-c constraints.txt`` only constrains
_DIRECT_VIA = lazy(r"^(?:-r\s*\S|--requirement\b)|\((?:pyproject\.toml|setup\.py|setup\.cfg)(?::[^)]*)?\)|"
                   r"^[\w./-]+\.in\b")


def _via_annotations(text: str) -> dict[int, list[str]]:
    """First line of each annotated requirement -> the names its ``# via`` annotation lists."""
    out: dict[int, list[str]] = {}
    current: int | None = None   # first line of the latest logical (non-comment) line
    listing = False              # inside a multi-line "# via" block of ``current``
    continued = False
    for no, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped:
            listing = continued = False
            continue
        if stripped.startswith("#"):
            head = _VIA_HEAD.match(stripped)
            if head and current is not None:
                items = [i.strip() for i in head.group(1).split(",") if i.strip()]
                out.setdefault(current, []).extend(items)
                listing = not items
            elif listing and current is not None and (item := _VIA_ITEM.match(stripped)):
                out[current].append(item.group(1).strip())
            else:
                listing = False
            continue
        if not continued:
            current = no
        listing = False
        continued = raw.endswith("\\")
        inline = _VIA_INLINE.search(raw)
        if inline:
            out.setdefault(current, []).extend(i.strip() for i in inline.group(1).split(",") if i.strip())
    return out


def _mark_direct(text: str, reqs: list[Requirement], compiled: bool) -> list[Requirement]:
    """Requirements of compiler output marked transitive unless their ``# via`` names an input file.

    pip-compile and uv list the whole resolved environment; ``flask==3.1.2  # via quart`` is there because
    quart needs it, not because the project chose Flask. A line without annotation counts as direct unless
    the file declares itself compiler output (then the input file, requirements.in or pyproject.toml,
    is where the direct requirements are read from).
    """
    vias = _via_annotations(text) if "via" in text else {}
    if not vias and not compiled:
        return reqs
    out = []
    for r in reqs:
        items = vias.get(r.line)
        direct = any(_DIRECT_VIA.search(i) for i in items) if items else not compiled
        out.append(r if direct else replace(r, direct=False))
    return out


def _parse_requirements(path: str, text: str) -> tuple[Manifest, LockFile | None]:
    errors: list[str] = []
    reqs, includes = _parse_req_lines(_logical_lines(text), posixpath.dirname(path), errors)
    tool = _compile_tool(text, reqs)
    reqs = _mark_direct(text, reqs, _compiled_header(text))
    manifest = Manifest(path, "requirements", tuple(reqs), tuple(includes),
                        tools=(tool,) if tool else (), error=_summarize(errors))
    return manifest, LockFile(path, tool, sum(r.pinned for r in reqs)) if tool else None


def _locate(items: Any, lines: _Lines, start: int) -> list[tuple[int, str]]:
    """(line, text) per scalar item; the search moves forward so repeated strings get later lines."""
    out: list[tuple[int, str]] = []
    cursor = start
    for item in items if isinstance(items, list) else ():
        text = str(item).strip() if isinstance(item, (str, int, float)) else ""
        if text:
            line = lines.find(text, cursor) or start
            cursor = max(cursor, line)
            out.append((line, text))
    return out


def _pep508_list(items: Any, lines: _Lines, start: int, group: str,
                 errors: list[str]) -> list[Requirement]:
    return _parse_req_lines(_locate(items, lines, start), "", errors, group)[0]


def _version_spec(version: Any, bare_exact: bool) -> str:
    """Poetry treats a bare ``1.2.3`` as ``==1.2.3``; ``*`` means any version."""
    v = str(version).strip()
    if v in ("", "*"):
        return ""
    return "==" + v if bare_exact and re.fullmatch(r"\d[\w.!+-]*", v) else v


def _table_dep(name: str, value: Any, line: int, raw: str, group: str,
               bare_exact: bool) -> Requirement | None:
    """A Poetry or Pipfile ``name = spec | {table}`` dependency; local paths are skipped."""
    if isinstance(value, list):
        parts = [r for v in value if (r := _table_dep(name, v, line, raw, group, bare_exact))]
        return replace(parts[0], specifier=" || ".join(p.specifier for p in parts),
                       pinned=all(p.pinned for p in parts)) if parts else None
    if isinstance(value, str):
        value = {"version": value}
    if not isinstance(value, dict) or "path" in value:
        return None
    url, pinned = str(value.get("url") or value.get("file") or ""), None
    if "git" in value:
        ref = value.get("tag") or value.get("rev") or value.get("ref") or value.get("branch") or ""
        url = f"git+{value['git']}" + (f"@{ref}" if ref else "")
        pinned = bool(value.get("tag")) or _is_fixed_ref(str(value.get("rev") or value.get("ref") or ""))
    extras = value.get("extras") if isinstance(value.get("extras"), list) else ()
    return _req(name, _version_spec(value.get("version", ""), bare_exact), line, raw, group=group,
                url=url, marker=str(value.get("markers") or ""), extras=extras,
                editable=bool(value.get("editable") or value.get("develop")), pinned=pinned)


def _table_deps(deps: Any, lines: _Lines, header: int, group: str, bare_exact: bool,
                extra_of: dict[str, str] | None = None) -> list[Requirement]:
    out: list[Requirement] = []
    for name, value in (deps.items() if isinstance(deps, dict) else ()):
        if name.lower() == "python":
            continue
        line = lines.key(name, header)
        optional = isinstance(value, dict) and value.get("optional")
        extra = (extra_of or {}).get(canonicalize_name(name)) if optional else None
        group_of = f"optional:{extra}" if extra else group
        req = _table_dep(name, value, line, lines.text(line) if line != header else "", group_of, bare_exact)
        out.extend([req] if req else [])
    return out


def _tbl(data: Any, *keys: str) -> dict:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _pyproject_tools(data: dict) -> tuple[str, ...]:
    tool = _tbl(data, "tool")
    found = {t for t in _TOOL_TABLES if t in tool}
    backend = str(_tbl(data, "build-system").get("build-backend") or "")
    found.update(name for prefix, name in _BACKENDS if backend.startswith(prefix))
    return tuple(sorted(found))


def _parse_pyproject(path: str, text: str) -> Manifest:
    data = tomllib.loads(text)
    lines, errors, reqs = _Lines(text), [], []
    project = _tbl(data, "project")

    def strings(items: Any, tables: tuple[str, ...], key: str, group: str) -> None:
        reqs.extend(_pep508_list(items, lines, lines.key(key, lines.header(*tables)), group, errors))

    strings(project.get("dependencies"), ("project",), "dependencies", "main")
    for extra, items in _tbl(project, "optional-dependencies").items():
        strings(items, ("project.optional-dependencies", "project"), extra, f"optional:{extra}")
    for name, items in _tbl(data, "dependency-groups").items():
        strings(items, ("dependency-groups",), name, f"group:{name}")
    strings(_tbl(data, "build-system").get("requires"), ("build-system",), "requires", "build")
    for name, items in _tbl(data, "tool", "pdm", "dev-dependencies").items():
        strings(items, ("tool.pdm.dev-dependencies",), name, "dev")
    for env, cfg in _tbl(data, "tool", "hatch", "envs").items():
        for key in ("dependencies", "extra-dependencies"):
            strings(_tbl(cfg).get(key), (f"tool.hatch.envs.{env}", "tool.hatch.envs"), key, "dev")
    strings(_tbl(data, "tool", "uv").get("dev-dependencies"), ("tool.uv",), "dev-dependencies", "dev")
    reqs.extend(_poetry(data, lines))
    name = project.get("name") or _tbl(data, "tool", "poetry").get("name") or ""
    return Manifest(path, "pyproject", tuple(reqs), tools=_pyproject_tools(data),
                    project_name=str(name), error=_summarize(errors))


def _poetry(data: dict, lines: _Lines) -> list[Requirement]:
    poetry = _tbl(data, "tool", "poetry")
    extra_of = {canonicalize_name(str(d)): extra for extra, deps in _tbl(poetry, "extras").items()
                for d in (deps if isinstance(deps, list) else ())}
    reqs = _table_deps(poetry.get("dependencies"), lines, lines.header("tool.poetry.dependencies",
                       "tool.poetry"), "main", True, extra_of)
    reqs += _table_deps(poetry.get("dev-dependencies"), lines,
                        lines.header("tool.poetry.dev-dependencies", "tool.poetry"), "dev", True)
    for group, cfg in _tbl(poetry, "group").items():
        header = lines.header(f"tool.poetry.group.{group}.dependencies", f"tool.poetry.group.{group}")
        reqs += _table_deps(_tbl(cfg, "dependencies"), lines, header, f"group:{group}", True)
    return reqs


def _parse_pipfile(path: str, text: str) -> Manifest:
    data = tomllib.loads(text)
    lines, reqs = _Lines(text), []
    for table, deps in data.items():
        if table in ("source", "requires", "pipenv", "scripts") or not isinstance(deps, dict):
            continue
        group = {"packages": "main", "dev-packages": "dev"}.get(table, f"group:{table}")
        reqs += _table_deps(deps, lines, lines.header(table), group, False)
    return Manifest(path, "pipfile", tuple(reqs), tools=("pipenv",))


def _parse_setup_cfg(path: str, text: str) -> Manifest:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    lines = _Lines(text)
    reqs: list[Requirement] = []
    includes: list[str] = []
    errors: list[str] = []

    def add(section: str, key: str, group: str) -> None:
        value = parser.get(section, key, fallback="") or ""
        if value.strip().startswith("file:"):
            base = posixpath.dirname(path)
            includes.extend(posixpath.normpath(posixpath.join(base, f.strip()))
                            for f in value.strip()[5:].split(",") if f.strip())
            return
        items = [_COMMENT_RE.sub("", v).strip() for v in value.splitlines()]
        reqs.extend(_pep508_list(items, lines, lines.key(key, lines.header(section)), group, errors))

    add("options", "install_requires", "main")
    add("options", "setup_requires", "build")
    if parser.has_section("options.extras_require"):
        for extra in parser.options("options.extras_require"):
            add("options.extras_require", extra, f"optional:{extra}")
    name = parser.get("metadata", "name", fallback="") or ""
    return Manifest(path, "setup_cfg", tuple(reqs), tuple(includes), tools=("setuptools",),
                    project_name=name, error=_summarize(errors))


def _ast_strings(node: ast.AST | None, group: str, errors: list[str]) -> list[Requirement]:
    """Literal requirement strings in a list/tuple (or one newline-separated string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        entries = [(node.lineno + i, s.strip()) for i, s in enumerate(node.value.splitlines())]
    elif isinstance(node, (ast.List, ast.Tuple)):
        entries = [(e.lineno, e.value.strip()) for e in node.elts
                   if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    else:
        return []
    entries = [(line, text) for line, text in entries if text and not text.startswith("#")]
    return _parse_req_lines(entries, "", errors, group)[0]


def _parse_setup_py(path: str, text: str) -> Manifest:
    """Literal arguments of ``setup(...)`` only; the file is parsed, never run."""
    tree = ast.parse(text)
    names = {t.id: stmt.value for stmt in tree.body if isinstance(stmt, ast.Assign)
             for t in stmt.targets if isinstance(t, ast.Name)}

    def resolve(node: ast.AST | None) -> ast.AST | None:
        return names.get(node.id) if isinstance(node, ast.Name) else node

    reqs: list[Requirement] = []
    errors: list[str] = []
    project = ""
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        if not ((isinstance(func, ast.Name) and func.id == "setup")
                or (isinstance(func, ast.Attribute) and func.attr == "setup")):
            continue
        for kw in call.keywords:
            value = resolve(kw.value)
            if kw.arg in ("install_requires", "setup_requires"):
                reqs += _ast_strings(value, "main" if kw.arg == "install_requires" else "build", errors)
            elif kw.arg == "extras_require" and isinstance(value, ast.Dict):
                for key, items in zip(value.keys, value.values):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        reqs += _ast_strings(resolve(items), f"optional:{key.value}", errors)
            elif kw.arg == "name" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                project = value.value
    return Manifest(path, "setup_py", tuple(reqs), tools=("setuptools",), project_name=project,
                    error=_summarize(errors))


def _conda_pinned(spec: str) -> bool:
    """``=1.2.3`` (full version) or ``=1.2=build``, ``==1.2`` and ``name 1.2`` fix a version."""
    if not spec or "*" in spec or any(c in spec for c in "<>|,[!~"):
        return False
    if spec.startswith("=") and not spec.startswith("=="):
        version, _, build = spec[1:].partition("=")
        return bool(build) or version.count(".") >= 2
    return True


def _conda_req(item: str, line: int) -> Requirement | None:
    m = _CONDA_RE.fullmatch(item.strip())
    if not m:
        raise ValueError("not a conda package spec")
    name, spec = m.group(1), (m.group(2) or "").strip()
    if canonicalize_name(name) in ("python", "pip"):
        return None
    return _req(name, spec, line, item, pinned=_conda_pinned(spec))


def parse_conda_environment(path: str, text: str) -> Manifest:
    """A conda environment file (``dependencies`` with conda specs and an optional ``pip:`` list)."""
    data = _load_yaml(text)
    if data is None:
        return Manifest(path, "conda", tools=("conda",))
    if not isinstance(data, dict):
        return Manifest(path, "conda", tools=("conda",), error="not a conda environment mapping")
    lines = _Lines(text)
    reqs: list[Requirement] = []
    includes: list[str] = []
    errors: list[str] = []
    start = lines.key("dependencies", 1)
    deps = data.get("dependencies") if isinstance(data.get("dependencies"), list) else []
    for line, item in _locate([d for d in deps if not isinstance(d, dict)], lines, start):
        try:
            reqs.extend(r for r in [_conda_req(item, line)] if r)
        except ValueError as exc:
            errors.append(f"line {line}: invalid conda spec {item[:60]!r}: {exc}")
    for pip in (d["pip"] for d in deps if isinstance(d, dict) and isinstance(d.get("pip"), list)):
        entries = _locate(pip, lines, lines.key("pip", start))
        found, inc = _parse_req_lines(entries, posixpath.dirname(path), errors)
        reqs += found
        includes += inc
    return Manifest(path, "conda", tuple(reqs), tuple(includes), tools=("conda",),
                    error=_summarize(errors))


def _yaml_packages(text: str, key: str) -> list:
    data = _load_yaml(text)
    found = data.get(key) if isinstance(data, dict) else None
    return found if isinstance(found, list) else []


def _count_locked(tool: str, path: str, text: str) -> int:
    """Best-effort number of locked packages; the count is informational, so cheap scans suffice."""
    if tool in ("poetry", "uv", "pdm"):
        return len(re.findall(r"(?m)^\[\[package\]\]\s*$", text))
    if tool == "pylock":
        return len(re.findall(r"(?m)^\[\[packages\]\]\s*$", text))
    if tool == "pipenv":
        data = json.loads(text)
        return sum(len(data.get(k) or {}) for k in ("default", "develop")) if isinstance(data, dict) else 0
    if tool == "conda_lock" and path.endswith(".lock"):
        return len(re.findall(r"(?m)^\s*https?://\S+", text))
    if tool == "conda_lock":
        pkgs = _yaml_packages(text, "package")
        return len({(p.get("manager"), p.get("name")) for p in pkgs if isinstance(p, dict)})
    if tool == "pixi":
        return len(_yaml_packages(text, "packages"))
    return len(re.findall(r"(?m)^[A-Za-z0-9][^\s=;#]*==", text))


_PARSERS: dict[str, Callable[[str, str], Manifest]] = {
    "pyproject": _parse_pyproject, "setup_cfg": _parse_setup_cfg, "setup_py": _parse_setup_py,
    "pipfile": _parse_pipfile, "conda": parse_conda_environment,
}
