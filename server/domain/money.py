"""Money: integers in the currency's minor unit, parsed from and shown as decimals."""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from server.domain.errors import InvalidInput

# ISO 4217 exponents that differ from 2; everything else uses cents.
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip

# Largest amount accepted anywhere (minor units): far beyond any sale, well inside 64 bits.
MAX_MINOR = 10**15


@dataclass(frozen=True)
class Currency:
    """A currency code with its minor-unit exponent (2 for cents, 0 for UGX, 3 for KWD)."""

    code: str
    minor_unit: int

    @classmethod
    def of(cls, code: str) -> "Currency":
        """The currency for an ISO 4217 code, with its standard exponent."""
        code = code.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise InvalidInput("invalid_currency", f"currency {code!r}: expected a 3-letter code")
        return cls(code, _EXPONENTS.get(code, 2))

    def to_minor(self, value: "str | Decimal | int", *, what: str = "amount") -> int:
        """Parse a decimal amount into minor units, refusing more decimals than the currency has."""
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InvalidInput("invalid_amount", f"{what} {value!r}: not a number") from None
        if not amount.is_finite():
            raise InvalidInput("invalid_amount", f"{what} {value!r}: not a number")
        minor = amount.scaleb(self.minor_unit)
        if minor != minor.to_integral_value():
            raise InvalidInput(
                "invalid_amount",
                f"{what} {value}: {self.code} has {self.minor_unit} decimal places at most",
            )
        if abs(minor) > MAX_MINOR:
            raise InvalidInput("invalid_amount", f"{what} {value}: too large")
        return int(minor)

    def to_decimal(self, minor: int) -> Decimal:
        """Minor units as a Decimal with exactly the currency's decimal places."""
        return Decimal(minor).scaleb(-self.minor_unit).quantize(self.quantum)

    @property
    def quantum(self) -> Decimal:
        """The smallest amount, as a Decimal exponent template (Decimal('0.01') for cents)."""
        return Decimal(1).scaleb(-self.minor_unit)

    def format(self, minor: int) -> str:
        """Minor units as text, e.g. '1234.50'."""
        return str(self.to_decimal(minor))


def round_minor(value: Decimal) -> int:
    """Round a (fractional) minor-unit amount to a whole one, half to even."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
