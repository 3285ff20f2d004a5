"""Staff users who log in, and the audit trail of what they saw unmasked and what they changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, enum_type, utc_now
from telcocrm.models.enums import StaffRole


class StaffUser(Base):
    """A member of staff with one role; the password is stored as an Argon2 hash only."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole, "staff_role"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)


class AuditRecord(Base):
    """One unmasked view of personal data, or one change: who, when, what, which fields."""

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
    actor: Mapped[str] = mapped_column(String(60), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)  # view_unmasked | change | login …
    resource_type: Mapped[str] = mapped_column(String(40), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(40), nullable=False)
    fields: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        Index("ix_audit_record_resource", "resource_type", "resource_id"),
        Index("ix_audit_record_actor_at", "actor", "at"),
    )


@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _audit_is_append_only(_mapper: Any, _connection: Any, target: AuditRecord) -> None:
    raise RuntimeError(f"audit record {target.id} is append-only")
