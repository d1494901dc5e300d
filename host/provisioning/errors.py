"""The one exception provisioning raises: a sentence a technician can act on."""


class ProvisioningError(Exception):
    """Something the technician must fix; str() is one line saying what and what to do.

    kind names the failure for reports and tests ("port_missing", "wrong_chip", ...);
    detail, when set, is the underlying reason on its own (the device's error line).
    """

    def __init__(self, kind: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail
