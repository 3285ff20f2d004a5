"""The customer aggregate: customer, certificates, relations, profile and append-only history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import (
    CertificateType,
    CustomerKind,
    CustomerStatus,
    DecisionScope,
    HistoryAction,
    IncomeBand,
    OrganisationCategory,
    RelationType,
)


class CodeCounter(Base):
    """Monotonic counters behind immutable codes: a number handed out is never handed out again."""

    __tablename__ = "code_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger, nullable=False)  # 11-digit serials exceed 32 bits


class Customer(Base):
    """客户: the owner, by property relation, of products registered under one certificate."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    kind: Mapped[CustomerKind] = mapped_column(enum_type(CustomerKind, "customer_kind"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[CustomerStatus] = mapped_column(
        enum_type(CustomerStatus, "customer_status"), nullable=False, default=CustomerStatus.ACTIVE
    )
    merged_into_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failed_auth_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        # Name-prefix search (Chinese included) uses a plain b-tree; PostgreSQL needs the pattern opclass.
        Index("ix_customer_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        # Partial: only merged customers hold a code here (few), and a lookup by code implies IS NOT NULL.
        Index(
            "ix_customer_merged_into_code",
            "merged_into_code",
            postgresql_where=text("merged_into_code IS NOT NULL"),
            sqlite_where=text("merged_into_code IS NOT NULL"),
        ),
    )


class Certificate(Base):
    """A certificate registered for a customer; one active number belongs to one customer."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    cert_type: Mapped[CertificateType] = mapped_column(enum_type(CertificateType, "certificate_type"), nullable=False)
    cert_number: Mapped[str] = mapped_column(String(40), nullable=False)
    cert_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        # Number first, so the one index also finds an active certificate by its number alone (search). Each
        # condition is written as SQLAlchemy writes `Certificate.active` and its negation in a query on that
        # backend: SQLite uses a partial index only for a query stating its condition in the same form.
        Index(
            "uq_certificate_active_number",
            "cert_number",
            "cert_type",
            unique=True,
            sqlite_where=text("active = 1"),
            postgresql_where=text("active"),
        ),
        # Released certificates (of cancelled customers) are few; search finds them through this small index.
        Index(
            "ix_certificate_released_number",
            "cert_number",
            sqlite_where=text("active = 0"),
            postgresql_where=text("NOT active"),
        ),
    )


class CustomerRelation(Base):
    """A directed relation: `customer` has `related_customer` as its <relation_type>."""

    __tablename__ = "customer_relation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    related_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    relation_type: Mapped[RelationType] = mapped_column(enum_type(RelationType, "relation_type"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


class CustomerProfile(Base):
    """Extended (contact, insight) and peripheral (social) attributes; one row per customer."""

    __tablename__ = "customer_profile"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    province: Mapped[str | None] = mapped_column(String(40), nullable=True)
    city: Mapped[str | None] = mapped_column(String(40), nullable=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contact_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    do_not_disturb: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    occupation: Mapped[str | None] = mapped_column(String(60), nullable=True)
    income_band: Mapped[IncomeBand | None] = mapped_column(enum_type(IncomeBand, "income_band"), nullable=True)
    education: Mapped[str | None] = mapped_column(String(30), nullable=True)
    hobbies: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Segmentation attributes (brief §2), kept by account managers; the first three are for organisations only.
    organisation_category: Mapped[OrganisationCategory | None] = mapped_column(
        enum_type(OrganisationCategory, "organisation_category"), nullable=True
    )
    industry: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decision_scope: Mapped[DecisionScope | None] = mapped_column(
        enum_type(DecisionScope, "decision_scope"), nullable=True
    )
    strategic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    home_business: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


class CustomerHistory(Base):
    """Append-only record of every create, change, merge, split and cancel: who, when, before, after."""

    __tablename__ = "customer_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    customer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[HistoryAction] = mapped_column(enum_type(HistoryAction, "history_action"), nullable=False)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


@event.listens_for(CustomerHistory, "before_update")
@event.listens_for(CustomerHistory, "before_delete")
def _history_is_append_only(_mapper: Any, _connection: Any, target: CustomerHistory) -> None:
    raise RuntimeError(f"customer history {target.id} is append-only: write a new entry instead")
