"""Pure domain rules: TIDs, key changes due, ledger entries, roles, receipt numbers, money."""

from decimal import Decimal

import pytest

from server.domain import ledger
from server.domain.errors import Conflict, Forbidden, InvalidInput
from server.domain.meter_keys import KeyIdentity, due_key
from server.domain.money import Currency
from server.domain.receipt_numbers import receipt_number, sale_id_of
from server.domain.roles import Permission, Role, may, require
from server.domain.tariffs import PriceSplit
from server.domain.tids import TID_MAX, next_tid


def test_next_tid_is_this_minute_or_one_past_the_last():
    assert next_tid(1000, None) == 1000
    assert next_tid(1000, 990) == 1000
    assert next_tid(1000, 1000) == 1001
    assert next_tid(1000, 1005) == 1006


def test_a_tid_past_24_bits_asks_for_a_key_change():
    with pytest.raises(Conflict, match="key change to a newer base date") as refused:
        next_tid(TID_MAX, TID_MAX)
    assert refused.value.code == "key_change_needed"


def test_a_tid_past_the_key_expiry_number_is_refused():
    with pytest.raises(Conflict, match="expiry"):
        next_tid(0x050000, None, ken=4)
    assert next_tid(0x04FFFF, None, ken=4) == 0x04FFFF


def test_a_key_change_is_due_for_a_new_revision_tariff_index_or_base_date():
    key = KeyIdentity(sgc=123456, krn=1, ti=1, base=1993)
    assert due_key(key, krn=1, base=1993) is None
    assert due_key(key, krn=2, base=1993) == KeyIdentity(sgc=123456, krn=2, ti=1, base=1993)
    moved = due_key(key, krn=1, base=2014)
    assert moved is not None and moved.rolls_over_from(key)
    assert due_key(key, krn=1, base=1993, ti=7).ti == 7


def test_key_identities_refuse_what_sts_cannot_carry():
    with pytest.raises(InvalidInput, match="key revision 10"):
        KeyIdentity(sgc=1, krn=10, ti=1)
    with pytest.raises(InvalidInput, match="DKGA02 makes 64-bit keys"):
        KeyIdentity(sgc=1, krn=1, ti=1, ea=11, dkga=2)


def test_a_vend_entry_balances_and_reversal_undoes_it():
    split = PriceSplit(1160, 116, 100, 116, 928, 800, 144, Decimal("32.0"))
    entry = ledger.vend_entry(split, agent_id=7, customer_id=3)
    assert sum(p.amount for p in entry.postings) == 0
    assert ledger.Posting("agent:7:float", -1160) in entry.postings
    undone = ledger.reversal_entry(entry, "typo")
    assert {p.account: p.amount for p in undone.postings}["agent:7:float"] == 1160


def test_an_unbalanced_entry_cannot_be_made():
    with pytest.raises(ValueError, match="sum to 5"):
        ledger.JournalEntry("x", (ledger.Posting("a", 10), ledger.Posting("b", -5)))


def test_roles_grant_what_the_issue_says():
    assert may(Role.CASHIER, Permission.VEND) and may(Role.CASHIER, Permission.TOPUP)
    assert not may(Role.CASHIER, Permission.REVERSE)
    assert may(Role.SUPERVISOR, Permission.ENGINEERING) and may(Role.SUPERVISOR, Permission.REVERSE)
    assert not may(Role.AUDITOR, Permission.VEND) and may(Role.AUDITOR, Permission.AUDIT)
    assert not may(Role.POS, Permission.TOPUP)
    with pytest.raises(Forbidden, match="cashier may not engineering"):
        require(Role.CASHIER, Permission.ENGINEERING)


def test_receipt_numbers_carry_a_check_digit():
    number = receipt_number(42)
    assert len(number) == 8 and sale_id_of(number) == 42
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidInput, match="check digit"):
        sale_id_of(wrong)


def test_money_parses_exactly_and_refuses_extra_decimals():
    usd = Currency.of("usd")
    assert usd.to_minor("12.34") == 1234 and usd.format(1234) == "12.34"
    assert Currency.of("KWD").to_minor("1.005") == 1005
    with pytest.raises(InvalidInput, match="2 decimal places"):
        usd.to_minor("1.005")
    with pytest.raises(InvalidInput, match="not a number"):
        usd.to_minor("NaN")
