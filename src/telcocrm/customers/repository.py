"""All queries of the customer domain. Services call these; nothing else builds SQL for customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, union
from sqlalchemy.orm import Session

from telcocrm.customers.records import (
    RELATED_COLUMNS,
    AccountRecord,
    CertificateRecord,
    CreditRecord,
    CustomerRecord,
    HistoryRecord,
    LifecycleRecord,
    ProfileRecord,
    RelationRecord,
    SegmentRecord,
    SubscriberRecord,
    columns,
    latest_month,
    take,
    take_optional,
    with_relations,
)
from telcocrm.customers.rules import is_valid_customer_code
from telcocrm.db.read_plans import ReadPlan, run_plan
from telcocrm.errors import NotFound
from telcocrm.models import (
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
    by_number = _page(db, union(*_by_certificate(q.upper()), _by_service_number(q)), offset, limit)
    if by_number.total:
        by_number.matched_by = "number"
        return by_number
    result = _page(db, select(Customer.id).where(Customer.name.startswith(q, autoescape=True)), offset, limit)
    result.matched_by = "name"
    return result


def _by_certificate(number: str) -> tuple[Select[Any], Select[Any]]:
    """Holders of the number, active or released: one select for each partial index (models.Certificate)."""
    held = select(Certificate.customer_id.label("id")).where(Certificate.cert_number == number)
    return held.where(Certificate.active), held.where(~Certificate.active)


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

    customer: CustomerRecord
    profile: ProfileRecord | None
    certificates: list[CertificateRecord]
    accounts: list[AccountRecord]
    subscribers: list[SubscriberRecord]
    relations: list[tuple[RelationRecord, str, str, str]] = field(default_factory=list)
    history: list[HistoryRecord] = field(default_factory=list)
    credit: CreditRecord | None = None  # the newest month's, from the monthly run
    segment: SegmentRecord | None = None
    lifecycle: dict[str, LifecycleRecord] = field(default_factory=dict)  # by subscriber code, each its newest


def load_view(db: Session, code: str | Customer, *, history_limit: int = 50) -> CustomerView:
    """The 360 view by code (a merged-away code gives its survivor): three statements whatever it holds."""
    plan = view_plan(code if isinstance(code, str) else code.code, history_limit=history_limit)
    return run_plan(db.connection(), plan)


def view_plan(code: str, *, history_limit: int = 50) -> ReadPlan[CustomerView]:
    """The statements of `load_view` (see db/read_plans.py): the same read for the hot path."""
    core = yield from _core_plan(code)
    holdings = yield _holdings_query(), {"customer_id": core.customer.id}
    stages = (take_optional(LifecycleRecord, row, _LIFECYCLE_AT) for row in holdings)
    history = yield _history_query(), _history_params(core.customer, history_limit)
    return CustomerView(
        customer=core.customer,
        profile=core.profile,
        certificates=core.certificates,
        accounts=list(dict.fromkeys(take(AccountRecord, row) for row in holdings)),
        subscribers=[
            sub for row in holdings if (sub := take_optional(SubscriberRecord, row, _SUBSCRIBER_AT)) is not None
        ],
        relations=core.relations,
        history=[take(HistoryRecord, row) for row in history],
        credit=core.credit,
        segment=core.segment,
        lifecycle={stage.subscriber_code: stage for stage in stages if stage is not None},
    )


# The statements of the 360 view select plain columns into records (records.py) and are built once, bound
# per call: building a statement, or ORM objects from its rows, costs more than running it.
_PROFILE_AT = len(CustomerRecord._fields)
_CERTIFICATE_AT = _PROFILE_AT + len(ProfileRecord._fields)
_CREDIT_AT = _CERTIFICATE_AT + len(CertificateRecord._fields)
_SEGMENT_AT = _CREDIT_AT + len(CreditRecord._fields)
_RELATION_AT = _SEGMENT_AT + len(SegmentRecord._fields)
_SUBSCRIBER_AT = len(AccountRecord._fields)
_LIFECYCLE_AT = _SUBSCRIBER_AT + len(SubscriberRecord._fields)


@cache
def _core_query() -> Select[Any]:
    """Customer, profile, certificates, the newest month's credit and segment, and the relations of one code.

    A row per certificate × relation (a handful): each is kept once by `_core_plan`.
    """
    customer, profile, certificate = Customer.__table__, CustomerProfile.__table__, Certificate.__table__
    credit, segment = CreditRatingHistory.__table__, SegmentHistory.__table__
    source, related = with_relations(
        customer.outerjoin(profile, profile.c.customer_id == customer.c.id)
        .outerjoin(certificate, certificate.c.customer_id == customer.c.id)
        .outerjoin(credit, latest_month(credit, "customer_code", customer.c.code))
        .outerjoin(segment, latest_month(segment, "customer_code", customer.c.code)),
        customer,
    )
    return (
        select(
            *columns(CustomerRecord),
            *columns(ProfileRecord),
            *columns(CertificateRecord),
            *columns(CreditRecord),
            *columns(SegmentRecord),
            *related,
        )
        .select_from(source)
        .where(customer.c.code == bindparam("code"))
    )


@cache
def _holdings_query() -> Select[Any]:
    """Accounts of a customer, each with its subscribers and each subscriber's newest lifecycle stage."""
    account, subscriber, stage = BillingAccount.__table__, Subscriber.__table__, LifecycleHistory.__table__
    return (
        select(*columns(AccountRecord), *columns(SubscriberRecord), *columns(LifecycleRecord))
        .select_from(
            account.outerjoin(subscriber, subscriber.c.account_id == account.c.id).outerjoin(
                stage, latest_month(stage, "subscriber_code", subscriber.c.subscriber_code)
            )
        )
        .where(account.c.customer_id == bindparam("customer_id"))
        .order_by(account.c.id, subscriber.c.id)
    )


