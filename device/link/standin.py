"""A local stand-in for the vending server, until the real link lands.

STAND-IN ONLY: the tokens it makes are not STS tokens and no meter accepts them. It
exists so the simulator and the tests can run a whole sale. It answers on poll(), not
inside submit(), the way a real server's answer arrives later; set online=False to
see the offline path (pending slips, late tokens).
"""

import hashlib

STANDIN_RECEIPT_PREFIX = "STANDIN-"


def standin_token(sale_id, n=0):
    """A deterministic 20-digit number for a sale id (not a real STS token)."""
    digest = hashlib.sha256((sale_id + "/" + str(n)).encode()).digest().hex()
    digits = str(int(digest[:20], 16) % 10**20)
    return "0" * (20 - len(digits)) + digits


class StandInServer:
    """Answers every sale with stand-in tokens; refuses meters listed in `refuse`."""

    def __init__(self, online=True, tax_percent=16, price_per_kwh=2500, refuse=(), key_change=()):
        self.listener = None
        self.is_online = online
        self.tax_percent = tax_percent
        self.price_per_kwh = price_per_kwh  # minor units per kWh
        self.refuse = refuse
        self.key_change = key_change  # meters that also get two key change tokens
        self._queue = []
        self._answers = {}  # sale id -> answer: a repeated sale gets the same answer
        self.submitted = 0
        # What main.py sets on, or asks of, any link (link/manager.py has the real ones).
        self.firmware = ""
        self.status = None
        self.on_config = None
        self.bearer = None
        self.problem = None

    def healthy(self):
        """Always: the stand-in has no task that could get stuck."""
        return True

    def submit(self, sale):
        """Queue a sale; it is answered at the next poll() while online."""
        self.submitted += 1
        self._queue.append(("sale", sale))

    def acknowledge(self, sale_id):
        """Queue an acknowledgement; confirmed at the next poll() while online."""
        self._queue.append(("ack", sale_id))

    def online(self):
        """Whether the stand-in is answering."""
        return self.is_online

    def poll(self):
        """Deliver everything queued to the listener (nothing while offline)."""
        if not self.is_online or self.listener is None:
            return 0
        queue = self._queue
        self._queue = []
        for kind, item in queue:
            if kind == "ack":
                self.listener.on_acknowledged(item)
                continue
            sale_id = item["id"]
            if item["meter"] in self.refuse:
                self.listener.on_refused(sale_id, "meter blocked")
                continue
            answer = self._answers.get(sale_id)  # a repeated sale gets the same answer
            if answer is None:
                amount = item["amount"]
                tax = amount * self.tax_percent // (100 + self.tax_percent)
                keys = []
                if item["meter"] in self.key_change:
                    keys = [standin_token(sale_id, 1), standin_token(sale_id, 2)]
                answer = {
                    "receipt": STANDIN_RECEIPT_PREFIX + sale_id,
                    "customer": "Stand-in customer",
                    "tokens": [standin_token(sale_id)],
                    "key_change": keys,
                    "kwh_tenths": (amount - tax) * 10 // self.price_per_kwh,
                    "tax": tax,
                    "fixed": 0,
                    "debt": 0,
                }
                self._answers[sale_id] = answer
            self.listener.on_answer(sale_id, answer)
        return len(queue)
