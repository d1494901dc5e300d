"""The sale service: journal first, then the link; answers come back through here.

The vend flow calls take() / send() / printed(); the link calls on_answer() /
on_refused() / on_acknowledged() whenever answers arrive (now or much later). Every
change is journaled before anything else happens, so a power cut at any point leaves
the journal saying what to do next.
"""

from journal import records as R
from link.interface import answer_problem


class Sales:
    """Sales of one device: ids, journal, link, and who to tell when an answer lands."""

    def __init__(self, journal, link, device_id, clock):
        self.journal = journal
        self.link = link
        self.device_id = device_id
        self.clock = clock
        self.listener = None  # the flow: on_sale_answered(seq), on_sale_refused(seq)
        self.rejected_answers = 0
        self._customers = {}  # meter -> customer name from recent answers
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

    def link_problem(self):
        """The error code the server last refused us with (None when all is well)."""
        return getattr(self.link, "problem", None)

    def lookup(self, meter):
        """Ask the server who the customer behind meter is (answer: on_customer)."""
        ask = getattr(self.link, "lookup", None)
        if ask is not None:
            ask(meter)

    def customer_name(self, meter):
        """The customer name a recent answer gave for this meter, or None."""
        return self._customers.get(meter)

    def remember_customer(self, meter, name):
        """Keep the customer name an answer gave, to show on the next sale to that meter."""
        if not name:
            return
        if len(self._customers) >= 16:
            self._customers = {}  # a small cache: forgetting costs only a name on screen
        self._customers[meter] = name

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
