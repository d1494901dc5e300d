"""Wiring a process: database engine, installation settings, security module, clock."""

from collections.abc import Callable
from datetime import datetime

from server.domain.errors import Unavailable
from server.domain.money import Currency
from server.security.master_key import load_master_key
from server.security.software_module import SoftwareSecurityModule
from server.services.context import ServiceContext, utc_now
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import current_revision, head_revision
from server.storage.unit_of_work import UnitOfWork


def open_context(
    url: str,
    *,
    master_key: bytes | None = None,
    need_keys: bool = False,
    clock: Callable[[], datetime] = utc_now,
    check_schema: bool = True,
    **engine_options: object,
) -> ServiceContext:
    """A ServiceContext on the database at `url`.

    With `need_keys`, the master key comes from the environment when not given, and a missing
    or mismatched one is an error (the server refuses to start without it).
    """
    if check_schema:
        _check_schema(url)
    engine = make_engine(url, **engine_options)
    session_factory = make_session_factory(engine)
    with UnitOfWork(session_factory, {}) as uow:
        installation = uow.installation.get()
        if installation is None:
            engine.dispose()
            raise Unavailable(
                "not_initialised", "the database is not set up: run `gridvend db upgrade`"
            )
        currency = Currency(installation.currency, installation.minor_unit)
        timezone = installation.timezone
        security = None
        if need_keys or master_key is not None:
            security = SoftwareSecurityModule(master_key or load_master_key())
            try:
                check = security.check_master_key(installation.master_key_check)
            except Unavailable:
                engine.dispose()
                raise
            if installation.master_key_check is None:
                installation.master_key_check = check
                uow.commit()
    return ServiceContext(
        engine,
        session_factory,
        currency=currency,
        timezone=timezone,
        security=security,
        clock=clock,
    )


def _check_schema(url: str) -> None:
    current, head = current_revision(url), head_revision()
    if current != head:
        raise Unavailable(
            "schema_outdated",
            f"the database schema is at {current or 'nothing'}, this program needs {head}: "
            "run `gridvend db upgrade`",
        )
