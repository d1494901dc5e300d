"""Power cut at every single flash write during sales and during segment rotation.

For each write index N the flash dies after N program/erase operations (cleanly, and
again with the dying operation half-done), the device reboots and replays, and then:
- the journal equals the model of completed steps, with or without the step that was
  cut, never something in between: no unacknowledged sale lost, states never go back;
- no sale is on flash twice;
- the next sequence number is above every one handed out, and above the cut sale's
  when that sale reached the flash (a number no one ever saw may be used again);
- the journal still works: a full sale after the reboot survives another reboot.
"""

import pytest
from journal import records as R
from journal.journal import Journal

from tests.device.journal_scenarios import (
    Model,
    check_sale_contents,
    count_writes,
    matches,
    offline_sale,
    online_sale,
    open_journal,
    refused_sale,
    run_step,
    run_until_cut,
    sale_data,
    sale_records_per_seq,
)
from tests.device.powercut_fs import PowerCut, blank_image, mount

SEGMENT_MAX = 512  # small segments so rotation happens every few records


def build(steps, segment_max=SEGMENT_MAX):
    """A flash image and model after running steps with no power cut."""
    image = blank_image()
    model = Model()
    journal = open_journal(mount(image), segment_max)
    for step in steps:
        run_step(journal, model, step)
    return image, model


def morning():
    """A vendor's morning: sales done, one offline sale still waiting for its token."""
    return [
        *online_sale("a"),
        ("sale", "b"),
        ("pending_slip", "b"),
        *online_sale("c"),
        *refused_sale("e"),
    ]


def model_with_cut_step(model, step):
    """The model if the cut step had completed (None when no step was running)."""
    if step is None or step == ("boot",):
        return None
    after = model.copy()
    after.apply(step, seq=model.in_flight_seq if step[0] == "sale" else None)
    return after


def verify_recovery(image, model, cut_step, segment_max=SEGMENT_MAX):
    """Reboot on image and check every invariant; returns the journal after reboot."""
    fs = mount(image)
    journal = open_journal(fs, segment_max)
    after = model_with_cut_step(model, cut_step)
    problems = matches(journal, model)
    used = model
    if problems and after is not None:
        problems_after = matches(journal, after)
        if not problems_after:
            problems, used = [], after
        else:
            problems = [f"without the cut step: {problems}", f"with it: {problems_after}"]
    assert not problems, f"cut during {cut_step!r}: {problems}"
    check_sale_contents(journal, used)
    duplicates = {seq: n for seq, n in sale_records_per_seq(fs).items() if n > 1}
    assert not duplicates, f"sales on flash twice: {duplicates!r}"
    highest = max([model.highest_seq_issued, *used.sales])
    assert journal.next_seq() > highest

    # The journal keeps working, and what it does now survives the next reboot too.
    work = used.copy()
    for step in online_sale("z"):
        run_step(journal, work, step)
    assert work.seq["z"] > highest
    again = open_journal(mount(image), segment_max)
    assert matches(again, work) == []
    return journal


def cut_at_every_write(image, model, steps, segment_max=SEGMENT_MAX):
    """Run steps once per write index, cutting power there; returns the write count."""
    total = count_writes(image, model, steps, segment_max)
    assert total > 0
    for torn in (False, True):
        for cut_after in range(total):
            work = bytearray(image)
            running = model.copy()
            cut = run_until_cut(work, running, steps, segment_max, cut_after, torn)
            assert cut is not None, f"no power cut after {cut_after} of {total} writes"
            verify_recovery(work, running, cut, segment_max)
    return total


def test_power_cut_at_every_write_during_an_online_sale():
    image, model = build(morning())
    writes = cut_at_every_write(image, model, online_sale("d"))
    assert writes >= 4  # at least one write per record: sale, answer, printed, ack


def test_power_cut_at_every_write_during_an_offline_sale_and_a_late_token():
    image, model = build(morning())
    late_token = [("answer", "b"), ("token_slip", "b"), ("ack", "b")]
    cut_at_every_write(image, model, offline_sale("d") + late_token)


def test_power_cut_at_every_write_during_a_refusal_and_a_shift_close():
    image, model = build(morning())
    cut_at_every_write(image, model, [*refused_sale("d"), ("close",), *online_sale("f")])


def rotation_setup():
    """A journal whose next sale rotates the segment and deletes acknowledged ones."""
    steps = []
    for n in range(40):
        steps += online_sale(f"a{n}")
        image, model = build(steps)
        fs = mount(bytearray(image))
        journal = open_journal(fs, SEGMENT_MAX)
        before = journal.segments()
        run_step(journal, model.copy(), ("sale", "x"))
        after = journal.segments()
        if before[0] != after[0] and after[-1] > before[-1]:
            return image, model
    raise AssertionError("no sale rotated the journal: segment size too large for the test")


