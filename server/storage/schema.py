"""The database tables, as SQLAlchemy 2 declarative models.

Money columns are integers in the currency's minor unit; kWh are exact decimals (0.1 kWh).
Constraints that protect money and tokens live here, in the database, not in process memory:
unique request ids per client, unique TIDs per meter, the audit chain's single head row.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KWH = Numeric(12, 1)
RATE = Numeric(7, 6)
PRICE = Numeric(14, 4)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), int: Integer}


class Installation(Base):
    """Installation-wide settings: one row."""

    __tablename__ = "installation"
    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    minor_unit: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    master_key_check: Mapped[bytes | None] = mapped_column(LargeBinary)


class Operator(Base):
    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiSession(Base):
    """A bearer token an operator got by logging in; only its hash is stored."""

    __tablename__ = "api_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PosClient(Base):
    """A third-party point-of-sale system, vending from one agent's float with an API key."""

    __tablename__ = "pos_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class SupplyGroup(Base):
    __tablename__ = "supply_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    sgc: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    key_type: Mapped[int] = mapped_column(default=2)
    ea: Mapped[int] = mapped_column(default=7)
    dkga: Mapped[int] = mapped_column(default=2)
    current_krn: Mapped[int] = mapped_column(default=1)
    base_date: Mapped[int] = mapped_column(default=2014)
    ken: Mapped[int] = mapped_column(default=255)
    created_at: Mapped[datetime]


class VendingKey(Base):
    """A vending key, sealed by the security module; the clear key is never stored."""

    __tablename__ = "vending_keys"
    __table_args__ = (UniqueConstraint("supply_group_id", "krn"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    supply_group_id: Mapped[int] = mapped_column(ForeignKey("supply_groups.id"))
    krn: Mapped[int]
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Tariff(Base):
    __tablename__ = "tariffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    vat_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal(0))
    fixed_monthly: Mapped[int] = mapped_column(BigInteger, default=0)
    debt_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal(0))
    debt_cap: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]


class TariffBlock(Base):
    __tablename__ = "tariff_blocks"
    __table_args__ = (UniqueConstraint("tariff_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"))
    position: Mapped[int]
    up_to_kwh: Mapped[Decimal | None] = mapped_column(KWH)
    price: Mapped[Decimal] = mapped_column(PRICE)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("debt >= 0", name="debt_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    # Outstanding arrears in minor units: a cache of the debt account, checked by `ledger check`.
    debt: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]


class Meter(Base):
    """A meter and the key it holds now (as far as tokens issued to it say)."""

    __tablename__ = "meters"
    id: Mapped[int] = mapped_column(primary_key=True)
    pan: Mapped[str] = mapped_column(String(18), unique=True)
    supply_group_id: Mapped[int] = mapped_column(ForeignKey("supply_groups.id"))
    krn: Mapped[int]
    ti: Mapped[int]
    key_type: Mapped[int] = mapped_column(default=2)
    base_date: Mapped[int]
    pending_ti: Mapped[int | None]  # a tariff index change the next token will carry
    state: Mapped[str] = mapped_column(String(16), default="active")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"))
    last_tid: Mapped[int | None]  # for base_date: reset when a key change rolls the base over
    created_at: Mapped[datetime]


