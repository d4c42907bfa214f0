"""The Health page's row of a watched onboarding says one thing about its service token: while the
vendor has not used it since it was pasted, the last use Okta shows (inferred from the token's
expiry) is the one from before, and the row says so, not as if it were the vendor's use now."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.page_journeys import Journey

DAY = 24 * 3600
_TAG = re.compile(r"<[^>]+>")


def cell(page: str, label: str) -> str:
    """The text of the row's cell under ``label``, as a person reads it (tags dropped, spaces joined)."""
    match = re.search(f'<td data-label="{re.escape(label)}">(.*?)</td>', page, re.S)
    assert match, f"no '{label}' cell on the page"
    return " ".join(html.unescape(_TAG.sub(" ", match.group(1))).split()).replace(" ,", ",")


def _today(j: Journey) -> str:
    return datetime.fromtimestamp(j.clock.now(), UTC).strftime("%Y-%m-%d")


def _completed(j: Journey, sandbox_org: SandboxOrg) -> tuple[uuid.UUID, str]:
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    made: list[str] = []

    def token(account: str) -> str:
        made.append(sandbox_org.issue_api_token(account, "Defender"))
        return made[-1]

    j.complete(oid, service_token=token)
    return oid, made[-1]


def _tick(j: Journey) -> None:
    assert j.state.watch is not None
    j.run(j.state.watch.tick)
    j.wait_for_jobs()


def test_no_use_since_the_paste_is_not_shown_as_a_current_last_use(j: Journey, sandbox_org: SandboxOrg) -> None:
    pasted_on = _today(j)
    oid, token = _completed(j, sandbox_org)
    _tick(j)
    j.clock.advance(2 * DAY + 1)  # two days on, the vendor has still not called Okta with the token
    _tick(j)
    page = j.get("/health").text
    assert f"#{str(oid)[:8]}" in page
    token_cell = cell(page, "Service token")
    assert f"last use {pasted_on} (inferred), at or before the token was pasted: no use since" in token_cell
    assert "No use of the token since it was pasted" in cell(page, "Vendor connected")

    # The vendor calls Okta with the token: its last use is now, and nothing says "no use since".
    assert tokens_domain.authenticate(sandbox_org, token) is not None
    used_on = _today(j)
    j.clock.advance(DAY + 1)
    _tick(j)
    page = j.get("/health").text
    token_cell = cell(page, "Service token")
    assert token_cell.endswith(f"last use {used_on} (inferred)"), token_cell
    assert "no use since" not in token_cell and "pasted" not in token_cell
    assert "The token was used after it was pasted" in cell(page, "Vendor connected")


def test_the_next_check_is_a_time_before_the_watch_has_scheduled_it(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Just completed, the row said "at the watch's next look". It is the watch's period on (an
    hour while the vendor's first call is awaited), said as an estimate until the watch schedules it."""
    _completed(j, sandbox_org)
    expected = datetime.fromtimestamp(j.clock.now() + 3600, UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert cell(j.get("/health").text, "Next check") == \
        f"about {expected} (the watch schedules it at its next look)"
    _tick(j)  # the watch has looked: the time is its own, no longer an estimate
    assert cell(j.get("/health").text, "Next check") == expected
