"""The churn database API (/api/churn/…): the counter's offers within the cap, save attempts, survey answers, the
churn records list and the win-back list — what each role may do and see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import records_repository as repository
from telcocrm.churn.cost_cap import load_retention_rules
from telcocrm.churn.records_rules import load_records_rules
from telcocrm.db.engine import session_factory
from telcocrm.models import AuditRecord
from telcocrm.models.enums import ChurnReason, ChurnRecordSource, StaffRole
from telcocrm.staff.rules import Viewer, mask_phone
from tests.churn_factories import MONTH, Line, line_with_value, write_caps

Headers = Callable[[StaffRole], dict[str, str]]
CAP = 15_000


@pytest.fixture
def leaving(clean_engine: Engine, admin: Viewer, tmp_path: Path, store: AnalyticsStore) -> Line:
    """A high-value line in the warning stage whose customer's cap the run published."""
    line = line_with_value(clean_engine, admin, tmp_path, value_tier="high", stage="warning")
    write_caps(store, MONTH, {line.customer_code: CAP})
    return line


def test_the_counter_sees_the_masked_line_the_cap_and_offers_within_it(
    client: TestClient, staff_headers: Headers, leaving: Line
) -> None:
    clerk = staff_headers(StaffRole.STORE_CLERK)
    reply = client.get("/api/churn/save-offers", params={"service_number": leaving.service_number, "reason": "price"},
                       headers=clerk)  # fmt: skip
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["serviceNumber"] == mask_phone(leaving.service_number)  # a clerk's screen stays masked
    assert (body["valueTier"], body["lifecycleStage"], body["capFen"], body["capComputed"]) == (
        "high", "warning", CAP, False)  # fmt: skip
    assert body["offers"] and all(offer["costFen"] <= CAP for offer in body["offers"])
    assert set(body["signals"]) == set(load_records_rules().reasons[ChurnReason.PRICE].signals)
    unknown = client.get("/api/churn/save-offers", params={"service_number": "13900000000"}, headers=clerk)
    assert unknown.status_code == 404 and unknown.json()["referenceError"] == "service_number"
    analyst = client.get("/api/churn/save-offers", params={"service_number": leaving.service_number},
                         headers=staff_headers(StaffRole.ANALYST))  # fmt: skip
    assert analyst.status_code == 403


def test_an_offer_above_the_cap_is_refused_and_a_refusal_records_the_reason(
    client: TestClient, staff_headers: Headers, leaving: Line, clean_engine: Engine
) -> None:
    clerk = staff_headers(StaffRole.STORE_CLERK)
    dearer = next(m for m in load_retention_rules().measures if m.offered and m.cost_fen > CAP)
    attempt = {"serviceNumber": leaving.service_number, "reason": "price", "outcome": "refused"}
    above = client.post("/api/churn/save-attempts", json=attempt | {"measureCode": dearer.code}, headers=clerk)
    assert above.status_code == 400 and above.json()["referenceError"] == "measure_code"
    bad = client.post("/api/churn/save-attempts", json=attempt | {"outcome": "maybe"}, headers=clerk)
    assert bad.status_code == 422
    made = client.post("/api/churn/save-attempts", json=attempt | {"note": "竞争对手送手机"}, headers=clerk)
    assert made.status_code == 201, made.text
    assert (made.json()["flow"], made.json()["capFen"], made.json()["staff"]) == ("DS002", CAP, "t_store_clerk")
    analyst = staff_headers(StaffRole.ANALYST)
    listed = client.get("/api/churn/records", params={"reason": "price"}, headers=analyst)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    record = listed.json()[0]
    assert (record["subscriberCode"], record["source"], record["controllability"]) == (
        leaving.subscriber_code, "counter", load_records_rules().reasons[ChurnReason.PRICE].controllability.value,
    )  # fmt: skip
    assert client.get("/api/churn/records", params={"reason": "billing"}, headers=analyst).json() == []
    assert client.post("/api/churn/save-attempts", json=attempt, headers=analyst).status_code == 403
    assert client.get("/api/churn/records", headers=clerk).status_code == 403  # the clerk has no churn:read


def test_survey_answers_change_a_record_with_history(
    client: TestClient, staff_headers: Headers, clean_engine: Engine
) -> None:
    with session_factory(clean_engine)() as db:
        repository.insert_records(
            db,
            [
                {
                    "subscriber_code": "S1",
                    "customer_code": "C1",
                    "month_left": MONTH,
                    "source": ChurnRecordSource.MONTHLY_RUN,
                    "recorded_by": "monthly-run",
                }
            ],
        )
        db.commit()  # fmt: skip
    phone = staff_headers(StaffRole.PHONE_MANAGER)
    record_id = client.get("/api/churn/records", params={"month": MONTH}, headers=phone).json()[0]["id"]
    answers = {"reason": "network_quality", "destination": "competitor", "competitor": "某运营商"}
    changed = client.patch(f"/api/churn/records/{record_id}", json=answers, headers=phone)
    assert changed.status_code == 200, changed.text
    defaults = load_records_rules().reasons[ChurnReason.NETWORK_QUALITY]
    assert (changed.json()["controllability"], changed.json()["urgency"]) == (
        defaults.controllability.value, defaults.urgency.value)  # fmt: skip
    assert changed.json()["updatedBy"] == "t_phone_manager"
    history = client.get(f"/api/churn/records/{record_id}/history", headers=phone).json()
    assert history[0]["after"]["destination"] == "competitor" and history[0]["actor"] == "t_phone_manager"
    assert client.patch(f"/api/churn/records/{record_id}", json={"reason": "weather"}, headers=phone).status_code == 422
    assert client.patch("/api/churn/records/999999", json=answers, headers=phone).status_code == 404
    assert client.patch(f"/api/churn/records/{record_id}", json=answers,
                        headers=staff_headers(StaffRole.ANALYST)).status_code == 403  # fmt: skip


def test_the_win_back_list_shows_numbers_as_the_role_may_and_audits_unmasked_views(
    client: TestClient, staff_headers: Headers, leaving: Line, clean_engine: Engine
) -> None:
    with session_factory(clean_engine)() as db:
        repository.insert_records(
            db,
            [
                {
                    "subscriber_code": leaving.subscriber_code,
                    "customer_code": leaving.customer_code,
                    "month_left": MONTH,
                    "product": "mobile",
                    "value_tier": "high",
                    "arpu_fen": 8_000,
                    "reason": "billing",
                    "controllability": "internal_easy",
                    "destination": "competitor",
                    "source": ChurnRecordSource.MONTHLY_RUN,
                    "recorded_by": "monthly-run",
                }
            ],
        )
        db.commit()  # fmt: skip
    analyst = client.get("/api/churn/win-back", params={"month": MONTH}, headers=staff_headers(StaffRole.ANALYST))
    assert analyst.status_code == 200 and analyst.headers["X-Total-Count"] == "1"
    assert analyst.json()[0]["serviceNumber"] == mask_phone(leaving.service_number)
    phone = client.get("/api/churn/win-back", params={"month": MONTH}, headers=staff_headers(StaffRole.PHONE_MANAGER))
    assert phone.json()[0]["serviceNumber"] == leaving.service_number  # they call the customer
    with session_factory(clean_engine)() as db:
        seen = db.execute(select(AuditRecord.actor).where(AuditRecord.action == "view_unmasked")).scalars().all()
    assert seen == ["t_phone_manager"]
    later = client.get("/api/churn/win-back", params={"month": "2027-03"}, headers=staff_headers(StaffRole.ANALYST))
    assert later.json() == []  # left more than three months before
