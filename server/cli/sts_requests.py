"""One statement of what each `gridvend sts` request needs, shared by the flags and `batch`.

A request is a dict of named fields (the flag names with underscores: ``vk``, ``new_key``,
``class``...). Both doors build such a dict, so a rule added here holds for both and they
cannot drift: the flags pass what click parsed (``None`` for an option not given), a batch
line passes its JSON object. Each field's type is checked up front, then the operation
checks which fields it needs, which ones conflict, and calls the token engine.

Everything refused raises ``StsError`` (the engine's own error type) with a message that
names the field the way the caller spelled it: ``--new-key`` on the command line,
``"new_key"`` in a batch line.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from server.sts import (
    EA07,
    EA11,
    MAX_UNITS,
    DecodedToken,
    StsError,
    Token,
    clear_credit_token,
    clear_tamper_token,
    credit_token,
    decode_token,
    derive_decoder_key,
    explain_crc_failure,
    key_change_tokens,
    max_power_token,
    phase_unbalance_token,
    refuse_unsupported,
    test_token,
    tid_from_time,
)

_HEX_DIGITS = frozenset(string.hexdigits)
_AMOUNT_DIGITS = MAX_UNITS.adjusted()

# Which fields an operation takes. Anything else in a batch line is refused, so a typo such
# as "amout" is an error instead of a silently missing amount.
OPERATIONS: dict[str, frozenset[str]] = {
    "derive": frozenset({"vk", "dkga", "pan", "kt", "sgc", "ti", "krn", "base", "ea"}),
    "encode": frozenset(
        {"key", "ea", "class", "subclass", "time", "base", "tid", "rnd", "ken"}
        | {"amount", "watts", "register", "control", "mfr"}
    ),
    "key_change": frozenset({"key", "new_key", "ea", "ken", "krn", "ro", "kt", "ti", "sgc"}),
    "decode": frozenset({"token", "key", "ea", "base"}),
}

# What each (class, subclass) carries besides RND/TID: (required payload field, optional ones).
_PAYLOAD_FIELDS = frozenset({"amount", "watts", "register", "control", "mfr"})
_PAYLOADS: dict[tuple[int, int], tuple[str | None, frozenset[str]]] = {
    **{(0, sub): ("amount", frozenset()) for sub in range(4)},
    (1, 0): ("control", frozenset({"mfr"})),
    (1, 1): ("control", frozenset({"mfr"})),
    (2, 0): ("watts", frozenset()),
    (2, 1): (None, frozenset({"register"})),
    (2, 5): (None, frozenset()),
    (2, 6): ("watts", frozenset()),
}
_KINDS = {
    (0, 0): "an electricity credit token",
    (0, 1): "a water credit token",
    (0, 2): "a gas credit token",
    (0, 3): "a time credit token",
    (1, 0): "a test token",
    (1, 1): "a test token",
    (2, 0): "a maximum power limit token",
    (2, 1): "a clear credit token",
    (2, 5): "a clear tamper token",
    (2, 6): "a phase unbalance limit token",
}
_KEY_CHANGE_SUBCLASSES = frozenset({3, 4, 8, 9})


class Spelling(dict[str, str]):
    """How field names are written back to the caller: ``spelling["new_key"]``.

    A dict that fills itself, so naming a field costs one lookup on the batch's hot path.
    """

    def __init__(self, render: Callable[[str], str]) -> None:
        super().__init__()
        self.render = render

    def __missing__(self, field: str) -> str:
        self[field] = self.render(field)
        return self[field]


FLAGS = Spelling(lambda field: "--" + field.replace("_", "-"))
BATCH = Spelling(lambda field: f'"{field}"')


# ---- field types: each takes the caller's value and returns what the engine wants ----------


def parse_hex(value: object, name: str) -> bytes:
    """Hex digits to bytes: upper or lower case, spaces allowed, an odd length refused."""
    if not isinstance(value, str):
        raise StsError(f"{name} must be hex digits as text, not {_json_type(value)}", "key")
    text = "".join(value.split())
    if not text:
        raise StsError(f"{name} is empty: give the key as hex digits", "key")
    bad = next((ch for ch in text if ch not in _HEX_DIGITS), None)
    if bad is not None:
        raise StsError(f"{name}: {bad!r} is not a hex digit (0-9, a-f)", "key")
    if len(text) % 2:
        raise StsError(
            f"{name} has {len(text)} hex digits, an odd number: a key is whole bytes "
            "(16 digits for 64 bits, 32 for 128, 40 for a 160-bit vending key)",
            "key",
        )
    return bytes.fromhex(text)


def _parse_int(value: object, name: str) -> int:
    # bool is an int in Python but `true` is never a meaningful number here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise StsError(f"{name} must be a whole number, not {_json_type(value)}", "invalid")
    return value


def _parse_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise StsError(f"{name} must be text, not {_json_type(value)}", "invalid")
    return value


def _parse_sgc(value: object, name: str) -> int:
    """A supply group code: 6 digits as text (leading zeros kept) or a whole number."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 6):
            raise StsError(f"{name} {value!r} must be up to 6 digits", "invalid")
        return int(text)
    return _parse_int(value, name)


