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
from keypad.entry import FULL, SUBMIT, Entry
from receipts.report import shift_slip
from receipts.slip import pending_slip, token_slip

from vend import screen
from vend.amount import MAX_DIGITS, check_amount, format_money, to_minor
from vend.meter import LENGTH as METER_LENGTH
from vend.meter import check_meter, group
from vend.pin import find_vendor

try:
    from micropython import const
except ImportError:

    def const(value):
        return value


LOGIN = const(0)
LOCKED = const(1)
MENU = const(2)
METER = const(3)
AMOUNT = const(4)
CONFIRM = const(5)
WAITING = const(6)
PRINTING = const(7)
DONE = const(8)
PAPER = const(9)
PENDING_LIST = const(10)
X_REPORT = const(11)
Z_CONFIRM = const(12)
STATUS = const(13)
LANGUAGE = const(14)
MESSAGE = const(15)
REFUSED = const(16)
TOKEN_READY = const(17)

PIN_LENGTH = 8
PIN_TRIES = 5
LIST_ROWS = 4

_MENU = (
    ("1", "menu_sale", METER),
    ("2", "menu_reprint", None),
    ("3", "menu_pending", PENDING_LIST),
    ("4", "menu_x", X_REPORT),
    ("5", "menu_z", Z_CONFIRM),
    ("6", "menu_status", STATUS),
    ("7", "menu_language", LANGUAGE),
)


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
        self.state = LOGIN
        self.vendor = None
        self.entry = Entry(PIN_LENGTH)
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
        self._back = MENU
        sales.listener = self

    # ---- inputs ----

    def start(self):
        """Show the login screen."""
        self._to(LOGIN)

    def on_key(self, key, is_long=False):
        """One key event from the keypad."""
        self._last_key = self.clock.ticks_ms()
        handler = _KEYS[self.state]
        if handler is not None:
            handler(self, key, is_long)

    def tick(self):
        """Time passing: answer timeout, PIN lock expiry, idle logout."""
        now = self.clock.ticks_ms()
        cfg = self.config
        if self.state == WAITING:
            # Printing starts here, not in the link's callback: the answer is journaled
            # in one event, the slip laid out in the next, and each fits the heap alone.
            answered = self.journal.state(self._seq) != R.PENDING
            waited = self.clock.ticks_diff(now, self._since)
            if answered or waited >= cfg["answer_timeout_s"] * 1000:
                self._print_sale(self._seq)
        elif self.state == LOCKED:
            if self.clock.ticks_diff(now, self._since) >= cfg["pin_lock_s"] * 1000:
                self._tries = 0
                self._to(LOGIN)
        elif (
            self.state not in (LOGIN, PRINTING)
            and self.clock.ticks_diff(now, self._last_key) >= cfg["idle_logout_s"] * 1000
        ):
            self._logout()

    def on_print_done(self, result):
        """The printer finished the slip submitted last: "ok", "paper_out" or "no_printer"."""
        if self.state != PRINTING:
            return
        seq, kind, _ = self._job
        if result != "ok":
            self._error = ("paper_out" if result == "paper_out" else "no_printer", None)
            self._to(PAPER)
            return
        self._job = None
        if seq:
            try:  # noqa: SIM105 - MicroPython has no contextlib
                self.sales.printed(seq, kind)
            except (OSError, JournalError):
                pass  # the slip is out; the sale stays "to print" and a reprint is harmless
        self._done_kind = kind if seq else -1
        if kind == R.SLIP_PENDING and self.journal.state(seq) == R.ANSWERED:
            self._to(TOKEN_READY)  # the token came while the pending slip printed
            return
        self._to(DONE)

    def on_sale_answered(self, seq):
        """The sale service journaled an answer for seq (the next tick prints it)."""
        if self.state in (MENU, DONE):
            self._seq = seq
            self._to(TOKEN_READY)

    def on_sale_refused(self, seq):
        """The sale service journaled a refusal for seq (while waiting, the next tick shows it)."""
        if self.state in (MENU, DONE):
            self._seq = seq
            self._to(REFUSED)

    # ---- moving between screens ----

    def _to(self, state):
        self.state = state
        if state == LOGIN:
            self._new_entry(PIN_LENGTH)
        elif state == METER:
            self._new_entry(METER_LENGTH)
            self.entry.set(self._meter)
        elif state == AMOUNT:
            self._new_entry(MAX_DIGITS)
        elif state == PENDING_LIST:
            self._rows = self.journal.open_sales()
            self._row = 0
        self.display.show(_RENDER[state](self))

    def _new_entry(self, length):
        if self.entry.max_len != length:
            self.entry = Entry(length)
        self.entry.clear()
        self._error = None

    def _show_message(self, lines, back):
        self._message = lines
        self._back = back
        self._to(MESSAGE)

    def _logout(self):
        self.vendor = None
        self._meter = ""
        self._to(LOGIN)

    def _redraw(self):
        self.display.show(_RENDER[self.state](self))

    # ---- key handlers, one per screen ----

    def _key_login(self, key, is_long):
        result = self.entry.key(key, is_long)
        if result == SUBMIT and len(self.entry):
            vendor = find_vendor(self.config["vendors"], self.entry.text())
            self.entry.clear()
            if vendor is not None:
                self.vendor = vendor
                self._tries = 0
                self._to(MENU)
                return
            self._tries += 1
            if self._tries >= PIN_TRIES:
                self._since = self.clock.ticks_ms()
                self._to(LOCKED)
                return
            self._error = ("pin_wrong", PIN_TRIES - self._tries)
        elif result != FULL:
            self._error = None
        self._redraw()

    def _key_menu(self, key, is_long):
        if key == "C":
            self._logout()
            return
        for digit, _, target in _MENU:
            if key == digit:
                if target is None:
                    self._reprint_last()
                else:
                    if target == METER:
                        self._meter = ""
                    self._to(target)
                return

    def _key_meter(self, key, is_long):
        if key == "C":
            self._meter = ""
            self._to(MENU)
            return
        result = self.entry.key(key, is_long)
        if result == SUBMIT:
            digits = self.entry.text()
            self._error = check_meter(digits)
            if self._error is None:
                self._meter = digits
                self._to(AMOUNT)
                return
        elif result == FULL:
            self._error = ("too_many_digits", METER_LENGTH)
        else:
            self._error = None
        self._redraw()

    def _key_amount(self, key, is_long):
        if key == "C":
            self._to(METER)
            return
        result = self.entry.key(key, is_long)
        if result == SUBMIT:
            cfg = self.config
            amount = to_minor(self.entry.text(), cfg["minor_digits"])
            problem = check_amount(amount, cfg["amount_min"], cfg["amount_max"])
            if problem is None:
                self._amount = amount
                self._to(CONFIRM)
                return
            key_, limit = problem
            self._error = (key_, None if limit is None else self._money(limit))
        elif result == FULL:
            self._error = ("too_many_digits", MAX_DIGITS)
        else:
            self._error = None
        self._redraw()

    def _key_confirm(self, key, is_long):
        if key == "C":
            self._to(AMOUNT)
        elif key == "#":
            self._sell()

    def _sell(self):
        try:
            seq = self.sales.take(self._meter, self._amount, self.vendor)
        except (OSError, JournalError) as exc:
            reason = "journal_full" if isinstance(exc, JournalFull) else "storage_error"
            self._show_message([t(reason), t("sale_not_taken")], MENU)
            return
        self._seq = seq
        self._since = self.clock.ticks_ms()
        self._to(WAITING)  # before sending: the answer may come back inside send()
        try:  # noqa: SIM105 - MicroPython has no contextlib
            self.sales.send(seq)
        except OSError:
            pass  # journaled and not sent: the timeout prints a pending slip

    def _key_waiting(self, key, is_long):
        if key == "C":
            self._print_sale(self._seq)

    def _key_done(self, key, is_long):
        if key == "#" and self._done_kind >= 0:
            self._meter = ""
            self._to(METER)
        elif key in ("#", "C"):
            self._to(MENU)

    def _key_paper(self, key, is_long):
        if key == "#":
            self._to(PRINTING)
            self.printer.submit(self._job[2])
        elif key == "C":
            self._job = None
            self._to(MENU)

    def _key_list(self, key, is_long):
        if key == "C":
            self._to(MENU)
        elif key in ("2", "A") and self._row > 0:
            self._row -= 1
            self._redraw()
        elif key in ("8", "B") and self._row < len(self._rows) - 1:
            self._row += 1
            self._redraw()
        elif key == "#" and self._rows:
            self._act_on(self._rows[self._row])

    def _act_on(self, seq):
        state = self.journal.state(seq)
        self._seq = seq
        if state == R.PENDING:
            self.sales.send(seq)
            self._show_message([t("sent_again"), self.sales.sale_id(seq)], PENDING_LIST)
        elif self.journal.refused(seq):
            self._to(REFUSED)
        elif state == R.ANSWERED:
            self._print_sale(seq)
        else:
            self.sales.printed(seq, R.SLIP_TOKEN)  # sends the acknowledgement again
            self._show_message([t("awaiting_server")], PENDING_LIST)

    def _key_x(self, key, is_long):
        if key == "C":
            self._to(MENU)
        elif key == "#":
            slip = shift_slip(self.journal.shift_totals(), self._ctx(0), self.clock.time(), False)
            self._print(0, -1, slip)

    def _key_z(self, key, is_long):
        if key == "C":
            self._to(MENU)
        elif key == "#":
            now = self.clock.time()
            try:
                closed = self.journal.close_shift(now)
            except (OSError, JournalError):
                self._show_message([t("storage_error")], MENU)
                return
            self._print(0, -1, shift_slip(closed, self._ctx(0), now, True))

    def _key_status(self, key, is_long):
        if key == "C":
            self._to(MENU)
        elif key == "#":
            self._redraw()

    def _key_language(self, key, is_long):
        if key == "C":
            self._to(MENU)
            return
        index = ord(key) - ord("1")
        if 0 <= index < len(LANGUAGES):
            set_language(LANGUAGES[index])
            if self.on_language is not None:
                self.on_language(LANGUAGES[index])
            self._to(MENU)

    def _key_message(self, key, is_long):
        if key in ("#", "C"):
            self._to(self._back)

    def _key_refused(self, key, is_long):
        if key == "#":
            self.sales.refusal_seen(self._seq)
            self._to(MENU)

    def _key_token_ready(self, key, is_long):
        if key == "#":
            self._print_sale(self._seq)
        elif key == "C":
            self._to(MENU)

    # ---- printing ----

    def _reprint_last(self):
        seq = self.journal.last_seq()
        if not seq or not self.journal.state(seq):
            self._show_message([t("no_sale_yet")], MENU)
            return
        self._print_sale(seq, reprint=True)

    def _print_sale(self, seq, reprint=False):
        """Print the slip a sale needs now: token slip if answered, else pending slip."""
        try:
            sale = self.journal.sale(seq)
        except (OSError, JournalError):
            self._show_message([t("storage_error")], MENU)
            return
        self._seq = seq
        if sale["refused"] is not None:
            self._to(REFUSED)
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
        self._to(PRINTING)
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
        return self.config["currency"] + " " + format_money(minor, self.config["minor_digits"])

    # ---- screens ----

    def _error_text(self):
        if self._error is None:
            return []
        key, arg = self._error
        return [t(key) if arg is None else t(key, arg)]

    def _screen_login(self):
        body = [self.config["utility"], t("pin_prompt"), screen.masked(len(self.entry))]
        body.extend(self._error_text())
        return screen.page(t("login_title"), body, t("footer_enter"))

    def _screen_locked(self):
        return screen.page(t("locked_title"), [t("locked_body", self.config["pin_lock_s"] // 60)])

    def _screen_menu(self):
        return screen.page(t("menu_title"), [d + " " + t(k) for d, k, _ in _MENU])

    def _screen_meter(self):
        body = [group(self.entry.text()) or "-"]
        body.extend(self._error_text())
        return screen.page(t("meter_title"), body, t("footer_entry"))

    def _screen_amount(self):
        cfg = self.config
        limits = t("amount_limits", self._money(cfg["amount_min"]), self._money(cfg["amount_max"]))
        typed = self.entry.text() or "0"
        body = [cfg["currency"] + " " + typed, limits]
        body.extend(self._error_text())
        return screen.page(t("amount_title"), body, t("footer_entry"))

    def _screen_confirm(self):
        body = [group(self._meter)]
        name = self.sales.customer_name(self._meter)
        if name:
            body.append(name)
        body.append(self._money(self._amount))
        return screen.page(t("confirm_title"), body, t("footer_sell"))

    def _screen_waiting(self):
        body = [self.sales.sale_id(self._seq), self._money(self._amount), "", t("waiting_body")]
        return screen.page(t("waiting_title"), body, t("footer_dont_wait"))

    def _screen_printing(self):
        return screen.page(t("printing_title"), [t("printing_body")])

    def _screen_done(self):
        if self._done_kind == R.SLIP_PENDING:
            body = [t("pending_done"), self.sales.sale_id(self._seq)]
            return screen.page(t("done_title"), body, t("footer_next"))
        if self._done_kind == R.SLIP_TOKEN:
            return screen.page(t("done_title"), [t("token_done")], t("footer_next"))
        return screen.page(t("done_title"), [t("report_done")], t("footer_ok"))

    def _screen_paper(self):
        return screen.page(t("paper_title"), self._error_text(), t("footer_retry"))

    def _screen_list(self):
        if not self._rows:
            return screen.page(t("pending_title"), [t("pending_none")], t("footer_back"))
        top = self._row - self._row % LIST_ROWS
        rows = []
        for seq in self._rows[top : top + LIST_ROWS]:
            try:
                amount = self.journal.sale(seq)["amount"]
                rows.append(
                    "#" + str(seq) + " " + format_money(amount, self.config["minor_digits"])
                )
            except (OSError, JournalError):
                rows.append("#" + str(seq) + " ?")
        body = screen.cursor_rows(rows, self._row - top)
        body.append(self._row_state(self._rows[self._row]))
        title = t("pending_title") + " " + str(len(self._rows))
        return screen.page(title, body, t("footer_list"))

    def _row_state(self, seq):
        state = self.journal.state(seq)
        if state == R.PENDING:
            return t("st_wait")
        if self.journal.refused(seq):
            return t("st_refund")
        if state == R.ANSWERED:
            return t("st_print")
        return t("st_sync")

    def _screen_x(self):
        return screen.page(t("x_title"), self._totals_lines(), t("footer_print"))

    def _screen_z(self):
        return screen.page(t("z_title"), self._totals_lines(), t("footer_close"))

    def _totals_lines(self):
        totals = self.journal.shift_totals()
        return [
            t("shift_n", totals["shift"]),
            t("sales_n", totals["count"]),
            self._money(totals["amount"]),
            t("refunds_n", totals["refunds"]),
            self._money(totals["refunded"]),
            t("unsynced_n", totals["open"]),
        ]

    def _screen_status(self):
        info = self.status() if self.status is not None else {}
        signal = info.get("signal")
        battery = info.get("battery")
        paper = info.get("paper")
        online = self.sales.link.online()
        body = [
            t("status_signal", "-" if signal is None else str(signal) + "/5"),
            t("status_battery", "-" if battery is None else str(battery) + "%"),
            t("status_paper", t("paper_" + paper) if paper else "-"),
            t("status_queue", len(self.journal.open_sales())),
            t("link_online" if online else "link_offline"),
            t("status_version", self.config["firmware"]),
        ]
        return screen.page(t("status_title"), body, t("footer_back"))

    def _screen_language(self):
        body = [str(i + 1) + " " + t("lang_" + code) for i, code in enumerate(LANGUAGES)]
        return screen.page(t("language_title"), body, t("footer_back"))

    def _screen_message(self):
        return screen.page(t("notice_title"), self._message, t("footer_ok"))

    def _screen_refused(self):
        try:
            sale = self.journal.sale(self._seq)
            reason = sale["refused"] or ""
            amount = self._money(sale["amount"])
        except (OSError, JournalError):
            reason, amount = "", "?"
        body = [self.sales.sale_id(self._seq), reason, t("refund_cash", amount)]
        return screen.page(t("refused_title"), body, t("footer_ok"))

    def _screen_token_ready(self):
        body = [self.sales.sale_id(self._seq), t("token_ready_body")]
        return screen.page(t("token_ready_title"), body, t("footer_print_later"))


# Per-state tables, indexed by the state constants above.
_KEYS = (
    VendFlow._key_login,
    None,
    VendFlow._key_menu,
    VendFlow._key_meter,
    VendFlow._key_amount,
    VendFlow._key_confirm,
    VendFlow._key_waiting,
    None,
    VendFlow._key_done,
    VendFlow._key_paper,
    VendFlow._key_list,
    VendFlow._key_x,
    VendFlow._key_z,
    VendFlow._key_status,
    VendFlow._key_language,
    VendFlow._key_message,
    VendFlow._key_refused,
    VendFlow._key_token_ready,
)
_RENDER = (
    VendFlow._screen_login,
    VendFlow._screen_locked,
    VendFlow._screen_menu,
    VendFlow._screen_meter,
    VendFlow._screen_amount,
    VendFlow._screen_confirm,
    VendFlow._screen_waiting,
    VendFlow._screen_printing,
    VendFlow._screen_done,
    VendFlow._screen_paper,
    VendFlow._screen_list,
    VendFlow._screen_x,
    VendFlow._screen_z,
    VendFlow._screen_status,
    VendFlow._screen_language,
    VendFlow._screen_message,
    VendFlow._screen_refused,
    VendFlow._screen_token_ready,
)
