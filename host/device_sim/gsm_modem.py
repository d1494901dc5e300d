"""A model of a SIM800-class modem at the other end of the fake UART.

It is off until its PWRKEY has been held asserted for at least PWRKEY_MIN_MS (read from
the fake Pin's history), then answers AT commands with echo on, as the real one boots.
The network is a few attributes: sim_inserted, rssi, registration (CREG/CGREG stat).
"""

from host.device_sim.fakes import time as fake_time

PWRKEY_MIN_MS = 1000  # SIM800: hold PWRKEY low at least 1 s to turn on


class GsmModem:
    """Attach with GsmModem(uart, pwrkey_pin)."""

    def __init__(
        self,
        uart,
        pwrkey=None,
        active: int = 1,
        powered: bool = False,
        min_press_ms: int = PWRKEY_MIN_MS,
    ) -> None:
        self.uart = uart
        self.pwrkey = pwrkey
        self.active = active
        self.min_press_ms = min_press_ms
        self.powered = powered
        self.echo = True
        self.sim_inserted = True
        self.rssi = 18
        self.registration = 1  # 0 searching, 1 home, 5 roaming, 3 denied
        self.attached = False
        self.data_mode = False  # after ATD*99#: the UART carries PPP, not AT commands
        self.apn = None
        self.imei = "867530012345678"
        self.text_mode = False
        self.sent_sms: list[tuple[str, str]] = []
        self.commands: list[str] = []  # every command received, in order
        self._line = bytearray()
        self._sms_to: str | None = None
        uart.attach(self)

    def _check_power(self) -> None:
        if self.powered or self.pwrkey is None:
            return
        pressed_at = None
        for stamp, level in self.pwrkey.history:
            if level == self.active:
                pressed_at = stamp
            elif (
                pressed_at is not None
                and fake_time.ticks_diff(stamp, pressed_at) // 1000 >= self.min_press_ms
            ):
                self.powered = True
                return

    def __call__(self, data: bytes) -> None:
        self._check_power()
        if not self.powered:
            return
        for byte in data:
            if self._sms_to is not None:
                self._sms_byte(byte)
            elif byte == 0x0D:
                command = self._line.decode(errors="replace")
                self._line.clear()
                if self.echo:
                    self.uart.feed(command.encode() + b"\r")
                self._command(command.strip())
            elif byte != 0x0A:
                self._line.append(byte)

    def _reply(self, *lines: str) -> None:
        self.uart.feed(b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines))

    def _sms_byte(self, byte: int) -> None:
        if byte == 0x1A:
            self.sent_sms.append((self._sms_to, self._line.decode()))
            self._line.clear()
            self._sms_to = None
            self._reply(f"+CMGS: {len(self.sent_sms)}", "OK")
        else:
            self._line.append(byte)

    def _command(self, command: str) -> None:
        self.commands.append(command)
        upper = command.upper()
        if upper in ("AT", "ATE0", "ATE1"):
            if upper != "AT":
                self.echo = upper == "ATE1"
            self._reply("OK")
        elif upper == "AT+CSQ":
            self._reply(f"+CSQ: {self.rssi},0", "OK")
        elif upper == "AT+CPIN?":
            self._reply("+CPIN: READY", "OK") if self.sim_inserted else self._reply(
                "+CME ERROR: 10"
            )
        elif upper in ("AT+CREG?", "AT+CGREG?"):
            self._reply(f"{upper[2:-1]}: 0,{self.registration}", "OK")
        elif upper == "AT+GSN":
            self._reply(self.imei, "OK")
        elif upper.startswith("AT+CGDCONT=1,"):
            self.apn = command.split(",", 2)[2].strip('"')
            self._reply("OK")
        elif upper == "AT+CGATT=1":
            self.attached = self.registration in (1, 5)
            self._reply("OK" if self.attached else "ERROR")
        elif upper == "AT+CGATT?":
            self._reply(f"+CGATT: {int(self.attached)}", "OK")
        elif upper.startswith("ATD*99"):  # dial the packet service: PPP follows "CONNECT"
            if self.attached:
                self.data_mode = True
                self._reply("CONNECT")
            else:
                self._reply("NO CARRIER")
        elif upper == "AT+CMGF=1":
            self.text_mode = True
            self._reply("OK")
        elif upper.startswith("AT+CMGS=") and self.text_mode:
            self._sms_to = command.split("=", 1)[1].strip('"')
            self.uart.feed(b"\r\n> ")
        else:
            self._reply("ERROR")
