"""`gridvend sts`: decoder keys, tokens, key changes and decoding from the command line.

Each command turns its options into a request dict and hands it to ``sts_requests``, the
same code a `batch` line goes through, so the flags and the batch format cannot drift.
Bad input ends in one ``Error: ...`` line and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from server.cli.sts_requests import (
    FLAGS,
    Request,
    batch_answer,
    decode,
    derive,
    encode,
    key_change,
    token_json,
)
from server.sts import StsError, Token, format_token

EXIT_USAGE = 2

_TIME_HELP = (
    "Time the token is made for, ISO 8601 (2004-03-01T13:55Z); a time without a zone or "
    "offset is taken as UTC."
)


class OneLineUsageError(click.ClickException):
    """A usage mistake shown as one 'Error: ...' line, as engine refusals are."""

    exit_code = EXIT_USAGE


class _OneLineCommand(click.Command):
    """A command whose option-parsing mistakes print one line instead of the usage block."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            raise OneLineUsageError(error.format_message()) from None


class _OneLineGroup(click.Group):
    """The `sts` group: its commands, and a mistyped command name, fail in one line."""

    command_class = _OneLineCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            raise OneLineUsageError(error.format_message()) from None


class _IntOrHex(click.ParamType):
    """A whole number in decimal or with a 0x prefix (registers and control bits read as hex)."""

    name = "N|0xHEX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip(), 0)
        except ValueError:
            self.fail(f"{value!r} is not a whole number (decimal, or hex with 0x)", param, ctx)


INT_OR_HEX = _IntOrHex()


def _refused(error: StsError) -> NoReturn:
    raise click.ClickException(str(error)) from None


def _output_style(plain: bool, as_json: bool) -> None:
    if plain and as_json:
        raise OneLineUsageError("give --plain or --json, not both")


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2))


def _show_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@click.group(cls=_OneLineGroup)
def sts() -> None:
    """STS tokens (IEC 62055-41): decoder keys, tokens, key changes, decoding, batches.

    Keys are hex (either case, spaces allowed). EA is 7 (64-bit keys) or 11 (128-bit keys).
    """


@sts.command("derive-key")
@click.option("--vk", help="Vending key, hex (64 bits for DKGA02, 160 bits for DKGA04).")
@click.option("--dkga", type=int, help="Key derivation algorithm: 2 or 4.")
@click.option("--pan", help="Meter number, 18 digits including the check digit.")
@click.option("--kt", type=int, help="Key type: 0 init, 1 default, 2 unique, 3 common.")
@click.option("--sgc", help="Supply group code, 6 digits.")
@click.option("--ti", type=int, help="Tariff index, 0..99.")
@click.option("--krn", type=int, help="Key revision number, 1..9.")
@click.option("--base", type=int, help="Base date year: 1993 (default), 2014 or 2035.")
@click.option("--ea", type=int, help="Encryption algorithm: 7 (default) or 11.")
def derive_key_command(**options: Any) -> None:
    """Print a meter's decoder key in hex.

    Example: --vk abababababababab --dkga 2 --pan 600727000000000009 --kt 2
    --sgc 123456 --ti 1 --krn 1  prints e653341f9d5bf36f
    """
    try:
        click.echo(derive(Request("derive", options, FLAGS)).hex())
    except StsError as error:
        _refused(error)


@sts.command("encode")
@click.option("--key", help="Decoder key, hex (not needed for class 1).")
@click.option("--ea", type=int, help="Encryption algorithm: 7 (default) or 11.")
@click.option(
    "--class", "token_class", type=int, help="Token class: 0 credit, 1 test, 2 management."
)
@click.option("--subclass", type=int, help="Token subclass (see docs/sts-cli.md).")
@click.option("--time", help=_TIME_HELP)
@click.option("--base", type=int, help="Base date year for --time: 1993 (default), 2014, 2035.")
@click.option(
    "--tid", type=int, help="Token identifier (minutes since the base date) instead of --time."
)
@click.option("--rnd", type=int, help="Random nibble 0..15 (default: random).")
@click.option(
    "--ken", type=int, help="Meter's key expiry number; refuses an expired token. Default 255."
)
@click.option("--amount", help="Credit in units (kWh, m3), decimal, for class 0.")
@click.option("--watts", type=int, help="Power limit in watts, for class 2 subclass 0 and 6.")
@click.option(
    "--register", type=INT_OR_HEX, help="Register to clear (class 2/1); default 0xFFFF, all."
)
@click.option("--control", type=INT_OR_HEX, help="Test token control bits, for class 1.")
@click.option("--mfr", type=int, help="Manufacturer code for class 1 (default 0).")
@click.option("--plain", is_flag=True, help="Print 20 bare digits.")
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON.")
def encode_command(token_class: int | None, plain: bool, as_json: bool, **options: Any) -> None:
    """Make one token and print it in groups of four.

    Class 0: credit (subclass 0 electricity, 1 water, 2 gas, 3 time), needs --amount.
    Class 1: test/display (subclass 0 or 1), needs --control; not encrypted, no key.
    Class 2: subclass 0 max power (--watts), 1 clear credit (--register), 5 clear tamper,
    6 phase unbalance (--watts). Classes 0 and 2 need --key and --time or --tid.
    """
    _output_style(plain, as_json)
    try:
        token = encode(Request("encode", {"class": token_class, **options}, FLAGS))
    except StsError as error:
        _refused(error)
    _print_tokens([token], plain=plain, as_json=as_json, single=True)


