"""LLM and prompt management: prompt injection through string building, unbounded
generation, prompts kept only as inline strings or unpinned, and no evaluation.

The dataflow (user input -> prompt -> LLM call) lives in ``_llm_flow``; the
checks here only choose what to report and where.
"""
from __future__ import annotations

from typing import Any, Iterator

from .._patterns import lazy
from ..detect.matcher import PatternIndex
from ..facts import Call, Expr, PyFile, Ref
from ..model import Severity
from ._base import Hit, RuleContext, rule
from ._llm_flow import SYSTEM_KWARGS, Flow, is_llm_type, llm_call, short

__all__ = ["prompt_built_from_user_input", "llm_call_without_token_limit", "prompts_inline_only",
           "no_llm_eval_harness", "prompt_not_versioned", "LIMITED_CONSTRUCTORS", "LIMITED_CALLS"]

_VERB = {"fstring": "interpolates", "concat": "concatenates", "percent": "%-formats", "format": "formats",
         "template": "formats", "message": "interpolates"}


def _flow(ctx: RuleContext) -> Flow:
    return ctx.memo("llm.flow", lambda: Flow(ctx.detection.index, ctx.detection.routes))  # type: ignore[return-value]


# --------------------------------------------------------------------------- LLM001
@rule(
    id="LLM001", name="prompt-built-from-user-input", area="llm", severity=Severity.HIGH,
    concept="prompt_concat_user_input",
    title="User input spliced into an LLM prompt string",
    rationale=(
        "When the text a user typed (a request field, a command-line argument, input()) is pasted into the "
        "same string as the application's instructions, the model cannot tell the two apart: a question such "
        "as 'ignore the context above and ...' becomes an instruction. This is prompt injection, first on the "
        "OWASP Top 10 for LLM applications (LLM01). Filling a template does not change that: "
        "`ChatPromptTemplate.from_template(T).format(question=q)` or `T.format(question=q)` still renders one "
        "string in which instructions and user text are mixed, so it is flagged like an f-string or `+`. "
        "What is not flagged is the role-separated form: instructions in a system message (or the `system=` "
        "argument) and the user's text in its own user message, where the model's instruction hierarchy treats "
        "it as data. The rule follows values, not names: sources are route-handler parameters and the request "
        "object, click/typer/fire/argparse parameters, sys.argv, input(), Streamlit and Gradio inputs; it follows "
        "assignments and calls into repository functions (two levels) and reports the line where the prompt "
        "string is built, naming the LLM call it reaches."
    ),
    remediation={
        "openai": "Keep the instructions in a system message and pass the user's text unchanged as its own "
                  "message: messages=[{\"role\": \"system\", \"content\": INSTRUCTIONS}, {\"role\": \"user\", "
                  "\"content\": question}]. Put retrieved context in a separate, clearly delimited message and "
                  "validate or length-limit the user text before sending it.",
        "anthropic": "Pass the instructions through system=INSTRUCTIONS and the user's text as "
                     "messages=[{\"role\": \"user\", \"content\": question}]; never paste user text into the "
                     "system prompt.",
        "langchain": "Use ChatPromptTemplate.from_messages([(\"system\", INSTRUCTIONS_AND_CONTEXT), "
                     "(\"human\", \"{question}\")]) and invoke the chain with {\"question\": question, ...} instead "
                     "of from_template(...).format(question=...), so the user text stays a separate human message.",
        "llamaindex": "Give the instructions as the system prompt (e.g. as_chat_engine(system_prompt=...)) and "
                      "pass the user's query as the chat message instead of formatting it into a prompt string.",
        "ollama": "Use ollama.chat(messages=[{\"role\": \"system\", ...}, {\"role\": \"user\", \"content\": "
                  "question}]) or ollama.generate(system=INSTRUCTIONS, prompt=question).",
        "default": "Send instructions and user text as separate messages (system vs. user role); never "
                   "concatenate, f-string or .format() raw user input into the instruction text. Validate and "
                   "bound the input, and treat the model's answer as untrusted.",
    },
    seeds=("H11", "H16"),
    references=("OWASP Top 10 for LLM Applications 2025, LLM01: Prompt Injection",
                "Greshake et al. 2023, 'Not what you've signed up for: Compromising real-world LLM-integrated "
                "applications with indirect prompt injection'",
                "Wallace et al. 2024, 'The Instruction Hierarchy: Training LLMs to prioritize privileged "
                "instructions'"),
    bad=('def answer(question: str):\n'
         '    prompt = f"Answer using only the context.\\nContext: {ctx}\\nQuestion: {question}"\n'
         '    return llm.invoke(prompt)'),
    good=('def answer(question: str):\n'
          '    messages = [\n'
          '        {"role": "system", "content": f"Answer using only this context:\\n{ctx}"},\n'
          '        {"role": "user", "content": question},\n'
          '    ]\n'
          '    return client.chat.completions.create(model=MODEL, messages=messages, max_tokens=512)'),
    requires=("llm",), tools=("langchain", "openai", "anthropic"),
)
def prompt_built_from_user_input(ctx: RuleContext) -> Iterator[Hit]:
    """Prompt strings built from user input that reach an LLM call outside the role-separated form."""
    flow = _flow(ctx)
    best: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}
    for build in flow.builds():
        sink = flow.sink_of(build)
        if sink is None:
            continue
        key = (build.path, build.scope, sink.path, sink.line)
        if key not in best or build.line < best[key][0].line:
            best[key] = (build, sink)
    for build, sink in sorted(best.values(), key=lambda bs: (bs[0].path, bs[0].line)):
        specific = [n for n in build.names if not any(m.startswith(n + ".") for m in build.names)]
        names = ", ".join(f"`{n}`" for n in specific[:3])
        what = f"{names} ({build.origin})" if names else f"({build.origin})"
        into = f"`{build.target}`" if build.target else (
            f"the argument of {short(build.call.qualname)}" if build.call is not None else "a prompt")
        where = f"{sink.path}:{sink.line}" if sink.path != build.path else f"line {sink.line}"
        via = f" via {' -> '.join(sink.via)}()" if sink.via else ""
        direct = build.call is not None and sink.path == build.path and sink.line == build.call.line
        if direct:
            key = Flow._arg_key(build.call, build) if build.call is not None else ""
            into = (f"the system prompt ({key}=) of {short(sink.name)}" if key in SYSTEM_KWARGS
                    else f"the prompt of {short(sink.name)}")
        verb = (f"builds {into} with {build.helper}() from user input {what}" if build.kind == "helper"
                else f"{_VERB.get(build.kind, 'builds')} user input {what} into {into}")
        reach = "" if direct else f", which reaches {short(sink.name)} at {where}{via}"
        msg = f"{build.path}:{build.line} {verb}{reach}; instructions and user text share one string"
        yield Hit(build.path, build.line, msg, cell=build.cell,
                  key=f"{build.scope}:{build.target or (build.call.qualname if build.call else '')}:"
                      f"{short(sink.name)}")


