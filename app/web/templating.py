"""Jinja2 set-up: one template per screen, per-request globals from context processors, and
partial rendering for htmx requests (the block the request targets, not the whole page)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.common.aws import AWS_REGION_NAMES
from app.common.moments import STAMP, STAMP_FORMAT, okta_moment, parse_stamp
from app.common.text import counted, error_parts
from app.common.validation import in_sentence
from app.reports.values import in_words
from app.settings import PROJECT_ROOT
from app.store.statuses import (
    ACTION_WORDS,
    CHECK_WORDS,
    EVIDENCE_WORDS,
    HEALTH_WORDS,
    ONBOARDING_WORDS,
    OUTCOME_WORDS,
    RUN_WORDS,
    RUNNING_WORDS,
    STEP_WORDS,
    WAITING_WORDS,
    applied_words,
)
from app.watch.messages import shown, shown_remedy

TEMPLATE_DIR = PROJECT_ROOT / "templates"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _code_spans(text: object) -> Markup:
    """Text with `backticked` commands and names drawn as code (escaped first, so nothing else is
    markup), and its moments in the viewer's zone: a flash or a step's warning may say when Okta
    showed something, beside times the page draws locally (QA walk 12, L2)."""
    out = Markup("")
    for index, part in enumerate(_CODE_SPAN.split(str(text))):  # text, code, text, code, ...
        out += Markup("<code>{}</code>").format(part) if index % 2 else _local_times(part, None)
    return out


_BREAK = re.compile(r"(?<=[/?&:,])(?=[^/])|(?<=.)(?=@)")  # "https://" stays whole


def _breakable(text: object) -> Markup:
    """A login, email, Okta call or list of names that may wrap before an ``@`` or after a ``/``,
    ``?``, ``&``, ``:`` or ``,`` rather than mid-word, where a narrow column breaks it (escaped first)."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK.split(str(text)))


def _time_element(value: datetime, text: str, *, local: bool, seconds: bool = True) -> Markup:
    """A moment as ``<time>``: the machine-readable instant, UTC on hover, and (``local``) the text
    that static/app.js rewrites into the viewer's own time zone. Without the script it reads UTC.
    A moment read from words to the minute (``seconds`` False) claims no seconds on hover (QA walk 26)."""
    at = value.astimezone(UTC)
    return Markup('<time datetime="{iso}" title="{utc}"{cls}>{text}</time>').format(
        iso=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc=at.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"),
        cls=Markup(' class="local-time"') if local else "", text=text)


def _format_time(value: datetime | str | None, fmt: str = STAMP_FORMAT) -> Markup | str:
    """A moment (a datetime, or a time as Okta writes it: a token's creation) in the pages' one
    form, drawn in the viewer's time zone; a text that is not a moment is shown as it is."""
    if isinstance(value, str):
        moment = okta_moment(value)
        if moment is None:
            return value
        value = moment
    if value is None:
        return "—"
    return _time_element(value, value.astimezone(UTC).strftime(fmt), local=True)


def _epoch(value: float | None, fmt: str = "%H:%M UTC") -> Markup | str:
    if value is None:
        return "—"
    at = datetime.fromtimestamp(float(value), UTC)
    return _time_element(at, at.strftime(fmt), local=True)




def _local_times(text: str, until: float | None) -> Markup:
    """A check's finding with its moments drawn in the viewer's time zone like every other time on
    the page: each "YYYY-MM-DD HH:MM UTC" (when a smoke test last ran, an attestation), and the
    "HH:MM UTC" that names ``until`` (a timer's end)."""
    end = datetime.fromtimestamp(float(until), UTC) if until is not None else None
    parts: list[Markup] = []
    for index, part in enumerate(STAMP.split(text)):
        if index % 2:
            at = parse_stamp(part)
            parts.append(_time_element(at, part, local=True, seconds=part.count(":") == 2))
        elif end is not None:
            utc = end.strftime("%H:%M UTC")
            parts.append(_time_element(end, utc, local=True).join(escape(piece) for piece in part.split(utc)))
        else:
            parts.append(escape(part))
    return Markup("").join(parts)


def _relative_time(value: datetime | None) -> Markup | str:
    if value is None:
        return "never"
    return _time_element(value, _ago(value), local=False)


def _ago(value: datetime) -> str:
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


