"""The person at the keyboard during a live run: the steps only a person can do (open the
service account's activation link and choose its password, sign in as the account and create its
API token, confirm what the wizard asks to be confirmed).

:class:`TerminalPerson` asks a real person on the terminal (``make test-live``).
:class:`SandboxPerson` does the same steps in the sandbox's own pages over HTTP (its activation
page and its Admin Console), so the live mode's code runs in CI up to the point where only a
real org can say more."""

from __future__ import annotations

import getpass
import html
import re
import secrets
import sys
from collections.abc import Callable
from typing import Protocol

import httpx

from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE


class Person(Protocol):
    def tell(self, message: str) -> None:
        """Show what happens (the run is long on a real org; the person follows it)."""

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question; True means yes."""

    def activate(self, login: str, activation_link: str) -> None:
        """Open the activation link and choose the account's password (and MFA, on real Okta)."""

    def create_token(self, login: str, user_id: str, token_name: str) -> str:
        """Sign in as the account, create an API token named ``token_name`` (Any IP), return its value."""

    def install_integration(self, name: str, scopes: list[str]) -> None:
        """Install the API service integration ``name`` from the catalog with ``scopes`` (Okta refused
        the wizard's catalog key, so a person does it in the Admin Console)."""

    def uninstall_integration(self, name: str) -> None:
        """Uninstall the integration installed by hand for the run (undo leaves what it adopted)."""


class TerminalPerson:
    """Prompts on the terminal. ``ask``/``ask_secret`` are injectable for tests of the prompts."""

    def __init__(self, ask: Callable[[str], str] = input, ask_secret: Callable[[str], str] = getpass.getpass,
                 out: Callable[[str], None] | None = None) -> None:
        self.ask = ask
        self.ask_secret = ask_secret
        self.out = out or (lambda text: print(text, file=sys.stderr, flush=True))

    def tell(self, message: str) -> None:
        self.out(f"[live] {message}")

    def confirm(self, question: str) -> bool:
        answer = self.ask(f"[live] {question} [y/N] ").strip().lower()
        return answer in {"y", "yes"}

    def activate(self, login: str, activation_link: str) -> None:
        self.out("\n[live] Manual step: activate the service account.\n"
                 f"  1. Open this link in a private browser window:\n     {activation_link}\n"
                 f"  2. Choose a password for {login} (and enrol the MFA factors Okta asks for).\n"
                 "  3. Stay signed in: the next step creates its API token.")
        self.ask("[live] Press Enter once the account is active. ")

    def create_token(self, login: str, user_id: str, token_name: str) -> str:
        self.out("\n[live] Manual step: create the service account's API token.\n"
                 f"  1. Signed in as {login}, open the Admin Console: Security > API > Tokens.\n"
                 f"  2. Create token, name it \"{token_name}\", allow Any IP.\n"
                 "  3. Copy the value (Okta shows it once).")
        while True:
            value = self.ask_secret("[live] Paste the token value (not echoed): ").strip()
            if value:
                return value
            self.out("[live] Nothing was pasted; try again.")


    def install_integration(self, name: str, scopes: list[str]) -> None:
        self.out("\n[live] Manual step: Okta refused the wizard's catalog key, so install the integration by hand.\n"
                 f"  1. Admin Console: Applications > API Service Integrations > Add Integration > {name} > Install.\n"
                 f"  2. Grant exactly these scopes: {', '.join(scopes)}.\n"
                 "  3. You need not copy the client secret: the wizard makes a new one.")
        while not self.confirm(f"Is {name} installed?"):
            self.out("[live] The run waits until it is installed.")

    def uninstall_integration(self, name: str) -> None:
        self.out(f"\n[live] Manual step: uninstall {name} (Applications > API Service Integrations > {name} > "
                 "Uninstall); you installed it for this run, and the wizard never removes what it adopted.")
        while not self.confirm(f"Is {name} uninstalled?"):
            self.out("[live] The org is compared with how it was found once it is uninstalled.")


_TOKEN_VALUE = re.compile(r'id="token-value"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="token-value"')


class SandboxPerson:
    """Does the person's steps in the sandbox's pages over HTTP, as a browser would: the activation
    page behind the link (choose a password) and the Admin Console (sign in as the account, create
    a token). It never calls the sandbox's internals, so the run is the one a real org gets."""

    def __init__(self, sandbox_url: str, *, answers: bool = True, log: list[str] | None = None,
                 admin_token: str | None = None) -> None:
        self.sandbox_url = sandbox_url.rstrip("/")
        # The Admin Console acts with the admin's session; here, the admin's token does the same calls.
        self.admin_token = admin_token
        self.installed: dict[str, str] = {}
        self.answers = answers
        self.log = log if log is not None else []
        self.password = "Live-" + secrets.token_urlsafe(12) + "9a"
        # What the person handled, so a test can look for it where it must not be (the recording).
        self.handled: list[str] = [self.password]

    def tell(self, message: str) -> None:
        self.log.append(message)

    def confirm(self, question: str) -> bool:
        self.log.append(f"confirm? {question} -> {'yes' if self.answers else 'no'}")
        return self.answers

    def activate(self, login: str, activation_link: str) -> None:
        self.handled.append(activation_link)
        with httpx.Client(timeout=10) as http:
            page = http.get(activation_link)
            assert page.status_code == 200, f"activation page: {page.status_code}"
            done = http.post(activation_link, data={"password": self.password, "password_again": self.password})
        assert done.status_code == 200 and f"{login} is active" in html.unescape(done.text), done.text[:500]
        self.log.append(f"activated {login}")

    def create_token(self, login: str, user_id: str, token_name: str) -> str:
        with httpx.Client(base_url=self.sandbox_url, timeout=10) as http:
            console = http.get("/__sandbox__/console")
            assert console.status_code == 200, console.status_code
            # Only active administrators are offered as whom to sign in as.
            assert f'<option value="{user_id}"' in console.text, f"{login} cannot sign in to the Admin Console"
            created = http.post("/__sandbox__/console/tokens",
                                data={"user_id": user_id, "name": token_name, "network": "ANYWHERE"})
        assert created.status_code == 201, created.text[:500]
        match = _TOKEN_VALUE.search(created.text)
        assert match, "the console showed no token value"
        self.log.append(f"created token {token_name} as {login}")
        value = html.unescape(match.group(1) or match.group(2))
        self.handled.append(value)
        return value

    def install_integration(self, name: str, scopes: list[str]) -> None:
        assert self.admin_token, "the sandbox person needs the admin's token to act in the console"
        catalog = {"Authomize Identity Security": AUTHOMIZE_TYPE}  # what the console lists under that name
        with httpx.Client(base_url=self.sandbox_url, timeout=10,
                          headers={"Authorization": f"SSWS {self.admin_token}"}) as http:
            installed = http.post("/integrations/api/v1/api-services", json={"type": catalog[name],
                                                                             "grantedScopes": scopes})
        assert installed.status_code == 201, installed.text[:500]
        self.installed[name] = str(installed.json()["id"])
        self.handled.append(str(installed.json()["clientSecret"]))
        self.log.append(f"installed {name} by hand")

    def uninstall_integration(self, name: str) -> None:
        with httpx.Client(base_url=self.sandbox_url, timeout=10,
                          headers={"Authorization": f"SSWS {self.admin_token}"}) as http:
            gone = http.delete(f"/integrations/api/v1/api-services/{self.installed.pop(name)}")
        assert gone.status_code == 204, gone.text[:500]
        self.log.append(f"uninstalled {name}")
