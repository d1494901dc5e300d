"""The link to the server (docs/link-protocol.md).

manager.py     the link manager: owns reconnecting, batching, acknowledgements, and
               one session: MQTT over micropython-lib's umqtt.simple, or HTTP; TLS
bearer.py      the network under it: Wi-Fi, PPP over the GPRS modem, or the host's
envelope.py    seal an uplink, open and check a downlink
canonical.py   the canonical JSON both ends sign; hmac_sha256.py: RFC 2104 HMAC
state.py       uplink numbering and the offline snapshot, on flash
allowance.py   may this sale be taken offline?
this module    config.json's server and link.json, and the link built from them at
               boot (below)
standin.py     a local stand-in server for the simulator and demos (fake tokens)

What the sale service (vend/sales.py) needs from a link, the whole contract. None of
these blocks or raises for network trouble (being offline is normal, not exceptional):

  submit(sale)          queue a journaled sale for the server. `sale` is a dict:
                        {"id": "<device>-<seq>", "meter": str, "amount": int (minor units),
                         "time": int (device seconds), "vendor": str, "off": 0 or 1}.
                        Submitting the same id again is allowed and expected (resend after
                        a reboot or reconnect); the server answers a known id with the
                        same answer, never a second token.
  acknowledge(sale_id)  tell the server the sale is complete on the device (slip printed,
                        or refusal shown), so it can stop re-sending the answer.
  online()              True while the link believes the server is reachable (status
                        screen only; the flow never waits on it).
  poll(), healthy()     main.py calls them every tick (the stand-in answers in poll();
                        healthy() False stops the watchdog being fed).

Optional: offline_room(), lookup(meter), problem (an error code for the status screen).

Answers come back later, on the link's own schedule, as calls on the listener (the sale
service): on_answer(sale_id, answer), on_refused(sale_id, reason: short text for the
vendor's screen), on_acknowledged(sale_id), on_customer(meter, name). `answer` is a dict:

  {"receipt": str, "customer": str or None,
   "tokens": [20-digit str, ...],          credit token(s), entered last
   "key_change": [20-digit str, ...],      key change tokens, entered first (may be empty)
   "kwh_tenths": int,                      energy bought, in 0.1 kWh
   "tax": int, "fixed": int, "debt": int}  deducted, in minor units

vend/sales.py checks that shape (answer_problem) before journaling an answer. A listener
may be called from inside submit() (an answer that is already known) or any time later.

The link's settings:

    config.json  "server": {"host", "port", "topic_prefix"} for MQTT, "url" for HTTP,
                 "tls": true and "ca": "<path of the CA certificate, DER>" for TLS
                 (default "/ca.der"; MQTT's port then defaults to 8883, the URL is https://)
    link.json    {"device_id", "secret": hex, "mqtt": {"user", "password"} | null,
                  "wifi": {"ssid", "password"} | null, "apn": str | null}

link.json holds the secrets, so config.json can be shown without exposing them. Every
problem is a ValueError (LinkSettingsError) saying what to fix: main.py shows it in
safe mode, since selling without a working link would lose sales.
"""

import json

LinkSettingsError = ValueError  # one name for what safe mode shows: no class of its own


def load(root, cfg):
    """{"secret", "mqtt", "http", "wifi", "apn"} for the link manager; ValueError.

    "mqtt" and "http" carry "tls": one ssl.SSLContext for both, checking the server's
    certificate against the CA file (and its name), or None."""
    try:
        with open(root + "/link.json") as f:
            data = json.loads(f.read())
    except OSError:
        raise ValueError("link.json missing: provision the device again") from None
    except ValueError:
        raise ValueError("link.json is not valid JSON") from None
    if not isinstance(data, dict) or data.get("device_id") != cfg["device_id"]:
        raise ValueError("link.json is for another device")
    try:
        secret = bytes.fromhex(data["secret"])
    except (KeyError, TypeError, ValueError):
        secret = b""
    if len(secret) < 16:
        raise ValueError("link.json: secret must be 32+ hex digits")
    server = cfg["server"]
    tls = None
    if server.get("tls"):
        ca = server.get("ca", "/ca.der")
        try:
            with open(root + ca, "rb") as f:
                der = f.read()
        except OSError:
            raise ValueError("server.ca: no CA certificate at " + ca) from None
        import ssl

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.verify_mode = ssl.CERT_REQUIRED
        try:
            tls.load_verify_locations(cadata=der)
        except (OSError, ValueError):  # CPython's ssl.SSLError is an OSError
            raise ValueError("server.ca: " + ca + " is not a DER certificate") from None
    mqtt = None
    login = data.get("mqtt")
    if server.get("host") and isinstance(login, dict):
        mqtt = {
            "host": server["host"],
            "port": server.get("port", 1883 if tls is None else 8883),
            "user": login.get("user") or cfg["device_id"],
            "password": login.get("password", ""),
            "prefix": server.get("topic_prefix", "gridvend"),
            "tls": tls,
        }
    http = None
    url = server.get("url")
    if url:
        scheme = "https://" if tls else "http://"
        if not url.startswith(scheme):
            raise ValueError("server.url must start with " + scheme + " (server.tls)")
        rest = url[len(scheme) :]
        slash = rest.find("/")
        hostport, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:].rstrip("/"))
        colon = hostport.find(":")
        http = {
            "host": hostport if colon < 0 else hostport[:colon],
            "port": (443 if tls else 80) if colon < 0 else int(hostport[colon + 1 :]),
            "path": path + "/api/v1/link",
            "tls": tls,
        }
    if mqtt is None and http is None:
        raise ValueError("config.json names no server (server.host or server.url)")
    return {
        "secret": secret,
        "mqtt": mqtt,
        "http": http,
        "wifi": data.get("wifi"),
        "apn": data.get("apn"),
    }


def open_link(root, cfg, journal):
    """The link manager over the network link.json names (Wi-Fi, GPRS, or the host's own);
    None when config.json names no server (the stand-in answers: simulator, demos).
    Raises ValueError when the server is named but the link settings are wrong."""
    if not cfg["server"]:
        return None
    import board
    import machine
    from journal.fs_os import OsFs

    from link.bearer import Bearer
    from link.manager import LinkManager
    from link.state import LinkState

    settings = load(root, cfg)
    wifi = settings["wifi"]
    if wifi:
        import network

        bearer = Bearer(network.WLAN(network.STA_IF), wifi["ssid"], wifi.get("password", ""))
    elif settings["apn"]:
        import network
        from drivers.modem import Modem

        pin = machine.Pin
        uart = machine.UART(
            board.MODEM_UART_ID,
            baudrate=board.MODEM_BAUD,
            tx=board.MODEM_TX,
            rx=board.MODEM_RX,
            rxbuf=1024,
        )
        pin(board.MODEM_POWER_EN, pin.OUT, value=board.MODEM_POWER_EN_ACTIVE)
        modem = Modem(
            uart,
            pin(board.MODEM_PWRKEY, pin.OUT),
            pin(board.MODEM_RESET, pin.OUT),
            pwrkey_active=board.MODEM_PWRKEY_ACTIVE,
            pwrkey_pulse_ms=board.MODEM_PWRKEY_PULSE_MS,
            reset_active=board.MODEM_RESET_ACTIVE,
            reset_pulse_ms=board.MODEM_RESET_PULSE_MS,
        )
        bearer = Bearer(modem=modem, net=network, uart=uart, apn=settings["apn"])
    else:
        bearer = Bearer()
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