# How soon a running job's progress panel asks again. Most runs end within a second or two (an
# apply on a small org, a verification): looked at four times a second while young, the page shows
# the result as soon as it is there instead of up to a second later; a long run (a scan of every
# user) is asked about once a second. The next ask is scheduled when an answer arrives, so a slow
# server is never sent a second poll before it answered the first.
POLL_FAST_MS = 250
POLL_SLOW_MS = 1000
POLL_FAST_FOR_SECONDS = 3


def _poll_delay_ms(queued_at: datetime) -> int:
    """Milliseconds until the panel of a job queued at ``queued_at`` asks again."""
    age = (datetime.now(UTC) - queued_at).total_seconds()
    return POLL_FAST_MS if age < POLL_FAST_FOR_SECONDS else POLL_SLOW_MS


def _base_context(request: Request) -> dict[str, Any]:
    from app.web.csrf import csrf_token
    from app.web.flash import pop_flash

    operator = getattr(request.state, "operator", None)
    return {
        "operator": operator,
        "csrf_token": csrf_token(request),
        "flash": pop_flash(request),
        "is_htmx": is_htmx(request),
        "sandbox_enabled": request.app.state.onboard.settings.sandbox,
        "current_path": request.url.path,
    }


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process and shared by every environment built in
    it. A server builds one, but the tests and the command line build an app (and an environment)
    many times, and compiling the templates was a fifth of a page test's time. Jinja checks each
    entry against the template's source, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def build_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        bytecode_cache=_COMPILED,
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update({
        "time": _format_time, "ago": _relative_time, "epoch": _epoch, "local_times": _local_times,
        "in_sentence": in_sentence, "counted": counted, "error_parts": error_parts, "code_spans": _code_spans,
        "breakable": _breakable,
        # An open alert's words and remedy on the pages (a person's remedy under way said, as of the
        # database: no Okta call to draw them).
        "alert_words": shown, "alert_remedy": shown_remedy, "poll_delay_ms": _poll_delay_ms,
    })
    env.globals["applied_words"] = applied_words
    env.globals["in_words"] = in_words  # a value given, as its form showed it (a choice by its text)
    env.globals["words"] = {"step": STEP_WORDS, "check": CHECK_WORDS, "action": ACTION_WORDS, "run": RUN_WORDS,
                            "health": HEALTH_WORDS, "evidence": EVIDENCE_WORDS, "onboarding": ONBOARDING_WORDS,
                            "waiting": WAITING_WORDS, "outcome": OUTCOME_WORDS,
                            "running": RUNNING_WORDS}
    # Macros as a global rather than per-template imports, so a block rendered on its own for htmx
    # has them too (a template's top-level imports only run when the whole page renders).
    env.globals["ui"] = env.get_template("_macros.html").module
    env.globals["aws_regions"] = [(code, f"{name}: {code}") for code, name in AWS_REGION_NAMES.items()]
    from app.web.urls import template_url_for

    env.globals["url_for"] = template_url_for
    return Jinja2Templates(env=env, context_processors=[_base_context])


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    block: str | None = None,
    page_url: str | None = None,
) -> HTMLResponse:
    """The whole page, or for an htmx request the block named after its target element
    (``hx-target="#operator-list"`` renders ``{% block operator_list %}``; default ``main``).

    ``page_url`` is the address that shows this page (``GET``) when it is drawn in answer to a form
    (a refusal, a revealed secret): the browser is told to show it instead of the form's address, so
    reloading the page, or opening the address again, never sends the form a second time."""
    templates: Jinja2Templates = request.app.state.onboard.templates
    if page_url and request.method == "POST":
        context = {**(context or {}), "page_url": page_url}
    if block is None and is_htmx(request):
        target = request.headers.get("hx-target", "").lstrip("#").replace("-", "_")
        template = templates.env.get_template(name)
        block = target if target in template.blocks else "main"
    if block is None:
        response = templates.TemplateResponse(
            request, name, dict(context or {}), status_code=status_code, headers=headers
        )
        return response
    template = templates.env.get_template(name)
    full: dict[str, Any] = {"request": request}
    for processor in templates.context_processors:
        full.update(processor(request))
    full.update(context or {})
    html = "".join(template.blocks[block](template.new_context(full)))
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
