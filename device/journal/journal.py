"""The sale journal: append-only segments on flash, replayed on boot.

Layout in the journal directory:
  s00000001, s00000002 ...  segments: framed records, appended, never rewritten
  ack                       the acknowledgement file (below)

A sale's state only moves forward (pending, answered, printed, acknowledged), each step
an appended record. Segments are rotated when full and deleted, oldest first, once every
sale that began in them is acknowledged.

Sequence numbers: a sale's number is handed out only by writing its SALE record, and the
highest number ever written is part of the running totals that every segment header and
the acknowledgement file carry. So after a reboot numbering resumes above every sale ever
journaled, even when the segments that held those sales have been deleted.
"""

from micropython import const

import journal as frame  # the package module: record framing

from . import records as R

# Where the journal lives on the device's filesystem. Not "/journal": MicroPython takes a
# directory as a package even without __init__.py, so data named like the journal package
# would shadow it on import; a name with a hyphen can never be a package.
DEFAULT_DIR = "/sale-journal"

# An index entry is one small int per sale: state in bits 0-3, flags, segment from bit 8.
_STATE_MASK = const(0x0F)
_REFUSED = const(0x10)
_PENDING_SLIP = const(0x20)
_ACK_KIND = const(0xAC)  # the acknowledgement file's one record


class JournalError(Exception):
    """The journal refused an operation; the message says why ("no sale 7"...)."""


class JournalFull(JournalError):
    """Too many segments still hold unacknowledged sales: sync before taking more."""


UnknownSale = JournalError  # no sale with that number: a JournalError that says so


