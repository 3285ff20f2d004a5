"""TMF658 Loyalty over the points ledger through HTTP: programme and rules, members, balances, burn events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.jobs.rules import load_rules
from telcocrm.loyalty import ledger, tmf_rules
from telcocrm.models import Customer
from telcocrm.models.enums import StaffRole
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer
from tests.factories import make_person
from tests.sqlcount import counted_statements, queries

BASE = "/tmf-api/loyalty/v4"
SPEC = Path(__file__).resolve().parents[3] / "shared" / "tmf" / "TMF658-Loyalty-v4.0.0.json"
Headers = Callable[[StaffRole], dict[str, str]]
# Attributes we serve beyond the spec's, per resource (docs/tmf-mapping.md, ## TMF658 Loyalty).
EXTENSIONS = {
    "LoyaltyProgramMember": {"relatedParty", "characteristic", "loyaltyAccount", "loyaltyProgramProduct"},
    "LoyaltyAccount": {"loyaltyProgramMember", "status", "loyaltyBalance"},
    "LoyaltyBalance": {"spendableQuantity", "nextExpiry", "loyaltyAccount"},
    "LoyaltyProgramProduct": {"loyaltyRule"},
    "LoyaltyEvent": {"id", "href"},
    "LoyaltyEventType": {"description"},
}


def post_awards(engine: Engine, month: str, *awards: tuple[str, str, int]) -> None:
    """The monthly run's posting of published awards (customer, rule, points): opens accounts, earns lots."""
    rows = [
        {"month": month, "customer_code": code, "rule": rule, "source": "billing", "points": points}
        | {"published": True, "reason": "测试 / test"}
        for code, rule, points in awards
    ]
    with engine.begin() as conn:
        table = pa.Table.from_pylist(rows, schema=POINTS_AWARDS)
        ledger.post_awards(conn, table, month=month, expiry_years=2, recorded_by="test")


def customers(db: Session, admin: Viewer, *names: str) -> list[Customer]:
    made = [make_person(db, admin, name) for name in names]
    db.commit()
    return made


