"""Bar charts as plain geometry for an inline SVG template: no chart library, no script,
and they print as sharply as the text around them.

`column_chart` lays out one column per point (sales per day); `row_chart` one bar per
labelled row (sales per vendor). The template (templates/_charts.html) draws the shapes;
labels go through Jinja's autoescaping like every other value.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from server.web.rendering import money


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under (column) or beside (row) the bar; empty to leave it out
    value: str  # the value, formatted
    tip: str  # shown on hover and read by screen readers


@dataclass(frozen=True)
class GridLine:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    kind: str  # "columns" or "rows"
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    grid: tuple[GridLine, ...]
    plot_left: float
    plot_top: float
    plot_right: float
    plot_bottom: float

    @property
    def empty(self) -> bool:
        """True when there is nothing to draw (no points, or every value zero)."""
        if self.kind == "columns":
            return not any(bar.height > 0 for bar in self.bars)
        return not any(bar.width > 0 for bar in self.bars)


def nice_step(top: Decimal, lines: int = 4) -> Decimal:
    """A round grid step (1, 2 or 5 times a power of ten) giving about `lines` lines."""
    if top <= 0:
        return Decimal(1)
    raw = top / lines
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = power * factor
        if step >= raw:
            return step
    return power * 10


def _scale(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """The grid step and the axis top: the smallest multiple of the step at or above every
    value (and at least one step)."""
    top = max(values, default=Decimal(0))
    step = nice_step(top)
    steps = max(1, int((top / step).to_integral_value(rounding=ROUND_CEILING)))
    return step, step * steps


def _tick_label(value: Decimal) -> str:
    whole = value.quantize(Decimal(1))
    return money(whole if value == whole else value.normalize())


def column_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    unit: str = "",
    width: int = 720,
    height: int = 240,
    label_every: int = 1,
) -> Chart:
    """One column per (label, value), left to right; every `label_every`-th label shown."""
    left, top, right, bottom = 64.0, 12.0, width - 8.0, height - 28.0
    values = [v for _, v in points]
    step, ceiling = _scale(values)
    grid = tuple(
        GridLine(bottom - float(step * i / ceiling) * (bottom - top), _tick_label(step * i))
        for i in range(int(ceiling / step) + 1)
    )
    slot = (right - left) / max(1, len(points))
    bars = []
    for n, (label, value) in enumerate(points):
        h = float(value / ceiling) * (bottom - top) if ceiling else 0.0
        bars.append(
            Bar(
                x=left + n * slot + slot * 0.1,
                y=bottom - h,
                width=slot * 0.8,
                height=h,
                label=label if n % label_every == 0 else "",
                value=money(value),
                tip=f"{label}: {money(value)} {unit}".strip(),
            )
        )
    return Chart("columns", title, width, height, tuple(bars), grid, left, top, right, bottom)


def row_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    unit: str = "",
    width: int = 720,
    row_height: int = 26,
) -> Chart:
    """One horizontal bar per (label, value), top to bottom, the label at the left."""
    left, top, right = 140.0, 8.0, width - 96.0
    height = int(top + row_height * max(1, len(points)) + 24)
    bottom = height - 24.0
    values = [v for _, v in points]
    step, ceiling = _scale(values)
    grid = tuple(
        GridLine(left + float(step * i / ceiling) * (right - left), _tick_label(step * i))
        for i in range(int(ceiling / step) + 1)
    )
    bars = []
    for n, (label, value) in enumerate(points):
        w = float(value / ceiling) * (right - left) if ceiling else 0.0
        bars.append(
            Bar(
                x=left,
                y=top + n * row_height + row_height * 0.15,
                width=w,
                height=row_height * 0.7,
                label=label,
                value=money(value),
                tip=f"{label}: {money(value)} {unit}".strip(),
            )
        )
    return Chart("rows", title, width, height, tuple(bars), grid, left, top, right, bottom)