@sts.command("key-change")
@click.option("--key", help="The meter's current decoder key, hex.")
@click.option("--new-key", help="The new decoder key, hex.")
@click.option(
    "--ea", type=int, help="Encryption algorithm: 7 (default, 2 tokens) or 11 (4 tokens)."
)
@click.option("--ken", type=int, help="New key's expiry number (255: never).")
@click.option("--krn", type=int, help="New key's revision number, 1..9.")
@click.option("--ro", type=int, help="Rollover: 1 clears the meter's TID memory (new base date).")
@click.option("--kt", type=int, help="New key's type: 0..3.")
@click.option("--ti", type=int, help="New tariff index, 0..99.")
@click.option("--sgc", help="Supply group code, 6 digits (needed for EA11).")
@click.option("--plain", is_flag=True, help="Print bare digits, one token per line.")
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON.")
def key_change_command(plain: bool, as_json: bool, **options: Any) -> None:
    """Print the key change tokens (2 for a 64-bit key, 4 for 128-bit), in order."""
    _output_style(plain, as_json)
    try:
        tokens = key_change(Request("key_change", options, FLAGS))
    except StsError as error:
        _refused(error)
    _print_tokens(tokens, plain=plain, as_json=as_json, single=False)


@sts.command("decode")
@click.option("--key", help="The meter's decoder key, hex (class 1 tokens need none).")
@click.option("--ea", type=int, help="Encryption algorithm: 7 (default) or 11.")
@click.option(
    "--base", type=int, help="Base date year for showing TIDs: 1993 (default), 2014, 2035."
)
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
@click.argument("token", nargs=-1, required=True)
def decode_command(token: tuple[str, ...], as_json: bool, **options: Any) -> None:
    """Print every field of TOKEN (20 digits; groups of four may be typed apart).

    A CRC that does not hold is an error: wrong key, wrong meter, or a mistyped digit.
    """
    try:
        decoded = decode(Request("decode", {"token": " ".join(token), **options}, FLAGS))
    except StsError as error:
        _refused(error)
    fields = decoded.as_dict()
    if as_json:
        _echo_json(fields)
        return
    fields["token"] = format_token(decoded.digits)
    width = max(map(len, fields))
    for name, value in fields.items():
        click.echo(f"{name:<{width}}  {_show_value(value)}")


@sts.command("batch")
def batch_command() -> None:
    """Answer JSON lines from stdin, one JSON line each, in order.

    Each line is an object with "op" (derive, encode, key_change, decode) and the options
    above as fields with underscores ("new_key"; "token" for decode; null = not given).
    Answers: {"key": HEX}, {"token": DIGITS}, {"tokens": [...]}, {"fields": {...}}, or
    {"error": "..."}. A bad or blank line gets an error answer and the batch goes on, so
    output line N always answers input line N. Exit status 1 if any line was an error.
    """
    source, sink = sys.stdin, sys.stdout
    errors = lines = 0
    for line in source:
        result = batch_answer(line)
        lines += 1
        errors += "error" in result
        sink.write(json.dumps(result) + "\n")
        # Flushed per line so a caller can drive the batch as a co-process, one request
        # at a time, without deadlocking on a full pipe buffer.
        sink.flush()
    if errors:
        click.echo(f"{errors} of {lines} lines were errors", err=True)
        raise SystemExit(1)


def _print_tokens(tokens: list[Token], *, plain: bool, as_json: bool, single: bool) -> None:
    if as_json:
        shapes = [token_json(token) for token in tokens]
        _echo_json(shapes[0] if single else shapes)
        return
    for token in tokens:
        click.echo(token.digits if plain else token.grouped)
