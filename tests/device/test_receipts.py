"""Slip layout: exact lines for a known sale, and every line within the paper's width.

Runs under CPython and under real MicroPython (tests/micropython).
"""

import i18n
from casekit import printed
from receipts import (
    BOLD,
    CENTER,
    CUT,
    DOUBLE_HEIGHT,
    DOUBLE_WIDTH,
    FEED,
    LINE_WIDTH,
    RULE,
    WIDE_LINE_WIDTH,
    pair,
    wrap,
)
from receipts.slip import pending_slip, shift_slip, token_slip
from vendkit import FakeClock

BIG = CENTER | BOLD | DOUBLE_HEIGHT
CTX = {
    "utility": "Kijiji Power",
    "device": "HH0042",
    "vendor": "Amina Otieno",
    "sale_id": "HH0042-000123",
    "currency": "KES",
    "digits": 2,
    "localtime": FakeClock().localtime,
}


def _sale(answer=None, **changes):
    sale = {
        "meter": "600727000000000009",
        "amount": 50000,
        "time": 789652800 + 3600 * 2 + 60 * 5,
        "vendor": "V007",
        "vendor_name": "Amina Otieno",
        "answer": answer,
    }
    for key in changes:
        sale[key] = changes[key]
    return sale


def _answer(**changes):
    answer = {
        "receipt": "R000777",
        "customer": "J. Banda",
        "tokens": ["12345678901234567890"],
        "key_change": [],
        "kwh_tenths": 172,
        "tax": 6896,
        "fixed": 1000,
        "debt": 250,
    }
    for key in changes:
        answer[key] = changes[key]
    return answer


def _check_widths(slip):
    for line in slip:
        width = WIDE_LINE_WIDTH if line[0] & DOUBLE_WIDTH else LINE_WIDTH
        if len(line) > 2:  # a pair line: label, at least one space, value
            assert len(line[1]) + 1 + len(line[2]) <= width, line
    for style, text in printed(slip):
        width = WIDE_LINE_WIDTH if style & DOUBLE_WIDTH else LINE_WIDTH
        assert len(text) <= width, (style, text)
        if style & (RULE | FEED | CUT):
            assert text == ""


def test_token_slip_exact_lines():
    assert printed(token_slip(_sale(_answer()), CTX)) == [
        (BOLD | DOUBLE_HEIGHT | CENTER, "Kijiji Power"),
        (CENTER, "Prepaid electricity"),
        (RULE, ""),
        (0, "Receipt                  R000777"),
        (0, "Date            2025-01-08 14:05"),
        (0, "Vendor              Amina Otieno"),
        (0, "Device                    HH0042"),
        (0, "Sale ref           HH0042-000123"),
        (RULE, ""),
        (0, "Meter     6007 2700 0000 0000 09"),
        (0, "Customer                J. Banda"),
        (RULE, ""),
        (BOLD, "Amount paid           KES 500.00"),
        (0, "Tax                    KES 68.96"),
        (0, "Fixed charge           KES 10.00"),
        (0, "Debt deducted           KES 2.50"),
        (BOLD, "Energy                  17.2 kWh"),
        (RULE, ""),
        (BOLD | CENTER, "TOKEN"),
        (BIG, "1234 5678 9012 3456 7890"),
        (RULE, ""),
        (CENTER, "Thank you"),
        (FEED, ""),
        (CUT, ""),
    ]


def test_key_change_tokens_come_first_with_the_instruction():
    answer = _answer(key_change=["11112222333344445555", "66667777888899990000"])
    slip = token_slip(_sale(answer), CTX)
    _check_widths(slip)
    texts = [text for _, text in printed(slip)]
    instruction = texts.index("Enter these key change tokens")
    first_key = texts.index("1111 2222 3333 4444 5555")
    second_key = texts.index("6666 7777 8888 9999 0000")
    credit = texts.index("1234 5678 9012 3456 7890")
    assert instruction < first_key < second_key < credit
    assert texts[first_key - 1] == "Key change token 1 of 2"
    assert (BIG, "1111 2222 3333 4444 5555") in slip


def test_several_credit_tokens_are_numbered():
    answer = _answer(tokens=["12345678901234567890", "09876543210987654321"])
    texts = [text for _, text in printed(token_slip(_sale(answer), CTX))]
    assert "TOKEN 1 of 2" in texts
    assert "TOKEN 2 of 2" in texts


