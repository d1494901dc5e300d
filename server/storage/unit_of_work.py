"""The unit of work: one database transaction, with the repositories that work inside it."""

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from server.storage.database import READ_ONLY
from server.storage.repositories.agents import (
    AgentRepository,
    DeviceRepository,
    PosClientRepository,
)
from server.storage.repositories.audit import AuditRepository
from server.storage.repositories.catalogue import (
    CustomerRepository,
    MeterRepository,
    SupplyGroupRepository,
    TariffRepository,
)
from server.storage.repositories.ledger import LedgerRepository
from server.storage.repositories.operators import InstallationRepository, OperatorRepository
from server.storage.repositories.sales import SaleRepository, TokenRepository


class UnitOfWork:
    """Use as `with uow: ...; uow.commit()`. Leaving without commit rolls everything back."""

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        account_ids: dict[str, int],
        *,
        read_only: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._account_ids = account_ids
        self._read_only = read_only

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        if self._read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        session = self.session
        self.installation = InstallationRepository(session)
        self.operators = OperatorRepository(session)
        self.pos_clients = PosClientRepository(session)
        self.supply_groups = SupplyGroupRepository(session)
        self.tariffs = TariffRepository(session)
        self.customers = CustomerRepository(session)
        self.meters = MeterRepository(session)
        self.agents = AgentRepository(session)
        self.devices = DeviceRepository(session)
        self.sales = SaleRepository(session)
        self.tokens = TokenRepository(session)
        self.ledger = LedgerRepository(session, self._account_ids)
        self.audit = AuditRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and unlike rollback() it leaves the
        # loaded rows readable (detached) for the caller to build its answer from.
        self.session.close()

    def commit(self) -> None:
        """Make the transaction's changes permanent."""
        self.session.commit()
        self.ledger.committed()

    def rollback(self) -> None:
        """Undo everything since the last commit."""
        self.session.rollback()
