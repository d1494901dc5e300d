"""Pricing (pure domain): blocks, fixed monthly charge, debt recovery, VAT, rounding."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import InvalidInput
from server.domain.money import Currency
from server.domain.tariffs import Block, MonthToDate, TariffTerms, kwh_for, price_sale

USD = Currency.of("USD")
UGX = Currency.of("UGX")
FLAT = TariffTerms(blocks=(Block(None, Decimal("0.25")),))
BLOCKS = TariffTerms(
    blocks=(
        Block(Decimal(50), Decimal("0.10")),
        Block(Decimal(200), Decimal("0.20")),
        Block(None, Decimal("0.40")),
    ),
)


def test_flat_price_buys_amount_over_price_rounded_down_to_a_tenth():
    split = price_sale(1000, FLAT, MonthToDate(), 0, USD)
    assert split.kwh == Decimal("40.0")
    assert price_sale(1001, FLAT, MonthToDate(), 0, USD).kwh == Decimal("40.0")  # 40.04
    assert price_sale(1003, FLAT, MonthToDate(), 0, USD).kwh == Decimal("40.1")  # 40.12


def test_blocks_climb_from_what_the_meter_bought_this_month():
    # 50 kWh at 0.10 = 5.00, then 0.20 per kWh
    assert price_sale(500, BLOCKS, MonthToDate(), 0, USD).kwh == Decimal("50.0")
    assert price_sale(700, BLOCKS, MonthToDate(), 0, USD).kwh == Decimal("60.0")
    later = MonthToDate(kwh=Decimal(60))
    assert price_sale(700, BLOCKS, later, 0, USD).kwh == Decimal("35.0")
    # past 200 kWh: 0.40
    assert price_sale(400, BLOCKS, MonthToDate(kwh=Decimal(250)), 0, USD).kwh == Decimal("10.0")
    # straddling the second limit: 10 kWh at 0.20 = 2.00, then 2.00 / 0.40 = 5 kWh
    assert price_sale(400, BLOCKS, MonthToDate(kwh=Decimal(190)), 0, USD).kwh == Decimal("15.0")


def test_fixed_charge_comes_from_the_first_purchase_of_the_month():
    terms = TariffTerms(blocks=FLAT.blocks, fixed_monthly=300)
    first = price_sale(1000, terms, MonthToDate(), 0, USD)
    assert first.fixed_charge_gross == 300 and first.kwh == Decimal("28.0")
    second = price_sale(1000, terms, MonthToDate(fixed_collected=300), 0, USD)
    assert second.fixed_charge_gross == 0 and second.kwh == Decimal("40.0")


def test_a_purchase_smaller_than_the_fixed_charge_pays_part_and_the_rest_waits():
    terms = TariffTerms(blocks=FLAT.blocks, fixed_monthly=300)
    with pytest.raises(InvalidInput, match="less than 0.1 kWh") as refused:
        price_sale(200, terms, MonthToDate(), 0, USD)
    assert refused.value.code == "amount_too_small"
    split = price_sale(400, terms, MonthToDate(fixed_collected=250), 0, USD)
    assert split.fixed_charge_gross == 50


def test_debt_recovery_takes_its_share_capped_and_never_more_than_owed():
    terms = TariffTerms(blocks=FLAT.blocks, debt_rate=Decimal("0.25"), debt_cap=200)
    assert price_sale(400, terms, MonthToDate(), 10_000, USD).debt_recovered == 100
    assert price_sale(2000, terms, MonthToDate(), 10_000, USD).debt_recovered == 200  # cap
    assert price_sale(2000, terms, MonthToDate(), 30, USD).debt_recovered == 30  # owed
    assert price_sale(2000, terms, MonthToDate(), 0, USD).debt_recovered == 0


def test_vat_is_inside_the_prices_and_the_split_adds_up():
    terms = TariffTerms(
        blocks=FLAT.blocks,
        vat_rate=Decimal("0.16"),
        fixed_monthly=116,
        debt_rate=Decimal("0.1"),
        debt_cap=0,
    )
    split = price_sale(1160, terms, MonthToDate(), 5000, USD)
    assert split.fixed_charge == 100 and split.debt_recovered == 116
    assert split.energy_gross == 1160 - 116 - 116
    assert split.energy_amount == 800  # 928 / 1.16
    assert split.tax == 16 + 128
    assert (
        split.amount == split.fixed_charge + split.debt_recovered + split.energy_amount + split.tax
    )


def test_currencies_without_cents_price_in_whole_units():
    terms = TariffTerms(blocks=(Block(None, Decimal("750")),))
    assert price_sale(10_000, terms, MonthToDate(), 0, UGX).kwh == Decimal("13.3")
    with pytest.raises(InvalidInput, match="0 decimal places"):
        UGX.to_minor("100.5")


def test_bad_tariffs_are_refused_naming_the_block():
    with pytest.raises(InvalidInput, match="block 2: limit 10 kWh must exceed 50"):
        TariffTerms(
            blocks=(
                Block(Decimal(50), Decimal(1)),
                Block(Decimal(10), Decimal(1)),
                Block(None, Decimal(1)),
            )
        )
    with pytest.raises(InvalidInput, match="last block must have no limit"):
        TariffTerms(blocks=(Block(Decimal(50), Decimal(1)),))
    with pytest.raises(InvalidInput, match="price must be above zero"):
        TariffTerms(blocks=(Block(None, Decimal(0)),))


@given(
    amount=st.integers(min_value=1, max_value=10**9),
    used=st.decimals(min_value=0, max_value=1000, places=1),
    fixed_left=st.integers(min_value=0, max_value=5000),
    debt=st.integers(min_value=0, max_value=10**6),
)
def test_every_split_adds_up_and_never_gives_unpaid_energy(amount, used, fixed_left, debt):
    terms = TariffTerms(
        blocks=BLOCKS.blocks,
        vat_rate=Decimal("0.075"),
        fixed_monthly=5000,
        debt_rate=Decimal("0.2"),
        debt_cap=1500,
    )
    month = MonthToDate(kwh=used, fixed_collected=5000 - fixed_left)
    try:
        split = price_sale(amount, terms, month, debt, USD)
    except InvalidInput as exc:
        assert exc.code in ("amount_too_small", "amount_too_large")
        return
    parts = split.fixed_charge + split.debt_recovered + split.energy_amount + split.tax
    assert parts == amount
    assert split.kwh == split.kwh.quantize(Decimal("0.1"))
    # The kWh, priced back through the blocks, never costs more than the energy paid for.
    assert kwh_for(USD.to_decimal(split.energy_gross), terms.blocks, used) == split.kwh
    assert split.debt_recovered <= min(debt, 1500)
