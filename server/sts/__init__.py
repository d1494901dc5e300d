"""The STS token engine (IEC 62055-41): pure functions and small value types, no I/O.

Meter numbers, decoder keys (DKGA02/04), EA07 and EA11 encryption, token building for every
supported class, and decoding. Raises ``StsError`` with a clear message for what it refuses.
"""

from server.sts.amount import MAX_UNITS, decode_amount, encode_amount
from server.sts.credit import credit_token
from server.sts.decode import DecodedToken, decode_token, explain_crc_failure
from server.sts.engineering import (
    clear_credit_token,
    clear_tamper_token,
    max_power_token,
    phase_unbalance_token,
    refuse_unsupported,
    test_token,
)
from server.sts.errors import StsError
from server.sts.key_change import key_change_tokens
from server.sts.keys import (
    EA07,
    EA11,
    KT_COMMON,
    KT_DEFAULT,
    KT_INITIALISATION,
    KT_UNIQUE,
    derive_decoder_key,
)
from server.sts.meter_number import MeterNumber, luhn_check_digit, parse_meter_number
from server.sts.tid import BASE_DATES, check_key_expiry, tid_from_time, time_from_tid
from server.sts.token import Token, format_token

__all__ = [
    "BASE_DATES",
    "EA07",
    "EA11",
    "KT_COMMON",
    "KT_DEFAULT",
    "KT_INITIALISATION",
    "KT_UNIQUE",
    "MAX_UNITS",
    "DecodedToken",
    "MeterNumber",
    "StsError",
    "Token",
    "check_key_expiry",
    "clear_credit_token",
    "clear_tamper_token",
    "credit_token",
    "decode_amount",
    "decode_token",
    "derive_decoder_key",
    "encode_amount",
    "explain_crc_failure",
    "format_token",
    "key_change_tokens",
    "luhn_check_digit",
    "max_power_token",
    "parse_meter_number",
    "phase_unbalance_token",
    "refuse_unsupported",
    "test_token",
    "tid_from_time",
    "time_from_tid",
]
