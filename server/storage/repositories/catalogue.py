"""Supply groups (with their sealed vending keys), tariffs, customers and meters."""

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.storage.schema import (
    Customer,
    Meter,
    Sale,
    SupplyGroup,
    Tariff,
    TariffBlock,
    VendingKey,
)


class SupplyGroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, group: SupplyGroup) -> SupplyGroup:
        self.session.add(group)
        self.session.flush()
        return group

    def by_sgc(self, sgc: int) -> SupplyGroup | None:
        return self.session.scalars(select(SupplyGroup).where(SupplyGroup.sgc == sgc)).one_or_none()

    def by_id(self, group_id: int) -> SupplyGroup | None:
        return self.session.get(SupplyGroup, group_id)

    def all(self) -> list[SupplyGroup]:
        return list(self.session.scalars(select(SupplyGroup).order_by(SupplyGroup.sgc)))

    def add_key(self, key: VendingKey) -> None:
        self.session.add(key)
        self.session.flush()

    def key_revisions(self, group_id: int) -> list[int]:
        query = select(VendingKey.krn).where(VendingKey.supply_group_id == group_id)
        return sorted(self.session.scalars(query))

    def sealed_key(self, sgc: int, krn: int) -> bytes | None:
        """The sealed vending key for (SGC, KRN), as only the security module can open it."""
        query = (
            select(VendingKey.sealed)
            .join(SupplyGroup, SupplyGroup.id == VendingKey.supply_group_id)
            .where(SupplyGroup.sgc == sgc, VendingKey.krn == krn)
        )
        return self.session.scalars(query).one_or_none()


class TariffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tariff: Tariff, blocks: list[TariffBlock]) -> Tariff:
        self.session.add(tariff)
        self.session.flush()
        for block in blocks:
            block.tariff_id = tariff.id
            self.session.add(block)
        self.session.flush()
        return tariff

    def by_name(self, name: str) -> Tariff | None:
        return self.session.scalars(select(Tariff).where(Tariff.name == name)).one_or_none()

    def by_id(self, tariff_id: int) -> Tariff | None:
        return self.session.get(Tariff, tariff_id)

    def all(self) -> list[Tariff]:
        return list(self.session.scalars(select(Tariff).order_by(Tariff.name)))

    def blocks(self, tariff_id: int) -> list[TariffBlock]:
        query = (
            select(TariffBlock)
            .where(TariffBlock.tariff_id == tariff_id)
            .order_by(TariffBlock.position)
        )
        return list(self.session.scalars(query))


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, customer: Customer) -> Customer:
        self.session.add(customer)
        self.session.flush()
        return customer

    def by_account(self, account_no: str) -> Customer | None:
        query = select(Customer).where(Customer.account_no == account_no)
        return self.session.scalars(query).one_or_none()

    def by_id(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, customer_id)

    def for_update(self, customer_id: int) -> Customer | None:
        """The customer, locked until commit (its debt may be recovered by this sale)."""
        query = select(Customer).where(Customer.id == customer_id).with_for_update()
        return self.session.scalars(query).one_or_none()

    def page(self, *, offset: int = 0, limit: int = 100) -> list[Customer]:
        query = select(Customer).order_by(Customer.id).offset(offset).limit(limit)
        return list(self.session.scalars(query))

    def change_debt(self, customer_id: int, amount: int) -> None:
        """Add `amount` (negative to reduce) to the arrears."""
        statement = (
            update(Customer)
            .where(Customer.id == customer_id)
            .values(debt=Customer.debt + amount)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(statement)


@dataclass(frozen=True)
class SaleTarget:
    """What a sale needs to know about a meter, its supply group and its customer, read in
    one statement that also locks the meter row."""

    meter_id: int
    pan: str
    state: str
    krn: int
    ti: int
    key_type: int
    base_date: int
    pending_ti: int | None
    last_tid: int | None
    tariff_id: int
    sgc: int
    ea: int
    dkga: int
    group_krn: int
    group_base: int
    ken: int
    customer_id: int | None
    customer_name: str
    customer_account: str
    customer_debt: int
    existing_sale_id: int | None = None  # a sale already made for the request, if asked


_METERS, _GROUPS, _CUSTOMERS = Meter.__table__, SupplyGroup.__table__, Customer.__table__
_SALE_TARGET = (
    select(
        _METERS.c.id,
        _METERS.c.pan,
        _METERS.c.state,
        _METERS.c.krn,
        _METERS.c.ti,
        _METERS.c.key_type,
        _METERS.c.base_date,
        _METERS.c.pending_ti,
        _METERS.c.last_tid,
        _METERS.c.tariff_id,
        _GROUPS.c.sgc,
        _GROUPS.c.ea,
        _GROUPS.c.dkga,
        _GROUPS.c.current_krn,
        _GROUPS.c.base_date,
        _GROUPS.c.ken,
        _CUSTOMERS.c.id,
        _CUSTOMERS.c.name,
        _CUSTOMERS.c.account_no,
        _CUSTOMERS.c.debt,
    )
    .select_from(
        _METERS.join(_GROUPS, _GROUPS.c.id == _METERS.c.supply_group_id).outerjoin(
            _CUSTOMERS, _CUSTOMERS.c.id == _METERS.c.customer_id
        )
    )
    .where(_METERS.c.pan == bindparam("pan"))
    .with_for_update(of=_METERS)
)
_SALES = Sale.__table__
# The same, and in the same round trip the sale a request id already made (idempotency).
_SALE_TARGET_AND_REQUEST = _SALE_TARGET.add_columns(
    select(_SALES.c.id)
    .where(
        _SALES.c.client_ref == bindparam("client_ref"),
        _SALES.c.request_id == bindparam("request_id"),
    )
    .scalar_subquery()
)
_RECORD_KEY = (
    update(_METERS)
    .where(_METERS.c.id == bindparam("b_meter_id"))
    .values(
        krn=bindparam("b_krn"),
        ti=bindparam("b_ti"),
        base_date=bindparam("b_base_date"),
        last_tid=bindparam("b_last_tid"),
    )
)


class MeterRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, meter: Meter) -> Meter:
        self.session.add(meter)
        self.session.flush()
        return meter

    def by_pan(self, pan: str) -> Meter | None:
        return self.session.scalars(select(Meter).where(Meter.pan == pan)).one_or_none()

    def by_pan_for_update(self, pan: str) -> Meter | None:
        """The meter, locked until commit: one token at a time per meter, so TIDs never clash."""
        query = select(Meter).where(Meter.pan == pan).with_for_update()
        return self.session.scalars(query).one_or_none()

    def by_id(self, meter_id: int) -> Meter | None:
        return self.session.get(Meter, meter_id)

    def sale_target(self, pan: str, request: tuple[str, str] | None = None) -> SaleTarget | None:
        """The meter with its group and customer, the meter row locked until commit: one
        token at a time per meter, so its TIDs never clash. With `request` (client ref,
        request id), also the id of the sale that request already made, if any."""
        connection = self.session.connection()
        if request is None:
            row = connection.execute(_SALE_TARGET, {"pan": pan}).one_or_none()
        else:
            parameters = {"pan": pan, "client_ref": request[0], "request_id": request[1]}
            row = connection.execute(_SALE_TARGET_AND_REQUEST, parameters).one_or_none()
        if row is None:
            return None
        values = list(row)
        values[17] = values[17] or ""
        values[18] = values[18] or ""
        values[19] = values[19] or 0
        return SaleTarget(*values)

    def record_key(
        self,
        meter_id: int,
        *,
        krn: int,
        ti: int,
        base_date: int,
        last_tid: int | None,
        clear_pending_ti: bool,
    ) -> None:
        """Store the key the meter holds after its newest tokens, and its newest TID."""
        connection = self.session.connection()
        connection.execute(
            _RECORD_KEY,
            {
                "b_meter_id": meter_id,
                "b_krn": krn,
                "b_ti": ti,
                "b_base_date": base_date,
                "b_last_tid": last_tid,
            },
        )
        if clear_pending_ti:
            connection.execute(
                update(_METERS).where(_METERS.c.id == meter_id).values(pending_ti=None)
            )

    def existing_pans(self, pans: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(pans), 500):
            chunk = pans[start : start + 500]
            found.update(self.session.scalars(select(Meter.pan).where(Meter.pan.in_(chunk))))
        return found

    def page(self, *, offset: int = 0, limit: int = 100) -> list[Meter]:
        query = select(Meter).order_by(Meter.id).offset(offset).limit(limit)
        return list(self.session.scalars(query))

    def of_customer(self, customer_id: int) -> list[Meter]:
        query = select(Meter).where(Meter.customer_id == customer_id).order_by(Meter.id)
        return list(self.session.scalars(query))
