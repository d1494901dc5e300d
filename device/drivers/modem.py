"""GPRS modem (SIM800 / SIM7600 class) on a UART: power-on, AT commands, SIM, signal, attach.

Speaks AT only; what to do when the network is away belongs to the link manager
(umqtt's split of protocol from policy). Every failure is a ModemError (an OSError)
naming the command and what the modem said. Replies are read a byte at a time into one
preallocated line buffer; only the lines handed back are new bytes objects.

attach() stops where PPP would start (ATD*99#): the link issue adds network.PPP.
"""

import asyncio
import time

from micropython import const

_LF = const(0x0A)
_CR = const(0x0D)
_CTRL_Z = b"\x1a"


class ModemError(OSError):
    """The modem refused a command (ERROR, +CME ERROR: n) or did not answer in time."""


# No final answer within the timeout: a ModemError whose message says "no answer" (or
# "not registered"); not a class of its own, which would cost the heap ~110 bytes.
ModemTimeout = ModemError


class Modem:
    """The modem on uart. pwrkey (and reset, if wired) are output Pins; writing
    pwrkey_active to pwrkey presses the modem's power key (the board has a transistor).
    """

    def __init__(
        self,
        uart,
        pwrkey,
        reset=None,
        pwrkey_active=1,
        pwrkey_pulse_ms=1200,
        reset_active=1,
        reset_pulse_ms=300,
        line_size=128,
    ):
        self.uart = uart
        self.pwrkey = pwrkey
        self.reset = reset
        self.pwrkey_active = pwrkey_active
        self.pwrkey_pulse_ms = pwrkey_pulse_ms
        self.reset_active = reset_active
        self.reset_pulse_ms = reset_pulse_ms
        self._line = bytearray(line_size)
        self._len = 0
        self._one = bytearray(1)
        self._lock = asyncio.Lock()
        pwrkey.value(1 - pwrkey_active)  # key released
        if reset is not None:
            reset.value(1 - reset_active)

    # ---- power ----

    async def power_on(self, timeout_ms=10000):
        """Turn the modem on (unless it already answers), wait until AT works, echo off."""
        deadline = None  # the power key not pressed yet
        while True:
            try:
                await self.at("AT", timeout_ms=600 if deadline is None else 500)
                break  # it answers
            except ModemError:
                pass
            if deadline is None:
                self.pwrkey.value(self.pwrkey_active)
                await asyncio.sleep_ms(self.pwrkey_pulse_ms)
                self.pwrkey.value(1 - self.pwrkey_active)
                deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
            elif time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                raise ModemTimeout("modem: no answer to AT after power-on")
        await self.at("ATE0")  # no echo: replies are then only answers

    async def hard_reset(self):
        """Pulse the reset line (if wired); the modem then needs power_on()'s wait again."""
        if self.reset is None:
            raise ModemError("no reset")  # no reset line on this board
        self.reset.value(self.reset_active)
        await asyncio.sleep_ms(self.reset_pulse_ms)
        self.reset.value(1 - self.reset_active)

    # ---- AT ----

    async def at(self, cmd, expect=b"OK", timeout_ms=2000, end=b"\r", held=False):
        """Send cmd (str or bytes) and wait for the final expect line.

        Returns the information lines in between (bytes, echo and blank lines left out).
        Raises ModemError on ERROR / +CME ERROR / +CMS ERROR, or when there is no answer
        in timeout_ms ("no answer"). held: the caller holds the lock (several commands
        that belong together, sms()).
        """
        if isinstance(cmd, str):
            cmd = cmd.encode()
        if not held:
            await self._lock.acquire()
        try:
            uart = self.uart
            one = self._one
            buf = self._line
            while uart.any():  # unsolicited codes left from before are not this answer
                uart.readinto(one, 1)
            self._len = 0
            uart.write(cmd)
            if end:
                uart.write(end)
            deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
            info = []
            while True:
                # The next non-empty line without CR LF. With expect b">", a ">" at the
                # start of a line counts as a line (the modem sends "> " and waits).
                line = None
                while line is None:
                    while line is None and uart.any():
                        uart.readinto(one, 1)
                        byte = one[0]
                        if byte == _LF:
                            if self._len:
                                line = bytes(buf[: self._len])
                                self._len = 0
                        elif byte != _CR:
                            if self._len < len(buf):  # longer lines are cut
                                buf[self._len] = byte
                                self._len += 1
                            if expect == b">" and self._len == 1 and byte == 0x3E:
                                self._len = 0
                                line = b">"
                    if line is None:
                        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                            raise ModemTimeout(
                                "modem: no answer to "
                                + cmd.decode()
                                + " in "
                                + str(timeout_ms)
                                + " ms"
                            )
                        await asyncio.sleep_ms(10)
                if line == expect:
                    return info
                if (
                    line == b"ERROR"
                    or line.startswith(b"+CME ERROR")
                    or line.startswith(b"+CMS ERROR")
                ):
                    raise ModemError("modem: " + cmd.decode() + " -> " + line.decode())
                if line != cmd:  # echo
                    info.append(line)
        finally:
            if not held:
                self._lock.release()

    # ---- questions ----

    async def signal_quality(self):
        """RSSI from AT+CSQ: 0 (-113 dBm or less) to 31 (-51 dBm or more), 99 unknown."""
        value = _field(await self.at("AT+CSQ"), b"+CSQ:", 0)
        return 99 if value is None else value

    async def sim_ready(self):
        """Whether the SIM is in and needs no PIN."""
        try:
            lines = await self.at("AT+CPIN?", timeout_ms=5000)
        except ModemError as exc:
            if "no answer" in str(exc):
                raise
            return False  # +CME ERROR: 10, SIM not inserted
        for line in lines:
            if line.startswith(b"+CPIN:"):
                return line[6:].strip() == b"READY"
        return False

    async def registered(self):
        """Whether the modem is on a network, at home (1) or roaming (5), per AT+CREG?."""
        return _field(await self.at("AT+CREG?"), b"+CREG:", 1) in (1, 5)

    async def imei(self):
        """The modem's IMEI, from AT+GSN."""
        for line in await self.at("AT+GSN"):
            if line.isdigit():
                return line.decode()
        raise ModemError("no IMEI")  # AT+GSN gave none

    async def attach(self, apn, timeout_ms=60000):
        """Register, define the PDP context for apn and attach to GPRS; ready for PPP."""
        deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
        while _field(await self.at("AT+CGREG?"), b"+CGREG:", 1) not in (1, 5):
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                raise ModemTimeout(
                    "modem: not registered for GPRS within " + str(timeout_ms) + " ms"
                )
            await asyncio.sleep_ms(left if left < 2000 else 2000)
        await self.at('AT+CGDCONT=1,"IP","' + apn + '"')
        await self.at("AT+CGATT=1", timeout_ms=20000)
        if _field(await self.at("AT+CGATT?"), b"+CGATT:", 0) != 1:
            raise ModemError("detached")  # the GPRS attach did not hold

    async def sms(self, number, text):
        """Send a text message (plain ASCII); returns the modem's message reference."""
        await self.at("AT+CMGF=1")
        async with self._lock:
            await self.at(b'AT+CMGS="' + number.encode() + b'"', b">", 5000, held=True)
            lines = await self.at(text.encode() + _CTRL_Z, b"OK", 60000, None, True)
        return _field(lines, b"+CMGS:", 0)


def _field(lines, prefix, index):
    """Integer field number index of the line starting with prefix ("+CSQ: 17,0"), or None."""
    for line in lines:
        if line.startswith(prefix):
            parts = line[len(prefix) :].split(b",")
            if index < len(parts):
                try:
                    return int(parts[index].strip())
                except ValueError:
                    return None
    return None
