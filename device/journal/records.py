"""What the journal's records mean, and how their bodies are encoded.

Records about one sale start with its sequence number (u32) so a reader can skip the
records of other sales without decoding them. Free-form parts (the sale, the server's
answer) are JSON, so the link to the server can add fields without a format change.
"""

import json
import struct

# Record kinds. Never renumber: journals on devices in the field use these values.
HEADER = 1  # first record of every segment: its number and the totals at its start
SHIFT_CLOSED = 2  # a Z report closed the shift
SALE = 3  # a sale, written before it is sent and before its slip prints
ANSWER = 4  # the server's answer with the token(s)
REFUSED = 5  # the server refused the sale: the cash goes back to the customer
PRINTED = 6  # a slip was printed (pending slip or token slip)
ACK = 7  # the server confirmed the sale is complete

# Sale states, in the only order they move in.
PENDING = 1
ANSWERED = 2
PRINTED_STATE = 3
ACKED = 4

# Slip kinds for PRINTED records.
SLIP_PENDING = 0
SLIP_TOKEN = 1

# The running totals carried in segment headers and the acknowledgement file, as a list.
SEQ_HI = 0  # highest sale sequence number ever journaled
SHIFT = 1  # number of the shift now open
OPENED = 2  # when it opened (device seconds)
COUNT = 3  # sales taken in this shift
AMOUNT = 4  # their amount, minor units
REFUNDS = 5  # sales refused by the server in this shift (cash handed back)
REFUNDED = 6  # their amount, minor units
TOTALS_LEN = 7


def new_totals():
    """Totals of a journal that has never held a sale: shift 1, no sale numbers used."""
    return [0, 1, 0, 0, 0, 0, 0]


def encode_json(obj):
    """A JSON body."""
    return json.dumps(obj).encode()


def decode_json(body):
    """Decode a JSON body (bytes or a memoryview from RecordReader)."""
    try:
        return json.loads(body)  # MicroPython reads a memoryview in place
    except TypeError:
        return json.loads(bytes(body))  # CPython wants bytes


def encode_sale_record(seq, obj):
    """Body of a record about one sale: seq, then obj as JSON (obj may be None)."""
    head = struct.pack("<I", seq)
    if obj is None:
        return head
    return head + json.dumps(obj).encode()


def sale_seq(body):
    """The sequence number a sale record body starts with (u32, little-endian).

    Read byte by byte: struct.unpack_from would make a tuple for every record scanned.
    """
    return body[0] | body[1] << 8 | body[2] << 16 | body[3] << 24


def sale_payload(body):
    """The JSON part of a sale record body, decoded (None when there is none)."""
    if len(body) <= 4:
        return None
    return decode_json(body[4:])


def encode_printed(seq, slip):
    """Body of a PRINTED record: which sale, which slip."""
    return struct.pack("<IB", seq, slip)


def decode_printed(body):
    """(seq, slip) from a PRINTED record body."""
    return struct.unpack_from("<IB", body, 0)