def _parse_amount(value: object, name: str) -> Decimal | int:
    """An amount as a decimal string ("25.6") or a whole number; JSON fractions refused."""
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii():
            raise StsError(f"{name} {value!r}: use the digits 0-9", "amount_range")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise StsError(f"{name} {value!r} is not a number", "amount_range") from None
        if not amount.is_finite():
            raise StsError(f"{name} {text} is not a finite number", "amount_range")
        # The engine's own range check divides by 0.1, which a 1e999999999 overflows: a
        # number this far past the largest token is refused here first.
        if amount.adjusted() > _AMOUNT_DIGITS:
            raise StsError(
                f"{name} {text} is more than one token can carry ({MAX_UNITS} units); "
                "split it over several tokens",
                "amount_range",
            )
        return amount
    if isinstance(value, Decimal):
        raise StsError(
            f'{name} must be a decimal string such as "25.6", not a JSON number '
            "(binary fractions are not exact)",
            "amount_range",
        )
    return _parse_int(value, name)


def parse_time(value: object, name: str) -> datetime:
    """An ISO 8601 time; one without a zone or offset is taken as UTC."""
    text = _parse_text(value, name).strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise StsError(
            f"{name} {text!r} is not an ISO 8601 time such as 2004-03-01T13:55Z", "invalid"
        ) from None
    if when.tzinfo is None or when.utcoffset() is None:
        when = when.replace(tzinfo=UTC)
    return when


_FIELD_TYPES: dict[str, Callable[[object, str], Any]] = {
    "vk": parse_hex,
    "key": parse_hex,
    "new_key": parse_hex,
    "pan": _parse_text,
    "token": _parse_text,
    "time": parse_time,
    "sgc": _parse_sgc,
    "amount": _parse_amount,
    **{
        name: _parse_int
        for name in (
            "dkga",
            "kt",
            "ti",
            "krn",
            "base",
            "ea",
            "class",
            "subclass",
            "tid",
            "rnd",
            "watts",
            "register",
            "control",
            "mfr",
            "ken",
            "ro",
        )
    },
}


