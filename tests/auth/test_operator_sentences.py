"""QA, low: the audit trail's sentences of the operators page's work said "1 session(s) ended" and
named roles as stored ("changed from operator to auditor") where every page says "Operator",
"Administrator", "Auditor". Now they count properly and use the role's label, as the flashes do."""

from __future__ import annotations

from app.settings import Settings
from tests.audit.trail import what
from tests.support import add_operator, web_client

NEW = {"username": "carol", "display_name": "Carol", "role": "admin", "password": "help desk password 1"}


def test_the_trail_counts_sessions_and_names_roles_as_the_pages_do(settings: Settings) -> None:
    add_operator(settings, "boss", "admin")
    dave = add_operator(settings, "dave")
    erin = add_operator(settings, "erin")
    with web_client(settings) as boss, web_client(settings) as dave_web, web_client(settings) as erin_web, \
            web_client(settings) as erin_again:
        boss.sign_in("boss")
        assert boss.post("/operators", NEW, page="/operators").status_code == 303
        dave_web.sign_in("dave")
        erin_web.sign_in("erin")
        erin_again.sign_in("erin")  # a second browser: two sessions
        for target, action, data in ((dave.id, "role", {"role": "auditor"}), (dave.id, "disable", {}),
                                     (erin.id, "disable", {})):
            assert boss.post(f"/operators/{target}/{action}", data, page="/operators").status_code == 303
        trail = what(boss.get("/audit").text)
    assert "Operator carol created with role Administrator" in trail, trail
    assert "Role of dave changed from Operator to Auditor" in trail, trail
    assert "Operator dave disabled; 1 session ended" in trail, trail
    assert "Operator erin disabled; 2 sessions ended" in trail, trail
    assert not [sentence for sentence in trail if "(s)" in sentence or " role admin" in sentence]
