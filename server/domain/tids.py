"""Token identifiers: minutes since the meter's base date, strictly increasing per meter."""

from server.domain.errors import Conflict

TID_MAX = 0xFFFFFF


def next_tid(now_tid: int, last_tid: int | None, *, ken: int = 255) -> int:
    """The TID for a meter's next token: the current minute, or one past the last one issued.

    A meter refuses a TID it has seen (Used) or one older than those it remembers (Old), so a
    second token in the same minute takes the next free minute instead of sharing one.
    """
    tid = now_tid if last_tid is None else max(now_tid, last_tid + 1)
    if tid > TID_MAX:
        raise Conflict(
            "key_change_needed",
            "this meter's TID counter has run out for its base date: "
            "a key change to a newer base date is needed",
        )
    if ken != 255 and tid >> 16 > ken:
        raise Conflict(
            "key_expired",
            f"TID {tid} is past the key expiry number {ken}: a key change is needed",
        )
    return tid