def test_pending_slip_says_payment_received_token_pending_with_the_reference():
    slip = pending_slip(_sale(), CTX)
    _check_widths(slip)
    assert (BOLD | DOUBLE_HEIGHT | DOUBLE_WIDTH | CENTER, "PAYMENT RECEIVED") in slip
    assert (BOLD | CENTER, "TOKEN PENDING") in slip
    assert (BIG, "HH0042-000123") in slip
    assert (BOLD, "Amount paid           KES 500.00") in printed(slip)
    # no receipt number until the server answers
    assert not any("Receipt" in text for _, text in printed(slip))


def test_a_reprint_says_copy():
    assert (BOLD | CENTER, "*** COPY ***") in token_slip(_sale(_answer()), CTX, reprint=True)
    assert (BOLD | CENTER, "*** COPY ***") in pending_slip(_sale(), CTX, reprint=True)
    assert (BOLD | CENTER, "*** COPY ***") not in token_slip(_sale(_answer()), CTX)


def test_long_values_wrap_instead_of_running_off_the_paper():
    answer = _answer(customer="Mwanaisha Wanjiru Kamau-Odhiambo of Upper Kijiji")
    slip = token_slip(_sale(answer, vendor_name="A Very Long Vendor Name Indeed"), CTX)
    _check_widths(slip)
    at = slip.index((0, "Customer"))
    assert slip[at + 1 : at + 3] == [
        (0, "Mwanaisha Wanjiru Kamau-Odhiambo"),
        (0, "                 of Upper Kijiji"),
    ]
    at = slip.index((0, "Vendor"))
    assert slip[at + 1] == (0, "  A Very Long Vendor Name Indeed")


def test_every_slip_fits_in_every_language():
    big = _answer(
        key_change=["11112222333344445555", "66667777888899990000"],
        tokens=["12345678901234567890", "09876543210987654321"],
        tax=999999999,
        fixed=999999999,
        debt=999999999,
        kwh_tenths=99999,
    )
    totals = {
        "shift": 12,
        "opened": 789652800,
        "count": 9999,
        "amount": 999999999,
        "refunds": 99,
        "refunded": 99999999,
        "open": 48,
    }
    try:
        for code in i18n.LANGUAGES:
            i18n.set_language(code)
            for slip in (
                token_slip(_sale(big, amount=2000000), CTX, True),
                pending_slip(_sale(amount=2000000), CTX, True),
                shift_slip(totals, CTX, 789700000, False),
                shift_slip(totals, CTX, 789700000, True),
            ):
                _check_widths(slip)
                assert not any(text.startswith("?") for _, text in printed(slip)), code
    finally:
        i18n.set_language("en")


def test_shift_slips():
    totals = {
        "shift": 3,
        "opened": 789652800,
        "count": 2,
        "amount": 75000,
        "refunds": 1,
        "refunded": 7000,
        "open": 1,
    }
    x = printed(shift_slip(totals, CTX, 789660000, False))
    z = printed(shift_slip(totals, CTX, 789660000, True))
    assert (BOLD | DOUBLE_HEIGHT | CENTER, "X REPORT") in x
    assert (BOLD | DOUBLE_HEIGHT | CENTER, "Z REPORT") in z
    assert (0, "Printed         2025-01-08 14:00") in x
    assert (0, "Closed          2025-01-08 14:00") in z
    assert (BOLD, "Net cash              KES 680.00") in z
    assert (0, "Unsynced sales                 1") in z


def test_wrap_and_pair():
    assert wrap("one two three", 7) == ["one two", "three"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("a\nb", 10) == ["a", "b"]
    out = []
    pair(out, "Label", "value")
    assert out == [(0, "Label", "value")]  # one line; the printer pads it
    assert printed(out) == [(0, "Label                      value")]
    out = []
    pair(out, "Label", "a value of 26 characters..")  # 5 + 1 + 26 = 32: still one line
    assert out == [(0, "Label", "a value of 26 characters..")]
    out = []
    pair(out, "A label of twenty ch", "a value twelve")
    assert out == [(0, "A label of twenty ch"), (0, "                  a value twelve")]
