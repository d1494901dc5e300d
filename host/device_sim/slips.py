"""Each slip the simulated printer finishes, saved as raw bytes, a text preview and a PNG."""

from pathlib import Path

from host.escpos_render import parse, render_png, render_text


class SlipSaver:
    """Takes finished slips from a ThermalPrinter model and writes them to out_dir."""

    def __init__(self, printer, out_dir: Path) -> None:
        self.printer = printer
        self.out_dir = Path(out_dir)
        self.saved: list[Path] = []
        existing = sorted(self.out_dir.glob("slip-*.png"))
        self._next = int(existing[-1].stem.split("-")[1]) + 1 if existing else 1

    def collect(self) -> list[Path]:
        """Save the slips finished since the last call; returns their PNG paths."""
        new = []
        for data in self.printer.take_slips():
            self.out_dir.mkdir(parents=True, exist_ok=True)
            stem = self.out_dir / f"slip-{self._next:03d}"
            self._next += 1
            slip = parse(data)
            stem.with_suffix(".bin").write_bytes(data)
            stem.with_suffix(".txt").write_text(render_text(slip), encoding="utf-8")
            render_png(slip, stem.with_suffix(".png"))
            new.append(stem.with_suffix(".png"))
        self.saved.extend(new)
        return new
