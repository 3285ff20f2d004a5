"""Customer operations, one transaction each (the caller commits): create, change, cancel, open, authenticate."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from telcocrm.config import get_settings
from telcocrm.customers import codes, repository
from telcocrm.customers.brands import checked_brand
from telcocrm.customers.rules import check_kind_attributes, validate_certificate, validate_service_number
from telcocrm.customers.schemas import (
    AccountCreate,
    CertificateIn,
    CustomerCreate,
    CustomerUpdate,
    ProfileIn,
    RelationCreate,
    SubscriberCreate,
)
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, Locked, NotAuthenticated
from telcocrm.models import (
    BillingAccount,
    Certificate,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
    Subscriber,
)
from telcocrm.models.enums import (
    AccountType,
    CustomerStatus,
    HistoryAction,
    SubscriberStatus,
)
from telcocrm.staff import audit
from telcocrm.staff.passwords import hash_password, verify_password
from telcocrm.staff.rules import Viewer

PARENT_ACCOUNT_TYPE = {
    AccountType.FAMILY_SECONDARY: AccountType.FAMILY_PRIMARY,
    AccountType.GROUP_SUB: AccountType.GROUP_MASTER,
}


def snapshot(customer: Customer) -> dict[str, Any]:
    """The core fields of a customer as they stand, for history before/after."""
    return {
        "code": customer.code,
        "kind": customer.kind.value,
        "name": customer.name,
        "status": customer.status.value,
        "merged_into_code": customer.merged_into_code,
    }


def write_history(
    db: Session,
    *,
    customer: Customer,
    action: HistoryAction,
    viewer: Viewer,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str | None = None,
) -> None:
    """Append one history entry and the matching audit record of the change."""
    db.add(
        CustomerHistory(
            customer_id=customer.id,
            customer_code=customer.code,
            action=action,
            actor=viewer.username,
            before=before,
            after=after,
            note=note,
        )
    )
    audit.record(
        db=db,
        viewer=viewer,
        action=f"customer.{action.value}",
        resource_type="customer",
        resource_id=customer.code,
    )


def register_certificate(db: Session, customer: Customer, cert: CertificateIn) -> Certificate:
    """Validate a certificate and attach it; refused if another customer holds it as active."""
    number = validate_certificate(customer.kind, cert.type, cert.number)
    holder = repository.certificate_holder(db, cert.type.value, number)
    if holder is not None and holder.id != customer.id:
        raise Conflict(
            f"证件已登记在客户 {holder.code} 名下 / certificate already held by customer {holder.code}",
            field="certificate.number",
        )
    if holder is not None:
        raise Conflict("证件已登记 / certificate already registered for this customer", field="certificate.number")
    certificate = Certificate(
        customer_id=customer.id, cert_type=cert.type, cert_number=number, cert_address=cert.address
    )
    db.add(certificate)
    return certificate


def create_customer(*, db: Session, viewer: Viewer, data: CustomerCreate) -> Customer:
    """Register a new customer with a fresh, never-reused code and a validated certificate."""
    # Validate before a code is reserved, so bad input costs no serial number.
    validate_certificate(data.kind, data.certificate.type, data.certificate.number)
    now = utc_now()
    customer = Customer(
        code=codes.new_customer_codes(db, 1)[0],
        kind=data.kind,
        name=_checked_name(data.name),
        status=CustomerStatus.ACTIVE,
        password_hash=hash_password(data.password) if data.password else None,
        joined_at=data.joined_at or now,
        created_at=now,
        changed_at=now,
    )
    db.add(customer)
    db.flush()
    register_certificate(db, customer, data.certificate)
    if data.profile:
        _apply_profile(db, customer, data.profile)
    db.flush()
    write_history(
        db,
        customer=customer,
        action=HistoryAction.CREATE,
        viewer=viewer,
        before=None,
        after=snapshot(customer),
    )
    return customer


def _apply_profile(db: Session, customer: Customer, data: ProfileIn) -> dict[str, Any]:
    """Set the given profile fields; returns what changed as {field: [old, new]}."""
    given = data.model_dump(exclude_unset=True)
    check_kind_attributes(customer.kind, given)
    profile = db.get(CustomerProfile, customer.id)
    if profile is None:
        profile = CustomerProfile(customer_id=customer.id)
        db.add(profile)
    changed: dict[str, Any] = {}
    for name, value in given.items():
        old = getattr(profile, name)
        if old != value:
            changed[name] = [old, value]
            setattr(profile, name, value)
    if changed:
        profile.changed_at = utc_now()
    return changed


def change_customer(*, db: Session, viewer: Viewer, code: str, data: CustomerUpdate) -> Customer:
    """Change name, password, certificates or profile; the code never changes."""
    customer = repository.get_by_code(db, code, for_update=True)
    require_active(customer)
    before = snapshot(customer)
    notes: dict[str, Any] = {}
    if data.name is not None:
        customer.name = _checked_name(data.name)
    if data.password is not None:
        customer.password_hash = hash_password(data.password)
        notes["password"] = "changed"
    if data.add_certificate is not None:
        register_certificate(db, customer, data.add_certificate)
        notes["certificate"] = data.add_certificate.type.value
    if data.profile is not None:
        # Only the names of changed fields: history is shown to roles that may not see phones or addresses.
        notes["profile"] = sorted(_apply_profile(db, customer, data.profile))
    customer.changed_at = utc_now()
    db.flush()
    after = snapshot(customer) | ({"changes": notes} if notes else {})
    write_history(db, customer=customer, action=HistoryAction.CHANGE, viewer=viewer, before=before, after=after)
    return customer


def cancel_customer(*, db: Session, viewer: Viewer, code: str, reason: str | None = None) -> Customer:
    """Cancel a customer with no live subscribers; its certificates are released, its code kept forever."""
    customer = repository.get_by_code(db, code, for_update=True)
    require_active(customer)
    live = [
        s.subscriber_code
        for s in repository.subscribers_of(db, customer.id)
        if s.status is not SubscriberStatus.TERMINATED
    ]
    if live:
        raise Conflict(
            f"客户仍有在网用户 {', '.join(live[:5])} / customer still has live subscribers {', '.join(live[:5])}",
            field="subscriber",
        )
    before = snapshot(customer)
    for certificate in repository.active_certificates(db, customer.id):
        certificate.active = False
    customer.status = CustomerStatus.CANCELLED
    customer.cancelled_at = customer.changed_at = utc_now()
    db.flush()
    write_history(
        db,
        customer=customer,
        action=HistoryAction.CANCEL,
        viewer=viewer,
        before=before,
        after=snapshot(customer),
        note=reason,
    )
    return customer


def _checked_name(name: str) -> str:
    """The name without surrounding blanks; a blank name is refused."""
    if not name.strip():
        raise InvalidInput("客户名称不能为空 / name is blank", field="name")
    return name.strip()


def require_active(customer: Customer, field: str = "status") -> None:
    """Refuse to act on a merged-away or cancelled customer (409 naming the field that points at it)."""
    if customer.status is not CustomerStatus.ACTIVE:
        raise Conflict(
            f"客户 {customer.code} 状态为 {customer.status.value}"
            f" / customer {customer.code} is {customer.status.value}",
            field=field,
            record=customer.code,
        )


def open_account(*, db: Session, viewer: Viewer, code: str, data: AccountCreate) -> BillingAccount:
    """Open a billing account; family secondary and group sub accounts need the right kind of parent."""
    customer = repository.get_by_code(db, code)
    require_active(customer)
    parent_id = _checked_parent(db, data.account_type, data.parent_account_code)
    account = BillingAccount(
        account_code=codes.new_account_codes(db, 1)[0],
        customer_id=customer.id,
        name=data.name,
        account_type=data.account_type,
        parent_account_id=parent_id,
        payment_method=data.payment_method,
    )
    db.add(account)
    db.flush()
    audit.record(
        db=db,
        viewer=viewer,
        action="account.open",
        resource_type="billingAccount",
        resource_id=account.account_code,
    )
    return account


def _checked_parent(db: Session, account_type: AccountType, parent_code: str | None) -> int | None:
    wanted = PARENT_ACCOUNT_TYPE.get(account_type)
    if wanted is None:
        if parent_code:
            raise InvalidInput(
                f"{account_type.value} 账户不能有上级账户 / cannot have a parent", field="parent_account_code"
            )
        return None
    if not parent_code:
        raise InvalidInput(
            f"{account_type.value} 账户需要上级账户 / needs a {wanted.value} parent",
            field="parent_account_code",
        )
    parent = repository.account_by_code(db, parent_code)
    if parent.account_type is not wanted:
        raise InvalidInput(
            f"上级账户须为 {wanted.value} / parent must be a {wanted.value} account",
            field="parent_account_code",
        )
    return parent.id


def open_subscriber(*, db: Session, viewer: Viewer, code: str, data: SubscriberCreate) -> Subscriber:
    """Open a product instance for a customer on one of the customer's own accounts."""
    customer = repository.get_by_code(db, code)
    require_active(customer)
    account = repository.account_by_code(db, data.account_code)
    if account.customer_id != customer.id:
        raise InvalidInput(
            f"账户 {account.account_code} 不属于该客户 / account belongs to another customer",
            field="account_code",
        )
    if data.subscriber_code and repository.subscribers_by_code(db, [data.subscriber_code]):
        raise Conflict(f"用户 {data.subscriber_code} 已存在 / subscriber exists", field="subscriber_code")
    subscriber = Subscriber(
        subscriber_code=data.subscriber_code or codes.new_subscriber_codes(db, 1)[0],
        customer_id=customer.id,
        account_id=account.id,
        product=data.product,
        service_number=validate_service_number(data.product, data.service_number),
        install_address=data.install_address,
        ownership_type=data.ownership_type,
        activated_date=data.activated_date,
        contract_end_date=data.contract_end_date,
        channel_code=data.channel_code,
        staff_code=data.staff_code,
        brand=checked_brand(data.brand),
    )
    db.add(subscriber)
    db.flush()
    audit.record(
        db=db,
        viewer=viewer,
        action="subscriber.open",
        resource_type="subscriber",
        resource_id=subscriber.subscriber_code,
    )
    return subscriber


