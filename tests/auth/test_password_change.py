"""Issue 14, point 10: an operator whose password an administrator set (a new account, a reset)
chooses their own at the next sign-in before any other page: pages send them to the form, changes
are refused, and the change is audited without the password."""

from __future__ import annotations

from sqlalchemy import select, update

from app.settings import Settings
from app.store.db import create_sync_engine
from app.store.models import AuditEvent, Operator
from tests.support import PASSWORD, add_operator, web_client

GIVEN = "the password the admin gave"
OWN = "a pass phrase of my very own"


def _given_by_an_admin(settings: Settings, username: str) -> None:
    add_operator(settings, username, "operator", GIVEN)
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.begin() as connection:
        connection.execute(update(Operator).where(Operator.username == username).values(must_change_password=True))
    engine.dispose()


def test_an_admin_made_account_chooses_its_own_password_first(settings: Settings) -> None:
    _given_by_an_admin(settings, "hal")
    with web_client(settings) as web:
        signed_in = web.sign_in("hal", GIVEN)
        assert signed_in.status_code == 303
        # Every page leads to the form; a change elsewhere is refused.
        home = web.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/account/password"
        page = web.get("/account/password")
        assert page.status_code == 200 and "Choose your own password" in page.text
        refused = web.post("/connections/sandbox", page="/account/password")
        assert refused.status_code == 403 and "Choose your own password first" in refused.text

        wrong = web.post("/account/password", {"current_password": "not it", "password": OWN, "password_again": OWN},
                         page="/account/password")
        assert wrong.status_code == 400 and "This is not your current password." in wrong.text
        same = web.post("/account/password", {"current_password": GIVEN, "password": GIVEN, "password_again": GIVEN},
                        page="/account/password")
        assert same.status_code == 400 and "other than the one you were given" in same.text
        differ = web.post("/account/password", {"current_password": GIVEN, "password": OWN,
                                                 "password_again": OWN + "!"}, page="/account/password")
        assert differ.status_code == 400 and "The two passwords do not match." in differ.text
        for response in (wrong, same, differ):
            assert GIVEN not in response.text and OWN not in response.text  # never drawn back

        done = web.post("/account/password", {"current_password": GIVEN, "password": OWN, "password_again": OWN},
                        page="/account/password")
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert web.get("/").status_code == 200
        web.sign_out()
        assert web.sign_in("hal", GIVEN).status_code == 401
        assert web.sign_in("hal", OWN).status_code == 303

    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as connection:
        events = connection.execute(select(AuditEvent.action, AuditEvent.summary, AuditEvent.details)
                                    .where(AuditEvent.action == "operator_password_changed")).all()
        flagged = connection.execute(select(Operator.must_change_password).where(Operator.username == "hal")).scalar()
    engine.dispose()
    assert [(action, summary) for action, summary, _d in events] == [
        ("operator_password_changed", "hal chose a new password")]
    assert not flagged
    assert all(secret not in repr(events) for secret in (GIVEN, OWN))


def test_an_admins_reset_asks_for_a_new_own_password_again(settings: Settings) -> None:
    add_operator(settings, "boss", "admin")
    add_operator(settings, "hal", "operator", GIVEN)
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as connection:
        hal = connection.execute(select(Operator.id).where(Operator.username == "hal")).scalar_one()
    engine.dispose()
    with web_client(settings) as web:
        web.sign_in("boss", PASSWORD)
        reset = web.post(f"/operators/{hal}/password", {"password": "a reset given by the admin"}, page="/operators")
        assert reset.status_code in (200, 303), reset.text
    with web_client(settings) as web:
        web.sign_in("hal", "a reset given by the admin")
        assert web.get("/").headers.get("location") == "/account/password"


def test_the_link_opened_before_choosing_a_password_is_where_the_person_lands(settings: Settings) -> None:
    """QA walk 8, finding 6: a help-desk person's first sign-in, from a colleague's link, ends on
    that link after "Save my password", not on the home page."""
    _given_by_an_admin(settings, "hank")
    opened = "/connections?view=all"
    with web_client(settings) as web:
        asked = web.get(opened)
        assert asked.headers["location"] == "/sign-in?next=%2Fconnections%3Fview%3Dall"
        signed_in = web.post("/sign-in", {"username": "hank", "password": GIVEN, "next": opened},
                             page=asked.headers["location"])
        assert signed_in.status_code == 303 and signed_in.headers["location"] == opened
        sent = web.get(opened)
        assert sent.status_code == 303
        assert sent.headers["location"] == "/account/password?next=%2Fconnections%3Fview%3Dall"
        page = web.get(sent.headers["location"])
        assert "Choose your own password" in page.text
        assert '<input type="hidden" name="next" value="/connections?view=all">' in page.text

        # A mistake draws the form again, still on its way to the link.
        wrong = web.post("/account/password", {"current_password": "not it", "password": OWN, "password_again": OWN,
                                               "next": opened})
        assert wrong.status_code == 400
        assert '<input type="hidden" name="next" value="/connections?view=all">' in wrong.text

        done = web.post("/account/password", {"current_password": GIVEN, "password": OWN, "password_again": OWN,
                                              "next": opened}, page=sent.headers["location"])
        assert done.status_code == 303 and done.headers["location"] == opened
        assert web.get(opened).status_code == 200


def test_the_password_form_goes_on_to_same_site_paths_only(settings: Settings) -> None:
    for hostile in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        _given_by_an_admin(settings, f"hal{len(hostile)}")
        with web_client(settings) as web:
            web.sign_in(f"hal{len(hostile)}", GIVEN)
            page = web.get("/account/password", params={"next": hostile})
            assert 'name="next"' not in page.text
            done = web.post("/account/password", {"current_password": GIVEN, "password": OWN, "password_again": OWN,
                                                  "next": hostile}, page="/account/password")
            assert done.status_code == 303 and done.headers["location"] == "/", hostile
