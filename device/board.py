"""Board definition of the gridvend handheld: every GPIO, bus and electrical constant.

This file must agree with hardware/pins.toml; tests/hardware checks that they match exactly.
Runs under MicroPython and CPython. Drivers receive their Pin/UART/I2C objects built from
these numbers; nothing here touches hardware.

Polarity: a name ending in _ACTIVE is the logic level the firmware writes to assert that
signal (1 = high). Several lines pass through a transistor, so "asserted" is not always "low".
"""

try:
    from micropython import const
except ImportError:  # CPython: tests, simulator

    def const(value):
        return value


BOARD_NAME = "gridvend-handheld-r1"

# Console: UART0 stays the USB/REPL link through the on-board CH340C bridge.
CONSOLE_UART_ID = const(0)
CONSOLE_TX = const(1)
CONSOLE_RX = const(3)

# 4x4 membrane keypad. Rows are outputs: drive the scanned row low and leave the others
# high-impedance (Pin.OPEN_DRAIN with value 1); each row also has a 470 ohm series resistor.
# Columns are inputs with external 10k pull-ups to 3V3 (GPIO34/35/39 have no internal pulls).
KEYPAD_ROW_PINS = (4, 13, 14, 15)
KEYPAD_COL_PINS = (34, 35, 39, 32)
KEYPAD_LAYOUT = "123A456B789C*0#D"

# I2C bus: the SSD1306 OLED is its only device.
I2C_ID = const(0)
I2C_SDA = const(21)
I2C_SCL = const(22)
I2C_FREQ = const(400000)
OLED_ADDR = const(0x3C)
OLED_WIDTH = const(128)
OLED_HEIGHT = const(64)

# Thermal printer (ESC/POS, TTL serial, 8N1). Its supply rail is switched by PRINTER_POWER_EN.
# While the rail is off, make PRINTER_TX an input so the printer is not fed through its RX pin.
PRINTER_UART_ID = const(1)
PRINTER_TX = const(18)
PRINTER_RX = const(5)
PRINTER_BAUD = const(9600)
PRINTER_POWER_EN = const(19)
PRINTER_POWER_EN_ACTIVE = const(1)

# GPRS modem (SIM800L baseline, SIM7600 option), 8N1, via a TXS0102 level translator.
# PWRKEY and RESET are pulled low at the modem by 2N7002 transistors: write 1 to assert.
MODEM_MODEL = "SIM800L"
MODEM_UART_ID = const(2)
MODEM_TX = const(25)
MODEM_RX = const(26)
MODEM_BAUD = const(115200)
MODEM_PWRKEY = const(27)
MODEM_PWRKEY_ACTIVE = const(1)
MODEM_PWRKEY_PULSE_MS = const(1200)  # power-on pulse; SIM7600 turns off only after >= 2.5 s
MODEM_RESET = const(33)
MODEM_RESET_ACTIVE = const(1)
MODEM_RESET_PULSE_MS = const(300)  # SIM800 needs >= 105 ms; check the SIM7600 design guide
MODEM_POWER_EN = const(23)
MODEM_POWER_EN_ACTIVE = const(1)

# Battery: 2S Li-ion pack measured through a 300k/100k divider on an ADC1 pin.
# Use 11 dB attenuation; 8.4 V full reads 2.1 V at the pin.
BATTERY_ADC_PIN = const(36)
BATTERY_DIVIDER = 4.0
BATTERY_CELLS = const(2)
BATTERY_FULL_MV = const(8400)
BATTERY_LOW_MV = const(6800)
BATTERY_EMPTY_MV = const(6400)

# Passive magnetic buzzer, PWM-driven through a 2N7002; loudest at its resonance.
BUZZER_PIN = const(2)
BUZZER_ACTIVE = const(1)
BUZZER_FREQ = const(2700)

# Status LED is wired from 3V3 to GPIO0 (active low) so GPIO0 stays high at reset.
STATUS_LED_PIN = const(0)
STATUS_LED_ACTIVE = const(0)
