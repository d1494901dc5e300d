"""The PC keyboard as the handheld's keypad.

0-9, * and # are themselves; a-d (or A-D) are A-D; Enter is # (enter) and Backspace is *
(delete), as on the keypad. "l" (or "~") before a key makes it a long press. p loads or
removes the paper, q quits.
"""

KEYPAD = "0123456789*#ABCD"
ALIASES = {"\r": "#", "\n": "#", "\x7f": "*", "\x08": "*"}
LONG_PREFIXES = ("l", "L", "~")
COMMANDS = {"p": "paper", "P": "paper", "q": "quit", "Q": "quit", "\x03": "quit", "\x04": "quit"}
HELP = "keys: 0-9 * # a-d  Enter=#  Backspace=*  l+key=long press  p=paper in/out  q=quit"


class KeyReader:
    """Turns typed characters into ("key", key, is_long) or ("command", name) actions."""

    def __init__(self) -> None:
        self._long = False

    def feed(self, char: str) -> tuple | None:
        """The action for one typed character, or None (a prefix, or a key with no meaning)."""
        if char in LONG_PREFIXES and not self._long:
            self._long = True
            return None
        key = ALIASES.get(char, char.upper())
        if key in KEYPAD:
            action = ("key", key, self._long)
            self._long = False
            return action
        self._long = False
        if char in COMMANDS:
            return ("command", COMMANDS[char])
        return None


def parse_script(text: str) -> list[tuple[str, bool]]:
    """A scripted key sequence ("~" or "l" before a key: long press) as (key, is_long)."""
    reader = KeyReader()
    keys = []
    for char in text:
        action = reader.feed(char)
        if action is not None and action[0] == "key":
            keys.append((action[1], action[2]))
        elif action is None and char not in LONG_PREFIXES and not char.isspace():
            raise ValueError(f"{char!r} is not a keypad key (use 0-9 * # A-D, ~ for a long press)")
    return keys
