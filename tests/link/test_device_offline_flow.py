"""Offline on the handheld's screens: the vend flow takes sales up to the allowance the
server reserved, says so when a sale would go beyond it, and marks what it took offline."""

from journal.fs_os import OsFs
from link.bearer import Bearer
from link.manager import LinkManager
from link.state import LinkState
from vendkit import GOOD_METER, Bench


def offline_bench(tmp_path, ceiling: int, spent: int = 0) -> Bench:
    """The flow on the bench, with the real link manager (never started: offline), holding
    a snapshot of (ceiling, spent) from the server."""
    bench = Bench(online=False)
    state = LinkState(OsFs(), str(tmp_path / "link_state.json")).load()
    state.take_snapshot(1, ceiling, spent)
    link = LinkManager("GV0001", bytes(32), bench.journal, state, Bearer(), http={})
    link.allowance.rebuild(bench.journal)
    bench.link = link
    bench.sales.link = link
    link.listener = bench.sales
    bench.login()
    return bench


def test_sales_within_the_allowance_are_taken_offline(tmp_path):
    bench = offline_bench(tmp_path, ceiling=120_000)
    bench.sell(GOOD_METER, "500")  # 50,000 minor units
    assert bench.journal.held_sales() == [1]
    assert bench.journal.sale(1)["off"] == 1  # paid from the offline reserve
    assert bench.link.offline_room() == 70_000


def test_a_sale_beyond_the_allowance_is_not_taken_and_the_screen_says_so(tmp_path):
    bench = offline_bench(tmp_path, ceiling=120_000, spent=10_000)
    bench.sell(GOOD_METER, "500")
    bench.keys("C")  # "don't wait": the pending slip prints
    bench.flow.on_print_done("ok")
    bench.keys("#")  # next sale
    bench.keys(GOOD_METER + "#" + "700" + "##")
    screen = bench.display.text()
    assert "Offline limit reached." in screen
    assert "Left offline:" in screen and "600.00" in screen
    assert bench.journal.held_sales() == [1]  # the second sale was not taken


def test_without_a_snapshot_from_the_server_nothing_is_taken_offline(tmp_path):
    bench = offline_bench(tmp_path, ceiling=0)
    bench.sell(GOOD_METER, "500")
    assert "Offline limit reached." in bench.display.text()
    assert bench.journal.held_sales() == []
