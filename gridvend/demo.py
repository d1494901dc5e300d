"""`make run` until the server lands: derive a meter's key, vend, decode, and play the meter."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from host.meter_sim import MeterSim
from server.sts import (
    credit_token,
    decode_token,
    derive_decoder_key,
    key_change_tokens,
    tid_from_time,
)

VK = bytes.fromhex("abababababababab")  # the public test vending key from STS.md
PAN = "600727000000000009"
PARAMS = {"kt": 2, "sgc": 123456, "ti": 1, "krn": 1}


def main() -> None:
    console = Console()
    console.rule("[bold]gridvend: the STS token engine, end to end")
    console.print(
        "A meter on base date 1993 can take no credit after 2024-11-24 20:15 UTC: it needs a "
        "key change onto base date 2014 (with rollover) first. This shows the whole path with "
        f"the public test vending key, for meter {PAN}.\n"
    )
    old_key = derive_decoder_key(VK, dkga=2, pan=PAN, **PARAMS)
    new_key = derive_decoder_key(VK, dkga=2, pan=PAN, base=2014, **{**PARAMS, "krn": 2})
    meter = MeterSim.create(pan=PAN, key=old_key, base=1993, **PARAMS)
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    table = Table(title="what the vendor prints, and what the meter says")
    table.add_column("step")
    table.add_column("token", no_wrap=True)
    table.add_column("meter shows", no_wrap=True)
    for token in key_change_tokens(old_key, new_key, ken=255, krn=2, ro=1, kt=2, ti=1):
        table.add_row(token.description, token.grouped, meter.enter(token.digits).name)
    # The rollover (RO=1) cleared the meter's TID memory and moved it onto base date 2014.
    tid = tid_from_time(now, 2014)
    credit = credit_token(new_key, tid=tid, amount=Decimal("25.3"), rnd=5)
    table.add_row(credit.description, credit.grouped, meter.enter(credit.digits).name)
    table.add_row("the same token typed again", credit.grouped, meter.enter(credit.digits).name)
    console.print(table)

    decoded = decode_token(credit.digits, new_key, base=2014)
    console.print("\n[bold]decoded[/bold] (what support staff see):")
    for name, value in decoded.as_dict().items():
        console.print(f"  {name:<12} {value}")
    console.print(
        "\nTry it yourself:\n"
        f"  .venv/bin/gridvend sts derive-key --vk {VK.hex()} --dkga 2 --pan {PAN} "
        "--kt 2 --sgc 123456 --ti 1 --krn 1\n"
        f"  .venv/bin/gridvend sts decode --key {new_key.hex()} --base 2014 {credit.digits}\n"
        "  .venv/bin/gridvend meter-sim --help",
        soft_wrap=True,
    )


if __name__ == "__main__":
    main()
