"""What TMF658 writes: enrol a customer (open the points account), change a member's flags, spend points.

The ledger does the work; this module checks the customer and the viewer, names fields as the client sent them,
and appends an audit record for every change of a member (who opted the customer in, who closed the account).
The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from telcocrm.customers import repository as customers
from telcocrm.errors import Conflict, Forbidden, InvalidInput, NotFound, TelcoError
from telcocrm.loyalty import ledger
from telcocrm.loyalty.ledger_repository import EntryRecord
from telcocrm.loyalty.tmf_queries import member
from telcocrm.models.enums import CustomerStatus, PointsAccountStatus
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer

KEY_PREFIX = "tmf658:"  # keeps a client's keys apart from the ledger's own (awards, reversals, expiry)
CLOSE_PERMISSION = "loyalty:admin"


def enrol(db: Session, *, viewer: Viewer, code: str, flags: dict[str, bool], name: str | None = None) -> None:
    """Open the points account of an active customer that has none; the flags as given."""
    field = "relatedParty.id"
    try:
        customer = customers.get_exact(db, code)
    except NotFound:
        raise InvalidInput(f"客户 {code} 不存在 / customer {code} not found", field=field, record=code) from None
    if customer.status is CustomerStatus.MERGED:
        into = customer.merged_into_code
        raise Conflict(f"客户 {code} 已并入 {into} / customer was merged into {into}", field=field, record=code)
    if customer.status is not CustomerStatus.ACTIVE:
        raise Conflict(f"客户 {code} 已注销 / customer {code} is {customer.status.value}", field=field, record=code)
    if name is not None and name != customer.name:
        raise InvalidInput(f"会员名即客户名 {customer.name} / name must be the customer's", field="name", record=code)
    # One statement decides: of two enrolments at once, the one that did not open the account gets the 409.
    if not ledger.open_new_account(db, customer_code=code, **flags):
        raise Conflict(f"客户 {code} 已是积分会员 / customer {code} is already a member", field=field, record=code)
    _audit(db, viewer, "points_account.open", code, {"after": flags})


def change_member(
    db: Session, *, viewer: Viewer, code: str, status: PointsAccountStatus | None, flags: dict[str, bool]
) -> None:
    """Set the flags and status that differ from the account's; closing or reopening takes loyalty:admin."""
    before = member(db.connection(), code).account
    wanted: dict[str, Any] = dict(flags) | ({"status": status} if status is not None else {})
    changes = {name: value for name, value in wanted.items() if getattr(before, name) != value}
    if not changes:
        return
    if "status" in changes and not viewer.may(CLOSE_PERMISSION):
        raise Forbidden(
            f"角色 {viewer.role.value} 无权限 {CLOSE_PERMISSION}，不能更改状态 / role may not change the status",
            field="status",
            record=code,
        )
    ledger.set_account_flags(db, customer_code=code, **changes)
    detail = {
        "before": {name: _plain(getattr(before, name)) for name in changes},
        "after": {name: _plain(value) for name, value in changes.items()},
    }
    _audit(db, viewer, "points_account.change", code, detail)


def burn(db: Session, *, viewer: Viewer, code: str, points: int, key: str, reference: str | None) -> list[EntryRecord]:
    """Spend points nearest-expiry first; the same key again spends nothing more and returns the same entries."""
    with _event_fields():
        return ledger.spend(
            db,
            customer_code=code,
            points=points,
            reference=reference or key,
            idempotency_key=KEY_PREFIX + key,
            recorded_by=viewer.username,
        )


# Ledger field names → the attribute of the LoyaltyEvent the client sent.
EVENT_FIELDS = {"points": "event.points", "idempotency_key": "event.idempotencyKey", "status": "memberId"}


@contextmanager
def _event_fields() -> Iterator[None]:
    """Name the attribute of the request in a ledger error; an unknown member is a bad `memberId` (400)."""
    try:
        yield
    except NotFound as exc:
        raise InvalidInput(exc.message, field="memberId", record=exc.record) from None
    except TelcoError as exc:
        exc.field = EVENT_FIELDS.get(exc.field or "", exc.field)
        raise


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, PointsAccountStatus) else value


def _audit(db: Session, viewer: Viewer, action: str, code: str, detail: dict[str, Any]) -> None:
    audit.record(db=db, viewer=viewer, action=action, resource_type="points_account", resource_id=code, detail=detail)
