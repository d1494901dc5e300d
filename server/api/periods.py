"""Turning the whole local days people ask for into the UTC instants the services take."""

from datetime import UTC, date, datetime, time, timedelta

from server.domain.errors import InvalidInput
from server.services.context import ServiceContext

EARLIEST, LATEST = date(1990, 1, 1), date(2199, 12, 31)


def day_range(
    ctx: ServiceContext, start: date | None, end: date | None, *, default_days: int = 30
) -> tuple[datetime, datetime]:
    """Local days `start`..`end` inclusive as UTC [start 00:00, day after end 00:00).

    Defaults: `end` today, `start` `default_days` before it.
    """
    end = end or ctx.now().astimezone(ctx.timezone).date()
    start = start or end - timedelta(days=default_days)
    for day in (start, end):
        if not EARLIEST <= day <= LATEST:
            raise InvalidInput("invalid_period", f"date {day}: expected {EARLIEST} to {LATEST}")
    if end < start:
        raise InvalidInput("invalid_period", f"the period ends ({end}) before it starts ({start})")

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=ctx.timezone).astimezone(UTC)

    return midnight(start), midnight(end + timedelta(days=1))
