"""Settings › Custom Okta domains, when a save is refused: the administrator gets back the page with
the text box holding exactly what they typed (nothing to type again), a 400, and a message naming
each refused line by its number and its text in curly quotes; nothing is saved or audited."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.settings import Settings
from app.store.models import AppSetting, AuditEvent
from app.store.repositories.app_settings import ALLOWED_DOMAINS_KEY, allowed_custom_domains
from tests.support import Web, add_operator, in_database, web_client

_TEXTAREA = re.compile(r'<textarea id="domains" name="domains"[^>]*>(.*?)</textarea>', re.S)
_FIELD_ERROR = re.compile(r'<p class="field-error" id="domains-error">(.*?)</p>', re.S)


def text_box(page: str) -> str:
    """The custom domains text box as a browser fills it (HTML drops one newline after the tag)."""
    match = _TEXTAREA.search(page)
    assert match, "no custom domains text box"
    value = html.unescape(match.group(1))
    return value[1:] if value.startswith("\n") else value


def field_error(page: str) -> str:
    match = _FIELD_ERROR.search(page)
    assert match, "no message by the custom domains text box"
    return html.unescape(match.group(1))


def stored(settings: Settings) -> list[str]:
    return in_database(settings, allowed_custom_domains)


def settings_changes(settings: Settings) -> int:
    async def count(session: Any) -> int:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "settings_change")
        return int((await session.execute(query)).scalar_one())

    return in_database(settings, count)


@pytest.fixture
def admin(settings: Settings) -> Any:
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        yield web


def save(web: Web, typed: str) -> Any:
    return web.post("/settings/domains", {"domains": typed}, page="/settings")


def test_a_refused_line_keeps_everything_typed_and_names_the_line(admin: Web, settings: Settings) -> None:
    typed = "login.acme.com\r\nsso.acme.example\r\nacme okta\r\nid.acme.io"
    response = save(admin, typed)
    assert response.status_code == 400
    # Exactly what was typed, in the same order, the bad line included (a browser sends CRLF).
    assert text_box(response.text) == typed
    message = field_error(response.text)
    assert message.startswith("Line 3, “acme okta”, has a space in it.")
    assert "Enter one host name per line, like login.acme.com." in message
    assert "The custom domains were not saved." in response.text
    assert 'aria-invalid="true" aria-describedby="domains-error"' in response.text
    assert stored(settings) == []
    assert settings_changes(settings) == 0


def test_each_refused_line_is_named_by_number_and_blank_lines_count(admin: Web, settings: Settings) -> None:
    typed = "\nlogin.acme.com\n\nhttps://sso.acme.example/app\nacme\nacme_id.example\n"
    response = save(admin, typed)
    assert response.status_code == 400
    assert text_box(response.text) == typed  # the blank first line too
    message = field_error(response.text)
    assert "Line 4, “https://sso.acme.example/app”, is a web address: enter only its host name" in message
    assert "Line 5, “acme”, is not a host name." in message
    assert "Line 6, “acme_id.example”, has characters other than the letters a to z" in message
    assert "Line 2" not in message and "Line 1," not in message  # good and blank lines are not named
    assert stored(settings) == []


def test_quotes_and_markup_in_a_line_stay_text(admin: Web, settings: Settings) -> None:
    typed = 'login.acme.com\n"acme".okta.com'
    response = save(admin, typed)
    assert response.status_code == 400
    assert text_box(response.text) == typed
    assert "&#34;acme&#34;" in response.text or "&quot;acme&quot;" in response.text  # escaped, not markup
    assert field_error(response.text).startswith("Line 2, “\"acme\".okta.com”, has characters other than")


def test_many_refused_lines_are_summed_up(admin: Web) -> None:
    typed = "\n".join(f"bad{n}" for n in range(1, 9))
    response = save(admin, typed)
    assert response.status_code == 400
    message = field_error(response.text)
    assert "Line 5, “bad5”, is not a host name." in message
    assert "Line 6" not in message
    assert "And 3 more lines that are not host names." in message


def test_a_refusal_leaves_the_saved_domains_as_they_were(admin: Web, settings: Settings) -> None:
    response = save(admin, "login.acme.com")
    assert response.status_code == 303
    assert stored(settings) == ["login.acme.com"]
    response = save(admin, "login.acme.com\nsso.acme.example\nnot a domain")
    assert response.status_code == 400
    assert text_box(response.text) == "login.acme.com\nsso.acme.example\nnot a domain"
    assert stored(settings) == ["login.acme.com"]
    assert settings_changes(settings) == 1
    # Loading the page again shows what is saved, not what was refused.
    assert text_box(admin.get("/settings").text) == "login.acme.com"


def test_an_accepted_save_is_normalised_and_shown(admin: Web, settings: Settings) -> None:
    response = save(admin, "  SSO.Acme.Example.\r\n\r\nlogin.acme.com\r\nlogin.acme.com")
    assert response.status_code == 303
    assert stored(settings) == ["login.acme.com", "sso.acme.example"]
    assert text_box(admin.get("/settings").text) == "login.acme.com\nsso.acme.example"


def test_an_over_long_list_is_refused_and_kept(admin: Web, settings: Settings) -> None:
    typed = "\n".join(f"host{n:04}.acme.example" for n in range(250))
    response = save(admin, typed)
    assert response.status_code == 400
    assert text_box(response.text) == typed
    assert "Custom domains must be at most 4000 characters." in field_error(response.text)
    assert in_database(settings, lambda session: session.get(AppSetting, ALLOWED_DOMAINS_KEY)) is None


def test_only_an_administrator_saves(settings: Settings) -> None:
    add_operator(settings, "opal", "operator")
    with web_client(settings) as web:
        web.sign_in("opal")
        response = save(web, "login.acme.com\nbad line")
        assert response.status_code == 403
    assert stored(settings) == []


def test_invisible_characters_are_named_not_hidden(admin: Web, settings: Settings) -> None:
    typed = "login.acme.com\n\u202emoc.emca\nsso\u200b.acme.example"
    response = save(admin, typed)
    assert response.status_code == 400
    assert text_box(response.text) == typed
    message = field_error(response.text)
    assert "Line 2, “[U+202E]moc.emca”, has an invisible or control character in it." in message
    assert "Line 3, “sso[U+200B].acme.example”, has an invisible or control character in it." in message
    assert "\u202e" not in message and "\u200b" not in message
    assert stored(settings) == []
