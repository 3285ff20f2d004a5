"""The churn pages through HTTP (no browser): the counter's save page (DS002) and the win-back list (DS003) — what
each role sees, the cap and offers, a refusal in the page's language, filters and the CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import records_repository as repository
from telcocrm.churn.cost_cap import load_retention_rules
from telcocrm.db.engine import session_factory
from telcocrm.kit.money import cny
from telcocrm.models import SaveAttempt
from telcocrm.models.enums import (
    ChurnControllability,
    ChurnDestination,
    ChurnReason,
    ChurnRecordSource,
    ChurnSignal,
    ChurnUrgency,
    SaveOutcome,
    StaffRole,
)
from telcocrm.staff.rules import Viewer, mask_phone
from telcocrm.web.i18n import LANGUAGES, messages
from tests.churn_factories import MONTH, Line, line_with_value, write_caps
from tests.conftest import Login

SAVE, WIN_BACK = "/web/churn/save", "/web/churn/win-back"
CAP = 15_000


@pytest.fixture
def leaving(clean_engine: Engine, admin: Viewer, tmp_path: Path, store: AnalyticsStore) -> Line:
    line = line_with_value(clean_engine, admin, tmp_path, value_tier="high", stage="warning", name="李娜")
    write_caps(store, MONTH, {line.customer_code: CAP})
    return line


def test_the_clerk_finds_the_line_sees_the_cap_and_records_a_refusal(
    client: TestClient, login: Login, leaving: Line, clean_engine: Engine
) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get(SAVE, params={"q": leaving.service_number, "reason": "price"})
    assert page.status_code == 200
    html = page.text
    assert "离网点挽留" in html and "李娜" in html
    # the number the clerk typed stays in the search box; the line's number shown is masked
    assert f'data-testid="churn-number">{mask_phone(leaving.service_number)}<' in html
    assert cny(CAP) in html and "高价值" in html and "预警" in html
    dearer = next(m for m in load_retention_rules().measures if m.offered and m.cost_fen > CAP)
    assert f'data-measure="{dearer.code}"' not in html  # above the cap: never offered
    form = {"subscriber_code": leaving.subscriber_code, "q": leaving.service_number, "reason": "price",
            "outcome": "refused", "note": "去竞争对手"}  # fmt: skip
    refused = client.post(SAVE, data=form | {"measure_code": dearer.code})
    assert refused.status_code == 400 and "超过该客户挽留成本上限" in refused.text
    done = client.post(SAVE, data=form, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert 'data-testid="churn-done"' in after.text and "客户拒绝" in after.text
    with session_factory(clean_engine)() as db:
        assert db.execute(select(SaveAttempt.staff)).scalars().all() == ["web_store_clerk"]  # the login fixture's clerk


def test_the_save_page_speaks_english_and_names_an_unknown_number(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    missing = client.get(SAVE, params={"q": "13900000000", "lang": "en"})
    assert missing.status_code == 404
    assert "Save at the leaving point" in missing.text and "no line with service number 13900000000" in missing.text


def test_roles_without_the_permission_are_refused_and_the_menu_follows(client: TestClient, login: Login) -> None:
    login(StaffRole.ANALYST)
    assert client.get(SAVE).status_code == 403
    home = client.get(WIN_BACK)
    assert home.status_code == 200
    assert 'href="/web/churn/win-back"' in home.text and 'href="/web/churn/save"' not in home.text


def test_the_win_back_list_filters_and_exports_csv(
    client: TestClient, login: Login, leaving: Line, clean_engine: Engine
) -> None:
    with session_factory(clean_engine)() as db:
        repository.insert_records(db, [
            {"subscriber_code": code, "customer_code": customer, "month_left": MONTH, "product": "mobile",
             "value_tier": tier, "arpu_fen": arpu, "reason": "billing", "controllability": "internal_easy",
             "destination": "competitor", "source": ChurnRecordSource.MONTHLY_RUN, "recorded_by": "monthly-run"}
            for code, customer, tier, arpu in ((leaving.subscriber_code, leaving.customer_code, "high", 8_000),
                                               ("S2", "C2", "mid", 4_000))
        ])  # fmt: skip
        db.commit()
    login(StaffRole.PHONE_MANAGER)
    page = client.get(WIN_BACK, params={"month": MONTH})
    assert page.status_code == 200
    assert 'data-testid="winback-total">2<' in page.text and leaving.service_number in page.text
    only_mid = client.get(WIN_BACK, params={"month": MONTH, "value_tier": "mid"})
    assert 'data-subscriber="S2"' in only_mid.text and leaving.subscriber_code not in only_mid.text
    export = client.get(WIN_BACK, params={"month": MONTH, "format": "csv"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert [r["subscriber_code"] for r in rows] == [leaving.subscriber_code, "S2"]  # most valuable first
    assert rows[0]["customer_name"] == "李娜" and rows[0]["arpu_cny"] == cny(8_000)
    won = client.post(f"{WIN_BACK}/attempts", data={"subscriber_code": leaving.subscriber_code, "outcome": "saved",
                                                    "back": f"month={MONTH}"}, follow_redirects=False)  # fmt: skip
    assert won.status_code == 303
    assert leaving.subscriber_code not in client.get(won.headers["location"]).text  # won back: off the list


def test_every_churn_code_has_a_label_in_both_languages() -> None:
    for lang in LANGUAGES:
        for group, enum in (("churn_reason", ChurnReason), ("churn_controllability", ChurnControllability),
                            ("churn_urgency", ChurnUrgency), ("churn_destination", ChurnDestination),
                            ("save_outcome", SaveOutcome)):  # fmt: skip
            for member in enum:
                assert messages(lang).get(f"enum.{group}.{member.value}"), (lang, group, member)
        for signal in ChurnSignal:
            assert messages(lang).get(f"churn.signal.{signal.value}"), (lang, signal)
