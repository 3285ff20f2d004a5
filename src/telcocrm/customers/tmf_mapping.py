"""TMF629 Customer ↔ our customer: the read model (few statements), the response shape, the request shapes.

The read model is shared with TMF632 (party/tmf_mapping.py): a party is a customer seen as a person or an
organisation, with the same id (the customer code).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from telcocrm.customers import repository
from telcocrm.customers.records import (
    RELATED_COLUMNS,
    AccountRecord,
    CertificateRecord,
    CreditRecord,
    CustomerRecord,
    ProfileRecord,
    columns,
    latest_month,
    take,
    take_optional,
    with_relations,
)
from telcocrm.customers.rules import FIXED_NUMBER, MOBILE_NUMBER
from telcocrm.customers.schemas import CertificateIn, CustomerCreate, CustomerUpdate, ProfileIn
from telcocrm.customers.tmf_credit import CREDIT_CHARACTERISTICS, credit_pairs, credit_profiles
from telcocrm.db.read_plans import ReadPlan, run_plan
from telcocrm.errors import InvalidInput, NotFound, TelcoError
from telcocrm.kit.timefmt import local_iso
from telcocrm.kit.tmf import ALWAYS_RETURNED, clean
from telcocrm.models import (
    BillingAccount,
    Certificate,
    CreditRatingHistory,
    Customer,
    CustomerProfile,
    Subscriber,
)
from telcocrm.models.enums import CertificateType, CustomerKind, CustomerStatus, RelationType, SubscriberStatus
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer, shown

Shown = TypeVar("Shown")  # a resource, a page of them, or the 360 view

CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
PARTY_BASE = "/tmf-api/party/v4"
ACCOUNT_BASE = "/tmf-api/accountManagement/v4/billingAccount"

REFERRED_TYPE = {CustomerKind.PERSON: "Individual", CustomerKind.ORGANISATION: "Organization"}
KIND_OF_REFERRED_TYPE = {v: k for k, v in REFERRED_TYPE.items()}
PARTY_COLLECTION = {CustomerKind.PERSON: "individual", CustomerKind.ORGANISATION: "organization"}

# relatedParty.role: the role the related party plays towards this customer, by relation type and direction
# ("outgoing": this customer has the other as its <type>; "incoming": the other has this customer as its <type>).
RELATED_ROLE = {
    (RelationType.PARENT_ORGANISATION, "outgoing"): "parentOrganisation",
    (RelationType.PARENT_ORGANISATION, "incoming"): "childOrganisation",
    (RelationType.FAMILY_MEMBER, "outgoing"): "familyMember",
    (RelationType.FAMILY_MEMBER, "incoming"): "familyMember",
    (RelationType.GUARANTOR, "outgoing"): "guarantor",
    (RelationType.GUARANTOR, "incoming"): "guaranteedParty",
    (RelationType.DECISION_MAKER, "outgoing"): "decisionMaker",
    (RelationType.DECISION_MAKER, "incoming"): "representedOrganisation",
    (RelationType.HANDLER, "outgoing"): "handler",
    (RelationType.HANDLER, "incoming"): "handledOrganisation",
}

# contactMedium.preferred is derived from profile.preferred_channel and written back on create / patch.
PREFERRED_MEDIUM = {
    "phone": "phone",
    "sms": "phone",
    "call": "phone",
    "mobile": "phone",
    "email": "email",
    "letter": "postalAddress",
    "mail": "postalAddress",
    "post": "postalAddress",
    "visit": "postalAddress",
}
CHANNEL_OF_MEDIUM = {"phone": "phone", "email": "email", "postalAddress": "letter"}
MEDIUM_TYPES = {
    "phone": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "telephonenumber": "phone",
    "email": "email",
    "emailaddress": "email",
    "postaladdress": "postalAddress",
    "address": "postalAddress",
}

# Profile attributes carried as Customer.characteristic (writable through POST and PATCH).
PROFILE_CHARACTERISTICS = {
    "preferredChannel": "preferred_channel",
    "contactTime": "contact_time",
    "doNotDisturb": "do_not_disturb",
    "occupation": "occupation",
    "incomeBand": "income_band",
    "education": "education",
    "hobbies": "hobbies",
    "source": "source",
    "organisationCategory": "organisation_category",
    "industry": "industry",
    "decisionScope": "decision_scope",
    "strategic": "strategic",
    "homeBusiness": "home_business",
}
CERTIFICATE_CHARACTERISTICS = ("certificateType", "certificateNumber", "certificateAddress")
READ_ONLY_CHARACTERISTICS = frozenset(
    {
        "customerKind",
        "additionalCertificates",
        "mergedIntoCode",
        "joinedAt",
        "createdAt",
        "changedAt",
        "cancelledAt",
        "subscriberCount",
        "liveSubscriberCount",
        "hasPassword",
        *CREDIT_CHARACTERISTICS,
    }
)

# Our field names in business errors → the TMF attribute a client sent.
TMF_FIELD = {
    "certificate.number": "characteristic.certificateNumber",
    "certificate.type": "characteristic.certificateType",
    "certificate.address": "characteristic.certificateAddress",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def customer_href(code: str) -> str:
    """The TMF629 path of a customer."""
    return f"{CUSTOMER_BASE}/{code}"


def party_href(code: str, kind: CustomerKind) -> str:
    """The TMF632 path of the party behind a customer."""
    return f"{PARTY_BASE}/{PARTY_COLLECTION[kind]}/{code}"


def account_href(code: str) -> str:
    """The TMF666 path of a billing account."""
    return f"{ACCOUNT_BASE}/{code}"


def wanted_fields(fields: str | None) -> set[str] | None:
    """The attributes named by `fields=` (plus id, href, @type), or None for all."""
    if not fields:
        return None
    return {f.strip() for f in fields.split(",") if f.strip()} | set(ALWAYS_RETURNED)


def wants(wanted: set[str] | None, name: str) -> bool:
    """Whether the attribute is to be returned."""
    return wanted is None or name in wanted


def build(head: dict[str, Any], builders: dict[str, Callable[[], Any]], wanted: set[str] | None) -> dict[str, Any]:
    """The resource: the head plus every wanted attribute, built lazily (so `seen` holds only what is shown)."""
    body = dict(head)
    for name, make in builders.items():
        if wants(wanted, name):
            body[name] = make()
    return clean(body)


# --- read model -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelatedRef:
    """A relation seen from one customer: the type, the direction and the other customer."""

    relation_id: int
    relation_type: RelationType
    direction: str
    code: str
    name: str
    kind: CustomerKind


@dataclass
class PartyData:
    """What the TMF customer and party resources show of one customer (read-model records, see records.py)."""

    customer: CustomerRecord
    profile: ProfileRecord | None = None
    certificates: list[CertificateRecord] = field(default_factory=list)
    subscriber_count: int = 0
    live_subscriber_count: int = 0
    accounts: list[AccountRecord] = field(default_factory=list)
    relations: list[RelatedRef] = field(default_factory=list)
    credit: CreditRecord | None = None  # the newest rated month's, from the monthly run


# The statement selects plain columns into records and is built once per shape, bound per call: building a
# statement, or ORM objects from its rows, costs more than running it. One statement per read: on PostgreSQL a
# statement costs the server process about as much client CPU as the rest of the response (docs/benchmarks.md).
_PROFILE_AT = len(CustomerRecord._fields)
_CERTIFICATE_AT = _PROFILE_AT + len(ProfileRecord._fields)
_COUNTS_AT = _CERTIFICATE_AT + len(CertificateRecord._fields)
_CREDIT_AT = _COUNTS_AT + 2
_ACCOUNT_AT = _CREDIT_AT + len(CreditRecord._fields)


def _relation_at(accounts: bool) -> int:
    return _ACCOUNT_AT + (len(AccountRecord._fields) if accounts else 0)


def _core_query(where: ColumnElement[bool], *, accounts: bool, relations: bool) -> Select[Any]:
    """Customer, profile, active certificates, subscriber counts, the current credit rating and, when wanted, the
    billing accounts and the relations on either side, in one statement (a row per certificate × account ×
    relation: a handful for one customer)."""
    customer, profile, certificate = Customer.__table__, CustomerProfile.__table__, Certificate.__table__
    credit = CreditRatingHistory.__table__
    shown: list[ColumnElement[Any]] = [
        *columns(CustomerRecord),
        *columns(ProfileRecord),
        *columns(CertificateRecord),
        *_subscriber_counts(),
        *columns(CreditRecord),
    ]
    source: FromClause = (
        customer.outerjoin(profile, profile.c.customer_id == customer.c.id)
        .outerjoin(certificate, and_(certificate.c.customer_id == customer.c.id, certificate.c.active))
        .outerjoin(credit, latest_month(credit, "customer_code", customer.c.code))
    )
    if accounts:
        account = BillingAccount.__table__
        shown += columns(AccountRecord)
        source = source.outerjoin(account, account.c.customer_id == customer.c.id)
    if relations:
        source, related = with_relations(source, customer)
        shown += related
    return select(*shown).select_from(source).where(where).order_by(customer.c.id)


def _subscriber_counts() -> list[ColumnElement[Any]]:
    """All the customer's lines, and those not terminated."""
    customer, subscriber = Customer.__table__, Subscriber.__table__
    lines = select(func.count(subscriber.c.id)).where(subscriber.c.customer_id == customer.c.id).correlate(customer)
    live = lines.where(subscriber.c.status != SubscriberStatus.TERMINATED)
    return [lines.scalar_subquery(), live.scalar_subquery()]


