"""The database goes away for a while: pages answer a clear 503, /readyz fails, nothing that was
saved is lost, and the server recovers by itself when the database returns. (A server database:
the Postgres run; SQLite is a file inside the server's own process.)"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from app.settings import Settings
from tests.support import add_operator, web_client
from tests.tcpproxy import tcp_proxy


def test_a_database_outage_is_a_503_and_the_server_recovers(settings: Settings, db_backend: str) -> None:
    if db_backend != "postgres":
        pytest.skip("an outage is a server database's; SQLite lives in the server's own process")
    url = make_url(settings.resolved_database_url)
    add_operator(settings, "ana", "admin")
    with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        # A new Settings (not model_copy: the resolved URL is cached on the instance).
        proxied = Settings(**{**settings.model_dump(exclude={"database_url"}),
                              "database_url": url.set(host="127.0.0.1", port=proxy.port)
                              .render_as_string(hide_password=False)})
        with web_client(proxied, raise_server_exceptions=False) as web:
            assert web.sign_in("ana").status_code == 303
            assert web.get("/").status_code == 200
            web.post("/operators", {"username": "kept", "display_name": "Saved before the outage",
                                    "role": "operator", "password": "a long enough password"}, page="/operators")

            proxy.sever()
            ready = web.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
            page = web.get("/operators")
            assert page.status_code == 503
            assert "The database cannot be reached right now. Nothing was lost" in page.text
            assert web.get("/healthz").status_code == 200  # the process itself is alive

            proxy.restore()
            assert web.get("/readyz").status_code == 200
            recovered = web.get("/operators")
            assert recovered.status_code == 200
            assert "Saved before the outage" in recovered.text
