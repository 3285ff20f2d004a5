"""The monthly run's results as staff read them: history endpoints, the 360 view and TMF629 creditProfile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcocrm.jobs.writeback import write_back
from telcocrm.models import Customer
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from tests.assessment_factories import RULES, credit_row, lifecycle_row, results, segment_row
from tests.factories import make_account, make_line, make_person

Headers = Callable[[StaffRole], dict[str, str]]
TMF = "/tmf-api/customerManagement/v4/customer"


def customer_with_two_lines(db: Session, admin: Viewer) -> tuple[Customer, list[str]]:
    customer = make_person(db, admin, "陈静")
    account = make_account(db, admin, customer)
    lines = [make_line(db, admin, customer, account).subscriber_code for _ in range(2)]
    db.commit()
    return customer, lines


def run_months(engine: Engine, tmp_path: Path, code: str, lines: list[str]) -> None:
    """September rated B and October rated A; the second line is new in October."""
    september = results(
        tmp_path / "2026-09",
        [credit_row(code, "B")],
        [segment_row(code, "mid")],
        [lifecycle_row(lines[0], "growth")],
        {lines[0]: code},
    )
    october = results(
        tmp_path / "2026-10",
        [credit_row(code, "A", credit_class="I", class_rule="credit.class.high_credit", class_reason="连续A / A")],
        [segment_row(code, "high")],
        [lifecycle_row(lines[0], "stable"), lifecycle_row(lines[1], "identification")],
        {lines[0]: code, lines[1]: code},
    )
    write_back(engine, "2026-09", RULES, september)
    write_back(engine, "2026-10", RULES, october)


def test_credit_history_newest_month_first_with_rule_and_reason(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path
) -> None:
    customer, lines = customer_with_two_lines(db, admin)
    run_months(clean_engine, tmp_path, customer.code, lines)

    reply = client.get(f"/api/customers/{customer.code}/credit-history", headers=staff_headers(StaffRole.ANALYST))

    assert reply.status_code == 200, reply.text
    history = reply.json()
    assert [(h["month"], h["rating"]["value"], h["class"]["value"]) for h in history] == [
        ("2026-10", "A", "I"),
        ("2026-09", "B", "II"),
    ]
    assert history[0]["rating"]["rule"] == "credit.in_network.on_time"
    assert history[0]["class"]["reason"] == "连续A / A"
    assert history[0]["rulesVersion"] == RULES
    assert history[0]["overdraftLimitFen"] == 50_000
    one = client.get(
        f"/api/customers/{customer.code}/credit-history?months=1", headers=staff_headers(StaffRole.ANALYST)
    )
    assert [h["month"] for h in one.json()] == ["2026-10"]


def test_segment_and_lifecycle_history(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path
) -> None:
    customer, lines = customer_with_two_lines(db, admin)
    run_months(clean_engine, tmp_path, customer.code, lines)
    headers = staff_headers(StaffRole.ACCOUNT_MANAGER)

    segments = client.get(f"/api/customers/{customer.code}/segment-history", headers=headers).json()
    stages = client.get(f"/api/customers/{customer.code}/lifecycle-history", headers=headers).json()

    assert [(s["month"], s["valueTier"]["value"]) for s in segments] == [("2026-10", "high"), ("2026-09", "mid")]
    assert segments[0]["bigCustomer"] == {
        "kinds": ["high_value", "strategic"],
        "specialClass": True,
        "reason": "月消费超过3000元；战略客户 / spend above 3,000 CNY; strategic",
    }
    assert segments[0]["starTier"]["value"] == "4"
    assert [(s["month"], s["subscriberId"], s["stage"]["value"]) for s in stages] == [
        ("2026-10", lines[0], "stable"),
        ("2026-10", lines[1], "identification"),
        ("2026-09", lines[0], "growth"),
    ]
    assert stages[0]["stage"]["rule"] == "lifecycle.stable"


def test_history_is_for_analysts_account_managers_and_administrators(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer, _ = customer_with_two_lines(db, admin)
    url = f"/api/customers/{customer.code}/credit-history"

    assert client.get(url).status_code == 401
    assert client.get(url, headers=staff_headers(StaffRole.STORE_CLERK)).status_code == 403
    assert client.get(url, headers=staff_headers(StaffRole.ADMINISTRATOR)).json() == []  # never run yet
    assert (
        client.get("/api/customers/000000009999/credit-history", headers=staff_headers(StaffRole.ANALYST)).status_code
        == 404
    )


def test_360_view_shows_the_current_assessment_and_each_lines_stage(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path
) -> None:
    customer, lines = customer_with_two_lines(db, admin)
    run_months(clean_engine, tmp_path, customer.code, lines)

    body = client.get(f"/api/customers/{customer.code}/view", headers=staff_headers(StaffRole.ANALYST)).json()

    credit, segment = body["assessment"]["credit"], body["assessment"]["segment"]
    assert (credit["month"], credit["rating"]["value"], credit["class"]["value"]) == ("2026-10", "A", "I")
    assert credit["rating"]["reason"] == "近6个月按时缴费 / paid on time for 6 months"
    assert (segment["segment"]["value"], segment["valueTier"]["value"], segment["starTier"]["value"]) == (
        "personal",
        "high",
        "4",
    )
    assert {s["id"]: s["lifecycle"]["stage"]["value"] for s in body["subscribers"]} == {
        lines[0]: "stable",
        lines[1]: "identification",
    }
    clerk = client.get(f"/api/customers/{customer.code}/view", headers=staff_headers(StaffRole.STORE_CLERK)).json()
    assert "assessment" not in clerk and all("lifecycle" not in s for s in clerk["subscribers"])


def test_360_view_before_any_run_has_an_empty_assessment(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer
) -> None:
    customer, _ = customer_with_two_lines(db, admin)

    body = client.get(f"/api/customers/{customer.code}/view", headers=staff_headers(StaffRole.ANALYST)).json()

    assert body["assessment"] == {"credit": None, "segment": None}
    assert [s["lifecycle"] for s in body["subscribers"]] == [None, None]


def test_tmf_customer_credit_profile_carries_the_current_rating(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path
) -> None:
    customer, lines = customer_with_two_lines(db, admin)
    run_months(clean_engine, tmp_path, customer.code, lines)

    body = client.get(f"{TMF}/{customer.code}", headers=staff_headers(StaffRole.ACCOUNT_MANAGER)).json()

    assert len(body["creditProfile"]) == 1
    profile = body["creditProfile"][0]
    assert profile["creditRiskRating"] == 1  # A: the lowest risk
    assert profile["validFor"] == {
        "startDateTime": "2026-11-01T00:00:00+08:00",
        "endDateTime": "2026-12-01T00:00:00+08:00",
    }
    assert profile["creditProfileDate"].endswith("+08:00")
    values = {c["name"]: c["value"] for c in body["characteristic"]}
    assert (values["creditRating"], values["creditClass"], values["creditRatingMonth"]) == ("A", "I", "2026-10")
    listed = client.get(f"{TMF}?fields=creditProfile", headers=staff_headers(StaffRole.ANALYST)).json()
    assert [c["creditProfile"][0]["creditRiskRating"] for c in listed] == [1]


def test_tmf_credit_profile_is_empty_before_a_run_and_hidden_without_permission(
    client: TestClient, staff_headers: Headers, db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path
) -> None:
    customer, lines = customer_with_two_lines(db, admin)
    before = client.get(f"{TMF}/{customer.code}", headers=staff_headers(StaffRole.ANALYST)).json()
    run_months(clean_engine, tmp_path, customer.code, lines)
    clerk = client.get(f"{TMF}/{customer.code}", headers=staff_headers(StaffRole.STORE_CLERK)).json()

    assert "creditProfile" not in before
    assert "creditProfile" not in clerk
    assert "creditRating" not in {c["name"] for c in clerk["characteristic"]}
