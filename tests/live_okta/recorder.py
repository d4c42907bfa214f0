"""Records every exchange with Okta in go-vcr's cassette format (``version: 2``, the format of
the recordings under tests/recordings/okta/), with tokens and secrets redacted, so a live run on
a real org becomes conformance data the sandbox can be checked against.

The recorder wraps the transport the wizard's Okta client uses (the seam ``create_app`` offers
as ``okta_transport``): it sees the request as sent and the response as received, whatever the
client does with them. Redaction is by name (the Authorization header, JSON keys and form fields
that hold credentials) and by value (a credential seen once, say an activation token in a
response, is masked wherever it shows up later, in a URL as much as in a body)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import yaml

REDACTED = "REDACTED"
# JSON keys and form fields (compared lowercased) whose values are credentials. ``value`` is
# Okta's ``credentials.password.value``; ``activationurl`` carries the activation token.
SECRET_KEYS = frozenset({
    "token", "api_token", "apitoken", "secret", "client_secret", "clientsecret", "password", "value",
    "activationtoken", "activation_token", "activationurl", "access_token", "refresh_token", "id_token",
    "client_assertion", "assertion", "private_key", "code", "code_verifier", "sessiontoken", "recoverytoken",
    "resetpasswordurl",
})
# Headers whose values are credentials, masked whatever they hold (the scheme is kept).
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-csrf-token", "proxy-authorization"})
# Query parameters that carry credentials in Okta URLs.
SECRET_PARAMS = frozenset({"token", "activationtoken", "sessiontoken", "code", "client_secret", "access_token"})
_MIN_SECRET = 6
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Redactor:
    """Masks credentials in headers, bodies and URLs; remembers every value it masked by name
    (and every value it is told about), and masks those wherever else they appear."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        for value in secrets:
            self.remember(value)

    def remember(self, value: str) -> None:
        value = value.strip()
        if len(value) < _MIN_SECRET or value == REDACTED:
            return
        if value.startswith(("https://", "http://")):
            # An activation or reset URL ends with the token itself: the token is the secret (the
            # org's address before it is not, and must stay readable in every other URL).
            value = value.rstrip("/").rsplit("/", 1)[-1]
            if len(value) < _MIN_SECRET:
                return
        with self._lock:
            self._known.add(value)

    def text(self, value: str) -> str:
        with self._lock:
            known = sorted(self._known, key=len, reverse=True)
        for secret in known:
            value = value.replace(secret, REDACTED)
        return value

    def header(self, name: str, value: str) -> str:
        if name.lower() not in SECRET_HEADERS:
            return self.text(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.upper() in {"SSWS", "BEARER", "BASIC", "DPOP"}:
            self.remember(credential)
            return f"{scheme} {REDACTED}"
        self.remember(value)
        return REDACTED

    def data(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._masked(item) if isinstance(key, str) and key.lower() in SECRET_KEYS
                    else self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value

    def _masked(self, value: Any) -> Any:
        """A credential's value: strings become REDACTED; an object (Okta's ``password: {value}``)
        keeps its shape with each string inside masked."""
        if isinstance(value, str):
            if not value:
                return value
            self.remember(value)
            return REDACTED
        if isinstance(value, dict):
            return {key: self._masked(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        return value

    def body(self, raw: bytes, content_type: str) -> str:
        text = raw.decode("utf-8", "replace")
        if not text.strip():
            return text
        if "json" in content_type:
            try:
                parsed = json.loads(text)
            except ValueError:
                return self.text(text)
            # Mask by name first (that also learns the values), then every learned value.
            return self.text(json.dumps(self.data(parsed), separators=(",", ":"), ensure_ascii=False))
        if "x-www-form-urlencoded" in content_type:
            return self.text(urlencode(self.form(text)))
        return self.text(text)

    def form(self, text: str) -> list[tuple[str, str]]:
        pairs = parse_qsl(text, keep_blank_values=True)
        out = []
        for key, value in pairs:
            if key.lower() in SECRET_KEYS and value:
                self.remember(value)
                value = REDACTED
            out.append((key, value))
        return out

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = parts.query
        if query:
            pairs = []
            for key, value in parse_qsl(query, keep_blank_values=True):
                if key.lower() in SECRET_PARAMS and value:
                    self.remember(value)
                    value = REDACTED
                pairs.append((key, value))
            query = urlencode(pairs)
        return self.text(urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment)))


class Cassette:
    """The interactions recorded so far; ``save`` writes them as a go-vcr version 2 cassette."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        self.interactions: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, request: httpx.Request, request_body: bytes, response: httpx.Response, response_body: bytes,
            seconds: float) -> None:
        r = self.redactor
        # The response first: it may hand out a credential (a client secret, an activation token)
        # that the request's URL of a later call, or this cassette's earlier text, must not show.
        response_text = r.body(response_body, response.headers.get("content-type", ""))
        request_form: dict[str, list[str]] = {}
        request_type = request.headers.get("content-type", "")
        if "x-www-form-urlencoded" in request_type:
            for key, value in r.form(request_body.decode("utf-8", "replace")):
                request_form.setdefault(key, []).append(value)
        request_text = r.body(request_body, request_type)
        interaction = {
            "request": {
                "proto": "HTTP/1.1", "proto_major": 1, "proto_minor": 1,
                "content_length": len(request_body), "transfer_encoding": [], "trailer": {},
                "host": request.url.host, "remote_addr": "", "request_uri": "",
                "body": request_text, "form": request_form,
                "headers": _headers(request.headers, r), "url": r.url(str(request.url)), "method": request.method,
            },
            "response": {
                "proto": "HTTP/1.1", "proto_major": 1, "proto_minor": 1, "transfer_encoding": [], "trailer": {},
                "content_length": -1, "uncompressed": True,
                "body": response_text,
                "headers": _headers(response.headers, r, drop={"content-length", "content-encoding"}),
                "status": f"{response.status_code} {_REASONS.get(response.status_code, response.reason_phrase)}",
                "code": response.status_code,
                "duration": f"{seconds:.6f}s",
            },
        }
        with self._lock:
            interaction = {"id": len(self.interactions), **interaction}
            self.interactions.append(interaction)

    def save(self, path: Path) -> Path:
        """Write the cassette; every text is masked once more with all values learned by now
        (a credential first seen late in the run is masked in the calls made before it)."""
        with self._lock:
            interactions = [self._final(i) for i in self.interactions]
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": 2, "interactions": interactions}
        path.write_text("---\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000),
                        encoding="utf-8")
        return path

    def _final(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.text(value)
        if isinstance(value, dict):
            return {key: self._final(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._final(item) for item in value]
        return value


def _headers(headers: httpx.Headers, redactor: Redactor, drop: frozenset[str] | set[str] = frozenset()
             ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        if name.lower() in drop:
            continue
        out.setdefault(_canonical(name), []).append(redactor.header(name, value))
    return out


def _canonical(name: str) -> str:
    """Go's canonical header form (``content-type`` → ``Content-Type``), as the cassettes show."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes each request to ``inner`` and adds the exchange to ``cassette``. The response is
    handed on with its raw bytes intact (the client decodes it as it would have)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, cassette: Cassette) -> None:
        self.inner = inner
        self.cassette = cassette

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request_body = await request.aread()
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        except httpx.StreamConsumed:
            # An in-process transport (the sandbox's, a mock) answers with the body already read.
            raw = response.content
        finally:
            await response.aclose()
        seconds = time.perf_counter() - started
        decoded = httpx.Response(response.status_code, headers=response.headers, content=raw).content
        self.cassette.add(request, request_body, response, decoded, seconds)
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw),
                              request=request, extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def cassette_path(root: Path, vendor: str, host: str, stamp: str) -> Path:
    """Where a live run's cassette goes: ``<root>/Live_<vendor>/<host>-<stamp>.yaml``, the layout
    of the recordings folder (one folder per scenario, one file per org)."""
    return root / f"Live_{_SAFE_NAME.sub('_', vendor)}" / f"{_SAFE_NAME.sub('_', host)}-{stamp}.yaml"
