"""What every response carries: a strict Content-Security-Policy and the other security headers;
and templates that keep it strict (no inline scripts, styles or event handlers)."""

from __future__ import annotations

import re

import pytest

from app.settings import PROJECT_ROOT, Settings
from tests.support import add_operator, web_client


@pytest.mark.parametrize("path", ["/sign-in", "/healthz", "/", "/static/app.css", "/does-not-exist"])
def test_security_headers_on_every_response(settings: Settings, path: str) -> None:
    with web_client(settings) as web:
        response = web.get(path)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_pages_are_not_cached_but_static_files_are_allowed_to_be(settings: Settings) -> None:
    with web_client(settings) as web:
        assert web.get("/sign-in").headers["cache-control"] == "no-store"
        assert web.get("/static/app.css").headers.get("cache-control") != "no-store"


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"<style[\s>]", re.I),
    re.compile(r"<[a-z][^>]*\sstyle=", re.I),
    re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    re.compile(r"\shx-on", re.I),
    re.compile(r"javascript:", re.I),
    re.compile(r"https?://(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}/[^\"']*\.(js|css)", re.I),
]


def test_templates_have_no_inline_code_or_cdn() -> None:
    for path in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in INLINE:
            assert not pattern.search(text), f"{path.name}: {pattern.pattern}"


def test_page_is_accessible_shell(settings: Settings) -> None:
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        html = web.get("/operators").text
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert 'aria-current="page"' in html
    # Every form control has a label.
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert ids <= labelled, ids - labelled


def test_not_found_page_is_friendly(settings: Settings) -> None:
    with web_client(settings) as web:
        response = web.get("/nothing/here")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.text


def test_server_error_page_hides_internals(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail: SSWS 00secret-token-value-in-error")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "internal detail" not in response.text
    assert "00secret-token-value" not in response.text
    assert re.search(r"Reference: <code>[0-9a-f]{8}</code>", response.text)