def _json_type(value: object) -> str:
    """The JSON name of a value's type, for 'must be X, not Y' messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float | Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# ---- a request ------------------------------------------------------------------------------


class Request:
    """The checked fields of one request; absent (or None) fields are simply not there."""

    def __init__(self, op: str, raw: Mapping[str, object], spelling: Spelling) -> None:
        allowed = OPERATIONS[op]
        self.op = op
        self.name = spelling
        self.values: dict[str, Any] = {}
        for field, value in raw.items():
            if field not in _FIELD_TYPES:
                raise StsError(f"unknown field {spelling[field]}", "invalid")
            if field not in allowed:
                raise StsError(f"{spelling[field]} does not apply to {op}", "invalid")
            if value is None:
                continue
            parser = _FIELD_TYPES[field]
            if parser is _parse_int and type(value) is int:
                self.values[field] = value  # the common case, checked without naming it
            else:
                self.values[field] = parser(value, spelling[field])

    def __contains__(self, field: str) -> bool:
        return field in self.values

    def get(self, field: str, default: Any = None) -> Any:
        """The checked value, or ``default`` when the field was not given."""
        return self.values.get(field, default)

    def need(self, field: str, why: str = "") -> Any:
        """The checked value of a field the request cannot do without."""
        if field not in self.values:
            reason = f" for {why}" if why else ""
            raise StsError(f"{self.op}: {self.name[field]} is required{reason}", "invalid")
        return self.values[field]

    def refuse(self, fields: set[str] | frozenset[str], why: str) -> None:
        """Refuse the first of ``fields`` that was given, saying why it does not belong."""
        for field in sorted(fields):
            if field in self.values:
                raise StsError(f"{self.name[field]} does not apply: {why}", "invalid")


# ---- the four operations --------------------------------------------------------------------


def derive(request: Request) -> bytes:
    """The decoder key for a meter (DKGA02 or DKGA04)."""
    vk = request.need("vk")
    return derive_decoder_key(
        vk,
        dkga=request.need("dkga"),
        pan=request.need("pan"),
        kt=request.need("kt"),
        sgc=request.need("sgc"),
        ti=request.need("ti"),
        krn=request.need("krn"),
        base=request.get("base", 1993),
        ea=request.get("ea", EA07),
    )


def _check_kind(token_class: int, subclass: int, name: Spelling) -> None:
    """Refuse a class/subclass pair that does not exist or that `encode` does not make."""
    if token_class not in (0, 1, 2):
        reserved = " (class 3 is reserved)" if token_class == 3 else ""
        raise StsError(f"{name['class']} {token_class} must be 0, 1 or 2{reserved}", "invalid")
    refuse_unsupported(token_class, subclass)
    if token_class == 2 and subclass in _KEY_CHANGE_SUBCLASSES:
        raise StsError(
            f"class 2 subclass {subclass} is a key change section: use key-change (batch op "
            '"key_change"), which makes all the sections together',
            "invalid",
        )
    if (token_class, subclass) not in _PAYLOADS:
        known = sorted(sub for cls, sub in _PAYLOADS if cls == token_class)
        raise StsError(
            f"class {token_class} has no subclass {subclass}: it has "
            f"{', '.join(map(str, known))}",
            "invalid",
        )


def _tid(request: Request, kind: str) -> int:
    """The TID from exactly one of time (with its base date) or tid."""
    if "time" in request and "tid" in request:
        raise StsError(f"give {request.name['time']} or {request.name['tid']}, not both", "invalid")
    if "tid" in request:
        request.refuse({"base"}, f"it only converts {request.name['time']} into a TID")
        return request.get("tid")
    if "time" not in request:
        raise StsError(
            f"encode: {kind} needs {request.name['time']} or {request.name['tid']}", "invalid"
        )
    return tid_from_time(request.get("time"), request.get("base", 1993))


def encode(request: Request) -> Token:
    """One token of any class encode makes (credit, test, power limit, clear credit/tamper)."""
    token_class = request.need("class")
    subclass = request.need("subclass")
    _check_kind(token_class, subclass, request.name)
    kind = _KINDS[token_class, subclass]
    required, optional = _PAYLOADS[token_class, subclass]
    request.refuse(_PAYLOAD_FIELDS - optional - {required}, f"{kind} does not carry it")
    if required is not None:
        request.need(required, kind)

    if token_class == 1:
        # Test tokens are not encrypted and carry no TID: a key, if given, is simply unused.
        request.refuse({"time", "tid", "base", "rnd", "ken"}, f"{kind} carries no TID")
        return test_token(
            control=request.get("control"), mfr=request.get("mfr", 0), subclass=subclass
        )

    key = request.need("key", kind)
    timing = {
        "tid": _tid(request, kind),
        "ea": request.get("ea", EA07),
        "rnd": request.get("rnd"),
        "ken": request.get("ken", 255),
    }
    if token_class == 0:
        return credit_token(key, amount=request.get("amount"), subclass=subclass, **timing)
    if subclass == 0:
        return max_power_token(key, watts=request.get("watts"), **timing)
    if subclass == 6:
        return phase_unbalance_token(key, watts=request.get("watts"), **timing)
    if subclass == 1:
        return clear_credit_token(key, register=request.get("register", 0xFFFF), **timing)
    return clear_tamper_token(key, **timing)


def key_change(request: Request) -> list[Token]:
    """The 2 (64-bit key) or 4 (128-bit key) key change tokens, under the old key."""
    ea = request.get("ea", EA07)
    if ea == EA11 and "sgc" not in request:
        raise StsError(
            f"key_change: a 128-bit key change carries the supply group code: give "
            f"{request.name['sgc']}",
            "invalid",
        )
    return key_change_tokens(
        request.need("key"),
        request.need("new_key"),
        ken=request.need("ken"),
        krn=request.need("krn"),
        ro=request.need("ro"),
        kt=request.need("kt"),
        ti=request.need("ti"),
        ea=ea,
        sgc=request.get("sgc"),
    )


def decode(request: Request) -> DecodedToken:
    """Every field of a token; a CRC that does not hold is an error, not a result."""
    decoded = decode_token(
        request.need("token"),
        request.get("key"),
        ea=request.get("ea", EA07),
        base=request.get("base", 1993),
    )
    if not decoded.crc_ok:
        raise StsError(explain_crc_failure(decoded), "crc")
    return decoded


# ---- JSON shapes (batch lines and --json output) ---------------------------------------------


def token_json(token: Token) -> dict[str, Any]:
    """Every field of a made token, JSON-ready (Decimals as text)."""
    values: dict[str, Any] = {
        "token": token.digits,
        "grouped": token.grouped,
        "class": token.token_class,
        "subclass": token.subclass,
        "tid": token.tid,
        "credited": token.credited,
        "description": token.description,
        **token.fields,
    }
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def answer(op: str, request: Request) -> dict[str, Any]:
    """The batch answer for a checked request: key, token, tokens or fields."""
    if op == "derive":
        return {"key": derive(request).hex()}
    if op == "encode":
        return {"token": encode(request).digits}
    if op == "key_change":
        return {"tokens": [token.digits for token in key_change(request)]}
    return {"fields": decode(request).as_dict()}


def _reject_constant(name: str) -> object:
    raise StsError(f"{name} is not a number JSON allows", "invalid")


# Decimal keeps a fractional JSON number exact, so it can be refused by name rather than
# silently rounded through a float. One decoder for the whole batch, built once.
_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def batch_answer(line: str) -> dict[str, Any]:
    """The one JSON object that answers one batch input line; never raises for bad input.

    A blank line is answered with an error too, so output line N always answers input
    line N.
    """
    text = line.strip()
    if not text:
        return {"error": 'blank line: expected a JSON object with an "op"'}
    try:
        raw = _JSON.decode(text)
    except json.JSONDecodeError as error:
        return {"error": f"not valid JSON: {error.msg} at column {error.colno}"}
    except (StsError, ValueError, RecursionError) as error:  # NaN, 5000-digit numbers, nesting
        return {"error": f"not valid JSON: {error}"}
    if not isinstance(raw, dict):
        return {"error": f'expected a JSON object with an "op", not {_json_type(raw)}'}
    op = raw.pop("op", None)
    if op is None:
        return {"error": 'missing "op": one of ' + ", ".join(OPERATIONS)}
    if not isinstance(op, str) or op not in OPERATIONS:
        return {"error": f'unknown op {op!r}: expected one of {", ".join(OPERATIONS)}'}
    try:
        return answer(op, Request(op, raw, BATCH))
    except StsError as error:
        return {"error": str(error)}
    except Exception as error:  # an engine bug must not stop thousands of other lines
        return {"error": f"internal error, please report: {type(error).__name__}: {error}"}
