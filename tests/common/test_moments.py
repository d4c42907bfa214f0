"""One written form of a moment: what ``stamp`` writes is what the pages find (``STAMP``) and read
back (``parse_stamp``) to draw in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from app.common.moments import STAMP, parse_stamp, stamp


def test_every_kind_of_moment_is_written_in_utc() -> None:
    aware = datetime(2026, 12, 5, 18, 46, 31, tzinfo=UTC)
    assert stamp(aware) == "2026-12-05 18:46 UTC"
    assert stamp(aware.replace(tzinfo=None)) == "2026-12-05 18:46 UTC"  # as the database keeps them
    assert stamp(aware.astimezone(timezone(timedelta(hours=-5)))) == "2026-12-05 18:46 UTC"
    assert stamp(aware.timestamp()) == "2026-12-05 18:46 UTC"


def test_what_is_written_is_found_and_read_back() -> None:
    aware = datetime(2026, 12, 5, 18, 46, tzinfo=UTC)
    text = f"Okta wrote no System Log event since {stamp(aware)} (the last one ...)"
    [found] = STAMP.findall(text)
    assert parse_stamp(found) == aware
