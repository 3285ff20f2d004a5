"""The read model of customers: typed rows for what the 360 view and the TMF resources show.

Those reads only show data, so they select plain columns with Core and keep each entity's columns as a named
tuple. Building ORM objects (identity map, instrumented attributes) cost more than running the statements.
Each record names the columns it needs; the field names are the column (and ORM attribute) names, so
presentation code reads a record and an ORM object alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, FromClause, Row, and_, case, func, literal, or_, select

from telcocrm.models import (
    AssessmentRun,
    BillingAccount,
    Certificate,
    CreditRatingHistory,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
    LifecycleHistory,
    SegmentHistory,
    Subscriber,
)
from telcocrm.models.enums import (
    AccountStatus,
    AccountType,
    CertificateType,
    CustomerKind,
    CustomerStatus,
    DecisionScope,
    HistoryAction,
    IncomeBand,
    OrganisationCategory,
    OwnershipType,
    PaymentMethod,
    Product,
    RelationType,
    SubscriberStatus,
)

R = TypeVar("R", bound=NamedTuple)


class CustomerRecord(NamedTuple):
    id: int
    code: str
    kind: CustomerKind
    name: str
    status: CustomerStatus
    merged_into_code: str | None
    password_hash: str | None
    joined_at: datetime
    created_at: datetime
    changed_at: datetime
    cancelled_at: datetime | None


class CertificateRecord(NamedTuple):
    id: int
    customer_id: int
    cert_type: CertificateType
    cert_number: str
    cert_address: str | None
    active: bool


class ProfileRecord(NamedTuple):
    customer_id: int
    contact_phone: str | None
    contact_email: str | None
    contact_address: str | None
    province: str | None
    city: str | None
    preferred_channel: str | None
    contact_time: str | None
    do_not_disturb: bool
    occupation: str | None
    income_band: IncomeBand | None
    education: str | None
    hobbies: list[str] | None
    source: str | None
    organisation_category: OrganisationCategory | None
    industry: str | None
    decision_scope: DecisionScope | None
    strategic: bool
    home_business: bool


class AccountRecord(NamedTuple):
    id: int
    customer_id: int
    account_code: str
    name: str
    account_type: AccountType
    parent_account_id: int | None
    payment_method: PaymentMethod
    status: AccountStatus


class SubscriberRecord(NamedTuple):
    id: int
    subscriber_code: str
    customer_id: int
    account_id: int
    product: Product
    service_number: str
    install_address: str | None
    ownership_type: OwnershipType
    status: SubscriberStatus
    activated_date: date
    terminated_date: date | None
    contract_end_date: date | None
    channel_code: str | None
    staff_code: str | None
    brand: str | None


class RelationRecord(NamedTuple):
    id: int
    customer_id: int
    related_customer_id: int
    relation_type: RelationType


class HistoryRecord(NamedTuple):
    id: int
    customer_id: int
    customer_code: str
    action: HistoryAction
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


class CreditRecord(NamedTuple):
    """A month's credit rating and class (credit_rating_history)."""

    customer_code: str
    month: str
    credit_rating: str
    credit_rule: str
    credit_reason: str
    consecutive_a_months: int
    credit_class: str
    class_rule: str
    class_reason: str
    suspension_exempt_months: int
    overdraft_limit_fen: int
    rental_eligible: bool
    discount_limit_pct: int
    rules_version: str
    recorded_at: datetime


class SegmentRecord(NamedTuple):
    """A month's segment, classification, big-customer kinds, star and value tiers (segment_history)."""

    customer_code: str
    month: str
    segment: str
    sub_segment: str | None
    segment_rule: str
    segment_reason: str
    value_grade: str | None
    arpu_grade: str | None
    deposit_tier: str | None
    tenure_band: str | None
    behaviour_cluster: str | None
    demographic_band: str | None
    big_customer_kinds: str | None
    special_class: bool
    big_customer_reason: str | None
    star_tier: str
    star_rule: str
    star_reason: str
    value_tier: str
    value_rule: str
    value_reason: str
    rules_version: str
    recorded_at: datetime


class LifecycleRecord(NamedTuple):
    """A month's lifecycle stage of one subscriber (lifecycle_history)."""

    subscriber_code: str
    month: str
    customer_code: str
    lifecycle_stage: str
    lifecycle_rule: str
    lifecycle_reason: str
    rules_version: str
    recorded_at: datetime


TABLES: dict[type[NamedTuple], FromClause] = {
    CustomerRecord: Customer.__table__,
    CertificateRecord: Certificate.__table__,
    ProfileRecord: CustomerProfile.__table__,
    AccountRecord: BillingAccount.__table__,
    SubscriberRecord: Subscriber.__table__,
    RelationRecord: CustomerRelation.__table__,
    HistoryRecord: CustomerHistory.__table__,
    CreditRecord: CreditRatingHistory.__table__,
    SegmentRecord: SegmentHistory.__table__,
    LifecycleRecord: LifecycleHistory.__table__,
}


def columns(record: type[NamedTuple], table: FromClause | None = None) -> list[ColumnElement[Any]]:
    """The columns a record is read from, in its field order (of its entity's table, or of an alias of it)."""
    source = TABLES[record] if table is None else table
    return [source.c[name] for name in record._fields]


def take(record: type[R], row: Row[Any], start: int = 0) -> R:
    """The record held by the row from column `start` on."""
    return record._make(row[start : start + len(record._fields)])


def take_optional(record: type[R], row: Row[Any], start: int) -> R | None:
    """The record of an outer-joined entity, or None when the join found no row (its first column is NULL)."""
    return None if row[start] is None else take(record, row, start)


RELATED_COLUMNS = (*RelationRecord._fields, "direction", "other_code", "other_name", "other_kind")


def with_relations(source: FromClause, customer: FromClause) -> tuple[FromClause, list[ColumnElement[Any]]]:
    """`source` outer-joined with the customer's relations on either side and the other customer of each.

    The columns, in RELATED_COLUMNS order: the relation (a RelationRecord), its direction seen from the
    customer (outgoing when the customer holds it), the other customer's code, name and kind. One join
    rather than a statement of its own: a statement costs more than the few rows it multiplies.
    """
    relation, other = CustomerRelation.__table__, Customer.__table__.alias("other")
    outgoing = relation.c.customer_id == customer.c.id
    other_id = case((outgoing, relation.c.related_customer_id), else_=relation.c.customer_id)
    direction = case((outgoing, literal("outgoing")), else_=literal("incoming"))
    joined = source.outerjoin(relation, or_(outgoing, relation.c.related_customer_id == customer.c.id))
    joined = joined.outerjoin(other, other.c.id == other_id)
    return joined, [*columns(RelationRecord), direction, other.c.code, other.c.name, other.c.kind]


def published(table: FromClause) -> ColumnElement[bool]:
    """Rows of the run each month shows (assessment_run); any other run's rows are a load in progress or replaced."""
    run = AssessmentRun.__table__
    return table.c.run_id.in_(select(run.c.run_id))


def latest_month(table: FromClause, key: str, owner: ColumnElement[Any]) -> ColumnElement[bool]:
    """Join condition: `owner`'s published row of a monthly history in its newest month (two lookups of the key).

    A correlated max rather than a window or a lateral join: the same SQL on SQLite and PostgreSQL, and the
    statement stays one statement, so the reads that show it keep their statement budgets.
    """
    newest = table.alias(f"newest_{table.name}")  # type: ignore[attr-defined]
    month = select(func.max(newest.c.month)).where(newest.c[key] == owner, published(newest)).scalar_subquery()
    return and_(table.c[key] == owner, table.c.month == month, published(table))
