"""Double-entry bookkeeping: every money movement is a set of postings summing to zero.

Sign convention: a positive posting credits an account, a negative one debits it. With it,
what the business owes or has earned reads positive (a vendor's float, revenue, tax payable)
and what it is owed reads negative (cash held, customer debt), and every balance is simply
the sum of the account's postings.
"""

from dataclasses import dataclass

from server.domain.errors import InvalidInput
from server.domain.tariffs import PriceSplit

# Accounts shared by the whole installation.
CASH = "cash"  # money vendors deposited with the utility
ENERGY_REVENUE = "revenue:energy"
FIXED_CHARGE_REVENUE = "revenue:fixed-charge"
TAX_PAYABLE = "tax:vat"
ADJUSTMENTS = "adjustments"  # the other side of corrections an operator makes
DEBT_RAISED = "debt:raised"  # the other side of debt put on a customer's account


def agent_float(agent_id: int) -> str:
    """The account holding a vendor's float (credit: the utility owes the vendor energy)."""
    return f"agent:{agent_id}:float"


def customer_debt(customer_id: int) -> str:
    """The account of a customer's arrears (debit: the customer owes the utility)."""
    return f"customer:{customer_id}:debt"


@dataclass(frozen=True)
class Posting:
    """One line of an entry: `amount` minor units credited (positive) or debited (negative)."""

    account: str
    amount: int


@dataclass(frozen=True)
class JournalEntry:
    """A balanced set of postings recording one money movement."""

    kind: str
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        postings = tuple(p for p in self.postings if p.amount)
        if not postings:
            raise InvalidInput("empty_entry", f"{self.kind}: an entry needs a non-zero posting")
        total = sum(p.amount for p in postings)
        if total:
            raise ValueError(f"{self.kind}: postings sum to {total}, not zero")
        object.__setattr__(self, "postings", postings)


def vend_entry(split: PriceSplit, agent_id: int, customer_id: int | None) -> JournalEntry:
    """A sale: the vendor's float pays for energy, fixed charge, tax and recovered debt."""
    if split.debt_recovered and customer_id is None:
        raise ValueError("debt recovered from a meter without a customer")
    postings = [
        Posting(agent_float(agent_id), -split.amount),
        Posting(ENERGY_REVENUE, split.energy_amount),
        Posting(FIXED_CHARGE_REVENUE, split.fixed_charge),
        Posting(TAX_PAYABLE, split.tax),
    ]
    if split.debt_recovered:
        assert customer_id is not None
        postings.append(Posting(customer_debt(customer_id), split.debt_recovered))
    return JournalEntry("vend", tuple(postings))


def reversal_entry(original: JournalEntry, memo: str) -> JournalEntry:
    """The exact opposite of an entry: restores every balance it moved."""
    return JournalEntry(
        "reversal", tuple(Posting(p.account, -p.amount) for p in original.postings), memo
    )


def topup_entry(agent_id: int, amount: int, memo: str = "") -> JournalEntry:
    """A vendor deposits cash: the utility holds the cash and owes the vendor that much energy."""
    if amount <= 0:
        raise InvalidInput("invalid_amount", "a top-up must be above zero")
    return JournalEntry(
        "topup", (Posting(CASH, -amount), Posting(agent_float(agent_id), amount)), memo
    )


def adjustment_entry(agent_id: int, amount: int, reason: str) -> JournalEntry:
    """An operator's correction of a vendor's float, either way, with the reason recorded."""
    if not amount:
        raise InvalidInput("invalid_amount", "an adjustment cannot be zero")
    if not reason.strip():
        raise InvalidInput("reason_required", "an adjustment needs a reason")
    return JournalEntry(
        "adjustment",
        (Posting(ADJUSTMENTS, -amount), Posting(agent_float(agent_id), amount)),
        reason.strip(),
    )


def debt_entry(customer_id: int, amount: int, reason: str) -> JournalEntry:
    """Arrears put on (positive amount) or written off (negative) a customer's account."""
    if not amount:
        raise InvalidInput("invalid_amount", "a debt change cannot be zero")
    return JournalEntry(
        "debt",
        (Posting(customer_debt(customer_id), -amount), Posting(DEBT_RAISED, amount)),
        reason.strip(),
    )
