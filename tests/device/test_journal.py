"""The sale journal: framing, record rules, rotation, recovery from damage.

Runs under CPython (pytest) and under real MicroPython (tests/micropython), on the
device's own filesystem wrapper (journal.fs_os.OsFs) over a fresh directory.
"""

import journal as frame  # the journal package module: record framing
from casekit import fresh_dir, raises
from journal import records as R
from journal.fs_os import OsFs
from journal.journal import Journal, JournalFull, UnknownSale, read_ack, write_ack


class _BytesFile:
    def __init__(self, data):
        self._data = data
        self._pos = 0

    def readinto(self, buf):
        out = self._data[self._pos : self._pos + len(buf)]
        buf[: len(out)] = out
        self._pos += len(out)
        return len(out)


def _read_all(data):
    reader = frame.RecordReader(_BytesFile(data), bytearray(frame.MAX_RECORD))
    out = []
    while True:
        got = reader.next()
        if got is None:
            return out, reader
        out.append((got[0], bytes(got[1])))


def _sale(n=0, amount=1000):
    return {"meter": "600727000000000009", "amount": amount + n, "time": 1000 + n, "vendor": "V1"}


def _answer(n=0):
    return {"receipt": f"R{n}", "tokens": [f"{n:020d}"], "kwh_tenths": 125}


def _new(directory=None, segment_max=4096, max_segments=48):
    directory = directory or fresh_dir()
    journal = Journal(OsFs(), directory + "/journal", segment_max, max_segments)
    journal.replay()
    return journal, directory


def _reopen(directory, segment_max=4096):
    journal = Journal(OsFs(), directory + "/journal", segment_max)
    journal.replay()
    return journal


def _complete(journal, n=0):
    seq = journal.add_sale(_sale(n))
    journal.add_answer(seq, _answer(n))
    journal.mark_printed(seq, R.SLIP_TOKEN)
    journal.acknowledge(seq)
    return seq


# ---- framing ----


def test_records_read_back_as_written():
    data = frame.encode(3, b"abc") + frame.encode(7, b"") + frame.encode(200, b"x" * 300)
    got, reader = _read_all(data)
    assert got == [(3, b"abc"), (7, b""), (200, b"x" * 300)]
    assert not reader.torn
    assert reader.offset == len(data)


def test_reading_stops_at_a_torn_record_at_every_cut_point():
    first = frame.encode(3, b"first")
    second = frame.encode(4, b"second record")
    data = first + second
    for cut in range(len(data) + 1):
        got, reader = _read_all(data[:cut])
        whole = [
            r
            for r, end in (((3, b"first"), len(first)), ((4, b"second record"), len(data)))
            if end <= cut
        ]
        assert got == whole, cut
        assert reader.torn == (cut not in (0, len(first), len(data))), cut
        assert reader.offset == (
            len(data) if cut == len(data) else len(first) if cut >= len(first) else 0
        )


def test_a_flipped_bit_anywhere_in_a_record_stops_the_reader_there():
    first = frame.encode(3, b"kept")
    second = frame.encode(4, b"damaged")
    for i in range(len(second)):
        for bit in (1, 0x80):
            bad = bytearray(second)
            bad[i] ^= bit
            got, reader = _read_all(first + bytes(bad) + frame.encode(5, b"after"))
            assert got == [(3, b"kept")], (i, bit)
            assert reader.torn


def test_erased_flash_after_the_last_record_reads_as_torn_not_as_records():
    got, reader = _read_all(frame.encode(3, b"ok") + b"\xff" * 64)
    assert got == [(3, b"ok")]
    assert reader.torn


def test_oversized_records_are_refused():
    with raises(ValueError, "too long"):
        frame.encode(3, b"x" * (frame.MAX_BODY + 1))


def test_checksum_is_the_standard_crc32_in_two_halves():
    assert frame.checksum(b"123456789") == (0xCBF4, 0x3926)
    assert frame.checksum(b"") == (0, 0)
    assert frame.checksum(b"6789", frame.checksum(b"12345")) == (0xCBF4, 0x3926)
    # the same bytes zlib.crc32 gives for the record, stored little-endian
    assert frame.encode(3, b"123456789")[-4:] == bytes.fromhex("85b82857")


# ---- the acknowledgement file ----


def test_ack_file_round_trip_missing_and_damaged():
    fs = OsFs()
    directory = fresh_dir()
    assert read_ack(fs, directory) == ("missing", 0, None)
    write_ack(fs, directory, 5, [40, 2, 100, 3, 4500, 0, 0])
    assert read_ack(fs, directory) == ("ok", 5, [40, 2, 100, 3, 4500, 0, 0])
    assert "ack.tmp" not in fs.listdir(directory)
    with open(directory + "/" + "ack", "wb") as f:
        f.write(b"\x05\x00\xac{}")
    assert read_ack(fs, directory)[0] == "damaged"
    with open(directory + "/" + "ack", "wb") as f:
        f.write(frame.encode(0xAC, b"[3, [1, 2]]"))
    assert read_ack(fs, directory)[0] == "damaged"


# ---- sales and their states ----


def test_a_sale_reads_back_with_its_answer():
    journal, _ = _new()
    seq = journal.add_sale(_sale(1))
    assert journal.state(seq) == R.PENDING
    assert journal.add_answer(seq, _answer(1))
    sale = journal.sale(seq)
    assert sale["meter"] == "600727000000000009"
    assert sale["amount"] == 1001
    assert sale["answer"] == _answer(1)
    assert sale["state"] == R.ANSWERED
    assert sale["refused"] is None


def test_sequence_numbers_start_at_one_and_increase():
    journal, _ = _new()
    assert [journal.add_sale(_sale(n)) for n in range(3)] == [1, 2, 3]
    assert journal.last_seq() == 3


def test_states_only_move_forward():
    journal, _ = _new()
    seq = journal.add_sale(_sale())
    assert not journal.mark_printed(seq, R.SLIP_TOKEN)  # no token yet
    assert not journal.acknowledge(seq)  # nothing to acknowledge before an answer
    assert journal.mark_printed(seq, R.SLIP_PENDING)
    assert not journal.mark_printed(seq, R.SLIP_PENDING)  # a reprint writes nothing
    assert journal.add_answer(seq, _answer())
    assert not journal.add_answer(seq, _answer(9))  # a repeated answer changes nothing
    assert not journal.add_refusal(seq, "late refusal")
    assert journal.mark_printed(seq, R.SLIP_TOKEN)
    assert not journal.mark_printed(seq, R.SLIP_TOKEN)
    assert journal.acknowledge(seq)
    assert not journal.acknowledge(seq)
    assert journal.state(seq) == R.ACKED
    assert journal.sale(seq)["answer"] == _answer()


def test_a_refused_sale_is_refunded_in_the_shift_totals_and_gets_no_token_slip():
    journal, _ = _new()
    kept = journal.add_sale(_sale(0, 2000))
    refused = journal.add_sale(_sale(0, 500))
    assert journal.add_refusal(refused, "meter blocked")
    assert not journal.mark_printed(refused, R.SLIP_TOKEN)
    assert journal.refused(refused)
    assert journal.sale(refused)["refused"] == "meter blocked"
    totals = journal.shift_totals()
    assert (totals["count"], totals["amount"]) == (2, 2500)
    assert (totals["refunds"], totals["refunded"]) == (1, 500)
    assert journal.state(kept) == R.PENDING


def test_unknown_sales_and_bad_amounts_are_refused():
    journal, _ = _new()
    with raises(UnknownSale, "no sale 7"):
        journal.add_answer(7, _answer())
    for amount in (0, -5, "100", None):
        with raises(ValueError, "amount"):
            journal.add_sale({"meter": "600727000000000009", "amount": amount})
    assert journal.held_sales() == []


def test_open_and_awaiting_lists():
    journal, _ = _new()
    done = _complete(journal, 0)
    answered = journal.add_sale(_sale(1))
    journal.add_answer(answered, _answer(1))
    waiting = journal.add_sale(_sale(2))
    assert journal.open_sales() == [answered, waiting]
    assert journal.awaiting_answer() == [waiting]
    assert journal.state(done) == R.ACKED


def test_closing_the_shift_starts_a_new_one_and_survives_reboot():
    journal, directory = _new()
    journal.add_sale(_sale(0, 1500))
    journal.add_sale(_sale(0, 2500))
    closed = journal.close_shift(5000)
    assert (closed["shift"], closed["count"], closed["amount"], closed["closed"]) == (
        1,
        2,
        4000,
        5000,
    )
    journal.add_sale(_sale(0, 700))
    again = _reopen(directory)
    totals = again.shift_totals()
    assert (totals["shift"], totals["opened"], totals["count"], totals["amount"]) == (
        2,
        5000,
        1,
        700,
    )


