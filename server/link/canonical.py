"""The canonical JSON encoding that both ends compute a message's MAC over.

Objects with keys sorted by code point, no whitespace, strings escaped to ASCII exactly as
Python's json module does (\\uXXXX in lower case, surrogate pairs above U+FFFF). Values are
objects, arrays, strings, integers, true, false and null; no floats, so the encoding of a
number never depends on who prints it. The handheld has its own few-line encoder
(device/link/canonical.py) that produces the same bytes; tests check them against each other.
"""

import json
from typing import Any

MAX_DEPTH = 8


class NotCanonical(ValueError):
    """A value the canonical encoding does not allow (float, non-string key, too deep)."""


def encode(value: Any) -> bytes:
    """The canonical bytes of `value`."""
    _check(value, 0)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise NotCanonical(f"nested deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical("object keys must be strings")
            _check(item, depth + 1)
        return
    if isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
        return
    raise NotCanonical(f"{type(value).__name__} values are not allowed (integers only)")


def decode(data: bytes) -> Any:
    """Parse JSON strictly: no duplicate keys, no floats, no NaN, not too deep.

    Raises NotCanonical (a ValueError) naming the problem.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotCanonical("not UTF-8") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_float,
        )
    except RecursionError:
        raise NotCanonical("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise NotCanonical(f"not JSON ({exc.msg} at character {exc.pos})") from None
    _check(value, 0)
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise NotCanonical(f"key {key!r} appears twice")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise NotCanonical(f"number {text} is not a whole number")
