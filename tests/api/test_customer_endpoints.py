"""Our own customer endpoints through HTTP: 360 view, merge, split, authenticate, search, permissions."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from telcocrm.models import AuditRecord, Customer
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person, resident_id, wrong_check_digit
from tests.sqlcount import counted_statements, queries

Headers = Callable[[StaffRole], dict[str, str]]


def family(db: Session, admin: Viewer) -> tuple[Customer, Customer]:
    father = make_person(db, admin, "刘建国")
    daughter = make_person(db, admin, "刘洋")
    account = make_account(db, admin, father)
    make_line(db, admin, father, account, number="13812345678")
    make_line(db, admin, father, account)
    db.commit()
    return father, daughter


def test_360_view_in_one_response_masked_for_clerk(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    father, _ = family(db, admin)
    reply = client.get(f"/api/customers/{father.code}/view", headers=staff_headers(StaffRole.STORE_CLERK))
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"core", "extended", "peripheral", "accounts", "subscribers", "relations", "history"}
    number = body["core"]["certificates"][0]["number"]
    assert number[:6] == "110105" and number[6:14] == "********"
    assert "138****5678" in {s["serviceNumber"] for s in body["subscribers"]}
    assert (
        db.execute(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "view_unmasked")
        ).scalar_one()
        == 0
    )


def test_360_view_unmasked_for_administrator_is_audited(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    father, _ = family(db, admin)
    reply = client.get(f"/api/customers/{father.code}/view", headers=staff_headers(StaffRole.ADMINISTRATOR))
    assert "13812345678" in {s["serviceNumber"] for s in reply.json()["subscribers"]}
    trail = client.get("/audit", headers=staff_headers(StaffRole.ADMINISTRATOR)).json()
    views = [r for r in trail if r["action"] == "view_unmasked"]
    assert views and views[0]["resourceId"] == father.code and "phone" in views[0]["fields"]


def test_360_view_takes_four_statements(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    father, daughter = family(db, admin)
    client.post(
        f"/api/customers/{father.code}/relations",
        json={"related_customer_code": daughter.code, "relation_type": "family_member"},
        headers=staff_headers(StaffRole.ADMINISTRATOR),
    )
    headers = staff_headers(StaffRole.ADMINISTRATOR)
    with counted_statements(clean_engine, client.app) as statements:
        reply = client.get(f"/api/customers/{father.code}/view", headers=headers)
    assert reply.status_code == 200 and reply.json()["relations"]
    # three reads and the audit insert of the unmasked view (on PostgreSQL, sent by the hot reads)
    assert len(queries(statements)) == 4, statements


def test_merge_over_http_and_old_code_answers_with_survivor(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    a, b = make_person(db, admin), make_person(db, admin)
    db.commit()
    headers = staff_headers(StaffRole.STORE_CLERK)
    reply = client.post(f"/api/customers/{a.code}/merge", json={"merged_code": b.code}, headers=headers)
    assert reply.status_code == 200
    assert client.get(f"/api/customers/{b.code}/view", headers=headers).json()["core"]["code"] == a.code


def test_merge_into_itself_gets_the_tmf_error_body(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    a = make_person(db, admin)
    db.commit()
    reply = client.post(
        f"/api/customers/{a.code}/merge", json={"merged_code": a.code}, headers=staff_headers(StaffRole.STORE_CLERK)
    )
    assert reply.status_code == 400
    body = reply.json()
    assert body["referenceError"] == "merged_code" and body["code"] and body["reason"] and body["@type"] == "Error"


def test_split_over_http(client: TestClient, staff_headers: Headers, db: Session, admin: Viewer) -> None:
    father, _ = family(db, admin)
    view = client.get(f"/api/customers/{father.code}/view", headers=staff_headers(StaffRole.STORE_CLERK)).json()
    line = view["subscribers"][0]["id"]
    reply = client.post(
        f"/api/customers/{father.code}/split",
        json={
            "subscriber_codes": [line],
            "new_customer": {
                "kind": "person",
                "name": "刘小洋",
                "certificate": {"type": "resident_id", "number": resident_id()},
            },
        },
        headers=staff_headers(StaffRole.STORE_CLERK),
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["movedSubscribers"] == [line]


def test_split_with_bad_certificate_writes_nothing(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    father, _ = family(db, admin)
    before = db.execute(select(func.count()).select_from(Customer)).scalar_one()
    reply = client.post(
        f"/api/customers/{father.code}/split",
        json={
            "subscriber_codes": ["S00000000001"],
            "new_customer": {
                "kind": "person",
                "name": "刘小洋",
                "certificate": {"type": "resident_id", "number": wrong_check_digit(resident_id())},
            },
        },
        headers=staff_headers(StaffRole.STORE_CLERK),
    )
    assert reply.status_code == 400 and reply.json()["referenceError"] == "certificate.number"
    db.expire_all()
    assert db.execute(select(func.count()).select_from(Customer)).scalar_one() == before


def test_authenticate_locks_after_five_failures(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer = make_person(db, admin, password="654321")
    db.commit()
    headers = staff_headers(StaffRole.STORE_CLERK)
    url = f"/api/customers/{customer.code}/authenticate"
    assert client.post(url, json={"password": "654321"}, headers=headers).json()["method"] == "password"
    statuses = [client.post(url, json={"password": "nope"}, headers=headers).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert client.post(url, json={"password": "654321"}, headers=headers).status_code == 423


def test_search_by_name_prefix_with_paging_headers(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    for i in range(3):
        make_person(db, admin, f"张{i}")
    db.commit()
    reply = client.get("/api/customers", params={"q": "张", "limit": 2}, headers=staff_headers(StaffRole.ANALYST))
    assert reply.status_code == 206
    assert reply.headers["X-Total-Count"] == "3" and reply.headers["X-Result-Count"] == "2"


def test_no_token_is_401_and_wrong_role_is_403(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    a, b = make_person(db, admin), make_person(db, admin)
    db.commit()
    assert client.get(f"/api/customers/{a.code}/view").status_code == 401
    reply = client.post(
        f"/api/customers/{a.code}/merge", json={"merged_code": b.code}, headers=staff_headers(StaffRole.ANALYST)
    )
    assert reply.status_code == 403 and reply.json()["@type"] == "Error"


def test_staff_login_locks_after_five_failures(client: TestClient, staff_headers: Headers) -> None:
    staff_headers(StaffRole.ANALYST)
    bad = [client.post("/auth/token", data={"username": "t_analyst", "password": "x"}).status_code for _ in range(5)]
    assert bad == [401] * 5
    from tests.conftest import STAFF_PASSWORD

    assert client.post("/auth/token", data={"username": "t_analyst", "password": STAFF_PASSWORD}).status_code == 423
