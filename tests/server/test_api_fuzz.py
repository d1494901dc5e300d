"""Fuzzing every operation of the OpenAPI schema (schemathesis): no input may cause a 500.

Runs as an operator with every permission, so requests reach the services and the database;
valid and invalid data are both generated. GRIDVEND_FUZZ_EXAMPLES raises the example count.
(Schemathesis's own pytest plugin does not work with pytest 9, so operations are
parametrized here and each one is driven through Hypothesis directly.)
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from server.api.app import create_app
from server.domain.roles import Role
from server.services import operators
from tests.server import world

EXAMPLES = int(os.environ.get("GRIDVEND_FUZZ_EXAMPLES", "25"))


def _labels() -> list[str]:
    # The schema does not depend on the database: an app without one lists the operations.
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(None))  # type: ignore[arg-type]
    return [op.ok().label for op in schema.get_all_operations()]


@pytest.fixture
def fuzz_app(ctx, admin):
    world.build(ctx, admin)
    operators.create_operator(
        ctx, admin, username="fuzz", password="fuzz password", role=Role.ADMIN
    )
    token, _, _ = operators.log_in(ctx, "fuzz", "fuzz password")
    app = create_app(ctx)
    return app, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("label", _labels())
def test_no_request_makes_the_server_fail(label, fuzz_app):
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.body!r} -> {response.status_code}: "
            f"{response.text[:300]}"
        )
        if response.status_code >= 400:
            body = response.json()
            assert {"code", "message"} <= set(body), body

    check()
