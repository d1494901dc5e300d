"""Fixtures for the operator pages: demo data on SQLite, the app, HTTP clients per role."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.web.settings import WebSettings
from tests.server.conftest import FakeClock
from tests.web import world as demo_world
from tests.web.browsing import log_in

NOW = datetime(2025, 3, 14, 9, 26, 5, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> demo_world.Template:
    """The demo data as it was set up the day before the tests' `clock`."""
    return demo_world.build_template(
        tmp_path_factory.mktemp("web-template"), FakeClock(NOW - timedelta(days=1))
    )


@pytest.fixture
def world(template, tmp_path, clock) -> Iterator[demo_world.World]:
    built = demo_world.copy_of(template, tmp_path, clock)
    yield built
    built.ctx.dispose()


@pytest.fixture
def settings() -> WebSettings:
    return WebSettings()


@pytest.fixture
def app(world, settings) -> FastAPI:
    application = create_app(world.ctx)
    application.state.web_settings = settings
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as anonymous:
        yield anonymous


@pytest.fixture
def as_admin(client) -> TestClient:
    return log_in(client, "admin")


@pytest.fixture
def as_role(app):
    """A logged-in client for any operator of the world: as_role('cara')."""
    opened: list[TestClient] = []

    def open_as(username: str) -> TestClient:
        session = TestClient(app, base_url="http://testserver")
        opened.append(session)
        return log_in(session, username)

    yield open_as
    for session in opened:
        session.close()
