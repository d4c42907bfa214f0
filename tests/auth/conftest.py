"""The set-up of the signed-out-by-the-server tests: an administrator (boss) and Olga, an operator,
signed in in a browser of her own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.settings import Settings
from tests.support import Web, add_operator, web_client


@dataclass(frozen=True)
class SignedIn:
    web: Web  # Olga's browser, signed in
    operator_id: object  # her operator id, for the administrator's forms


@pytest.fixture
def olga(settings: Settings) -> Iterator[SignedIn]:
    add_operator(settings, "boss", "admin")
    operator = add_operator(settings, "olga")
    with web_client(settings) as web:
        web.sign_in("olga")
        yield SignedIn(web, operator.id)