def _collect(rows: Iterable[Row[Any]], *, accounts: bool, relations: bool) -> dict[int, PartyData]:
    """Group the joined rows by customer; each certificate, account and relation once, in the order of its id."""
    found: dict[int, PartyData] = {}
    parts: dict[int, tuple[dict[int, CertificateRecord], dict[int, AccountRecord], dict[int, RelatedRef]]] = {}
    relation_at = _relation_at(accounts)
    for row in rows:
        customer = take(CustomerRecord, row)
        data = found.get(customer.id)
        if data is None:
            profile = take_optional(ProfileRecord, row, _PROFILE_AT)
            total, live = row[_COUNTS_AT], row[_COUNTS_AT + 1]
            data = found[customer.id] = PartyData(customer, profile, [], int(total or 0), int(live or 0))
            data.credit = take_optional(CreditRecord, row, _CREDIT_AT)
            parts[customer.id] = ({}, {}, {})
        certificates, held, related = parts[customer.id]
        if (certificate := take_optional(CertificateRecord, row, _CERTIFICATE_AT)) is not None:
            certificates[certificate.id] = certificate
        if accounts and (account := take_optional(AccountRecord, row, _ACCOUNT_AT)) is not None:
            held[account.id] = account
        if relations and row[relation_at] is not None:
            related[row[relation_at]] = _related(row, relation_at)
    for customer_id, (certificates, held, related) in parts.items():
        data = found[customer_id]
        data.certificates = [certificates[i] for i in sorted(certificates)]
        data.accounts = [held[i] for i in sorted(held)]
        data.relations = [related[i] for i in sorted(related)]
    return found


