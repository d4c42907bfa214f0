"""Each vendor's onboarding driven through the wizard's own pages, the way a person with a browser
does it: a TestClient submits the forms exactly as the pages render them (hidden fields, the CSRF
token and the defaults a person would leave included, only the fields a person types changed),
follows every redirect, and keeps every response, so a test can search everything a flow showed.

Okta is the sandbox org in process. What a person does outside the wizard (activate the service
account, create its token in the Admin Console) is done on the sandbox org directly."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pypdfium2
from fastapi.testclient import TestClient

from app.auth.setup import issue_setup_token
from app.common.clock import FakeClock
from app.main import create_app
from app.settings import Settings
from app.store.models import Onboarding
from app.web.state import AppState
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.access import MATRIX
from tests.in_app import InApp

# -- forms, as a browser reads them -----------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)

    def data(self, **overrides: str | None) -> dict[str, str]:
        """What the browser sends, with the fields a person changed (None: left empty/unticked)."""
        values = dict(self.fields)
        for name, value in overrides.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return values


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._button: list[str] | None = None
        self._by_id: dict[str, Form] = {}
        # The form the open textarea, select or button belongs to (its own, or the one its form= names).
        self._owner: Form | None = None
        # A button with formaction sends its form's fields elsewhere: a form of its own here, whose
        # method is its form's (known once that form's tag is read: it may come later in the page).
        self._sent_elsewhere: list[tuple[Form, Form]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            # A form named by a control before it (form=) was made then; it is filled in here.
            self._form = self._by_id.pop(a["id"], None) if a.get("id") else None
            self._form = self._form or Form("", "")
            self._form.action, self._form.method = a.get("action", ""), a.get("method", "get").lower()
            self.forms.append(self._form)
            if a.get("id"):
                self._by_id[a["id"]] = self._form
        if tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
            return
        # A control outside its form joins the one its form= attribute names, as a browser does,
        # wherever that form is in the page.
        owner = self._by_id.setdefault(a["form"], Form("", "")) if a.get("form") else self._form
        if owner is None or "disabled" in a:
            return
        if tag == "button" and a.get("formaction"):
            elsewhere = Form(a["formaction"], a.get("formmethod", "").lower(), owner.fields)
            self.forms.append(elsewhere)
            self._sent_elsewhere.append((elsewhere, owner))
            owner = elsewhere
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image") or not name:
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            owner.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag in ("textarea", "select", "button"):
            self._owner = owner
        if tag == "input":
            return
        if tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "button":
            self._button = []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        owner = self._owner
        if tag == "textarea" and self._textarea is not None and owner is not None:
            text = "".join(self._textarea[1])
            owner.fields.append((self._textarea[0], text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None and owner is not None:
            name, options = self._select
            chosen = next((value for value, selected in options if selected), options[0][0] if options else "")
            owner.fields.append((name, chosen))
            self._select = None
        elif tag == "button" and self._button is not None and owner is not None:
            owner.buttons.append(" ".join("".join(self._button).split()))
            self._button = None
        elif tag == "form":
            self._form = None

    def close(self) -> None:
        super().close()
        for elsewhere, owner in self._sent_elsewhere:  # every form's method is known by now
            elsewhere.method = elsewhere.method or owner.method


@functools.lru_cache(maxsize=16)
def page_forms(html: str) -> tuple[Form, ...]:
    """The forms of a page (read once per page: a flow asks a page for several of its forms)."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return tuple(parser.forms)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "input" and "name" in named:
            self.inputs.setdefault(named["name"], named)


def input_attributes(html: str, name: str) -> dict[str, str]:
    """The attributes of the first input named ``name``, as a browser reads them."""
    parser = _Inputs()
    parser.feed(html)
    parser.close()
    return parser.inputs[name]


# -- what a flow showed --------------------------------------------------------------------


