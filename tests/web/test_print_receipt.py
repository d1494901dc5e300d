"""`gridvend print-receipt`: the slip as ESC/POS bytes, sent through pyserial to a port
(here a pseudo-terminal that records every byte)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from server import demo
from server.cli.print_receipt import (
    BOLD_ON,
    CODE_PAGE_437,
    INITIALIZE,
    PARTIAL_CUT,
    character_size,
    feed,
    receipt_from_server,
    slip_bytes,
)
from server.services import receipts, vending
from server.services.receipts import Receipt, ReceiptToken
from server.services.vending import VendRequest
from tests.web.live_server import serving
from tests.web.serial_recorder import recording_port
from tests.web.world import METER, METER_1993, PASSWORDS

CREDIT = ReceiptToken(
    "12345678901234567890", "1234 5678 9012 3456 7890", "electricity credit 152.4 kWh", 0, 0, 123
)


def _receipt(**changes) -> Receipt:
    fields = dict(
        sale_id=17, receipt_no="00000176", request_id="r-1",
        created_at=datetime(2025, 3, 14, 9, 26, tzinfo=UTC), status="issued",
        meter=METER, customer_name="Amina Okafor", customer_account="C-1001",
        agent_code="AG001", channel="office", currency="USD", amount=Decimal("20.00"),
        tax=Decimal("2.76"), fixed_charge=Decimal("2.00"), debt_recovered=Decimal("0.00"),
        energy_amount=Decimal("15.24"), kwh=Decimal("152.4"),
        tokens=(CREDIT,),
        agent_balance=Decimal("4980.00"),
    )  # fmt: skip
    fields.update(changes)
    return Receipt(**fields)


def _printed_text(data: bytes) -> list[str]:
    """The lines as printed, with the command bytes taken out (for reading, not exactness)."""
    lines = []
    for raw in data.split(b"\n"):
        for command in (INITIALIZE, CODE_PAGE_437, BOLD_ON, b"\x1b\x45\x00", PARTIAL_CUT, feed(4)):
            raw = raw.replace(command, b"")
        for align in (b"\x1b\x61\x00", b"\x1b\x61\x01", b"\x1b\x61\x02"):
            raw = raw.replace(align, b"")
        for size in (character_size(1, 1), character_size(1, 2), character_size(2, 2)):
            raw = raw.replace(size, b"")
        lines.append(raw.decode("cp437"))
    return lines


def test_a_slip_starts_by_resetting_the_printer_and_ends_by_feeding_the_paper_out():
    data = slip_bytes(_receipt())
    assert data.startswith(INITIALIZE + CODE_PAGE_437)
    assert data.endswith(feed(4))
    assert slip_bytes(_receipt(), cut=True).endswith(feed(4) + PARTIAL_CUT)


def test_the_token_is_printed_large_in_groups_of_four():
    wide = slip_bytes(_receipt(), columns=48)
    assert character_size(2, 2) + b"1234 5678 9012 3456 7890\n" + character_size(1, 1) in wide
    narrow = slip_bytes(_receipt(), columns=32)  # 58 mm paper: 24 characters fit only at width 1
    assert character_size(1, 2) + b"1234 5678 9012 3456 7890\n" + character_size(1, 1) in narrow


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_no_line_is_wider_than_the_paper(columns):
    long_name = _receipt(customer_name="Wanjiru Kamau wa Njoroge of the Hill Road Cooperative")
    for line in _printed_text(slip_bytes(long_name, columns=columns)):
        assert len(line) <= columns, line
    assert "Wanjiru Kamau wa Njoroge" in "".join(
        _printed_text(slip_bytes(long_name, columns=columns))
    )


def test_the_slip_lists_what_the_customer_paid_for():
    lines = _printed_text(slip_bytes(_receipt(), columns=32))
    assert "Receipt 00000176" in lines
    assert "Meter         600727000000000017" in lines
    assert "Paid                   20.00 USD" in lines
    assert "Units                  152.4 kWh" in lines
    assert "Fixed charge                2.00" in lines
    assert not any(line.startswith("Debt recovered") for line in lines)  # nothing recovered


def test_a_reversed_sale_says_so_and_several_tokens_are_numbered():
    two = _receipt(
        status="reversed",
        tokens=(
            ReceiptToken(
                "11112222333344445555", "1111 2222 3333 4444 5555", "key change 1", 2, 3, None
            ),
            ReceiptToken("12345678901234567890", "1234 5678 9012 3456 7890", "credit", 0, 0, 9),
        ),
    )
    lines = _printed_text(slip_bytes(two))
    assert "*** REVERSED ***" in lines
    assert "1 of 2: key change 1" in lines and "2 of 2: credit" in lines
    assert "Enter the tokens in this order" in lines


def test_characters_the_printer_lacks_become_question_marks_and_controls_vanish():
    data = slip_bytes(_receipt(customer_name="Zoë 李\x07"))
    assert "Zo\x89 ?".encode("latin-1") in data  # ë is 0x89 in code page 437
    assert b"\x07" not in data


@pytest.fixture
def sold(world):
    receipt = vending.vend(
        world.ctx, demo.SYSTEM, VendRequest("print-1", METER_1993, 2000, agent_code="AG001")
    )
    return receipts.reprint(world.ctx, demo.SYSTEM, receipt_no=receipt.receipt_no)


def test_the_command_prints_a_stored_receipt_byte_for_byte_on_the_serial_port(world, sold):
    with recording_port() as (port, recording):
        result = CliRunner().invoke(
            cli,
            [
                "print-receipt",
                "--port",
                port,
                "--columns",
                "48",
                "--line-pause",
                "0",
                "--db",
                world.url,
                sold.receipt_no,
            ],
        )
        printed = recording.stop()
    assert result.exit_code == 0, result.output
    assert f"receipt {sold.receipt_no}: {len(printed)} bytes sent to {port}" in result.output
    assert printed == slip_bytes(sold, columns=48, timezone=world.ctx.timezone)
    for token in sold.tokens:  # two key change tokens and the credit, each large
        assert character_size(2, 2) + token.grouped.encode() in printed


def test_the_command_can_fetch_the_receipt_from_a_running_server(app, world, sold, monkeypatch):
    with serving(app) as base:
        import httpx

        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "cara", "password": PASSWORDS["cara"]}
        ).json()["access_token"]
        monkeypatch.setenv("GRIDVEND_TOKEN", token)
        monkeypatch.delenv("GRIDVEND_API_KEY", raising=False)
        with recording_port() as (port, recording):
            result = CliRunner().invoke(
                cli,
                [
                    "print-receipt",
                    "--port",
                    port,
                    "--line-pause",
                    "0",
                    "--server",
                    base,
                    sold.receipt_no,
                ],
            )
            printed = recording.stop()
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            fetched = receipt_from_server(client, sold.receipt_no)
    assert result.exit_code == 0, result.output
    assert fetched == sold
    assert printed == slip_bytes(sold, columns=32)


def test_a_mistyped_receipt_number_prints_nothing(world):
    with recording_port() as (port, recording):
        result = CliRunner().invoke(
            cli, ["print-receipt", "--port", port, "--db", world.url, "00000011"]
        )
        printed = recording.stop()
    assert result.exit_code == 1
    assert "check digit should be" in result.output
    assert printed == b""


def test_a_port_that_cannot_be_opened_is_named(world, sold, tmp_path):
    missing = tmp_path / "ttyNOPE"
    result = CliRunner().invoke(
        cli, ["print-receipt", "--port", str(missing), "--db", world.url, sold.receipt_no]
    )
    assert result.exit_code == 1
    assert f"cannot open {missing}" in result.output
