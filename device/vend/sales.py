"""The sale service: journal first, then the link; answers come back through here.

The vend flow calls take() / send() / printed(); the link calls on_answer() /
on_refused() / on_acknowledged() whenever answers arrive (now or much later). Every
change is journaled before anything else happens, so a power cut at any point leaves
the journal saying what to do next.
"""

from journal import records as R


def answer_problem(answer):
    """None when an answer dict has the shape link/__init__.py gives, else what is wrong
    (for logs)."""
    if not isinstance(answer, dict):
        return "not a dict"
    # A list, not a tuple: a tuple constant would hold its strings on the heap.
    for key in [
        "receipt",
        "customer",
        "tokens",
        "key_change",
        "kwh_tenths",
        "tax",
        "fixed",
        "debt",
    ]:
        if key not in answer:
            return "answer has no " + key
    for key in ["tokens", "key_change"]:
        for token in answer[key]:
            if not isinstance(token, str) or len(token) != 20 or not token.isdigit():
                return key + ": bad token"  # not a 20-digit token
    if not answer["tokens"]:
        return "answer has no credit token"
    for key in ["kwh_tenths", "tax", "fixed", "debt"]:
        if not isinstance(answer[key], int) or answer[key] < 0:
            return key + " < 0"  # or not a whole number
    return None


class Sales:
    """Sales of one device: ids, journal, link, and who to tell when an answer lands."""

    def __init__(self, journal, link, device_id, clock):
        self.journal = journal
        self.link = link
        self.device_id = device_id
        self.clock = clock
        self.listener = None  # the flow: on_sale_answered(seq), on_sale_refused(seq)
        self.rejected_answers = 0
        self.customers = {}  # meter -> customer name from recent answers (the flow shows it)
        link.listener = self

    def sale_id(self, seq):
        """The id the server knows a sale by: device id + sequence number."""
        return "%s-%06d" % (self.device_id, seq)  # noqa: UP031 - MicroPython

    def seq_of(self, sale_id):
        """The sequence number in one of this device's sale ids (None if not ours)."""
        prefix = self.device_id + "-"
        if not sale_id.startswith(prefix):
            return None
        try:
            return int(sale_id[len(prefix) :])
        except ValueError:
            return None

    def take(self, meter, amount, vendor):
        """Journal a new sale (cash taken); returns its seq. Raises if nothing was stored."""
        sale = {
            "meter": meter,
            "amount": amount,
            "time": self.clock.time(),
            "vendor": vendor["id"],
            "vendor_name": vendor.get("name", vendor["id"]),
        }
        if not self.link.online():
            sale["off"] = 1  # taken without the server: paid from the offline reserve
        return self.journal.add_sale(sale)

    def offline_refusal(self, amount):
        """None when a sale of amount may be taken now, else what is left of the offline
        allowance (the link is down and the sale would go beyond it)."""
        room = getattr(self.link, "offline_room", None)
        if room is None or self.link.online():
            return None
        left = room()
        return None if amount <= left else left

    def send(self, seq):
        """Hand a journaled sale to the link (again, if it was sent before)."""
        sale = self.journal.sale(seq)
        self.link.submit(
            {
                "id": self.sale_id(seq),
                "meter": sale["meter"],
                "amount": sale["amount"],
                "time": sale["time"],
                "vendor": sale["vendor"],
                "off": sale.get("off", 0),
            }
        )

    def resend_unanswered(self):
        """Send every sale still waiting for an answer (after boot or reconnect)."""
        seqs = self.journal.awaiting_answer()
        for seq in seqs:
            self.send(seq)
        return len(seqs)

    def printed(self, seq, slip):
        """Journal that a slip printed; a token slip completes the sale with the server."""
        self.journal.mark_printed(seq, slip)
        if slip == R.SLIP_TOKEN:
            self.link.acknowledge(self.sale_id(seq))

    def refusal_seen(self, seq):
        """The vendor saw a refusal (and hands the cash back): tell the server."""
        self.link.acknowledge(self.sale_id(seq))

    def unacknowledged_done(self):
        """Acknowledge again every printed or refused sale the server has not confirmed."""
        for seq in self.journal.open_sales():
            state = self.journal.state(seq)
            if state == R.PRINTED_STATE or (state == R.ANSWERED and self.journal.refused(seq)):
                self.link.acknowledge(self.sale_id(seq))

    def remember_customer(self, meter, name):
        """Keep the customer name an answer gave, to show on the next sale to that meter."""
        if not name:
            return
        if len(self.customers) >= 16:
            self.customers = {}  # a small cache: forgetting costs only a name on screen
        self.customers[meter] = name

    # ---- called by the link ----

    def on_answer(self, sale_id, answer):
        """The server's answer for a sale: journal it, then tell the flow."""
        seq = self.seq_of(sale_id)
        if seq is None or answer_problem(answer) is not None:
            self.rejected_answers += 1
            return
        answered = self.journal.state(seq) == R.PENDING and self.journal.add_answer(seq, answer)
        if answered and self.listener is not None:
            self.listener.on_sale_answered(seq)

    def on_refused(self, sale_id, reason):
        """The server refused a sale: journal it, then tell the flow."""
        seq = self.seq_of(sale_id)
        if seq is None:
            self.rejected_answers += 1
            return
        refused = self.journal.state(seq) == R.PENDING and self.journal.add_refusal(seq, reason)
        if refused and self.listener is not None:
            self.listener.on_sale_refused(seq)

    def on_customer(self, meter, name):
        """The server named the customer behind meter: show it on the confirm screen."""
        self.remember_customer(meter, name)
        if self.listener is not None:
            self.listener.on_customer(meter)

    def on_acknowledged(self, sale_id):
        """The server recorded the sale as complete: the journal may let it go."""
        seq = self.seq_of(sale_id)
        if seq is not None and self.journal.state(seq) >= R.ANSWERED:
            self.journal.acknowledge(seq)