# --------------------------------------------------------------------------- LLM002
# (constructor pattern, limit keywords, keyword holding a dict of options)
LIMITED_CONSTRUCTORS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("langchain_openai*.ChatOpenAI", ("max_tokens", "max_completion_tokens"), "model_kwargs"),
    ("langchain_openai*.AzureChatOpenAI", ("max_tokens", "max_completion_tokens"), "model_kwargs"),
    ("langchain_community.chat_models*.ChatOpenAI", ("max_tokens",), "model_kwargs"),
    ("langchain_community.chat_models*.AzureChatOpenAI", ("max_tokens",), "model_kwargs"),
    ("langchain.chat_models*.ChatOpenAI", ("max_tokens",), "model_kwargs"),
    ("langchain_community.llms*.Ollama", ("num_predict",), ""),
    ("langchain.llms*.Ollama", ("num_predict",), ""),
    ("langchain_community.chat_models*.ChatOllama", ("num_predict",), ""),
    ("langchain_ollama*.OllamaLLM", ("num_predict",), ""),
    ("langchain_ollama*.ChatOllama", ("num_predict",), ""),
    ("langchain_google_genai*.ChatGoogleGenerativeAI", ("max_output_tokens", "max_tokens"), ""),
    ("langchain_google_genai*.GoogleGenerativeAI", ("max_output_tokens", "max_tokens"), ""),
    ("langchain_groq*.ChatGroq", ("max_tokens",), "model_kwargs"),
    ("langchain_mistralai*.ChatMistralAI", ("max_tokens",), ""),
    ("langchain.chat_models*.init_chat_model", ("max_tokens", "max_completion_tokens", "num_predict",
                                                "max_output_tokens"), ""),
    ("llama_index.llms.openai*.OpenAI", ("max_tokens",), ""),
    ("llama_index.llms.ollama*.Ollama", ("num_predict",), "additional_kwargs"),
    # llama-index < 0.10 exported the provider classes from llama_index.llms itself
    ("llama_index.llms.OpenAI", ("max_tokens",), ""),
    ("llama_index.llms.AzureOpenAI", ("max_tokens",), ""),
    ("llama_index.llms.Ollama", ("num_predict",), "additional_kwargs"),
)
# (resolved call pattern, limit keywords, keyword holding a dict of options)
LIMITED_CALLS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("openai*.chat.completions.create", ("max_tokens", "max_completion_tokens"), ""),
    ("openai*.chat.completions.parse", ("max_tokens", "max_completion_tokens"), ""),
    ("openai.ChatCompletion.create", ("max_tokens",), ""),
    ("openai*.responses.create", ("max_output_tokens",), ""),
    ("litellm.completion", ("max_tokens", "max_completion_tokens"), ""),
    ("litellm.acompletion", ("max_tokens", "max_completion_tokens"), ""),
    ("ollama.chat", ("num_predict",), "options"),
    ("ollama.generate", ("num_predict",), "options"),
    ("ollama*Client.chat", ("num_predict",), "options"),
    ("ollama*Client.generate", ("num_predict",), "options"),
    ("cohere*Client*.chat", ("max_tokens",), ""),
    ("google.generativeai.GenerativeModel.generate_content", ("max_output_tokens",), "generation_config"),
    ("google.genai.Client.models.generate_content", ("max_output_tokens",), "config"),
)


