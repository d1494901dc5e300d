"""Supply groups and their vending keys (imported sealed, never shown)."""

from dataclasses import replace

from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.meter_keys import KeyIdentity
from server.domain.roles import Permission
from server.security.module import KeyLookup
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.snapshots import snapshot
from server.services.text_fields import text_field
from server.storage.schema import SupplyGroup, VendingKey
from server.storage.unit_of_work import UnitOfWork

GROUP_FIELDS = ("sgc", "name", "key_type", "ea", "dkga", "current_krn", "base_date", "ken")


def parse_sgc(text: str | int) -> int:
    """A supply group code: 6 digits."""
    value = str(text).strip()
    if not value.isascii() or not value.isdigit() or len(value) != 6:
        raise InvalidInput("invalid_sgc", f"supply group code {text!r}: expected 6 digits")
    return int(value)


def add_supply_group(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sgc: int,
    name: str = "",
    key_type: int = 2,
    ea: int = 7,
    dkga: int = 2,
    krn: int = 1,
    base_date: int = 2014,
    ken: int = 255,
) -> SupplyGroup:
    """Register a supply group. Its meters' keys derive from its vending key for `krn`."""
    actor.require(Permission.MANAGE_CATALOGUE)
    KeyIdentity(sgc=sgc, krn=krn, ti=1, kt=key_type, base=base_date, ea=ea, dkga=dkga, ken=ken)
    name = text_field(name, "supply group name", max_length=128, required=False)

    def work(uow: UnitOfWork) -> SupplyGroup:
        if uow.supply_groups.by_sgc(sgc) is not None:
            raise Conflict("duplicate_supply_group", f"supply group {sgc:06d} already exists")
        group = uow.supply_groups.add(
            SupplyGroup(
                sgc=sgc,
                name=name.strip(),
                key_type=key_type,
                ea=ea,
                dkga=dkga,
                current_krn=krn,
                base_date=base_date,
                ken=ken,
                created_at=ctx.now(),
            )
        )
        audit_trail.record(
            ctx,
            uow,
            actor,
            "supply_group.add",
            "supply_group",
            group.sgc,
            after=snapshot(group, GROUP_FIELDS),
        )
        uow.commit()
        return group

    return ctx.transaction(work)


def import_vending_key(
    ctx: ServiceContext, actor: Actor, *, sgc: int, krn: int, vending_key: bytes
) -> None:
    """Seal a vending key in the security module and store it for (SGC, KRN).

    A key once stored is never replaced (tokens already issued depend on it); the audit trail
    records that a key was imported, never the key.
    """
    actor.require(Permission.MANAGE_KEYS)
    security = ctx.security

    def work(uow: UnitOfWork) -> None:
        group = _group(uow, sgc)
        if not 1 <= krn <= 9:
            raise InvalidInput("invalid_key", f"key revision {krn}: expected 1 to 9")
        if krn in uow.supply_groups.key_revisions(group.id):
            raise Conflict(
                "duplicate_key",
                f"supply group {sgc:06d} already has a vending key for revision {krn}",
            )
        sealed = security.seal_vending_key(vending_key, sgc=sgc, krn=krn, dkga=group.dkga)
        uow.supply_groups.add_key(
            VendingKey(supply_group_id=group.id, krn=krn, sealed=sealed, created_at=ctx.now())
        )
        audit_trail.record(
            ctx,
            uow,
            actor,
            "vending_key.import",
            "supply_group",
            f"{sgc:06d}",
            after={"krn": krn, "dkga": group.dkga},
        )
        uow.commit()

    ctx.transaction(work)


def set_current_key(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sgc: int,
    krn: int | None = None,
    base_date: int | None = None,
) -> SupplyGroup:
    """Move the group to a new key revision and/or base date.

    Its meters follow one by one: each gets key change tokens before its next credit.
    """
    actor.require(Permission.MANAGE_KEYS)

    def work(uow: UnitOfWork) -> SupplyGroup:
        group = _group(uow, sgc)
        before = snapshot(group, GROUP_FIELDS)
        wanted = KeyIdentity(
            sgc=sgc,
            krn=group.current_krn,
            ti=1,
            kt=group.key_type,
            base=group.base_date,
            ea=group.ea,
            dkga=group.dkga,
            ken=group.ken,
        )
        wanted = replace(
            wanted,
            krn=group.current_krn if krn is None else krn,
            base=group.base_date if base_date is None else base_date,
        )
        if wanted.krn not in uow.supply_groups.key_revisions(group.id):
            raise Conflict(
                "vending_key_missing",
                f"supply group {sgc:06d} has no vending key for revision {wanted.krn}: "
                "import it first",
            )
        group.current_krn, group.base_date = wanted.krn, wanted.base
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "supply_group.set_key",
            "supply_group",
            f"{sgc:06d}",
            before=before,
            after=snapshot(group, GROUP_FIELDS),
        )
        uow.commit()
        return group

    return ctx.transaction(work)


def list_supply_groups(ctx: ServiceContext, actor: Actor) -> list[tuple[SupplyGroup, list[int]]]:
    """Every supply group with the key revisions it has keys for."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> list[tuple[SupplyGroup, list[int]]]:
        groups = uow.supply_groups.all()
        return [(g, uow.supply_groups.key_revisions(g.id)) for g in groups]

    return ctx.transaction(work, read_only=True)


def key_lookup(ctx: ServiceContext, uow: UnitOfWork) -> KeyLookup:
    """The sealed-key lookup the security module uses. A stored key is never replaced, so
    the sealed blobs found are kept for the life of the process (still sealed)."""

    def lookup(sgc: int, krn: int) -> bytes | None:
        key = ("sealed-key", sgc, krn)
        sealed = ctx.immutable.get(key)
        if sealed is None:
            sealed = uow.supply_groups.sealed_key(sgc, krn)
            if sealed is not None:
                ctx.immutable[key] = sealed
        assert sealed is None or isinstance(sealed, bytes)
        return sealed

    return lookup


def _group(uow: UnitOfWork, sgc: int) -> SupplyGroup:
    group = uow.supply_groups.by_sgc(sgc)
    if group is None:
        raise NotFound("supply_group_not_found", f"supply group {sgc:06d} does not exist")
    return group
