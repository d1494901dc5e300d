"""Plain-dict views of stored rows for the audit trail (only fields safe to keep)."""

from typing import Any


def snapshot(row: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of `row`, as JSON-friendly values."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value if value is None or isinstance(value, bool | int | str) else str(value)
    return out
