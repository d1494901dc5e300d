"""Numeric entry from the keypad: digits append, * deletes, # submits.

A long press of * clears everything. Other keys (A-D) are left to the caller. The
digits live in a preallocated buffer so typing allocates nothing.
"""

IGNORED = 0  # not an entry key: the caller decides what it means
CHANGED = 1  # the digits changed: redraw
SUBMIT = 2  # # pressed: the caller checks the digits
FULL = 3  # a digit was refused: already at the maximum length
EMPTY = 4  # * pressed with nothing to delete


class Entry:
    """Up to max_len digits typed on the keypad."""

    def __init__(self, max_len):
        self.max_len = max_len
        self._buf = bytearray(max_len)
        self._len = 0

    def key(self, key, is_long=False):
        """Apply one key event; returns IGNORED, CHANGED, SUBMIT, FULL or EMPTY."""
        if "0" <= key <= "9":
            if self._len >= self.max_len:
                return FULL
            self._buf[self._len] = ord(key)
            self._len += 1
            return CHANGED
        if key == "*":
            if self._len == 0:
                return EMPTY
            self._len = 0 if is_long else self._len - 1
            return CHANGED
        if key == "#":
            return SUBMIT
        return IGNORED

    def clear(self):
        """Forget everything typed."""
        self._len = 0

    def set(self, digits):
        """Start from the given digits (cut to max_len), e.g. to correct a typo."""
        digits = digits[: self.max_len]
        for i, ch in enumerate(digits):
            self._buf[i] = ord(ch)
        self._len = len(digits)

    def __len__(self):
        return self._len

    def text(self):
        """The digits typed so far, as a str."""
        return bytes(self._buf[: self._len]).decode()
