"""用户 subscriber: a product instance the customer bought (a mobile line, a fixed line, broadband)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import OwnershipType, Product, SubscriberStatus


class Subscriber(Base):
    """A subscriber: belongs to one customer and is billed to one account."""

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), nullable=False, index=True)
    product: Mapped[Product] = mapped_column(enum_type(Product, "product"), nullable=False)
    service_number: Mapped[str] = mapped_column(String(32), nullable=False)
    install_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ownership_type: Mapped[OwnershipType] = mapped_column(
        enum_type(OwnershipType, "ownership_type"), nullable=False, default=OwnershipType.OWNED
    )
    status: Mapped[SubscriberStatus] = mapped_column(
        enum_type(SubscriberStatus, "subscriber_status"), nullable=False, default=SubscriberStatus.ACTIVE
    )
    activated_date: Mapped[date] = mapped_column(Date, nullable=False)
    terminated_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    contract_end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    channel_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    brand: Mapped[str | None] = mapped_column(String(32), nullable=True)  # a code of the brand catalogue
    staff_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (Index("ix_subscriber_service_number", "service_number"),)
