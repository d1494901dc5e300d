"""Simulated handhelds running the real firmware's sale service, journal and link manager on
CPython (device/vend/sales.py, device/journal/, device/link/): only the keypad, screen and
printer are left out. The test plays the vendor: it sells, and "prints" each answer at once
(as the flow does), which journals the slip and acknowledges the sale to the server.

Any number of them run in one asyncio loop, each with its own files (a folder on disk, or a
littlefs image that can lose power: tests/device/powercut_fs.py).
"""

import asyncio
import time as host_time
from pathlib import Path

from journal import records as R
from journal.fs_os import OsFs
from journal.journal import Journal
from link import manager as link_manager
from link.bearer import Bearer
from link.manager import LinkManager
from link.state import LinkState
from vend.sales import Sales

from host.device_sim.fakes import time as fake_time
from tests.link import firmware

VENDOR = {"id": "V1", "name": "Vendor One"}


def quick_timeouts(monkeypatch) -> None:
    """The link manager's timers, shortened so tests see retries in seconds, not minutes."""
    for name, value in {
        "ANSWER_MS": 4000,
        "BACKOFF_MIN_MS": 200,
        "BACKOFF_MAX_MS": 1500,
        "PUBACK_MS": 4000,
        "KEEPALIVE_S": 4,
        "POLL_WAIT_S": 2,
        "HTTP_FOR_MS": 60000,
    }.items():
        monkeypatch.setattr(link_manager, name, value)


class SimHandheld:
    """One handheld: the sale service, its journal and its link, driven by the test."""

    def __init__(
        self,
        name: str,
        secret: bytes,
        root: str,
        *,
        mqtt: dict | None = None,
        http: dict | None = None,
        fs=None,
        batch: int | None = None,
    ) -> None:
        firmware.umqtt_on_path()
        self.name = name
        self.fs = fs if fs is not None else OsFs()
        if fs is None:
            Path(root).mkdir(parents=True, exist_ok=True)
        self.journal = Journal(self.fs, root + "/journal", segment_max=4096, max_segments=400)
        self.journal.replay()
        state = LinkState(self.fs, root + "/link_state.json").load()
        self.link = LinkManager(name, secret, self.journal, state, Bearer(), mqtt, http)
        self.sales = Sales(self.journal, self.link, name, fake_time)
        self.sales.listener = self
        self.printed: list[int] = []
        self.tokens: dict[str, list[str]] = {}  # sale id -> tokens, as journaled and printed
        self.refused_seen: list[int] = []
        self.task: asyncio.Task | None = None
        self.batch = batch

    # ---- the vendor ----

    def sell(self, meter: str, amount: int) -> int | None:
        """Take a sale as the flow does; None when the offline allowance refuses it."""
        if self.sales.offline_refusal(amount) is not None:
            return None
        seq = self.sales.take(meter, amount, VENDOR)
        self.sales.send(seq)
        return seq

    # ---- the flow's side of the sale service ----

    def on_sale_answered(self, seq: int) -> None:
        answer = self.journal.sale(seq)["answer"]
        self.tokens[self.sales.sale_id(seq)] = answer["key_change"] + answer["tokens"]
        self.sales.printed(seq, R.SLIP_TOKEN)  # the slip prints at once
        self.printed.append(seq)

    def on_sale_refused(self, seq: int) -> None:
        self.sales.refusal_seen(seq)  # the vendor saw it and handed the cash back
        self.refused_seen.append(seq)

    def on_customer(self, meter: str) -> None:
        pass

    # ---- running ----

    def start(self) -> None:
        if self.batch is not None:
            link_manager.BATCH = self.batch
        self.task = asyncio.create_task(self.link.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    # ---- what it holds ----

    def answers(self) -> dict[str, list[str]]:
        """{sale id: token digits} of every answered sale still held in the journal."""
        out = {}
        for seq in self.journal.held_sales():
            answer = self.journal.sale(seq)["answer"]
            if answer is not None:
                out[self.sales.sale_id(seq)] = answer["key_change"] + answer["tokens"]
        return out

    def unanswered(self) -> list[int]:
        return self.journal.awaiting_answer()

    def unfinished(self) -> list[int]:
        """Sales the server has not yet confirmed complete (acknowledged)."""
        return self.journal.open_sales()


async def wait_for(predicate, timeout: float, what: str = "condition", step: float = 0.05) -> None:
    """Poll predicate() until true; AssertionError naming what did not happen in time."""
    deadline = host_time.monotonic() + timeout
    while not predicate():
        if host_time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(step)
