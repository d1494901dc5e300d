"""The vend flow: what the vendor sees and does, as a state machine fed key events.

Inputs:  on_key(key, is_long) from the keypad task; tick() every few hundred ms (it
         also starts printing once a sale's answer is in the journal);
         on_print_done(result) when the printer finishes ("ok", "paper_out",
         "no_printer"); on_sale_answered/on_sale_refused(seq) from the sale service.
Outputs: screen.show(lines) and printer.submit(slip). Nothing here blocks, retries or
         touches a driver; the sale service journals before anything leaves the device.
"""

from i18n import LANGUAGES, set_language, t
from journal import records as R
from journal.journal import JournalError, JournalFull
from keypad import FULL, SUBMIT, Entry
from micropython import const
from receipts.slip import pending_slip, shift_slip, token_slip

from vend import (
    MAX_DIGITS,
    METER_LENGTH,
    check_amount,
    check_meter,
    cursor_rows,
    format_money,
    group,
    masked,
    page,
    to_minor,
)
from vend.pin import find_vendor

# The states. Private consts: MicroPython compiles them into the code and keeps no
# names for them (tests/device/flowstates.py names them for tests, checked against this
# file).
_LOGIN = const(0)
_LOCKED = const(1)
_MENU = const(2)
_METER = const(3)
_AMOUNT = const(4)
_CONFIRM = const(5)
_WAITING = const(6)
_PRINTING = const(7)
_DONE = const(8)
_PAPER = const(9)
_PENDING_LIST = const(10)
_X_REPORT = const(11)
_Z_CONFIRM = const(12)
_STATUS = const(13)
_LANGUAGE = const(14)
_MESSAGE = const(15)
_REFUSED = const(16)
_TOKEN_READY = const(17)

_PIN_LENGTH = const(8)
_PIN_TRIES = const(5)
_LIST_ROWS = const(4)

# The menu: key "1" opens the first entry, and so on; -1 is "reprint last" (no screen).
# Each entry's text starts with its key ("1 Sale"): the line is then the text itself.
_MENU_TEXTS = (
    "m_sale",
    "m_reprint",
    "m_pending",
    "m_x",
    "m_z",
    "m_status",
    "m_language",
)
_MENU_TARGETS = (_METER, -1, _PENDING_LIST, _X_REPORT, _Z_CONFIRM, _STATUS, _LANGUAGE)


