"""`gridvend meter-sim`: play a prepaid meter from the shell.

    gridvend meter-sim create --state m.json --vk abababababababab --dkga 2 \\
        --pan 600727000000000009 --kt 2 --sgc 123456 --ti 1 --krn 1
    gridvend meter-sim enter --state m.json 2371 6100 5011 8319 4197
    gridvend meter-sim show --state m.json

Exit codes, so scripts can tell a meter's answer from a command that could not run:
0 the meter accepted the token (Accept, or a key change section taken), 1 the meter
rejected it (Used, Old, CRC error...), 2 the command itself failed (bad option, no state
file, a meter number with a wrong check digit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from host.meter_sim import METER_TYPES, MeterSim, MeterSimError, load_meter, save_meter
from host.meter_sim.meter import KEY_OFFSETS, KEY_TYPE_NAMES, SECTION_NUMBER, next_base
from server.sts import MAX_UNITS, StsError, tid_from_time

EXIT_REJECTED = 1
_TYPE_BY_NAME = {name: number for number, name in METER_TYPES.items()}


class CommandFailed(click.ClickException):
    """The command could not run: one line on stderr, exit code 2."""

    exit_code = 2


@contextmanager
def _refusals() -> Iterator[None]:
    # The simulator and the engine say what was wrong in a sentence; show it, not a traceback.
    try:
        yield
    except (MeterSimError, StsError) as error:
        raise CommandFailed(str(error)) from None


def _hex(ctx: click.Context, param: click.Parameter, value: str | None) -> bytes | None:
    if value is None:
        return None
    text = "".join(value.split())
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not hex digits") from None


def _decimal(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise click.BadParameter(f"{value!r} is not a number of units")
    return number


def _utc_time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date and time (e.g. 2024-01-31T08:00Z)"
        ) from None
    if when.tzinfo is None:
        raise click.BadParameter(
            f"{value!r} has no time zone: give it in UTC, e.g. 2024-01-31T08:00Z"
        )
    return when


_state_option = click.option(
    "--state",
    "state",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON file that holds the meter.",
)


@click.group(name="meter-sim")
def meter_sim() -> None:
    """Play a prepaid meter: create one, type tokens into it, look at it.

    \b
    Exit codes: 0 the meter accepted the token, 1 the meter rejected it,
    2 the command itself failed (bad option, missing or broken state file).
    """


@meter_sim.command()
@_state_option
@click.option("--pan", required=True, help="The 18-digit meter number.")
@click.option("--key", callback=_hex, help="The decoder key in hex (16 or 32 digits).")
@click.option("--vk", callback=_hex, help="A vending key in hex, to derive the decoder key.")
@click.option("--dkga", type=click.Choice(["2", "4"]), help="Key derivation for --vk.")
@click.option(
    "--kt", type=int, required=True, help="Key type: 0 init, 1 default, 2 unique, 3 common."
)
@click.option("--sgc", type=int, required=True, help="Supply group code (6 digits).")
@click.option("--ti", type=int, required=True, help="Tariff index (0..99).")
@click.option("--krn", type=int, required=True, help="Key revision number (1..9).")
@click.option(
    "--ken", type=int, default=255, show_default=True, help="Key expiry number (255: never)."
)
@click.option(
    "--base",
    type=click.Choice(["1993", "2014", "2035"]),
    default="1993",
    show_default=True,
    help="Base date its TIDs count minutes from.",
)
@click.option(
    "--ea",
    type=click.Choice(["7", "11"]),
    default="7",
    show_default=True,
    help="Encryption algorithm: 7 (STA, 64-bit key) or 11 (MISTY1, 128-bit key).",
)
@click.option("--memory", type=int, default=50, show_default=True, help="TID memory size.")
@click.option(
    "--manufactured",
    callback=_utc_time,
    help="Manufacture time, ISO in UTC; the TID memory starts full of it.",
)
@click.option(
    "--type",
    "meter_type",
    type=click.Choice(list(_TYPE_BY_NAME)),
    default="electricity",
    show_default=True,
    help="Which credit the meter takes.",
)
@click.option("--mfr", type=int, default=0, show_default=True, help="Manufacturer code.")
@click.option("--max-credit", callback=_decimal, help="Credit register maximum (units).")
@click.option("--max-token", callback=_decimal, help="Most units one token may credit.")
@click.option(
    "--rollover-base",
    type=click.Choice(["1993", "2014", "2035"]),
    help="Base date the next rollover key change moves to (default: the next one).",
)
@click.option("--force", is_flag=True, help="Replace a meter already saved at --state.")
def create(
    state: Path,
    pan: str,
    key: bytes | None,
    vk: bytes | None,
    dkga: str | None,
    kt: int,
    sgc: int,
    ti: int,
    krn: int,
    ken: int,
    base: str,
    ea: str,
    memory: int,
    manufactured: datetime | None,
    meter_type: str,
    mfr: int,
    max_credit: Decimal | None,
    max_token: Decimal | None,
    rollover_base: str | None,
    force: bool,
) -> None:
    """Make a meter fresh from the factory and save it to --state."""
    if (key is None) == (vk is None):
        raise click.UsageError("give either --key (decoder key) or --vk with --dkga")
    if vk is not None and dkga is None:
        raise click.UsageError("--vk needs --dkga 2 or 4")
    if state.exists() and not force:
        raise CommandFailed(f"{state} already holds a meter; pass --force to replace it")
    with _refusals():
        manufactured_tid = 0 if manufactured is None else tid_from_time(manufactured, int(base))
        meter = MeterSim.create(
            pan=pan,
            key=key,
            vk=vk,
            dkga=None if dkga is None else int(dkga),
            kt=kt,
            sgc=sgc,
            ti=ti,
            krn=krn,
            ken=ken,
            base=int(base),
            ea=int(ea),
            memory_size=memory,
            manufactured_tid=manufactured_tid,
            meter_type=_TYPE_BY_NAME[meter_type],
            mfr_code=mfr,
            max_credit=max_credit,
            max_token=max_token,
            rollover_base=None if rollover_base is None else int(rollover_base),
        )
        save_meter(meter, state)
    click.echo(
        f"meter {meter.pan} ({meter.type_name}, EA{meter.ea:02d}, KRN {meter.krn}, "
        f"KT {meter.kt}, TI {meter.ti:02d}, base {meter.base}) saved to {state}; "
        f"TID memory of {meter.memory_size} filled at {meter.describe_tid(manufactured_tid)}"
    )


@meter_sim.command()
@_state_option
@click.argument("token", nargs=-1, required=True)
def enter(state: Path, token: tuple[str, ...]) -> None:
    """Type TOKEN into the meter (groups of four may be separate words).

    Prints what the meter shows. Exit 0 when it accepted, 1 when it rejected.
    """
    with _refusals():
        meter = load_meter(state)
        result = meter.enter("".join(token))
        if result.accepted:
            save_meter(meter, state)
    click.echo(str(result))
    if not result.accepted:
        raise SystemExit(EXIT_REJECTED)


@meter_sim.command()
@_state_option
def tamper(state: Path) -> None:
    """Open the meter's cover: it flags tamper until a clear tamper token."""
    with _refusals():
        meter = load_meter(state)
        meter.detect_tamper()
        save_meter(meter, state)
    click.echo(f"meter {meter.pan}: tamper flagged")


