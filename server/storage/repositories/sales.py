"""Sales, engineering orders and the tokens issued for them."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from server.domain.tariffs import MonthToDate
from server.storage.schema import EngineeringOrder, IssuedToken, Sale

# Built once: a vend runs these on every sale (plain Core on the tables, no ORM work).
_SALES = Sale.__table__
_TOKENS = IssuedToken.__table__
_INSERT_SALE = insert(_SALES).returning(_SALES.c.id)
_INSERT_TOKENS = insert(_TOKENS)
_SALE_BY_REQUEST = select(_SALES.c.id).where(
    _SALES.c.client_ref == bindparam("client_ref"), _SALES.c.request_id == bindparam("request_id")
)
_NOTE_BALANCE = (
    update(_SALES)
    .where(_SALES.c.id == bindparam("b_id"))
    .values(agent_balance_after=bindparam("b_balance"))
)
_MONTH_TO_DATE = select(
    func.coalesce(func.sum(_SALES.c.kwh_credited), 0),
    func.coalesce(func.sum(_SALES.c.fixed_charge_gross), 0),
).where(
    _SALES.c.meter_id == bindparam("meter_id"),
    _SALES.c.month == bindparam("month"),
    _SALES.c.status == "issued",
)


class SaleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, sale: Sale) -> Sale:
        """Insert the sale; the unique (client, request id) makes a concurrent duplicate fail."""
        self.session.add(sale)
        self.session.flush()
        return sale

    def insert(self, values: dict[str, object]) -> int:
        """Insert a sale from plain values (the vend's fast path); its id. The unique (client,
        request id) makes a concurrent duplicate fail here."""
        return self.session.connection().execute(_INSERT_SALE, values).scalar_one()

    def note_agent_balance(self, sale_id: int, balance: int) -> None:
        """Record the vendor's float after this sale (printed on the receipt)."""
        self.session.connection().execute(_NOTE_BALANCE, {"b_id": sale_id, "b_balance": balance})

    def id_by_request(self, client_ref: str, request_id: str) -> int | None:
        """The id of the sale this client's request id made, if any."""
        found = self.session.connection().execute(
            _SALE_BY_REQUEST, {"client_ref": client_ref, "request_id": request_id}
        )
        return found.scalar_one_or_none()

    def by_request(self, client_ref: str, request_id: str) -> Sale | None:
        found = self.session.connection().execute(
            _SALE_BY_REQUEST, {"client_ref": client_ref, "request_id": request_id}
        )
        sale_id = found.scalar_one_or_none()
        return None if sale_id is None else self.session.get(Sale, sale_id)

    def by_id(self, sale_id: int) -> Sale | None:
        return self.session.get(Sale, sale_id)

    def for_update(self, sale_id: int) -> Sale | None:
        query = select(Sale).where(Sale.id == sale_id).with_for_update()
        return self.session.scalars(query).one_or_none()

    def month_to_date(self, meter_id: int, month: int) -> MonthToDate:
        """What the meter bought this month in sales that stand (reversed ones do not count)."""
        found = self.session.connection().execute(
            _MONTH_TO_DATE, {"meter_id": meter_id, "month": month}
        )
        kwh, fixed = found.one()
        return MonthToDate(kwh=Decimal(kwh), fixed_collected=int(fixed))

    def between(self, start: datetime, end: datetime) -> list[Sale]:
        query = (
            select(Sale)
            .where(Sale.created_at >= start, Sale.created_at < end)
            .order_by(Sale.created_at, Sale.id)
        )
        return list(self.session.scalars(query))

    def of_meter(self, meter_id: int, *, limit: int = 10) -> list[Sale]:
        query = select(Sale).where(Sale.meter_id == meter_id).order_by(Sale.id.desc()).limit(limit)
        return list(self.session.scalars(query))


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, rows: list[dict[str, object]]) -> None:
        """Insert issued tokens; the unique (meter, base, TID) refuses a reused TID."""
        if rows:
            self.session.connection().execute(_INSERT_TOKENS, rows)

    def of_sale(self, sale_id: int) -> list[IssuedToken]:
        query = (
            select(IssuedToken).where(IssuedToken.sale_id == sale_id).order_by(IssuedToken.position)
        )
        return list(self.session.scalars(query))

    def of_order(self, order_id: int) -> list[IssuedToken]:
        query = (
            select(IssuedToken)
            .where(IssuedToken.engineering_order_id == order_id)
            .order_by(IssuedToken.position)
        )
        return list(self.session.scalars(query))

    def last_of_meter(self, meter_id: int, *, limit: int = 5) -> list[IssuedToken]:
        query = (
            select(IssuedToken)
            .where(IssuedToken.meter_id == meter_id)
            .order_by(IssuedToken.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def add_order(self, order: EngineeringOrder) -> EngineeringOrder:
        self.session.add(order)
        self.session.flush()
        return order
