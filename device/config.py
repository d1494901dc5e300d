"""The device's config.json: load it, check every field, fill in defaults.

Every problem raises ConfigError naming the field and saying what is wrong, so safe
mode can show the technician exactly what to fix. Plain Python importing only json:
host/provisioning runs validate() on the host too (firmware_rules.py).

Optional fields and their defaults: language "en", minor_digits 2, answer_timeout_s 30,
idle_logout_s 600, pin_lock_s 300, printer_codepage "cp858" (what drivers/__init__.py can
print: cp437, cp850, cp858, ascii), server {} (link/__init__.py), seq_floor 0 (the
highest sale number the server has recorded for this device: a re-flashed handheld
numbers its sales above it, journal/journal.py).
"""

import json


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
    # Lists, not tuples, of names: a tuple constant holds its strings on the heap.
    required = ["device_id", "utility", "currency", "amount_min", "amount_max", "vendors"]
    cfg = {
        "language": "en",
        "minor_digits": 2,
        "answer_timeout_s": 30,
        "idle_logout_s": 600,
        "pin_lock_s": 300,
        "printer_codepage": "cp858",
        "server": {},
        "seq_floor": 0,
    }
    for key in raw:
        if key not in required and key not in cfg:
            raise ConfigError(key, "unknown field (spelling?)")
    for key in required:
        if key not in raw:
            raise ConfigError(key, "missing")
    for key in raw:
        cfg[key] = raw[key]
    _text(cfg["device_id"], "device_id", 1, 16, True)
    _text(cfg["utility"], "utility", 1, 32)
    _text(cfg["currency"], "currency", 1, 4)
    if cfg["language"] not in ["en", "fr", "sw"]:
        raise ConfigError("language", "must be one of en, fr, sw, not " + repr(cfg["language"]))
    if cfg["printer_codepage"] not in ["cp437", "cp850", "cp858", "ascii"]:
        raise ConfigError(
            "printer_codepage", "must be one of cp437, cp850, cp858, ascii (the printer's table)"
        )
    _int(cfg, "minor_digits", 0, 3)
    _int(cfg, "answer_timeout_s", 5, 600)
    _int(cfg, "idle_logout_s", 30, 86400)
    _int(cfg, "pin_lock_s", 10, 3600)
    _int(cfg, "seq_floor", 0, 999999999)
    # The vendor types whole units, at most 7 digits of them.
    top = 9999999 * 10 ** cfg["minor_digits"]
    _int(cfg, "amount_min", 1, top)
    _int(cfg, "amount_max", 1, top)
    if cfg["amount_min"] > cfg["amount_max"]:
        raise ConfigError("amount_min", "is above amount_max")
    vendors = cfg["vendors"]
    if not isinstance(vendors, list) or not vendors:
        raise ConfigError("vendors", "must be a list with at least one vendor")
    seen = []
    for i, vendor in enumerate(vendors):
        where = f"vendors[{i}]"
        if not isinstance(vendor, dict):
            raise ConfigError(where, "must be an object")
        fields = ["id", "name", "salt", "pin_hash", "rounds"]
        for key in fields[:4]:
            if key not in vendor:
                raise ConfigError(where + "." + key, "missing")
        for key in vendor:
            if key not in fields:
                raise ConfigError(where + "." + key, "unknown field (spelling?)")
        _text(vendor["id"], where + ".id", 1, 16, True)
        if vendor["id"] in seen:
            raise ConfigError(where + ".id", "repeats vendor id " + vendor["id"])
        seen.append(vendor["id"])
        _text(vendor["name"], where + ".name", 1, 24)
        for key in ["salt", "pin_hash"]:
            value = vendor[key]
            field = where + "." + key
            ok = isinstance(value, str) and value and not len(value) % 2
            for ch in value if ok else "":
                if not ("0" <= ch <= "9" or "a" <= ch <= "f" or "A" <= ch <= "F"):
                    ok = False
            if not ok:
                raise ConfigError(field, "must be hex text (an even number of 0-9, a-f)")
        if len(vendor["salt"]) < 16:
            raise ConfigError(where + ".salt", "must be at least 8 bytes (16 hex digits)")
        if len(vendor["pin_hash"]) != 64:
            raise ConfigError(where + ".pin_hash", "must be 64 hex digits")
        rounds = vendor.get("rounds", 16)
        if type(rounds) is not int or not 1 <= rounds <= 100000:
            raise ConfigError(where + ".rounds", "must be a whole number from 1 to 100000")
    server = cfg["server"]
    if not isinstance(server, dict):
        raise ConfigError("server", "must be an object")
    for key in server:
        value = server[key]
        if key in ["host", "topic_prefix", "url", "ca"]:
            right = isinstance(value, str)
        elif key == "port":
            right = type(value) is int and 0 < value < 65536
        elif key == "tls":
            right = isinstance(value, bool)
        else:
            raise ConfigError("server." + key, "unknown field (spelling?)")
        if not right:
            raise ConfigError("server." + key, "has the wrong type")
    return cfg


def _text(value, field, shortest, longest, is_id=False):
    if not isinstance(value, str):
        raise ConfigError(field, "must be text, not " + repr(value))
    if not shortest <= len(value) <= longest:
        raise ConfigError(field, f"must be {shortest} to {longest} characters, has {len(value)}")
    if is_id:
        for ch in value:
            if not (ch.isalpha() or ch.isdigit() or ch == "-" or ch == "_") or ch > "z":
                raise ConfigError(field, f"may hold only letters, digits, - and _ (found {ch!r})")


def _int(cfg, key, lowest, highest):
    value = cfg[key]
    if type(value) is not int:  # not a bool either
        raise ConfigError(key, "must be a whole number, not " + repr(value))
    if not lowest <= value <= highest:
        raise ConfigError(key, f"must be between {lowest} and {highest}, not {value}")


def apply_server_config(cfg, body):
    """Take the limits and vendors the server sent into cfg, but only if validate() accepts
    the config they make: a wrong value from the server changes nothing. True if taken."""
    merged = {}
    for key in cfg:
        if key != "firmware":  # set by main.py, not a config.json field
            merged[key] = cfg[key]
    taken = False
    for key in ["amount_min", "amount_max", "vendors"]:
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
    for key in ["amount_min", "amount_max", "vendors"]:
        cfg[key] = checked[key]
    return True