def balance(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return ledger.balance_of(conn, customer_code=code)


def burn(client: TestClient, headers: dict[str, str], code: str, points: int, key: str) -> Any:
    body = {"eventType": "burn", "memberId": code, "event": {"points": points, "idempotencyKey": key}}
    return client.post(f"{BASE}/loyaltyEvent", json=body, headers=headers)


@pytest.fixture
def no_burn_sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No reward catalogue registered: each test starts with the burn rule's own action only."""
    monkeypatch.setattr(tmf_rules, "_burn_action_sources", [])
    yield


# --- the programme -----------------------------------------------------------------------------------------------


def test_programme_references_every_rule_and_each_resolves(
    client: TestClient, staff_headers: Headers, no_burn_sources: None
) -> None:
    headers = staff_headers(StaffRole.ANALYST)
    rules = load_rules()

    programme = client.get(f"{BASE}/loyaltyProgramProduct/telcocrm-points", headers=headers).json()
    spec = client.get(programme["loyaltyProgramProductSpec"]["href"], headers=headers).json()

    assert spec["productNumber"] == rules.rules_version
    rule_ids = [r["id"] for r in programme["loyaltyRule"]]
    assert {"points.consumption", "points.tenure", "points.credit", "points.expiry", "points.burn"} <= set(rule_ids)
    assert {c.rule for c in rules.loyalty.campaigns} <= set(rule_ids)
    for rule_ref in programme["loyaltyRule"]:
        rule = client.get(rule_ref["href"], headers=headers).json()
        assert rule["loyaltyAction"] and rule["loyaltyCondition"] and rule["loyaltyEventType"], rule
        for linked in rule["loyaltyAction"] + rule["loyaltyCondition"] + rule["loyaltyEventType"]:
            assert client.get(linked["href"], headers=headers).status_code == 200, linked


def test_consumption_actions_carry_the_rates_of_the_rules_file(
    client: TestClient, staff_headers: Headers, no_burn_sources: None
) -> None:
    headers = staff_headers(StaffRole.STORE_CLERK)
    rates = load_rules().loyalty.consumption_points_per_cny

    earn = client.get(f"{BASE}/loyaltyAction", params={"actionType": "earn", "limit": 100}, headers=headers).json()

    served = {
        a["actionAttributes"]["customerGroup"]: a["actionAttributes"]["pointsPerCny"]
        for a in earn
        if a["id"].startswith("points.consumption.")
    }
    assert served == rates


def test_reward_actions_are_appended_to_the_burn_rule(
    client: TestClient, staff_headers: Headers, no_burn_sources: None
) -> None:
    reward = tmf_rules.Action("reward.R001", "burn", "话费券 / bill credit", "500 分 / points", {"points": 500})
    tmf_rules.add_burn_actions(lambda _db: [reward])
    headers = staff_headers(StaffRole.ANALYST)

    rule = client.get(f"{BASE}/loyaltyRule/points.burn", headers=headers).json()
    action = client.get(f"{BASE}/loyaltyAction/reward.R001", headers=headers).json()

    assert [a["id"] for a in rule["loyaltyAction"]] == ["points.burn.spend", "reward.R001"]
    assert (action["actionType"], action["actionAttributes"]) == ("burn", {"points": 500})


def test_the_programme_is_read_only(client: TestClient, staff_headers: Headers) -> None:
    headers = staff_headers(StaffRole.ADMINISTRATOR)

    created = client.post(f"{BASE}/loyaltyRule", json={"commonName": "x"}, headers=headers)
    deleted = client.delete(f"{BASE}/loyaltyRule/points.burn", headers=headers)
    unknown = client.get(f"{BASE}/loyaltyRule/points.nothing", headers=headers)

    assert (created.status_code, deleted.status_code) == (405, 405)
    assert created.json()["@type"] == "Error"
    assert unknown.status_code == 404
    assert unknown.json()["referenceError"] == "id"


# --- members -----------------------------------------------------------------------------------------------------


def test_a_clerk_enrols_a_customer_with_the_opt_in(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    (customer,) = customers(db, admin, "张伟")
    headers = staff_headers(StaffRole.STORE_CLERK)
    body = {
        "relatedParty": [{"id": customer.code, "@referredType": "Customer"}],
        "characteristic": [{"name": "optedIn", "value": True}],
    }

    misnamed = client.post(f"{BASE}/loyaltyProgramMember", json=body | {"name": "王芳"}, headers=headers)
    created = client.post(f"{BASE}/loyaltyProgramMember", json=body, headers=headers)
    again = client.post(f"{BASE}/loyaltyProgramMember", json=body, headers=headers)

    assert (misnamed.status_code, misnamed.json()["referenceError"]) == (400, "name")
    assert created.status_code == 201, created.text
    member = created.json()
    assert created.headers["Location"] == member["href"] == f"{BASE}/loyaltyProgramMember/{customer.code}"
    assert (member["name"], member["status"]) == ("张伟", "active")
    assert member["relatedParty"][0]["href"] == f"/tmf-api/customerManagement/v4/customer/{customer.code}"
    flags = {c["name"]: c["value"] for c in member["characteristic"]}
    assert flags == {"optedIn": True, "pointsSensitive": False}
    assert client.get(member["href"], headers=headers).json() == member
    assert (again.status_code, again.json()["referenceError"]) == (409, "relatedParty.id")
    changes = [r for r in audit.recent(db=db) if r.resource_type == "points_account"]
    assert [(r.action, r.resource_id, r.actor) for r in changes] == [
        ("points_account.open", customer.code, "t_store_clerk")
    ]


def test_enrolling_an_unknown_customer_names_the_field(client: TestClient, staff_headers: Headers) -> None:
    body = {"relatedParty": [{"id": "999999999999"}]}

    reply = client.post(f"{BASE}/loyaltyProgramMember", json=body, headers=staff_headers(StaffRole.STORE_CLERK))

    assert reply.status_code == 400
    assert reply.json()["referenceError"] == "relatedParty.id"
    assert "999999999999" in reply.json()["message"]


def test_flags_by_the_counter_status_only_by_an_administrator(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    (customer,) = customers(db, admin, "王芳")
    post_awards(clean_engine, "2026-03", (customer.code, "points.consumption", 10))
    url = f"{BASE}/loyaltyProgramMember/{customer.code}"
    patch = {"Content-Type": "application/merge-patch+json"}
    clerk = staff_headers(StaffRole.STORE_CLERK) | patch

    sensitive = client.patch(url, json={"characteristic": [{"name": "pointsSensitive", "value": True}]}, headers=clerk)
    closing = client.patch(url, json={"status": "closed"}, headers=clerk)
    by_analyst = client.patch(url, json={"status": "closed"}, headers=staff_headers(StaffRole.ANALYST) | patch)
    unknown = client.patch(url, json={"characteristic": [{"name": "vip", "value": True}]}, headers=clerk)
    closed = client.patch(url, json={"status": "closed"}, headers=staff_headers(StaffRole.ADMINISTRATOR) | patch)

    assert sensitive.status_code == 200
    assert {"name": "pointsSensitive", "value": True, "valueType": "boolean"} in sensitive.json()["characteristic"]
    assert (closing.status_code, closing.json()["referenceError"]) == (403, "status")
    assert by_analyst.status_code == 403
    assert (unknown.status_code, unknown.json()["referenceError"]) == (400, "characteristic.vip")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    refused = burn(client, staff_headers(StaffRole.STORE_CLERK), customer.code, 5, "k-closed")
    assert (refused.status_code, refused.json()["referenceError"]) == (409, "memberId")


def test_members_page_with_headers_and_fields(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    made = customers(db, admin, "张伟", "王芳", "李娜")
    post_awards(clean_engine, "2026-03", *((c.code, "points.consumption", 10) for c in made))
    headers = staff_headers(StaffRole.PHONE_MANAGER)

    first = client.get(f"{BASE}/loyaltyProgramMember", params={"limit": 2, "fields": "status"}, headers=headers)
    rest = client.get(f"{BASE}/loyaltyProgramMember", params={"offset": 2}, headers=headers)

    assert first.status_code == 206
    assert (first.headers["X-Total-Count"], first.headers["X-Result-Count"]) == ("3", "2")
    assert [set(m) for m in first.json()] == [{"id", "href", "@type", "status"}] * 2
    assert [m["id"] for m in first.json() + rest.json()] == [c.code for c in made]
    assert rest.headers["X-Result-Count"] == "1"


# --- balances and events -----------------------------------------------------------------------------------------


def test_balance_holds_spendable_and_next_expiry(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    (customer,) = customers(db, admin, "赵磊")
    code = customer.code
    post_awards(clean_engine, "2023-06", (code, "points.credit", 40))  # expired 2025-12-31, no expiry run yet
    post_awards(clean_engine, "2024-05", (code, "points.consumption", 300))  # expires 2026-12-31
    post_awards(clean_engine, "2026-03", (code, "points.consumption", 500))  # expires 2028-12-31
    headers = staff_headers(StaffRole.STORE_CLERK)
    assert burn(client, headers, code, 100, "order-1").status_code == 201

    found = client.get(f"{BASE}/loyaltyBalance", params={"loyaltyProgramMember.id": code}, headers=headers).json()
    account = client.get(f"{BASE}/loyaltyAccount/{code}", headers=headers).json()

    (held,) = found
    with clean_engine.connect() as conn:
        assert held["quantity"] == {"unit": "points", "value": ledger.balance_of(conn, customer_code=code)}
        assert held["spendableQuantity"]["value"] == ledger.spendable_points(conn, customer_code=code)
    assert held["quantity"]["value"] == 40 + 300 + 500 - 100
    assert held["spendableQuantity"]["value"] == 300 + 500 - 100  # nearest expiry first: the 2024 lot paid
    assert held["nextExpiry"] == {"expiryDate": "2026-12-31", "quantity": {"unit": "points", "value": 200}}
    assert account["loyaltyBalance"][0]["quantity"] == held["quantity"]
    assert account["loyaltyProgramMember"]["href"] == f"{BASE}/loyaltyProgramMember/{code}"


def test_a_burn_posted_twice_with_one_key_spends_once(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    (customer,) = customers(db, admin, "孙丽")
    post_awards(clean_engine, "2026-03", (customer.code, "points.consumption", 500))
    headers = staff_headers(StaffRole.STORE_CLERK)
    before = balance(clean_engine, customer.code)

    first = burn(client, headers, customer.code, 120, "counter-7-0001")
    retry = {"eventType": "burn", "memberId": customer.code, "event": {"points": 120}}  # the key as a header
    second = client.post(f"{BASE}/loyaltyEvent", json=retry, headers=headers | {"Idempotency-Key": "counter-7-0001"})
    other = burn(client, headers, customer.code, 90, "counter-7-0001")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert first.json()["eventType"] == "spend"
    assert first.json()["event"]["points"] == -120
    assert first.json()["event"]["loyaltyRule"]["id"] == "points.burn"
    assert first.headers["Location"] == first.json()["href"]
    assert balance(clean_engine, customer.code) == before - 120
    assert (other.status_code, other.json()["referenceError"]) == (409, "event.idempotencyKey")


def test_a_short_balance_is_a_conflict_and_spends_nothing(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    (customer,) = customers(db, admin, "周杰")
    post_awards(clean_engine, "2026-03", (customer.code, "points.consumption", 50))
    before = balance(clean_engine, customer.code)

    reply = burn(client, staff_headers(StaffRole.ACCOUNT_MANAGER), customer.code, before + 1, "k-short")

    assert reply.status_code == 409
    error = reply.json()
    assert (error["@type"], error["status"], error["referenceError"]) == ("Error", "409", "event.points")
    assert str(before) in error["message"]
    assert balance(clean_engine, customer.code) == before


def test_roles_without_redeem_cannot_burn(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    (customer,) = customers(db, admin, "吴昊")
    post_awards(clean_engine, "2026-03", (customer.code, "points.consumption", 50))
    before = balance(clean_engine, customer.code)

    for role in (StaffRole.ANALYST, StaffRole.PHONE_MANAGER):
        reply = burn(client, staff_headers(role), customer.code, 10, f"k-{role.value}")
        assert (reply.status_code, reply.json()["@type"]) == (403, "Error")
    anonymous = burn(client, {}, customer.code, 10, "k-anon")
    unknown = burn(client, staff_headers(StaffRole.STORE_CLERK), "999999999999", 10, "k-unknown")

    assert anonymous.status_code == 401
    assert (unknown.status_code, unknown.json()["referenceError"]) == (400, "memberId")
    assert balance(clean_engine, customer.code) == before


def test_events_list_the_ledger_by_member_with_paging(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    mine, other = customers(db, admin, "郑爽", "钱多")
    post_awards(clean_engine, "2026-02", (mine.code, "points.consumption", 80), (other.code, "points.credit", 50))
    post_awards(clean_engine, "2026-03", (mine.code, "points.tenure", 30))
    headers = staff_headers(StaffRole.STORE_CLERK)
    burn(client, headers, mine.code, 100, "k-split")  # draws both lots: two spend events

    page = client.get(f"{BASE}/loyaltyEvent", params={"memberId": mine.code, "limit": 3}, headers=headers)
    by_account = {"loyaltyAccount.id": mine.code, "eventType": "burn"}
    spends = client.get(f"{BASE}/loyaltyEvent", params=by_account, headers=headers)
    slim = client.get(f"{BASE}/loyaltyEvent", params={"fields": "eventType"}, headers=headers)
    missing = client.get(f"{BASE}/loyaltyEvent/424242", headers=headers)

    assert page.status_code == 206
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("4", "3")
    earned = page.json()[:2]
    assert [(e["eventType"], e["event"]["points"], e["event"]["loyaltyRule"]["id"]) for e in earned] == [
        ("earn", 80, "points.consumption"),
        ("earn", 30, "points.tenure"),
    ]
    assert {e["memberId"] for e in page.json()} == {mine.code}
    assert sum(e["event"]["points"] for e in spends.json()) == -100
    assert [e["event"]["lot"]["id"] for e in spends.json()] == [e["id"] for e in earned]
    assert all(set(e) == {"id", "href", "@type", "eventType"} for e in slim.json())
    assert slim.headers["X-Total-Count"] == "5"
    assert (missing.status_code, missing.json()["referenceError"]) == (404, "id")
    assert client.delete(f"{BASE}/loyaltyEvent/{earned[0]['id']}", headers=headers).status_code == 405


def test_reads_cost_a_fixed_number_of_statements(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, no_burn_sources: None
) -> None:
    made = customers(db, admin, "甲", "乙", "丙")
    for month in ("2025-01", "2026-01", "2026-02"):
        post_awards(clean_engine, month, *((c.code, "points.consumption", 40) for c in made))
    headers = staff_headers(StaffRole.ANALYST)
    costs = {
        f"{BASE}/loyaltyBalance": 3,  # count, page, every lot of the page
        f"{BASE}/loyaltyAccount/{made[0].code}": 2,
        f"{BASE}/loyaltyProgramMember": 2,
        f"{BASE}/loyaltyEvent?memberId={made[1].code}": 2,
        f"{BASE}/loyaltyRule": 0,
    }
    for url, most in costs.items():
        with counted_statements(clean_engine) as statements:
            assert client.get(url, headers=headers).status_code in (200, 206)
        assert len(queries(statements)) <= most, (url, statements)


# --- conformance with the spec -----------------------------------------------------------------------------------


def _resources(client: TestClient, headers: dict[str, str], code: str) -> dict[str, dict[str, Any]]:
    paths = {
        "LoyaltyProgramProductSpec": "loyaltyProgramProductSpec/telcocrm-points",
        "LoyaltyProgramProduct": "loyaltyProgramProduct/telcocrm-points",
        "LoyaltyProgramMember": f"loyaltyProgramMember/{code}",
        "LoyaltyAccount": f"loyaltyAccount/{code}",
        "LoyaltyBalance": f"loyaltyBalance/{code}",
        "LoyaltyRule": "loyaltyRule/points.consumption",
        "LoyaltyCondition": "loyaltyCondition/points.published",
        "LoyaltyAction": "loyaltyAction/points.burn.spend",
        "LoyaltyEventType": "loyaltyEventType/burn",
    }
    found = {name: client.get(f"{BASE}/{path}", headers=headers).json() for name, path in paths.items()}
    found["LoyaltyEvent"] = client.get(f"{BASE}/loyaltyEvent", headers=headers).json()[0]
    return found


def test_resources_hold_the_attributes_of_the_spec(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine
) -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} not present")
    definitions = json.loads(SPEC.read_text(encoding="utf-8"))["definitions"]
    (customer,) = customers(db, admin, "冯源")
    post_awards(clean_engine, "2026-03", (customer.code, "points.consumption", 10))

    for name, body in _resources(client, staff_headers(StaffRole.ANALYST), customer.code).items():
        known = set(definitions[name]["properties"]) | EXTENSIONS.get(name, set())
        assert body["@type"] == name
        assert set(body) <= known, (name, set(body) - known)
        for value in body.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and "@referredType" in item:
                    assert {"id", "href"} <= set(item), item  # every *Ref requires id and href
                if isinstance(item, dict) and "valueType" in item:
                    assert {"name", "value"} <= set(item), item  # Characteristic requires name and value
