"""The handheld's hardware on the fake buses: OLED, printer, modem, keypad, battery.

Handheld() attaches a model of each chip to the pins and buses device/board.py names, so
firmware that builds its drivers from board.py finds them there. drivers() builds the
drivers the way the firmware does, for tests and the driver-only simulator.
"""

import board
import machine

from host.device_sim.gsm_modem import GsmModem
from host.device_sim.keypad_matrix import KeyMatrix
from host.device_sim.ssd1306 import SSD1306
from host.device_sim.thermal_printer import ThermalPrinter


class Handheld:
    """Models of every part, wired as on the board."""

    def __init__(self, battery_mv: int = 7800, modem_on: bool = True) -> None:
        self.oled = SSD1306(board.OLED_WIDTH, board.OLED_HEIGHT)
        self.i2c = machine.I2C(board.I2C_ID)
        self.i2c.attach(board.OLED_ADDR, self.oled)
        self.printer_uart = machine.UART(board.PRINTER_UART_ID, board.PRINTER_BAUD)
        self.printer = ThermalPrinter(self.printer_uart)
        self.modem_uart = machine.UART(board.MODEM_UART_ID, board.MODEM_BAUD)
        self.modem = GsmModem(
            self.modem_uart,
            machine.Pin(board.MODEM_PWRKEY),
            board.MODEM_PWRKEY_ACTIVE,
            powered=modem_on,
        )
        rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in board.KEYPAD_ROW_PINS]
        cols = [machine.Pin(n, machine.Pin.IN) for n in board.KEYPAD_COL_PINS]
        self.keys = KeyMatrix(rows, cols, board.KEYPAD_LAYOUT)
        self.set_battery_mv(battery_mv)

    def set_battery_mv(self, millivolts: int) -> None:
        """The pack voltage; the ADC pin sees it through the divider."""
        pin = machine.Pin(board.BATTERY_ADC_PIN)
        pin.analog_uv = int(millivolts * 1000 / board.BATTERY_DIVIDER)

    def drivers(self) -> dict:
        """The firmware's driver objects on this hardware, built as main.py builds them."""
        from drivers.battery import Battery
        from drivers.buzzer import Buzzer
        from drivers.display import Display
        from drivers.modem import Modem
        from drivers.printer import Printer
        from keypad import Keypad

        i2c = machine.I2C(
            board.I2C_ID,
            scl=machine.Pin(board.I2C_SCL),
            sda=machine.Pin(board.I2C_SDA),
            freq=board.I2C_FREQ,
        )
        printer_uart = machine.UART(
            board.PRINTER_UART_ID,
            board.PRINTER_BAUD,
            tx=machine.Pin(board.PRINTER_TX),
            rx=machine.Pin(board.PRINTER_RX),
        )
        modem_uart = machine.UART(
            board.MODEM_UART_ID,
            board.MODEM_BAUD,
            tx=machine.Pin(board.MODEM_TX),
            rx=machine.Pin(board.MODEM_RX),
            rxbuf=1024,
        )
        rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in board.KEYPAD_ROW_PINS]
        cols = [machine.Pin(n, machine.Pin.IN) for n in board.KEYPAD_COL_PINS]
        adc = machine.ADC(machine.Pin(board.BATTERY_ADC_PIN), atten=machine.ADC.ATTN_11DB)
        return {
            "display": Display(i2c, board.OLED_ADDR, board.OLED_WIDTH, board.OLED_HEIGHT),
            "printer": Printer(printer_uart, board.PRINTER_BAUD),
            "modem": Modem(
                modem_uart,
                machine.Pin(board.MODEM_PWRKEY, machine.Pin.OUT),
                machine.Pin(board.MODEM_RESET, machine.Pin.OUT),
                pwrkey_active=board.MODEM_PWRKEY_ACTIVE,
                pwrkey_pulse_ms=board.MODEM_PWRKEY_PULSE_MS,
                reset_active=board.MODEM_RESET_ACTIVE,
                reset_pulse_ms=board.MODEM_RESET_PULSE_MS,
            ),
            "keypad": Keypad(rows, cols, board.KEYPAD_LAYOUT),
            "battery": Battery(adc, board.BATTERY_DIVIDER, cells=board.BATTERY_CELLS),
            "buzzer": Buzzer(
                machine.PWM(machine.Pin(board.BUZZER_PIN), freq=board.BUZZER_FREQ, duty_u16=0)
            ),
        }