class Journal:
    """The sale journal in one directory of an fs object (see fs_os.OsFs for its shape).

    Call replay() once after construction, before anything else. Writes raise OSError
    when the flash fails and JournalFull when too much is unacknowledged; in both cases
    the sale was not taken and the caller must say so.
    """

    def __init__(self, fs, directory=DEFAULT_DIR, segment_max=4096, max_segments=48):
        self._fs = fs
        self._dir = directory
        self.segment_max = segment_max
        self.max_segments = max_segments
        self._totals = R.new_totals()
        self._sales = {}  # seq -> packed state (see _STATE_MASK)
        self._segs = []  # live segment numbers, oldest first
        self._heads = {}  # segment number -> totals at its start
        self._base = 0  # segments below this were let go (acknowledgement file)
        self._active = -1  # segment appended to; -1: start a new one first
        self._active_size = 0
        self._next_seq = 1
        self._last_seq = 0
        self._reader = frame.RecordReader(
            None, bytearray(frame.MAX_RECORD)
        )  # every read, one buffer
        self.report = {}

    # ---- boot ----

    def replay(self, seq_floor=0):
        """Rebuild the journal's state from flash; returns a report dict.

        Each segment is read up to its first torn record; a segment whose header is
        unreadable holds nothing we can use, but it stays listed so numbering goes on
        above it and collection deletes it in turn. Segments the acknowledgement file
        says were let go are deleted (finishing a collection a power cut interrupted).

        seq_floor: the highest sale number the server has already seen from this device
        (config.json's "seq_floor", for a handheld re-flashed with an empty journal). The
        next sale is numbered above it and above every sale ever journaled here. The floor
        joins the running totals, so segment headers carry it from the next one on.
        """
        fs = self._fs
        fs.mkdir(self._dir)
        segs = []
        for name in fs.listdir(self._dir):
            if len(name) == 9 and name[0] == "s" and name[1:].isdigit():  # "s" + 8 digits
                segs.append(int(name[1:]))
        segs.sort()
        status, base, totals = read_ack(fs, self._dir)
        report = {"ack": status, "segments": 0, "records": 0, "torn": [], "orphans": 0}
        self.report = report
        self._base = base
        trust_head = status != "ok"
        if totals is not None:
            self._totals = totals
        reader = self._reader
        for number in segs:
            if number < base:
                fs.remove(self._path(number))
                continue
            self._segs.append(number)
            self._heads[number] = list(self._totals)
            with fs.open(self._path(number), "rb") as f:
                reader.start(f)
                got = reader.next()
                clean = got is not None and got[0] == R.HEADER
                if clean:
                    head = R.decode_json(got[1])["totals"]
                    if trust_head:
                        self._totals = list(head)
                    elif head[R.SEQ_HI] > self._totals[R.SEQ_HI]:
                        self._totals[R.SEQ_HI] = head[R.SEQ_HI]
                    self._heads[number] = list(self._totals)
                    while True:
                        got = reader.next()
                        if got is None:
                            break
                        report["records"] += 1
                        if not self._apply(got[0], got[1], number):
                            report["orphans"] += 1
                    self._active_size = reader.offset
                    clean = not reader.torn
            reader.start(None)  # a closed file still holds its buffer while referenced
            if not clean:
                report["torn"].append(number)
            trust_head = False
            report["segments"] += 1
            self._active = number if clean else -1
        if seq_floor > self._totals[R.SEQ_HI]:
            self._totals[R.SEQ_HI] = seq_floor
        self._next_seq = self._totals[R.SEQ_HI] + 1
        return report

    # ---- state changes: the same code runs live and on replay ----

    def _apply(self, kind, body, seg):
        """Fold one record into the state; False when it names a sale no longer held."""
        totals = self._totals
        if kind == R.SHIFT_CLOSED:
            closed = R.decode_json(body)
            totals[R.SHIFT] = closed["shift"] + 1
            totals[R.OPENED] = closed["closed"]
            for i in (R.COUNT, R.AMOUNT, R.REFUNDS, R.REFUNDED):
                totals[i] = 0
            return True
        if kind < R.SALE or kind > R.ACK:
            return False
        seq = R.sale_seq(body)
        if kind == R.SALE:
            if seq in self._sales:
                return False
            self._sales[seq] = (seg << 8) | R.PENDING
            totals[R.COUNT] += 1
            totals[R.AMOUNT] += R.sale_payload(body)["amount"]
            if seq > totals[R.SEQ_HI]:
                totals[R.SEQ_HI] = seq
            if seq > self._last_seq:
                self._last_seq = seq
            return True
        entry = self._sales.get(seq)
        if entry is None:
            return False
        state = entry & _STATE_MASK
        if kind == R.ANSWER or kind == R.REFUSED:
            if state == R.PENDING:
                entry = (entry & ~_STATE_MASK) | R.ANSWERED
                if kind == R.REFUSED:
                    entry |= _REFUSED
                    totals[R.REFUNDS] += 1
                    totals[R.REFUNDED] += R.sale_payload(body)["amount"]
        elif kind == R.PRINTED:
            slip = R.decode_printed(body)[1]
            if slip == R.SLIP_PENDING:
                entry |= _PENDING_SLIP
            elif state == R.ANSWERED:
                entry = (entry & ~_STATE_MASK) | R.PRINTED_STATE
        elif kind == R.ACK and R.ANSWERED <= state < R.ACKED:
            entry = (entry & ~_STATE_MASK) | R.ACKED
        self._sales[seq] = entry
        return True

    def _append(self, kind, body):
        record = frame.encode(kind, body)
        if self._active < 0 or self._active_size + len(record) > self.segment_max:
            # A new segment, once acknowledged ones are let go.
            self.collect()
            if len(self._segs) >= self.max_segments:
                raise JournalFull(f"journal full: {len(self._segs)} segments hold unsynced sales")
            number = self._segs[-1] + 1 if self._segs else max(self._base, 1)
            head = frame.encode(R.HEADER, R.encode_json({"seg": number, "totals": self._totals}))
            # "wb": a leftover file of this name can only be a header that never completed.
            with self._fs.open(self._path(number), "wb") as f:
                f.write(head)
            self._segs.append(number)
            self._heads[number] = list(self._totals)
            self._active = number
            self._active_size = len(head)
        try:
            with self._fs.open(self._path(self._active), "ab") as f:
                written = f.write(record)
            if written is not None and written != len(record):
                raise OSError("short write")
        except OSError:
            # The segment may now end in a torn record, which hides anything after it:
            # the next record goes to a fresh segment.
            self._active = -1
            raise
        self._active_size += len(record)
        self._apply(kind, body, self._active)

    def collect(self):
        """Delete the oldest segments whose sales are all acknowledged; returns how many.

        The active segment and the one holding the last sale (for reprint) always stay.
        The acknowledgement file is replaced first, so a power cut in the middle leaves
        segments that the next replay deletes, never a gap in what is remembered.
        """
        sales = self._sales
        keep_last = sales.get(self._last_seq, -1) >> 8
        drop = 0
        for number in self._segs:
            if number == self._active or number == keep_last:
                break
            for entry in sales.values():
                if entry >> 8 == number and entry & _STATE_MASK != R.ACKED:
                    break  # a sale in it is still open
            else:
                drop += 1
                continue
            break
        if drop == 0 or drop == len(self._segs):
            return 0
        base = self._segs[drop]
        write_ack(self._fs, self._dir, base, self._heads[base])
        self._base = base
        gone = self._segs[:drop]
        self._segs = self._segs[drop:]
        for seq in list(sales):
            if sales[seq] >> 8 < base:
                del sales[seq]
        for number in gone:
            del self._heads[number]
            self._fs.remove(self._path(number))
        return drop

    def _path(self, number):
        return self._dir + "/s%08d" % number  # noqa: UP031 - MicroPython

    # ---- writes the vend flow makes ----

    def add_sale(self, sale):
        """Journal a new sale (dict with at least an int "amount" > 0); returns its seq.

        The sale is on flash when this returns. Its number is never handed out again,
        even when this raises (a write that fails part-way may still reach the flash).
        """
        amount = sale.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError("bad amount")  # not a positive whole number of minor units
        seq = self._next_seq
        self._next_seq = seq + 1
        self._append(R.SALE, R.encode_sale_record(seq, sale))
        return seq

    def add_answer(self, seq, answer, kind=R.ANSWER):
        """Journal the server's answer (a dict); False when the sale already has one."""
        if seq not in self._sales and 0 < seq <= self._totals[R.SEQ_HI]:
            return False  # acknowledged and let go: an answer for it is a repeat
        if self._entry(seq) & _STATE_MASK != R.PENDING:
            return False
        if kind == R.REFUSED:
            answer = {"amount": self.sale(seq)["amount"], "reason": answer}
        self._append(kind, R.encode_sale_record(seq, answer))
        return True

    def add_refusal(self, seq, reason):
        """Journal that the server refused the sale; False when it already had an answer."""
        return self.add_answer(seq, reason, R.REFUSED)

    def mark_printed(self, seq, slip):
        """Journal that a slip printed (R.SLIP_PENDING or R.SLIP_TOKEN); False on a reprint."""
        entry = self._entry(seq)
        state = entry & _STATE_MASK
        if slip == R.SLIP_PENDING:
            if entry & _PENDING_SLIP or state != R.PENDING:
                return False
        elif state != R.ANSWERED or entry & _REFUSED:
            return False
        self._append(R.PRINTED, R.encode_printed(seq, slip))
        return True

    def acknowledge(self, seq):
        """Journal that the server confirmed the sale complete; False when nothing changes."""
        if seq not in self._sales and 0 < seq <= self._totals[R.SEQ_HI]:
            return False  # already acknowledged and let go
        state = self._entry(seq) & _STATE_MASK
        if state < R.ANSWERED or state == R.ACKED:
            return False
        self._append(R.ACK, R.encode_sale_record(seq, None))
        return True

    def close_shift(self, now):
        """Close the shift (Z report): journal and return its totals."""
        closed = self.shift_totals()
        closed["closed"] = now
        self._append(R.SHIFT_CLOSED, R.encode_json(closed))
        return closed

    def _entry(self, seq):
        entry = self._sales.get(seq)
        if entry is None:
            raise UnknownSale(f"no sale {seq}")
        return entry

    # ---- reads ----

    def state(self, seq):
        """The sale's state (records.PENDING ... records.ACKED), 0 if not held."""
        return self._sales.get(seq, 0) & _STATE_MASK

    def refused(self, seq):
        """True when the server refused the sale."""
        return bool(self._sales.get(seq, 0) & _REFUSED)

    def pending_slip_printed(self, seq):
        """True when a "token pending" slip was printed for the sale."""
        return bool(self._sales.get(seq, 0) & _PENDING_SLIP)

    def open_sales(self):
        """Seqs of sales not yet acknowledged by the server, oldest first."""
        out = []
        for seq, entry in self._sales.items():
            if entry & _STATE_MASK != R.ACKED:
                out.append(seq)
        out.sort()
        return out

    def awaiting_answer(self):
        """Seqs of sales the server has not answered yet, oldest first (to send again)."""
        out = []
        for seq, entry in self._sales.items():
            if entry & _STATE_MASK == R.PENDING:
                out.append(seq)
        out.sort()
        return out

    def held_sales(self):
        """Seqs of every sale still held in the journal, oldest first."""
        out = list(self._sales)
        out.sort()
        return out

    def last_seq(self):
        """Seq of the most recent sale (0 when there is none)."""
        return self._last_seq

    def next_seq(self):
        """The seq the next sale will get (for display; add_sale decides)."""
        return self._next_seq

    def shift_totals(self):
        """Totals of the open shift (X report) as a dict."""
        t = self._totals
        return {
            "shift": t[R.SHIFT],
            "opened": t[R.OPENED],
            "count": t[R.COUNT],
            "amount": t[R.AMOUNT],
            "refunds": t[R.REFUNDS],
            "refunded": t[R.REFUNDED],
            "open": len(self.open_sales()),
        }

    def segments(self):
        """Numbers of the live segments, oldest first."""
        return list(self._segs)

    def sale(self, seq):
        """Everything journaled about one sale, read back from flash, as a dict.

        Keys: those of the sale as added, plus "seq", "state", "answer" (dict or None),
        "refused" (reason or None), "pending_slip" (bool).
        """
        entry = self._entry(seq)
        sale = None
        answer = None
        refusal = None
        reader = self._reader
        for number in self._segs:
            if number < entry >> 8:
                continue
            with self._fs.open(self._path(number), "rb") as f:
                reader.start(f, False)
                while True:
                    got = reader.next()
                    if got is None:
                        break
                    kind = got[0]
                    if kind < R.SALE or kind > R.REFUSED or R.sale_seq(got[1]) != seq:
                        continue
                    if kind == R.SALE:
                        sale = R.sale_payload(got[1])
                    elif kind == R.ANSWER and answer is None:
                        answer = R.sale_payload(got[1])
                    elif kind == R.REFUSED and refusal is None:
                        refusal = R.sale_payload(got[1])["reason"]
        reader.start(None)  # a closed file still holds its buffer while referenced
        if sale is None:
            raise UnknownSale(f"no sale {seq}: unreadable")
        sale["seq"] = seq
        sale["state"] = entry & _STATE_MASK
        sale["answer"] = answer
        sale["refused"] = refusal
        sale["pending_slip"] = bool(entry & _PENDING_SLIP)
        return sale


