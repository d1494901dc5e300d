"""Offline allowance: part of a vendor's float reserved for each handheld's offline sales.

Money moves only by balanced ledger entries: "offline-reserve" takes it from the vendor's
float into the device's reserve account, "offline-release" gives it back (to pay an offline
sale as it syncs, or when the allowance shrinks). The reserve row counts, cumulatively:

    granted  money moved into the reserve (less what went back)
    spent    offline sales paid from it
    ceiling  what the handheld was last told it may sell up to (never above granted)

The handheld accepts an offline sale only while ceiling - spent (from the newest snapshot
it holds) covers its unanswered offline sales plus the new one. The server raises the
ceiling only after the money is in the reserve, and gives surplus back only when the
handheld reports the newest snapshot: so every offline sale is paid for before it is made,
and syncing never refuses one for money.
"""

from dataclasses import dataclass

from server.domain import ledger
from server.domain.errors import Conflict, InvalidInput
from server.domain.ledger import JournalEntry, Posting
from server.domain.money import MAX_MINOR
from server.domain.roles import Permission
from server.link.messages import OfflineReport
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.devices import device_by_name
from server.storage.repositories.device_link import OfflineReserveRepository
from server.storage.schema import Device
from server.storage.unit_of_work import UnitOfWork


def reserve_account(device_id: int) -> str:
    """The ledger account holding a device's offline reserve (credit: owed to the vendor)."""
    return f"device:{device_id}:reserve"


def reserve_entry(device_id: int, agent_id: int, amount: int, memo: str) -> JournalEntry:
    """Float into the device's reserve."""
    return JournalEntry(
        "offline-reserve",
        (
            Posting(ledger.agent_float(agent_id), -amount),
            Posting(reserve_account(device_id), amount),
        ),
        memo,
    )


def release_entry(device_id: int, agent_id: int, amount: int, memo: str) -> JournalEntry:
    """Reserve back into the float (to pay an offline sale, or surplus)."""
    return JournalEntry(
        "offline-release",
        (
            Posting(reserve_account(device_id), -amount),
            Posting(ledger.agent_float(agent_id), amount),
        ),
        memo,
    )


@dataclass(frozen=True)
class ReserveView:
    """A device's offline reserve, in minor units."""

    device: str
    allowance: int  # what the operator set
    held: int  # money in the reserve now: granted - spent
    granted: int
    spent: int
    ceiling: int

    @property
    def available_offline(self) -> int:
        """What the handheld may still sell offline, once it has the newest snapshot."""
        return self.ceiling - self.spent


# ---- inside a caller's transaction (nothing here commits) ----


def replenish(ctx: ServiceContext, uow: UnitOfWork, device: Device) -> None:
    """Bring the reserve to spent + allowance, as far as the vendor's float allows, and set
    the ceiling the handheld will be told. A smaller allowance (or a disabled device, or a
    vendor not active) lowers the ceiling now; its money goes back on `settle`."""
    reserves = OfflineReserveRepository(uow.session)
    now = ctx.now()
    reserve = reserves.for_update(device.id, now)  # lock order: reserve, then vendor
    agent = uow.agents.by_id(device.agent_id)
    assert agent is not None
    target = device.offline_allowance if device.enabled and agent.status == "active" else 0
    desired = reserve.spent + target
    if desired > reserve.granted:
        locked = uow.agents.for_update(agent.id)
        assert locked is not None
        uow.session.refresh(locked)
        room = max(0, locked.balance + locked.credit_limit)
        top = min(desired - reserve.granted, room)
        if top > 0:
            balance = uow.agents.debit_within_limit(agent.id, top)
            assert balance is not None  # the vendor row is locked and `room` covers `top`
            uow.ledger.open_accounts([reserve_account(device.id)])
            uow.ledger.post(
                reserve_entry(device.id, agent.id, top, f"offline allowance of {device.name}"),
                actor=f"device:{device.id}",
                at=now,
            )
            reserve.granted += top
    ceiling = min(desired, reserve.granted)
    if ceiling != reserve.ceiling:
        reserve.ceiling = ceiling
        reserve.updated_at = now
    uow.session.flush()


def pay_offline_sale(
    ctx: ServiceContext, uow: UnitOfWork, device: Device, amount: int, sale_ref: str
) -> int:
    """Move an offline sale's amount from the reserve into the float, just before the vend
    debits it (same transaction); returns what the reserve paid (all of it, unless the
    handheld sold beyond its ceiling, which it does not)."""
    reserves = OfflineReserveRepository(uow.session)
    now = ctx.now()
    reserve = reserves.for_update(device.id, now)
    paid = min(amount, reserve.granted - reserve.spent)
    if paid <= 0:
        return 0
    uow.ledger.open_accounts([reserve_account(device.id)])
    uow.agents.credit(device.agent_id, paid)
    uow.ledger.post(
        release_entry(device.id, device.agent_id, paid, f"offline sale {sale_ref}"),
        actor=f"device:{device.id}",
        at=now,
    )
    reserve.spent += paid
    reserve.updated_at = now
    uow.session.flush()
    return paid


