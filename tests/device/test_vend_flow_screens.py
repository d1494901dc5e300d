"""Every screen of the flow, in every language, fits the 8x16 OLED with nothing cut off.

The recording display (vendkit) fails the test the moment any screen is too big or a
text had to be cut. Runs under CPython and under real MicroPython.
"""

import flowstates as F
import i18n
from vendkit import GOOD_METER, OTHER_METER, Bench


def _walk_every_screen(code):
    bench = Bench(online=False, status=lambda: {"signal": 5, "battery": 100, "paper": "no_printer"})
    seen = set()

    def note():
        seen.add(bench.flow.state)

    i18n.set_language(code)
    bench.flow.start()
    note()
    bench.keys("1#")  # wrong PIN message
    for _ in range(4):
        bench.keys("9#")
    note()  # locked
    bench.clock.advance(300000)
    bench.flow.tick()
    bench.login()
    note()  # menu
    bench.keys("2")
    note()  # message: no sale yet
    bench.keys("#1")
    for meter in (GOOD_METER[:5], "1" * 18, GOOD_METER[:-1] + "1", GOOD_METER + "9"):
        bench.keys("L*" + meter + "#")
        note()
    bench.keys("L*" + GOOD_METER + "#")
    for amount in ("#", "1#", "99999#", "99999999"):
        bench.keys("L*" + amount)
        note()
    bench.keys("L*20000#")
    note()  # confirm
    bench.keys("#")
    note()  # waiting
    bench.keys("C")
    note()  # printing the pending slip
    bench.finish_print("paper_out")
    note()
    bench.keys("#")
    bench.finish_print("no_printer")
    bench.keys("#")
    bench.finish_print("ok")
    note()  # done (pending)
    bench.link.is_online = True
    bench.poll()
    note()  # token ready
    bench.keys("#")
    bench.finish_print("ok")
    note()  # done (token)
    bench.keys("C")
    bench.poll()  # acknowledged
    bench.sell(meter=GOOD_METER, units="20000")
    note()  # confirm with the customer's name known
    bench.poll()
    bench.finish_print("no_printer")
    bench.keys("C")
    bench.link.is_online = False
    bench.sell(meter=OTHER_METER, units="20000")
    bench.keys("C")
    bench.finish_print("ok")
    bench.keys("C")
    bench.sell(units="9999")
    bench.keys("C")
    bench.finish_print("ok")
    bench.keys("C3")
    note()  # pending list
    for _ in range(4):
        bench.keys("8")
    bench.keys("2#")
    note()  # message: sent again
    bench.keys("#C")
    bench.link.is_online = True
    bench.poll()
    note()  # refused, shown on the menu as it arrives
    bench.keys("#4")
    note()  # X report
    bench.keys("#")
    bench.finish_print("ok")
    note()  # done (report)
    bench.keys("#5")
    note()  # Z confirm
    bench.keys("C6")
    note()  # status
    bench.keys("C7")
    note()  # language
    bench.keys("C")
    bench.journal.max_segments = len(bench.journal.segments())
    bench.journal.segment_max = 1
    bench.sell()
    note()  # message: journal full
    return seen


def _check(code):
    try:
        seen = _walk_every_screen(code)
    finally:
        i18n.set_language("en")
    missing = [s for s in range(F.TOKEN_READY + 1) if s not in seen]
    assert missing == [], missing


def test_every_screen_fits_in_english():
    _check("en")


def test_every_screen_fits_in_french():
    _check("fr")


def test_every_screen_fits_in_swahili():
    _check("sw")
