"""The periods pages ask about, as the UTC instants the services take."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from server.api.periods import day_range
from server.domain.errors import InvalidInput
from server.services.context import ServiceContext


@dataclass(frozen=True)
class Period:
    """Whole local days `first`..`last`, and the UTC instants [start, end) they cover."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def parse_day(text: str, what: str) -> date | None:
    """A YYYY-MM-DD date typed in a form, or None when left empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "invalid_date", f"{what} {text!r}: expected a date as YYYY-MM-DD"
        ) from None


def period(
    ctx: ServiceContext, first: date | None, last: date | None, *, default_days: int = 30
) -> Period:
    """Local days `first`..`last` inclusive (default: the last `default_days` days to today)."""
    start, end = day_range(ctx, first, last, default_days=default_days)
    return Period(
        start.astimezone(ctx.timezone).date(),
        (end.astimezone(ctx.timezone) - timedelta(days=1)).date(),
        start,
        end,
    )


def today(ctx: ServiceContext) -> Period:
    """Today, in the installation's time zone."""
    day = ctx.now().astimezone(ctx.timezone).date()
    return period(ctx, day, day)
