"""TMF632 Individual and Organization through HTTP: names, identifications, parent/child organisations, 405."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from telcocrm.customers import merging, service
from telcocrm.customers.schemas import CertificateIn, CustomerCreate, RelationCreate
from telcocrm.models import Customer
from telcocrm.models.enums import CertificateType, CustomerKind, RelationType, StaffRole
from telcocrm.party.tmf_mapping import split_name
from telcocrm.staff.rules import Viewer
from tests.factories import make_person

BASE = "/tmf-api/party/v4"
Headers = Callable[[StaffRole], dict[str, str]]
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(serial: int) -> str:
    """A valid unified social credit code (GB 32100) with an embedded organisation code (GB 11714)."""
    body = f"{serial:08d}"
    check = 11 - sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(check, str(check))
    head = "91110105" + org_code
    return head + uscc.calc_check_digit(head)


def make_org(db: Session, viewer: Viewer, name: str, serial: int, parent: Customer | None = None) -> Customer:
    """An organisation customer with a unified social credit code, optionally under a parent organisation."""
    data = CustomerCreate(
        kind=CustomerKind.ORGANISATION,
        name=name,
        certificate=CertificateIn(type=CertificateType.UNIFIED_SOCIAL_CREDIT, number=credit_code(serial)),
    )
    org = service.create_customer(db=db, viewer=viewer, data=data)
    if parent is not None:
        relation = RelationCreate(related_customer_code=parent.code, relation_type=RelationType.PARENT_ORGANISATION)
        service.add_relation(db=db, viewer=viewer, code=org.code, data=relation)
    return org


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("张伟", "张", "伟"),
        ("王小明", "王", "小明"),
        ("欧阳娜娜", "欧阳", "娜娜"),
        ("司马懿", "司马", "懿"),
        ("诸葛亮", "诸葛", "亮"),
        ("上官婉儿", "上官", "婉儿"),
        ("欧阳", "欧", "阳"),
        ("John Smith", "Smith", "John"),
        ("阿依古丽·买买提", None, None),
    ],
)
def test_split_name(name: str, family: str | None, given: str | None) -> None:
    assert split_name(name) == (family, given)


def test_individual_name_split_and_masked_identification(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin, "欧阳娜娜")
    db.commit()

    reply = client.get(f"{BASE}/individual/{person.code}", headers=staff_headers(StaffRole.ANALYST))

    assert reply.status_code == 200
    body = reply.json()
    assert body["@type"] == "Individual"
    assert body["href"] == f"{BASE}/individual/{person.code}"
    assert (body["fullName"], body["familyName"], body["givenName"]) == ("欧阳娜娜", "欧阳", "娜娜")
    assert body["status"] == "validated"
    [identification] = body["individualIdentification"]
    assert identification["identificationType"] == "resident_id"
    assert identification["identificationId"].startswith("110105********")
    assert "birthDate" not in body  # it would reveal the masked part of the number


def test_administrator_sees_full_identification_and_is_audited(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin, "张伟")
    db.commit()
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    body = client.get(f"{BASE}/individual/{person.code}", headers=headers).json()

    assert "*" not in body["individualIdentification"][0]["identificationId"]
    assert body["birthDate"] == "1985-06-15"
    records = client.get("/audit", params={"actor": "t_administrator"}, headers=headers).json()
    assert [(r["action"], r["resourceId"]) for r in records] == [("view_unmasked", person.code)]


def test_organization_with_parent_and_child(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    group = make_org(db, admin, "中国电信集团", 11)
    branch = make_org(db, admin, "中国电信北京分公司", 12, parent=group)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    child = client.get(f"{BASE}/organization/{branch.code}", headers=headers).json()
    parent = client.get(f"{BASE}/organization/{group.code}", headers=headers).json()

    assert child["@type"] == "Organization"
    assert child["name"] == child["tradingName"] == "中国电信北京分公司"
    assert child["status"] == "validated"
    assert child["organizationIdentification"][0]["identificationType"] == "unified_social_credit"
    assert child["organizationParentRelationship"] == {
        "relationshipType": "parent",
        "organization": {
            "id": group.code,
            "href": f"{BASE}/organization/{group.code}",
            "name": "中国电信集团",
            "@referredType": "Organization",
        },
    }
    assert "relatedParty" not in child  # the parent is not repeated there
    assert [r["organization"]["id"] for r in parent["organizationChildRelationship"]] == [branch.code]
    assert parent["organizationChildRelationship"][0]["relationshipType"] == "child"


def test_kinds_are_separate_and_merged_codes_follow(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin, "张伟")
    twin = make_person(db, admin, "张伟")
    org = make_org(db, admin, "某某科技有限公司", 21)
    merging.merge_customers(db=db, viewer=admin, survivor_code=person.code, merged_code=twin.code)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    individuals = client.get(f"{BASE}/individual", headers=headers)
    assert [p["id"] for p in individuals.json()] == [person.code]
    assert individuals.headers["X-Total-Count"] == "1"
    assert [p["id"] for p in client.get(f"{BASE}/organization", headers=headers).json()] == [org.code]
    assert client.get(f"{BASE}/individual/{twin.code}", headers=headers).json()["id"] == person.code
    wrong_kind = client.get(f"{BASE}/individual/{org.code}", headers=headers)
    assert wrong_kind.status_code == 404
    assert wrong_kind.json()["referenceError"] == "id"


def test_cancelled_party_status(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    person = make_person(db, admin)
    org = make_org(db, admin, "某某贸易有限公司", 31)
    for customer in (person, org):
        service.cancel_customer(db=db, viewer=admin, code=customer.code)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    individual = client.get(f"{BASE}/individual/{person.code}", headers=headers).json()
    organization = client.get(f"{BASE}/organization/{org.code}", headers=headers).json()

    assert "status" not in individual
    assert {"name": "customerStatus", "value": "cancelled", "valueType": "string"} in individual["partyCharacteristic"]
    assert organization["status"] == "closed"


def test_writes_are_405_and_reads_need_a_token(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person = make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    created = client.post(f"{BASE}/individual", json={"fullName": "张三"}, headers=headers)
    patched = client.patch(f"{BASE}/organization/{person.code}", json={"name": "x"}, headers=headers)

    for reply in (created, patched):
        assert reply.status_code == 405
        assert reply.json()["@type"] == "Error"
        assert reply.headers["Allow"] == "GET"
    assert client.get(f"{BASE}/individual/{person.code}").status_code == 401
