"""The data the page tests work on: `make run`'s demo data (a supply group with two key
revisions, a block tariff, three customers, four meters, two vendors, an admin) plus one
operator of each other role."""

import secrets
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from server import demo
from server.bootstrap import open_context
from server.domain.money import Currency
from server.domain.roles import Role
from server.services import operators
from server.services.context import ServiceContext
from server.services.installation import initialise
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import upgrade
from server.storage.unit_of_work import UnitOfWork

PASSWORDS = {
    "admin": demo.ADMIN_PASSWORD,
    "sam": "supervisor-password",
    "cara": "cashier-password",
    "otto": "auditor-password",
}
ROLES = {"sam": Role.SUPERVISOR, "cara": Role.CASHIER, "otto": Role.AUDITOR}
METER = demo.pan(1)  # Amina Okafor, holds KRN 2 on base 2014
METER_OWING = demo.pan(2)  # Kofi Mensah, owes arrears
METER_1993 = demo.pan(4)  # still on KRN 1, base 1993: key change tokens first


@dataclass
class World:
    ctx: ServiceContext
    url: str


@dataclass(frozen=True)
class Template:
    """A database file holding the demo data, and the master key its vending keys are
    sealed with: copied for each test, so no test sees another's changes."""

    path: Path
    master_key: bytes


def build_template(folder: Path, clock: Callable[[], datetime]) -> Template:
    """The demo data and one operator per role, in a SQLite file in `folder`, made at the
    times `clock` gives."""
    path = folder / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine), {}) as uow:
        initialise(uow, Currency.of("USD"))
        uow.commit()
    engine.dispose()
    master_key = secrets.token_bytes(32)
    ctx = open_context(url, master_key=master_key, clock=clock)
    try:
        demo.load_demo_data(ctx)
        for username, role in ROLES.items():
            operators.create_operator(
                ctx, demo.SYSTEM, username=username, password=PASSWORDS[username], role=role
            )
    finally:
        ctx.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL in: one file to copy
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    return Template(path, master_key)


def copy_of(template: Template, folder: Path, clock: Callable[[], datetime]) -> World:
    """A private copy of the template database, opened with `clock`."""
    path = folder / "gridvend.db"
    shutil.copyfile(template.path, path)
    url = f"sqlite:///{path}"
    return World(open_context(url, master_key=template.master_key, clock=clock), url)