@dataclass
class Shown:
    """One response: what was asked, and what came back."""

    request: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, table-cell line breaks folded away."""
    pdf = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    return " ".join(text.split())


class Journey(InApp):
    """A browser-like client of one wizard application, keeping every response it got."""

    def __init__(self, client: TestClient, state: AppState, org: SandboxOrg, clock: FakeClock) -> None:
        self.client = client
        self.state = state
        self.org = org
        self.clock = clock
        self.shown: list[Shown] = []
        # Responses that show a kept secret on purpose (a Reveal): searched separately.
        self.revealed: list[Shown] = []

    # -- plumbing --
    def wait_for_jobs(self) -> None:
        self.run(lambda: self.state.jobs.wait_idle(60))

    def _keep(self, request: str, response: Any, *, revealed: bool = False) -> None:
        shown = Shown(request, response.status_code, response.headers.get("content-type", ""), response.content,
                      dict(response.headers))
        (self.revealed if revealed else self.shown).append(shown)

    def get(self, url: str, *, follow: bool = True, **kwargs: Any) -> Any:
        response = self.client.get(url, **kwargs)
        self._keep(f"GET {url}", response)
        location = response.headers.get("location", "")
        if follow and response.status_code in (302, 303) and location.startswith(("/", "http://testserver/")):
            return self.get(location)
        return response

    def submit(self, form: Form, **fields: str | None) -> Any:
        """Submit ``form`` as rendered, with the ``fields`` a person changed (None: emptied or
        unticked); a redirect is followed like a browser."""
        return self.post_form(form, fields)

    def post_form(self, form: Form, fields: dict[str, str | None], *, revealed: bool = False) -> Any:
        assert form.method == "post", form
        url = form.action.replace("http://testserver", "")
        response = self.client.post(url, data=form.data(**fields))
        self._keep(f"POST {url}", response, revealed=revealed)
        if response.status_code in (302, 303):
            return self.get(response.headers["location"])
        return response

    def form(self, html: str, action_ends: str, *, button: str | None = None) -> Form:
        found = self.forms(html, action_ends, button=button)
        assert found, f"no form posting to …{action_ends}" + (f" with '{button}'" if button else "")
        return found[0]

    @staticmethod
    def forms(html: str, action_ends: str, *, button: str | None = None) -> list[Form]:
        return [f for f in page_forms(html) if f.action.endswith(action_ends)
                and (button is None or any(b.startswith(button) for b in f.buttons))]

    # -- the operator --
    def first_admin(self, settings: Settings, username: str, password: str, *, mistyped: str | None = None) -> None:
        """The first-run setup page, then signing out and in again with the password chosen
        (after a try with ``mistyped``, refused)."""
        async def issue() -> str | None:
            async with self.state.db.session() as session:
                return await issue_setup_token(session, settings)

        token = self.run(issue)
        assert token
        page = self.get(f"/setup?token={token}").text
        response = self.submit(self.form(page, "/setup"), username=username, display_name=username.title(),
                               password=password, confirm_password=password)
        assert response.status_code == 200 and "first administrator" in response.text, response.text
        self.submit(self.form(response.text, "/sign-out"))
        if mistyped:
            page = self.get("/sign-in").text
            refused = self.submit(self.form(page, "/sign-in"), username=username, password=mistyped)
            assert "Sign out" not in refused.text, refused.text
        self.sign_in(username, password)

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/sign-in").text
        response = self.submit(self.form(page, "/sign-in"), username=username, password=password)
        assert response.status_code == 200 and "Sign out" in response.text, response.text

    def connect(self, token: str, label: str = "Sandbox", *, mistyped: str | None = None) -> uuid.UUID:
        """Add the sandbox org with ``token`` (after trying ``mistyped``, which Okta refuses)."""
        for attempt in ([mistyped] if mistyped else []) + [token]:
            page = self.get("/connections").text
            response = self.submit(self.form(page, "/connections"), org_url=self.org.base_url, api_token=attempt,
                                   label=label)
            if attempt == mistyped:
                assert response.status_code == 400 and "Okta did not accept this API token" in response.text
        # The message names the connection as the lists will (the name typed, or the one chosen).
        assert re.search(r"Connection “[^”]+” to \S+ added: the token belongs to", response.text), response.text
        new = self.get("/onboardings/new").text
        [connection] = [value for name, value in self.form(new, "/onboardings").fields if name == "connection"]
        return uuid.UUID(connection)

    # -- an onboarding --
    def start(self, vendor: str, connection_id: uuid.UUID, *, another: bool = False) -> uuid.UUID:
        """Start an onboarding; ``another``: one of this vendor is open on the org already, and the
        person ticked that they mean to start a second."""
        page = self.get("/onboardings/new").text
        response = self.client.post("/onboardings", data=self.form(page, "/onboardings").data(
            vendor=vendor, connection=str(connection_id), start_another="1" if another else None))
        self._keep("POST /onboardings", response)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        self.get(location)
        return uuid.UUID(location.split("/onboardings/", 1)[1].split("#")[0].split("?")[0])

    def save_values(self, onboarding_id: uuid.UUID, step: str, **values: str | None) -> None:
        """The values of one step, as typed into its form (``input_`` is added to each name)."""
        page = self.get(f"/onboardings/{onboarding_id}").text
        # The page's one form of values, saved with this step's button (as a person presses it).
        [form] = self.forms(page, "/inputs")
        assert any(key == "steps" and step in value.split(",") for key, value in form.fields), form.fields
        response = self.post_form(form, {"at": step, **{f"input_{name}": value for name, value in values.items()}})
        assert "Values saved" in response.text, response.text

    def plan_and_apply(self, onboarding_id: uuid.UUID) -> None:
        """Make the plan, confirm it, and wait for what it applies."""
        url = f"/onboardings/{onboarding_id}"
        self.submit(self.form(self.get(url).text, "/plan"))
        self.submit(self.form(self.get(url).text, "/confirm"))
        self.wait_for_jobs()

    def paste_service_token(self, onboarding_id: uuid.UUID, name: str, **token: Any) -> Any:
        """As the person behind the service account: activate it, make a token (``token``: the
        sandbox's options, a network zone say) and paste it on the page; the page's answer."""
        account = str(self.onboarding(onboarding_id).facts["service_account_id"])
        self.org.complete_activation(account)
        value = self.org.issue_api_token(account, name, **token)
        pasted = self.submit(self.form(self.get(f"/onboardings/{onboarding_id}").text, "/token"), service_token=value)
        assert "Token verified" in pasted.text, pasted.text
        self.wait_for_jobs()
        return pasted

    def attest(self, form: Form, **fields: str | None) -> Any:
        """Submit an attestation's form. The vendor has not called Okta with the token in these
        journeys: one that proves it connected warns, and the person confirms despite it (both ways:
        tests/onboardings/test_connection_proof.py)."""
        answer = self.submit(form, **fields)
        if answer.status_code == 409 and 'name="despite_no_use"' in answer.text:
            answer = self.submit(self.form(answer.text, "/attest/" + form.action.rsplit("/attest/", 1)[1]),
                                 **fields, despite_no_use="yes")
        return answer

    def complete(self, onboarding_id: uuid.UUID, *, service_token: Callable[[str], str] | None = None,
                 wrong_tokens: tuple[str, ...] = (), reveal: tuple[str, ...] = (), rounds: int = 12) -> Onboarding:
        """Plan, confirm, then what the page offers, in a person's order, until it is completed:
        paste the service account's token (``service_token`` makes it, given the account's id;
        ``wrong_tokens`` are pasted first, and refused), continue applying, start the timers (and
        let the clock run past them), reveal the kept secrets named in ``reveal``, verify, attest,
        generate test events, verify again."""
        url = f"/onboardings/{onboarding_id}"
        self.submit(self.form(self.get(url).text, "/plan"))
        self.submit(self.form(self.get(url).text, "/confirm"))
        self.wait_for_jobs()
        revealed: set[str] = set()
        for _ in range(rounds):
            page = self.get(url).text
            onboarding = self.onboarding(onboarding_id)
            if onboarding.status == "completed":
                return onboarding
            facts = onboarding.facts
            token_forms = self.forms(page, "/token")
            if token_forms and service_token and facts.get("service_account_id") \
                    and not facts.get("service_token_verified"):
                account = str(facts["service_account_id"])
                if self.org.users[account].status != "ACTIVE":
                    self.org.complete_activation(account)
                form = token_forms[0]
                for wrong in wrong_tokens:
                    refused = self.submit(form, service_token=wrong)
                    assert refused.status_code == 400 and "Token verified" not in refused.text, refused.text
                    form = self.form(refused.text, "/token")
                response = self.submit(form, service_token=service_token(account))
                assert "Token verified" in response.text, response.text
                self.wait_for_jobs()  # what waited for the token runs at once
                continue
            apply = self.forms(page, "/apply")
            if apply:
                self.submit(apply[0])
                self.wait_for_jobs()
                continue
            timers = self.forms(page, "", button="Start the")
            if timers:
                for timer in timers:
                    self.submit(timer)
                self.clock.advance(31 * 60)
                continue
            for purpose in reveal:
                if purpose not in revealed and (forms := self.forms(page, f"/secrets/{purpose}")):
                    self.post_form(forms[0], {}, revealed=True)
                    revealed.add(purpose)
            verify = self.forms(page, "/verify") or self.forms(page, "/reverify")
            assert verify, f"nothing to do on the page of a {onboarding.status} onboarding: {onboarding.status_note}"
            self.submit(verify[0])
            self.wait_for_jobs()
            page = self.get(url).text
            for step_form in self.forms(page, "", button="I confirm:"):
                self.attest(step_form)
            for step_form in self.forms(page, "", button="Generate a"):
                self.submit(step_form)
            self.wait_for_jobs()  # the last attestation verifies at once
        onboarding = self.onboarding(onboarding_id)
        raise AssertionError(f"not completed: {onboarding.status} ({onboarding.status_note})")

    # -- every page --
    def visit_everything(self, onboarding_id: uuid.UUID | str, *, shared: bool = True) -> dict[str, Shown]:
        """Every GET route of the application (tests/access.py lists them all), path parameters
        filled with this onboarding, and the audit trail page by page; without ``shared`` only the
        pages of this onboarding. Returns the response to each URL."""
        seen: dict[str, Shown] = {}
        for url in get_urls(onboarding_id):
            if shared or str(onboarding_id) in url:
                self.get(url, follow=False)
                seen[url] = self.shown[-1]
        page = seen["/audit"].text if shared else ""
        # Page by page to the oldest, by its "Older" link (a page also links back to the newer ones).
        while older := re.search(r'<a href="([^"]+)">Older ›</a>', page):
            page = self.get(older.group(1).replace("&amp;", "&").replace("http://testserver", "")).text
        return seen

    # -- searching --
    def haystacks(self) -> dict[str, bytes | str]:
        """Everything the flow showed: each page and export, PDFs as their text too."""
        found: dict[str, bytes | str] = {}
        for index, shown in enumerate(self.shown):
            key = f"{shown.request} #{index}"
            found[key] = shown.body
            if shown.content_type.startswith("application/pdf"):
                found[key + " (PDF text)"] = pdf_text(shown.body)
        return found


def get_urls(onboarding_id: uuid.UUID | str) -> list[str]:
    """Every GET route of tests/access.py, its path parameters filled with ``onboarding_id``."""
    urls: list[str] = []
    for entry in MATRIX:
        if entry.method != "GET":
            continue
        path = entry.path.replace("{onboarding_id}", str(onboarding_id)).replace("{purpose}", "activation_link")
        assert "{" not in path.replace("{fmt}", ""), f"fill the parameters of {entry.path}"
        urls += [path.replace("{fmt}", fmt) for fmt in ("json", "csv")] if "{fmt}" in path else [path]
    return urls


@contextmanager
def journey(settings: Settings, org: SandboxOrg, transport: SandboxTransport, clock: FakeClock) -> Iterator[Journey]:
    app = create_app(settings, clock=clock, okta_transport=lambda _org: transport, sandbox=org.demo)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        j = Journey(client, app.state.onboard, org, clock)
        try:
            yield j
        finally:
            j.let_jobs_end()
