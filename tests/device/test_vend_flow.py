"""The vend flow, driven by key presses exactly as the keypad task delivers them.

Runs under CPython and under real MicroPython (tests/micropython).
"""

import flowstates as F
import i18n
from casekit import printed
from journal import records as R
from journal.fs_os import OsFs
from journal.journal import Journal
from link.standin import standin_token
from receipts import DOUBLE_HEIGHT
from vendkit import GOOD_METER, LEGACY_METER, OTHER_METER, PIN, Bench


def _slip_text(slip):
    return "\n".join(text for _, text in printed(slip))


def _logged_in(**kwargs):
    bench = Bench(**kwargs)
    bench.login()
    assert bench.flow.state == F.MENU
    return bench


def test_a_whole_sale_from_key_presses_to_the_token_slip():
    bench = _logged_in()
    bench.keys("1")
    assert bench.flow.state == F.METER
    bench.keys(GOOD_METER + "#")
    assert bench.flow.state == F.AMOUNT
    bench.keys("500#")
    assert bench.flow.state == F.CONFIRM
    assert "6007 2700 0000" in bench.display.text()
    assert "KES 500.00" in bench.display.text()
    bench.keys("#")
    assert bench.flow.state == F.WAITING
    assert bench.journal.state(1) == R.PENDING  # journaled before anything was sent
    assert bench.link.submitted == 1
    bench.poll()
    assert bench.flow.state == F.PRINTING
    slip = bench.printer.slips[-1]
    text = _slip_text(slip)
    token = standin_token("HH0042-000001")
    grouped = " ".join(token[i : i + 4] for i in range(0, 20, 4))
    assert grouped in text
    assert any(style & DOUBLE_HEIGHT and line == grouped for style, line in printed(slip))
    assert "KES 500.00" in text
    assert "HH0042-000001" in text
    bench.finish_print("ok")
    assert bench.flow.state == F.DONE
    assert bench.journal.state(1) == R.PRINTED_STATE
    bench.poll()
    assert bench.journal.state(1) == R.ACKED
    bench.keys("#")
    assert bench.flow.state == F.METER  # straight into the next sale
    bench.keys(GOOD_METER + "#100#")
    assert "Stand-in customer" in bench.display.text()  # known from the last answer


def _nothing_taken(bench):
    assert bench.journal.held_sales() == []
    assert bench.link.submitted == 0
    assert bench.printer.slips == []


def test_a_wrong_check_digit_is_shown_and_nothing_is_journaled():
    bench = _logged_in()
    bench.keys("1" + GOOD_METER[:-1] + "8#")
    assert bench.flow.state == F.METER
    assert "check digit" in bench.display.text()
    bench.keys("*9#")  # fix the last digit
    assert bench.flow.state == F.AMOUNT
    bench.keys("C")
    assert bench.flow.state == F.METER
    assert "0000 09" in bench.display.text()  # the meter is kept for correction
    _nothing_taken(bench)


def test_a_short_meter_number_says_how_many_digits_there_are():
    bench = _logged_in()
    bench.keys("1" + GOOD_METER[:-2] + "#")
    assert bench.flow.state == F.METER
    assert "Need 18 digits, have 16" in bench.display.text()
    _nothing_taken(bench)


def test_too_many_meter_digits_are_refused_with_a_message():
    bench = _logged_in()
    bench.keys("1" + GOOD_METER + "5")
    assert "At most 18 digits" in bench.display.text()
    bench.keys("#")
    assert bench.flow.state == F.AMOUNT  # the 19th digit never got in
    _nothing_taken(bench)


def test_zero_low_high_and_too_long_amounts_are_refused():
    bench = _logged_in()
    bench.keys("1" + GOOD_METER + "#")
    for typed, message in (
        ("#", "Amount must be more than 0."),
        ("0#", "Amount must be more than 0."),
        ("L*49#", "Below minimum KES 50.00."),
        ("L*20001#", "Above maximum KES 20000.00."),
        ("L*12345678", "At most 7 digits."),
    ):
        bench.keys(typed)
        assert bench.flow.state == F.AMOUNT, typed
        assert message in bench.display.text(), (typed, bench.display.last)
    _nothing_taken(bench)
    bench.keys("L*20000##")
    assert bench.journal.sale(1)["amount"] == 2000000


