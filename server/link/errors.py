"""Why the server refused a message: a stable code, and a short text a handheld can show.

The texts fit the handheld's 21-column screen; the device may translate a code it knows
and shows the text for one it does not.
"""

# code -> text for the vendor's screen
TEXTS = {
    "malformed": "message unreadable",
    "too_large": "message too large",
    "unknown_device": "device not registered",
    "no_secret": "device not provisioned",
    "bad_mac": "signature wrong",
    "device_disabled": "device disabled",
    "replayed": "message repeated",
    "wrong_topic": "wrong MQTT topic",
    "unknown_type": "unknown message",
    "bad_body": "message field wrong",
    "server_busy": "server busy: later",
}
# Codes after which resending the same thing can work: the device keeps its sale pending.
TRANSIENT = {"server_busy", "replayed"}


class LinkError(Exception):
    """A message the server will not act on. `detail` is for logs, never for the device."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in TEXTS:
            raise ValueError(f"unknown link error code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def text(self) -> str:
        """What the handheld shows."""
        return TEXTS[self.code]
