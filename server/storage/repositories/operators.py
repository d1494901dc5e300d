"""Operators, their login sessions, and the installation settings row."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.storage.schema import ApiSession, Installation, Operator


class OperatorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, operator: Operator) -> Operator:
        self.session.add(operator)
        self.session.flush()
        return operator

    def by_username(self, username: str) -> Operator | None:
        query = select(Operator).where(Operator.username == username)
        return self.session.scalars(query).one_or_none()

    def by_id(self, operator_id: int) -> Operator | None:
        return self.session.get(Operator, operator_id)

    def all(self) -> list[Operator]:
        return list(self.session.scalars(select(Operator).order_by(Operator.username)))

    def add_session(self, api_session: ApiSession) -> None:
        self.session.add(api_session)
        self.session.flush()

    def session_by_hash(self, token_hash: str) -> ApiSession | None:
        query = select(ApiSession).where(ApiSession.token_hash == token_hash)
        return self.session.scalars(query).one_or_none()

    def drop_expired_sessions(self, now: datetime) -> None:
        self.session.execute(delete(ApiSession).where(ApiSession.expires_at < now))


class InstallationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> Installation | None:
        return self.session.get(Installation, 1)

    def add(self, installation: Installation) -> Installation:
        installation.id = 1
        self.session.add(installation)
        self.session.flush()
        return installation
