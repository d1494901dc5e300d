"""Building the link at boot from the device's files, and taking settings the server sends.

Kept out of main.py so that main.py only wires things together.
"""

from config import DEFAULTS, REQUIRED, ConfigError, validate

from link.settings import load


def open_link(root, cfg, journal):
    """The link manager over the network link.json names (Wi-Fi, GPRS, or the host's own);
    None when config.json names no server (the stand-in answers: simulator, demos).
    Raises LinkSettingsError (a ValueError) when the server is named but link.json is
    missing or wrong."""
    if not cfg["server"]:
        return None
    import board
    import machine
    from journal.fs_os import OsFs

    from link.bearer import HostNetwork, PppBearer, WifiBearer
    from link.manager import LinkManager
    from link.state import LinkState

    settings = load(root, cfg)
    wifi = settings["wifi"]
    if wifi:
        import network

        bearer = WifiBearer(network, wifi["ssid"], wifi.get("password", ""))
    elif settings["apn"]:
        import network
        from drivers.modem import Modem

        uart = machine.UART(
            board.MODEM_UART_ID,
            baudrate=board.MODEM_BAUD,
            tx=board.MODEM_TX,
            rx=board.MODEM_RX,
            rxbuf=1024,
        )
        machine.Pin(board.MODEM_POWER_EN, machine.Pin.OUT, value=board.MODEM_POWER_EN_ACTIVE)
        modem = Modem(
            uart,
            machine.Pin(board.MODEM_PWRKEY, machine.Pin.OUT),
            machine.Pin(board.MODEM_RESET, machine.Pin.OUT),
            pwrkey_active=board.MODEM_PWRKEY_ACTIVE,
            pwrkey_pulse_ms=board.MODEM_PWRKEY_PULSE_MS,
            reset_active=board.MODEM_RESET_ACTIVE,
            reset_pulse_ms=board.MODEM_RESET_PULSE_MS,
        )
        bearer = PppBearer(modem, network, uart, settings["apn"])
    else:
        bearer = HostNetwork()
    state = LinkState(OsFs(), root + "/link_state.json").load()
    return LinkManager(
        cfg["device_id"],
        settings["secret"],
        journal,
        state,
        bearer,
        mqtt=settings["mqtt"],
        http=settings["http"],
    )


def apply_server_config(cfg, body):
    """Take the limits and vendors the server sent into cfg, but only if config.py accepts
    the config they make: a wrong value from the server changes nothing. True if taken."""
    merged = {}
    for key in REQUIRED:
        merged[key] = cfg[key]
    for key in DEFAULTS:
        merged[key] = cfg[key]
    taken = False
    for key in ("amount_min", "amount_max", "vendors"):
        if key in body:
            merged[key] = body[key]
            taken = True
    if not taken:
        return False
    try:
        checked = validate(merged)
    except ConfigError as exc:
        print("server config ignored: " + str(exc))
        return False
    for key in ("amount_min", "amount_max", "vendors"):
        cfg[key] = checked[key]
    return True
