"""The acknowledgement file: which segments the journal has let go of.

It holds the number of the first segment still live and the running totals at that
segment's start (sequence high-water mark, shift totals), so nothing the deleted
segments said is forgotten. It is replaced atomically: written to a temporary name,
then renamed over the old one, so a power cut leaves either the old or the new file.
"""

from . import frame, records

NAME = "ack"
TMP_NAME = "ack.tmp"
_KIND = 0xAC

MISSING = "missing"
DAMAGED = "damaged"
OK = "ok"


def write(fs, directory, base_segment, totals):
    """Replace the acknowledgement file: segments below base_segment are let go."""
    body = records.encode_json([base_segment, totals])
    tmp = directory + "/" + TMP_NAME
    with fs.open(tmp, "wb") as f:
        f.write(frame.encode(_KIND, body))
    fs.rename(tmp, directory + "/" + NAME)


def read(fs, directory):
    """(status, base_segment, totals): status is OK, MISSING or DAMAGED.

    When it is not OK, base_segment is 0 and totals is None: the caller falls back on
    the segment headers.
    """
    try:
        f = fs.open(directory + "/" + NAME, "rb")
    except OSError:
        return MISSING, 0, None
    with f:
        got = frame.RecordReader(f, frame.new_buffer()).next()
    if got is None or got[0] != _KIND:
        return DAMAGED, 0, None
    try:
        base, totals = records.decode_json(got[1])
    except ValueError:
        return DAMAGED, 0, None
    if len(totals) != records.TOTALS_LEN:
        return DAMAGED, 0, None
    return OK, base, totals
