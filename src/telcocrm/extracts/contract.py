"""The input contract of a month of billing extracts, as data: per table, its columns and their rules.

docs/data-contract.md ("Monthly billing extracts") explains it for people; the checks read it from here.
Each input column lands in the stored column of the same name (schemas.EXTRACTS), except money: `*_amount`
and `*_fee` become integer fen (`*_fen`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telcocrm.analytics.schemas import EVENT_KINDS, INTEGRITY_KINDS
from telcocrm.models.enums import PaymentMethod


class Kind(StrEnum):
    """What a column holds, which says how it is read and checked."""

    TEXT = "text"
    SUBSCRIBER = "subscriber"  # a subscriber_code of the operational database
    CUSTOMER = "customer"  # a customer code of the operational database
    MONTH = "month"  # YYYY-MM, equal to the month being ingested
    MONEY = "money"  # CNY with at most two decimals → integer fen
    COUNT = "count"  # a whole number
    DATE = "date"  # YYYY-MM-DD
    TIME = "time"  # ISO 8601, with an offset (converted to local time) or without (already local)


@dataclass(frozen=True)
class Column:
    """One input column and its rules."""

    name: str
    kind: Kind
    stored: str = ""  # the stored column; '' means the same name
    required: bool = True  # the column must be in the file
    nullable: bool = False  # the value may be empty
    values: tuple[str, ...] = ()  # the allowed values (an enumeration); () means any
    not_above: str = ""  # another column of the row this value may not exceed
    in_month: bool = False  # a date or time that must fall inside the month
    not_before_month: bool = False  # a date that may not be before the month's first day
    not_after_month: bool = False  # a date that may not be after the month's last day
    day: str = ""  # a time whose local day is also stored, in this column

    @property
    def target(self) -> str:
        return self.stored or self.name

    @property
    def minimum(self) -> int | None:
        """Amounts and counts may not be negative."""
        return 0 if self.kind in (Kind.MONEY, Kind.COUNT) else None


@dataclass(frozen=True)
class Table:
    """One extract of the month: its columns and which rows count as the same."""

    name: str
    columns: tuple[Column, ...]
    # Columns that identify a row (one row per subscriber and month); () means the whole row may not repeat.
    key: tuple[str, ...] = ()
    optional: bool = False  # a month may come without the file: the table is then empty for that month
    repeated: str = ""  # why a row repeating an earlier one's key is refused ({first}: that row); '' the default

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _money(name: str, *, nullable: bool = False, not_above: str = "") -> Column:
    """An amount in CNY, stored in fen: billed_amount → billed_fen, plan_fee → plan_fee_fen, amount → amount_fen."""
    stored = name.removesuffix("_amount") if name != "amount" else name
    return Column(name, Kind.MONEY, stored=stored + "_fen", nullable=nullable, not_above=not_above)


def _counts(*names: str) -> tuple[Column, ...]:
    return tuple(Column(name, Kind.COUNT) for name in names)


BILLS = Table(
    "bills",
    (
        Column("subscriber_id", Kind.SUBSCRIBER),
        Column("month", Kind.MONTH),
        _money("billed_amount"),
        Column("due_date", Kind.DATE, not_before_month=True),
        _money("paid_amount", not_above="billed_amount"),
        Column("paid_date", Kind.DATE, nullable=True),  # given exactly when paid_amount > 0 (checks.py)
        Column("payment_method", Kind.TEXT, values=tuple(m.value for m in PaymentMethod)),
    ),
    key=("subscriber_id", "month"),
)
USAGE = Table(
    "usage",
    (
        Column("subscriber_id", Kind.SUBSCRIBER),
        Column("month", Kind.MONTH),
        Column("voice_minutes", Kind.COUNT),
        Column("offnet_voice_minutes", Kind.COUNT, not_above="voice_minutes"),
        *_counts("data_mb", "data_allowance_mb", "sms_count", "forwarded_calls"),
        Column("forwarded_offnet_calls", Kind.COUNT, not_above="forwarded_calls"),
        *_counts("distinct_called_numbers", "roaming_days"),
        _money("plan_fee"),
    ),
    key=("subscriber_id", "month"),
)
EVENTS = Table(
    "events",
    (
        Column("subscriber_id", Kind.SUBSCRIBER),
        Column("event_time", Kind.TIME, in_month=True, day="event_date"),
        Column("kind", Kind.TEXT, values=EVENT_KINDS),
        _money("old_plan_fee", nullable=True),
        _money("new_plan_fee", nullable=True),
        Column("handset_age_months", Kind.COUNT, nullable=True),
        Column("reason", Kind.TEXT, nullable=True),
    ),
)
INTEGRITY = Table(
    "integrity",
    (
        Column("customer_code", Kind.CUSTOMER),
        Column("subscriber_id", Kind.SUBSCRIBER, required=False, nullable=True),
        Column("event_date", Kind.DATE, in_month=True),
        Column("kind", Kind.TEXT, values=INTEGRITY_KINDS),
        _money("amount", nullable=True),
    ),
)
TOPUPS = Table(
    "topups",
    (
        Column("subscriber_id", Kind.SUBSCRIBER),
        Column("topup_time", Kind.TIME, in_month=True, day="topup_date"),
        _money("amount"),
    ),
)
REFERRALS = Table(
    "referrals",
    (
        Column("referrer_customer_code", Kind.CUSTOMER),
        Column("referred_subscriber_id", Kind.SUBSCRIBER),  # never a line of the referrer (checks.py)
        Column("referral_date", Kind.DATE, not_after_month=True),
    ),
    key=("referred_subscriber_id",),
    optional=True,
    repeated="同一号码已被推荐（第 {first} 行）/ this line is referred twice; the first referral is row {first}",
)
TABLES: dict[str, Table] = {t.name: t for t in (BILLS, USAGE, EVENTS, INTEGRITY, TOPUPS, REFERRALS)}
SUFFIXES = (".parquet", ".csv")  # each table is NAME.parquet or NAME.csv
