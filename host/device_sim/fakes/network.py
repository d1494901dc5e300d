"""MicroPython's `network` module (ESP32 port), Wi-Fi station and access point only.

Kept as on the device: one WLAN object per interface; connect() returns at once and the
link comes up later (status() goes STAT_CONNECTING -> STAT_GOT_IP, or a failure code);
connect() on an inactive interface raises OSError. The air is `access_points`
(ssid -> (key, rssi)), which tests and the simulator fill in; the link takes
CONNECT_MS of device time to come up.
"""

from host.device_sim.fakes import time as _time

STA_IF = 0
AP_IF = 1

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204

AUTH_OPEN = 0
AUTH_WPA2_PSK = 3

CONNECT_MS = 1500
access_points: dict[str, tuple[str, int]] = {}
_interfaces: dict[int, "WLAN"] = {}


def reset_network() -> None:
    """Forget interfaces and access points (tests call this between cases)."""
    _interfaces.clear()
    access_points.clear()
    PPP.link_up = True


class WLAN:
    """A Wi-Fi interface: STA_IF joins an access point, AP_IF would offer one."""

    def __new__(cls, interface_id: int = STA_IF):
        wlan = _interfaces.get(interface_id)
        if wlan is None:
            wlan = super().__new__(cls)
            wlan.interface_id = interface_id
            wlan._active = False
            wlan._target = None  # (ssid, key) asked for
            wlan._since = 0
            wlan._ifconfig = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
            wlan._config = {"mac": b"\x24\x0a\xc4\x00\x00\x42", "dhcp_hostname": "espressif"}
            _interfaces[interface_id] = wlan
        return wlan

    def active(self, is_active: bool | None = None):
        """Get, or turn the radio on/off (off also drops the link)."""
        if is_active is None:
            return self._active
        self._active = bool(is_active)
        if not self._active:
            self._target = None
        return None

    def connect(self, ssid: str | None = None, key: str | None = None, *, bssid=None) -> None:
        """Start joining ssid; check status() or isconnected() later."""
        if not self._active:
            raise OSError("Wifi Not Started")
        self._target = (ssid, key)
        self._since = _time.ticks_ms()

    def disconnect(self) -> None:
        self._target = None

    def status(self, param: str | None = None):
        """STAT_* of the link, or with "rssi" the signal of the joined access point."""
        if param == "rssi":
            if self.status() != STAT_GOT_IP:
                raise OSError("not connected")
            return access_points[self._target[0]][1]
        if not self._active or self._target is None:
            return STAT_IDLE
        if _time.ticks_diff(_time.ticks_ms(), self._since) < CONNECT_MS:
            return STAT_CONNECTING
        ssid, key = self._target
        if ssid not in access_points:
            return STAT_NO_AP_FOUND
        if access_points[ssid][0] != (key or ""):
            return STAT_WRONG_PASSWORD
        return STAT_GOT_IP

    def isconnected(self) -> bool:
        return self.status() == STAT_GOT_IP

    def ifconfig(self, config: tuple | None = None):
        """(ip, netmask, gateway, dns); a fixed lease once connected."""
        if config is not None:
            self._ifconfig = tuple(config)
            return None
        if self.isconnected() and self._ifconfig[0] == "0.0.0.0":
            return ("192.168.4.23", "255.255.255.0", "192.168.4.1", "192.168.4.1")
        return self._ifconfig

    def config(self, *args, **kwargs):
        """Read one parameter by name, or set parameters by keyword."""
        if args:
            if args[0] not in self._config:
                raise ValueError("unknown config param")
            return self._config[args[0]]
        self._config.update(kwargs)
        return None

    def scan(self) -> list[tuple]:
        """(ssid, bssid, channel, RSSI, security, hidden) of every access point in the air."""
        if not self._active:
            raise OSError("Wifi Not Started")
        return [
            (
                ssid.encode(),
                b"\x00\x11\x22\x33\x44\x55",
                6,
                rssi,
                AUTH_WPA2_PSK if key else AUTH_OPEN,
                False,
            )
            for ssid, (key, rssi) in access_points.items()
        ]


class PPP:
    """MicroPython's network.PPP (1.24+) over a modem's UART, as the ESP32 port has it.

    connect() returns at once; isconnected() turns true PPP_CONNECT_MS later, and only if
    the modem on the other end of the UART was dialled into data mode (ATD*99# answered
    CONNECT, as host/device_sim/gsm_modem.py does). Traffic itself goes over the host's
    network (fakes/socket.py); `link_up` lets a test drop the PPP link.
    """

    PPP_CONNECT_MS = 300
    link_up = True

    def __init__(self, stream) -> None:
        self.stream = stream
        self._active = False
        self._since: int | None = None

    def active(self, is_active: bool | None = None):
        if is_active is None:
            return self._active
        self._active = bool(is_active)
        if not self._active:
            self._since = None
        return None

    def connect(self, authmode: int = 0, username: str = "", password: str = "") -> None:
        if not self._active:
            raise OSError("PPP not active")
        self._since = _time.ticks_ms()

    def disconnect(self) -> None:
        self._since = None

    def isconnected(self) -> bool:
        modem = getattr(self.stream, "_peer", None)
        return (
            self._since is not None
            and PPP.link_up
            and bool(getattr(modem, "data_mode", False))
            and _time.ticks_diff(_time.ticks_ms(), self._since) >= self.PPP_CONNECT_MS
        )

    def status(self) -> int:
        return 1 if self.isconnected() else 0

    def ifconfig(self, config: tuple | None = None):
        if config is not None:
            return None
        if self.isconnected():
            return ("10.64.0.17", "255.255.255.255", "10.64.0.1", "8.8.8.8")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
