"""What a meter shows after a token is typed: one name from a fixed list, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResultName(StrEnum):
    """The answers an STS meter gives (STS.md section 6), spelled as the meter shows them.

    A ``StrEnum``, so ``result.name == "Used"`` reads as plainly as the display does.
    """

    ACCEPT = "Accept"
    KEY_CHANGE_1 = "1st key change accepted"
    KEY_CHANGE_2 = "2nd key change accepted"
    KEY_CHANGE_3 = "3rd key change accepted"
    OLD = "Old"
    USED = "Used"
    KEY_EXPIRED = "Key expired"
    CRC_ERROR = "CRC error"
    FORMAT = "Format"
    RANGE = "Range"
    DDTK = "DDTK"
    OVERFLOW = "Overflow"
    KEY_TYPE = "Key type"
    FUNCTION = "Function"
    MANUFACTURER_CODE = "Manufacturer code"


# A partial key change answers with how many sections the meter now holds; the last section
# changes the key and answers Accept, so a 4-section change never shows a "4th".
KEY_CHANGE_PROGRESS = {
    1: ResultName.KEY_CHANGE_1,
    2: ResultName.KEY_CHANGE_2,
    3: ResultName.KEY_CHANGE_3,
}

ACCEPTED = frozenset({ResultName.ACCEPT, *KEY_CHANGE_PROGRESS.values()})


@dataclass(frozen=True)
class Result:
    """The meter's answer to one token: ``name`` as displayed, ``detail`` as a sentence."""

    name: ResultName
    detail: str

    @property
    def accepted(self) -> bool:
        """True for Accept and for a key change section taken; False for every rejection."""
        return self.name in ACCEPTED

    def __str__(self) -> str:
        return f"{self.name}: {self.detail}"
