"""The service account's other live API tokens: the token check watches the one token the
operator pasted (``service_token_id``), and a second live token of the same account went unseen
(QA walk 10, H3). The vendor may be using that one, and an unwatched live credential of an admin
account is what an auditor asks about.

Okta lists token metadata org-wide only (``GET /api/v1/api-tokens``, no filter by owner: the
account's tokens are those whose ``userId`` is it), never a value. One listing serves the whole
check: the watched token is found in it too, so its own read by id is made only when the listing
does not show it (revoked, or not listed yet)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from app.common.moments import okta_moment, stamp
from app.okta.models import ApiToken


def _live(token: ApiToken, now: float) -> bool:
    """Whether Okta still accepts the token: listed tokens may be past their expiry (the sandbox
    lists them; Okta refuses them), and those are no credential any more."""
    expires = okta_moment(token.expiresAt)
    return expires is None or expires.timestamp() > now


def others_of(tokens: Sequence[ApiToken], owner: str, watched: str, elsewhere: Collection[str],
              now: float) -> list[ApiToken]:
    """The owner's live tokens besides ``watched`` that no other onboarding watches, oldest first."""
    return sorted((t for t in tokens if t.userId == owner and t.id != watched and t.id not in elsewhere
                   and _live(t, now)), key=lambda t: (t.created or "", t.id))


def _when(value: str | None) -> str:
    moment: datetime | None = okta_moment(value)
    return stamp(moment) if moment is not None else "unknown"


def described(tokens: Sequence[ApiToken]) -> str:
    """The tokens as a person tells them apart in the Admin Console: name, created, expiry (Okta
    never returns a value, and none would be written here)."""
    return "; ".join(f"“{t.name or t.id}” ({t.id}, created {_when(t.created)}, expires {_when(t.expiresAt)})"
                     for t in tokens)


def evidence_of(tokens: Sequence[ApiToken]) -> list[dict[str, str | None]]:
    return [{"id": t.id, "name": t.name, "created": t.created, "expires_at": t.expiresAt} for t in tokens]


def unwatched(count: int) -> str:
    return f"{count} other live API token{'s' if count != 1 else ''} the wizard does not watch"


def remedy(others: Sequence[ApiToken], watched_name: str | None) -> str:
    """What to do, naming the tokens itself (name and id): the card, the alert and the e-mail show the
    remedy on its own, and "each of these tokens" pointed at a list shown elsewhere (QA walk 12, L4)."""
    named = "; ".join(f"“{t.name or t.id}” ({t.id})" for t in others)
    watched = f"“{watched_name or 'the token pasted here'}”"
    if len(others) == 1:
        return (f"In Okta (Security > API > Tokens), revoke the service account's other live token, {named}, "
                f"if the vendor does not use it, then re-verify. If the vendor uses it instead of {watched}, paste "
                "it on the token step with its name (the wizard asks which of the account's tokens it is when it "
                f"cannot tell), so that the wizard watches it; then revoke {watched}.")
    return (f"In Okta (Security > API > Tokens), revoke each of the service account's other live tokens the vendor "
            f"does not use: {named}; then re-verify. If the vendor uses one of them instead of {watched}, paste "
            "that token on the token step with its name (the wizard asks which of the account's tokens it is when "
            "it cannot tell), so that the wizard watches it; then revoke the others.")
