"""`make run`'s demo data: created once, reused on the next run, and it sells."""

import pytest

from server import demo
from server.bootstrap import open_context
from server.services.operators import actor_for_api_key
from server.services.vending import VendRequest, vend


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("GRIDVEND_MASTER_KEY", raising=False)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY_FILE", "")


def test_the_demo_is_prepared_once_and_its_pos_key_sells(tmp_path, clean_env):
    url, key_path, api_key = demo.prepare(tmp_path / "demo")
    again = demo.prepare(tmp_path / "demo")
    assert again == (url, key_path, api_key)
    assert "DEMO" in key_path.name
    ctx = open_context(url, need_keys=True)
    try:
        pos = actor_for_api_key(ctx, api_key)
        receipt = vend(ctx, pos, VendRequest("demo-1", demo.pan(4), 2000))
        # the 1993 meter: two key change tokens, then the credit
        assert [t.token_class for t in receipt.tokens] == [2, 2, 0]
    finally:
        ctx.dispose()
