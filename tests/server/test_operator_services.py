"""The operator services the pages and the API share: editing customers, a meter's tariff
and customer, operators' roles and status, sales by day for one vendor, and what disabling
does to remembered callers (both databases)."""

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from server.bootstrap import open_context
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from server.domain.roles import Role
from server.domain.tariffs import Block
from server.services import agents, audit_trail, customers, meters, operators, reports, tariffs
from server.services.context import Actor
from server.services.vending import VendRequest, vend
from server.storage.schema import ApiSession, web_session_grants
from tests.server import world

PASSWORD = "a long password"


def last_audit(ctx, action: str) -> tuple[dict | None, dict | None]:
    """The before and after of the newest audit record of `action`."""
    with ctx.unit_of_work(read_only=True) as uow:
        found = [r for r in uow.audit.latest(limit=20) if r.action == action]
    assert found, f"no {action} in the audit log"
    record = found[0]
    return (
        None if record.before is None else json.loads(record.before),
        None if record.after is None else json.loads(record.after),
    )


def audit_count(ctx) -> int:
    return audit_trail.verify(ctx, Actor(kind="cli", name="t", role=Role.ADMIN)).records


def person(ctx, admin, username: str, role: Role) -> Actor:
    operators.create_operator(ctx, admin, username=username, password=PASSWORD, role=role)
    return operators.authenticate(ctx, username, PASSWORD)


# ---- Customers ----


def test_a_customer_is_edited_with_the_checks_of_adding_one(ctx, admin):
    world.build(ctx, admin)
    customers.add_customer(ctx, admin, account_no="C002", name="Kofi Mensah")
    edited = customers.update_customer(
        ctx, admin, "C001", new_account_no=" C001-A ", name="Amina O.", phone="+233 20 1"
    )
    assert (edited.account_no, edited.name, edited.address, edited.phone) == (
        "C001-A",
        "Amina O.",
        "Plot 4",  # not sent: unchanged
        "+233 20 1",
    )
    before, after = last_audit(ctx, "customer.update")
    assert before["account_no"] == "C001" and after["account_no"] == "C001-A"
    assert before["name"] == "Amina Okafor" and after["name"] == "Amina O."
    # Their meters are still theirs, under the new account number.
    assert meters.show_meter(ctx, admin, world.pan(1)).customer_account == "C001-A"
    with pytest.raises(NotFound):
        customers.get_customer(ctx, admin, "C001")

    with pytest.raises(Conflict, match="customer account C002 already exists"):
        customers.update_customer(ctx, admin, "C001-A", new_account_no="C002")
    with pytest.raises(InvalidInput, match="customer name: required"):
        customers.update_customer(ctx, admin, "C001-A", name="  ")
    with pytest.raises(InvalidInput, match="account number: 32 characters at most"):
        customers.update_customer(ctx, admin, "C001-A", new_account_no="x" * 33)
    with pytest.raises(InvalidInput, match="control characters"):
        customers.update_customer(ctx, admin, "C001-A", address="line\x00two")
    with pytest.raises(NotFound, match="NOPE does not exist"):
        customers.update_customer(ctx, admin, "NOPE", name="x")
    assert customers.get_customer(ctx, admin, "C001-A").name == "Amina O."


def test_an_edit_that_changes_nothing_writes_no_audit_record(ctx, admin):
    world.build(ctx, admin)
    records = audit_count(ctx)
    customers.update_customer(ctx, admin, "C001", name="Amina Okafor", address="Plot 4")
    assert audit_count(ctx) == records


def test_only_catalogue_managers_edit_customers(ctx, admin):
    world.build(ctx, admin)
    cashier = person(ctx, admin, "cara", Role.CASHIER)
    with pytest.raises(Forbidden):
        customers.update_customer(ctx, cashier, "C001", name="Mallory")
    assert customers.get_customer(ctx, admin, "C001").name == "Amina Okafor"


# ---- Meters: tariff and customer ----


def test_a_meters_tariff_changes_and_its_next_sale_is_priced_at_the_new_one(ctx, admin):
    world.build(ctx, admin)  # "flat" at 0.25 a kWh
    tariffs.add_tariff(ctx, admin, name="dear", blocks=(Block(None, Decimal("0.50")),))
    first = vend(ctx, admin, VendRequest("t-1", world.pan(1), 1000, agent_code="AG1"))
    assert first.kwh == Decimal("40.0")
    view = meters.change_tariff(ctx, admin, world.pan(1), "dear", reason="commercial use")
    assert view.tariff == "dear"
    before, after = last_audit(ctx, "meter.tariff")
    assert before["tariff"] == "flat" and after == {
        "pan": world.pan(1),
        "tariff": "dear",
        "reason": "commercial use",
    }
    second = vend(ctx, admin, VendRequest("t-2", world.pan(1), 1000, agent_code="AG1"))
    assert second.kwh == Decimal("20.0")
    with pytest.raises(NotFound, match="nosuch"):
        meters.change_tariff(ctx, admin, world.pan(1), "nosuch")
    with pytest.raises(NotFound, match="not registered"):
        meters.change_tariff(ctx, admin, world.pan(99), "flat")
    typo = world.pan(1)[:-1] + str((int(world.pan(1)[-1]) + 1) % 10)
    with pytest.raises(InvalidInput, match="check digit"):
        meters.change_tariff(ctx, admin, typo, "flat")


