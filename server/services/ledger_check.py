"""Proving the books: every entry balances, and every cached balance equals its postings."""

from dataclasses import dataclass

from server.domain import ledger
from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LedgerReport:
    """What `ledger check` found. `problems` is empty when the books are sound."""

    entries_checked: int
    accounts: dict[str, int]  # every account's balance (sum of postings), minor units
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check(ctx: ServiceContext, actor: Actor) -> LedgerReport:
    """Check that entries sum to zero, all postings sum to zero, and each vendor's float and
    customer's debt (the values sales lock and read) equal the sums of their postings."""
    actor.require(Permission.REPORTS)

    def work(uow: UnitOfWork) -> LedgerReport:
        money = ctx.currency.format
        problems: list[str] = []
        for entry_id, total in uow.ledger.unbalanced_entries():
            problems.append(f"entry {entry_id}: postings sum to {money(total)}, not zero")
        balances = uow.ledger.balances()
        if sum(balances.values()):
            problems.append(f"all postings together sum to {money(sum(balances.values()))}")
        offset = 0
        while page := uow.agents.page(offset=offset, limit=500):
            for agent in page:
                posted = balances.get(ledger.agent_float(agent.id), 0)
                if posted != agent.balance:
                    problems.append(
                        f"agent {agent.code}: float shows {money(agent.balance)}, "
                        f"its postings sum to {money(posted)}"
                    )
            offset += len(page)
        offset = 0
        while page := uow.customers.page(offset=offset, limit=500):
            for customer in page:
                posted = -balances.get(ledger.customer_debt(customer.id), 0)
                if posted != customer.debt:
                    problems.append(
                        f"customer {customer.account_no}: debt shows {money(customer.debt)}, "
                        f"its postings sum to {money(posted)}"
                    )
            offset += len(page)
        return LedgerReport(uow.ledger.entry_count(), balances, tuple(problems))

    return ctx.transaction(work, read_only=True)