def _related(row: Row[Any], at: int) -> RelatedRef:
    related = dict(zip(RELATED_COLUMNS, row[at : at + len(RELATED_COLUMNS)], strict=True))
    return RelatedRef(
        relation_id=related["id"],
        relation_type=RelationType(related["relation_type"]),
        direction=related["direction"],
        code=related["other_code"],
        name=related["other_name"],
        kind=CustomerKind(related["other_kind"]),
    )


def _survivor(found: dict[int, PartyData], code: str) -> PartyData:
    """The customer with the code, or the one it was merged into (merged again only in a rare longer chain)."""
    by_code = {d.customer.code: d for d in found.values()}
    data = by_code.get(code)
    if data is None:
        raise NotFound(f"客户 {code} 不存在 / customer {code} not found", field="id", record=code)
    if data.customer.status is CustomerStatus.MERGED and data.customer.merged_into_code:
        return by_code.get(data.customer.merged_into_code, data)
    return data


@cache
def _one_query(accounts: bool, relations: bool) -> Select[Any]:
    """The statement for one code and for the customer it was merged into, if it was."""
    code = bindparam("code", type_=String)
    customer, merged = Customer.__table__, Customer.__table__.alias("merged")
    merged_into = (
        select(merged.c.merged_into_code)
        .where(merged.c.code == code, merged.c.status == CustomerStatus.MERGED)
        .scalar_subquery()
    )
    where = or_(customer.c.code == code, customer.c.code == merged_into)
    return _core_query(where, accounts=accounts, relations=relations)


