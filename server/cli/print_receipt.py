"""`gridvend print-receipt --port PORT RECEIPT`: a sale's slip on a serial thermal printer.

For a vending desk whose PC has a receipt printer on a serial port (the Adafruit/CSN-A2
kind, or any ESC/POS printer). The receipt comes from the database (--db, like `gridvend
reprint`) or from a running server's API (--server, with a POS API key or operator token).

The slip is ESC/POS written straight through pyserial. The Adafruit thermal printer
libraries on PyPI were considered: `Adafruit-Thermal` (1.1.0) is a Python 2.7/3.4-era port
no longer maintained, and `adafruit-circuitpython-thermal-printer` (1.4.0, January 2023)
needs Adafruit-Blinka (a board-support stack: pyftdi, platform detection, sysv_ipc) on the
PC and paces output by busy-waiting on a byte-time estimate. A page of command bytes is
simpler to keep right: the commands used are below, as the printers' manuals give them.
"""

import os
import time
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

import click
import httpx

from server.cli.common import clear_errors, cli_actor, db_option, open_services
from server.services import receipts
from server.services.receipts import Receipt, ReceiptToken

# ESC/POS commands (Epson's reference; the CSN-A2 "Adafruit" printers accept these).
INITIALIZE = b"\x1b\x40"  # ESC @: reset modes, clear the buffer
CODE_PAGE_437 = b"\x1b\x74\x00"  # ESC t 0: characters 128-255 as code page 437
ALIGN = {"left": b"\x1b\x61\x00", "center": b"\x1b\x61\x01", "right": b"\x1b\x61\x02"}  # ESC a n
BOLD_ON, BOLD_OFF = b"\x1b\x45\x01", b"\x1b\x45\x00"  # ESC E n
LINE_FEED = b"\x0a"
PARTIAL_CUT = b"\x1d\x56\x42\x00"  # GS V 66 0: feed to the cutter, then cut (printers with one)


def character_size(width: int, height: int) -> bytes:
    """GS ! n: characters `width` x `height` times their normal size (1 to 8 each)."""
    return b"\x1d\x21" + bytes([((width - 1) << 4) | (height - 1)])


def feed(lines: int) -> bytes:
    """ESC d n: print what is buffered, then feed `lines` lines."""
    return b"\x1b\x64" + bytes([lines])


def printable(text: str) -> bytes:
    """Text in code page 437, anything it cannot show replaced by '?', controls dropped."""
    cleaned = "".join(ch for ch in text if ch.isprintable())
    return cleaned.encode("cp437", errors="replace")


class Slip:
    """An ESC/POS byte stream built line by line for a printer `columns` characters wide."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.data = bytearray(INITIALIZE + CODE_PAGE_437)

    def line(
        self,
        text: str = "",
        *,
        align: str = "left",
        bold: bool = False,
        size: tuple[int, int] = (1, 1),
    ) -> None:
        """One printed line (cut to what fits at this size)."""
        fits = self.columns // size[0]
        self.data += ALIGN[align]
        if bold:
            self.data += BOLD_ON
        if size != (1, 1):
            self.data += character_size(*size)
        self.data += printable(text[:fits]) + LINE_FEED
        if size != (1, 1):
            self.data += character_size(1, 1)
        if bold:
            self.data += BOLD_OFF

    def rule(self) -> None:
        self.line("-" * self.columns)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        """A label at the left and its value at the right; long values on their own lines."""
        if len(label) + 1 + len(value) <= self.columns:
            self.line(label + value.rjust(self.columns - len(label)), bold=bold)
            return
        self.line(label, bold=bold)
        for start in range(0, len(value), self.columns):
            self.line(value[start : start + self.columns], align="right", bold=bold)

    def finish(self, *, cut: bool) -> bytes:
        self.data += feed(4)
        if cut:
            self.data += PARTIAL_CUT
        return bytes(self.data)


def _token_lines(slip: Slip, token: ReceiptToken) -> None:
    # The token is what the customer types: as large as the paper allows (24 characters in
    # groups of four need 48 columns at double width; narrower paper gets double height).
    size = (2, 2) if slip.columns >= 48 else (1, 2)
    slip.line(token.grouped, align="center", bold=True, size=size)


def slip_bytes(
    receipt: Receipt, *, columns: int = 32, timezone: tzinfo = UTC, cut: bool = False
) -> bytes:
    """The slip of a receipt as ESC/POS bytes for a printer `columns` characters wide."""
    money = f" {receipt.currency}"
    slip = Slip(columns)
    slip.line("PREPAID ELECTRICITY", align="center", bold=True, size=(1, 2))
    slip.line(f"Receipt {receipt.receipt_no}", align="center")
    if receipt.status != "issued":
        slip.line(f"*** {receipt.status.upper()} ***", align="center", bold=True)
    slip.rule()
    count = len(receipt.tokens)
    for n, token in enumerate(receipt.tokens, start=1):
        what = f"{n} of {count}: {token.description}" if count > 1 else token.description
        slip.line(what, align="center")
        _token_lines(slip, token)
    if count > 1:
        slip.line("Enter the tokens in this order", align="center", bold=True)
    slip.rule()
    slip.pair("Meter", receipt.meter)
    if receipt.customer_name:
        slip.pair("Customer", receipt.customer_name)
    if receipt.customer_account:
        slip.pair("Account", receipt.customer_account)
    when = receipt.created_at.astimezone(timezone)
    slip.pair("Date", f"{when:%Y-%m-%d %H:%M} {when.tzname() or ''}".strip())
    slip.pair("Vendor", receipt.agent_code)
    slip.pair("Paid", f"{receipt.amount}{money}")
    slip.pair("Energy", str(receipt.energy_amount))
    slip.pair("Tax", str(receipt.tax))
    if receipt.fixed_charge:
        slip.pair("Fixed charge", str(receipt.fixed_charge))
    if receipt.debt_recovered:
        slip.pair("Debt recovered", str(receipt.debt_recovered))
    slip.pair("Units", f"{receipt.kwh} kWh", bold=True)
    slip.rule()
    slip.line("Keep this slip: the token can be", align="center")
    slip.line("reprinted from the receipt number.", align="center")
    return slip.finish(cut=cut)


def send(port: str, data: bytes, *, baud: int, flow: str, line_pause: float) -> None:
    """Write the slip to the serial port, pausing after each line when the printer has no
    flow control (a cheap printer drops what arrives faster than it prints)."""
    import serial  # pyserial

    try:
        link = serial.Serial(
            port,
            baudrate=baud,
            timeout=1,
            write_timeout=30,
            rtscts=flow == "rtscts",
            xonxoff=flow == "xonxoff",
        )
    except (serial.SerialException, OSError) as exc:
        raise click.ClickException(f"cannot open {port}: {exc}") from None
    lines = data.split(LINE_FEED)
    with link:
        for n, line in enumerate(lines):
            link.write(line if n == len(lines) - 1 else line + LINE_FEED)
            if line_pause:
                time.sleep(line_pause)
        link.flush()


def receipt_from_json(body: dict) -> Receipt:
    """A Receipt from the API's JSON (GET /api/v1/vends/receipt/{number})."""
    tokens = tuple(
        ReceiptToken(
            digits=t["digits"],
            grouped=t["grouped"],
            description=t["description"],
            token_class=t["token_class"],
            subclass=t["subclass"],
            tid=t["tid"],
        )
        for t in body["tokens"]
    )
    money = (
        "amount",
        "tax",
        "fixed_charge",
        "debt_recovered",
        "energy_amount",
        "kwh",
        "agent_balance",
    )
    fields = {k: body[k] for k in Receipt.__dataclass_fields__ if k in body and k != "tokens"}
    fields.update({k: Decimal(str(body[k])) for k in money})
    fields["created_at"] = datetime.fromisoformat(str(body["created_at"]).replace("Z", "+00:00"))
    return Receipt(**fields, tokens=tokens)


