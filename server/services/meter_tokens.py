"""What every token for a meter shares: which key to use, the next TID, storing the tokens,
and recording the key the meter holds afterwards. Used by vends and engineering orders."""

from dataclasses import dataclass
from datetime import datetime

from server.domain.errors import Conflict
from server.domain.meter_keys import KeyIdentity, due_key
from server.domain.tids import next_tid
from server.storage.unit_of_work import UnitOfWork
from server.sts import StsError, Token, tid_from_time


@dataclass(frozen=True)
class KeyPlan:
    """The key a meter holds (`current`), the one it moves to first (`new`), and the one the
    following tokens are made under (`effective`)."""

    current: KeyIdentity
    new: KeyIdentity | None

    @property
    def effective(self) -> KeyIdentity:
        return self.new or self.current

    @property
    def rolls_over(self) -> bool:
        return self.new is not None and self.new.rolls_over_from(self.current)


def plan_due(
    current: KeyIdentity, *, group_krn: int, group_base: int, pending_ti: int | None
) -> KeyPlan:
    """The plan for a meter holding `current` in a group now on (`group_krn`, `group_base`)."""
    return KeyPlan(current, due_key(current, krn=group_krn, base=group_base, ti=pending_ti))


def take_tid(last_tid: int | None, plan: KeyPlan, now: datetime) -> int:
    """The meter's next TID under the effective key: this minute, or one past the last TID.

    The caller holds the meter's row lock, so no other token can take the same one; the
    unique (meter, base, TID) index backs that up. A rollover starts the count afresh.
    """
    try:
        now_tid = tid_from_time(now, plan.effective.base)
    except StsError as exc:
        raise Conflict("key_change_needed", str(exc)) from None
    return next_tid(now_tid, None if plan.rolls_over else last_tid, ken=plan.effective.ken)


def store_tokens(
    uow: UnitOfWork,
    meter_id: int,
    plan: KeyPlan,
    tokens: list[Token],
    now: datetime,
    *,
    sale_id: int | None = None,
    order_id: int | None = None,
) -> None:
    """Keep every issued token, in entry order, linked to its sale or engineering order."""
    base = plan.effective.base
    uow.tokens.add_all(
        [
            {
                "meter_id": meter_id,
                "sale_id": sale_id,
                "engineering_order_id": order_id,
                "position": n,
                "token_class": t.token_class,
                "subclass": t.subclass,
                "tid": t.tid,
                "tid_base": base if t.tid is not None else None,
                "digits": t.digits,
                "description": t.description[:128],
                "credited": t.credited,
                "created_at": now,
            }
            for n, t in enumerate(tokens)
        ]
    )


def record_meter_key(
    uow: UnitOfWork, meter_id: int, plan: KeyPlan, tid: int | None, last_tid: int | None
) -> None:
    """Record the key the meter holds once these tokens are entered, and its newest TID
    (a rollover clears the meter's TID memory, so the old last TID goes with it)."""
    if plan.new is None and tid is None:
        return
    key = plan.effective
    newest = tid if tid is not None else (None if plan.rolls_over else last_tid)
    uow.meters.record_key(
        meter_id,
        krn=key.krn,
        ti=key.ti,
        base_date=key.base,
        last_tid=newest,
        clear_pending_ti=plan.new is not None,
    )
