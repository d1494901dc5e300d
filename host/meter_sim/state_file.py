"""A simulated meter kept in a JSON file between runs, so a person can play meter from a shell.

The file holds everything the meter knows, including its decoder key in hex: it is a
simulator's file, made readable by its owner only, and never a place for a real key.
Amounts are Decimal strings so nothing is lost to floating point. Saving writes a temporary
file beside the target and renames it over, so an interrupted save leaves the old state.
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from host.meter_sim.errors import MeterSimError
from host.meter_sim.meter import SECTION_FIELDS, MeterSim, PendingSection

FORMAT = "gridvend-meter-sim"
VERSION = 1

_INT_FIELDS = ("krn", "kt", "ti", "sgc", "ken", "base", "ea", "meter_type", "mfr_code")


def to_state(meter: MeterSim) -> dict[str, Any]:
    """The meter as plain JSON values."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "note": "meter simulator state: the decoder key is stored in the clear",
        "pan": meter.pan,
        "key_hex": meter.key.hex(),
        **{name: getattr(meter, name) for name in _INT_FIELDS},
        "rollover_base": meter.rollover_base,
        "memory_size": meter.memory_size,
        "tid_memory": list(meter.tid_memory),
        "credit": str(meter.credit),
        "max_credit": str(meter.max_credit),
        "max_token": None if meter.max_token is None else str(meter.max_token),
        "power_limit_w": meter.power_limit,
        "phase_unbalance_limit_w": meter.phase_unbalance_limit,
        "tamper": meter.tamper,
        "pending_key_change": [
            {"subclass": subclass, "key_id": section.key_id, "values": section.values}
            for subclass, section in sorted(meter.pending.items())
        ],
    }


def _decimal(name: str, text: object) -> Decimal:
    try:
        value = Decimal(str(text)) if isinstance(text, str) else None
    except InvalidOperation:
        value = None
    if value is None:
        raise MeterSimError(f"{name} {text!r} is not a decimal number written as a string")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise MeterSimError(f"{name} {value!r} must be true or false")
    return value


def _pending(entries: object) -> dict[int, PendingSection]:
    if not isinstance(entries, list):
        raise MeterSimError("pending_key_change must be a list")
    pending: dict[int, PendingSection] = {}
    for entry in entries:
        subclass = entry.get("subclass") if isinstance(entry, dict) else None
        if subclass not in SECTION_FIELDS:
            raise MeterSimError(f"pending key change entry {entry!r} has no valid subclass")
        values = entry.get("values")
        expected = set(SECTION_FIELDS[subclass])
        if not isinstance(values, dict) or set(values) != expected:
            raise MeterSimError(
                f"pending key change subclass {subclass} must carry {sorted(expected)}"
            )
        key_bits = values["key_bits"]
        if not isinstance(key_bits, str) or len(key_bits) != 8:
            raise MeterSimError(f"pending key bits {key_bits!r} must be 8 hex digits")
        try:
            bytes.fromhex(key_bits)
        except ValueError:
            raise MeterSimError(f"pending key bits {key_bits!r} are not hex") from None
        numbers = [v for k, v in values.items() if k != "key_bits"]
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in numbers):
            raise MeterSimError(f"pending key change values {values!r} must be whole numbers")
        pending[subclass] = PendingSection(dict(values), str(entry.get("key_id", "")))
    return pending


def from_state(state: object) -> MeterSim:
    """A meter from plain JSON values; refuses, with the reason, anything inconsistent."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise MeterSimError("this is not a meter simulator state file")
    if state.get("version") != VERSION:
        raise MeterSimError(f"state file version {state.get('version')!r} is not {VERSION}")
    try:
        key_hex = state["key_hex"]
        key = bytes.fromhex(key_hex) if isinstance(key_hex, str) else None
        if key is None:
            raise MeterSimError("key_hex must be hex text")
        max_token = state["max_token"]
        return MeterSim(
            pan=state["pan"],
            key=key,
            **{name: state[name] for name in _INT_FIELDS},
            rollover_base=state["rollover_base"],
            memory_size=state["memory_size"],
            tid_memory=list(state["tid_memory"]),
            credit=_decimal("credit", state["credit"]),
            max_credit=_decimal("max_credit", state["max_credit"]),
            max_token=None if max_token is None else _decimal("max_token", max_token),
            power_limit=state["power_limit_w"],
            phase_unbalance_limit=state["phase_unbalance_limit_w"],
            tamper=_flag("tamper", state["tamper"]),
            pending=_pending(state["pending_key_change"]),
        )
    except KeyError as missing:
        raise MeterSimError(f"state has no {missing} field") from None
    except (TypeError, ValueError) as error:
        if isinstance(error, MeterSimError):
            raise
        raise MeterSimError(f"state does not hold together: {error}") from None


def load_meter(path: str | os.PathLike[str]) -> MeterSim:
    """The meter saved at ``path``."""
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MeterSimError(
            f"no meter at {where}: create one with `gridvend meter-sim create`"
        ) from None
    except OSError as error:
        raise MeterSimError(f"cannot read {where}: {error.strerror}") from None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as error:
        raise MeterSimError(f"{where} is not valid JSON (line {error.lineno})") from None
    try:
        return from_state(state)
    except MeterSimError as error:
        raise MeterSimError(f"{where}: {error}") from None


def save_meter(meter: MeterSim, path: str | os.PathLike[str]) -> None:
    """Write the meter to ``path`` atomically (temporary file, then rename over)."""
    where = Path(path)
    text = json.dumps(to_state(meter), indent=2) + "\n"
    # mkstemp makes the file readable by its owner only: it holds a decoder key.
    try:
        handle, temporary = tempfile.mkstemp(
            dir=where.parent, prefix=f".{where.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise MeterSimError(f"cannot write beside {where}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, where)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise MeterSimError(f"cannot save {where}: {error.strerror or error}") from None
        raise