@cache
def _by_ids_query(accounts: bool, relations: bool) -> Select[Any]:
    """The statement for customers by id."""
    ids = bindparam("ids", expanding=True, type_=Integer)
    return _core_query(Customer.__table__.c.id.in_(ids), accounts=accounts, relations=relations)


def load_one(db: Session, code: str, *, accounts: bool = True, relations: bool = True) -> PartyData:
    """One customer by code, following a merge: one statement."""
    return run_plan(db.connection(), one_customer_plan(code, accounts=accounts, relations=relations))


def one_customer_plan(code: str, *, accounts: bool = True, relations: bool = True) -> ReadPlan[PartyData]:
    """The statement of `load_one` (see db/read_plans.py): the same read for the hot path."""
    wanted = code
    for _ in range(repository.MAX_MERGE_HOPS):
        rows = yield _one_query(accounts, relations), {"code": wanted}
        data = _survivor(_collect(rows, accounts=accounts, relations=relations), wanted)
        merged_into = data.customer.merged_into_code
        if data.customer.status is not CustomerStatus.MERGED or not merged_into:
            return data
        wanted = merged_into  # a chain longer than one hop: merges are flattened on write, so this is rare
    raise NotFound(f"客户 {code} 的合并链过长 / merge chain too long", field="id", record=code)


def load_many(
    db: Session, customers: Sequence[Customer], *, accounts: bool = True, relations: bool = True
) -> list[PartyData]:
    """The read model of a page of customers, in their order: one statement for the whole page."""
    if not customers:
        return []
    query = _by_ids_query(accounts, relations)
    rows = db.connection().execute(query, {"ids": [c.id for c in customers]}).all()
    found = _collect(rows, accounts=accounts, relations=relations)
    return [found[c.id] for c in customers if c.id in found]


def shown_and_audited(db: Session, viewer: Viewer, codes: list[str], present: Callable[[set[str]], Shown]) -> Shown:
    """What `present` builds for the viewer from the customers of `codes`; the personal data it showed unmasked
    (the names `present` adds to the set it is given) is audited and committed before the response is sent."""
    seen: set[str] = set()
    body = present(seen)
    record_view(db, viewer, codes, seen)
    db.commit()
    return body


def record_view(db: Session, viewer: Viewer, codes: list[str], seen: set[str]) -> None:
    """One audit record per response that showed personal data unmasked (a list names its ids in the detail)."""
    if not seen or not codes:
        return
    if len(codes) == 1:
        audit.record_unmasked_view(db=db, viewer=viewer, resource_type="customer", resource_id=codes[0], seen=seen)
        return
    audit.record(
        db=db,
        viewer=viewer,
        action="view_unmasked",
        resource_type="customer",
        resource_id="list",
        fields=sorted(seen),
        detail={"ids": codes},
    )


# --- response shape -------------------------------------------------------------------------------------------


def party_ref(code: str, name: str, kind: CustomerKind, role: str | None = None) -> dict[str, Any]:
    """A RelatedParty pointing at the TMF632 individual or organization."""
    return clean(
        {
            "id": code,
            "href": party_href(code, kind),
            "name": name,
            "role": role,
            "@referredType": REFERRED_TYPE[kind],
        }
    )


def account_ref(account: AccountRecord) -> dict[str, Any]:
    """An AccountRef pointing at the TMF666 billing account."""
    return {
        "id": account.account_code,
        "href": account_href(account.account_code),
        "name": account.name,
        "@referredType": "BillingAccount",
    }


def characteristic(name: str, value: Any) -> dict[str, Any] | None:
    """A Characteristic name/value pair with its valueType; None when there is no value."""
    if value is None or value == []:
        return None
    kinds = ((bool, "boolean"), (int, "integer"), (list, "array"), (dict, "object"))
    value_type = next((label for kind, label in kinds if isinstance(value, kind)), "string")
    return {"name": name, "value": value, "valueType": value_type}


