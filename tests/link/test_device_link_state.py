"""The handheld's link state on flash: uplink numbers never repeat, across reboots and power
cuts at every write; the offline snapshot only moves forward; the allowance counts right."""

import pytest
from journal.journal import Journal
from link.allowance import OfflineAllowance
from link.state import BLOCK, LinkState

from tests.device.powercut_fs import PowerCut, blank_image, mount

PATH = "/link_state.json"


def test_numbers_go_on_above_every_one_used_after_a_reboot():
    fs = mount(blank_image())
    state = LinkState(fs, PATH).load()
    used = [state.next_seq() for _ in range(BLOCK + 5)]
    assert used == list(range(1, BLOCK + 6))
    assert state.writes == 2  # one write per block, not per message
    again = LinkState(fs, PATH).load()
    assert again.next_seq() > max(used)


@pytest.mark.parametrize("torn", [False, True])
def test_a_power_cut_at_any_write_never_lets_a_number_repeat(torn):
    formatted = blank_image()
    mount(formatted)
    probe = mount(bytearray(formatted))
    state = LinkState(probe, PATH).load()
    for _ in range(3 * BLOCK):
        state.next_seq()
    writes = probe.flash.ops
    assert writes > 3
    for cut in range(1, writes + 1):
        image = bytearray(formatted)
        fs = mount(image, cut_after=cut, torn=torn)
        used = []
        state = LinkState(fs, PATH).load()
        try:
            for _ in range(3 * BLOCK):
                seq = state.next_seq()
                used.append(seq)  # handed out: it may have been sent
        except PowerCut:
            pass
        rebooted = LinkState(mount(image), PATH).load()
        assert rebooted.next_seq() > max(used, default=0), f"cut after {cut} writes"


def test_the_snapshot_is_kept_only_when_newer():
    state = LinkState(mount(blank_image()), PATH).load()
    assert state.take_snapshot(5, 3000, 0)
    assert not state.take_snapshot(4, 9000, 0)
    assert state.snapshot == [5, 3000, 0]
    assert state.take_snapshot(6, 3000, 1000)
    assert LinkState(state._fs, PATH).load().snapshot == [6, 3000, 1000]


@pytest.fixture
def journal():
    j = Journal(mount(blank_image()), "/journal")
    j.replay()
    return j


def test_the_allowance_counts_offline_sales_once_and_frees_them_when_answered(journal):
    state = LinkState(mount(blank_image()), PATH).load()
    state.take_snapshot(1, 3000, 500)
    allowance = OfflineAllowance(state)
    allowance.rebuild(journal)
    assert allowance.room() == 2500
    seq = journal.add_sale({"meter": "1", "amount": 1000, "time": 0, "vendor": "v", "off": 1})
    allowance.taken(seq, 1000)
    allowance.taken(seq, 1000)  # sent again: still one sale
    assert allowance.room() == 1500 and not allowance.admits(1600)
    online = journal.add_sale({"meter": "1", "amount": 700, "time": 0, "vendor": "v"})
    again = OfflineAllowance(state)
    again.rebuild(journal)  # after a reboot: only the offline one counts
    assert again.room() == 1500 and again.report() == [1, 3000, 500, 1000]
    allowance.settled(1000)
    assert allowance.room() == 2500
    assert online
