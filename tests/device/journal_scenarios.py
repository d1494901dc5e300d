"""Scripted journal work and a model of what must survive it, for the power-cut tests.

A scenario is a list of steps on sales named by label ("a", "b" ...). `Model` follows
the steps that completed; when power is cut mid-step, the journal found after reboot
must equal the model either without that step or with it, never anything in between.
"""

from __future__ import annotations

import copy

import journal as frame  # the journal package module: record framing
from journal import records as R
from journal.journal import Journal

from tests.device.powercut_fs import LfsFs, PowerCut, mount

METERS = ["600727000000000009", "600727000000000017", "000012345678901232"]


def sale_data(label: str) -> dict:
    """The sale a label stands for: a fixed meter and amount, so checks can recompute it."""
    n = ord(label[0]) - ord("a")
    return {
        "meter": METERS[n % len(METERS)],
        "amount": 500 + 125 * n,
        "time": 800_000_000 + n,
        "vendor": "V007",
    }


def answer_data(label: str) -> dict:
    """A server answer for a label's sale: one credit token, a receipt number, charges."""
    n = ord(label[0]) - ord("a")
    return {
        "receipt": f"R{n + 1:06d}",
        "customer": f"Customer {label.upper()}",
        "tokens": [f"{12345678901234567890 + n:020d}"],
        "kwh_tenths": 100 + n,
        "tax": 15 * n,
    }


class Model:
    """What the journal must hold after the steps that completed."""

    def __init__(self):
        self.seq: dict[str, int] = {}
        self.sales: dict[int, dict] = {}  # seq -> {"state", "refused", "pending_slip", "label"}
        self.totals = {"shift": 1, "count": 0, "amount": 0, "refunds": 0, "refunded": 0}
        self.highest_seq_issued = 0  # highest seq add_sale returned
        self.in_flight_seq = 0  # the seq a sale cut mid-write would have had

    def copy(self) -> Model:
        return copy.deepcopy(self)

    def apply(self, step: tuple, seq: int | None = None) -> None:
        """Follow one completed step (seq: what add_sale returned, for a "sale" step)."""
        kind = step[0]
        if kind == "close":
            self.totals = {
                "shift": self.totals["shift"] + 1,
                "count": 0,
                "amount": 0,
                "refunds": 0,
                "refunded": 0,
            }
            return
        label = step[1]
        if kind == "sale":
            self.seq[label] = seq
            self.sales[seq] = {
                "state": R.PENDING,
                "refused": False,
                "pending_slip": False,
                "label": label,
            }
            self.totals["count"] += 1
            self.totals["amount"] += sale_data(label)["amount"]
            return
        sale = self.sales[self.seq[label]]
        if kind == "answer":
            sale["state"] = R.ANSWERED
        elif kind == "refuse":
            sale["state"] = R.ANSWERED
            sale["refused"] = True
            self.totals["refunds"] += 1
            self.totals["refunded"] += sale_data(label)["amount"]
        elif kind == "pending_slip":
            sale["pending_slip"] = True
        elif kind == "token_slip":
            sale["state"] = R.PRINTED_STATE
        elif kind == "ack":
            sale["state"] = R.ACKED
        else:
            raise ValueError(kind)


def run_step(journal: Journal, model: Model, step: tuple) -> None:
    """Do one step on the journal; update the model only if it completed."""
    kind = step[0]
    if kind == "close":
        journal.close_shift(900_000_000)
        model.apply(step)
        return
    label = step[1]
    if kind == "sale":
        model.in_flight_seq = journal.next_seq()
        seq = journal.add_sale(sale_data(label))
        model.highest_seq_issued = max(model.highest_seq_issued, seq)
        model.apply(step, seq)
        return
    seq = model.seq[label]
    if kind == "answer":
        done = journal.add_answer(seq, answer_data(label))
    elif kind == "refuse":
        done = journal.add_refusal(seq, "meter blocked")
    elif kind == "pending_slip":
        done = journal.mark_printed(seq, R.SLIP_PENDING)
    elif kind == "token_slip":
        done = journal.mark_printed(seq, R.SLIP_TOKEN)
    elif kind == "ack":
        done = journal.acknowledge(seq)
    else:
        raise ValueError(kind)
    assert done, f"scenario step {step!r} was refused by the journal"
    model.apply(step)


