"""Time: stored in UTC, shown in Europe/Stockholm.

Every datetime that crosses a module boundary is timezone-aware UTC. `local()` and `fmt_local()`
are for people only.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Aware UTC from any datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    return as_utc(value).astimezone(STOCKHOLM)


def fmt_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else local(value).strftime(fmt)


def floor_hour(value: datetime) -> datetime:
    v = as_utc(value)
    return v.replace(minute=0, second=0, microsecond=0)


def parse_hour(text: str) -> datetime:
    """`YYYY-MM-DDTHH` (Stockholm local time unless an offset is given) -> aware UTC hour start."""
    from mediebild.errors import UserError

    try:
        value = datetime.fromisoformat(text if len(text) > 13 else text + ":00")
    except ValueError as exc:
        raise UserError(f"not an hour: {text!r} (expected YYYY-MM-DDTHH, e.g. 2016-03-22T09)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=STOCKHOLM)
    return floor_hour(value)


def hours(start: datetime, end: datetime):
    """Hour starts from start (floored) up to, not including, end."""
    t = floor_hour(start)
    while t < end:
        yield t
        t += timedelta(hours=1)