def test_a_meter_moves_to_another_customer_or_to_a_new_one(ctx, admin):
    world.build(ctx, admin)
    customers.add_customer(ctx, admin, account_no="C002", name="Kofi Mensah")
    sold = vend(ctx, admin, VendRequest("m-1", world.pan(1), 500, agent_code="AG1"))
    assert sold.customer_account == "C001"

    moved = meters.move_meter(ctx, admin, world.pan(1), customer_account="C002", reason="sold")
    assert (moved.customer_account, moved.customer_name) == ("C002", "Kofi Mensah")
    before, after = last_audit(ctx, "meter.customer")
    assert before["customer"] == "C001" and after["customer"] == "C002"
    assert vend(ctx, admin, VendRequest("m-2", world.pan(1), 500, "AG1")).customer_account == (
        "C002"
    )

    fresh = meters.move_meter(
        ctx,
        admin,
        world.pan(1),
        new_customer={"account_no": "C003", "name": "Esi Boateng", "phone": "0244"},
    )
    assert fresh.customer_account == "C003"
    assert customers.get_customer(ctx, admin, "C003").phone == "0244"
    _, added = last_audit(ctx, "customer.add")
    assert added["account_no"] == "C003"


def test_a_refused_move_changes_nothing(ctx, admin):
    world.build(ctx, admin)
    records = audit_count(ctx)
    with pytest.raises(NotFound, match="C404 does not exist"):
        meters.move_meter(ctx, admin, world.pan(1), customer_account="C404")
    with pytest.raises(Conflict, match="C001 already exists"):
        meters.move_meter(
            ctx, admin, world.pan(1), new_customer={"account_no": "C001", "name": "x"}
        )
    with pytest.raises(InvalidInput, match="customer name: required"):
        meters.move_meter(ctx, admin, world.pan(1), new_customer={"account_no": "C9", "name": ""})
    with pytest.raises(InvalidInput, match="an existing account, or a new customer"):
        meters.move_meter(ctx, admin, world.pan(1))
    with pytest.raises(InvalidInput, match="an existing account, or a new customer"):
        meters.move_meter(
            ctx,
            admin,
            world.pan(1),
            customer_account="C001",
            new_customer={"account_no": "C9", "name": "x"},
        )
    with pytest.raises(InvalidInput, match="unknown field"):
        meters.move_meter(ctx, admin, world.pan(1), new_customer={"account": "C9", "name": "x"})
    assert audit_count(ctx) == records
    assert meters.show_meter(ctx, admin, world.pan(1)).customer_account == "C001"
    with pytest.raises(NotFound):
        customers.get_customer(ctx, admin, "C9")


def test_cashiers_change_neither_tariff_nor_customer(ctx, admin):
    world.build(ctx, admin)
    cashier = person(ctx, admin, "cara", Role.CASHIER)
    with pytest.raises(Forbidden):
        meters.change_tariff(ctx, cashier, world.pan(1), "flat")
    with pytest.raises(Forbidden):
        meters.move_meter(ctx, cashier, world.pan(1), customer_account="C001")


# ---- Reports ----


def test_sales_by_day_for_one_vendor(ctx, admin, clock):
    world.build(ctx, admin)
    agents.add_agent(ctx, admin, code="AG2", name="Town vendor")
    agents.topup(ctx, admin, "AG2", 100_000, "opening float")
    vend(ctx, admin, VendRequest("r-1", world.pan(1), 1000, agent_code="AG1"))
    vend(ctx, admin, VendRequest("r-2", world.pan(2), 2000, agent_code="AG2"))
    clock.advance(days=1)
    vend(ctx, admin, VendRequest("r-3", world.pan(1), 500, agent_code="AG1"))
    start, end = clock.now - timedelta(days=3), clock.now + timedelta(hours=1)

    mine = reports.sales_report(ctx, admin, by="day", start=start, end=end, agent_code="AG1")
    assert mine.agent == "AG1"
    assert [(r.key, r.sales, r.amount) for r in mine.rows] == [
        ("2025-03-14", 1, Decimal("10.00")),
        ("2025-03-15", 1, Decimal("5.00")),
    ]
    assert mine.total.amount == Decimal("15.00")
    everyone = reports.sales_report(ctx, admin, by="day", start=start, end=end)
    assert everyone.agent is None and everyone.rows[0].amount == Decimal("30.00")
    by_agent = reports.sales_report(ctx, admin, by="agent", start=start, end=end, agent_code="AG2")
    assert [r.key for r in by_agent.rows] == ["AG2"] and by_agent.total.sales == 1
    with pytest.raises(NotFound, match="NOPE does not exist"):
        reports.sales_report(ctx, admin, by="day", start=start, end=end, agent_code="NOPE")