_INDEXES: dict[int, PatternIndex[tuple[int, tuple[str, ...], str]]] = {}
# a glob matches only names that start with its text before the first "*"
_CONSTRUCTOR_PREFIXES = tuple(pattern.split("*", 1)[0] for pattern, _, _ in LIMITED_CONSTRUCTORS)
_LIMITED_METHODS = ("create", "parse", "completion", "acompletion", "chat", "generate", "generate_content")


def _match(table: tuple[tuple[str, tuple[str, ...], str], ...], name: str) -> tuple[tuple[str, ...], str] | None:
    """The first row of ``table`` whose pattern matches (memoized per name: call names repeat a lot)."""
    index = _INDEXES.get(id(table))
    if index is None:
        index = _INDEXES[id(table)] = PatternIndex((p, (i, k, n)) for i, (p, k, n) in enumerate(table))
    hits = index.match(name)
    if not hits:
        return None
    _, keys, nested = min(hits)
    return keys, nested


def _dict_keys(value: Any, py: PyFile, scope: str) -> tuple[str, ...] | None:
    """Keys of a literal dict, directly or through a variable of the same scope; None when unknown."""
    if isinstance(value, Expr) and value.kind == "dict" and isinstance(value.literal, tuple):
        return tuple(k for k, _ in value.literal if isinstance(k, str))
    if isinstance(value, Ref):
        found = [a for a in py.assigns if a.target == value.qualname and a.scope in (scope, "<module>")]
        if len(found) == 1:
            return _dict_keys(found[0].value, py, scope)
    return None