def receipt_from_server(client: httpx.Client, receipt_no: str) -> Receipt:
    """The receipt from a running server's API (the client carries the credentials)."""
    answer = client.get(f"/api/v1/vends/receipt/{receipt_no}")
    if answer.status_code != 200:
        try:
            message = answer.json().get("message", answer.text)
        except ValueError:
            message = answer.text[:200]
        raise click.ClickException(f"the server refused: {message} (HTTP {answer.status_code})")
    return receipt_from_json(answer.json())


@click.command("print-receipt")
@click.argument("receipt_no", metavar="RECEIPT")
@click.option("--port", required=True, help="Serial port of the printer: /dev/ttyUSB0, COM3 …")
@click.option(
    "--baud", default=19200, show_default=True, help="Serial speed (Adafruit printers: 19200)"
)
@click.option(
    "--flow",
    type=click.Choice(["none", "rtscts", "xonxoff"]),
    default="none",
    show_default=True,
    help="Flow control the printer uses",
)
@click.option(
    "--columns",
    type=click.Choice(["32", "42", "48"]),
    default="32",
    show_default=True,
    help="Characters per line: 32 for 58 mm paper, 48 for 80 mm",
)
@click.option("--cut", is_flag=True, help="Cut the paper after the slip (printers with a cutter)")
@click.option(
    "--line-pause",
    type=click.FloatRange(0, 1),
    default=None,
    help="Seconds to wait after each line (default: 0.03 without flow control, else 0)",
)
@click.option(
    "--server",
    help="Fetch the receipt from this server's API instead of the database "
    "(credentials: $GRIDVEND_API_KEY, or $GRIDVEND_TOKEN for an operator)",
)
@db_option
@clear_errors
def print_receipt(
    receipt_no: str,
    port: str,
    baud: int,
    flow: str,
    columns: str,
    cut: bool,
    line_pause: float | None,
    server: str | None,
    db_url: str,
) -> None:
    """Print the slip of receipt number RECEIPT on a serial thermal printer."""
    timezone: tzinfo = UTC
    if server:
        headers = {}
        if os.environ.get("GRIDVEND_API_KEY"):
            headers["X-API-Key"] = os.environ["GRIDVEND_API_KEY"]
        elif os.environ.get("GRIDVEND_TOKEN"):
            headers["Authorization"] = f"Bearer {os.environ['GRIDVEND_TOKEN']}"
        else:
            raise click.UsageError("--server needs $GRIDVEND_API_KEY or $GRIDVEND_TOKEN")
        with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=15) as client:
            found = receipt_from_server(client, receipt_no)
    else:
        ctx = open_services(db_url)
        try:
            found = receipts.reprint(ctx, cli_actor(), receipt_no=receipt_no)
            timezone = ctx.timezone
        finally:
            ctx.dispose()
    data = slip_bytes(found, columns=int(columns), timezone=timezone, cut=cut)
    pause = line_pause if line_pause is not None else (0.03 if flow == "none" else 0.0)
    send(port, data, baud=baud, flow=flow, line_pause=pause)
    click.echo(f"receipt {found.receipt_no}: {len(data)} bytes sent to {port}")
