"""The loyalty API (/api/loyalty/…): points, cards, catalogue, redemption — permissions, errors, and no overdraw."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from telcocrm.loyalty import ledger
from telcocrm.loyalty.ledger_repository import ENTRY
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from tests.factories import wrong_check_digit
from tests.loyalty_factories import add_reward, give_points, person_with_value

Headers = Callable[[StaffRole], dict[str, str]]


def open_reward(engine: Engine, viewer: Viewer, code: str, price: int, **terms: object) -> None:
    """A reward redeemable today and after (the API redeems on the real date)."""
    add_reward(engine, viewer, code, price=price, valid_from="2020-01-01", valid_to=None, **terms)


def entry_sum(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(ENTRY.c.points), 0))).scalar_one())


def test_points_summary_shows_balance_next_expiry_and_recent_entries(
    client: TestClient, staff_headers: Headers, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 800)
    reply = client.get(f"/api/loyalty/customers/{code}/points", headers=staff_headers(StaffRole.ANALYST))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["balance"], body["spendable"], body["hasAccount"]) == (800, 800, True)
    assert (body["nextExpiryDate"], body["nextExpiryPoints"]) == ("2028-12-31", 800)
    assert [(e["kind"], e["points"]) for e in body["recentEntries"]] == [("adjustment", 800)]
    missing = client.get("/api/loyalty/customers/999999999999/points", headers=staff_headers(StaffRole.ANALYST))
    assert missing.status_code == 404 and missing.json()["@type"] == "Error"


def test_a_clerk_issues_a_card_the_number_finds_the_customer_and_a_typo_is_refused(
    client: TestClient, staff_headers: Headers, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, value_tier="high")
    clerk = staff_headers(StaffRole.STORE_CLERK)
    made = client.post(
        f"/api/loyalty/customers/{code}/cards", json={"kind": "wode_ejia", "holder": "personal"}, headers=clerk
    )
    assert made.status_code == 201, made.text
    number = made.json()["cardNumber"]
    assert made.json()["level"] == "platinum"
    found = client.get(f"/api/loyalty/cards/{number}", headers=clerk)
    assert found.status_code == 200 and found.json()["customerCode"] == code
    typo = client.get(f"/api/loyalty/cards/{wrong_check_digit(number)}", headers=clerk)
    assert typo.status_code == 400
    assert typo.json()["code"] == "INVALID_VALUE" and typo.json()["referenceError"] == "card_number"
    assert "校验位" in typo.json()["reason"]
    denied = client.patch(f"/api/loyalty/cards/{number}", json={"level": "diamond", "note": "x"}, headers=clerk)
    assert denied.status_code == 403
    raised = client.patch(
        f"/api/loyalty/cards/{number}", json={"level": "diamond", "note": "申请 / request"},
        headers=staff_headers(StaffRole.ADMINISTRATOR),
    )  # fmt: skip
    assert raised.status_code == 200 and raised.json()["level"] == "diamond"
    cancelled = client.post(f"/api/loyalty/cards/{number}/cancel", json={"note": "挂失 / lost"}, headers=clerk)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(f"/api/loyalty/cards/{number}", headers=clerk).status_code == 409
    history = client.get(f"/api/loyalty/cards/{number}/history", headers=clerk).json()
    assert [h["action"] for h in history] == ["issue", "upgrade", "cancel"]


def test_the_catalogue_is_edited_by_administrators_and_filtered_per_customer(
    client: TestClient, staff_headers: Headers, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, segment="family")
    give_points(clean_engine, code, 500)
    boss = staff_headers(StaffRole.ADMINISTRATOR)
    reward = {
        "code": "router",
        "name": "路由器",
        "category": "goods",
        "pointsPrice": 400,
        "stock": 2,
        "validFrom": "2020-01-01",
    }
    assert (
        client.post("/api/loyalty/rewards", json=reward, headers=staff_headers(StaffRole.STORE_CLERK)).status_code
        == 403
    )
    assert client.post("/api/loyalty/rewards", json=reward, headers=boss).status_code == 201
    enterprise = reward | {"code": "consulting", "segments": ["government_enterprise"], "stock": None}
    assert client.post("/api/loyalty/rewards", json=enterprise, headers=boss).status_code == 201
    assert client.post("/api/loyalty/rewards", json=reward, headers=boss).status_code == 409
    pricier = client.patch("/api/loyalty/rewards/router", json={"pointsPrice": 600}, headers=boss)
    assert pricier.status_code == 200 and pricier.json()["pointsPrice"] == 600
    restocked = client.post(
        "/api/loyalty/rewards/router/stock", json={"change": 3, "note": "到货 / delivery"}, headers=boss
    )
    assert restocked.json()["stock"] == 5
    reader = staff_headers(StaffRole.ANALYST)
    everything = client.get("/api/loyalty/rewards", headers=reader).json()
    assert {r["code"] for r in everything} == {"router", "consulting"}
    mine = client.get(f"/api/loyalty/rewards?customer={code}", headers=reader).json()
    assert [(r["code"], r["affordable"]) for r in mine] == [("router", False)]
    moves = client.get("/api/loyalty/rewards/router/stock-history", headers=reader).json()
    assert [(m["action"], m["stockAfter"]) for m in moves] == [("initial", 2), ("restock", 5)]


def test_redeem_retry_and_cancel_over_the_api(
    client: TestClient, staff_headers: Headers, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 1000)
    open_reward(clean_engine, admin, "credit10", 300)
    clerk = staff_headers(StaffRole.STORE_CLERK)
    body = {"customerCode": code, "rewardCode": "credit10", "requestKey": "web-7f3a", "channel": "web"}
    assert (
        client.post("/api/loyalty/redemptions", json=body, headers=staff_headers(StaffRole.ANALYST)).status_code == 403
    )
    first = client.post("/api/loyalty/redemptions", json=body, headers=clerk)
    retry = client.post("/api/loyalty/redemptions", json=body, headers=clerk)
    assert (first.status_code, retry.status_code) == (201, 200), first.text
    assert retry.json()["id"] == first.json()["id"] and retry.json()["replayed"] is True
    too_much = client.post(
        "/api/loyalty/redemptions", json=body | {"requestKey": "web-2", "quantity": 3}, headers=clerk
    )
    assert too_much.status_code == 409 and too_much.json()["referenceError"] == "points"
    rid = first.json()["id"]
    assert (
        client.post(
            f"/api/loyalty/redemptions/{rid}/cancel", json={"note": "客户反悔 / changed mind"}, headers=clerk
        ).status_code
        == 200
    )
    assert client.post(f"/api/loyalty/redemptions/{rid}/cancel", json={}, headers=clerk).status_code == 409
    points = client.get(f"/api/loyalty/customers/{code}/points", headers=clerk).json()
    assert points["balance"] == 1000
    mine = client.get(f"/api/loyalty/customers/{code}/redemptions", headers=clerk).json()
    assert [(r["status"], r["channel"], r["points"]) for r in mine] == [("cancelled", "web", 300)]


def test_twenty_parallel_requests_redeem_exactly_what_the_balance_affords(
    client: TestClient, staff_headers: Headers, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    threads, price, points = 20, 150, 1000
    affordable = points // price
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, points)
    open_reward(clean_engine, admin, "credit", price, stock=15)
    clerk = staff_headers(StaffRole.STORE_CLERK)
    start = threading.Barrier(threads)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        with TestClient(client.app) as own:
            body = {"customerCode": code, "rewardCode": "credit", "requestKey": f"par-{n}", "channel": "api"}
            start.wait()
            statuses.append(own.post("/api/loyalty/redemptions", json=body, headers=clerk).status_code)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(statuses) == [201] * affordable + [409] * (threads - affordable)
    with clean_engine.connect() as conn:
        left = ledger.balance_of(conn, customer_code=code)
    assert left == entry_sum(clean_engine) == points - affordable * price >= 0
    stock = client.get("/api/loyalty/rewards", headers=clerk).json()[0]["stock"]
    assert stock == 15 - affordable >= 0
