"""Pricing a sale: fixed monthly charge, debt recovery, VAT and (block) energy prices.

All prices are VAT inclusive. From the amount paid the sale first takes what is still owed of
this month's fixed charge, then the debt recovery share, and buys energy with the rest. The
receipt split always adds up exactly: amount = fixed charge + debt + energy + tax, where fixed
charge and energy are shown without VAT and tax is the VAT inside both.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from server.domain.errors import InvalidInput
from server.domain.money import Currency, round_minor

KWH_STEP = Decimal("0.1")
# The largest credit an STS amount field can carry (IEC 62055-41 exponent 3, mantissa 16383).
MAX_STS_KWH = Decimal("1820162.4")


@dataclass(frozen=True)
class Block:
    """One step of a tariff: energy up to `up_to_kwh` this month (None: no limit) at `price`."""

    up_to_kwh: Decimal | None
    price: Decimal  # per kWh, VAT inclusive, in major currency units (may have 4 decimals)


@dataclass(frozen=True)
class TariffTerms:
    """What a tariff charges. A flat tariff is one block without a limit."""

    blocks: tuple[Block, ...]
    vat_rate: Decimal = Decimal(0)  # 0.16 for 16 %
    fixed_monthly: int = 0  # minor units, VAT inclusive
    debt_rate: Decimal = Decimal(0)  # share of each purchase recovered against debt, 0..1
    debt_cap: int = 0  # most recovered from one purchase, minor units; 0 means no cap

    def __post_init__(self) -> None:
        check_terms(self)


@dataclass(frozen=True)
class MonthToDate:
    """What a meter has already bought in the current month (block position, fixed charge)."""

    kwh: Decimal = Decimal(0)
    fixed_collected: int = 0


@dataclass(frozen=True)
class PriceSplit:
    """How an amount paid divides. All money in minor units."""

    amount: int
    fixed_charge_gross: int
    fixed_charge: int  # without VAT
    debt_recovered: int
    energy_gross: int
    energy_amount: int  # without VAT
    tax: int
    kwh: Decimal  # rounded down to 0.1 kWh


def check_terms(terms: TariffTerms) -> None:
    """Refuse terms that cannot price a sale: no blocks, unordered limits, bad rates."""
    if not terms.blocks:
        raise InvalidInput("invalid_tariff", "a tariff needs at least one price block")
    previous = Decimal(0)
    for n, block in enumerate(terms.blocks, start=1):
        if block.price <= 0:
            raise InvalidInput("invalid_tariff", f"block {n}: price must be above zero")
        last = n == len(terms.blocks)
        if block.up_to_kwh is None:
            if not last:
                raise InvalidInput("invalid_tariff", f"block {n}: only the last block is open")
            continue
        if last:
            raise InvalidInput("invalid_tariff", f"block {n}: the last block must have no limit")
        if block.up_to_kwh <= previous:
            raise InvalidInput(
                "invalid_tariff", f"block {n}: limit {block.up_to_kwh} kWh must exceed {previous}"
            )
        previous = block.up_to_kwh
    if not Decimal(0) <= terms.vat_rate < 1:
        raise InvalidInput("invalid_tariff", f"VAT rate {terms.vat_rate}: expected 0 to below 1")
    if not Decimal(0) <= terms.debt_rate <= 1:
        raise InvalidInput("invalid_tariff", f"debt rate {terms.debt_rate}: expected 0 to 1")
    if terms.fixed_monthly < 0 or terms.debt_cap < 0:
        raise InvalidInput("invalid_tariff", "fixed charge and debt cap cannot be negative")


def price_sale(
    amount: int,
    terms: TariffTerms,
    month: MonthToDate,
    debt_outstanding: int,
    currency: Currency,
) -> PriceSplit:
    """Split `amount` (minor units, what the customer paid) into charges and energy."""
    if amount <= 0:
        raise InvalidInput("invalid_amount", "amount must be above zero")
    fixed_gross = min(max(terms.fixed_monthly - month.fixed_collected, 0), amount)
    left = amount - fixed_gross

    debt = 0
    if terms.debt_rate and debt_outstanding > 0:
        # Rounded down: never recover more than the stated share.
        share = int((amount * terms.debt_rate).to_integral_value(rounding=ROUND_DOWN))
        if terms.debt_cap:
            share = min(share, terms.debt_cap)
        debt = min(share, debt_outstanding, left)
    energy_gross = left - debt

    kwh = kwh_for(currency.to_decimal(energy_gross), terms.blocks, month.kwh)
    if kwh < KWH_STEP:
        raise InvalidInput(
            "amount_too_small",
            f"amount {currency.format(amount)} buys less than 0.1 kWh after charges "
            f"(fixed charge {currency.format(fixed_gross)}, debt {currency.format(debt)})",
        )
    if kwh > MAX_STS_KWH:
        raise InvalidInput(
            "amount_too_large", f"{kwh} kWh exceeds the {MAX_STS_KWH} kWh one token can carry"
        )

    fixed_net = _without_vat(fixed_gross, terms.vat_rate)
    energy_net = _without_vat(energy_gross, terms.vat_rate)
    return PriceSplit(
        amount=amount,
        fixed_charge_gross=fixed_gross,
        fixed_charge=fixed_net,
        debt_recovered=debt,
        energy_gross=energy_gross,
        energy_amount=energy_net,
        tax=(fixed_gross - fixed_net) + (energy_gross - energy_net),
        kwh=kwh,
    )


def kwh_for(money: Decimal, blocks: tuple[Block, ...], used_this_month: Decimal) -> Decimal:
    """kWh that `money` (major units, VAT inclusive) buys, climbing blocks from this month's use.

    Rounded down to 0.1 kWh: the meter never gets energy that was not paid for.
    """
    kwh = Decimal(0)
    used = used_this_month
    for block in blocks:
        if money <= 0:
            break
        if block.up_to_kwh is not None and used >= block.up_to_kwh:
            continue
        affordable = money / block.price
        room = None if block.up_to_kwh is None else block.up_to_kwh - used
        if room is None or affordable <= room:
            kwh += affordable
            break
        kwh += room
        money -= room * block.price
        used += room
    return kwh.quantize(KWH_STEP, rounding=ROUND_DOWN)


def _without_vat(gross: int, rate: Decimal) -> int:
    if not gross or not rate:
        return gross
    return round_minor(Decimal(gross) / (1 + rate))