def test_power_cut_at_every_write_during_rotation():
    image, model = rotation_setup()
    before = open_journal(mount(bytearray(image)), SEGMENT_MAX).segments()
    writes = cut_at_every_write(image, model, [("sale", "x")])
    # The window covers the new segment, the acknowledgement file and the deletions.
    assert writes > 6
    assert len(before) >= 2


def test_power_cut_during_recovery_from_a_cut_collection():
    """A reboot that finishes an interrupted collection can itself lose power."""
    image, model = rotation_setup()
    steps = [("sale", "x")]
    total = count_writes(image, model, steps, SEGMENT_MAX)
    checked = 0
    for cut_after in range(total):
        work = bytearray(image)
        running = model.copy()
        cut = run_until_cut(work, running, steps, SEGMENT_MAX, cut_after, False)
        fs = mount(bytearray(work))
        start = fs.flash.ops
        open_journal(fs, SEGMENT_MAX)
        recovery_writes = fs.flash.ops - start
        for again in range(recovery_writes):
            twice = bytearray(work)
            fs = mount(twice)
            fs.flash.cut_after = fs.flash.ops + again
            with pytest.raises(PowerCut):
                open_journal(fs, SEGMENT_MAX)
            verify_recovery(twice, running, cut)
            checked += 1
    assert checked > 0, "no reboot had anything left to delete: the test proves nothing"


@pytest.mark.slow
def test_power_cut_at_every_write_of_a_whole_day():
    day = [
        *online_sale("a"),
        ("sale", "b"),
        ("pending_slip", "b"),
        *online_sale("c"),
        *refused_sale("d"),
        ("answer", "b"),
        ("token_slip", "b"),
        ("ack", "b"),
        ("close",),
        *online_sale("f"),
        *offline_sale("g"),
    ]
    image, model = build([])
    writes = cut_at_every_write(image, model, day, segment_max=384)
    assert writes > 40


def test_acknowledged_sales_let_go_keep_the_shift_totals_and_sequence():
    steps = []
    for n in range(12):
        steps += online_sale(f"a{n}")
    image, model = build(steps)
    journal = open_journal(mount(image), SEGMENT_MAX)
    assert len(journal.held_sales()) < 12  # some segments were deleted
    assert journal.shift_totals()["count"] == 12
    assert journal.shift_totals()["amount"] == model.totals["amount"]
    assert journal.next_seq() > model.highest_seq_issued
    assert journal.state(journal.last_seq()) == R.ACKED


def test_the_seq_floor_holds_through_a_power_cut_at_every_write():
    """A re-flashed handheld: empty journal, config.json's seq_floor 41 (the server has
    seen its sales up to 41). A power cut at any write, then a reboot, never lets a sale
    be numbered at or below the floor, nor a number already handed out be used again;
    and once a segment is on flash, it holds the floor even for a config without it."""
    floor = 41
    image = blank_image()
    mount(image)  # formatted, nothing journaled yet
    probe = mount(bytearray(image))
    start = probe.flash.ops
    journal = Journal(probe, "/journal", segment_max=SEGMENT_MAX)
    journal.replay(floor)
    for n in range(8):
        journal.add_sale(sale_data(chr(97 + n)))
    total = probe.flash.ops - start
    assert total > 8
    for torn in (False, True):
        for cut_after in range(total):
            work = bytearray(image)
            fs = mount(work)
            fs.flash.cut_after = fs.flash.ops + cut_after
            fs.flash.torn = torn
            handed_out = []
            try:
                journal = Journal(fs, "/journal", segment_max=SEGMENT_MAX)
                journal.replay(floor)
                for n in range(8):
                    handed_out.append(journal.add_sale(sale_data(chr(97 + n))))
            except PowerCut:
                pass
            assert all(seq > floor for seq in handed_out)
            rebooted = Journal(mount(work), "/journal", segment_max=SEGMENT_MAX)
            rebooted.replay(floor)
            above = max([floor, *handed_out])
            assert rebooted.next_seq() > above, f"cut after {cut_after} writes (torn={torn})"
            assert rebooted.add_sale(sale_data("z")) > above
            if handed_out:  # a sale on flash: numbering holds without the floor too
                forgetful = Journal(mount(work), "/journal", segment_max=SEGMENT_MAX)
                forgetful.replay(0)
                assert forgetful.next_seq() > above + 1  # above the sale just added too
