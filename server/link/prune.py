"""Pruning the link's message log, which would otherwise grow with every message.

Only rows no device needs any more go, and only once older than the age given
(DeviceLinkRepository.prunable_ids says which): refused uplinks; rows of a replaced
secret; accepted uplinks below the replay window; downlinks the device showed it holds.
Undelivered downlinks and the uplinks inside the replay window stay, whatever their age.
Sale outcomes (device_sale_outcomes), sequence numbers and offline reserves are not
messages and are never pruned.

`gridvend link prune --older-than DAYS` runs it once; `gridvend link serve` runs it every
hour (`--prune-every`, `--keep-days`) through a `Pruner` thread, as may any server process.
"""

import logging
import threading
from datetime import timedelta

from server.domain.errors import InvalidInput
from server.domain.roles import Permission
from server.link.processor import REPLAY_WINDOW
from server.services.context import Actor, ServiceContext
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.unit_of_work import UnitOfWork

log = logging.getLogger("gridvend.link.prune")

DEFAULT_KEEP_DAYS = 30
DEFAULT_EVERY_S = 3600.0
BATCH = 5000  # rows per transaction: short transactions, no long lock on the log


def prune(ctx: ServiceContext, actor: Actor, older_than: timedelta, *, batch: int = BATCH) -> int:
    """Delete the log rows older than `older_than` that no device needs; how many went."""
    actor.require(Permission.MANAGE_AGENTS)
    if older_than < timedelta(0):
        raise InvalidInput("invalid_age", "prune: the age cannot be negative")
    before = ctx.now() - older_than

    def one_batch(uow: UnitOfWork) -> int:
        links = DeviceLinkRepository(uow.session)
        gone = links.delete_messages(links.prunable_ids(before, REPLAY_WINDOW, batch))
        uow.commit()
        return gone

    total = 0
    while True:
        gone = ctx.transaction(one_batch)
        total += gone
        if gone < batch:
            return total


class Pruner:
    """Prunes the message log every `every_s` seconds in a background thread (the first
    time at once); failures are logged and tried again next time."""

    def __init__(
        self,
        ctx: ServiceContext,
        actor: Actor,
        *,
        keep: timedelta = timedelta(days=DEFAULT_KEEP_DAYS),
        every_s: float = DEFAULT_EVERY_S,
    ) -> None:
        self.ctx = ctx
        self.actor = actor
        self.keep = keep
        self.every_s = every_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gv-link-prune", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> int:
        """Prune now; how many rows went (0 after a failure, which is logged)."""
        try:
            gone = prune(self.ctx, self.actor, self.keep)
        except Exception as exc:  # a database away must not end the thread
            log.error("pruning the link message log failed: %s", type(exc).__name__)
            return 0
        finally:
            self.runs += 1
        if gone:
            log.info("pruned %d link message(s) older than %s", gone, self.keep)
        return gone

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.every_s)
