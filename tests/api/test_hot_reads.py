"""The hot reads (telcocrm/hot_reads.py): on PostgreSQL, TMF629 GET customer and the 360 view answered before the
framework must answer exactly what the routes answer, audit the same, and leave every refusal to the routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from telcocrm.customers import merging, service
from telcocrm.customers.schemas import CustomerUpdate, ProfileIn, RelationCreate
from telcocrm.models import AuditRecord, Customer
from telcocrm.models.enums import RelationType, StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person
from tests.sqlcount import counted_statements, queries

Headers = Callable[[StaffRole], dict[str, str]]
TMF = "/tmf-api/customerManagement/v4/customer"


@pytest.fixture(autouse=True)
def _postgresql_only(clean_engine: Engine) -> None:
    if clean_engine.dialect.name != "postgresql":
        pytest.skip("the hot reads serve PostgreSQL; on SQLite the routes answer every request")


@contextmanager
def routes_only(client: TestClient) -> Iterator[None]:
    """Inside the block the routes answer the hot GETs too (the middleware finds no reader)."""
    reader = client.app.state.async_reader  # type: ignore[attr-defined]
    client.app.state.async_reader = None  # type: ignore[attr-defined]
    try:
        yield
    finally:
        client.app.state.async_reader = reader  # type: ignore[attr-defined]


def customers(db: Session, admin: Viewer) -> tuple[Customer, Customer]:
    """A family head with contact data, two lines, a relation; a second customer merged into him."""
    head, daughter, twin = (make_person(db, admin, name) for name in ("刘建国", "刘洋", "刘建"))
    profile = ProfileIn(contact_phone="13912345678", contact_address="北京市朝阳区建国路88号", city="北京")
    service.change_customer(db=db, viewer=admin, code=head.code, data=CustomerUpdate(profile=profile))
    account = make_account(db, admin, head)
    make_line(db, admin, head, account, number="13812345678")
    make_line(db, admin, head, account)
    relation = RelationCreate(related_customer_code=daughter.code, relation_type=RelationType.FAMILY_MEMBER)
    service.add_relation(db=db, viewer=admin, code=head.code, data=relation)
    merging.merge_customers(db=db, viewer=admin, survivor_code=head.code, merged_code=twin.code, reason="duplicate")
    db.commit()
    return head, twin


def test_hot_reads_answer_byte_for_byte_what_the_routes_answer(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    head, twin = customers(db, admin)
    paths = [
        f"{TMF}/{head.code}",
        f"{TMF}/{twin.code}",  # merged away: answers with the survivor
        f"{TMF}/{head.code}?fields=name,account",
        f"{TMF}/{head.code}?fields=relatedParty",
        f"/api/customers/{head.code}/view",
        f"/api/customers/{twin.code}/view",
    ]
    for role in (StaffRole.STORE_CLERK, StaffRole.ADMINISTRATOR):
        headers = staff_headers(role)
        for path in paths:
            with counted_statements(clean_engine) as through_engine:
                hot = client.get(path, headers=headers)
            with routes_only(client):
                route = client.get(path, headers=headers)
            assert hot.status_code == route.status_code == 200, (path, hot.text)
            assert hot.content == route.content, path
            assert hot.headers["content-type"] == route.headers["content-type"]
            assert queries(through_engine) == [], path  # answered by the hot reads, not by the routes


def test_an_unmasked_hot_read_is_audited_like_the_route(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    head, _ = customers(db, admin)
    headers = staff_headers(StaffRole.ADMINISTRATOR)
    client.get(f"/api/customers/{head.code}/view", headers=headers)
    with routes_only(client):
        client.get(f"/api/customers/{head.code}/view", headers=headers)
    client.get(f"/api/customers/{head.code}/view", headers=staff_headers(StaffRole.STORE_CLERK))  # masked
    db.expire_all()
    rows = db.execute(select(AuditRecord).where(AuditRecord.action == "view_unmasked")).scalars().all()
    assert len(rows) == 2
    hot, route = rows
    assert (hot.actor, hot.role, hot.resource_id) == (route.actor, route.role, route.resource_id)
    assert hot.fields == route.fields
    assert hot.fields  # the personal data it showed, named


def test_refusals_are_left_to_the_routes(client: TestClient, staff_headers: Headers) -> None:
    headers = staff_headers(StaffRole.STORE_CLERK)
    missing = client.get(f"{TMF}/000000000000", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"]
    assert client.get("/api/customers/000000000000/view", headers=headers).status_code == 404
    assert client.get(f"{TMF}/000000000000").status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/customers/000000000000/view", headers=forged).status_code == 401


def test_a_hot_read_survives_a_column_changed_under_its_prepared_statement(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    head, _ = customers(db, admin)
    headers, path = staff_headers(StaffRole.STORE_CLERK), f"{TMF}/{head.code}"
    before = client.get(path, headers=headers)  # prepared on the reader's connection
    length = Customer.__table__.c.name.type.length
    with clean_engine.begin() as conn:  # as a migration run while the servers serve would
        conn.exec_driver_sql("ALTER TABLE customer ALTER COLUMN name TYPE text")
    try:
        with counted_statements(clean_engine) as through_engine:
            after = client.get(path, headers=headers)
        assert after.status_code == 200 and after.content == before.content
        assert queries(through_engine) == []  # still the hot read, prepared again
    finally:
        with clean_engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE customer ALTER COLUMN name TYPE varchar({length})")
