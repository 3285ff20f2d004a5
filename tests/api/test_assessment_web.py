"""The 360 page shows what the monthly run decided, each value with its rule and reason, in Chinese or English."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcocrm.jobs.writeback import write_back
from telcocrm.models.enums import StaffRole
from telcocrm.staff.rules import Viewer
from telcocrm.web.router import in_language
from tests.assessment_factories import RULES, credit_row, lifecycle_row, results, segment_row
from tests.conftest import Login
from tests.factories import make_account, make_line, make_person


@pytest.fixture
def assessed(db: Session, admin: Viewer, clean_engine: Engine, tmp_path: Path) -> tuple[str, str]:
    """A customer rated A (class I), high value, four stars, a big customer of two kinds, one stable line."""
    customer = make_person(db, admin, "赵敏")
    line = make_line(db, admin, customer, make_account(db, admin, customer)).subscriber_code
    db.commit()
    october = results(
        tmp_path / "2026-10",
        [credit_row(customer.code, "A", credit_class="I")],
        [segment_row(customer.code, "high")],
        [lifecycle_row(line, "stable")],
        {line: customer.code},
    )
    write_back(clean_engine, "2026-10", RULES, october)
    return customer.code, line


def test_360_page_shows_rating_segment_tiers_and_stage_with_reasons(
    client: TestClient, login: Login, assessed: tuple[str, str]
) -> None:
    code, _ = assessed
    login(StaffRole.ANALYST)

    page = client.get(f"/web/customers/{code}").text

    assert 'data-testid="card-assessment"' in page
    for label in ("A（良好）", "Ⅰ类", "个人客户", "高价值", "四星", "高价值客户、战略客户", "特级大客户", "稳定期"):
        assert label in page, label
    assert "近6个月按时缴费" in page and "paid on time for 6 months" not in page
    assert "credit.in_network.on_time" in page and "lifecycle.stable" in page
    assert RULES in page


def test_360_page_in_english_shows_the_english_reasons(
    client: TestClient, login: Login, assessed: tuple[str, str]
) -> None:
    code, _ = assessed
    login(StaffRole.ACCOUNT_MANAGER)

    page = client.get(f"/web/customers/{code}?lang=en").text

    for label in ("A (good)", "High value", "Four stars", "Strategic", "Stable", "paid on time for 6 months"):
        assert label in page, label
    assert "近6个月按时缴费" not in page


def test_360_page_without_the_permission_has_no_assessment(
    client: TestClient, login: Login, assessed: tuple[str, str]
) -> None:
    code, _ = assessed
    login(StaffRole.STORE_CLERK)

    page = client.get(f"/web/customers/{code}").text

    assert "card-assessment" not in page and "稳定期" not in page


def test_reason_in_one_language() -> None:
    assert in_language("逾期30天 / 30 days late", "zh") == "逾期30天"
    assert in_language("逾期30天 / 30 days late", "en") == "30 days late"
    assert in_language("只有中文", "en") == "只有中文"
    assert in_language(None, "zh") == ""
