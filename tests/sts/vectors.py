"""The public vectors from shared/design/STS.md section 7, as data shared by the tests."""

from datetime import UTC, datetime

VK = bytes.fromhex("abababababababab")
VK160 = bytes.fromhex("abababababababab949494949494949401234567")
PAN1 = "600727000000000009"
PAN2 = "000001000000000082"
COMMON = {"kt": 2, "sgc": 123456, "ti": 1, "krn": 1}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (what, pan, subclass, time, amount, expected)
CREDIT_VECTORS = [
    ("electricity 0.1 kWh PAN1", PAN1, 0, at(2004, 3, 1, 13, 55), "0.1", "23716100501183194197"),
    ("electricity 0.1 kWh PAN2", PAN2, 0, at(2004, 3, 1, 14, 0), "0.1", "67206107716095682372"),
    ("water 0.1 m3 PAN1", PAN1, 1, at(2004, 3, 1, 14, 5), "0.1", "42502136492215507402"),
    ("gas 0.1 m3 PAN2", PAN2, 2, at(2004, 3, 1, 14, 20), "0.1", "35758660990071466853"),
    ("25.6 kWh", PAN1, 0, at(2004, 4, 1, 0, 30), "25.6", "26456622012185850752"),
    ("1638.3 kWh", PAN1, 0, at(2004, 4, 1, 0, 35), "1638.3", "02194538019157867319"),
    ("1638.4 kWh", PAN1, 0, at(2004, 4, 1, 0, 40), "1638.4", "49848950875249585071"),
    ("2000.0 kWh", PAN1, 0, at(2004, 4, 1, 0, 45), "2000.0", "71997443697501228179"),
]
