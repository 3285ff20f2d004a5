"""Enrolling one customer from many clients at the same moment: one 201, every other a 409 naming the customer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.db.engine import session_factory
from telcocrm.errors import Conflict
from telcocrm.loyalty import ledger, tmf_service
from telcocrm.loyalty.ledger_repository import ACCOUNT
from telcocrm.models.enums import StaffRole
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer
from tests.factories import make_person

BASE = "/tmf-api/loyalty/v4"
CLIENTS = 8


def at_once(count: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Start `count` attempts at the same moment, each on its own thread (so its own session); their outcomes."""
    start = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = attempt(n)
        except Exception as failed:  # a 500 (the test client re-raises it) or a database error: kept to be seen
            outcomes[n] = failed

    workers = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def accounts_of(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(ACCOUNT.c.customer_code == code)).scalar_one())


def test_one_enrolment_wins_and_the_others_get_a_conflict_naming_the_customer(
    client: TestClient, staff_headers: Callable[[StaffRole], dict[str, str]], clean_engine: Engine, admin: Viewer
) -> None:
    with session_factory(clean_engine)() as db:
        code = make_person(db, admin, "张伟").code
        db.commit()
    headers = staff_headers(StaffRole.STORE_CLERK)
    body = {"relatedParty": [{"id": code}], "characteristic": [{"name": "optedIn", "value": True}]}

    replies = at_once(CLIENTS, lambda _: client.post(f"{BASE}/loyaltyProgramMember", json=body, headers=headers))

    assert sorted(getattr(r, "status_code", 500) for r in replies) == [201] + [409] * (CLIENTS - 1), replies
    for refused in (r.json() for r in replies if r.status_code == 409):
        assert (refused["@type"], refused["status"], refused["referenceError"]) == ("Error", "409", "relatedParty.id")
        assert code in refused["message"]
    assert accounts_of(clean_engine, code) == 1
    with session_factory(clean_engine)() as db:
        opened = [r.resource_id for r in audit.recent(db=db) if r.action == "points_account.open"]
    assert opened == [code]  # the losers left no trace


def test_the_monthly_posting_and_enrolments_at_once_open_one_account_and_earn(
    clean_engine: Engine, admin: Viewer
) -> None:
    with session_factory(clean_engine)() as db:
        code = make_person(db, admin, "王芳").code
        db.commit()
    award = {"month": "2024-03", "customer_code": code, "rule": "consumption", "source": "billing", "points": 50}
    awards = pa.Table.from_pylist([award | {"published": True, "reason": "测试 / test"}], schema=POINTS_AWARDS)

    def attempt(n: int) -> str:
        if n == 0:
            with clean_engine.begin() as conn:
                ledger.post_awards(conn, awards, month="2024-03", expiry_years=2, recorded_by="test")
            return "posted"
        with session_factory(clean_engine)() as db:
            try:
                tmf_service.enrol(db, viewer=admin, code=code, flags={})
            except Conflict as refused:
                return f"refused:{refused.field}"
            db.commit()
            return "enrolled"

    outcomes = at_once(4, attempt)

    assert outcomes[0] == "posted"
    assert outcomes[1:].count("enrolled") <= 1 and set(outcomes[1:]) <= {"enrolled", "refused:relatedParty.id"}
    assert accounts_of(clean_engine, code) == 1
    with clean_engine.connect() as conn:
        assert ledger.balance_of(conn, customer_code=code) == 50
