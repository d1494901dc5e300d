"""The network under the link: Wi-Fi, or PPP over the GPRS modem, or the host's own.

Kept apart from the sessions (Peter Hinch's advice for mqtt_as, and our modem link is
PPP): the link manager brings the bearer up, then opens sessions over it, and when a
session fails asks the bearer whether the network itself is gone. One class for the
three kinds (each class costs the heap ~110 bytes before its methods):

    await up()    bring the network up; True when it is, OSError when it cannot be
    is_up()       whether it still is (cheap: no I/O)
    down()        let it go (to start again from scratch)
    signal()      0-5 bars for the status screen, or None
"""

import asyncio
import time


class Bearer:
    """Bearer() is the host's network (the simulator on a PC, a board on Ethernet): nothing
    to manage. Bearer(wlan, ssid, password): a Wi-Fi station joining one access point.
    Bearer(modem=..., net=network, uart=..., apn=...): GPRS, the modem's AT bring-up
    (power, SIM, attach), dial, then network.PPP on the modem's UART."""

    def __init__(self, wlan=None, ssid="", password="", modem=None, net=None, uart=None, apn=""):
        self.wlan = wlan
        self.ssid = ssid
        self.password = password
        self.modem = modem
        self.net = net
        self.uart = uart
        self.apn = apn
        self.ppp = None
        self.csq = None
        self.dialled = False

    async def up(self):
        if self.is_up():
            return True
        wlan = self.wlan
        if wlan is not None:
            wlan.active(True)
            wlan.connect(self.ssid, self.password)
            link = wlan
            limit = 20000
        else:
            self.down()
            modem = self.modem
            if self.dialled and modem.reset is not None:
                await modem.hard_reset()  # out of data mode: AT commands work again
            await modem.power_on()
            if not await modem.sim_ready():
                raise OSError("SIM or PIN")  # no SIM card, or it needs a PIN
            self.csq = await modem.signal_quality()
            await modem.attach(self.apn)
            await modem.at("ATD*99#", expect=b"CONNECT", timeout_ms=10000)
            self.dialled = True
            link = self.ppp = self.net.PPP(self.uart)
            link.active(True)
            link.connect()
            limit = 30000
        deadline = time.ticks_add(time.ticks_ms(), limit)
        while not link.isconnected():
            if wlan is not None:
                status = wlan.status()
                if 200 <= status <= 204:  # beacon timeout, no AP, wrong key, assoc, handshake
                    raise OSError("wifi: " + self.ssid + " status " + str(status))
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                raise OSError("no network")  # Wi-Fi not joined, or PPP has no IP address
            await asyncio.sleep_ms(200)
        return True

    def is_up(self):
        if self.wlan is not None:
            return self.wlan.isconnected()
        if self.modem is not None:
            return self.ppp is not None and self.ppp.isconnected()
        return True

    def down(self):
        if self.wlan is not None:
            self.wlan.disconnect()
        elif self.ppp is not None:
            self.ppp.active(False)
            self.ppp = None

    def signal(self):
        if self.wlan is not None:
            try:
                rssi = self.wlan.status("rssi")
            except OSError:
                return None
            return 0 if rssi < -90 else 5 if rssi > -55 else (rssi + 90) // 7
        csq = self.csq
        if csq is None or csq == 99:
            return None
        return 0 if csq < 2 else 5 if csq >= 25 else csq // 5


HostNetwork = Bearer  # the host's own network: Bearer() with no arguments