class VendFlow:
    """The handheld's screens and keys, from PIN login to printed slip.

    config: the validated config dict (config.py). clock: an object with MicroPython's
    time API (ticks_ms, ticks_diff, time, localtime). status: a function returning
    {"signal", "battery", "paper"} for the status screen. on_language(code): called
    when the vendor picks a language, to keep the choice across reboots.
    """

    def __init__(self, display, printer, sales, config, clock, status=None, on_language=None):
        self.display = display
        self.printer = printer
        self.sales = sales
        self.journal = sales.journal
        self.config = config
        self.clock = clock
        self.status = status
        self.on_language = on_language
        self.state = _LOGIN
        self.vendor = None
        self.entry = Entry(_PIN_LENGTH)
        self._error = None  # (i18n key, argument) shown under an entry
        self._tries = 0
        self._since = clock.ticks_ms()  # start of a lock or of waiting for an answer
        self._last_key = self._since
        self._meter = ""
        self._amount = 0
        self._seq = 0
        self._job = None  # (seq or 0, slip kind, slip lines) being printed
        self._done_kind = R.SLIP_TOKEN
        self._rows = []
        self._row = 0
        self._message = None
        self._back = _MENU
        sales.listener = self

    # ---- inputs ----

    def start(self):
        """Show the login screen."""
        self._to(_LOGIN)

    def on_key(self, key, is_long=False):
        """One key event from the keypad."""
        self._last_key = self.clock.ticks_ms()
        self._screen(key, is_long)

    def tick(self):
        """Time passing: answer timeout, PIN lock expiry, idle logout."""
        now = self.clock.ticks_ms()
        cfg = self.config
        state = self.state
        if state == _WAITING:
            # Printing starts here, not in the link's callback: the answer is journaled
            # in one event, the slip laid out in the next, and each fits the heap alone.
            answered = self.journal.state(self._seq) != R.PENDING
            waited = self.clock.ticks_diff(now, self._since)
            if answered or waited >= cfg["answer_timeout_s"] * 1000:
                self._print_sale(self._seq)
        elif state == _LOCKED:
            if self.clock.ticks_diff(now, self._since) >= cfg["pin_lock_s"] * 1000:
                self._tries = 0
                self._to(_LOGIN)
        elif (
            state != _LOGIN
            and state != _PRINTING
            and self.clock.ticks_diff(now, self._last_key) >= cfg["idle_logout_s"] * 1000
        ):
            self._to(_LOGIN)  # logs the vendor out

    def on_print_done(self, result):
        """The printer finished the slip submitted last: "ok", "paper_out" or "no_printer"."""
        if self.state != _PRINTING:
            return
        seq, kind, _ = self._job
        if result != "ok":
            self._error = ("paper_out" if result == "paper_out" else "no_printer", None)
            self._to(_PAPER)
            return
        self._job = None
        if seq:
            try:  # noqa: SIM105 - MicroPython has no contextlib
                self.sales.printed(seq, kind)
            except (OSError, JournalError):
                pass  # the slip is out; the sale stays "to print" and a reprint is harmless
        self._done_kind = kind if seq else -1
        if kind == R.SLIP_PENDING and self.journal.state(seq) == R.ANSWERED:
            self._to(_TOKEN_READY)  # the token came while the pending slip printed
            return
        self._to(_DONE)

    def on_sale_answered(self, seq):
        """The sale service journaled an answer for seq (the next tick prints it)."""
        if self.state == _MENU or self.state == _DONE:
            self._seq = seq
            self._to(_TOKEN_READY)

    def on_customer(self, meter):
        """The sale service learnt the customer's name for meter: show it if confirming."""
        if self.state == _CONFIRM and meter == self._meter:
            self._redraw()

    def on_sale_refused(self, seq):
        """The sale service journaled a refusal for seq (while waiting, the next tick shows it)."""
        if self.state == _MENU or self.state == _DONE:
            self._seq = seq
            self._to(_REFUSED)

    # ---- moving between screens ----

    def _to(self, state):
        self.state = state
        length = 0
        if state == _LOGIN:
            self.vendor = None  # logged out
            self._meter = ""
            length = _PIN_LENGTH
        elif state == _METER:
            length = METER_LENGTH
        elif state == _AMOUNT:
            length = MAX_DIGITS
        elif state == _PENDING_LIST:
            self._rows = self.journal.open_sales()
            self._row = 0
        if length:  # a screen with an entry: a fresh one
            if self.entry.max_len != length:
                self.entry = Entry(length)
            self.entry.clear()
            self._error = None
            if state == _METER:
                self.entry.set(self._meter)
        self._redraw()

    def _show_message(self, lines, back):
        self._message = lines
        self._back = back
        self._to(_MESSAGE)

    def _redraw(self):
        self.display.show(self._screen(None, False))

    def _screen(self, key, is_long):
        """The screen of the current state: with key None it returns the screen's lines,
        with a key it handles that key (a key the screen has no use for does nothing).
        One method for every screen: each function costs the heap ~25 bytes."""
        state = self.state
        cfg = self.config
        sales = self.sales
        journal = self.journal
        entry = self.entry
        if state == _LOGIN:
            if key is None:
                body = [cfg["utility"], t("pin_prompt"), masked(len(entry))]
                body.extend(self._error_text())
                return page(t("t_login"), body, t("f_enter"))
            result = entry.key(key, is_long)
            if result == SUBMIT and len(entry):
                vendor = find_vendor(cfg["vendors"], entry.text())
                entry.clear()
                if vendor is not None:
                    self.vendor = vendor
                    self._tries = 0
                    self._to(_MENU)
                    return None
                self._tries += 1
                if self._tries >= _PIN_TRIES:
                    self._since = self.clock.ticks_ms()
                    self._to(_LOCKED)
                    return None
                self._error = ("pin_wrong", _PIN_TRIES - self._tries)
            elif result != FULL:
                self._error = None
        elif state == _LOCKED:
            if key is None:
                return page(t("t_locked"), [t("lock_wait", cfg["pin_lock_s"] // 60)])
            return None  # keys wait for the lock to run out (tick())
        elif state == _MENU:
            if key is None:
                return page(t("t_menu"), [t(text) for text in _MENU_TEXTS])
            if key == "C":
                self._to(_LOGIN)
                return None
            index = ord(key) - 49  # "1" is the first entry
            if 0 <= index < len(_MENU_TARGETS):
                target = _MENU_TARGETS[index]
                if target < 0:  # reprint the last sale
                    seq = journal.last_seq()
                    if not seq or not journal.state(seq):
                        self._show_message([t("no_sale")], _MENU)
                    else:
                        self._print_sale(seq, True)
                    return None
                if target == _METER:
                    self._meter = ""
                self._to(target)
            return None
        elif state == _METER:
            if key is None:
                body = [group(entry.text()) or "-"]
                body.extend(self._error_text())
                return page(t("t_meter"), body, t("f_entry"))
            if key == "C":
                self._meter = ""
                self._to(_MENU)
                return None
            result = entry.key(key, is_long)
            if result == SUBMIT:
                digits = entry.text()
                self._error = check_meter(digits)
                if self._error is None:
                    self._meter = digits
                    # Ask the server who the customer is (answer: on_customer): the name
                    # may arrive before the confirm screen.
                    ask = getattr(sales.link, "lookup", None)
                    if ask is not None:
                        ask(digits)
                    self._to(_AMOUNT)
                    return None
            elif result == FULL:
                self._error = ("max_digits", METER_LENGTH)
            else:
                self._error = None
        elif state == _AMOUNT:
            if key is None:
                low = self._money(cfg["amount_min"])
                body = [
                    cfg["currency"] + " " + (entry.text() or "0"),
                    t("amt_limits", low, self._money(cfg["amount_max"])),
                ]
                body.extend(self._error_text())
                return page(t("t_amount"), body, t("f_entry"))
            if key == "C":
                self._to(_METER)
                return None
            result = entry.key(key, is_long)
            if result == SUBMIT:
                amount = to_minor(entry.text(), cfg["minor_digits"])
                problem = check_amount(amount, cfg["amount_min"], cfg["amount_max"])
                if problem is None:
                    self._amount = amount
                    self._to(_CONFIRM)
                    return None
                key_, limit = problem
                self._error = (key_, None if limit is None else self._money(limit))
            elif result == FULL:
                self._error = ("max_digits", MAX_DIGITS)
            else:
                self._error = None
        elif state == _CONFIRM:
            if key is None:
                body = [group(self._meter)]
                name = sales.customers.get(self._meter)  # from a recent answer
                if name:
                    body.append(name)
                body.append(self._money(self._amount))
                return page(t("t_confirm"), body, t("f_sell"))
            if key == "C":
                self._to(_AMOUNT)
            elif key == "#":  # sell
                left = sales.offline_refusal(self._amount)
                if left is not None:  # offline, and beyond what the reserve covers: not taken
                    self._show_message([t("off_limit"), t("off_left", self._money(left))], _CONFIRM)
                    return None
                try:
                    seq = sales.take(self._meter, self._amount, self.vendor)
                except (OSError, JournalError) as exc:
                    reason = "sync_first" if isinstance(exc, JournalFull) else "store_err"
                    self._show_message([t(reason), t("not_taken")], _MENU)
                    return None
                self._seq = seq
                self._since = self.clock.ticks_ms()
                self._to(_WAITING)  # before sending: the answer may come back inside send()
                try:  # noqa: SIM105 - MicroPython has no contextlib
                    sales.send(seq)
                except OSError:
                    pass  # journaled and not sent: the timeout prints a pending slip
            return None
        elif state == _WAITING:
            if key is None:
                body = [sales.sale_id(self._seq), self._money(self._amount), "", t("wait_body")]
                return page(t("t_waiting"), body, t("f_nowait"))
            if key == "C":
                self._print_sale(self._seq)
            return None
        elif state == _PRINTING:
            if key is None:
                return page(t("t_printing"), [t("print_wait")])
            return None  # on_print_done() moves on
        elif state == _DONE:
            kind = self._done_kind
            if key is None:
                if kind == R.SLIP_PENDING:
                    body = [t("done_pend"), sales.sale_id(self._seq)]
                    return page(t("t_done"), body, t("f_next"))
                if kind == R.SLIP_TOKEN:
                    return page(t("t_done"), [t("done_token")], t("f_next"))
                return page(t("t_done"), [t("done_rep")], t("f_ok"))
            if key == "#" and kind >= 0:
                self._meter = ""
                self._to(_METER)
            elif key == "#" or key == "C":
                self._to(_MENU)
            return None
        elif state == _PAPER:
            if key is None:
                return page(t("t_paper"), self._error_text(), t("f_retry"))
            if key == "#":
                self._to(_PRINTING)
                self.printer.submit(self._job[2])
            elif key == "C":
                self._job = None
                self._to(_MENU)
            return None
        elif state == _PENDING_LIST:
            rows = self._rows
            row = self._row
            if key is None:
                if not rows:
                    return page(t("t_pending"), [t("pend_none")], t("f_back"))
                top = row - row % _LIST_ROWS
                lines = []
                for seq in rows[top : top + _LIST_ROWS]:
                    try:
                        amount = format_money(journal.sale(seq)["amount"], cfg["minor_digits"])
                    except (OSError, JournalError):
                        amount = "?"
                    lines.append("#" + str(seq) + " " + amount)
                body = cursor_rows(lines, row - top)
                seq = rows[row]
                sale_state = journal.state(seq)
                if sale_state == R.PENDING:
                    body.append(t("st_wait"))
                elif journal.refused(seq):
                    body.append(t("st_refund"))
                elif sale_state == R.ANSWERED:
                    body.append(t("st_print"))
                else:
                    body.append(t("st_sync"))
                title = t("t_pending") + " " + str(len(rows))
                return page(title, body, t("f_list"))
            if key == "C":
                self._to(_MENU)
                return None
            if (key == "2" or key == "A") and row > 0:
                self._row -= 1
            elif (key == "8" or key == "B") and row < len(rows) - 1:
                self._row += 1
            elif key == "#" and rows:  # act on the sale
                seq = rows[row]
                sale_state = journal.state(seq)
                self._seq = seq
                if sale_state == R.PENDING:
                    sales.send(seq)
                    self._show_message([t("sent_again"), sales.sale_id(seq)], _PENDING_LIST)
                elif journal.refused(seq):
                    self._to(_REFUSED)
                elif sale_state == R.ANSWERED:
                    self._print_sale(seq)
                else:
                    sales.printed(seq, R.SLIP_TOKEN)  # sends the acknowledgement again
                    self._show_message([t("await_ack")], _PENDING_LIST)
                return None
            else:
                return None  # a key this screen has no use for
        elif state == _X_REPORT or state == _Z_CONFIRM:  # noqa: SIM109 - no tuple constant
            x = state == _X_REPORT
            if key is None:
                totals = journal.shift_totals()
                body = [
                    t("shift_n", totals["shift"]),
                    t("sales_n", totals["count"]),
                    self._money(totals["amount"]),
                    t("refunds_n", totals["refunds"]),
                    self._money(totals["refunded"]),
                    t("unsynced_n", totals["open"]),
                ]
                return page(t("t_x" if x else "t_z"), body, t("f_print" if x else "f_close"))
            if key == "C":
                self._to(_MENU)
            elif key == "#":
                now = self.clock.time()
                if x:
                    totals = journal.shift_totals()
                else:
                    try:
                        totals = journal.close_shift(now)
                    except (OSError, JournalError):
                        self._show_message([t("store_err")], _MENU)
                        return None
                self._print(0, -1, shift_slip(totals, self._ctx(0), now, not x))
            return None
        elif state == _STATUS:
            if key is None:
                info = self.status() if self.status is not None else {}
                signal = info.get("signal")
                battery = info.get("battery")
                paper = info.get("paper")
                problem = getattr(sales.link, "problem", None)  # the server's last error
                if problem:  # the server refused us (device disabled, bad signature...)
                    link = t("i_problem", problem)
                else:
                    link = t("i_online" if sales.link.online() else "i_offline")
                body = [
                    t("i_signal", "-" if signal is None else str(signal) + "/5"),
                    t("i_battery", "-" if battery is None else str(battery) + "%"),
                    t("i_paper", t("paper_" + paper) if paper else "-"),
                    t("i_queue", len(journal.open_sales())),
                    link,
                    t("i_version", cfg["firmware"]),
                ]
                return page(t("t_status"), body, t("f_back"))
            if key == "C":
                self._to(_MENU)
                return None
            if key != "#":  # "#" refreshes
                return None
        elif state == _LANGUAGE:
            if key is None:
                body = [str(i + 1) + " " + t("lang_" + code) for i, code in enumerate(LANGUAGES)]
                return page(t("t_language"), body, t("f_back"))
            if key == "C":
                self._to(_MENU)
                return None
            index = ord(key) - 49  # "1" is the first language
            if 0 <= index < len(LANGUAGES):
                set_language(LANGUAGES[index])
                if self.on_language is not None:
                    self.on_language(LANGUAGES[index])
                self._to(_MENU)
            return None
        elif state == _MESSAGE:
            if key is None:
                return page(t("t_notice"), self._message, t("f_ok"))
            if key == "#" or key == "C":
                self._to(self._back)
            return None
        elif state == _REFUSED:
            if key is None:
                try:
                    sale = journal.sale(self._seq)
                    reason = sale["refused"] or ""
                    amount = self._money(sale["amount"])
                except (OSError, JournalError):
                    reason, amount = "", "?"
                body = [sales.sale_id(self._seq), reason, t("give_back", amount)]
                return page(t("t_refused"), body, t("f_ok"))
            if key == "#":
                sales.refusal_seen(self._seq)
                self._to(_MENU)
            return None
        elif state == _TOKEN_READY:
            if key is None:
                body = [sales.sale_id(self._seq), t("token_body")]
                return page(t("t_token"), body, t("f_later"))
            if key == "#":
                self._print_sale(self._seq)
            elif key == "C":
                self._to(_MENU)
            return None
        self._redraw()  # the key changed what this screen shows
        return None

    # ---- printing ----

    def _print_sale(self, seq, reprint=False):
        """Print the slip a sale needs now: token slip if answered, else pending slip."""
        try:
            sale = self.journal.sale(seq)
        except (OSError, JournalError):
            self._show_message([t("store_err")], _MENU)
            return
        self._seq = seq
        if sale["refused"] is not None:
            self._to(_REFUSED)
            return
        ctx = self._ctx(seq)
        if sale["state"] == R.PENDING:
            again = reprint and sale["pending_slip"]
            self._print(seq, R.SLIP_PENDING, pending_slip(sale, ctx, again))
        else:
            again = reprint and sale["state"] >= R.PRINTED_STATE
            self.sales.remember_customer(sale["meter"], sale["answer"].get("customer"))
            self._print(seq, R.SLIP_TOKEN, token_slip(sale, ctx, again))

    def _print(self, seq, kind, slip):
        self._job = (seq, kind, slip)
        self._to(_PRINTING)
        self.printer.submit(slip)

    def _ctx(self, seq):
        cfg = self.config
        return {
            "utility": cfg["utility"],
            "device": cfg["device_id"],
            "vendor": self.vendor["name"] if self.vendor else "",
            "sale_id": self.sales.sale_id(seq) if seq else "",
            "currency": cfg["currency"],
            "digits": cfg["minor_digits"],
            "localtime": self.clock.localtime,
        }

    def _money(self, minor):
        return format_money(minor, self.config["minor_digits"], self.config["currency"])

    def _error_text(self):
        if self._error is None:
            return []
        key, arg = self._error
        return [t(key) if arg is None else t(key, arg)]