def test_offline_the_customer_gets_a_pending_slip_and_the_token_comes_later():
    bench = _logged_in(online=False)
    bench.sell()
    assert bench.flow.state == F.WAITING
    bench.clock.advance(29000)
    bench.flow.tick()
    assert bench.flow.state == F.WAITING
    bench.clock.advance(1000)  # the clock wraps past 2**30 ticks on the way
    bench.flow.tick()
    assert bench.flow.state == F.PRINTING
    text = _slip_text(bench.printer.slips[-1])
    assert "PAYMENT RECEIVED" in text
    assert "TOKEN PENDING" in text
    assert "HH0042-000001" in text
    bench.finish_print()
    assert bench.journal.pending_slip_printed(1)
    assert "HH0042-000001" in bench.display.text()
    bench.keys("C")
    assert bench.flow.state == F.MENU
    bench.link.is_online = True
    bench.poll()
    assert bench.flow.state == F.TOKEN_READY
    bench.keys("#")
    assert standin_token("HH0042-000001")[:4] in _slip_text(bench.printer.slips[-1])
    bench.finish_print()
    assert bench.journal.state(1) == R.PRINTED_STATE


def test_the_vendor_can_stop_waiting():
    bench = _logged_in(online=False)
    bench.sell()
    bench.keys("C")
    assert bench.flow.state == F.PRINTING
    assert "TOKEN PENDING" in _slip_text(bench.printer.slips[-1])


def test_a_refused_sale_tells_the_vendor_to_give_the_cash_back():
    bench = _logged_in()
    bench.sell(meter=OTHER_METER, units="70")
    bench.poll()
    assert bench.flow.state == F.REFUSED
    assert "Give back KES 70.00" in bench.display.text()
    assert bench.printer.slips == []
    bench.keys("#")
    bench.poll()
    assert bench.journal.state(1) == R.ACKED
    totals = bench.journal.shift_totals()
    assert (totals["count"], totals["refunds"], totals["refunded"]) == (1, 1, 7000)


def test_paper_out_keeps_the_sale_until_the_slip_really_prints():
    bench = _logged_in()
    bench.sell()
    bench.poll()
    bench.finish_print("paper_out")
    assert bench.flow.state == F.PAPER
    assert "Paper out" in bench.display.text()
    assert bench.journal.state(1) == R.ANSWERED
    bench.keys("#")
    assert len(bench.printer.slips) == 2
    assert bench.printer.slips[0] == bench.printer.slips[1]
    bench.finish_print("ok")
    assert bench.journal.state(1) == R.PRINTED_STATE


def test_a_slip_left_unprinted_is_printed_from_the_pending_list():
    bench = _logged_in()
    bench.sell()
    bench.poll()
    bench.finish_print("no_printer")
    assert "not answering" in bench.display.text()
    bench.keys("C3")
    assert bench.flow.state == F.PENDING_LIST
    assert "Token ready" in bench.display.text()
    bench.keys("#")
    assert bench.flow.state == F.PRINTING
    bench.finish_print()
    assert bench.journal.state(1) == R.PRINTED_STATE


def test_pending_list_resends_a_sale_still_waiting():
    bench = _logged_in(online=False)
    bench.sell()
    bench.keys("C")
    bench.finish_print()
    bench.keys("C3")
    assert "Waiting for token" in bench.display.text()
    bench.keys("#")
    assert bench.link.submitted == 2
    assert "Sent again" in bench.display.text()


def test_five_wrong_pins_lock_the_device_for_a_while():
    bench = Bench()
    for tries_left in (4, 3, 2, 1):
        bench.keys("0000#")
        assert bench.flow.state == F.LOGIN
        assert f"{tries_left} tries left" in bench.display.text()
    bench.keys("0000#")
    assert bench.flow.state == F.LOCKED
    bench.keys(PIN + "#")
    assert bench.flow.state == F.LOCKED  # keys do nothing while locked
    bench.clock.advance(300000)
    bench.flow.tick()
    bench.login()
    assert bench.flow.state == F.MENU
    assert bench.flow.vendor["id"] == "V007"


def test_reprint_last_marks_the_slip_as_a_copy():
    bench = _logged_in()
    bench.keys("2")
    assert "No sale to reprint" in bench.display.text()
    bench.keys("#")
    bench.sell()
    bench.poll()
    bench.finish_print()
    first = _slip_text(bench.printer.slips[-1])
    bench.keys("C2")
    copy = _slip_text(bench.printer.slips[-1])
    assert "COPY" not in first
    assert "*** COPY ***" in copy
    assert standin_token("HH0042-000001")[:4] in copy


