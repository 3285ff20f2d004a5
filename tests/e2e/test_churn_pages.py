"""An analyst works the month's churn warning list in a real Chromium: opens it from the menu, narrows it to one
branch, and downloads that branch's list as an Excel workbook holding exactly those customers."""

from __future__ import annotations

import dataclasses
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.models.enums import StaffRole
from telcocrm.staff.service import create_staff
from tests.api.test_churn_report_pages import MONTH, warned, write
from tests.conftest import STAFF_PASSWORD
from tests.e2e.conftest import Shop
from tests.e2e.test_web_shell import log_in

pytestmark = pytest.mark.e2e


def test_an_analyst_exports_one_branchs_warning_list_to_excel(
    page: Page, shop: Shop, db: Session, store: AnalyticsStore
) -> None:
    rows = [warned(n) for n in range(1, 31)]
    write(store, MONTH, "warning_list", schemas.WARNING_LIST, rows)
    create_staff(db=db, username="analyst_e2e", role=StaffRole.ANALYST, password=STAFF_PASSWORD)
    db.commit()
    log_in(page, dataclasses.replace(shop, clerk="analyst_e2e"))
    page.get_by_role("link", name="流失预警名单").click()
    expect(page).to_have_url(re.compile(r"/web/churn/warnings$"))
    expect(page.get_by_test_id("warnings-total")).to_have_text("30")

    page.select_option("#city", "宁波")
    page.get_by_role("button", name="筛选").click()
    ningbo = sorted(r["customer_code"] for r in rows if r["city"] == "宁波")
    expect(page.get_by_test_id("warnings-total")).to_have_text(str(len(ningbo)))
    shown = page.locator("tr[data-customer]")
    expect(shown.first).to_have_attribute("data-customer", ningbo[-1])  # riskiest × most valuable first

    with page.expect_download() as download:
        page.get_by_test_id("warnings-xlsx").click()
    path = download.value.path()
    with zipfile.ZipFile(path) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode("utf-8")
        strings = (
            workbook.read("xl/sharedStrings.xml").decode("utf-8")
            if "xl/sharedStrings.xml" in workbook.namelist()
            else ""
        )
    listed = set(re.findall(r"C\d{4}", sheet + strings))
    assert listed == set(ningbo), "the workbook holds exactly the branch's warned customers"
