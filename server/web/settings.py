"""Settings of the operator pages, read from the environment once per app."""

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ENV_ADMIN_TOTP = "GRIDVEND_ADMIN_TOTP"  # "required": admins must log in with a TOTP code
ENV_FLOAT_ALERT = "GRIDVEND_FLOAT_ALERT"  # vendors with less available float are listed
ENV_SILENT_MINUTES = "GRIDVEND_DEVICE_SILENT_MINUTES"  # handhelds quiet this long are listed


@dataclass(frozen=True)
class WebSettings:
    """What the pages need to know that is not in the database."""

    admin_totp_required: bool = False
    float_alert: Decimal = Decimal("100")
    silent_after_minutes: int = 60

    @classmethod
    def from_environment(cls) -> "WebSettings":
        """Settings from $GRIDVEND_ADMIN_TOTP, $GRIDVEND_FLOAT_ALERT and
        $GRIDVEND_DEVICE_SILENT_MINUTES; a malformed value is an error naming the variable."""
        required = os.environ.get(ENV_ADMIN_TOTP, "").strip().lower()
        if required not in ("", "required", "optional"):
            raise ValueError(f"{ENV_ADMIN_TOTP}={required!r}: expected required or optional")
        try:
            alert = Decimal(os.environ.get(ENV_FLOAT_ALERT, "100").strip())
        except InvalidOperation:
            raise ValueError(f"{ENV_FLOAT_ALERT}: expected an amount such as 100.00") from None
        minutes = os.environ.get(ENV_SILENT_MINUTES, "60").strip()
        if not minutes.isdigit() or int(minutes) < 1:
            raise ValueError(f"{ENV_SILENT_MINUTES}: expected a whole number of minutes")
        return cls(
            admin_totp_required=required == "required",
            float_alert=alert,
            silent_after_minutes=int(minutes),
        )