def test_replay_restores_everything_and_numbering_continues():
    journal, directory = _new()
    a = _complete(journal, 0)
    b = journal.add_sale(_sale(1))
    journal.mark_printed(b, R.SLIP_PENDING)
    again = _reopen(directory)
    assert again.state(a) == R.ACKED
    assert again.state(b) == R.PENDING
    assert again.pending_slip_printed(b)
    assert again.shift_totals() == journal.shift_totals()
    assert again.add_sale(_sale(2)) == b + 1


# ---- rotation and deletion ----


def test_segments_rotate_and_acknowledged_ones_are_deleted():
    journal, directory = _new(segment_max=400)
    for n in range(15):
        _complete(journal, n)
    segments = journal.segments()
    assert segments[0] > 1  # the first segments are gone
    assert len(segments) <= 3
    again = _reopen(directory, 400)
    assert again.segments() == segments
    assert again.shift_totals()["count"] == 15
    assert again.next_seq() == 16


def test_an_unacknowledged_sale_keeps_its_segment_and_all_later_ones():
    journal, directory = _new(segment_max=400)
    stuck = journal.add_sale(_sale(99))
    for n in range(10):
        _complete(journal, n)
    assert journal.segments()[0] == 1
    assert _reopen(directory, 400).state(stuck) == R.PENDING
    journal.add_answer(stuck, _answer(99))
    journal.mark_printed(stuck, R.SLIP_TOKEN)
    journal.acknowledge(stuck)
    for n in range(4):
        _complete(journal, 20 + n)
    assert journal.segments()[0] > 1


def test_the_last_sale_stays_readable_for_reprint_after_rotation():
    journal, directory = _new(segment_max=300)
    for n in range(12):
        seq = _complete(journal, n)
        assert journal.sale(journal.last_seq())["answer"] == _answer(n)
    assert _reopen(directory, 300).sale(seq)["answer"] == _answer(11)


def test_journal_full_refuses_new_sales_until_they_sync():
    journal, _ = _new(segment_max=300, max_segments=3)
    taken = 0
    with raises(JournalFull, "unsynced"):
        for n in range(40):
            journal.add_sale(_sale(n))
            taken += 1
    assert 0 < taken < 40
    assert len(journal.held_sales()) == taken


# ---- damage and interrupted work ----


def _segment_path(directory, journal, index=-1):
    return f"{directory}/journal/s{journal.segments()[index]:08d}"


def test_a_torn_tail_is_ignored_and_later_sales_go_to_a_new_segment():
    journal, directory = _new()
    seq = journal.add_sale(_sale(1))
    path = _segment_path(directory, journal)
    with open(path, "ab") as f:
        f.write(frame.encode(R.ANSWER, R.encode_sale_record(seq, _answer()))[:-3])
    again = _reopen(directory)
    assert again.report["torn"] == [1]
    assert again.state(seq) == R.PENDING
    later = again.add_sale(_sale(2))
    assert again.segments() == [1, 2]
    third = _reopen(directory)
    assert third.state(later) == R.PENDING
    assert third.state(seq) == R.PENDING


def test_a_failed_write_moves_the_next_record_to_a_new_segment():
    class FlakyFs(OsFs):
        fail_next_write = False

        def open(self, path, mode):
            f = OsFs.open(self, path, mode)
            if mode == "ab" and self.fail_next_write:
                self.fail_next_write = False
                return _HalfWriter(f)
            return f

    directory = fresh_dir()
    fs = FlakyFs()
    journal = Journal(fs, directory + "/journal")
    journal.replay()
    first = journal.add_sale(_sale(1))
    fs.fail_next_write = True
    with raises(OSError):
        journal.add_sale(_sale(2))
    third = journal.add_sale(_sale(3))
    assert third == first + 2  # the number of the failed sale is not reused
    again = _reopen(directory)
    assert again.held_sales() == [first, third]


