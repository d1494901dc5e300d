"""Who may do what: operator roles and the permissions each grants."""

from enum import StrEnum

from server.domain.errors import Forbidden, InvalidInput


class Role(StrEnum):
    """Operator roles, from most to least powerful; `pos` is a point-of-sale client's role."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CASHIER = "cashier"
    AUDITOR = "auditor"
    POS = "pos"

    @classmethod
    def parse(cls, text: str) -> "Role":
        """A role from its name, with an error listing the valid ones."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls if r is not cls.POS)
            raise InvalidInput("invalid_role", f"role {text!r}: expected one of {names}") from None


class Permission(StrEnum):
    """An action someone may be allowed to take."""

    VEND = "vend"
    QUOTE = "quote"
    REPRINT = "reprint"
    TOPUP = "topup"
    ADJUST = "adjust"
    SET_LIMIT = "set-limit"
    REVERSE = "reverse"
    ENGINEERING = "engineering"
    MANAGE_CATALOGUE = "manage-catalogue"  # supply groups, tariffs, meters, customers
    MANAGE_AGENTS = "manage-agents"
    MANAGE_KEYS = "manage-keys"
    MANAGE_OPERATORS = "manage-operators"
    VIEW = "view"  # read meters, customers, agents, statements
    REPORTS = "reports"
    AUDIT = "audit"


_P = Permission
_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SUPERVISOR: frozenset(
        {_P.VEND, _P.QUOTE, _P.REPRINT, _P.TOPUP, _P.ADJUST, _P.SET_LIMIT, _P.REVERSE,
         _P.ENGINEERING, _P.MANAGE_CATALOGUE, _P.MANAGE_AGENTS, _P.VIEW, _P.REPORTS}
    ),
    Role.CASHIER: frozenset({_P.VEND, _P.QUOTE, _P.REPRINT, _P.TOPUP, _P.VIEW}),
    Role.AUDITOR: frozenset({_P.VIEW, _P.REPORTS, _P.AUDIT, _P.REPRINT}),
    Role.POS: frozenset({_P.VEND, _P.QUOTE, _P.REPRINT}),
}  # fmt: skip


def may(role: Role, permission: Permission) -> bool:
    """Whether `role` grants `permission`."""
    return permission in _GRANTS[role]


def require(role: Role, permission: Permission) -> None:
    """Raise Forbidden unless `role` grants `permission`."""
    if not may(role, permission):
        raise Forbidden("forbidden", f"role {role.value} may not {permission.value}")
