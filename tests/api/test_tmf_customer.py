"""TMF629 Customer through HTTP: paging, fields, merges, create, merge-patch, cancel, masking, audit, SQL count."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from telcocrm.customers import merging, service
from telcocrm.customers.schemas import CustomerUpdate as OurUpdate
from telcocrm.customers.schemas import ProfileIn, RelationCreate
from telcocrm.models import Customer
from telcocrm.models.enums import CustomerStatus, RelationType, StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person, resident_id, wrong_check_digit
from tests.sqlcount import counted_statements, queries

BASE = "/tmf-api/customerManagement/v4/customer"
Headers = Callable[[StaffRole], dict[str, str]]
PHONE = "13912345678"


def chars(resource: dict[str, Any]) -> dict[str, Any]:
    """The characteristics of a resource as a name → value dict."""
    return {c["name"]: c["value"] for c in resource.get("characteristic", [])}


def medium(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    """The characteristic of one contact medium."""
    return next(m["characteristic"] for m in resource["contactMedium"] if m["mediumType"] == kind)


def person_with_phone(db: Session, admin: Viewer, name: str = "张伟") -> Customer:
    """A person with a contact phone and address, committed."""
    customer = make_person(db, admin, name)
    profile = ProfileIn(contact_phone=PHONE, contact_address="北京市朝阳区建国路88号", city="北京", province="北京")
    service.change_customer(db=db, viewer=admin, code=customer.code, data=OurUpdate(profile=profile))
    db.commit()
    return customer


def new_customer(number: str, **extra: Any) -> dict[str, Any]:
    """A Customer_Create body for a person with a resident ID."""
    body: dict[str, Any] = {
        "name": "李娜",
        "engagedParty": {"name": "李娜", "@referredType": "Individual"},
        "characteristic": [
            {"name": "certificateType", "value": "resident_id"},
            {"name": "certificateNumber", "value": number},
        ],
        "contactMedium": [
            {"mediumType": "phone", "preferred": True, "characteristic": {"phoneNumber": PHONE}},
            {"mediumType": "email", "characteristic": {"emailAddress": "lina@example.cn"}},
        ],
        "@type": "Customer",
    }
    return body | extra


def customer_count(db: Session) -> int:
    """How many customers the database holds."""
    return db.execute(select(func.count(Customer.id))).scalar_one()


# --- list --------------------------------------------------------------------------------------------------------


def test_list_pages_with_total_headers_and_206(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    for name in ("张伟", "王芳", "刘洋"):
        make_person(db, admin, name)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    partial = client.get(BASE, params={"limit": 2}, headers=headers)
    assert partial.status_code == 206
    assert partial.headers["X-Total-Count"] == "3"
    assert partial.headers["X-Result-Count"] == "2"
    assert [c["@type"] for c in partial.json()] == ["Customer", "Customer"]

    whole = client.get(BASE, headers=headers)
    assert whole.status_code == 200
    assert whole.headers["X-Result-Count"] == "3"


def test_list_filters_by_status_and_name(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    make_person(db, admin, "张伟")
    make_person(db, admin, "张敏")
    gone = make_person(db, admin, "王芳")
    service.cancel_customer(db=db, viewer=admin, code=gone.code)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    by_name = client.get(BASE, params={"name": "张"}, headers=headers).json()
    assert sorted(c["name"] for c in by_name) == ["张伟", "张敏"]
    cancelled = client.get(BASE, params={"status": "cancelled"}, headers=headers).json()
    assert [c["id"] for c in cancelled] == [gone.code]

    bad = client.get(BASE, params={"status": "approved"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["referenceError"] == "status"


def test_fields_keeps_id_href_and_type(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    customer = person_with_phone(db, admin)
    headers = staff_headers(StaffRole.ANALYST)

    listed = client.get(BASE, params={"fields": "name,status"}, headers=headers).json()
    assert listed == [
        {
            "id": customer.code,
            "href": f"{BASE}/{customer.code}",
            "@type": "Customer",
            "name": "张伟",
            "status": "active",
        }
    ]
    one = client.get(f"{BASE}/{customer.code}", params={"fields": "name"}, headers=headers).json()
    assert set(one) == {"id", "href", "@type", "name"}


# --- read -------------------------------------------------------------------------------------------------------


def test_get_by_code_shows_party_accounts_relations(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = person_with_phone(db, admin)
    account = make_account(db, admin, customer)
    make_line(db, admin, customer, account)
    spouse = make_person(db, admin, "王芳")
    service.add_relation(
        db=db,
        viewer=admin,
        code=customer.code,
        data=RelationCreate(related_customer_code=spouse.code, relation_type=RelationType.FAMILY_MEMBER),
    )
    db.commit()

    reply = client.get(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.ANALYST))

    assert reply.status_code == 200
    body = reply.json()
    assert body["id"] == customer.code
    assert body["href"] == f"{BASE}/{customer.code}"
    assert body["status"] == "active"
    assert body["engagedParty"] == {
        "id": customer.code,
        "href": f"/tmf-api/party/v4/individual/{customer.code}",
        "name": "张伟",
        "@referredType": "Individual",
    }
    assert body["account"] == [
        {
            "id": account.account_code,
            "href": f"/tmf-api/accountManagement/v4/billingAccount/{account.account_code}",
            "name": "张伟",
            "@referredType": "BillingAccount",
        }
    ]
    assert body["relatedParty"][0]["id"] == spouse.code
    assert body["relatedParty"][0]["role"] == "familyMember"
    assert body["validFor"]["startDateTime"].endswith("+08:00")
    values = chars(body)
    assert values["customerKind"] == "person"
    assert values["certificateType"] == "resident_id"
    assert values["subscriberCount"] == 1
    assert "creditProfile" not in body


def test_merged_away_code_answers_with_survivor(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    survivor = make_person(db, admin, "张伟")
    merged = make_person(db, admin, "张伟")
    merging.merge_customers(db=db, viewer=admin, survivor_code=survivor.code, merged_code=merged.code)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    reply = client.get(f"{BASE}/{merged.code}", headers=headers)

    assert reply.status_code == 200
    assert reply.json()["id"] == survivor.code
    listed = client.get(BASE, params={"status": "merged"}, headers=headers).json()
    assert chars(listed[0])["mergedIntoCode"] == survivor.code


def test_unknown_code_is_404_in_tmf_form(client: TestClient, staff_headers: Headers) -> None:
    reply = client.get(f"{BASE}/000000000000", headers=staff_headers(StaffRole.ANALYST))

    assert reply.status_code == 404
    assert reply.json()["@type"] == "Error"
    assert reply.json()["referenceError"] == "id"


# --- create -----------------------------------------------------------------------------------------------------


def test_create_with_valid_resident_id(client: TestClient, staff_headers: Headers, db: Session) -> None:
    number = resident_id(501)

    reply = client.post(BASE, json=new_customer(number), headers=staff_headers(StaffRole.STORE_CLERK))

    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert reply.headers["Location"] == body["href"] == f"{BASE}/{body['id']}"
    assert body["name"] == "李娜"
    assert body["engagedParty"]["@referredType"] == "Individual"
    assert chars(body)["certificateNumber"] == number[:6] + "********" + number[-4:]  # the clerk sees it masked
    assert medium(body, "phone")["phoneNumber"] == "139****5678"
    assert medium(body, "email")["emailAddress"] == "lina@example.cn"
    assert next(m for m in body["contactMedium"] if m["mediumType"] == "phone")["preferred"] is True
    assert customer_count(db) == 1


def test_create_with_wrong_check_digit_is_refused_and_writes_nothing(
    client: TestClient, staff_headers: Headers, db: Session
) -> None:
    reply = client.post(
        BASE, json=new_customer(wrong_check_digit(resident_id(502))), headers=staff_headers(StaffRole.STORE_CLERK)
    )

    assert reply.status_code == 400
    assert reply.json()["referenceError"] == "characteristic.certificateNumber"
    assert reply.json()["@type"] == "Error"
    assert customer_count(db) == 0


def test_create_with_certificate_of_another_customer_is_409(
    client: TestClient, staff_headers: Headers, db: Session
) -> None:
    headers = staff_headers(StaffRole.STORE_CLERK)
    number = resident_id(503)
    assert client.post(BASE, json=new_customer(number), headers=headers).status_code == 201

    reply = client.post(BASE, json=new_customer(number, name="李娜娜"), headers=headers)

    assert reply.status_code == 409
    assert reply.json()["referenceError"] == "characteristic.certificateNumber"
    assert customer_count(db) == 1


def test_create_refuses_malformed_party_and_unknown_characteristic(
    client: TestClient, staff_headers: Headers, db: Session
) -> None:
    headers = staff_headers(StaffRole.STORE_CLERK)
    body = new_customer(resident_id(504))

    no_type = client.post(BASE, json=body | {"engagedParty": {"name": "李娜"}}, headers=headers)
    assert no_type.status_code == 422
    assert no_type.json()["referenceError"] == "engagedParty.@referredType"

    unknown = body | {"characteristic": [*body["characteristic"], {"name": "shoeSize", "value": "42"}]}
    reply = client.post(BASE, json=unknown, headers=headers)
    assert reply.status_code == 400
    assert reply.json()["referenceError"] == "characteristic.shoeSize"

    blank = client.post(BASE, json=body | {"name": "  "}, headers=headers)
    assert blank.status_code == 400
    assert blank.json()["referenceError"] == "name"

    bad_phone = body | {"contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "12"}}]}
    reply = client.post(BASE, json=bad_phone, headers=headers)
    assert reply.status_code == 400
    assert reply.json()["referenceError"] == "contactMedium.0.characteristic.phoneNumber"
    assert customer_count(db) == 0


def test_create_for_an_existing_party_is_409(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    existing = make_person(db, admin, "李娜")
    db.commit()
    body = new_customer(resident_id(506))
    body["engagedParty"] |= {"id": existing.code}

    reply = client.post(BASE, json=body, headers=staff_headers(StaffRole.STORE_CLERK))

    assert reply.status_code == 409
    assert reply.json()["referenceError"] == "engagedParty.id"
    assert customer_count(db) == 1


# --- change and cancel ------------------------------------------------------------------------------------------


def test_merge_patch_changes_name_and_phone_with_history(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = person_with_phone(db, admin)
    patch = {
        "name": "张伟强",
        "contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "13800001111"}}],
        "characteristic": [{"name": "occupation", "value": "教师"}],
    }

    reply = client.patch(
        f"{BASE}/{customer.code}",
        content=json.dumps(patch),
        headers=staff_headers(StaffRole.ACCOUNT_MANAGER) | {"Content-Type": "application/merge-patch+json"},
    )

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["name"] == "张伟强"
    assert medium(body, "phone")["phoneNumber"] == "13800001111"  # account managers see phones
    assert chars(body)["occupation"] == "教师"
    view = client.get(f"/api/customers/{customer.code}/view", headers=staff_headers(StaffRole.ADMINISTRATOR)).json()
    change = view["history"][0]
    assert change["action"] == "change"
    assert change["after"]["name"] == "张伟强"
    # History names the changed profile fields but keeps no phone number: every role may read history.
    assert "contact_phone" in change["after"]["changes"]["profile"]
    assert "13800001111" not in json.dumps(view["history"])


def test_patch_refuses_cancel_and_json_patch(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.STORE_CLERK)
    merge_patch = headers | {"Content-Type": "application/merge-patch+json"}

    cancel = client.patch(f"{BASE}/{customer.code}", content='{"status": "cancelled"}', headers=merge_patch)
    assert cancel.status_code == 400
    assert cancel.json()["referenceError"] == "status"

    json_patch = headers | {"Content-Type": "application/json-patch+json"}
    ops = '[{"op": "replace", "path": "/name", "value": "x"}]'
    assert client.patch(f"{BASE}/{customer.code}", content=ops, headers=json_patch).status_code == 415

    read_only = client.patch(
        f"{BASE}/{customer.code}",
        content='{"characteristic": [{"name": "joinedAt", "value": "x"}]}',
        headers=merge_patch,
    )
    assert read_only.status_code == 400
    assert read_only.json()["referenceError"] == "characteristic.joinedAt"


def test_delete_cancels_the_customer(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.STORE_CLERK)

    reply = client.delete(f"{BASE}/{customer.code}", headers=headers)

    assert reply.status_code == 204
    body = client.get(f"{BASE}/{customer.code}", headers=headers).json()
    assert body["status"] == "cancelled"
    assert "endDateTime" in body["validFor"]
    assert client.delete(f"{BASE}/{customer.code}", headers=headers).status_code == 409


def test_delete_with_live_line_is_409(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    make_line(db, admin, customer, make_account(db, admin, customer))
    db.commit()

    reply = client.delete(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.STORE_CLERK))

    assert reply.status_code == 409
    assert reply.json()["referenceError"] == "subscriber"
    assert db.get(Customer, customer.id).status is CustomerStatus.ACTIVE  # type: ignore[union-attr]


# --- masking, audit, access -------------------------------------------------------------------------------------


def audit_of(client: TestClient, staff_headers: Headers, actor: str) -> list[dict[str, Any]]:
    """The audit records of one staff member, read as administrator."""
    reply = client.get("/audit", params={"actor": actor}, headers=staff_headers(StaffRole.ADMINISTRATOR))
    assert reply.status_code == 200
    return list(reply.json())


def test_analyst_sees_masked_values_and_leaves_no_audit(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = person_with_phone(db, admin)
    number = chars(client.get(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.ADMINISTRATOR)).json())[
        "certificateNumber"
    ]

    body = client.get(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.ANALYST)).json()

    assert chars(body)["certificateNumber"] == f"{number[:6]}********{number[-4:]}"
    assert chars(body)["certificateNumber"].startswith("110105********")
    assert medium(body, "phone")["phoneNumber"] == "139****5678"
    assert medium(body, "postalAddress")["street1"] == "北京市朝阳区****"
    assert audit_of(client, staff_headers, "t_analyst") == []


def test_administrator_sees_full_values_and_is_audited(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = person_with_phone(db, admin)

    body = client.get(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.ADMINISTRATOR)).json()

    assert len(chars(body)["certificateNumber"]) == 18
    assert "*" not in chars(body)["certificateNumber"]
    assert medium(body, "phone")["phoneNumber"] == PHONE
    records = audit_of(client, staff_headers, "t_administrator")
    assert len(records) == 1
    assert records[0]["action"] == "view_unmasked"
    assert records[0]["resourceId"] == customer.code
    assert records[0]["fields"] == ["address", "certificate", "phone"]


def test_list_writes_one_audit_record_per_response(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    person_with_phone(db, admin, "张伟")
    person_with_phone(db, admin, "王芳")
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    client.get(BASE, headers=headers)
    client.get(BASE, params={"fields": "name"}, headers=headers)  # nothing personal shown: no record

    records = audit_of(client, staff_headers, "t_administrator")
    assert [(r["action"], r["resourceId"]) for r in records] == [("view_unmasked", "list")]


def test_authentication_and_permissions(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    customer = make_person(db, admin)
    db.commit()

    anonymous = client.get(f"{BASE}/{customer.code}")
    assert anonymous.status_code == 401
    assert anonymous.json()["@type"] == "Error"
    analyst = staff_headers(StaffRole.ANALYST)
    assert client.delete(f"{BASE}/{customer.code}", headers=analyst).status_code == 403
    assert client.post(BASE, json=new_customer(resident_id(505)), headers=analyst).status_code == 403
    assert client.delete(f"{BASE}/{customer.code}", headers=staff_headers(StaffRole.ACCOUNT_MANAGER)).status_code == 403


# --- cost -------------------------------------------------------------------------------------------------------


def test_get_customer_runs_few_statements(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    customer = person_with_phone(db, admin)
    for _ in range(3):
        make_line(db, admin, customer, make_account(db, admin, customer))
    other = make_person(db, admin, "王芳")
    service.add_relation(
        db=db,
        viewer=admin,
        code=customer.code,
        data=RelationCreate(related_customer_code=other.code, relation_type=RelationType.GUARANTOR),
    )
    db.commit()
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    with counted_statements(clean_engine, client.app) as statements:
        reply = client.get(f"{BASE}/{customer.code}", headers=headers)

    assert reply.status_code == 200
    assert len(reply.json()["account"]) == 3
    assert len(queries(statements)) == 2, statements  # the customer with accounts and relations; the audit insert
