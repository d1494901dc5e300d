"""`gridvend serve`: run the HTTP API."""

import os
from pathlib import Path

import click

from server.cli.common import clear_errors, console, db_option, open_services
from server.cli.pruning import prune_options, start_pruner
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
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="HTTPS: the server certificate (PEM; server.pem of `gridvend broker certs`)",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="HTTPS: its private key (PEM)",
)
@prune_options
@clear_errors
def serve(
    db_url: str,
    host: str,
    port: int,
    workers: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    prune_every: float,
    keep_days: float,
) -> None:
    """Serve the API under /api/v1 (docs at /docs). Needs the master key
    ($GRIDVEND_MASTER_KEY_FILE): without it the server refuses to start. With --tls-cert
    and --tls-key it serves HTTPS. Prunes the device link's message log every --prune-every
    hours (`gridvend link prune`)."""
    import uvicorn

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("HTTPS needs both --tls-cert and --tls-key")
    # Check database and master key here, so a problem is one clear line, not a worker crash.
    ctx = open_services(db_url, need_keys=True)
    pruner = start_pruner(ctx, prune_every, keep_days)
    if pruner is None:
        ctx.dispose()
    os.environ[ENV_DB] = db_url
    scheme = "https" if tls_cert is not None else "http"
    base = f"{scheme}://{host}:{port}"
    console.print(f"gridvend API on {base}/api/v1  (docs: {base}/docs)")
    try:
        uvicorn.run(
            "server.api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            ssl_certfile=str(tls_cert) if tls_cert is not None else None,
            ssl_keyfile=str(tls_key) if tls_key is not None else None,
        )
    finally:
        if pruner is not None:
            pruner.stop()
            ctx.dispose()