def _limit_state(call: Call, keys: tuple[str, ...], nested: str, py: PyFile) -> str:
    """'set', 'unset', 'none' (explicit None) or 'unknown' (a **splat or an opaque options object)."""
    for k in keys:
        if call.has_kw(k):
            return "none" if call.kw(k) is None else "set"
    if nested and call.has_kw(nested):
        found = _dict_keys(call.kw(nested), py, call.scope)
        if found is None:
            return "unknown"
        if any(k in found for k in keys):
            return "set"
    if call.star_kwargs:
        return "unknown"
    return "unset"


def _object_limited(py: PyFile, ctor: Call, keys: tuple[str, ...]) -> bool:
    """A limit set later on the object: ``llm.bind(max_tokens=..)``, ``llm.invoke(.., max_tokens=..)``."""
    names = {a.target for a in py.assigns if a.line == ctor.line and isinstance(a.value, Expr)
             and a.value.callee == ctor.qualname}
    chained = ctor.qualname + "()."
    for c in py.calls:
        if (c.receiver in names or c.qualname.startswith(chained)) and (
                c.star_kwargs or any(c.has_kw(k) for k in keys)):
            return True
    return any(a.target.rsplit(".", 1)[-1] in keys and a.target.split(".", 1)[0] in names for a in py.assigns)


def _ctor_of(py: PyFile, receiver: str) -> Call | None:
    for a in py.assigns:
        if a.target == receiver and isinstance(a.value, Expr) and a.value.kind == "call":
            for c in py.calls:
                if c.line == a.line and c.qualname == a.value.callee:
                    return c
    return None


@rule(
    id="LLM002", name="llm-call-without-token-limit", area="llm", severity=Severity.MEDIUM,
    concept="no_max_tokens",
    title="LLM call or client without an output token limit",
    rationale=(
        "Without max_tokens (or max_completion_tokens, max_output_tokens, Ollama's num_predict) a single "
        "request may generate until the model's context is exhausted: latency and cost per request become "
        "unbounded, a looping or adversarial prompt can run up the bill, and one slow request can starve a "
        "worker. OWASP lists this as LLM10 (unbounded consumption). The rule reports the client construction "
        "when the limit is a constructor parameter (LangChain and LlamaIndex model classes, Ollama), and the "
        "call otherwise (OpenAI chat.completions.create, litellm.completion, ollama.chat). It stays silent "
        "when a limit is set later on the object (.bind(max_tokens=...)), when **kwargs or an opaque options "
        "object could carry it, and for APIs that require or default to a limit (Anthropic messages.create, "
        "ChatAnthropic, legacy completions, vLLM SamplingParams, transformers generate)."
    ),
    remediation={
        "openai": "Pass max_completion_tokens (or max_tokens on older models) to every chat.completions.create "
                  "call, sized to the longest answer you expect; for the Responses API use max_output_tokens.",
        "langchain": "Set the limit on the model object: ChatOpenAI(model=..., max_tokens=512), "
                     "Ollama(model=\"mistral\", num_predict=512), ChatGoogleGenerativeAI(max_output_tokens=512).",
        "ollama": "Pass options={\"num_predict\": 512} to ollama.chat/generate (Ollama generates without a "
                  "limit by default).",
        "litellm": "Pass max_tokens=... to litellm.completion, or set it in the router's litellm_params.",
        "llamaindex": "Set max_tokens on the LLM (OpenAI(max_tokens=512)) or additional_kwargs={\"num_predict\": "
                      "512} for Ollama.",
        "default": "Give every LLM call an explicit output budget (max_tokens / max_output_tokens / num_predict) "
                   "and monitor token usage per request.",
    },
    seeds=("H16", "H23"),
    references=("OWASP Top 10 for LLM Applications 2025, LLM10: Unbounded Consumption",
                "OpenAI API reference: max_completion_tokens",
                "Ollama API: options.num_predict"),
    bad='llm = Ollama(model="mistral")\nanswer = llm.invoke(prompt)',
    good='llm = Ollama(model="mistral", num_predict=512)\nanswer = llm.invoke(prompt)',
    requires=("llm",), tools=("openai", "langchain", "ollama"),
)
def llm_call_without_token_limit(ctx: RuleContext) -> Iterator[Hit]:
    """LLM clients and calls with no output-token limit (splats and opaque options count as unknown)."""
    index = ctx.detection.index
    for path, fctx in index.contexts.items():
        py = fctx.py
        if py.is_test:
            continue
        # only names that start like a constructor pattern, or the call methods below, can be reported
        by_name = fctx.calls_by_name
        candidates = fctx.in_order([*(by_name[n] for n in by_name if n.startswith(_CONSTRUCTOR_PREFIXES)),
                                    *(fctx.calls_by_method.get(m, ()) for m in _LIMITED_METHODS)])
        for call in candidates:
            eff = fctx.effective(call)
            method = call.qualname.rpartition(".")[2]
            found = None if call.receiver else _match(LIMITED_CONSTRUCTORS, eff)
            if found is not None:
                keys, nested = found
                state = _limit_state(call, keys, nested, py)
                if state in ("unset", "none") and not _object_limited(py, call, keys):
                    how = f"sets {keys[0]}=None" if state == "none" else f"has no {' / '.join(keys)}"
                    yield Hit(path, call.line, f"{path}:{call.line} creates {short(eff)} that {how}: every call "
                              f"through it can generate until the context window is full",
                              cell=call.cell, key=f"ctor:{eff}@{call.scope}")
                continue
            if method not in _LIMITED_METHODS:
                continue
            name = llm_call(index, fctx, call) or eff
            found = _match(LIMITED_CALLS, name)
            if found is None:
                continue
            keys, nested = found
            state = _limit_state(call, keys, nested, py)
            if state == "unset" and name.endswith("GenerativeModel.generate_content") and call.receiver:
                ctor = _ctor_of(py, call.receiver)
                if ctor is not None and (ctor.star_kwargs or ctor.has_kw("generation_config")):
                    continue
            if state in ("unset", "none"):
                how = f"sets {keys[0]}=None" if state == "none" else f"passes no {' / '.join(keys)}"
                where = f" in {nested}" if nested and state == "unset" else ""
                yield Hit(path, call.line, f"{path}:{call.line} calls {short(name)} and {how}{where}: the "
                          f"response length is bounded only by the model", cell=call.cell,
                          key=f"call:{short(name)}@{call.scope}")