def online_sale(label: str) -> list[tuple]:
    """A sale answered at once: journaled, answered, slip printed, acknowledged."""
    return [("sale", label), ("answer", label), ("token_slip", label), ("ack", label)]


def offline_sale(label: str) -> list[tuple]:
    """A sale taken without signal: pending slip now, token later."""
    return [
        ("sale", label),
        ("pending_slip", label),
        ("answer", label),
        ("token_slip", label),
        ("ack", label),
    ]


def refused_sale(label: str) -> list[tuple]:
    """A sale the server refuses: the cash goes back."""
    return [("sale", label), ("refuse", label), ("ack", label)]


def open_journal(fs: LfsFs, segment_max: int) -> Journal:
    journal = Journal(fs, "/journal", segment_max=segment_max)
    journal.replay()
    return journal


def observed(journal: Journal) -> dict[int, tuple]:
    """The journal's view of every sale it holds: seq -> (state, refused, pending slip)."""
    return {
        seq: (journal.state(seq), journal.refused(seq), journal.pending_slip_printed(seq))
        for seq in journal.held_sales()
    }


def matches(journal: Journal, model: Model) -> list[str]:
    """Differences between the journal and the model (empty when they agree).

    Acknowledged sales may be missing: their segments are deleted once fully
    acknowledged. Every other sale must be there, in exactly the model's state.
    """
    problems = []
    seen = observed(journal)
    for seq, sale in model.sales.items():
        want = (sale["state"], sale["refused"], sale["pending_slip"])
        got = seen.get(seq)
        if got is None and sale["state"] == R.ACKED:
            continue
        if got != want:
            label = sale["label"]
            problems.append(f"sale {seq} ({label}): journal {got!r}, expected {want!r}")
    for seq in seen:
        if seq not in model.sales:
            problems.append(f"sale {seq} is in the journal but was never taken")
    totals = journal.shift_totals()
    for key, value in model.totals.items():
        if totals[key] != value:
            problems.append(f"shift {key}: journal {totals[key]!r}, expected {value!r}")
    return problems


def check_sale_contents(journal: Journal, model: Model) -> None:
    """Each held sale reads back with the data it was journaled with, and its answer."""
    for seq in journal.held_sales():
        label = model.sales[seq]["label"]
        sale = journal.sale(seq)
        for key, value in sale_data(label).items():
            assert sale[key] == value, (seq, key)
        if sale["state"] >= R.ANSWERED and not sale["refused"]:
            assert sale["answer"] == answer_data(label)
        else:
            assert sale["answer"] is None


def sale_records_per_seq(fs: LfsFs) -> dict[int, int]:
    """How many SALE records each seq has across all segment files on flash."""
    counts: dict[int, int] = {}
    for name in fs.listdir("/journal"):
        if not name.startswith("s"):
            continue
        with fs.open("/journal/" + name, "rb") as f:
            reader = frame.RecordReader(f, bytearray(frame.MAX_RECORD))
            while (got := reader.next()) is not None:
                if got[0] == R.SALE:
                    seq = R.sale_seq(got[1])
                    counts[seq] = counts.get(seq, 0) + 1
    return counts


def run_until_cut(image: bytearray, model: Model, steps, segment_max, cut_after, torn):
    """Boot on image with the flash armed, run steps; returns the step cut (or None)."""
    fs = mount(image)
    fs.flash.cut_after = fs.flash.ops + cut_after
    fs.flash.torn = torn
    try:
        journal = open_journal(fs, segment_max)
    except PowerCut:
        return ("boot",)
    for step in steps:
        try:
            run_step(journal, model, step)
        except PowerCut:
            return step
    return None


def count_writes(image: bytearray, model: Model, steps, segment_max: int) -> int:
    """Program/erase operations that booting and the steps take, on a copy of image."""
    fs = mount(bytearray(image))
    start = fs.flash.ops
    journal = open_journal(fs, segment_max)
    work = model.copy()
    for step in steps:
        run_step(journal, work, step)
    return fs.flash.ops - start
