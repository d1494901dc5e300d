"""gridvend: prepaid electricity vending for places where the vendor walks."""

__version__ = "0.1.0"
