"""Customers: who owns a meter, and what arrears they owe."""

from sqlalchemy.exc import IntegrityError

from server.domain import ledger
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.roles import Permission
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.snapshots import snapshot
from server.services.text_fields import text_field
from server.storage.schema import Customer
from server.storage.unit_of_work import UnitOfWork

CUSTOMER_FIELDS = ("account_no", "name", "address", "phone", "debt")


def check_customer_fields(account_no: str, name: str, address: str, phone: str) -> None:
    """Refuse empty, oversized or unprintable customer fields, naming the field."""
    text_field(account_no, "account number", max_length=32)
    text_field(name, "customer name", max_length=128)
    text_field(address, "address", max_length=256, required=False)
    text_field(phone, "phone", max_length=32, required=False)


def new_customer(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    *,
    account_no: str,
    name: str,
    address: str = "",
    phone: str = "",
    debt: int = 0,
) -> Customer:
    """Add a customer inside an open unit of work (bulk imports add many in one)."""
    check_customer_fields(account_no, name, address, phone)
    if debt < 0:
        raise InvalidInput("invalid_amount", "debt cannot be negative")
    account_no = account_no.strip()
    if uow.customers.by_account(account_no) is not None:
        raise Conflict("duplicate_customer", f"customer account {account_no} already exists")
    customer = uow.customers.add(
        Customer(
            account_no=account_no,
            name=name.strip(),
            address=address.strip(),
            phone=phone.strip(),
            debt=0,
            created_at=ctx.now(),
        )
    )
    uow.ledger.open_accounts([ledger.customer_debt(customer.id)])
    if debt:
        _post_debt(ctx, uow, actor, customer, debt, "opening arrears")
    audit_trail.record(
        ctx,
        uow,
        actor,
        "customer.add",
        "customer",
        account_no,
        after=snapshot(customer, CUSTOMER_FIELDS),
    )
    return customer


def add_customer(ctx: ServiceContext, actor: Actor, **fields: object) -> Customer:
    """Add one customer (see `new_customer` for the fields)."""
    actor.require(Permission.MANAGE_CATALOGUE)

    def work(uow: UnitOfWork) -> Customer:
        customer = new_customer(ctx, uow, actor, **fields)  # type: ignore[arg-type]
        uow.commit()
        return customer

    return ctx.transaction(work)


def update_customer(
    ctx: ServiceContext,
    actor: Actor,
    account_no: str,
    *,
    new_account_no: str | None = None,
    name: str | None = None,
    address: str | None = None,
    phone: str | None = None,
) -> Customer:
    """Change a customer's account number, name, address or phone (None: left as it is),
    checked as when the customer was added. Their meters, arrears and sales stay theirs."""
    actor.require(Permission.MANAGE_CATALOGUE)

    def work(uow: UnitOfWork) -> Customer:
        customer = customer_by_account(uow, account_no)
        uow.session.refresh(customer, with_for_update=True)
        wanted = {
            "account_no": customer.account_no if new_account_no is None else new_account_no,
            "name": customer.name if name is None else name,
            "address": customer.address if address is None else address,
            "phone": customer.phone if phone is None else phone,
        }
        check_customer_fields(**wanted)
        wanted = {field: value.strip() for field, value in wanted.items()}
        moved = wanted["account_no"] != customer.account_no
        if moved and uow.customers.by_account(wanted["account_no"]) is not None:
            raise Conflict(
                "duplicate_customer",
                f"customer account {wanted['account_no']} already exists",
            )
        before = snapshot(customer, CUSTOMER_FIELDS)
        changed = {f: v for f, v in wanted.items() if getattr(customer, f) != v}
        if not changed:
            return customer
        for field, value in changed.items():
            setattr(customer, field, value)
        try:
            uow.session.flush()
        except IntegrityError:  # the same new account number, taken at the same moment
            raise Conflict(
                "duplicate_customer", f"customer account {wanted['account_no']} already exists"
            ) from None
        audit_trail.record(
            ctx,
            uow,
            actor,
            "customer.update",
            "customer",
            customer.account_no,
            before=before,
            after=snapshot(customer, CUSTOMER_FIELDS),
        )
        uow.commit()
        return customer

    return ctx.transaction(work)


def change_debt(
    ctx: ServiceContext, actor: Actor, account_no: str, amount: int, reason: str
) -> Customer:
    """Put arrears on a customer (positive) or write some off (negative), with a reason."""
    actor.require(Permission.ADJUST)
    reason = text_field(reason, "reason", max_length=500)

    def work(uow: UnitOfWork) -> Customer:
        customer = customer_by_account(uow, account_no)
        if customer.debt + amount < 0:
            raise Conflict(
                "debt_below_zero",
                f"customer {account_no} owes {ctx.currency.format(customer.debt)}; "
                f"cannot write off {ctx.currency.format(-amount)}",
            )
        before = snapshot(customer, CUSTOMER_FIELDS)
        _post_debt(ctx, uow, actor, customer, amount, reason)
        uow.session.refresh(customer)
        audit_trail.record(
            ctx,
            uow,
            actor,
            "customer.debt",
            "customer",
            account_no,
            before=before,
            after={**snapshot(customer, CUSTOMER_FIELDS), "reason": reason},
        )
        uow.commit()
        return customer

    return ctx.transaction(work)


def get_customer(ctx: ServiceContext, actor: Actor, account_no: str) -> Customer:
    """A customer by account number."""
    actor.require(Permission.VIEW)
    return ctx.transaction(lambda uow: customer_by_account(uow, account_no), read_only=True)


def list_customers(
    ctx: ServiceContext, actor: Actor, *, offset: int = 0, limit: int = 100
) -> list[Customer]:
    """A page of customers in the order they were added."""
    actor.require(Permission.VIEW)
    return ctx.transaction(
        lambda uow: uow.customers.page(offset=offset, limit=limit), read_only=True
    )


def customer_by_account(uow: UnitOfWork, account_no: str) -> Customer:
    """A stored customer, or a clear NotFound."""
    customer = uow.customers.by_account(account_no.strip())
    if customer is None:
        raise NotFound("customer_not_found", f"customer account {account_no} does not exist")
    return customer


def _post_debt(
    ctx: ServiceContext, uow: UnitOfWork, actor: Actor, customer: Customer, amount: int, reason: str
) -> None:
    uow.ledger.post(ledger.debt_entry(customer.id, amount, reason), actor=actor.ref, at=ctx.now())
    uow.customers.change_debt(customer.id, amount)
