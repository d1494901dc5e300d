"""Power cut on the handheld at every flash write of a sale and its sync, end to end.

The handheld's flash (journal and link state on littlefs, tests/device/powercut_fs.py)
loses power after N program/erase operations, for every N the scenario makes: an online
sale, then an offline sale synced when the link returns. The handheld reboots on what the
flash holds and carries on; at the end, on the real server behind a real Mosquitto:
- every sale that reached the flash was issued exactly once, and every token printed on
  the handheld, before or after the cut, is the server's token for that sale;
- no sale the flash lost was issued (a sale is journaled before it is sent);
- the books balance.
"""

import asyncio

import pytest
from journal import records as R

from host.device_sim.fakes.socket import network
from tests.device.powercut_fs import PowerCut, blank_image, mount
from tests.link.e2e import LinkWorld
from tests.link.handhelds import SimHandheld, quick_timeouts, wait_for

DEVICES = 170  # one fresh handheld per cut point (its sale ids start at 1 again)
ALLOWANCE = 1_000


@pytest.fixture(scope="module")
def linkworld(sqlite_template, tmp_path_factory):
    import secrets
    import shutil

    from server.domain.roles import Role
    from server.services.context import Actor

    path = tmp_path_factory.mktemp("powercut") / "gridvend.db"
    shutil.copyfile(sqlite_template, path)
    admin = Actor(kind="cli", name="test-admin", role=Role.ADMIN)
    names = [f"PC{n:03d}" for n in range(DEVICES)]
    made = LinkWorld.build(f"sqlite:///{path}", secrets.token_bytes(32), admin, names,
                           allowance=ALLOWANCE)  # fmt: skip
    made.start_server()
    yield made
    made.close()


def formatted_flash() -> bytearray:
    image = blank_image()
    mount(image)
    return image


async def vendor_morning(hh: SimHandheld, meters: list[str], dead) -> None:
    """An online sale, then an offline one synced later; stops when the flash dies."""

    async def until(predicate, what):
        await wait_for(lambda: dead() or predicate(), 15, what)

    hh.start()
    await until(lambda: hh.link.offline_room() > 0, "the allowance")
    try:
        hh.sell(meters[0], 500)
    except PowerCut:
        return
    await until(lambda: not hh.unfinished(), "the online sale done")
    if dead():
        return
    await hh.stop()
    network.down = True
    try:
        hh.sell(meters[1], 300)
    except PowerCut:
        return
    finally:
        network.down = False
    hh.start()
    await until(lambda: not hh.unfinished(), "the offline sale synced")


async def after_reboot(hh: SimHandheld) -> None:
    """The vendor opens the pending list: slips still to print are printed, refusals seen."""
    for seq in hh.journal.open_sales():
        state = hh.journal.state(seq)
        if state == R.ANSWERED and hh.journal.refused(seq):
            hh.on_sale_refused(seq)
        elif state == R.ANSWERED:
            hh.on_sale_answered(seq)
    hh.start()
    await wait_for(lambda: not hh.unfinished(), 30, "every sale finished after the reboot")
    for seq in hh.journal.open_sales():  # answered while we were waiting, printed above
        assert hh.journal.state(seq) >= R.ANSWERED


def count_writes(linkworld: LinkWorld, name: str) -> int:
    flash = formatted_flash()
    fs = mount(flash)
    hh = SimHandheld(name, linkworld.handhelds[name].secret, "", mqtt=linkworld.mqtt_settings(name),
                     fs=fs)  # fmt: skip

    async def run():
        await vendor_morning(hh, linkworld.meters, lambda: False)
        await hh.stop()

    asyncio.run(run())
    return fs.flash.ops


@pytest.mark.slow
@pytest.mark.parametrize("torn", [False, True], ids=["clean", "torn"])
def test_a_power_cut_at_any_write_loses_no_sale_and_issues_none_twice(linkworld, monkeypatch, torn):
    quick_timeouts(monkeypatch)
    half = DEVICES // 2  # each run its own handhelds: a device's sale ids never restart
    names = iter(list(linkworld.handhelds)[half if torn else 0 :][:half])
    total = count_writes(linkworld, next(names))
    cuts = range(1, total + 1) if not torn else range(1, total + 1, 2)
    assert len(cuts) < half, f"{total} writes: register more handhelds"
    for cut in cuts:
        name = next(names)
        secret = linkworld.handhelds[name].secret
        mqtt = linkworld.mqtt_settings(name)
        flash = formatted_flash()
        fs = mount(flash, cut_after=cut, torn=torn)
        printed_before: dict[str, list[str]] = {}
        try:
            first = SimHandheld(name, secret, "", mqtt=mqtt, fs=fs)
        except PowerCut:  # the cut came while it was booting
            first = None

        async def before_the_cut(first=first, fs=fs):
            try:
                await vendor_morning(first, linkworld.meters, lambda: fs.flash.dead)
            finally:
                await first.stop()

        if first is not None:
            asyncio.run(before_the_cut())
            printed_before = first.tokens
        second = SimHandheld(name, secret, "", mqtt=mqtt, fs=mount(flash))
        taken = second.journal.held_sales()

        async def rebooted(second=second):
            try:
                await after_reboot(second)
            finally:
                await second.stop()

        asyncio.run(rebooted())
        server = linkworld.server_tokens(name)
        where = f"cut after write {cut} of {total} ({'torn' if torn else 'clean'})"
        assert sorted(server) == [second.sales.sale_id(s) for s in taken], where
        for printed in (printed_before, second.tokens):
            for sale_id, tokens in printed.items():
                assert server[sale_id] == tokens, f"{where}: {sale_id} printed another token"
        assert set(printed_before) | set(second.tokens) == set(server), f"{where}: unprinted"
    assert linkworld.books_problems() == []