# --------------------------------------------------------------------------- LLM003
_PROMPT_NAME = lazy(r"(?i)(prompt|template|instruction|system_?message|system_?msg)")
_PROMPT_KWARGS = frozenset({"prompt", "system", "system_prompt", "template", "instructions", "system_instruction",
                            "system_message"})
_LLM_ROOTS = ("openai", "anthropic", "langchain", "langchain_core", "langchain_community", "langchain_openai",
              "langchain_anthropic", "langchain_ollama", "langchain_google_genai", "llama_index", "litellm",
              "ollama", "cohere", "google", "vertexai", "dspy", "langchain_groq", "langchain_mistralai")


_MARKUP = lazy(r"(?i)^<(!doctype|html|head|body|div|span|style|script|img|p|a|table|ul|ol|li|h[1-6]|br|"
                     r"section|form|button|link|meta|svg)\b")


def _prose(value: Any) -> bool:
    """Words long enough to instruct a model; HTML/CSS markup (chat bubbles named *_template) is not a prompt."""
    return (isinstance(value, str) and len(value.strip()) >= 30 and " " in value.strip()
            and not _MARKUP.match(value.strip()))


def _inline_prompts(ctx: RuleContext) -> list[tuple[str, int, int | None, str]]:
    """(path, line, cell, label) of prompt text written as string literals in non-test code."""
    index = ctx.detection.index
    found: list[tuple[str, int, int | None, str]] = []
    for path, fctx in index.contexts.items():
        py = fctx.py
        if py.is_test:
            continue
        for a in py.assigns:
            if isinstance(a.value, str) and _PROMPT_NAME.search(a.target.rsplit(".", 1)[-1]) and _prose(a.value):
                found.append((path, a.line, a.cell, f"`{a.target}`"))
        for call, eff in zip(py.calls, fctx.call_names):
            llm = eff.split(".", 1)[0] in _LLM_ROOTS or bool(llm_call(index, fctx, call))
            if not llm:
                continue
            if eff.endswith(("PromptTemplate.from_template", "PromptTemplate")) and call.args and _prose(call.args[0]):
                found.append((path, call.line, call.cell, f"the template of {short(eff)}"))
            for k, v in call.kwargs:
                if k in _PROMPT_KWARGS and _prose(v):
                    found.append((path, call.line, call.cell, f"{k}= of {short(eff)}"))
                elif k == "messages" and isinstance(v, tuple):
                    for m in v:
                        if isinstance(m, Expr) and m.kind == "dict" and isinstance(m.literal, tuple):
                            d = dict(x for x in m.literal if isinstance(x, tuple) and len(x) == 2)
                            if d.get("role") == "system" and _prose(d.get("content")):
                                found.append((path, call.line, call.cell, f"the system message of {short(eff)}"))
    # every field in the key: a set's order depends on the hash seed, and ties must not decide the anchor
    return sorted(set(found), key=lambda f: (f[0], f[1], f[2] or 0, f[3]))