def settle(ctx: ServiceContext, uow: UnitOfWork, device: Device, report: OfflineReport) -> int:
    """Give surplus reserve back to the float, once the handheld reports the newest snapshot
    it was sent; returns the amount released.

    The handheld can still sell offline up to the ceiling it holds, and it may still owe
    the server sales it took (`pending`): the reserve keeps enough for the larger.
    """
    reserves = OfflineReserveRepository(uow.session)
    now = ctx.now()
    reserve = reserves.for_update(device.id, now)
    if report.seq != reserve.snapshot_seq or reserve.snapshot_seq == 0:
        return 0  # an older snapshot may predate a raise the handheld could still adopt
    keep = max(reserve.ceiling, report.ceiling, report.spent + report.pending, reserve.spent)
    surplus = reserve.granted - keep
    if surplus <= 0:
        return 0
    uow.agents.credit(device.agent_id, surplus)
    uow.ledger.post(
        release_entry(device.id, device.agent_id, surplus, f"allowance of {device.name} lowered"),
        actor=f"device:{device.id}",
        at=now,
    )
    reserve.granted -= surplus
    reserve.updated_at = now
    uow.session.flush()
    return surplus


def snapshot(ctx: ServiceContext, uow: UnitOfWork, device_id: int, seq: int) -> tuple[int, int]:
    """(ceiling, spent) for downlink `seq`, which becomes the newest snapshot sent.

    Called while the downlink's sequence number is being handed out (its row locked), so
    a higher number always carries a newer snapshot."""
    reserve = OfflineReserveRepository(uow.session).for_update(device_id, ctx.now())
    reserve.snapshot_seq = seq
    uow.session.flush()
    return reserve.ceiling, reserve.spent


def view(uow: UnitOfWork, device: Device) -> ReserveView:
    """The device's reserve as it stands in this transaction."""
    reserve = OfflineReserveRepository(uow.session).get(device.id)
    granted = reserve.granted if reserve else 0
    spent = reserve.spent if reserve else 0
    return ReserveView(
        device=device.name,
        allowance=device.offline_allowance,
        held=granted - spent,
        granted=granted,
        spent=spent,
        ceiling=reserve.ceiling if reserve else 0,
    )


# ---- services with their own transaction ----


def set_allowance(ctx: ServiceContext, actor: Actor, name: str, amount: int) -> ReserveView:
    """Set a handheld's offline allowance and reserve the money for it now (as far as the
    float allows; the rest when the float is topped up and the device syncs)."""
    actor.require(Permission.SET_LIMIT)
    if not 0 <= amount <= MAX_MINOR:
        raise InvalidInput("invalid_amount", "an offline allowance cannot be negative")

    def work(uow: UnitOfWork) -> ReserveView:
        device = device_by_name(uow, name)
        before = {"offline_allowance": device.offline_allowance}
        device.offline_allowance = amount
        uow.session.flush()
        replenish(ctx, uow, device)
        audit_trail.record(
            ctx,
            uow,
            actor,
            "device.allowance",
            "device",
            device.name,
            before=before,
            after={"offline_allowance": amount},
        )
        uow.commit()
        return view(uow, device)

    return ctx.transaction(work)


def release(ctx: ServiceContext, actor: Actor, name: str) -> ReserveView:
    """Give a disabled handheld's whole reserve back to its vendor's float, for a device that
    will not come back (stolen, broken): the money held for offline sales it may still owe
    goes back, and those sales are no longer honoured (they stay queued on it)."""
    actor.require(Permission.SET_LIMIT)

    def work(uow: UnitOfWork) -> ReserveView:
        device = device_by_name(uow, name)
        if device.enabled:
            raise Conflict(
                "device_enabled",
                f"device {device.name} is enabled: lower its allowance instead, or disable it",
            )
        now = ctx.now()
        reserve = OfflineReserveRepository(uow.session).for_update(device.id, now)
        held = reserve.granted - reserve.spent
        if held > 0:
            uow.agents.credit(device.agent_id, held)
            uow.ledger.open_accounts([reserve_account(device.id)])
            uow.ledger.post(
                release_entry(device.id, device.agent_id, held, f"{device.name}: reserve released"),
                actor=actor.ref,
                at=now,
            )
        reserve.granted = reserve.spent
        reserve.ceiling = reserve.spent
        reserve.updated_at = now
        uow.session.flush()
        audit_trail.record(
            ctx, uow, actor, "device.reserve_release", "device", device.name,
            after={"released": held},
        )  # fmt: skip
        uow.commit()
        return view(uow, device)

    return ctx.transaction(work)


def reserve_of(ctx: ServiceContext, actor: Actor, name: str) -> ReserveView:
    """A device's offline reserve."""
    actor.require(Permission.VIEW)
    return ctx.transaction(lambda uow: view(uow, device_by_name(uow, name)), read_only=True)


def check(ctx: ServiceContext, actor: Actor) -> tuple[str, ...]:
    """Problems with the reserves (none when sound): each reserve account's postings must
    sum to granted - spent, and no ceiling may exceed what was granted."""
    actor.require(Permission.REPORTS)

    def work(uow: UnitOfWork) -> tuple[str, ...]:
        problems = []
        money = ctx.currency.format
        for reserve in OfflineReserveRepository(uow.session).all():
            posted = uow.ledger.balance(reserve_account(reserve.device_id))
            held = reserve.granted - reserve.spent
            if posted != held:
                problems.append(
                    f"device {reserve.device_id}: reserve holds {money(held)}, "
                    f"its postings sum to {money(posted)}"
                )
            if reserve.ceiling > reserve.granted:
                problems.append(f"device {reserve.device_id}: ceiling above what was granted")
        return tuple(problems)

    return ctx.transaction(work, read_only=True)
