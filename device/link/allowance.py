"""The offline allowance on the handheld: may this sale be taken without the server?

The server tells the handheld, in every result and config, a snapshot (ceiling, spent):
cumulative totals of what it has reserved for this device's offline sales and what synced
offline sales have used. The handheld keeps the newest snapshot (link/state.py) and the
total of its offline sales not yet answered (pending). It takes an offline sale only while

    spent + pending + amount <= ceiling

so every sale it accepts offline was paid for in advance from the vendor's float, and the
server issues them all when they sync (server/services/offline.py holds the other half).
"""


class OfflineAllowance:
    """Room for offline sales, from the snapshot in `state` and the unanswered offline sales."""

    def __init__(self, state):
        self.state = state
        self.pending = 0  # amount of offline sales the server has not answered yet
        self.counted_to = 0  # sales up to this seq are in `pending` (or answered)

    def rebuild(self, journal):
        """Count the journal's unanswered offline sales (at boot)."""
        self.pending = 0
        for seq in journal.awaiting_answer():
            sale = journal.sale(seq)
            if sale.get("off"):
                self.pending += sale["amount"]
        self.counted_to = journal.last_seq()

    def room(self):
        """What may still be sold offline, in minor units (0 or more)."""
        snap = self.state.snapshot
        left = snap[1] - snap[2] - self.pending
        return left if left > 0 else 0

    def admits(self, amount):
        return amount <= self.room()

    def taken(self, seq, amount):
        """An offline sale was journaled (counted once, however often it is sent)."""
        if seq > self.counted_to:
            self.counted_to = seq
            self.pending += amount

    def settled(self, amount):
        """An offline sale got its answer (tokens or refusal): no longer pending."""
        self.pending -= amount
        if self.pending < 0:
            self.pending = 0

    def report(self):
        """[snapshot seq, ceiling, spent, pending]: sent in hello and ack, so the server
        knows what it may give back to the float."""
        snap = self.state.snapshot
        return [snap[0], snap[1], snap[2], self.pending]
