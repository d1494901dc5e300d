"""The sample receipt of the golden ESC/POS tests, and the reader of golden hex files."""

from pathlib import Path

from receipts import BOLD, CENTER, CUT, DOUBLE_HEIGHT, DOUBLE_WIDTH, FEED, RULE

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
RECEIPT_HEX = GOLDEN_DIR / "receipt_cp858.hex"

SAMPLE_SLIP = [
    (CENTER | BOLD | DOUBLE_HEIGHT, "Kijiji Power"),
    (CENTER, "Reçu de paiement"),
    (RULE, ""),
    (0, "Date        2025-01-08 14:05"),
    (0, "Compteur 6007 2700 0000 0000 09"),
    (BOLD, "Montant payé          KES 500.00"),
    (RULE, ""),
    (CENTER | BOLD, "Jeton"),
    (CENTER | BOLD | DOUBLE_HEIGHT, "1234 5678 9012 3456 7890"),
    (CENTER | BOLD | DOUBLE_HEIGHT | DOUBLE_WIDTH, "PAYÉ"),
    (RULE, ""),
    (CENTER, "Merci – à bientôt"),
    (FEED, ""),
    (CUT, ""),
]


def read_hex(path: Path) -> bytes:
    """Bytes of a golden .hex file: hex pairs separated by blanks, "#" starts a comment."""
    tokens = []
    for line in path.read_text(encoding="utf-8").splitlines():
        tokens.extend(line.split("#", 1)[0].split())
    for token in tokens:
        if len(token) != 2:
            raise ValueError(f"{path.name}: {token!r} is not one hex byte")
    return bytes(int(token, 16) for token in tokens)