def _memory_summary(meter: MeterSim) -> str:
    memory = meter.tid_memory
    if not memory:
        return f"empty (0 of {meter.memory_size}): any unseen TID is taken"
    oldest, newest = memory[0], memory[-1]
    summary = f"{len(memory)} of {meter.memory_size}; oldest {meter.describe_tid(oldest)}"
    if newest != oldest:
        summary += f", newest {meter.describe_tid(newest)}"
    return summary


def _key_change_summary(meter: MeterSim) -> str:
    needed = KEY_OFFSETS[meter.ea]
    if not meter.pending:
        return f"none in progress ({len(needed)} sections per change)"
    held = sorted(SECTION_NUMBER[s] for s in meter.pending)
    return f"{len(held)} of {len(needed)} sections held: {', '.join(map(str, held))}"


def _watts(watts: int | None) -> str:
    return "not set" if watts is None else f"{watts} W"


def meter_table(meter: MeterSim) -> Table:
    """The meter's state as a Rich table. The decoder key itself never appears in it."""
    table = Table(title=f"meter {meter.pan}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    most = MAX_UNITS if meter.max_token is None else meter.max_token
    moves_to = meter.rollover_base or next_base(meter.base)
    rollover = f"moves it to {moves_to}" if moves_to else "keeps it (no later base date)"
    rows = [
        ("type", f"{meter.type_name} (manufacturer code {meter.mfr_code})"),
        ("credit", f"{meter.credit} {meter.unit} (register maximum {meter.max_credit})"),
        ("per token", f"0.1 .. {most} {meter.unit}"),
        ("power limit", _watts(meter.power_limit)),
        ("phase unbalance limit", _watts(meter.phase_unbalance_limit)),
        ("tamper", "YES: clear with a clear tamper token" if meter.tamper else "no"),
        ("decoder key", f"loaded ({meter.ea_bits}-bit, EA{meter.ea:02d}), KRN {meter.krn}"),
        ("key type", f"{meter.kt} ({KEY_TYPE_NAMES[meter.kt]})"),
        ("tariff index", f"{meter.ti:02d}"),
        ("supply group", f"{meter.sgc:06d}"),
        ("key expiry (KEN)", "255 (never)" if meter.ken == 255 else str(meter.ken)),
        ("base date", f"{meter.base}-01-01 (a rollover key change {rollover})"),
        ("TID memory", _memory_summary(meter)),
        ("key change", _key_change_summary(meter)),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table


@meter_sim.command()
@_state_option
def show(state: Path) -> None:
    """Show the meter: credit, limits, tamper, key parameters and TID memory."""
    with _refusals():
        meter = load_meter(state)
    Console().print(meter_table(meter))
