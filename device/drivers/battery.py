"""Battery voltage through a resistor divider on an ADC pin, and the charge left.

The percentage comes from a resting Li-ion cell's voltage curve (per cell, so a 2S pack
passes cells=2). Under load the voltage sags, so the figure reads low while printing;
callers that care sample when idle.
"""

# Millivolts per cell and percent, in pairs, rising. A typical 18650 at rest; good to
# about 5 %. One flat tuple of ints: a tuple of pairs would be 13 objects on the heap.
CURVE = (
    3300, 0,
    3500, 5,
    3600, 10,
    3680, 20,
    3740, 30,
    3780, 40,
    3820, 50,
    3870, 60,
    3930, 70,
    4000, 80,
    4080, 90,
    4200, 100,
)  # fmt: skip


class Battery:
    """adc: a machine.ADC with read_uv(); divider: pack voltage / pin voltage."""

    def __init__(self, adc, divider, cells=1, samples=16):
        self.adc = adc
        self.divider = divider
        self.cells = cells
        self.samples = samples

    def millivolts(self):
        """Pack voltage in mV, averaged over `samples` readings (the ADC is noisy)."""
        total = 0
        for _ in range(self.samples):
            total += self.adc.read_uv()
        return int(total * self.divider / self.samples / 1000 + 0.5)

    def percent(self, millivolts=None):
        """Charge left, 0-100, read from CURVE (interpolated between its points)."""
        if millivolts is None:
            millivolts = self.millivolts()
        cell = millivolts // self.cells
        if cell <= CURVE[0]:
            return 0
        for i in range(2, len(CURVE), 2):
            high_mv = CURVE[i]
            if cell <= high_mv:
                low_mv = CURVE[i - 2]
                low_pct = CURVE[i - 1]
                return low_pct + (cell - low_mv) * (CURVE[i + 1] - low_pct) // (high_mv - low_mv)
        return 100