class _HalfWriter:
    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[: len(data) // 2])
        raise OSError(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def test_a_segment_without_a_header_is_skipped_and_numbering_goes_above_it():
    journal, directory = _new()
    seq = journal.add_sale(_sale(1))
    with open(directory + "/journal/s00000002", "wb") as f:
        f.write(b"")
    again = _reopen(directory)
    assert again.report["torn"] == [2]
    assert again.state(seq) == R.PENDING
    again.add_sale(_sale(2))
    assert again.segments() == [1, 2, 3]


def _collected(segment_max=300):
    journal, directory = _new(segment_max=segment_max)
    for n in range(12):
        _complete(journal, n)
    assert journal.segments()[0] > 1
    return journal, directory


def test_segments_below_the_acknowledged_base_are_deleted_on_boot():
    journal, directory = _collected()
    base = journal.segments()[0]
    with open(f"{directory}/journal/s{base - 1:08d}", "wb") as f:
        f.write(b"left over from an interrupted deletion")
    again = _reopen(directory, 300)
    assert again.segments() == journal.segments()
    assert f"s{base - 1:08d}" not in OsFs().listdir(directory + "/journal")


def test_a_lost_or_damaged_ack_file_falls_back_on_the_segment_headers():
    for damage in (b"", b"\x00\x01garbage"):
        journal, directory = _collected()
        path = directory + "/journal/" + "ack"
        if damage:
            with open(path, "wb") as f:
                f.write(damage)
        else:
            OsFs().remove(path)
        again = _reopen(directory, 300)
        assert again.report["ack"] == ("damaged" if damage else "missing")
        assert again.shift_totals() == journal.shift_totals()
        assert again.next_seq() == journal.next_seq()


def test_numbering_stays_above_sales_whose_segments_are_all_gone():
    journal, directory = _collected()
    fs = OsFs()
    for name in fs.listdir(directory + "/journal"):
        if name.startswith("s"):
            fs.remove(directory + "/journal/" + name)
    let_go = read_ack(fs, directory + "/journal")[2][R.SEQ_HI]
    assert let_go > 1
    again = _reopen(directory, 300)
    assert again.held_sales() == []
    assert again.next_seq() == let_go + 1


# ---- the sequence floor (config.json "seq_floor": a re-flashed handheld) ----


def _booted(directory, seq_floor, segment_max=4096):
    journal = Journal(OsFs(), directory + "/journal", segment_max)
    journal.replay(seq_floor)
    return journal


def test_an_empty_journal_numbers_its_sales_above_the_floor():
    directory = fresh_dir()
    journal = _booted(directory, 41)  # the server has seen sales up to 41 from this device
    assert journal.next_seq() == 42
    assert journal.add_sale(_sale(1)) == 42
    assert journal.add_sale(_sale(2)) == 43
    again = _booted(directory, 41)  # power cut, reboot: the same config
    assert again.held_sales() == [42, 43]
    assert again.add_sale(_sale(3)) == 44


def test_the_floor_never_takes_numbering_backwards():
    directory = fresh_dir()
    journal = _booted(directory, 0)
    for n in range(5):
        journal.add_sale(_sale(n))
    assert _booted(directory, 3).next_seq() == 6  # the journal's own mark is higher
    assert _booted(directory, 9).next_seq() == 10  # the floor is higher
    # Once a sale above the floor is on flash, a config without the floor (or a lower
    # one) cannot bring old numbers back either.
    assert _booted(directory, 9).add_sale(_sale(9)) == 10
    assert _booted(directory, 0).next_seq() == 11


def test_the_floor_is_kept_in_the_totals_segments_and_ack_file_carry():
    journal, directory = _collected()  # some segments acknowledged and deleted
    top = journal.next_seq() - 1
    journal = _booted(directory, top + 100, 300)
    for n in range(40):  # enough to rotate, collect, and write the ack file again
        _complete(journal, n)
    first = top + 101
    assert journal.held_sales()[-1] == first + 39
    fs = OsFs()
    for name in fs.listdir(directory + "/journal"):  # only the ack file left
        if name.startswith("s"):
            fs.remove(directory + "/journal/" + name)
    let_go = read_ack(fs, directory + "/journal")[2][R.SEQ_HI]
    assert let_go >= first  # the ack file's totals count from above the floor
    assert _booted(directory, 0, 300).next_seq() == let_go + 1


def test_answers_for_sales_at_or_below_the_floor_are_repeats_not_errors():
    journal = _booted(fresh_dir(), 41)
    assert journal.state(5) == 0
    assert journal.add_answer(5, _answer(5)) is False  # the server answering the old life
    assert journal.add_refusal(41, "meter blocked") is False
    assert journal.acknowledge(41) is False
    with raises(UnknownSale, "no sale 42"):
        journal.sale(42)
