"""Free-text fields from people and files: trimmed, bounded, and printable only."""

from server.domain.errors import InvalidInput


def text_field(value: str, what: str, *, max_length: int, required: bool = True) -> str:
    """`value` trimmed, refused (naming `what`) when empty but required, too long, or holding
    control characters (a NUL cannot even be stored by PostgreSQL)."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput("invalid_text", f"{what}: required")
    if len(cleaned) > max_length:
        raise InvalidInput("invalid_text", f"{what}: {max_length} characters at most")
    if not cleaned.isprintable():
        raise InvalidInput("invalid_text", f"{what}: control characters are not allowed")
    return cleaned
