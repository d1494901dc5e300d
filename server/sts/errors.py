"""The one exception the token engine raises: what was wrong, and what to do about it."""


class StsError(ValueError):
    """A request the STS engine refuses.

    ``str(error)`` is a sentence fit to show a person; ``code`` is a stable machine-readable
    word (``meter_number``, ``amount_range``, ``tid_overflow``, ``key_expired``, ``crc``,
    ``format``, ``not_supported``, ``key``, ``invalid``) for APIs that answer with codes.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code
