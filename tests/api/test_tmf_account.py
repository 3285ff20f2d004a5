"""TMF666 BillingAccount through HTTP: parent/child relationships, owner, payment method, filters."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcocrm.customers import merging
from telcocrm.models.enums import AccountType, PaymentMethod, StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person

BASE = "/tmf-api/accountManagement/v4/billingAccount"
Headers = Callable[[StaffRole], dict[str, str]]


def test_family_accounts_show_parent_and_child(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    owner = make_person(db, admin, "张伟")
    primary = make_account(
        db, admin, owner, account_type=AccountType.FAMILY_PRIMARY, payment_method=PaymentMethod.BANK_COLLECTION
    )
    secondary = make_account(
        db, admin, owner, account_type=AccountType.FAMILY_SECONDARY, parent_account_code=primary.account_code
    )
    make_line(db, admin, owner, secondary)
    db.commit()
    headers = staff_headers(StaffRole.ANALYST)

    parent = client.get(f"{BASE}/{primary.account_code}", headers=headers).json()
    child = client.get(f"{BASE}/{secondary.account_code}", headers=headers).json()

    assert parent["@type"] == "BillingAccount"
    assert parent["href"] == f"{BASE}/{primary.account_code}"
    assert parent["accountType"] == "family_primary"
    assert parent["state"] == "active"
    assert parent["defaultPaymentMethod"]["id"] == "bank_collection"
    assert parent["defaultPaymentMethod"]["name"] == "银行托收 / bank collection"
    assert [(r["relationshipType"], r["account"]["id"]) for r in parent["accountRelationship"]] == [
        ("child", secondary.account_code)
    ]
    assert [(r["relationshipType"], r["account"]["id"]) for r in child["accountRelationship"]] == [
        ("parent", primary.account_code)
    ]
    assert child["accountRelationship"][0]["account"]["href"] == f"{BASE}/{primary.account_code}"
    assert "startDateTime" in child["accountRelationship"][0]["validFor"]
    assert child["relatedParty"] == [
        {
            "id": owner.code,
            "href": f"/tmf-api/customerManagement/v4/customer/{owner.code}",
            "name": "张伟",
            "role": "owner",
            "@referredType": "Customer",
        }
    ]
    assert {"name": "subscriberCount", "value": 1, "valueType": "integer"} in child["characteristic"]
    assert "lastModified" in child


def test_list_filters_by_owner_and_pages(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    first = make_person(db, admin, "张伟")
    second = make_person(db, admin, "王芳")
    for _ in range(3):
        make_account(db, admin, first)
    mine = make_account(db, admin, second, payment_method=PaymentMethod.PREPAID)
    db.commit()
    headers = staff_headers(StaffRole.PHONE_MANAGER)

    owned = client.get(BASE, params={"relatedParty.id": second.code}, headers=headers)
    assert owned.status_code == 200
    assert [a["id"] for a in owned.json()] == [mine.account_code]
    assert owned.json()[0]["ratingType"] == "prepaid"

    page = client.get(BASE, params={"limit": 2, "fields": "name"}, headers=headers)
    assert page.status_code == 206
    assert page.headers["X-Total-Count"] == "4"
    assert all(set(a) == {"id", "href", "@type", "name"} for a in page.json())

    unknown = client.get(BASE, params={"relatedParty.id": "999999999999"}, headers=headers)
    assert unknown.json() == []
    assert unknown.headers["X-Total-Count"] == "0"
    bad_state = client.get(BASE, params={"state": "open"}, headers=headers)
    assert bad_state.status_code == 400
    assert bad_state.json()["referenceError"] == "state"


def test_accounts_of_a_merged_code_are_the_survivors(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    survivor = make_person(db, admin, "张伟")
    merged = make_person(db, admin, "张伟")
    moved = make_account(db, admin, merged)
    merging.merge_customers(db=db, viewer=admin, survivor_code=survivor.code, merged_code=merged.code)
    db.commit()

    reply = client.get(BASE, params={"relatedParty.id": merged.code}, headers=staff_headers(StaffRole.ANALYST))

    assert [(a["id"], a["relatedParty"][0]["id"]) for a in reply.json()] == [(moved.account_code, survivor.code)]


def test_not_found_unauthenticated_and_read_only(client: TestClient, staff_headers: Headers) -> None:
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    missing = client.get(f"{BASE}/A99999999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["@type"] == "Error"
    assert client.get(BASE).status_code == 401
    assert client.post(BASE, json={"name": "x"}, headers=headers).status_code == 405
