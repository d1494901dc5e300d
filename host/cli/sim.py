"""gridvend sim: the handheld's firmware on this PC (see host/device_sim/README.md)."""

from pathlib import Path

import click


@click.command("sim")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/sim"),
    show_default=True,
    help="The handheld's filesystem: config.json (made on first run, vendor PIN 1234) and journal.",
)
@click.option(
    "--slips",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where printed slips are saved as .png, .txt and .bin [default: ROOT/slips].",
)
@click.option(
    "--keys",
    default=None,
    help="Type these keys instead of reading the keyboard, wait for printing, print the "
    "screen and exit. '~' before a key makes it a long press.",
)
@click.option(
    "--blocks",
    type=click.Choice(["auto", "half", "quadrant"]),
    default="auto",
    show_default=True,
    help="Draw the OLED with half blocks (132+ columns) or quadrant blocks (narrower).",
)
@click.option("--fresh", is_flag=True, help="Start with an empty filesystem (a new device).")
def sim(root: Path, slips: Path | None, keys: str | None, blocks: str, fresh: bool) -> None:
    """Run the handheld's real firmware: keys from the keyboard, the OLED in the terminal,
    each printed slip saved as PNG and text."""
    import shutil

    from host.device_sim import sim as simulator

    if fresh and root.exists():
        shutil.rmtree(root)
    if keys is None:
        saved = simulator.run_interactive(root, slips, blocks)
    else:
        try:
            result = simulator.run_script(root, keys, slips)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--keys") from exc
        click.echo("\n".join(result.screen_lines()))
        saved = result.saver.saved
    for path in saved:
        click.echo(f"slip: {path} (text: {path.with_suffix('.txt')})")
