"""QA walk 10, H3: the token check watched only the token the operator pasted; a second live API
token of the service account went unseen (the vendor may use it; an auditor asks about it). The
check now lists the org's tokens once a run (every page) and fails, naming the other tokens (name,
created, expiry) with what to do, unless another onboarding of the wizard watches them; the watch's
alert leads with it. A run with no token to check lists nothing."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from app.common.moments import okta_moment, stamp
from app.store.models import CheckResult
from app.store.statuses import CheckStatus, OnboardingStatus
from app.watch.findings import token_use, token_vouched
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.engine.test_defender import past_the_token, start
from tests.harness import Wizard
from tests.page_journeys import Journey
from tests.support import Web
from tests.vendors.readback import last_results
from tests.vendors.test_token_name_adopted import first_onboarding_done
from tests.watch.test_alert_words import _body, _mail_channel, _subject
from tests.watch.test_notifications import Mailbox, _deliver, mailbox
from tests.watch.test_watch import DAY, _completed, _open_alerts, _tick

__all__ = ["mailbox"]  # the fixture, used by name

CHECK = "token_any_ip"  # Defender's token check
TOKENS = "/api/v1/api-tokens"


def listings(requests: list[httpx.Request]) -> int:
    return sum(1 for r in requests if r.method == "GET" and r.url.path == TOKENS)


def reads_by_id(requests: list[httpx.Request]) -> int:
    return sum(1 for r in requests if r.method == "GET" and r.url.path.startswith(TOKENS + "/"))


def token_of(org: SandboxOrg, user_id: str, name: str) -> tokens_domain.ApiToken:
    [found] = [t for t in org.api_tokens if t.user_id == user_id and t.name == name]
    return found


def as_okta_writes(moment: float) -> str:
    """A sandbox time as the pages write Okta's (``stamp``), via Okta's ISO form."""
    when = okta_moment(datetime.fromtimestamp(moment, UTC).isoformat())
    assert when is not None
    return stamp(when)


def verified(w: Wizard, oid: uuid.UUID) -> CheckResult:
    w.attest_all(oid)
    job = w.verify(oid)
    assert job.state == "succeeded", job.error
    return last_results(w, oid)[CHECK]


def page(w: Wizard, oid: uuid.UUID) -> str:
    web = Web(w.client)
    web.sign_in("ana.admin")
    # The words as read: tags (the <time> around each stamp) dropped.
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", web.get(f"/onboardings/{oid}").text)).split())


class TestTheTokenCheck:
    def test_the_account_s_one_token_passes_as_before_with_one_listing(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        oid = start(w)
        past_the_token(w, oid, sandbox_org)
        before, by_id = listings(okta_requests), reads_by_id(okta_requests)
        result = verified(w, oid)
        assert result.status == CheckStatus.passed, result.found
        assert result.found.startswith("Token “Defender for Identity” (")
        assert result.found.endswith("belongs to the service account; Any IP, as the vendor's document asks")
        assert "other live" not in result.found
        # One listing (the org's few tokens fit a page), which also finds the watched token: no read by id.
        assert (listings(okta_requests), reads_by_id(okta_requests)) == (before + 1, by_id)
        assert w.onboarding(oid).status == OnboardingStatus.completed

    def test_a_second_live_token_of_the_account_fails_the_check_naming_it_until_revoked(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        svc = past_the_token(w, oid, sandbox_org)
        secret = sandbox_org.issue_api_token(svc, "Spare", "ANYWHERE")
        spare = token_of(sandbox_org, svc, "Spare")

        result = verified(w, oid)

        assert result.status == CheckStatus.failed
        named = (f"“Spare” ({spare.id}, created {as_okta_writes(spare.created)}, expires "
                 f"{as_okta_writes(tokens_domain.expires_at(spare))})")
        assert result.found.endswith(f"but the account has 1 other live API token the wizard does not watch: {named}")
        # The remedy names the token itself: it is shown on its own (QA walk 12, L4).
        assert result.remedy is not None and result.remedy.startswith(
            f"In Okta (Security > API > Tokens), revoke the service account's other live token, “Spare” ({spare.id}), "
            "if the vendor does not use it, then re-verify. If the vendor uses it instead of “Defender for Identity”, "
            "paste it on the token step with its name")
        assert "these tokens" not in result.remedy
        assert result.evidence["other_tokens"] == [{"id": spare.id, "name": "Spare", "created": result.evidence[
            "other_tokens"][0]["created"], "expires_at": result.evidence["other_tokens"][0]["expires_at"]}]
        # Not completed, and the page says why and what to do; never a token's value.
        assert w.onboarding(oid).status != OnboardingStatus.completed
        text = page(w, oid)
        assert f"1 other live API token the wizard does not watch: {named}" in text
        assert f"What to do: In Okta (Security > API > Tokens), revoke the service account's other live token, " \
            f"“Spare” ({spare.id}), if the vendor does not use it" in text
        assert "1 check failed at the last verification: do what it says, then re-verify." in text
        assert secret not in text and secret not in repr(result.evidence)

        tokens_domain.revoke_token(sandbox_org, spare, actor=None)
        again = verified(w, oid)
        assert again.status == CheckStatus.passed, again.found
        assert w.onboarding(oid).status == OnboardingStatus.completed

    def test_another_person_s_token_and_an_expired_one_are_not_the_account_s_live_tokens(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = start(w)
        svc = past_the_token(w, oid, sandbox_org)
        sandbox_org.issue_api_token(svc, "Old")
        old = token_of(sandbox_org, svc, "Old")
        old.last_used -= 31 * DAY  # past its 30-day window: Okta refuses it (the sandbox still lists it)
        assert any(t.user_id != svc for t in sandbox_org.api_tokens)  # the wizard's own admin token
        assert verified(w, oid).status == CheckStatus.passed

    def test_the_listing_is_followed_across_pages(self, w: Wizard, sandbox_org: SandboxOrg,
                                                  okta_requests: list[httpx.Request]) -> None:
        oid = start(w)
        svc = past_the_token(w, oid, sandbox_org)
        sandbox_org.page_size = 2
        sandbox_org.issue_api_token(svc, "Spare")  # the newest: on the last page
        pages = -(-len(sandbox_org.api_tokens) // 2)
        assert pages >= 2
        before = listings(okta_requests)
        result = verified(w, oid)
        assert result.status == CheckStatus.failed
        assert "does not watch: “Spare” (" in result.found
        # Each page once (Okta's Link: rel="next"), in one run.
        assert listings(okta_requests) - before == pages
        nexts = [r for r in okta_requests[-pages:] if r.url.path == TOKENS and "after" in r.url.params]
        assert len(nexts) == pages - 1

    def test_no_listing_while_no_token_was_verified(self, w: Wizard, sandbox_org: SandboxOrg,
                                                    okta_requests: list[httpx.Request]) -> None:
        oid = start(w)
        w.to_the_token(oid)
        before = listings(okta_requests)
        job = w.verify(oid)
        assert job.state == "succeeded", job.error
        assert last_results(w, oid)[CHECK].status == CheckStatus.waiting
        assert listings(okta_requests) == before

    def test_a_token_another_onboarding_watches_on_a_shared_account_is_not_unwatched(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        first = first_onboarding_done(w)
        second = w.start("oort", w.onboarding(first).connection_id)
        svc = w.to_the_token(second)
        w.paste_token(second, sandbox_org.issue_api_token(svc, "Oort 2"))
        for oid in (first, second):
            job = w.verify(oid)
            assert job.state == "succeeded", job.error
            [token_check] = [r for key, r in last_results(w, oid).items() if key.startswith("token_any_ip")]
            assert token_check.status == CheckStatus.passed, token_check.found


class TestTheWatch:
    def test_the_alert_leads_with_the_other_token_and_the_expiry_is_still_read(
            self, j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
        box, port = mailbox
        _mail_channel(j, port)
        oid, made = _completed(j, sandbox_org)
        _tick(j)
        sandbox_org.issue_api_token(made["account"], "Spare")
        spare = token_of(sandbox_org, made["account"], "Spare")
        j.clock.advance(DAY + 1)
        _tick(j)
        [alert] = [a for a in _open_alerts(j, oid) if a.key == f"check:{CHECK}"]
        assert alert.summary.startswith(
            f"The service account has 1 other live API token the wizard does not watch: “Spare” ({spare.id}, "
            f"created {as_okta_writes(spare.created)}, expires "), alert.summary
        # The item names what failed: true of the watched token alone, it read as all well (QA walk 12, L4).
        assert alert.summary.endswith(". Checklist item: The token belongs to the dedicated account and allows "
                                      "Any IP; the account has no other live token.")
        _deliver(j)
        [message] = [m for m in box.messages if _subject(m).startswith("[Alert]")]
        assert _subject(message).split(f"{urlsplit(sandbox_org.base_url).hostname}: ", 1)[1].startswith(
            "The service account has 1 other live API token the wizard does not watch: “Spare” (")
        body = _body(message)
        assert ("What to do: In Okta (Security > API > Tokens), revoke the service account's other live token, "
                f"“Spare” ({spare.id}), if the vendor does not use it") in " ".join(body.split())
        assert made["value"] not in body


def test_a_check_failed_only_for_other_tokens_still_tells_the_watched_token_s_expiry() -> None:
    expires = datetime(2030, 1, 31, tzinfo=UTC)
    evidence = {"token_id": "00Twatched", "expires_at": expires.isoformat(), "token_window": "P30D",
                "token_live": True, "other_tokens": [{"id": "00Tspare", "name": "Spare"}]}
    failed = CheckResult(check_key=CHECK, status=CheckStatus.failed, found="…", evidence=evidence)
    use = token_use({CHECK: failed}, {CHECK: "service_token"}, {})
    assert use is not None and use.expires_at == expires and use.last_use == expires - timedelta(days=30)
    assert token_vouched({CHECK: failed}, {CHECK: "service_token"})
    gone = CheckResult(check_key=CHECK, status=CheckStatus.failed, found="…", evidence={"lost": "gone"})
    assert token_use({CHECK: gone}, {CHECK: "service_token"}, {}) is None
    assert not token_vouched({CHECK: gone}, {CHECK: "service_token"})


def test_the_remedy_names_two_other_tokens_itself() -> None:
    """QA walk 12, L4: "revoke each of these tokens" pointed at a list shown elsewhere (the alert's
    text, below the card's remedy). The remedy names them, so it stands alone."""
    from app.engine.checks.other_tokens import remedy
    from app.okta.models import ApiToken
    said = remedy([ApiToken(id="00Tone", name="Spare"), ApiToken(id="00Ttwo", name="Old sync")], "Defender")
    assert said.startswith("In Okta (Security > API > Tokens), revoke each of the service account's other live "
                           "tokens the vendor does not use: “Spare” (00Tone); “Old sync” (00Ttwo); then re-verify.")
    assert "instead of “Defender”" in said and "these tokens" not in said
