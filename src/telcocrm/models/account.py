"""账户 billing account: who pays, how, and under which family or group master account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import AccountStatus, AccountType, PaymentMethod


class BillingAccount(Base):
    """A billing account; family secondary and group sub accounts point at their parent."""

    __tablename__ = "billing_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    account_type: Mapped[AccountType] = mapped_column(enum_type(AccountType, "account_type"), nullable=False)
    parent_account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_account.id"), nullable=True)
    payment_method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod, "payment_method"), nullable=False)
    status: Mapped[AccountStatus] = mapped_column(
        enum_type(AccountStatus, "account_status"), nullable=False, default=AccountStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)

    __table_args__ = (
        # Partial: most accounts have no parent, and a lookup of an account's children implies IS NOT NULL.
        Index(
            "ix_billing_account_parent_account_id",
            "parent_account_id",
            postgresql_where=text("parent_account_id IS NOT NULL"),
            sqlite_where=text("parent_account_id IS NOT NULL"),
        ),
    )