def characteristics(pairs: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The characteristics that have a value."""
    return [c for c in (characteristic(n, v) for n, v in pairs) if c is not None]


def certificate_pairs(viewer: Viewer, certificates: list[CertificateRecord], seen: set[str]) -> list[tuple[str, Any]]:
    """The first active certificate as three characteristics, further ones as `additionalCertificates`."""
    if not certificates:
        return []
    first, *others = certificates
    more = [
        {"certificateType": c.cert_type.value, "certificateNumber": shown(viewer, "certificate", c.cert_number, seen)}
        for c in others
    ]
    return [
        ("certificateType", first.cert_type.value),
        ("certificateNumber", shown(viewer, "certificate", first.cert_number, seen)),
        ("certificateAddress", shown(viewer, "address", first.cert_address, seen)),
        ("additionalCertificates", more),
    ]


def profile_pairs(profile: ProfileRecord | None) -> list[tuple[str, Any]]:
    """The profile attributes TMF has no place for."""
    if profile is None:
        return []
    return [(name, getattr(profile, column)) for name, column in PROFILE_CHARACTERISTICS.items()]


def customer_characteristics(viewer: Viewer, data: PartyData, seen: set[str]) -> list[dict[str, Any]]:
    """Everything the Customer resource has no attribute for."""
    c = data.customer
    pairs: list[tuple[str, Any]] = [
        ("customerKind", c.kind.value),
        *certificate_pairs(viewer, data.certificates, seen),
        ("mergedIntoCode", c.merged_into_code),
        ("joinedAt", local_iso(c.joined_at)),
        ("createdAt", local_iso(c.created_at)),
        ("changedAt", local_iso(c.changed_at)),
        ("cancelledAt", local_iso(c.cancelled_at)),
        ("subscriberCount", data.subscriber_count),
        ("liveSubscriberCount", data.live_subscriber_count),
        ("hasPassword", c.password_hash is not None),
        *profile_pairs(data.profile),
        *credit_pairs(viewer, data.credit),
    ]
    return characteristics(pairs)


def _medium(medium_type: str, preferred: str | None, values: dict[str, Any]) -> dict[str, Any]:
    return {"mediumType": medium_type, "preferred": medium_type == preferred, "characteristic": clean(values)}


def contact_media(viewer: Viewer, profile: ProfileRecord | None, seen: set[str]) -> list[dict[str, Any]]:
    """Phone (masked per role), email and postal address (street masked per role) as ContactMedium."""
    if profile is None:
        return []
    preferred = PREFERRED_MEDIUM.get((profile.preferred_channel or "").lower())
    media = []
    if profile.contact_phone:
        kind = "mobile" if MOBILE_NUMBER.match(profile.contact_phone) else "fixed"
        phone = shown(viewer, "phone", profile.contact_phone, seen)
        media.append(_medium("phone", preferred, {"contactType": kind, "phoneNumber": phone}))
    if profile.contact_email:
        media.append(_medium("email", preferred, {"emailAddress": profile.contact_email}))
    if profile.contact_address or profile.province or profile.city:
        street = shown(viewer, "address", profile.contact_address, seen)
        values = {"street1": street, "city": profile.city, "stateOrProvince": profile.province, "country": "CN"}
        media.append(_medium("postalAddress", preferred, values))
    return media


def related_parties(relations: Iterable[RelatedRef]) -> list[dict[str, Any]]:
    """Relations as RelatedParty, the role named from this customer's side."""
    return [party_ref(r.code, r.name, r.kind, RELATED_ROLE[(r.relation_type, r.direction)]) for r in relations]


def valid_for(customer: CustomerRecord) -> dict[str, Any]:
    """From joining to cancellation."""
    return clean({"startDateTime": local_iso(customer.joined_at), "endDateTime": local_iso(customer.cancelled_at)})


def to_customer(viewer: Viewer, data: PartyData, seen: set[str], wanted: set[str] | None = None) -> dict[str, Any]:
    """The TMF629 Customer resource; personal data masked per role, what was shown in full added to `seen`."""
    c = data.customer
    head = {"id": c.code, "href": customer_href(c.code), "@type": "Customer"}
    builders: dict[str, Callable[[], Any]] = {
        "name": lambda: c.name,
        "status": lambda: c.status.value,
        "engagedParty": lambda: party_ref(c.code, c.name, c.kind),
        "account": lambda: [account_ref(a) for a in data.accounts],
        "contactMedium": lambda: contact_media(viewer, data.profile, seen),
        "characteristic": lambda: customer_characteristics(viewer, data, seen),
        "relatedParty": lambda: related_parties(data.relations),
        "validFor": lambda: valid_for(c),
        "creditProfile": lambda: credit_profiles(viewer, data.credit),
    }
    return build(head, builders, wanted)


# --- request shapes -------------------------------------------------------------------------------------------


class TmfIn(BaseModel):
    """A TMF request object: camelCase attributes, the @-attributes accepted and ignored, nothing else."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)

    at_type: str | None = Field(default=None, alias="@type")
    at_base_type: str | None = Field(default=None, alias="@baseType")
    at_schema_location: str | None = Field(default=None, alias="@schemaLocation")


class EngagedPartyIn(TmfIn):
    """The party the customer is: an Individual (person) or an Organization."""

    id: str | None = None
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referred_type: Literal["Individual", "Organization"] = Field(alias="@referredType")


class CharacteristicIn(TmfIn):
    """A name/value pair."""

    id: str | None = None
    name: str = Field(min_length=1)
    value: Any
    value_type: str | None = None
    characteristic_relationship: list[dict[str, Any]] | None = None


class MediumCharacteristicIn(TmfIn):
    """The values of a contact medium."""

    city: str | None = None
    contact_type: str | None = None
    country: str | None = None
    email_address: str | None = None
    fax_number: str | None = None
    phone_number: str | None = None
    post_code: str | None = None
    social_network_id: str | None = None
    state_or_province: str | None = None
    street1: str | None = None
    street2: str | None = None


class TimePeriodIn(TmfIn):
    """A period."""

    start_date_time: datetime | None = None
    end_date_time: datetime | None = None


class ContactMediumIn(TmfIn):
    """A phone number, email address or postal address."""

    id: str | None = None
    href: str | None = None
    medium_type: str
    preferred: bool | None = None
    characteristic: MediumCharacteristicIn
    valid_for: TimePeriodIn | None = None


class _CustomerIn(TmfIn):
    """What Customer_Create and Customer_Update share."""

    status: str | None = None
    status_reason: str | None = None
    characteristic: list[CharacteristicIn] | None = None
    contact_medium: list[ContactMediumIn] | None = None
    valid_for: TimePeriodIn | None = None
    account: list[dict[str, Any]] | None = None
    agreement: list[dict[str, Any]] | None = None
    credit_profile: list[dict[str, Any]] | None = None
    payment_method: list[dict[str, Any]] | None = None
    related_party: list[dict[str, Any]] | None = None


class CustomerCreateIn(_CustomerIn):
    """TMF629 Customer_Create."""

    name: str = Field(min_length=1, max_length=200)
    engaged_party: EngagedPartyIn


class CustomerPatchIn(_CustomerIn):
    """TMF629 Customer_Update as a JSON merge patch."""

    id: str | None = None
    href: str | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    engaged_party: EngagedPartyIn | None = None


UNSUPPORTED_LISTS = {
    "account": "请通过 /api/customers/{id}/accounts 开户 / open accounts through /api/customers/{id}/accounts",
    "agreement": "不支持协议 / agreements are not supported",
    "creditProfile": "信用由信用评级维护 / credit profiles are maintained by credit rating",
    "paymentMethod": "付款方式在账户上 / payment methods belong to billing accounts",
    "relatedParty": "请通过 /api/customers/{id}/relations 建立关系 / relate customers through our API",
}


def _refuse_unsupported(body: _CustomerIn) -> None:
    for name, message in UNSUPPORTED_LISTS.items():
        if getattr(body, _snake(name)):
            raise InvalidInput(message, field=name)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@dataclass
class ParsedCharacteristics:
    """Characteristics split into a certificate and profile fields."""

    certificate: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)


def parse_characteristics(items: list[CharacteristicIn] | None) -> ParsedCharacteristics:
    """Certificate and profile characteristics; read-only, unknown or repeated names are refused."""
    parsed = ParsedCharacteristics()
    names: set[str] = set()
    for item in items or []:
        where = f"characteristic.{item.name}"
        if item.name in names:
            raise InvalidInput(f"特征重复 / characteristic {item.name} given twice", field=where)
        names.add(item.name)
        if item.name in CERTIFICATE_CHARACTERISTICS:
            parsed.certificate[item.name] = item.value
        elif item.name in PROFILE_CHARACTERISTICS:
            parsed.profile[PROFILE_CHARACTERISTICS[item.name]] = item.value
        elif item.name in READ_ONLY_CHARACTERISTICS:
            raise InvalidInput(f"特征 {item.name} 只读 / characteristic {item.name} is read-only", field=where)
        else:
            raise InvalidInput(f"未知特征 {item.name} / unknown characteristic {item.name}", field=where)
    return parsed


def parse_certificate(values: dict[str, Any]) -> CertificateIn | None:
    """The certificate given as characteristics, or None when none of them was given."""
    if not values:
        return None
    for name in ("certificateType", "certificateNumber"):
        if not isinstance(values.get(name), str) or not values[name].strip():
            raise InvalidInput(f"缺少证件信息 / {name} is required with a certificate", field=f"characteristic.{name}")
    try:
        cert_type = CertificateType(values["certificateType"])
    except ValueError as exc:
        allowed = ", ".join(t.value for t in CertificateType)
        raise InvalidInput(
            f"证件类型未知 / unknown certificate type (one of {allowed})", field="characteristic.certificateType"
        ) from exc
    address = values.get("certificateAddress")
    if address is not None and not isinstance(address, str):
        raise InvalidInput("证件地址应为文本 / must be text", field="characteristic.certificateAddress")
    try:
        return CertificateIn(type=cert_type, number=values["certificateNumber"], address=address)
    except ValidationError as exc:
        raise _invalid(
            exc, prefix="characteristic.certificate", names={"number": "Number", "address": "Address"}
        ) from exc


def _invalid(exc: ValidationError, *, prefix: str, names: dict[str, str] | None = None) -> InvalidInput:
    """A pydantic error on a value we built from TMF attributes, named by the TMF attribute."""
    first = exc.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else ""
    return InvalidInput(str(first["msg"]), field=prefix + (names or {}).get(key, key))


def parse_contact_media(media: list[ContactMediumIn] | None) -> dict[str, Any]:
    """Profile fields from the contact media: each medium given replaces that medium as a whole."""
    profile: dict[str, Any] = {}
    kinds: set[str] = set()
    for index, medium in enumerate(media or []):
        where = f"contactMedium.{index}"
        kind = MEDIUM_TYPES.get(medium.medium_type.replace(" ", "").lower())
        if kind is None:
            raise InvalidInput(
                f"未知联系方式 {medium.medium_type} / mediumType must be phone, email or postalAddress",
                field=f"{where}.mediumType",
            )
        if kind in kinds:
            raise InvalidInput(f"联系方式重复 / only one {kind} medium", field=f"{where}.mediumType")
        kinds.add(kind)
        profile |= _medium_values(kind, medium.characteristic, f"{where}.characteristic")
        if medium.preferred:
            profile["preferred_channel"] = CHANNEL_OF_MEDIUM[kind]
    return profile


def _medium_values(kind: str, values: MediumCharacteristicIn, where: str) -> dict[str, Any]:
    """The profile fields one contact medium sets (None clears)."""
    if kind == "phone":
        return {"contact_phone": _checked_phone(values.phone_number, f"{where}.phoneNumber")}
    if kind == "email":
        email = (values.email_address or "").strip() or None
        if email is not None and not EMAIL.match(email):
            raise InvalidInput("电子邮件地址格式错误 / malformed email address", field=f"{where}.emailAddress")
        return {"contact_email": email}
    street = " ".join(s.strip() for s in (values.street1, values.street2) if s and s.strip()) or None
    return {"contact_address": street, "province": values.state_or_province, "city": values.city}


def _checked_phone(number: str | None, where: str) -> str | None:
    """A mainland mobile or fixed number without spaces or +86, or InvalidInput."""
    if number is None or not number.strip():
        return None
    cleaned = re.sub(r"[\s()]", "", number)
    cleaned = re.sub(r"^(\+86|0086)-?", "", cleaned)
    if not (MOBILE_NUMBER.match(cleaned) or FIXED_NUMBER.match(cleaned)):
        raise InvalidInput("电话号码格式错误 / malformed phone number", field=where)
    return cleaned


def parse_profile(values: dict[str, Any]) -> ProfileIn | None:
    """A ProfileIn of the given fields, or None when nothing was given."""
    if not values:
        return None
    try:
        return ProfileIn(**values)
    except ValidationError as exc:
        columns = {column: name for name, column in PROFILE_CHARACTERISTICS.items()}
        raise _invalid(exc, prefix="characteristic.", names=columns) from exc


def to_customer_create(body: CustomerCreateIn) -> CustomerCreate:
    """Our CustomerCreate from a TMF Customer_Create; the certificate comes from `characteristic`."""
    _refuse_unsupported(body)
    _check_name(body.name)
    if body.status not in (None, CustomerStatus.ACTIVE.value):
        raise InvalidInput("新客户状态只能是 active / a new customer is active", field="status")
    parsed = parse_characteristics(body.characteristic)
    certificate = parse_certificate(parsed.certificate)
    if certificate is None:
        raise InvalidInput(
            "请以 characteristic 提供 certificateType 与 certificateNumber / certificate required",
            field="characteristic.certificateNumber",
        )
    profile = parse_profile(parsed.profile | parse_contact_media(body.contact_medium))
    joined_at = body.valid_for.start_date_time if body.valid_for else None
    if joined_at is not None and joined_at.tzinfo is None:
        raise InvalidInput("请给出时区 / give a time zone", field="validFor.startDateTime")
    return CustomerCreate(
        kind=KIND_OF_REFERRED_TYPE[body.engaged_party.referred_type],
        name=body.name,
        certificate=certificate,
        joined_at=joined_at,
        profile=profile,
    )


def to_customer_update(body: CustomerPatchIn, current: Customer) -> CustomerUpdate:
    """Our CustomerUpdate from a merge patch; only what may change here is accepted."""
    _refuse_unsupported(body)
    _check_identity(body, current)
    _check_status(body, current)
    if "name" in body.model_fields_set:
        _check_name(body.name)
    if body.valid_for is not None:
        raise InvalidInput("入网时间不可修改 / validFor (joined) cannot be changed", field="validFor")
    parsed = parse_characteristics(body.characteristic)
    changes: dict[str, Any] = {}
    if body.name is not None and body.name.strip() != current.name:
        changes["name"] = body.name
    certificate = parse_certificate(parsed.certificate)
    if certificate is not None:
        changes["add_certificate"] = certificate
    profile = parse_profile(parsed.profile | parse_contact_media(body.contact_medium))
    if profile is not None:
        changes["profile"] = profile
    return CustomerUpdate(**changes)


def _check_name(name: str | None) -> None:
    """A name is required and not blank."""
    if name is None or not name.strip():
        raise InvalidInput("名称不能为空 / name is required", field="name")


def _check_identity(body: CustomerPatchIn, current: Customer) -> None:
    """id and engagedParty may be sent back but not changed."""
    if body.id is not None and body.id != current.code:
        raise InvalidInput("客户标识码不可修改 / id cannot be changed", field="id")
    party = body.engaged_party
    if party is None:
        return
    if party.referred_type != REFERRED_TYPE[current.kind]:
        raise InvalidInput("客户类别不可修改 / the kind of party cannot change", field="engagedParty.@referredType")
    if party.id is not None and party.id != current.code:
        raise InvalidInput("参与方不可更换 / engagedParty cannot be replaced", field="engagedParty.id")


def _check_status(body: CustomerPatchIn, current: Customer) -> None:
    """Status is not changed by PATCH: DELETE cancels, merge and split have their own operations."""
    if body.status is None or body.status == current.status.value:
        return
    if body.status == CustomerStatus.CANCELLED.value:
        raise InvalidInput("请用 DELETE 注销客户 / cancel a customer with DELETE", field="status")
    raise InvalidInput(f"状态不能通过 PATCH 改为 {body.status} / status is not changed by PATCH", field="status")


@contextmanager
def tmf_fields() -> Iterator[None]:
    """Rename the field of a business error to the TMF attribute the client sent."""
    try:
        yield
    except TelcoError as exc:
        if exc.field in TMF_FIELD:
            exc.field = TMF_FIELD[exc.field]
        raise
