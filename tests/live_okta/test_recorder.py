"""The live mode's recorder: every exchange in go-vcr's version 2 cassette format, with no token or
secret left in it, while the wizard still receives Okta's answers unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.live_okta.recorder import REDACTED, Cassette, RecordingTransport, cassette_path

ADMIN_TOKEN = "00CANARYadminTOKENxyz0123456789abcdef"
CLIENT_SECRET = "CANARY-client-secret-Zq9w8e7r6t5y4u3i"
ACTIVATION = "CANARYactivationTOKEN42"
PASSWORD = "CanaryPassw0rd!x"
ORG = "https://dev-123456.okta.com"
REQUEST_KEYS = {"proto", "proto_major", "proto_minor", "content_length", "transfer_encoding", "trailer", "host",
                "remote_addr", "request_uri", "body", "form", "headers", "url", "method"}
RESPONSE_KEYS = {"proto", "proto_major", "proto_minor", "transfer_encoding", "trailer", "content_length",
                 "uncompressed", "body", "headers", "status", "code", "duration"}


def okta(request: httpx.Request) -> httpx.Response:
    """A few answers in Okta's shape, each handing out or taking a credential."""
    path = request.url.path
    if path == "/integrations/api/v1/api-services":
        return httpx.Response(201, json={"id": "0oa1", "type": "anzennaapiservice",
                                         "grantedScopes": ["okta.users.read"],
                                         "credentials": {"oauthClient": {"client_id": "0oaC",
                                                                         "client_secret": CLIENT_SECRET}}})
    if path.endswith("/lifecycle/activate"):
        return httpx.Response(200, json={"activationUrl": f"{ORG}/welcome/{ACTIVATION}",
                                         "activationToken": ACTIVATION})
    if path == "/oauth2/v1/token":
        return httpx.Response(200, json={"access_token": "eyCANARYaccess.token.value", "token_type": "Bearer"})
    if path.startswith("/welcome/"):
        return httpx.Response(404, json={"errorCode": "E0000007", "errorSummary": "Not found"})
    return httpx.Response(200, json={"id": "00u1", "profile": {"login": "svc@acme.example"}},
                          headers={"Link": f'<{ORG}/api/v1/users?after=00u1>; rel="next"'})


async def exchanges(cassette: Cassette) -> list[Any]:
    seen: list[Any] = []
    async with httpx.AsyncClient(transport=RecordingTransport(httpx.MockTransport(okta), cassette),
                                 base_url=ORG, headers={"Authorization": f"SSWS {ADMIN_TOKEN}"}) as client:
        seen.append((await client.post("/integrations/api/v1/api-services",
                                       json={"type": "anzennaapiservice"})).json())
        seen.append((await client.post("/api/v1/users", json={
            "profile": {"login": "svc@acme.example"}, "credentials": {"password": {"value": PASSWORD}}})).json())
        seen.append((await client.post("/api/v1/users/00u1/lifecycle/activate",
                                       params={"sendEmail": "false"})).json())
        # The activation token, learned from the answer above, later shows up in a URL.
        seen.append((await client.get(f"/welcome/{ACTIVATION}")).json())
        seen.append((await client.post("/oauth2/v1/token", data={
            "grant_type": "client_credentials", "client_id": "0oaC", "client_secret": CLIENT_SECRET})).json())
    return seen


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, list[Any]]:
    import asyncio

    cassette = Cassette()
    seen = asyncio.run(exchanges(cassette))
    return cassette.save(cassette_path(tmp_path, "authomize", "dev-123456.okta.com", "20260101T000000Z")), seen


def test_no_token_or_secret_is_left_in_the_recording(recorded: tuple[Path, list[Any]]) -> None:
    path, _seen = recorded
    text = path.read_text(encoding="utf-8")
    for canary in (ADMIN_TOKEN, CLIENT_SECRET, ACTIVATION, PASSWORD, "eyCANARYaccess"):
        assert canary not in text, f"{canary} is in the recording"
    document = yaml.safe_load(text)
    first, user, activate, welcome, token = document["interactions"]
    assert first["request"]["headers"]["Authorization"] == ["SSWS REDACTED"]
    secret = json.loads(first["response"]["body"])["credentials"]["oauthClient"]
    assert secret == {"client_id": "0oaC", "client_secret": REDACTED}
    assert json.loads(user["request"]["body"])["credentials"] == {"password": {"value": REDACTED}}
    assert json.loads(activate["response"]["body"]) == {"activationUrl": REDACTED, "activationToken": REDACTED}
    assert welcome["request"]["url"] == f"{ORG}/welcome/{REDACTED}"
    assert token["request"]["form"]["client_secret"] == [REDACTED]
    assert token["request"]["form"]["client_id"] == ["0oaC"]
    assert json.loads(token["response"]["body"])["access_token"] == REDACTED


def test_the_wizard_still_gets_what_okta_answered(recorded: tuple[Path, list[Any]]) -> None:
    _path, seen = recorded
    assert seen[0]["credentials"]["oauthClient"]["client_secret"] == CLIENT_SECRET
    assert seen[2]["activationToken"] == ACTIVATION


def test_the_recording_has_the_cassette_format_of_the_okta_recordings(recorded: tuple[Path, list[Any]]) -> None:
    path, _seen = recorded
    assert path.parent.name == "Live_authomize" and path.name == "dev-123456.okta.com-20260101T000000Z.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["version"] == 2
    interactions = document["interactions"]
    assert [i["id"] for i in interactions] == list(range(5))
    for interaction in interactions:
        assert set(interaction["request"]) == REQUEST_KEYS
        assert set(interaction["response"]) == RESPONSE_KEYS
        assert interaction["request"]["url"].startswith(ORG)
        assert interaction["response"]["duration"].endswith("s")
    first = interactions[0]
    assert (first["request"]["method"], first["request"]["host"]) == ("POST", "dev-123456.okta.com")
    assert (first["response"]["code"], first["response"]["status"]) == (201, "201 Created")
    assert first["response"]["headers"]["Content-Type"] == ["application/json"]
    assert interactions[1]["response"]["headers"]["Link"] == [f'<{ORG}/api/v1/users?after=00u1>; rel="next"']
    assert json.loads(interactions[1]["request"]["body"])["profile"] == {"login": "svc@acme.example"}
