"""The electrical model of a 4x4 membrane keypad (no diodes) on fake Pins.

Each row wire and column wire is a net; a pressed key joins its row and column. A pin
reads its net: low if any pin on the net drives it low, high if one drives it high, else
the board's pull-up on the columns (or the pin's own pull). So three keys at the corners
of a rectangle light the fourth (ghosting), and a firmware that drives idle rows high
while another row is low shorts them through two keys of one column: `shorts` counts it.
"""


class KeyMatrix:
    """press()/release() keys; the firmware's Pins read the result."""

    def __init__(
        self, row_pins, col_pins, layout: str = "123A456B789C*0#D", col_pullups: bool = True
    ) -> None:
        if len(layout) != len(row_pins) * len(col_pins):
            raise ValueError("layout does not match the matrix")
        self.rows = list(row_pins)
        self.cols = list(col_pins)
        self.layout = layout
        self.col_pullups = col_pullups
        self.down: set[str] = set()
        self.shorts = 0
        for pin in self.rows + self.cols:
            pin.connect(lambda pin=pin: self._level(pin))

    def press(self, *keys: str) -> None:
        for key in keys:
            if key not in self.layout:
                raise ValueError(f"no key {key!r} on this keypad")
            self.down.add(key)

    def release(self, *keys: str) -> None:
        for key in keys or tuple(self.down):
            self.down.discard(key)

    def _groups(self) -> list[int]:
        """Net id -> group id, nets joined through pressed keys (rows first, then columns)."""
        nrows = len(self.rows)
        parent = list(range(nrows + len(self.cols)))

        def find(net: int) -> int:
            while parent[net] != net:
                net = parent[net]
            return net

        for key in self.down:
            row, col = divmod(self.layout.index(key), len(self.cols))
            parent[find(row)] = find(nrows + col)
        return [find(net) for net in range(len(parent))]

    def _level(self, pin) -> int | None:
        groups = self._groups()
        pins = self.rows + self.cols
        group = groups[pins.index(pin)]
        members = [p for p, g in zip(pins, groups, strict=True) if g == group]
        levels = {p.driven_level() for p in members} - {None}
        if levels == {0, 1}:
            self.shorts += 1
            return 0  # the low side usually wins through the series resistor; a fault either way
        if levels:
            return levels.pop()
        if self.col_pullups and any(p in self.cols for p in members):
            return 1
        return None
