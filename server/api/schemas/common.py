"""Field types shared by every resource: bounded, printable text and money."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Printable text only: no control characters (a NUL would also break PostgreSQL).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def text(max_length: int, *, min_length: int = 1) -> type[str]:
    """A trimmed, printable string of bounded length."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(
            strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=_PRINTABLE
        ),
    ]


MeterNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[0-9 -]+$"),
    Field(
        description="18 digits (spaces or dashes between groups allowed)",
        examples=["60072700000000009"],
    ),
]
AgentCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,32}$"),
    Field(examples=["AG1"]),
]
RequestId = Annotated[
    str,
    StringConstraints(pattern=r"^[!-~]{1,64}$"),
    Field(description="The client's idempotency key: 1-64 printable ASCII characters, no spaces"),
]
Money = Annotated[
    Decimal,
    Field(max_digits=18, allow_inf_nan=False, description='In major units, e.g. "10.00"'),
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=18, allow_inf_nan=False, description='In major units, e.g. "10.00"'),
]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]
Limit = Annotated[int, Field(ge=1, le=1000)]


class Strict(BaseModel):
    """Request bodies refuse unknown fields: a typo in a field name is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Response bodies read attributes from service views."""

    model_config = ConfigDict(from_attributes=True)
