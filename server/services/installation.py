"""Setting up a new database: currency, time zone, the shared ledger accounts."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain import ledger
from server.domain.errors import Conflict, InvalidInput
from server.domain.money import Currency
from server.storage.schema import Installation
from server.storage.unit_of_work import UnitOfWork

SHARED_ACCOUNTS = (
    ledger.CASH,
    ledger.ENERGY_REVENUE,
    ledger.FIXED_CHARGE_REVENUE,
    ledger.TAX_PAYABLE,
    ledger.ADJUSTMENTS,
    ledger.DEBT_RAISED,
)


def initialise(uow: UnitOfWork, currency: Currency, timezone: str = "UTC") -> Installation:
    """Record the installation's currency and time zone (once) and open the shared accounts.

    Running it again with the same settings changes nothing; a different currency is refused,
    because every amount already stored is in the first one's minor units.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("invalid_timezone", f"time zone {timezone!r} is not known") from None
    existing = uow.installation.get()
    if existing is not None:
        if existing.currency != currency.code:
            raise Conflict(
                "currency_fixed",
                f"this database keeps money in {existing.currency}; it cannot change to "
                f"{currency.code}",
            )
        uow.ledger.open_accounts(SHARED_ACCOUNTS)
        return existing
    installation = uow.installation.add(
        Installation(currency=currency.code, minor_unit=currency.minor_unit, timezone=timezone)
    )
    uow.ledger.open_accounts(SHARED_ACCOUNTS)
    return installation
