"""Journal entries and postings; balances are sums of postings."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server.domain.ledger import JournalEntry, Posting
from server.storage.schema import JournalEntryRow, LedgerAccount, PostingRow

_ENTRIES = JournalEntryRow.__table__
_INSERT_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id)
_INSERT_POSTINGS = insert(PostingRow.__table__)


class LedgerRepository:
    def __init__(self, session: Session, account_ids: dict[str, int]) -> None:
        self.session = session
        # Codes map to ids forever (accounts are never renamed or deleted), so ids seen in a
        # committed transaction are shared between units of work; ids seen in this one wait
        # for the commit (a rolled-back account must not be remembered).
        self._account_ids = account_ids
        self._seen: dict[str, int] = {}

    def committed(self) -> None:
        """Called by the unit of work after a commit: remember this transaction's accounts."""
        self._account_ids.update(self._seen)

    def open_accounts(self, codes: Iterable[str]) -> None:
        """Create accounts that do not exist yet (done when an agent or customer is added)."""
        for code in codes:
            if self._account_id(code) is None:
                self.session.add(LedgerAccount(code=code))
        self.session.flush()

    def post(
        self, entry: JournalEntry, *, actor: str, at: datetime, sale_id: int | None = None
    ) -> int:
        """Write a balanced entry (the domain refuses unbalanced ones); its id."""
        connection = self.session.connection()
        entry_id = connection.execute(
            _INSERT_ENTRY,
            {
                "kind": entry.kind,
                "memo": entry.memo,
                "actor": actor,
                "sale_id": sale_id,
                "created_at": at,
            },
        ).scalar_one()
        rows = [
            {"entry_id": entry_id, "account_id": self._require(p.account), "amount": p.amount}
            for p in entry.postings
        ]
        connection.execute(_INSERT_POSTINGS, rows)
        return entry_id

    def entry_of_sale(self, sale_id: int, kind: str = "vend") -> JournalEntry | None:
        """The entry a sale was recorded with, rebuilt from its postings."""
        query = (
            select(JournalEntryRow.memo, LedgerAccount.code, PostingRow.amount)
            .join(PostingRow, PostingRow.entry_id == JournalEntryRow.id)
            .join(LedgerAccount, LedgerAccount.id == PostingRow.account_id)
            .where(JournalEntryRow.sale_id == sale_id, JournalEntryRow.kind == kind)
            .order_by(PostingRow.id)
        )
        rows = self.session.execute(query).all()
        if not rows:
            return None
        return JournalEntry(kind, tuple(Posting(code, amount) for _, code, amount in rows))

    def balance(self, code: str) -> int:
        account_id = self._account_id(code)
        if account_id is None:
            return 0
        query = select(func.coalesce(func.sum(PostingRow.amount), 0)).where(
            PostingRow.account_id == account_id
        )
        return int(self.session.execute(query).scalar_one())

    def balances(self) -> dict[str, int]:
        """Every account's balance."""
        query = (
            select(LedgerAccount.code, func.coalesce(func.sum(PostingRow.amount), 0))
            .outerjoin(PostingRow, PostingRow.account_id == LedgerAccount.id)
            .group_by(LedgerAccount.code)
        )
        return {code: int(total) for code, total in self.session.execute(query)}

    def entry_count(self) -> int:
        return int(self.session.execute(select(func.count(JournalEntryRow.id))).scalar_one())

    def unbalanced_entries(self) -> list[tuple[int, int]]:
        """(entry id, sum) of every entry whose postings do not sum to zero."""
        query = (
            select(PostingRow.entry_id, func.sum(PostingRow.amount))
            .group_by(PostingRow.entry_id)
            .having(func.sum(PostingRow.amount) != 0)
        )
        return [(int(e), int(s)) for e, s in self.session.execute(query)]

    def statement(
        self, code: str, start: datetime, end: datetime
    ) -> tuple[int, list[tuple[datetime, str, str, int | None, int]]]:
        """Opening balance at `start`, then (when, kind, memo, sale id, amount) until `end`."""
        account_id = self._account_id(code)
        if account_id is None:
            return 0, []
        opening = self.session.execute(
            select(func.coalesce(func.sum(PostingRow.amount), 0))
            .join(JournalEntryRow, JournalEntryRow.id == PostingRow.entry_id)
            .where(PostingRow.account_id == account_id, JournalEntryRow.created_at < start)
        ).scalar_one()
        query = (
            select(
                JournalEntryRow.created_at,
                JournalEntryRow.kind,
                JournalEntryRow.memo,
                JournalEntryRow.sale_id,
                PostingRow.amount,
            )
            .join(JournalEntryRow, JournalEntryRow.id == PostingRow.entry_id)
            .where(
                PostingRow.account_id == account_id,
                JournalEntryRow.created_at >= start,
                JournalEntryRow.created_at < end,
            )
            .order_by(JournalEntryRow.created_at, PostingRow.id)
        )
        lines = [
            (at, kind, memo, sale, int(amount))
            for at, kind, memo, sale, amount in self.session.execute(query)
        ]
        return int(opening), lines

    def _require(self, code: str) -> int:
        account_id = self._account_id(code)
        if account_id is None:
            raise LookupError(f"ledger account {code} was never opened")
        return account_id

    def _account_id(self, code: str) -> int | None:
        known = self._account_ids.get(code) or self._seen.get(code)
        if known is not None:
            return known
        found = self.session.scalars(
            select(LedgerAccount.id).where(LedgerAccount.code == code)
        ).one_or_none()
        if found is not None:
            self._seen[code] = found
        return found
