"""The rules under the vend flow: meter numbers, amounts, money text, PINs, sale ids."""

from casekit import fresh_dir
from journal import records as R
from journal.fs_os import OsFs
from journal.journal import Journal
from link.standin import StandInServer, standin_token
from vend import check_amount, check_meter, format_money, group, luhn_digit, to_minor
from vend.pin import find_vendor, pin_hash
from vend.sales import Sales, answer_problem
from vendkit import GOOD_METER, LEGACY_METER, OTHER_METER, SALT, FakeClock

# ---- meter numbers ----


def test_valid_meter_numbers_of_both_issuers_pass():
    for meter in (GOOD_METER, OTHER_METER, LEGACY_METER):
        assert check_meter(meter) is None, meter


def test_the_luhn_digit_matches_the_published_example():
    assert luhn_digit("60072700000000000") == 9  # PAN 600727000000000009 (docs/STS.md)


def test_every_single_digit_typo_is_caught():
    for i in range(18):
        for d in "0123456789":
            if GOOD_METER[i] == d:
                continue
            typo = GOOD_METER[:i] + d + GOOD_METER[i + 1 :]
            assert check_meter(typo) is not None, typo


def test_swapped_neighbours_are_caught_unless_they_are_09_or_90():
    for i in range(17):
        a, b = GOOD_METER[i], GOOD_METER[i + 1]
        if a == b or (a + b) in ("09", "90"):
            continue
        swapped = GOOD_METER[:i] + b + a + GOOD_METER[i + 2 :]
        assert check_meter(swapped) is not None, swapped


def test_meter_problems_say_what_is_wrong():
    assert check_meter("60072700000000001") == ("mtr_length", 17)
    assert check_meter("6007270000000000091") == ("mtr_length", 19)
    assert check_meter("") == ("mtr_length", 0)
    assert check_meter("123456000000000009") == ("mtr_iin", "123456")
    assert check_meter("600727000000000008") == ("mtr_check", None)
    assert check_meter("60072700000000000a") == ("mtr_digits", None)


def test_meter_groups_of_four():
    assert group(GOOD_METER) == "6007 2700 0000 0000 09"
    assert group("") == ""


# ---- amounts: integers of minor units ----


def test_typed_whole_units_become_minor_units():
    assert to_minor("500", 2) == 50000
    assert to_minor("500", 0) == 500
    assert to_minor("", 2) == 0
    assert to_minor("0000", 3) == 0


def test_amount_limits():
    assert check_amount(0, 5000, 2000000) == ("amt_zero", None)
    assert check_amount(4999, 5000, 2000000) == ("amt_low", 5000)
    assert check_amount(2000001, 5000, 2000000) == ("amt_high", 2000000)
    assert check_amount(5000, 5000, 2000000) is None
    assert check_amount(2000000, 5000, 2000000) is None


def test_money_text_never_uses_floats():
    assert format_money(50000, 2) == "500.00"
    assert format_money(5, 2) == "0.05"
    assert format_money(123456789, 2) == "1234567.89"
    assert format_money(1005, 3) == "1.005"
    assert format_money(700, 0) == "700"
    assert format_money(-250, 2) == "-2.50"
    assert format_money(10**17 + 1, 2) == "1000000000000000.01"


# ---- PINs ----


def test_pin_hash_is_salted_and_finds_the_right_vendor():
    vendors = [
        {"id": "A", "salt": SALT, "pin_hash": pin_hash(SALT, "1111", 5), "rounds": 5},
        {"id": "B", "salt": "ff" * 8, "pin_hash": pin_hash("ff" * 8, "2222", 5), "rounds": 5},
    ]
    assert find_vendor(vendors, "2222")["id"] == "B"
    assert find_vendor(vendors, "1111")["id"] == "A"
    assert find_vendor(vendors, "1112") is None
    assert pin_hash(SALT, "1111", 5) != pin_hash("ff" * 8, "1111", 5)
    assert len(pin_hash(SALT, "1111")) == 64


# ---- the sale service and the stand-in server ----


class _Listener:
    def __init__(self):
        self.answered = []
        self.refused = []

    def on_sale_answered(self, seq):
        self.answered.append(seq)

    def on_sale_refused(self, seq):
        self.refused.append(seq)


