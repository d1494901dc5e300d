"""The one exception the meter simulator raises for a meter it cannot build or load."""


class MeterSimError(ValueError):
    """A meter configuration or state file that makes no sense, said as a sentence to show.

    Tokens never raise this: a bad token is an answer (``Format``, ``CRC error``...), not an
    error. The token engine's ``StsError`` still comes through for what it refuses (a meter
    number with a wrong check digit, a vending key of the wrong length).
    """
