"""Office time: one format everywhere (ISO 8601 UTC, ms, 'Z'), sortable as text."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def iso_ms(ms: int) -> str | None:
    """A phone's clock reading (ms since the epoch) in the office format; None when it is
    outside what a datetime holds (ingest clamps phone clocks, but old rows are not trusted)."""
    try:
        return iso(datetime.fromtimestamp(ms / 1000, timezone.utc))
    except (OverflowError, OSError, ValueError):
        return None
