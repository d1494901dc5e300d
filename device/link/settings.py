"""The link's settings: config.json's "server" and link.json (host/provisioning writes both).

    config.json  "server": {"host", "port", "tls", "topic_prefix"} for MQTT, "url" for HTTP
    link.json    {"device_id", "secret": hex, "mqtt": {"user", "password"} | null,
                  "wifi": {"ssid", "password"} | null, "apn": str | null}

link.json holds the secrets, so config.json can be shown without exposing them.
"""

import json


class LinkSettingsError(ValueError):
    """link.json is missing, unreadable or does not match config.json."""


def load(root, cfg):
    """{"secret", "mqtt", "http", "wifi", "apn"} for the link manager; LinkSettingsError."""
    try:
        with open(root + "/link.json") as f:
            data = json.loads(f.read())
    except OSError:
        raise LinkSettingsError("link.json missing: provision the device again") from None
    except ValueError:
        raise LinkSettingsError("link.json is not valid JSON") from None
    if not isinstance(data, dict) or data.get("device_id") != cfg["device_id"]:
        raise LinkSettingsError("link.json is for another device")
    try:
        secret = bytes.fromhex(data["secret"])
    except (KeyError, TypeError, ValueError):
        secret = b""
    if len(secret) < 16:
        raise LinkSettingsError("link.json: secret must be 32+ hex digits")
    server = cfg["server"]
    mqtt = None
    login = data.get("mqtt")
    if server.get("host") and isinstance(login, dict):
        if server.get("tls"):
            raise LinkSettingsError("MQTT over TLS is not supported yet: use mqtt://")
        mqtt = {
            "host": server["host"],
            "port": server.get("port", 1883),
            "user": login.get("user") or cfg["device_id"],
            "password": login.get("password", ""),
            "prefix": server.get("topic_prefix", "gridvend"),
        }
    http = _http(server.get("url"))
    if mqtt is None and http is None:
        raise LinkSettingsError("config.json names no server (server.host or server.url)")
    return {
        "secret": secret,
        "mqtt": mqtt,
        "http": http,
        "wifi": data.get("wifi"),
        "apn": data.get("apn"),
    }


def _http(url):
    if not url:
        return None
    if not url.startswith("http://"):
        raise LinkSettingsError("server.url: only http:// for now")
    rest = url[7:]
    slash = rest.find("/")
    hostport, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:].rstrip("/"))
    colon = hostport.find(":")
    if colon < 0:
        return {"host": hostport, "port": 80, "path": path + "/api/v1/link"}
    return {
        "host": hostport[:colon],
        "port": int(hostport[colon + 1 :]),
        "path": path + "/api/v1/link",
    }