@rule(
    id="LLM003", name="prompts-inline-only", area="llm", severity=Severity.LOW,
    title="Prompts live only as inline strings in code",
    rationale=(
        "A prompt is a model input as important as a hyperparameter: changing one sentence changes behaviour. "
        "When prompts exist only as string literals scattered through the code, a prompt change is "
        "indistinguishable from a code change, cannot be reviewed or diffed on its own, cannot be evaluated "
        "version against version, and cannot be traced from an answer back to the prompt that produced it. "
        "Keeping prompts as files (prompts/*.yaml, *.prompt, Jinja templates) or in a prompt registry with "
        "versions makes them reviewable, testable and rollback-able. The rule fires once, when the repository "
        "calls an LLM, has no prompt files, and keeps at least one prompt template as a literal; it points at "
        "the first one."
    ),
    remediation={
        "langchain": "Move templates to prompts/<name>.yaml (or .txt/.j2) and load them with "
                     "langchain_core.prompts.load_prompt / PromptTemplate.from_file; or keep them in LangSmith's "
                     "prompt hub and pull a pinned commit.",
        "default": "Move each prompt template into its own file under prompts/ (YAML, Jinja or plain text), "
                   "load it at start-up, and review prompt changes like code; record the prompt file's version "
                   "(git SHA or content hash) with every evaluation run.",
    },
    seeds=("H11", "H25"),
    references=("Microsoft Prompty / promptfoo prompt files: prompts kept as versioned assets",
                "OWASP Top 10 for LLM Applications 2025, LLM07: System Prompt Leakage (keep prompts reviewable)"),
    bad='SUMMARY_PROMPT = """You are a careful analyst. Summarise the report below in five bullet points..."""',
    good='SUMMARY_PROMPT = (Path(__file__).parent / "prompts" / "summary.txt").read_text()',
    requires=("llm",), principle="versioning", tools=("promptfoo", "langsmith"),
)
def prompts_inline_only(ctx: RuleContext) -> Iterator[Hit]:
    """Once per repository: LLM use, no prompt files, inline prompt templates (anchored on the first)."""
    if ctx.detection.present("prompt_files") or not ctx.detection.present("llm_usage"):
        return
    found = _inline_prompts(ctx)
    if not found:
        return
    path, line, cell, label = found[0]
    files = len({f[0] for f in found})
    more = f" ({len(found)} inline prompts in {files} file{'s' if files > 1 else ''})" if len(found) > 1 else ""
    yield Hit(path, line, f"{path}:{line} keeps {label} as an inline string{more}; the repository has no prompt "
              f"files, so prompt changes are not versioned or reviewed separately", cell=cell, key="inline-prompts")


# --------------------------------------------------------------------------- LLM004
_EVAL_NAME = lazy(r"(?i)(^|/)(evals?|evaluations?|benchmarks?)(/|_|\.)|(^|/)(eval|evaluate|benchmark)\w*\.(py|ipynb)$")
_SCORING = ("sklearn.metrics.", "evaluate.load", "torchmetrics.")
_SCORING_ROOTS = ("sklearn", "evaluate", "torchmetrics")


