"""How each notification channel is doing, read from its stored deliveries (no network when a page
is drawn): when its last delivery was tried and whether it got through, in the words of its
failure; how many alerts wait for it and since when; and its last test message, kept on the
channel. The Settings page shows it on the channel's row, and the Health page says which
channels' alerts are not getting out: a broken channel was found only by reading the list of
deliveries after a real alert (QA walk 13, M4).

The recent deliveries are grouped by the alert's change they carry: one alert to three channels is
one message with three states, not the whole message three times (QA walk 13, L2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import NotificationChannel, NotificationDelivery
from app.store.models.watch import MAX_ATTEMPTS
from app.watch.channels import UNRESOLVED, channels, receiver_place

D = NotificationDelivery
# The moment a delivery was last tried; one tried before the time was kept, when it was queued.
_TRIED = func.coalesce(D.last_attempt_at, D.delivered_at, D.created_at)


@dataclass(frozen=True)
class ChannelState:
    channel: NotificationChannel
    last_at: datetime | None = None  # the last try of any of its deliveries (None: nothing tried yet)
    delivered: bool = False  # that try got through
    words: str = ""  # why it did not
    waiting: int = 0  # alerts' changes not delivered yet that are still tried
    given_up: int = 0  # ... and those given up, since its last delivery that got through
    since: datetime | None = None  # the oldest of both: its alerts have not got out since then
    next_at: datetime | None = None  # its next try

    @property
    def place(self) -> str:
        """Where a webhook's receiver is, when not on the internet ("on this machine")."""
        return receiver_place(self.channel)

    @property
    def tested(self) -> bool:
        """A test message was sent to it (its outcome is the channel's ``test_failure``)."""
        return self.channel.tested_at is not None

    @property
    def unresolved(self) -> str:
        """The host that resolved to no address as the channel was added, while nothing since (a
        test message, a delivery's try) has told more about it."""
        if self.last_at is not None or self.tested:
            return ""
        return str((self.channel.settings or {}).get(UNRESOLVED) or "")

    @property
    def failing(self) -> bool:
        return self.last_at is not None and not self.delivered


async def _state(session: AsyncSession, channel: NotificationChannel) -> ChannelState:
    # A delivery withdrawn before any try (``not_sent``, its attempts set to stop it) was never tried.
    tried = or_(D.not_sent.is_(None), D.last_attempt_at.is_not(None))
    last = (await session.execute(select(D).where(D.channel_id == channel.id, D.attempts > 0, tried)
                                  .order_by(_TRIED.desc()).limit(1))).scalars().first()
    if last is None:
        return ChannelState(channel)
    if last.delivered_at is not None:
        return ChannelState(channel, last_at=last.last_attempt_at or last.delivered_at, delivered=True)
    got_through = (await session.execute(select(func.max(D.delivered_at)).where(D.channel_id == channel.id))).scalar()
    # Withdrawn ones are not alerts whose message is missing: nobody is to hear of them any more.
    stuck = and_(D.channel_id == channel.id, D.delivered_at.is_(None), D.attempts > 0, D.not_sent.is_(None))
    if got_through is not None:
        stuck = and_(stuck, or_(D.attempts < MAX_ATTEMPTS, _TRIED > got_through))
    waiting, given_up, since, next_at = (await session.execute(select(
        func.count().filter(D.attempts < MAX_ATTEMPTS), func.count().filter(D.attempts >= MAX_ATTEMPTS),
        func.min(D.created_at), func.min(D.next_attempt_at).filter(D.attempts < MAX_ATTEMPTS)).where(stuck))).one()
    return ChannelState(channel, last_at=last.last_attempt_at or last.created_at, words=last.last_error or "",
                        waiting=waiting, given_up=given_up, since=since, next_at=next_at)


async def channel_states(session: AsyncSession) -> list[ChannelState]:
    """Each channel still set, in the order it was added."""
    return [await _state(session, channel) for channel in await channels(session)]


async def failing_channels(session: AsyncSession) -> list[ChannelState]:
    """The channels whose last try failed: their alerts are not getting out (the Health page)."""
    return [state for state in await channel_states(session) if state.failing]


@dataclass
class SentChange:
    """One alert's change (raised or cleared) as it was sent: its message once, its deliveries."""

    headline: str
    text: str
    queued_at: datetime
    deliveries: list[NotificationDelivery] = field(default_factory=list)


async def recent_changes(session: AsyncSession, limit: int = 10) -> list[SentChange]:
    """The last ``limit`` alerts' changes sent to channels, newest first, each with its deliveries."""
    newest = func.max(D.created_at).label("newest")
    picked = (await session.execute(select(D.alert_id, D.event, newest).group_by(D.alert_id, D.event)
                                    .order_by(newest.desc()).limit(limit))).all()
    if not picked:
        return []
    keys = {(alert_id, event) for alert_id, event, _ in picked}
    # Within a change, its channels in the order they were added (the settings page's order):
    # deliveries queued at one moment tie on their own time, and Postgres returns ties in any order.
    rows = (await session.execute(select(D).join(NotificationChannel, NotificationChannel.id == D.channel_id)
                                  .where(D.alert_id.in_({alert_id for alert_id, _ in keys}))
                                  .order_by(D.created_at, NotificationChannel.created_at, NotificationChannel.id)
                                  )).scalars()
    changes: dict[tuple[uuid.UUID, str], SentChange] = {}
    for delivery in rows:
        key = (delivery.alert_id, delivery.event)
        if key not in keys:
            continue
        text = str(delivery.payload.get("text", ""))
        change = changes.setdefault(key, SentChange(
            headline=str(delivery.payload.get("headline") or text.split("\n", 1)[0]), text=text,
            queued_at=delivery.created_at))
        change.deliveries.append(delivery)
    return [changes[(alert_id, event)] for alert_id, event, _ in picked if (alert_id, event) in changes]