def _sales(online=True):
    journal = Journal(OsFs(), fresh_dir() + "/journal")
    journal.replay()
    link = StandInServer(online=online, refuse=(OTHER_METER,))
    sales = Sales(journal, link, "HH0042", FakeClock())
    sales.listener = _Listener()
    return sales, journal, link


def test_sale_ids_are_device_id_and_sequence():
    sales, _, _ = _sales()
    assert sales.sale_id(7) == "HH0042-000007"
    assert sales.seq_of("HH0042-000007") == 7
    assert sales.seq_of("HH0043-000007") is None
    assert sales.seq_of("HH0042-x") is None


def test_a_sale_is_journaled_before_it_is_sent():
    sales, journal, link = _sales()
    seq = sales.take(GOOD_METER, 50000, {"id": "V007", "name": "Amina"})
    assert journal.state(seq) == R.PENDING
    assert link.submitted == 0
    sales.send(seq)
    assert link.submitted == 1
    link.poll()
    assert journal.state(seq) == R.ANSWERED
    assert sales.listener.answered == [seq]


def test_customer_names_are_remembered_by_meter_in_a_small_cache():
    sales, _, _ = _sales()
    sales.remember_customer(GOOD_METER, "J. Banda")
    sales.remember_customer(OTHER_METER, None)
    assert sales.customers.get(GOOD_METER) == "J. Banda"
    assert sales.customers.get(OTHER_METER) is None
    for n in range(20):
        sales.remember_customer(str(n), "name")
    assert len(sales.customers) <= 16


def test_a_repeated_answer_changes_nothing():
    sales, journal, link = _sales()
    seq = sales.take(GOOD_METER, 50000, {"id": "V007"})
    sales.send(seq)
    sales.send(seq)
    link.poll()
    assert sales.listener.answered == [seq]
    assert journal.sale(seq)["answer"]["tokens"] == [standin_token("HH0042-000001")]


def test_offline_sales_are_answered_when_the_link_returns():
    sales, journal, link = _sales(online=False)
    first = sales.take(GOOD_METER, 50000, {"id": "V007"})
    second = sales.take(OTHER_METER, 7000, {"id": "V007"})
    sales.send(first)
    sales.send(second)
    link.poll()
    assert journal.awaiting_answer() == [first, second]
    link.is_online = True
    link.poll()
    assert journal.state(first) == R.ANSWERED
    assert journal.refused(second)
    assert sales.listener.refused == [second]


def test_printing_the_token_slip_acknowledges_and_the_journal_lets_go():
    sales, journal, link = _sales()
    seq = sales.take(GOOD_METER, 50000, {"id": "V007"})
    sales.send(seq)
    link.poll()
    sales.printed(seq, R.SLIP_TOKEN)
    assert journal.state(seq) == R.PRINTED_STATE
    link.poll()
    assert journal.state(seq) == R.ACKED


def test_after_a_reboot_unanswered_sales_are_sent_again():
    sales, journal, link = _sales(online=False)
    seq = sales.take(GOOD_METER, 50000, {"id": "V007"})
    assert sales.resend_unanswered() == 1
    assert link.submitted == 1
    link.is_online = True
    link.poll()
    assert journal.state(seq) == R.ANSWERED
    assert sales.resend_unanswered() == 0


def test_answers_for_other_devices_or_of_the_wrong_shape_are_dropped():
    sales, journal, _ = _sales()
    seq = sales.take(GOOD_METER, 50000, {"id": "V007"})
    sales.on_answer("HH9999-000001", {"tokens": ["1" * 20]})
    sales.on_answer(sales.sale_id(seq), {"tokens": ["12"]})
    assert sales.rejected_answers == 2
    assert journal.state(seq) == R.PENDING


def test_answer_shape_check_names_the_problem():
    good = {
        "receipt": "R1",
        "customer": None,
        "tokens": ["1" * 20],
        "key_change": [],
        "kwh_tenths": 10,
        "tax": 0,
        "fixed": 0,
        "debt": 0,
    }
    assert answer_problem(good) is None
    bad = dict(good)
    bad["tokens"] = []
    assert answer_problem(bad) == "answer has no credit token"
    bad = dict(good)
    bad["tax"] = -1
    assert "tax" in answer_problem(bad)
    bad = dict(good)
    del bad["receipt"]
    assert answer_problem(bad) == "answer has no receipt"