# ---- Operators: roles and status ----


def test_a_role_change_applies_to_the_next_request(ctx, admin):
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    token, _, _ = operators.log_in(ctx, "sam", PASSWORD)
    assert operators.actor_for_token(ctx, token).role is Role.CASHIER
    changed = operators.set_role(ctx, admin, "sam", Role.SUPERVISOR)
    assert changed.role == "supervisor"
    assert operators.actor_for_token(ctx, token).role is Role.SUPERVISOR  # not the remembered one
    before, after = last_audit(ctx, "operator.role")
    assert before["role"] == "cashier" and after["role"] == "supervisor"
    with pytest.raises(InvalidInput, match="pos is for point-of-sale"):
        operators.set_role(ctx, admin, "sam", Role.POS)
    with pytest.raises(NotFound):
        operators.set_role(ctx, admin, "nobody", Role.AUDITOR)


def test_a_disabled_operator_cannot_log_in_and_their_tokens_and_sessions_end(ctx, admin):
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    token, _, _ = operators.log_in(ctx, "sam", PASSWORD)
    sam = operators.actor_for_token(ctx, token)  # remembered from here on
    with ctx.unit_of_work() as uow:
        uow.session.execute(
            web_session_grants.insert().values(
                token_hash="0" * 64,
                operator_id=sam.id,
                stage="full",
                created_at=ctx.now(),
                expires_at=ctx.now() + timedelta(hours=1),
            )
        )
        uow.commit()

    operators.set_active(ctx, admin, "sam", False, reason="left the company")
    with pytest.raises(Unauthenticated):
        operators.actor_for_token(ctx, token)
    assert operators.remembered_actor(ctx, token=token) is None
    with pytest.raises(Unauthenticated, match="sam is disabled"):
        operators.log_in(ctx, "sam", PASSWORD)
    with ctx.unit_of_work(read_only=True) as uow:
        assert uow.session.query(ApiSession).filter_by(operator_id=sam.id).count() == 0
        grants = uow.session.execute(
            web_session_grants.select().where(web_session_grants.c.operator_id == sam.id)
        )
        assert grants.all() == []
    before, after = last_audit(ctx, "operator.disable")
    assert before["active"] is True and after["active"] is False
    assert after["reason"] == "left the company" and after["sessions_ended"] == 1

    operators.set_active(ctx, admin, "sam", True)
    new_token, _, _ = operators.log_in(ctx, "sam", PASSWORD)
    assert operators.actor_for_token(ctx, new_token).name == "sam"
    with pytest.raises(Unauthenticated):
        operators.actor_for_token(ctx, token)  # the old token stays dead
    assert last_audit(ctx, "operator.enable")[1]["active"] is True


def test_the_last_administrator_stays(ctx, admin):
    boss = person(ctx, admin, "boss", Role.ADMIN)
    with pytest.raises(Conflict, match="cannot disable your own login"):
        operators.set_active(ctx, boss, "boss", False)
    with pytest.raises(Conflict, match="boss is the only active administrator"):
        operators.set_role(ctx, boss, "boss", Role.SUPERVISOR)
    with pytest.raises(Conflict, match="boss is the only active administrator"):
        operators.set_active(ctx, admin, "boss", False)  # not even by the command line
    other = person(ctx, admin, "ada", Role.ADMIN)
    operators.set_role(ctx, boss, "boss", Role.SUPERVISOR)  # another admin remains: allowed
    with pytest.raises(Conflict, match="ada is the only active administrator"):
        operators.set_role(ctx, other, "ada", Role.AUDITOR)
    operators.set_role(ctx, other, "boss", Role.ADMIN)
    operators.set_active(ctx, other, "boss", False)
    with pytest.raises(Conflict, match="ada is the only active administrator"):
        operators.set_role(ctx, other, "ada", Role.CASHIER)  # the disabled admin does not count


def test_only_operator_managers_change_roles_and_status(ctx, admin):
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    supervisor = person(ctx, admin, "sue", Role.SUPERVISOR)
    with pytest.raises(Forbidden):
        operators.set_role(ctx, supervisor, "sam", Role.ADMIN)
    with pytest.raises(Forbidden):
        operators.set_active(ctx, supervisor, "sam", False)
    with pytest.raises(Forbidden):
        operators.set_role(ctx, supervisor, "sue", Role.ADMIN)


