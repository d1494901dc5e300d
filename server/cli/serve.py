"""`gridvend serve`: run the HTTP API."""

import os

import click

from server.cli.common import clear_errors, console, db_option, open_services
from server.settings import ENV_DB


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (they share the database; PostgreSQL recommended)",
)
@clear_errors
def serve(db_url: str, host: str, port: int, workers: int) -> None:
    """Serve the API under /api/v1 (docs at /docs). Needs the master key
    ($GRIDVEND_MASTER_KEY_FILE): without it the server refuses to start."""
    import uvicorn

    # Check database and master key here, so a problem is one clear line, not a worker crash.
    open_services(db_url, need_keys=True).dispose()
    os.environ[ENV_DB] = db_url
    console.print(f"gridvend API on http://{host}:{port}/api/v1  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "server.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
