"""The TOTP code maker against RFC 6238's own test vectors, and its acceptance rules."""

import base64

import pytest

from server.services import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_rfc_6238_appendix_b_for_sha1(unix_time, code):
    key = base64.b32decode(RFC_SECRET)
    assert totp.hotp(key, totp.step_of(unix_time), digits=8) == code


def test_rfc_4226_hotp_vectors():
    key = b"12345678901234567890"
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922"]
    assert [totp.hotp(key, n) for n in range(7)] == expected


def test_a_code_is_accepted_in_its_step_and_one_step_either_side_only():
    secret = totp.new_secret()
    now = 1_700_000_015.0
    code = totp.code_at(secret, now)
    assert totp.matching_step(secret, code, now) == totp.step_of(now)
    assert totp.matching_step(secret, code, now + 30) == totp.step_of(now)
    assert totp.matching_step(secret, code, now - 30) == totp.step_of(now)
    assert totp.matching_step(secret, code, now + 60) is None
    assert totp.matching_step(secret, code, now - 60) is None


def test_a_used_step_never_matches_again():
    secret = totp.new_secret()
    now = 1_700_000_015.0
    code = totp.code_at(secret, now)
    step = totp.matching_step(secret, code, now)
    assert totp.matching_step(secret, code, now, last_used_step=step) is None
    later = totp.code_at(secret, now + 30)
    assert totp.matching_step(secret, later, now + 30, last_used_step=step) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_never_match(typed):
    assert totp.matching_step(totp.new_secret(), typed, 1_700_000_000.0) is None


def test_spaces_inside_a_typed_code_are_ignored():
    secret = totp.new_secret()
    code = totp.code_at(secret, 1_700_000_000.0)
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", 1_700_000_000.0) is not None


def test_new_secrets_are_160_bit_base32_and_differ():
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second
    assert len(first) == 32 and len(base64.b32decode(first)) == 20


def test_the_provisioning_uri_names_issuer_account_and_parameters():
    import pyotp

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    uri = totp.provisioning_uri(secret, account="sam")
    assert uri.startswith(f"otpauth://totp/gridvend:sam?secret={secret}&issuer=gridvend")
    parsed = pyotp.parse_uri(uri)  # as an authenticator app reads it
    assert (parsed.digits, parsed.interval, parsed.digest().name) == (6, 30, "sha1")
    assert parsed.at(1_700_000_015) == totp.code_at(secret, 1_700_000_015)