class Agent(Base):
    """A vendor. `balance` caches the float account's sum and is the row vends lock."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        CheckConstraint("balance >= -credit_limit", name="float_within_limit"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_limit: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]


class Device(Base):
    """A handheld belonging to an agent. The device link work fills in the secret."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    offline_allowance: Mapped[int] = mapped_column(BigInteger, default=0)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed under the master key
    # How many times a secret was issued: each issue (registration, re-provisioning) starts
    # a new generation, and every sale outcome records the generation it was made under.
    secret_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("client_ref", "request_id"),
        Index("ix_sales_meter_month", "meter_id", "month"),
        Index("ix_sales_agent_created", "agent_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_ref: Mapped[str] = mapped_column(String(64))  # whose request ids: "pos:3", "operator:1"
    request_id: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    channel: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    pos_client_id: Mapped[int | None] = mapped_column(ForeignKey("pos_clients.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    month: Mapped[int]  # YYYYMM in the installation's time zone, for monthly blocks
    amount: Mapped[int] = mapped_column(BigInteger)
    fixed_charge_gross: Mapped[int] = mapped_column(BigInteger)
    fixed_charge: Mapped[int] = mapped_column(BigInteger)
    debt_recovered: Mapped[int] = mapped_column(BigInteger)
    energy_amount: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    kwh: Mapped[Decimal] = mapped_column(KWH)  # what the price bought
    kwh_credited: Mapped[Decimal] = mapped_column(KWH)  # what the meter credits (STS rounding)
    agent_balance_after: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    created_at: Mapped[datetime]
    reversed_at: Mapped[datetime | None]
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    reversed_by: Mapped[str | None] = mapped_column(String(64))


class EngineeringOrder(Base):
    __tablename__ = "engineering_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    kind: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class IssuedToken(Base):
    """Every token made. TIDs are unique per meter and base date; key change tokens have none."""

    __tablename__ = "tokens"
    __table_args__ = (
        UniqueConstraint("meter_id", "tid_base", "tid"),
        Index("ix_tokens_meter_id_desc", "meter_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    engineering_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("engineering_orders.id"), index=True
    )
    position: Mapped[int]  # order in which the customer enters them
    token_class: Mapped[int]
    subclass: Mapped[int]
    tid: Mapped[int | None]
    tid_base: Mapped[int | None]
    digits: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(128))
    credited: Mapped[Decimal | None] = mapped_column(KWH)
    created_at: Mapped[datetime]


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)


class JournalEntryRow(Base):
    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    created_at: Mapped[datetime]


class PostingRow(Base):
    __tablename__ = "postings"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("journal_entries.id"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class AuditRecord(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork cannot commit
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link: one row, locked by whoever appends so appends serialize."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


# ---- The device link (issue 5): sequence numbers, message log, offline reserves, outcomes ----


class DeviceLink(Base):
    """A handheld's link state: sequence numbers both ways, when it was last heard from."""

    __tablename__ = "device_links"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    in_seq_hi: Mapped[int] = mapped_column(BigInteger, default=0)  # highest uplink seq accepted
    out_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # last downlink seq handed out
    settings: Mapped[str] = mapped_column(Text, default="{}")  # config pushed to the device
    last_status: Mapped[str | None] = mapped_column(Text)  # its last hello, as JSON
    last_seen_at: Mapped[datetime | None]
    # The highest downlink seq the device showed it holds (HTTP poll "after", the snapshot
    # seq of an offline report): downlinks at or below it are delivered, and may be pruned.
    out_seen: Mapped[int] = mapped_column(BigInteger, default=0)


class LinkMessage(Base):
    """The message log: every envelope accepted from or sent to a device, and every reject.

    Accepted and sent rows carry their sequence number, unique per device, secret generation
    and direction, so a replayed uplink is refused by the database itself, whichever server
    process sees it. A new secret (a re-flashed handheld) numbers its uplinks from 1 again.
    Rejects carry no sequence number (a forged one must not block the real message).
    """

    __tablename__ = "link_messages"
    __table_args__ = (
        UniqueConstraint("device_id", "direction", "generation", "seq"),
        Index("ix_link_messages_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    device_name: Mapped[str] = mapped_column(String(64))  # as the message named it
    direction: Mapped[str] = mapped_column(String(4))  # "in" | "out"
    seq: Mapped[int | None] = mapped_column(BigInteger)
    generation: Mapped[int] = mapped_column(default=0)  # the device's secret generation
    kind: Mapped[str] = mapped_column(String(16))  # the message type
    outcome: Mapped[str] = mapped_column(String(32))  # "accepted", "sent", or the error code
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OfflineReserve(Base):
    """Part of a vendor's float set aside for one handheld's offline sales.

    `granted` is what was moved into the reserve (less what went back), `spent` what offline
    sales took from it: the reserve's ledger account holds `granted - spent`. `ceiling` is
    what the handheld was last told it may sell up to (cumulative, like `spent`); it is never
    above `granted`, so every sale the handheld accepts offline is already paid for.
    """

    __tablename__ = "offline_reserves"
    __table_args__ = (
        CheckConstraint("spent <= granted", name="reserve_not_overdrawn"),
        CheckConstraint("ceiling <= granted", name="ceiling_covered"),
    )
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    granted: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    ceiling: Mapped[int] = mapped_column(BigInteger, default=0)
    # The downlink that last told the handheld its ceiling: only a report of that very
    # message may let surplus go back to the float (an older one may predate a raise).
    snapshot_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when the device is disabled or its vendor stops being active (the earliest such
    # moment, cleared when both are back): offline sales taken before it are still honoured
    # from the reserve, none taken after it.
    cutoff_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class DeviceSaleOutcome(Base):
    """The final answer to each sale id a handheld sent: issued, or refused with a reason.

    One row per (device, sale id), written in the same transaction as the sale or the
    refusal: a sale once refused is never issued later, and the other way round.
    """

    __tablename__ = "device_sale_outcomes"
    __table_args__ = (Index("ix_device_sale_outcomes_seq", "device_id", "sale_seq"),)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    sale_ref: Mapped[str] = mapped_column(String(64), primary_key=True)  # the device's sale id
    sale_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # the journal number in it
    generation: Mapped[int] = mapped_column(default=0)  # the secret generation it came under
    outcome: Mapped[str] = mapped_column(String(8))  # "issued" | "refused"
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]  # the handheld printed the slip or showed it


# The operator pages' own tables (server/web): login sessions by stage, operators' TOTP
# secrets, and uploaded import files waiting between their preview and the go-ahead.
# Core tables on the same metadata, so the migrations cover them like every other table.
web_session_grants = Table(
    "web_session_grants",
    Base.metadata,
    # sha256 of the session token (the token itself is only in the browser's cookie)
    Column("token_hash", String(64), primary_key=True),
    Column("operator_id", Integer, nullable=False, index=True),
    # "password": second factor still due; "enrol": must enrol TOTP first; "full": logged in
    Column("stage", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

web_totp = Table(
    "web_totp",
    Base.metadata,
    Column("operator_id", Integer, primary_key=True),
    # The shared secret in clear: only rows written before 0005, until their first use
    # seals them (server/services/second_factor.py); NULL once sealed.
    Column("secret", String(64)),
    # The secret sealed by the security module (purpose "totp secrets", label
    # "operator:<id>"): what every row written since 0005 holds.
    Column("sealed_secret", LargeBinary),
    # False while the operator has been shown the secret but has not typed a code from it yet
    Column("confirmed", Boolean, nullable=False, default=False),
    Column("last_step", BigInteger),  # the newest time step used: a code works only once
    Column("created_at", UtcDateTime(), nullable=False),
)

web_import_uploads = Table(
    "web_import_uploads",
    Base.metadata,
    Column("token", String(64), primary_key=True),  # random; the preview's form carries it
    Column("operator_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # "meters" | "customers"
    Column("filename", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
