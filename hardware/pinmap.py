"""Load the handheld's pin map (pins.toml) and state the ESP32 pin facts it is checked against."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

HARDWARE_DIR = Path(__file__).resolve().parent
PINS_FILE = HARDWARE_DIR / "pins.toml"

# ESP32 (chip revision v3, as in the WROOM-32E/WROVER-E) pin facts.
MODULE_GPIOS = frozenset(
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23}
    | {25, 26, 27, 32, 33, 34, 35, 36, 39}
)
FLASH_GPIOS = frozenset(range(6, 12))  # SPI flash inside the module
PSRAM_GPIOS = frozenset({16, 17})  # PSRAM on the WROVER-E option
STRAPPING_GPIOS = frozenset({0, 2, 5, 12, 15})
INPUT_ONLY_GPIOS = frozenset({34, 35, 36, 37, 38, 39})  # no output driver, no pull resistors
ADC1_GPIOS = frozenset(range(32, 40))  # ADC2 is unusable while Wi-Fi is on
CONSOLE_GPIOS = frozenset({1, 3})  # UART0: ROM log, esptool, REPL
FLASH_VOLTAGE_STRAP = 12  # MTDI high at reset selects 1.8 V flash: never used on this board

DIRECTIONS = ("in", "out", "bidir", "analog")
_BOARD_REF = re.compile(r"^([A-Z][A-Z0-9_]*)(?:\[(\d+)\])?$")


@dataclass(frozen=True)
class Signal:
    """One ESP32 GPIO in use, as described in pins.toml."""

    name: str
    gpio: int
    board: str
    dir: str
    part: str
    part_pin: str
    via: tuple[str, ...]
    pull: str
    why: str
    active: str | None = None
    strapping: str | None = None

    @property
    def board_name(self) -> str:
        """The board.py constant holding this GPIO (the tuple's name for indexed entries)."""
        return _parse_board_ref(self.name, self.board)[0]

    @property
    def board_index(self) -> int | None:
        """Index into the board.py tuple, or None for a plain constant."""
        return _parse_board_ref(self.name, self.board)[1]


@dataclass(frozen=True)
class PinMap:
    """The module description and every signal, in file order."""

    module: dict
    signals: tuple[Signal, ...]

    def by_gpio(self) -> dict[int, Signal]:
        return {signal.gpio: signal for signal in self.signals}

    def parts(self) -> set[str]:
        """Every BOM reference the pin map names (end parts and parts on the way)."""
        refs = {self.module["part"]}
        for signal in self.signals:
            refs.add(signal.part)
            refs.update(signal.via)
        return refs


def _parse_board_ref(signal_name: str, board: str) -> tuple[str, int | None]:
    match = _BOARD_REF.match(board)
    if match is None:
        raise ValueError(
            f"pins.toml signal {signal_name}: board = {board!r} should be NAME or NAME[index]"
        )
    index = match.group(2)
    return match.group(1), None if index is None else int(index)


def load(path: Path = PINS_FILE) -> PinMap:
    """Read pins.toml into a PinMap, rejecting missing or malformed fields by name."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    signals = []
    for name, fields in data["signal"].items():
        missing = {"gpio", "board", "dir", "part", "part_pin", "via", "pull", "why"} - set(fields)
        if missing:
            raise ValueError(f"pins.toml signal {name}: missing {', '.join(sorted(missing))}")
        if fields["dir"] not in DIRECTIONS:
            raise ValueError(
                f"pins.toml signal {name}: dir = {fields['dir']!r}, expected one of {DIRECTIONS}"
            )
        if fields.get("active") not in (None, "high", "low"):
            raise ValueError(f"pins.toml signal {name}: active should be 'high' or 'low'")
        signal = Signal(
            name=name,
            gpio=int(fields["gpio"]),
            board=fields["board"],
            dir=fields["dir"],
            part=fields["part"],
            part_pin=fields["part_pin"],
            via=tuple(fields["via"]),
            pull=fields["pull"],
            why=fields["why"],
            active=fields.get("active"),
            strapping=fields.get("strapping"),
        )
        _parse_board_ref(name, signal.board)
        signals.append(signal)
    return PinMap(module=data["module"], signals=tuple(signals))