def test_key_change_tokens_come_first_with_an_instruction():
    bench = _logged_in()
    bench.sell(meter=LEGACY_METER)
    bench.poll()
    text = _slip_text(bench.printer.slips[-1])
    first = text.index("Enter these key change tokens")
    key1 = text.index("Key change token 1 of 2")
    credit = text.index("\nTOKEN\n")
    assert first < key1 < credit


def test_x_and_z_reports_and_a_new_shift():
    bench = _logged_in()
    bench.sell()
    bench.poll()
    bench.finish_print()
    bench.keys("C")
    bench.sell(units="250")
    bench.poll()
    bench.finish_print()
    bench.keys("C4")
    assert "Sales: 2" in bench.display.text()
    assert "KES 750.00" in bench.display.text()
    bench.keys("#")
    x = _slip_text(bench.printer.slips[-1])
    assert "X REPORT" in x
    assert "KES 750.00" in x
    bench.finish_print()
    bench.keys("#5#")
    z = _slip_text(bench.printer.slips[-1])
    assert "Z REPORT" in z
    bench.finish_print()
    totals = bench.journal.shift_totals()
    assert (totals["shift"], totals["count"], totals["amount"]) == (2, 0, 0)


def test_language_changes_screens_and_slips_and_is_saved():
    bench = _logged_in()
    try:
        bench.keys("72")
        assert bench.languages_saved == ["fr"]
        assert "Vente" in bench.display.text()
        bench.sell()
        assert "Confirmer" in " ".join(bench.display.screens[-2])
        bench.poll()
        text = _slip_text(bench.printer.slips[-1])
        assert "JETON" in text
        assert "Montant payé" in text
        bench.finish_print()
        bench.keys("C73")
        assert "Menyu" in bench.display.text()
    finally:
        i18n.set_language("en")


def test_status_shows_signal_battery_paper_queue_and_version():
    def status():
        return {"signal": 3, "battery": 76, "paper": "paper_out"}

    bench = _logged_in(online=False, status=status)
    bench.sell()
    bench.keys("C")
    bench.finish_print()
    bench.keys("C6")
    text = bench.display.text()
    for expected in ("Signal: 3/5", "Battery: 76%", "Paper: out", "Queue: 1", "offline", "0.1.0"):
        assert expected in text, expected


def test_idle_vendor_is_logged_out():
    bench = _logged_in()
    bench.clock.advance(599000)
    bench.flow.tick()
    assert bench.flow.state == F.MENU
    bench.clock.advance(1000)
    bench.flow.tick()
    assert bench.flow.state == F.LOGIN
    assert bench.flow.vendor is None


def test_a_storage_failure_means_no_sale_and_says_so():
    class BrokenFs(OsFs):
        def open(self, path, mode):
            if mode != "rb":
                raise OSError(5)
            return OsFs.open(self, path, mode)

    bench = _logged_in(fs=BrokenFs())
    bench.sell()
    assert bench.flow.state == F.MESSAGE
    assert "Sale NOT taken" in bench.display.text()
    assert bench.journal.held_sales() == []
    assert bench.link.submitted == 0


def test_after_a_reboot_mid_sale_the_sale_is_still_there_and_completes():
    bench = _logged_in(online=False)
    bench.sell()
    directory = bench.directory
    # power cut while waiting: boot again on the same flash
    again = Bench(directory=directory)
    assert again.journal.awaiting_answer() == [1]
    assert again.sales.resend_unanswered() == 1
    again.poll()
    assert again.journal.state(1) == R.ANSWERED
    again.login()
    again.keys("3#")
    again.finish_print()
    assert again.journal.state(1) == R.PRINTED_STATE
    assert Journal(OsFs(), directory + "/journal").replay()["torn"] == []
    again.keys("C1")
    again.keys(GOOD_METER + "#100##")
    assert again.journal.last_seq() == 2  # numbering continued after the reboot


def test_an_answer_that_comes_back_inside_submit_is_handled_the_same():
    bench = _logged_in()
    link = bench.link
    plain_submit = link.submit

    def submit_and_answer_at_once(sale):
        plain_submit(sale)
        link.poll()  # a link that already knows the answer calls back before returning

    link.submit = submit_and_answer_at_once
    bench.sell()
    assert bench.journal.state(1) == R.ANSWERED
    assert bench.flow.state == F.WAITING  # the slip is laid out on the next tick
    bench.flow.tick()
    assert bench.flow.state == F.PRINTING
    assert standin_token("HH0042-000001")[:4] in _slip_text(bench.printer.slips[-1])