def _reaches_llm(ctx: RuleContext, fctx: Any, helpers: dict[tuple[str, str], bool]) -> bool:
    """Whether a call of the file is an LLM call or reaches one through repository helpers (two levels).
    ``helpers`` memoizes the answer per helper function: many call sites lead into the same ones."""
    index = ctx.detection.index
    for call in fctx.py.calls:
        if llm_call(index, fctx, call) or (is_llm_type(call.qualname) and fctx.effective(call) == call.qualname):
            return True
        target = index.resolve_function(fctx, call)
        if target is None or target[0].py.is_test:
            continue
        key = (target[0].py.path, target[1].qualname)
        reaches = helpers.get(key)
        if reaches is None:
            reaches = helpers[key] = any(llm_call(index, rctx, rcall) for rctx, rcall, _
                                         in index.reachable_calls(target[0], target[1], depth=2))
        if reaches:
            return True
    return False


def _custom_llm_eval(ctx: RuleContext) -> bool:
    """A home-made evaluation: tests that call the LLM pipeline and assert, eval/benchmark scripts or
    notebooks that call it, or code that calls it and scores the answers with a metrics library."""
    helpers: dict[tuple[str, str], bool] = {}
    for fctx in ctx.detection.index.contexts.values():
        py = fctx.py
        if py.is_test:
            if any(c.context == "assert" for c in py.compares) and _reaches_llm(ctx, fctx, helpers):
                return True
            continue
        scores = any(c.qualname.startswith(_SCORING)
                     for root in _SCORING_ROOTS for c in fctx.calls_by_root.get(root, ()))
        if (_EVAL_NAME.search(py.path) or scores) and _reaches_llm(ctx, fctx, helpers):
            return True
    return False


@rule(
    id="LLM004", name="no-llm-eval-harness", area="llm", severity=Severity.MEDIUM,
    title="LLM application without an evaluation harness",
    rationale=(
        "An LLM application changes behaviour whenever its prompt, model version, retrieval settings or "
        "provider change, and none of that shows up as a failing unit test. Without a fixed set of inputs "
        "with expected answers or graded criteria (a golden set) run by an evaluation harness, regressions "
        "reach users unnoticed and model or prompt upgrades are decided by anecdote. Breck et al. (2017, "
        "'The ML Test Score') ask for model quality to be tested before release; for LLM systems that means "
        "an eval suite (promptfoo, DeepEval, Ragas, LangSmith, OpenAI evals, Inspect) in CI. The rule fires "
        "once when the repository calls an LLM but no evaluation tool or configuration is found, and no "
        "home-made evaluation either: no test that calls the LLM pipeline and asserts, no eval/benchmark "
        "script or notebook that calls it, no code that scores its answers with a metrics library."
    ),
    remediation={
        "langchain": "Add a golden set (evals/golden.jsonl with question, expected answer, sources) and score "
                     "the chain with Ragas or LangSmith evaluate() (faithfulness, answer relevance); run it in "
                     "CI and fail on a drop.",
        "openai": "Add a promptfoo config (promptfooconfig.yaml) with test cases and assertions over your "
                  "prompts, or OpenAI evals, and run it in CI on every prompt or model change.",
        "default": "Create a small golden set of representative inputs with expected outputs or graded "
                   "criteria, evaluate it with promptfoo, DeepEval, Ragas or Inspect, track the scores per "
                   "prompt/model version, and gate releases on them.",
    },
    seeds=("H24", "H12"),
    references=("Breck et al. 2017, 'The ML Test Score: A Rubric for ML Production Readiness'",
                "promptfoo documentation: test cases and assertions",
                "Es et al. 2023, 'RAGAS: Automated Evaluation of Retrieval Augmented Generation'"),
    bad="# app calls client.chat.completions.create(...) but nothing checks its answers",
    good=("# promptfooconfig.yaml\n"
          "prompts: [file://prompts/answer.txt]\n"
          "providers: [openai:gpt-4o-mini]\n"
          "tests:\n"
          "  - vars: {question: \"What is the refund window?\"}\n"
          "    assert: [{type: contains, value: \"30 days\"}]"),
    requires=("llm",), principle="testing", tools=("promptfoo", "deepeval", "ragas", "langsmith"),
)
def no_llm_eval_harness(ctx: RuleContext) -> Iterator[Hit]:
    """Once per repository, anchored on the first LLM call site."""
    det = ctx.detection
    if not det.present("llm_usage") or det.present("llm_evaluation"):
        return
    if _custom_llm_eval(ctx):
        return
    ev = sorted(det.inventory.capabilities["llm_usage"].evidence, key=lambda e: (e.path, e.line or 0))
    if not ev:
        yield Hit(None, None, "the repository calls an LLM but has no evaluation harness", key="no-llm-eval")
        return
    first = ev[0]
    yield Hit(first.path, first.line, f"{first.path}:{first.line} calls an LLM ({short(first.detail)}) but the "
              f"repository has no evaluation harness (no promptfoo/DeepEval/Ragas/LangSmith evaluation, no test "
              f"that checks the pipeline's answers)", cell=first.cell, key="no-llm-eval")


