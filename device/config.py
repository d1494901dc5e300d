"""The device's config.json: load it, check every field, fill in defaults.

Every problem raises ConfigError naming the field and saying what is wrong, so safe
mode can show the technician exactly what to fix.
"""

import json

LANGUAGES = ("en", "fr", "sw")
CODEPAGES = ("cp437", "cp850", "cp858", "ascii")  # what drivers/charmap.py can print

# Optional fields and their defaults.
DEFAULTS = {
    "language": "en",
    "minor_digits": 2,
    "answer_timeout_s": 30,
    "idle_logout_s": 600,
    "pin_lock_s": 300,
    "printer_codepage": "cp858",
    "server": {},
}
REQUIRED = ("device_id", "utility", "currency", "amount_min", "amount_max", "vendors")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_HEX = "0123456789abcdefABCDEF"


class ConfigError(Exception):
    """config.json is missing or wrong; .field names the field (None: the whole file)."""

    def __init__(self, field, problem):
        super().__init__((field + ": " if field else "") + problem)
        self.field = field
        self.problem = problem


def load(path="/config.json"):
    """Read, check and complete the config file; raises ConfigError."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError(None, "no config file at " + path) from None
    try:
        raw = json.loads(text)
    except ValueError:
        raise ConfigError(None, "config file is not valid JSON") from None
    return validate(raw)


def validate(raw):
    """A checked copy of a config dict with defaults filled in; raises ConfigError."""
    if not isinstance(raw, dict):
        raise ConfigError(None, "config must be a JSON object")
    for key in raw:
        if key not in REQUIRED and key not in DEFAULTS:
            raise ConfigError(key, "unknown field (spelling?)")
    for key in REQUIRED:
        if key not in raw:
            raise ConfigError(key, "missing")
    cfg = {}
    for key in DEFAULTS:
        cfg[key] = raw.get(key, DEFAULTS[key])
    for key in REQUIRED:
        cfg[key] = raw[key]
    _text(cfg["device_id"], "device_id", 1, 16, _ID_CHARS)
    _text(cfg["utility"], "utility", 1, 32)
    _text(cfg["currency"], "currency", 1, 4)
    if cfg["language"] not in LANGUAGES:
        raise ConfigError("language", "must be one of en, fr, sw, not " + repr(cfg["language"]))
    if cfg["printer_codepage"] not in CODEPAGES:
        raise ConfigError(
            "printer_codepage", "must be one of cp437, cp850, cp858, ascii (the printer's table)"
        )
    _int(cfg, "minor_digits", 0, 3)
    _int(cfg, "answer_timeout_s", 5, 600)
    _int(cfg, "idle_logout_s", 30, 86400)
    _int(cfg, "pin_lock_s", 10, 3600)
    # The vendor types whole units, at most 7 digits of them.
    top = 9999999 * 10 ** cfg["minor_digits"]
    _int(cfg, "amount_min", 1, top)
    _int(cfg, "amount_max", 1, top)
    if cfg["amount_min"] > cfg["amount_max"]:
        raise ConfigError("amount_min", "is above amount_max")
    _vendors(cfg["vendors"])
    _server(cfg["server"])
    return cfg


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, field, shortest, longest, allowed=None):
    if not isinstance(value, str):
        raise ConfigError(field, "must be text, not " + repr(value))
    if not shortest <= len(value) <= longest:
        raise ConfigError(field, f"must be {shortest} to {longest} characters, has {len(value)}")
    if allowed is not None:
        for ch in value:
            if ch not in allowed:
                raise ConfigError(field, f"may hold only letters, digits, - and _ (found {ch!r})")


def _int(cfg, key, lowest, highest):
    value = cfg[key]
    if not _is_int(value):
        raise ConfigError(key, "must be a whole number, not " + repr(value))
    if not lowest <= value <= highest:
        raise ConfigError(key, f"must be between {lowest} and {highest}, not {value}")


def _hex(value, field, length=None):
    if not isinstance(value, str) or not value or len(value) % 2:
        raise ConfigError(field, "must be hex text")
    if length is not None and len(value) != length:
        raise ConfigError(field, f"must be {length} hex digits")
    for ch in value:
        if ch not in _HEX:
            raise ConfigError(field, f"must be hex text (found {ch!r})")


def _vendors(vendors):
    if not isinstance(vendors, list) or not vendors:
        raise ConfigError("vendors", "must be a list with at least one vendor")
    seen = []
    for i, vendor in enumerate(vendors):
        where = f"vendors[{i}]"
        if not isinstance(vendor, dict):
            raise ConfigError(where, "must be an object")
        for key in ("id", "name", "salt", "pin_hash"):
            if key not in vendor:
                raise ConfigError(where + "." + key, "missing")
        for key in vendor:
            if key not in ("id", "name", "salt", "pin_hash", "rounds"):
                raise ConfigError(where + "." + key, "unknown field (spelling?)")
        _text(vendor["id"], where + ".id", 1, 16, _ID_CHARS)
        if vendor["id"] in seen:
            raise ConfigError(where + ".id", "repeats vendor id " + vendor["id"])
        seen.append(vendor["id"])
        _text(vendor["name"], where + ".name", 1, 24)
        _hex(vendor["salt"], where + ".salt")
        if len(vendor["salt"]) < 16:
            raise ConfigError(where + ".salt", "must be at least 8 bytes (16 hex digits)")
        _hex(vendor["pin_hash"], where + ".pin_hash", 64)
        rounds = vendor.get("rounds", 16)
        if not _is_int(rounds) or not 1 <= rounds <= 100000:
            raise ConfigError(where + ".rounds", "must be a whole number from 1 to 100000")


def _server(server):
    # Placeholder until the link lands: only the shape is checked.
    if not isinstance(server, dict):
        raise ConfigError("server", "must be an object")
    for key in server:
        value = server[key]
        if key in ("host", "topic_prefix", "url"):
            right = isinstance(value, str)
        elif key == "port":
            right = _is_int(value)
        elif key == "tls":
            right = isinstance(value, bool)
        else:
            raise ConfigError("server." + key, "unknown field (spelling?)")
        if not right:
            raise ConfigError("server." + key, "has the wrong type")
