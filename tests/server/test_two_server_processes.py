"""Two server processes on one database behave as one: floats, request ids and TIDs are
guarded by the database, not by process memory (SQLite and PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from server.services import agents, ledger_check, meters, operators
from server.storage.schema import IssuedToken, Sale
from tests.server import world
from tests.server.served import api_processes


def test_100_concurrent_vends_over_two_processes_exactly_40_succeed(ctx, admin, db_url, master_key):
    world.build(ctx, admin, float_minor=40 * 1000)
    numbers = [world.pan(1), world.pan(2)]
    for n in range(3, 9):
        numbers.append(world.pan(n))
        meters.add_meter(ctx, admin, number=world.pan(n), sgc=world.SGC, tariff="flat")
    key = operators.create_pos_client(ctx, admin, name="pos", agent_code="AG1")
    with api_processes(db_url, master_key, count=2) as urls:
        clients = [httpx.Client(base_url=u, headers={"X-API-Key": key}, timeout=60) for u in urls]

        def vend(n: int) -> tuple[int, str]:
            body = {"request_id": f"v-{n}", "meter": numbers[n % len(numbers)], "amount": "10.00"}
            answer = clients[n % 2].post("/api/v1/vends", json=body)
            return answer.status_code, answer.json().get("code", "")

        with ThreadPoolExecutor(max_workers=50) as pool:
            outcomes = list(pool.map(vend, range(100)))
    assert sum(status == 201 for status, _ in outcomes) == 40, outcomes
    assert sorted({o for o in outcomes if o[0] != 201}) == [(409, "insufficient_float")]
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("0.00")
    assert ledger_check.check(ctx, admin).ok
    with ctx.unit_of_work(read_only=True) as uow:
        tokens = uow.session.execute(select(func.count(IssuedToken.id))).scalar_one()
        distinct = uow.session.execute(
            select(func.count()).select_from(
                select(IssuedToken.meter_id, IssuedToken.tid).distinct().subquery()
            )
        ).scalar_one()
    assert tokens == distinct == 40


def test_one_request_sent_to_both_processes_at_once_makes_one_sale(ctx, admin, db_url, master_key):
    world.build(ctx, admin)
    key = operators.create_pos_client(ctx, admin, name="pos", agent_code="AG1")
    body = {"request_id": "same-one", "meter": world.pan(1), "amount": "10.00"}
    with api_processes(db_url, master_key, count=2) as urls:
        clients = [httpx.Client(base_url=u, headers={"X-API-Key": key}, timeout=60) for u in urls]
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(
                pool.map(lambda n: clients[n % 2].post("/api/v1/vends", json=body), range(40))
            )
    assert sorted({a.status_code for a in answers}) == [200, 201]
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({tuple(t["digits"] for t in a.json()["tokens"]) for a in answers}) == 1
    with ctx.unit_of_work(read_only=True) as uow:
        assert uow.session.execute(select(func.count(Sale.id))).scalar_one() == 1
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("990.00")