def add_relation(*, db: Session, viewer: Viewer, code: str, data: RelationCreate) -> CustomerRelation:
    """Relate a customer to another (family member, decision maker, parent organisation …)."""
    customer = repository.get_by_code(db, code)
    other = repository.get_by_code(db, data.related_customer_code)
    if other.id == customer.id:
        raise InvalidInput("客户不能与自身建立关系 / a customer cannot relate to itself", field="related_customer_code")
    relation = CustomerRelation(customer_id=customer.id, related_customer_id=other.id, relation_type=data.relation_type)
    db.add(relation)
    db.flush()
    write_history(
        db,
        customer=customer,
        action=HistoryAction.CHANGE,
        viewer=viewer,
        before=None,
        after={"relation": {"type": data.relation_type.value, "with": other.code}},
    )
    return relation


def authenticate_customer(
    *,
    db: Session,
    code: str,
    certificate: CertificateIn | None,
    password: str | None,
    now: datetime | None = None,
) -> str:
    """Check the registered certificate, else the customer password; returns the method that succeeded.

    Failures are counted and written even though the request fails: the caller commits them.
    """
    settings = get_settings()
    now = now or utc_now()
    customer = repository.get_by_code(db, code, for_update=True)
    require_active(customer)
    if customer.locked_until and customer.locked_until > now:
        raise Locked("验证失败次数过多，已锁定30分钟 / too many failures, locked for 30 minutes", field="password")
    if certificate is not None:
        number = certificate.number.replace(" ", "").upper()
        held = {(c.cert_type, c.cert_number) for c in repository.active_certificates(db, customer.id)}
        if (certificate.type, number) in held:
            _reset_failures(customer)
            return "certificate"
    if password and customer.password_hash and verify_password(customer.password_hash, password):
        _reset_failures(customer)
        return "password"
    _count_failure(customer, now, settings.auth_max_failures, settings.auth_lock_minutes)
    db.flush()
    raise NotAuthenticated(
        "证件或密码不符 / certificate or password does not match",
        field="password" if password else "certificate",
    )


def _reset_failures(customer: Customer) -> None:
    customer.failed_auth_count = 0
    customer.locked_until = None


def _count_failure(customer: Customer, now: datetime, max_failures: int, lock_minutes: int) -> None:
    customer.failed_auth_count += 1
    if customer.failed_auth_count >= max_failures:
        customer.locked_until = now + timedelta(minutes=lock_minutes)
        customer.failed_auth_count = 0
