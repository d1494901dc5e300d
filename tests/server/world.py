"""A small, known world for service tests: one supply group with a test key, tariffs,
customers, meters and vendors."""

from dataclasses import dataclass
from decimal import Decimal

from server.domain.tariffs import Block
from server.services import agents, customers, meters, supply_groups, tariffs
from server.services.context import Actor, ServiceContext
from server.sts import luhn_check_digit

SGC = 123456
VENDING_KEY = bytes.fromhex("abababababababab")  # the STS published test vending key (DKGA02)
VENDING_KEY_2 = bytes.fromhex("0123456789abcdef")


def pan(n: int, iin: str = "600727") -> str:
    """A valid meter number (Luhn digit included) for a small serial number."""
    body = f"{iin}{n:0{17 - len(iin)}d}"
    return body + str(luhn_check_digit(body))


@dataclass
class World:
    meter: str
    meter_b: str
    agent: str
    customer: str


def build(
    ctx: ServiceContext,
    admin: Actor,
    *,
    price: str = "0.25",
    float_minor: int = 100_000,
    credit_limit: int = 0,
    base_date: int = 2014,
) -> World:
    """Supply group 123456 (DKGA02/EA07, KRN 1) with the test key; a flat tariff at `price`;
    customer C001 with meters 1 and 2; vendor AG1 topped up with `float_minor`."""
    supply_groups.add_supply_group(ctx, admin, sgc=SGC, name="Test group", base_date=base_date)
    supply_groups.import_vending_key(ctx, admin, sgc=SGC, krn=1, vending_key=VENDING_KEY)
    tariffs.add_tariff(ctx, admin, name="flat", blocks=(Block(None, Decimal(price)),))
    customers.add_customer(ctx, admin, account_no="C001", name="Amina Okafor", address="Plot 4")
    meters.add_meter(ctx, admin, number=pan(1), sgc=SGC, tariff="flat", customer_account="C001")
    meters.add_meter(ctx, admin, number=pan(2), sgc=SGC, tariff="flat", customer_account="C001")
    agents.add_agent(ctx, admin, code="AG1", name="Village vendor", credit_limit=credit_limit)
    if float_minor:
        agents.topup(ctx, admin, "AG1", float_minor, "opening float")
    return World(meter=pan(1), meter_b=pan(2), agent="AG1", customer="C001")