# The acknowledgement file: which segments the journal has let go of. It holds the
# number of the first segment still live and the running totals at that segment's start
# (sequence high-water mark, shift totals), so nothing the deleted segments said is
# forgotten. It is replaced atomically: written to a temporary name, then renamed over
# the old one, so a power cut leaves either the old or the new file.


def write_ack(fs, directory, base_segment, totals):
    """Replace the acknowledgement file: segments below base_segment are let go."""
    body = R.encode_json([base_segment, totals])
    tmp = directory + "/ack.tmp"
    with fs.open(tmp, "wb") as f:
        f.write(frame.encode(_ACK_KIND, body))
    fs.rename(tmp, directory + "/ack")


def read_ack(fs, directory):
    """(status, base_segment, totals): status is "ok", "missing" or "damaged".

    When it is not "ok", base_segment is 0 and totals is None: the caller falls back on
    the segment headers.
    """
    try:
        f = fs.open(directory + "/ack", "rb")
    except OSError:
        return "missing", 0, None
    with f:
        got = frame.RecordReader(f, bytearray(frame.MAX_RECORD)).next()
    if got is None or got[0] != _ACK_KIND:
        return "damaged", 0, None
    try:
        base, totals = R.decode_json(got[1])
    except ValueError:
        return "damaged", 0, None
    if len(totals) != R.TOTALS_LEN:
        return "damaged", 0, None
    return "ok", base, totals