@cache
def _history_query() -> Select[Any]:
    """History of a customer and of every code merged into it, newest first.

    The customer and the codes merged into it are found first (two index lookups), then their entries: an
    `OR` of the two conditions on the history itself would make PostgreSQL walk the whole history backwards.
    """
    history, customer = CustomerHistory.__table__, Customer.__table__
    owners = select(customer.c.id).where(
        or_(customer.c.id == bindparam("customer_id"), customer.c.merged_into_code == bindparam("code"))
    )
    return (
        select(*columns(HistoryRecord))
        .where(history.c.customer_id.in_(owners))
        .order_by(history.c.id.desc())
        .limit(bindparam("limit"))
    )


@dataclass
class _Core:
    customer: CustomerRecord
    profile: ProfileRecord | None
    certificates: list[CertificateRecord]
    credit: CreditRecord | None
    segment: SegmentRecord | None
    relations: list[tuple[RelationRecord, str, str, str]]


def _core_plan(code: str) -> ReadPlan[_Core]:
    """Customer, profile, certificates, credit and segment in one statement, following a merge to the survivor."""
    for _ in range(MAX_MERGE_HOPS):
        rows = yield _core_query(), {"code": code}
        if not rows:
            raise NotFound(f"客户 {code} 不存在 / customer {code} not found", field="id", record=code)
        customer = take(CustomerRecord, rows[0])
        if customer.status is CustomerStatus.MERGED and customer.merged_into_code:
            code = customer.merged_into_code
            continue
        certificates = {c.id: c for row in rows if (c := take_optional(CertificateRecord, row, _CERTIFICATE_AT))}
        relations = {row[_RELATION_AT]: _named(row) for row in rows if row[_RELATION_AT] is not None}
        first = rows[0]
        return _Core(
            customer,
            take_optional(ProfileRecord, first, _PROFILE_AT),
            [certificates[i] for i in sorted(certificates)],
            take_optional(CreditRecord, first, _CREDIT_AT),
            take_optional(SegmentRecord, first, _SEGMENT_AT),
            [relations[i] for i in sorted(relations)],
        )
    raise NotFound(f"客户 {code} 的合并链过长 / merge chain too long", field="id", record=code)


def _named(row: Any) -> tuple[RelationRecord, str, str, str]:
    """A relation with the other customer's code and name and its direction seen from the customer."""
    related = dict(zip(RELATED_COLUMNS, row[_RELATION_AT : _RELATION_AT + len(RELATED_COLUMNS)], strict=True))
    relation = RelationRecord(*(related[name] for name in RelationRecord._fields))
    return relation, related["other_code"], related["other_name"], related["direction"]


def _history_params(customer: CustomerRecord | Customer, limit: int) -> dict[str, Any]:
    return {"customer_id": customer.id, "code": customer.code, "limit": limit}


def history_of(db: Session, customer: Customer, limit: int = 1000) -> list[HistoryRecord]:
    """Public access to a customer's history (its own and that of codes merged into it)."""
    rows = db.connection().execute(_history_query(), _history_params(customer, limit))
    return [take(HistoryRecord, row) for row in rows]
