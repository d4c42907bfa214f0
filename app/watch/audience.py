"""Who is told of an onboarding's alerts: the notification channels an administrator set, and,
through each e-mail channel set to send to the assignee, the person the onboarding is assigned to
when it is raised or cleared, if that person is active and has an e-mail address.

The deliveries keep the addresses found here when they are queued (app/watch/notify.py), so a
reassignment since does not reroute them; the onboarding's page says the same in words (``told``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.common.text import and_list
from app.store.models import NotificationChannel, Onboarding, Operator
from app.watch.channel_state import failing_channels
from app.watch.channels import EMAIL, addresses, channels, kind_words, sends_to_assignee


async def assignee_of(session: AsyncSession, onboarding: Onboarding) -> Operator | None:
    return await session.get(Operator, onboarding.assignee_id) if onboarding.assignee_id else None


def owner_words(assignee: Operator | None) -> str:
    """Who the onboarding is assigned to, by name: the person a reader of the channel turns to."""
    if assignee is None:
        return "nobody yet (it is in the help-desk queue)"
    if not assignee.holds_work:  # they can no longer act on it (QA walk 24, M2)
        return f"{assignee.display_name}, {assignee.why_not_holding} (it waits in the help-desk queue)"
    return assignee.display_name


def reachable(assignee: Operator | None) -> str | None:
    """The assignee's address, when they are to be told: an active operator who has one."""
    if assignee is None or not assignee.is_active or not assignee.email:
        return None
    return assignee.email


def recipients(found: Sequence[NotificationChannel], assignee: Operator | None) -> dict[uuid.UUID, list[str]]:
    """The addresses each e-mail channel's delivery goes to (a webhook has none): its own
    recipients, and the assignee's address on each channel set to send to the assignee, unless it
    is among that channel's own already (compared without case): one channel, one message to them.
    Two channels set so send it twice: carried by the first alone, it never reached them while that
    channel's server was down (QA, M1), and each delivery's addresses are fixed when it is
    queued, before anyone knows which server will fail."""
    mail = [channel for channel in found if channel.kind == EMAIL]
    given = {channel.id: addresses(channel) for channel in mail}
    address = reachable(assignee)
    if address is None:
        return given
    for channel in mail:
        if sends_to_assignee(channel) and address.lower() not in {known.lower() for known in given[channel.id]}:
            given[channel.id].append(address)
    return given


async def told(session: AsyncSession, onboarding: Onboarding) -> str:
    """In one to three sentences, who an alert raised on ``onboarding`` now would be sent to, and
    which of those channels' alerts are not getting out (the page said they went to channels whose
    every delivery failed, which only Health and Settings said: QA walk 20, M4)."""
    said = await _told(session, onboarding)
    failing = [state.channel.label for state in await failing_channels(session)]
    if not failing:
        return said
    return (f"{said} Alerts are not getting out to {and_list(failing)}: "
            f"{'its' if len(failing) == 1 else 'their'} last delivery failed (Settings › Notifications says why).")


async def _told(session: AsyncSession, onboarding: Onboarding) -> str:
    found = await channels(session)
    if not found:
        return ("No notification channel is set (Settings), so alerts show only here, on the Health page and in "
                "the audit trail.")
    named = and_list([f"{channel.label} ({kind_words(channel.kind)})" for channel in found])
    if not any(sends_to_assignee(channel) for channel in found):
        return f"Alerts go to: {named}."
    assignee = await assignee_of(session, onboarding)
    address = reachable(assignee)
    if assignee is None:
        return f"Alerts go to: {named}. It is unassigned (in the help-desk queue), so only the channels are told."
    if address is not None:
        carriers = [channel.label for channel in found if sends_to_assignee(channel)]
        each = f" (from each of {and_list(carriers)})" if len(carriers) > 1 else ""
        return f"Alerts go to: {named}, and {assignee.display_name} <{address}> as the assignee{each}."
    why = "is disabled" if not assignee.is_active else \
        "has no e-mail address (an administrator sets one on the Operators page)"
    return f"Alerts go to: {named}. {assignee.display_name}, the assignee, {why}, so only the channels are told."
