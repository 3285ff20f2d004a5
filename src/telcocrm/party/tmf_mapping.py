"""TMF632 Individual and Organization from our customers: names, identifications, parent/child organisations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from telcocrm.customers.records import CertificateRecord
from telcocrm.customers.tmf_mapping import (
    PartyData,
    RelatedRef,
    build,
    characteristics,
    contact_media,
    party_href,
    related_parties,
    valid_for,
)
from telcocrm.kit.timefmt import local_iso
from telcocrm.models import Customer
from telcocrm.models.enums import CertificateType, CustomerKind, CustomerStatus, RelationType
from telcocrm.staff.rules import Viewer, shown

# Certificates whose number carries a check digit we verify: a party holding one is "validated".
CHECKED_CERTIFICATES = frozenset(
    {
        CertificateType.RESIDENT_ID,
        CertificateType.UNIFIED_SOCIAL_CREDIT,
        CertificateType.ORGANISATION_CODE,
        CertificateType.BUSINESS_LICENCE,
    }
)

# Common two-character (复姓) surnames, simplified and traditional.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
        "轩辕", "令狐", "钟离", "澹台", "端木", "西门", "南宫", "独孤", "呼延", "百里", "东郭", "拓跋", "万俟",
        "闻人", "赫连", "申屠", "太史", "公冶", "濮阳", "淳于", "单于", "司空", "左丘", "闾丘", "鲜于", "第五",
        "歐陽", "司馬", "諸葛", "東方", "尉遲", "長孫", "軒轅", "鍾離", "東郭", "萬俟", "聞人", "閭丘",
    }
)  # fmt: skip
HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")


def split_name(name: str) -> tuple[str | None, str | None]:
    """(familyName, givenName): 张伟 → 张, 伟; 欧阳娜娜 → 欧阳, 娜娜; John Smith → Smith, John; else not split."""
    name = name.strip()
    if HAN.match(name):
        if len(name) == 1:
            return name, None
        if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
            return name[:2], name[2:]
        return name[0], name[1:]
    parts = name.split()
    if LATIN_NAME.match(name) and len(parts) >= 2:
        return parts[-1], " ".join(parts[:-1])
    return None, None  # names such as 阿依古丽·买买提 have no family name to split off


def party_status(data: PartyData) -> str | None:
    """validated (active, checked certificate), initialized (active, unchecked), closed (organisation cancelled).

    An individual has no "closed" state in TMF632: a cancelled person has no status (see customerStatus).
    """
    customer = data.customer
    if customer.status is not CustomerStatus.ACTIVE:
        return "closed" if customer.kind is CustomerKind.ORGANISATION else None
    checked = any(c.cert_type in CHECKED_CERTIFICATES for c in data.certificates)
    return "validated" if checked else "initialized"


def identifications(
    viewer: Viewer, certificates: list[CertificateRecord], seen: set[str], at_type: str
) -> list[dict[str, Any]]:
    """Active certificates as Individual- or OrganizationIdentification, the number masked per role."""
    return [
        {
            "identificationType": c.cert_type.value,
            "identificationId": shown(viewer, "certificate", c.cert_number, seen),
            "@type": at_type,
        }
        for c in certificates
    ]


def birth_and_gender(
    viewer: Viewer, certificates: list[CertificateRecord], seen: set[str]
) -> tuple[str | None, str | None]:
    """Birth date and gender read from the resident ID, only for roles that see certificate numbers."""
    resident = next((c for c in certificates if c.cert_type is CertificateType.RESIDENT_ID), None)
    if resident is None or not viewer.sees("certificate"):
        return None, None
    seen.add("certificate")
    gender = "male" if int(resident.cert_number[16]) % 2 else "female"
    return ric.get_birth_date(resident.cert_number).isoformat(), gender


def party_characteristics(data: PartyData) -> list[dict[str, Any]]:
    """Customer facts TMF632 has no attribute for."""
    c = data.customer
    return characteristics(
        [
            ("customerStatus", c.status.value),
            ("joinedAt", local_iso(c.joined_at)),
            ("cancelledAt", local_iso(c.cancelled_at)),
        ]
    )


def to_individual(viewer: Viewer, data: PartyData, seen: set[str], wanted: set[str] | None = None) -> dict[str, Any]:
    """The TMF632 Individual of a person customer."""
    c = data.customer
    family, given = split_name(c.name)
    birth: list[tuple[str | None, str | None]] = []

    def born() -> tuple[str | None, str | None]:
        if not birth:
            birth.append(birth_and_gender(viewer, data.certificates, seen))
        return birth[0]

    builders: dict[str, Callable[[], Any]] = {
        "fullName": lambda: c.name,
        "formattedName": lambda: c.name,
        "familyName": lambda: family,
        "givenName": lambda: given,
        "birthDate": lambda: born()[0],
        "gender": lambda: born()[1],
        "status": lambda: party_status(data),
        "individualIdentification": lambda: identifications(
            viewer, data.certificates, seen, "IndividualIdentification"
        ),
        "contactMedium": lambda: contact_media(viewer, data.profile, seen),
        "relatedParty": lambda: related_parties(data.relations),
        "partyCharacteristic": lambda: party_characteristics(data),
        "creditRating": lambda: [],  # issue 3 adds credit ratings
    }
    head = {"id": c.code, "href": party_href(c.code, c.kind), "@type": "Individual"}
    return build(head, builders, wanted)


def _is_parent_link(r: RelatedRef) -> bool:
    return r.relation_type is RelationType.PARENT_ORGANISATION


def organization_ref(r: RelatedRef) -> dict[str, Any]:
    """An OrganizationRef to the other side of a relation."""
    return {"id": r.code, "href": party_href(r.code, r.kind), "name": r.name, "@referredType": "Organization"}


def parent_relationship(data: PartyData) -> dict[str, Any] | None:
    """The organisation this one belongs to (its parent_organisation relation)."""
    parent = next((r for r in data.relations if _is_parent_link(r) and r.direction == "outgoing"), None)
    if parent is None:
        return None
    return {"relationshipType": "parent", "organization": organization_ref(parent)}


def child_relationships(data: PartyData) -> list[dict[str, Any]]:
    """The organisations that name this one as their parent."""
    return [
        {"relationshipType": "child", "organization": organization_ref(r)}
        for r in data.relations
        if _is_parent_link(r) and r.direction == "incoming"
    ]


def _other_relations(data: PartyData) -> list[RelatedRef]:
    """Relations not shown as parent/child organisation (a second parent, if any, stays here)."""
    parent = parent_relationship(data)
    parent_code = parent["organization"]["id"] if parent else None
    return [
        r for r in data.relations if not (_is_parent_link(r) and (r.direction == "incoming" or r.code == parent_code))
    ]


def to_organization(viewer: Viewer, data: PartyData, seen: set[str], wanted: set[str] | None = None) -> dict[str, Any]:
    """The TMF632 Organization of an organisation customer."""
    c = data.customer
    builders: dict[str, Callable[[], Any]] = {
        "name": lambda: c.name,
        "tradingName": lambda: c.name,
        "status": lambda: party_status(data),
        "existsDuring": lambda: valid_for(c),
        "organizationIdentification": lambda: identifications(
            viewer, data.certificates, seen, "OrganizationIdentification"
        ),
        "organizationParentRelationship": lambda: parent_relationship(data),
        "organizationChildRelationship": lambda: child_relationships(data),
        "contactMedium": lambda: contact_media(viewer, data.profile, seen),
        "relatedParty": lambda: related_parties(_other_relations(data)),
        "partyCharacteristic": lambda: party_characteristics(data),
        "creditRating": lambda: [],  # issue 3 adds credit ratings
    }
    head = {"id": c.code, "href": party_href(c.code, c.kind), "@type": "Organization"}
    return build(head, builders, wanted)


def list_by_kind(db: Session, kind: CustomerKind, *, offset: int, limit: int) -> tuple[list[Customer], int]:
    """A page of customers of one kind (merged-away codes left out) and the total."""
    stmt = select(Customer).where(Customer.kind == kind, Customer.status != CustomerStatus.MERGED)
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(Customer.id).offset(offset).limit(limit)).scalars()
    return list(rows), total
