"""All queries of the customer domain. Services call these; nothing else builds SQL for customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from telcocrm.customers.rules import is_valid_customer_code
from telcocrm.errors import NotFound
from telcocrm.models import (
    BillingAccount,
    Certificate,
    Customer,
    CustomerHistory,
    CustomerProfile,
    CustomerRelation,
    Subscriber,
)
from telcocrm.models.enums import CustomerStatus

MAX_MERGE_HOPS = 16  # merges are flattened on write; this only guards against a corrupt chain


def get_by_code(db: Session, code: str, *, for_update: bool = False) -> Customer:
    """The customer with this code, following merges to the survivor; NotFound if there is none."""
    for _ in range(MAX_MERGE_HOPS):
        stmt = select(Customer).where(Customer.code == code)
        if for_update:
            stmt = stmt.with_for_update()
        customer = db.execute(stmt).scalar_one_or_none()
        if customer is None:
            raise NotFound(f"客户 {code} 不存在 / customer {code} not found", field="id", record=code)
        if customer.status is not CustomerStatus.MERGED or not customer.merged_into_code:
            return customer
        code = customer.merged_into_code
    raise NotFound(f"客户 {code} 的合并链过长 / merge chain too long", field="id", record=code)


def get_exact(db: Session, code: str) -> Customer:
    """The customer row with exactly this code, merged or not."""
    customer = db.execute(select(Customer).where(Customer.code == code)).scalar_one_or_none()
    if customer is None:
        raise NotFound(f"客户 {code} 不存在 / customer {code} not found", field="id", record=code)
    return customer


def certificate_holder(db: Session, cert_type: str, number: str) -> Customer | None:
    """The customer holding this certificate as active, if any."""
    stmt = (
        select(Customer)
        .join(Certificate, Certificate.customer_id == Customer.id)
        .where(Certificate.cert_type == cert_type, Certificate.cert_number == number, Certificate.active)
    )
    return db.execute(stmt).scalar_one_or_none()


def active_certificates(db: Session, customer_id: int) -> list[Certificate]:
    """The active certificates of a customer."""
    stmt = select(Certificate).where(Certificate.customer_id == customer_id, Certificate.active)
    return list(db.execute(stmt).scalars())


def subscribers_of(db: Session, customer_id: int) -> list[Subscriber]:
    """Every subscriber of a customer."""
    stmt = select(Subscriber).where(Subscriber.customer_id == customer_id).order_by(Subscriber.id)
    return list(db.execute(stmt).scalars())


def subscribers_by_code(db: Session, codes: list[str]) -> list[Subscriber]:
    """The subscribers with these ids (missing ones are simply absent)."""
    return list(db.execute(select(Subscriber).where(Subscriber.subscriber_code.in_(codes))).scalars())


def accounts_of(db: Session, customer_id: int) -> list[BillingAccount]:
    """Every billing account of a customer."""
    stmt = select(BillingAccount).where(BillingAccount.customer_id == customer_id).order_by(BillingAccount.id)
    return list(db.execute(stmt).scalars())


def account_by_code(db: Session, code: str) -> BillingAccount:
    """The billing account with this code, or NotFound."""
    account = db.execute(select(BillingAccount).where(BillingAccount.account_code == code)).scalar_one_or_none()
    if account is None:
        raise NotFound(f"账户 {code} 不存在 / account {code} not found", field="account", record=code)
    return account


def profile_of(db: Session, customer_id: int) -> CustomerProfile | None:
    """The extended and peripheral profile of a customer, if any."""
    return db.get(CustomerProfile, customer_id)


def relations_touching(db: Session, customer_id: int) -> list[CustomerRelation]:
    """Relations in which the customer stands on either side."""
    stmt = select(CustomerRelation).where(
        or_(CustomerRelation.customer_id == customer_id, CustomerRelation.related_customer_id == customer_id)
    )
    return list(db.execute(stmt).scalars())


@dataclass
class SearchResult:
    """One page of customers and the total that matched."""

    customers: list[Customer]
    total: int
    matched_by: str


def search(db: Session, query: str, *, offset: int = 0, limit: int = 20) -> SearchResult:
    """Find customers by code, certificate number, service number or name prefix, in that order."""
    q = query.strip()
    if not q:
        return SearchResult([], 0, "none")
    if is_valid_customer_code(q):
        try:
            return SearchResult([get_by_code(db, q)], 1, "code")
        except NotFound:
            pass
    by_number = _page(db, _by_certificate(q.upper()).union(_by_service_number(q)), offset, limit)
    if by_number.total:
        by_number.matched_by = "number"
        return by_number
    result = _page(db, select(Customer.id).where(Customer.name.startswith(q, autoescape=True)), offset, limit)
    result.matched_by = "name"
    return result


def _by_certificate(number: str) -> Select[Any]:
    return select(Certificate.customer_id.label("id")).where(Certificate.cert_number == number)


def _by_service_number(number: str) -> Select[Any]:
    return select(Subscriber.customer_id.label("id")).where(Subscriber.service_number == number)


def _page(db: Session, ids: Any, offset: int, limit: int) -> SearchResult:
    id_query = ids.subquery()
    base = select(Customer).where(Customer.id.in_(select(id_query.c.id)), Customer.status != CustomerStatus.MERGED)
    total = db.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.execute(base.order_by(Customer.name, Customer.id).offset(offset).limit(limit)).scalars()
    return SearchResult(list(rows), total, "")


def list_customers(
    db: Session, *, offset: int, limit: int, status: str | None = None, name: str | None = None
) -> tuple[list[Customer], int]:
    """A page of customers (merged-away codes excluded unless asked for by status) and the total."""
    stmt = select(Customer)
    stmt = stmt.where(Customer.status == status) if status else stmt.where(Customer.status != CustomerStatus.MERGED)
    if name:
        stmt = stmt.where(Customer.name.startswith(name, autoescape=True))
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(Customer.id).offset(offset).limit(limit)).scalars()
    return list(rows), total


@dataclass
class CustomerView:
    """Everything the 360 view shows, loaded in a fixed, small number of statements."""

    customer: Customer
    profile: CustomerProfile | None
    certificates: list[Certificate]
    accounts: list[BillingAccount]
    subscribers: list[Subscriber]
    relations: list[tuple[CustomerRelation, str, str, str]] = field(default_factory=list)
    history: list[CustomerHistory] = field(default_factory=list)


def load_view(db: Session, code: str | Customer, *, history_limit: int = 50) -> CustomerView:
    """The 360 view by code (a merged-away code gives its survivor): four statements whatever it holds."""
    customer, profile, certificates = _core_by_code(db, code if isinstance(code, str) else code.code)
    holdings = db.execute(
        select(BillingAccount, Subscriber)
        .outerjoin(Subscriber, Subscriber.account_id == BillingAccount.id)
        .where(BillingAccount.customer_id == customer.id)
        .order_by(BillingAccount.id, Subscriber.id)
    ).all()
    accounts = list(dict.fromkeys(account for account, _ in holdings))
    subscribers = [sub for _, sub in holdings if sub is not None]
    return CustomerView(
        customer=customer,
        profile=profile,
        certificates=certificates,
        accounts=accounts,
        subscribers=subscribers,
        relations=_relations_with_names(db, customer.id),
        history=_history_of(db, customer, history_limit),
    )


def _core_by_code(db: Session, code: str) -> tuple[Customer, CustomerProfile | None, list[Certificate]]:
    """Customer, profile and certificates in one statement, following a merge to the survivor."""
    for _ in range(MAX_MERGE_HOPS):
        rows = db.execute(
            select(Customer, CustomerProfile, Certificate)
            .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
            .outerjoin(Certificate, Certificate.customer_id == Customer.id)
            .where(Customer.code == code)
            .order_by(Certificate.id)
        ).all()
        if not rows:
            raise NotFound(f"客户 {code} 不存在 / customer {code} not found", field="id", record=code)
        customer = rows[0][0]
        if customer.status is CustomerStatus.MERGED and customer.merged_into_code:
            code = customer.merged_into_code
            continue
        return customer, rows[0][1], [cert for _, _, cert in rows if cert is not None]
    raise NotFound(f"客户 {code} 的合并链过长 / merge chain too long", field="id", record=code)


def _relations_with_names(db: Session, customer_id: int) -> list[tuple[CustomerRelation, str, str, str]]:
    """Relations on either side, each with the other customer's code, name and the direction."""
    other = Customer.__table__.alias("other")
    rows = db.execute(
        select(CustomerRelation, other.c.code, other.c.name)
        .join(
            other,
            or_(
                (CustomerRelation.customer_id == customer_id) & (other.c.id == CustomerRelation.related_customer_id),
                (CustomerRelation.related_customer_id == customer_id) & (other.c.id == CustomerRelation.customer_id),
            ),
        )
        .where(
            or_(
                CustomerRelation.customer_id == customer_id,
                CustomerRelation.related_customer_id == customer_id,
            )
        )
        .order_by(CustomerRelation.id)
    ).all()
    return [(rel, code, name, "outgoing" if rel.customer_id == customer_id else "incoming") for rel, code, name in rows]


def _history_of(db: Session, customer: Customer, limit: int) -> list[CustomerHistory]:
    """History of the customer and of every code merged into it, newest first."""
    merged_ids = select(Customer.id).where(Customer.merged_into_code == customer.code)
    stmt = (
        select(CustomerHistory)
        .where(or_(CustomerHistory.customer_id == customer.id, CustomerHistory.customer_id.in_(merged_ids)))
        .order_by(CustomerHistory.id.desc())
        .limit(limit)
    )
    return list(db.execute(stmt).scalars())


def history_of(db: Session, customer: Customer, limit: int = 1000) -> list[CustomerHistory]:
    """Public access to a customer's history (its own and that of codes merged into it)."""
    return _history_of(db, customer, limit)
