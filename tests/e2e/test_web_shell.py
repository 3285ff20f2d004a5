"""A store clerk's walk through the workbench in a real Chromium: log in, search, the 360 view, English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from telcocrm.staff.rules import mask_certificate
from tests.e2e.conftest import Shop
from tests.factories import resident_id, wrong_check_digit

pytestmark = pytest.mark.e2e


def log_in(page: Page, shop: Shop, password: str | None = None) -> None:
    """Open the workbench and submit the login form."""
    page.goto(shop.base_url + "/")
    expect(page).to_have_url(re.compile(r"/web/login$"))
    page.fill("#username", shop.clerk)
    page.fill("#password", password or shop.password)
    page.click("form.form-stack button[type=submit]")


def test_store_clerk_finds_a_customer_and_reads_the_360_view(page: Page, shop: Shop, tmp_path: Path) -> None:
    log_in(page, shop)
    expect(page).to_have_url(re.compile(r"/web/customers$"))
    expect(page.get_by_test_id("current-user")).to_have_text(shop.clerk)
    expect(page.get_by_test_id("current-role")).to_have_text("营业员")

    page.fill("#q", "张")
    page.press("#q", "Enter")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(shop.customer_code)
    results.get_by_role("link", name=shop.customer_name).click()

    expect(page).to_have_url(re.compile(rf"/web/customers/{shop.customer_code}$"))
    expect(page.get_by_test_id("customer-name")).to_have_text(shop.customer_name)
    masked = mask_certificate(shop.certificate)
    expect(page.locator(".cert-number")).to_have_text(masked)
    assert shop.certificate not in page.content()
    rows = page.get_by_test_id("subscribers").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("手机")
    expect(rows.first).to_contain_text("139****5678")
    page.screenshot(path=str(tmp_path / "customer-360-zh.png"), full_page=True)

    page.get_by_test_id("lang-switch").click()
    expect(page).to_have_url(re.compile(r"\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2", has_text="Subscribers")).to_be_visible()
    expect(rows.first).to_contain_text("Mobile")
    expect(page.get_by_test_id("current-role")).to_have_text("Store clerk")
    expect(page.locator("nav.sidebar")).to_contain_text("Customer search")
    page.screenshot(path=str(tmp_path / "customer-360-en.png"), full_page=True)
    assert (tmp_path / "customer-360-zh.png").stat().st_size > 10_000


def test_wrong_password_and_wrong_check_digit_are_explained(page: Page, shop: Shop) -> None:
    log_in(page, shop, password="not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("工号或密码错误")
    page.fill("#password", shop.password)
    page.click("form.form-stack button[type=submit]")
    expect(page).to_have_url(re.compile(r"/web/customers$"))

    page.fill("#q", wrong_check_digit(resident_id(7)))
    page.press("#q", "Enter")
    expect(page.get_by_test_id("search-refusal")).to_contain_text("校验位错误")
