"""Numeric entry on the keypad: digits, * to delete (long * clears), # to submit."""

from keypad import CHANGED, EMPTY, FULL, IGNORED, SUBMIT, Entry


def _type(entry, keys):
    return [entry.key(k) for k in keys]


def test_digits_append_and_hash_submits():
    entry = Entry(6)
    assert _type(entry, "123") == [CHANGED, CHANGED, CHANGED]
    assert entry.key("#") == SUBMIT
    assert entry.text() == "123"
    assert len(entry) == 3


def test_star_deletes_the_last_digit_and_long_star_clears():
    entry = Entry(6)
    _type(entry, "4567")
    assert entry.key("*") == CHANGED
    assert entry.text() == "456"
    assert entry.key("*", True) == CHANGED
    assert entry.text() == ""
    assert entry.key("*") == EMPTY


def test_a_digit_beyond_the_maximum_is_refused_and_nothing_changes():
    entry = Entry(3)
    _type(entry, "999")
    assert entry.key("1") == FULL
    assert entry.text() == "999"


def test_letter_keys_are_left_to_the_caller():
    entry = Entry(4)
    assert _type(entry, "ABCD") == [IGNORED] * 4
    assert entry.text() == ""


def test_set_and_clear():
    entry = Entry(4)
    entry.set("123456")
    assert entry.text() == "1234"
    entry.clear()
    assert entry.text() == ""
    assert entry.key("#") == SUBMIT