# --------------------------------------------------------------------------- LLM005
_HUB_PULLS = ("langchain.hub.pull", "langchainhub.Client.pull", "langsmith.Client.pull_prompt",
              "langsmith.client.Client.pull_prompt")


@rule(
    id="LLM005", name="prompt-not-versioned", area="llm", severity=Severity.LOW,
    title="Prompt used without a pinned version",
    rationale=(
        "A prompt that the application loads but that no version pins can change under a running system: a "
        "prompt pulled from a hub by name alone (hub.pull(\"owner/name\"), client.pull_prompt(\"name\")) "
        "follows whatever was pushed last, and a prompt file that git does not track exists only on one "
        "machine. Either way an answer cannot be traced back to the prompt that produced it and an evaluation "
        "result cannot be tied to a prompt version. The rule reports hub pulls without a commit pin and "
        "prompt files git does not track (only when the target is a git work tree)."
    ),
    remediation={
        "langchain": "Pin the prompt commit: hub.pull(\"owner/name:<commit-hash>\") (or client.pull_prompt with "
                     "the same suffix), or copy the prompt into prompts/ under git.",
        "default": "Commit prompt files to git (or pin the hub/registry version you load) and log the prompt "
                   "version with each run and each evaluation.",
    },
    seeds=("H25",),
    references=("LangSmith documentation: pull a specific prompt commit",
                "Sculley et al. 2015, 'Hidden Technical Debt in Machine Learning Systems' (configuration debt)"),
    bad='prompt = hub.pull("rlm/rag-prompt")',
    good='prompt = hub.pull("rlm/rag-prompt:50442af1")',
    requires=("llm",), principle="versioning",
)
def prompt_not_versioned(ctx: RuleContext) -> Iterator[Hit]:
    """Unpinned hub pulls (call line) and untracked prompt files (file-level)."""
    index = ctx.detection.index
    for path, fctx in index.contexts.items():
        py = fctx.py
        if py.is_test:
            continue
        for call in fctx.calls_among(fctx.calls_by_name, _HUB_PULLS):
            ref = call.args[0] if call.args else call.kw("owner_repo_commit", call.kw("prompt_identifier"))
            if isinstance(ref, str) and ":" not in ref:
                yield Hit(path, call.line, f"{path}:{call.line} pulls prompt {ref!r} by name with no commit pin; "
                          f"it changes whenever someone pushes a new version", cell=call.cell,
                          key=f"hub:{ref}")
    git = ctx.facts.git
    if not git.is_repo or not git.head or git.error:
        return
    prompts = sorted({e.path for e in ctx.detection.inventory.capabilities["prompt_files"].evidence})
    for p in prompts:
        if p not in git.tracked:
            yield Hit(p, None, f"{p} is a prompt file that git does not track: its content is not versioned",
                      key=f"untracked:{p}")
