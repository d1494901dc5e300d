"""`make run`: the vending server on SQLite with a small demo data set.

Everything lives in the demo data folder (var/demo, or $GRIDVEND_DATA): the database and a
DEMO master key created on first run. The vending keys are the public STS test keys. None of
it is fit for real money, and the banner says so.
"""

import os
import sys
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from server.bootstrap import open_context
from server.domain.money import Currency
from server.domain.roles import Role
from server.domain.tariffs import Block
from server.security.master_key import ENV_KEY_FILE, write_new_master_key
from server.services import agents, customers, meters, operators, supply_groups, tariffs
from server.services.context import Actor, ServiceContext
from server.services.installation import initialise
from server.settings import ENV_DB
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import upgrade
from server.storage.unit_of_work import UnitOfWork
from server.sts import luhn_check_digit

SGC = 123456
TEST_VENDING_KEY = bytes.fromhex("abababababababab")  # the public STS test key (STS.md)
TEST_VENDING_KEY_2 = bytes.fromhex("0123456789abcdef")
ADMIN_USER, ADMIN_PASSWORD = "admin", "demo-password"
SYSTEM = Actor(kind="cli", name="demo-setup", role=Role.ADMIN)
console = Console()


def pan(serial: int) -> str:
    body = f"600727{serial:011d}"
    return body + str(luhn_check_digit(body))


def prepare(data: Path) -> tuple[str, Path, str]:
    """Create (once) the demo database, master key and data; the DB URL, key path, API key."""
    data.mkdir(parents=True, exist_ok=True)
    key_path = data / "DEMO-master.key"
    if not key_path.exists():
        write_new_master_key(key_path)
    url = f"sqlite:///{(data / 'gridvend.db').resolve()}"
    upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine), {}) as uow:
        initialise(uow, Currency.of("USD"))
        uow.commit()
    engine.dispose()
    os.environ[ENV_KEY_FILE] = str(key_path.resolve())
    ctx = open_context(url, need_keys=True)
    api_key_path = data / "DEMO-pos-api-key.txt"
    try:
        if not supply_groups.list_supply_groups(ctx, SYSTEM):
            api_key_path.write_text(load_demo_data(ctx) + "\n")
    finally:
        ctx.dispose()
    return url, key_path, api_key_path.read_text().strip()


def load_demo_data(ctx: ServiceContext) -> str:
    """One supply group (two key revisions), a block tariff, customers, meters (one still on
    base date 1993), two vendors with floats, an admin, a POS client. Its API key."""
    supply_groups.add_supply_group(ctx, SYSTEM, sgc=SGC, name="Demo district", krn=1)
    supply_groups.import_vending_key(ctx, SYSTEM, sgc=SGC, krn=1, vending_key=TEST_VENDING_KEY)
    supply_groups.import_vending_key(ctx, SYSTEM, sgc=SGC, krn=2, vending_key=TEST_VENDING_KEY_2)
    supply_groups.set_current_key(ctx, SYSTEM, sgc=SGC, krn=2)
    tariffs.add_tariff(
        ctx,
        SYSTEM,
        name="residential",
        blocks=(
            Block(Decimal(50), Decimal("0.10")),
            Block(Decimal(300), Decimal("0.18")),
            Block(None, Decimal("0.25")),
        ),
        vat_rate=Decimal("0.16"),
        fixed_monthly=200,
        debt_rate=Decimal("0.25"),
        debt_cap=500,
    )
    people = [
        ("C-1001", "Amina Okafor", "Plot 4, Riverside", 0),
        ("C-1002", "Kofi Mensah", "Market Street 12", 2500),
        ("C-1003", "Wanjiru Kamau", "Hill Road 7", 0),
    ]
    for account, name, address, debt in people:
        customers.add_customer(
            ctx, SYSTEM, account_no=account, name=name, address=address, debt=debt
        )
    for serial, account in ((1, "C-1001"), (2, "C-1002"), (3, "C-1003")):
        meters.add_meter(
            ctx, SYSTEM, number=pan(serial), sgc=SGC, tariff="residential", customer_account=account
        )
    # A meter nobody has sold to since the 1993 TID counter ran out: it gets key change
    # tokens (KRN 1 -> 2, base 1993 -> 2014) before its first credit.
    meters.add_meter(
        ctx,
        SYSTEM,
        number=pan(4),
        sgc=SGC,
        tariff="residential",
        customer_account="C-1003",
        krn=1,
        base_date=1993,
    )
    agents.add_agent(ctx, SYSTEM, code="AG001", name="Grace (walking vendor)")
    agents.topup(ctx, SYSTEM, "AG001", 500_000, "demo opening float")
    agents.add_agent(ctx, SYSTEM, code="AG002", name="Corner shop", credit_limit=20_000)
    agents.topup(ctx, SYSTEM, "AG002", 100_000, "demo opening float")
    operators.create_operator(
        ctx,
        SYSTEM,
        username=ADMIN_USER,
        password=ADMIN_PASSWORD,
        role=Role.ADMIN,
        full_name="Demo administrator",
    )
    return operators.create_pos_client(ctx, SYSTEM, name="demo-pos", agent_code="AG002")


def main() -> None:
    """Prepare the demo, print where to look, and serve until Ctrl-C."""
    import uvicorn

    data = Path(os.environ.get("GRIDVEND_DATA", "var/demo"))
    host = os.environ.get("GRIDVEND_HOST", "127.0.0.1")
    port = int(os.environ.get("GRIDVEND_PORT", "8000"))
    url, key_path, api_key = prepare(data)
    base = f"http://{host}:{port}"
    console.print(
        Panel(
            f"[bold red]DEMO MASTER KEY[/bold red] in {key_path}: made for this demo, stored next "
            "to the database, with the PUBLIC STS test vending keys. Never use this data folder "
            "for real money.",
            title="[bold red]DEMO ONLY[/bold red]",
            border_style="red",
        )
    )
    console.print(
        f"""
[bold]gridvend vending server[/bold] on {base}
  operator pages {base}/   (admin / {ADMIN_PASSWORD})
  API docs      {base}/docs
  database      {url}
  log in        admin / {ADMIN_PASSWORD}   (POST {base}/api/v1/auth/token)
  vendors       AG001 (float 5000.00), AG002 (1000.00 + 200.00 credit; the POS client sells from it)
  meters        {pan(1)}, {pan(2)} (owes arrears), {pan(3)}, {pan(4)} (still on base 1993)

[bold]Vend over HTTP[/bold] (paste into another terminal):
  curl -s -X POST {base}/api/v1/vends -H 'X-API-Key: {api_key}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"request_id": "demo-1", "meter": "{pan(4)}", "amount": "20.00"}}'

[bold]Or from the command line:[/bold]
  {ENV_DB}={url} {ENV_KEY_FILE}={key_path.resolve()} \\
  .venv/bin/gridvend vend {pan(1)} 15.00 --agent AG001
""",
        soft_wrap=True,  # the commands must stay pasteable: no line breaks inserted
    )
    os.environ[ENV_DB] = url
    sys.stdout.flush()
    uvicorn.run("server.api.app:app_from_environment", factory=True, host=host, port=port)


if __name__ == "__main__":
    main()