# ---- Remembered callers: disabling bites at once here, within seconds elsewhere ----


def test_a_disabled_api_key_is_refused_at_once_in_this_process(ctx, admin):
    world.build(ctx, admin)
    key = operators.create_pos_client(ctx, admin, name="shop", agent_code="AG1")
    assert operators.actor_for_api_key(ctx, key).name == "shop"
    assert operators.remembered_actor(ctx, api_key=key) is not None
    view = operators.set_pos_client_enabled(ctx, admin, "shop", False, reason="stolen till")
    assert view.enabled is False and view.agent_code == "AG1"
    assert operators.remembered_actor(ctx, api_key=key) is None
    with pytest.raises(Unauthenticated, match="shop is disabled"):
        operators.actor_for_api_key(ctx, key)
    assert last_audit(ctx, "pos_client.disable")[1] == {"enabled": False, "reason": "stolen till"}
    operators.set_pos_client_enabled(ctx, admin, "shop", True)
    assert operators.actor_for_api_key(ctx, key).name == "shop"
    assert [c.name for c in operators.list_pos_clients(ctx, admin)] == ["shop"]
    with pytest.raises(NotFound):
        operators.set_pos_client_enabled(ctx, admin, "nope", False)


def test_another_process_honours_a_disabled_key_or_token_for_a_few_seconds_only(
    ctx, admin, db_url, clock, master_key
):
    """Two contexts on one database stand for two server processes."""
    world.build(ctx, admin)
    key = operators.create_pos_client(ctx, admin, name="shop", agent_code="AG1")
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    token, _, _ = operators.log_in(ctx, "sam", PASSWORD)
    other = open_context(db_url, master_key=master_key, clock=clock)
    try:
        assert operators.actor_for_api_key(other, key).name == "shop"
        assert operators.actor_for_token(other, token).name == "sam"
        operators.set_pos_client_enabled(ctx, admin, "shop", False)
        operators.set_active(ctx, admin, "sam", False)
        clock.advance(seconds=operators.TRUST_SECONDS - 1)
        assert operators.remembered_actor(other, api_key=key) is not None  # still trusted
        assert operators.remembered_actor(other, token=token) is not None
        clock.advance(seconds=1.5)
        assert operators.remembered_actor(other, api_key=key) is None
        assert operators.remembered_actor(other, token=token) is None
        with pytest.raises(Unauthenticated):
            operators.actor_for_api_key(other, key)
        with pytest.raises(Unauthenticated):
            operators.actor_for_token(other, token)
    finally:
        other.dispose()


def test_a_check_under_way_during_a_disable_does_not_leave_a_stale_answer(ctx, admin):
    world.build(ctx, admin)
    key = operators.create_pos_client(ctx, admin, name="shop", agent_code="AG1")
    epoch = operators._epoch(ctx)
    operators.set_pos_client_enabled(ctx, admin, "shop", False)
    # A check that read the client before the change and remembers it afterwards...
    client = Actor(kind="pos", name="shop", role=Role.POS, id=1, agent_id=1)
    operators._remember(ctx, ("api-key", operators._digest(key.split("_", 2)[2]), epoch), client)
    # ...is not what the next request finds.
    assert operators.remembered_actor(ctx, api_key=key) is None
    with pytest.raises(Unauthenticated):
        operators.actor_for_api_key(ctx, key)


def test_logging_out_ends_a_bearer_token_at_once(ctx, admin):
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    token, _, _ = operators.log_in(ctx, "sam", PASSWORD)
    operators.actor_for_token(ctx, token)
    operators.log_out(ctx, token)
    assert operators.remembered_actor(ctx, token=token) is None
    with pytest.raises(Unauthenticated):
        operators.actor_for_token(ctx, token)


def test_two_administrators_demoting_each_other_at_once_leave_one(ctx, admin):
    ada = person(ctx, admin, "ada", Role.ADMIN)
    bea = person(ctx, admin, "bea", Role.ADMIN)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(actor: Actor, target: str) -> None:
        start.wait()
        try:
            operators.set_role(ctx, actor, target, Role.SUPERVISOR)
            outcomes[target] = "demoted"
        except Conflict as refused:
            outcomes[target] = refused.code

    threads = [
        threading.Thread(target=demote, args=(ada, "bea")),
        threading.Thread(target=demote, args=(bea, "ada")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["demoted", "last_admin"]
    roles = {o.username: o.role for o in operators.list_operators(ctx, admin)}
    assert sorted(roles.values()) == ["admin", "supervisor"]
