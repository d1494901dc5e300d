"""Tariffs: flat or block prices, VAT, fixed monthly charge, debt recovery."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.roles import Permission
from server.domain.tariffs import Block, TariffTerms
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.text_fields import text_field
from server.storage.schema import Tariff, TariffBlock
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TariffView:
    """A tariff as shown to people: money in major units."""

    id: int
    name: str
    blocks: tuple[Block, ...]
    vat_rate: Decimal
    fixed_monthly: Decimal
    debt_rate: Decimal
    debt_cap: Decimal


def parse_decimal(text: object, what: str) -> Decimal:
    """A decimal from user input, with an error naming the field."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("invalid_number", f"{what} {text!r}: not a number") from None
    if not value.is_finite():
        raise InvalidInput("invalid_number", f"{what} {text!r}: not a number")
    return value


def parse_blocks(text: str) -> tuple[Block, ...]:
    """Blocks from '1.50' (flat) or '50:0.80,300:1.20,*:1.85' (kWh up to : price)."""
    blocks: list[Block] = []
    for n, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            raise InvalidInput("invalid_tariff", f"block {n + 1} is empty")
        limit, _, price = part.rpartition(":")
        up_to = None if limit.strip() in ("", "*") else parse_decimal(limit, f"block {n + 1} limit")
        blocks.append(Block(up_to, parse_decimal(price, f"block {n + 1} price")))
    return tuple(blocks)


def terms_of(uow: UnitOfWork, tariff: Tariff) -> TariffTerms:
    """A stored tariff as domain terms for pricing."""
    blocks = tuple(Block(b.up_to_kwh, b.price) for b in uow.tariffs.blocks(tariff.id))
    return TariffTerms(
        blocks=blocks,
        vat_rate=tariff.vat_rate,
        fixed_monthly=tariff.fixed_monthly,
        debt_rate=tariff.debt_rate,
        debt_cap=tariff.debt_cap,
    )


def cached_terms(ctx: ServiceContext, uow: UnitOfWork, tariff_id: int) -> TariffTerms:
    """A tariff's terms, read once per process: a tariff never changes once added (prices
    change by adding a new tariff and moving meters to it)."""
    key = ("tariff", tariff_id)
    terms = ctx.immutable.get(key)
    if terms is None:
        tariff = uow.tariffs.by_id(tariff_id)
        if tariff is None:
            raise NotFound("tariff_not_found", f"tariff {tariff_id} does not exist")
        terms = terms_of(uow, tariff)
        ctx.immutable[key] = terms
    assert isinstance(terms, TariffTerms)
    return terms


def add_tariff(
    ctx: ServiceContext,
    actor: Actor,
    *,
    name: str,
    blocks: tuple[Block, ...],
    vat_rate: Decimal = Decimal(0),
    fixed_monthly: int = 0,
    debt_rate: Decimal = Decimal(0),
    debt_cap: int = 0,
) -> TariffView:
    """Add a tariff. Prices are VAT inclusive, per kWh, in major units (4 decimals at most)."""
    actor.require(Permission.MANAGE_CATALOGUE)
    name = text_field(name, "tariff name", max_length=64)
    terms = TariffTerms(blocks, vat_rate, fixed_monthly, debt_rate, debt_cap)
    for n, block in enumerate(blocks, start=1):
        if block.price != block.price.quantize(Decimal("0.0001")) or block.price >= 10**10:
            raise InvalidInput("invalid_tariff", f"block {n}: price has more than 4 decimals")
        if block.up_to_kwh is not None and (
            block.up_to_kwh != block.up_to_kwh.quantize(Decimal("0.1")) or block.up_to_kwh >= 10**10
        ):
            raise InvalidInput("invalid_tariff", f"block {n}: limit must be in 0.1 kWh steps")
    for what, rate in (("VAT rate", vat_rate), ("debt rate", debt_rate)):
        if rate != rate.quantize(Decimal("0.000001")):
            raise InvalidInput("invalid_tariff", f"{what} {rate}: 6 decimals at most")

    def work(uow: UnitOfWork) -> TariffView:
        if uow.tariffs.by_name(name) is not None:
            raise Conflict("duplicate_tariff", f"tariff {name!r} already exists")
        tariff = uow.tariffs.add(
            Tariff(
                name=name,
                vat_rate=terms.vat_rate,
                fixed_monthly=terms.fixed_monthly,
                debt_rate=terms.debt_rate,
                debt_cap=terms.debt_cap,
                created_at=ctx.now(),
            ),
            [
                TariffBlock(position=i, up_to_kwh=b.up_to_kwh, price=b.price)
                for i, b in enumerate(terms.blocks)
            ],
        )
        view = _view(ctx, tariff, terms)
        audit_trail.record(
            ctx, uow, actor, "tariff.add", "tariff", tariff.id, after=_audit_view(view)
        )
        uow.commit()
        return view

    return ctx.transaction(work)


def get_tariff(ctx: ServiceContext, actor: Actor, name: str) -> TariffView:
    """A tariff by name."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> TariffView:
        tariff = tariff_by_name(uow, name)
        return _view(ctx, tariff, terms_of(uow, tariff))

    return ctx.transaction(work, read_only=True)


def list_tariffs(ctx: ServiceContext, actor: Actor) -> list[TariffView]:
    """Every tariff."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> list[TariffView]:
        return [_view(ctx, t, terms_of(uow, t)) for t in uow.tariffs.all()]

    return ctx.transaction(work, read_only=True)


def tariff_by_name(uow: UnitOfWork, name: str) -> Tariff:
    """A stored tariff, or a clear NotFound."""
    tariff = uow.tariffs.by_name(name.strip())
    if tariff is None:
        raise NotFound("tariff_not_found", f"tariff {name!r} does not exist")
    return tariff


def _view(ctx: ServiceContext, tariff: Tariff, terms: TariffTerms) -> TariffView:
    return TariffView(
        id=tariff.id,
        name=tariff.name,
        blocks=terms.blocks,
        vat_rate=terms.vat_rate,
        fixed_monthly=ctx.currency.to_decimal(terms.fixed_monthly),
        debt_rate=terms.debt_rate,
        debt_cap=ctx.currency.to_decimal(terms.debt_cap),
    )


def _audit_view(view: TariffView) -> dict[str, object]:
    return {
        "name": view.name,
        "blocks": [[str(b.up_to_kwh), str(b.price)] for b in view.blocks],
        "vat_rate": str(view.vat_rate),
        "fixed_monthly": str(view.fixed_monthly),
        "debt_rate": str(view.debt_rate),
        "debt_cap": str(view.debt_cap),
    }
