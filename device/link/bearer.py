"""The network under the link: Wi-Fi, or PPP over the GPRS modem, or the host's own.

Kept apart from the MQTT session (Peter Hinch's advice for mqtt_as, and our modem link is
PPP): the link manager brings the bearer up, then opens sessions over it, and when a
session fails asks the bearer whether the network itself is gone. Each has:

    await up()    bring the network up; True when it is, OSError when it cannot be
    is_up()       whether it still is (cheap: no I/O)
    down()        let it go (to start again from scratch)
    signal()      0-5 bars for the status screen, or None
"""

import asyncio
import time

_WIFI_FAILED = (200, 201, 202, 203, 204)  # beacon timeout, no AP, wrong key, assoc, handshake


class HostNetwork:
    """No bearer to manage: the simulator on a PC, or a board on Ethernet."""

    name = "host"

    async def up(self):
        return True

    def is_up(self):
        return True

    def down(self):
        pass

    def signal(self):
        return None


class WifiBearer:
    """A Wi-Fi station joining one access point."""

    name = "wifi"

    def __init__(self, network, ssid, password, timeout_ms=20000):
        self.wlan = network.WLAN(network.STA_IF)
        self.ssid = ssid
        self.password = password
        self.timeout_ms = timeout_ms

    async def up(self):
        if self.wlan.isconnected():
            return True
        self.wlan.active(True)
        self.wlan.connect(self.ssid, self.password)
        deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms)
        while not self.wlan.isconnected():
            status = self.wlan.status()
            if status in _WIFI_FAILED:
                raise OSError("wifi: " + self.ssid + " status " + str(status))
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                raise OSError("wifi: " + self.ssid + " did not connect")
            await asyncio.sleep_ms(200)
        return True

    def is_up(self):
        return self.wlan.isconnected()

    def down(self):
        self.wlan.disconnect()

    def signal(self):
        try:
            rssi = self.wlan.status("rssi")
        except OSError:
            return None
        return 0 if rssi < -90 else 5 if rssi > -55 else (rssi + 90) // 7


class PppBearer:
    """GPRS: the modem's AT bring-up (power, SIM, attach), dial, then network.PPP on the UART."""

    name = "gprs"

    def __init__(self, modem, network, uart, apn, timeout_ms=30000):
        self.modem = modem
        self.network = network
        self.uart = uart
        self.apn = apn
        self.timeout_ms = timeout_ms
        self.ppp = None
        self._csq = None
        self._dialled = False

    async def up(self):
        if self.ppp is not None and self.ppp.isconnected():
            return True
        self.down()
        if self._dialled and self.modem.reset is not None:
            await self.modem.hard_reset()  # out of data mode: AT commands work again
        await self.modem.power_on()
        if not await self.modem.sim_ready():
            raise OSError("modem: no SIM card, or it needs a PIN")
        self._csq = await self.modem.signal_quality()
        await self.modem.attach(self.apn)
        await self.modem.at("ATD*99#", expect=b"CONNECT", timeout_ms=10000)
        self._dialled = True
        self.ppp = self.network.PPP(self.uart)
        self.ppp.active(True)
        self.ppp.connect()
        deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms)
        while not self.ppp.isconnected():
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                raise OSError("ppp: no IP address from the network")
            await asyncio.sleep_ms(200)
        return True

    def is_up(self):
        return self.ppp is not None and self.ppp.isconnected()

    def down(self):
        if self.ppp is not None:
            self.ppp.active(False)
            self.ppp = None

    def signal(self):
        csq = self._csq
        if csq is None or csq == 99:
            return None
        return 0 if csq < 2 else 5 if csq >= 25 else csq // 5
