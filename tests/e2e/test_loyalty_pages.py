"""A store clerk redeems points in a real Chromium: find the customer by card, see balance and offers, redeem
(a double click redeems once), see the balance drop, cancel, and a mistyped card number refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from telcocrm.db.engine import session_factory
from telcocrm.loyalty import cards, ledger
from telcocrm.models.enums import CardHolder, CardKind
from telcocrm.staff.rules import Viewer
from tests.e2e.conftest import Shop
from tests.e2e.test_web_shell import log_in
from tests.factories import wrong_check_digit
from tests.loyalty_factories import add_reward, give_points, publish_values, value_row

pytestmark = pytest.mark.e2e


def member_card(engine: Engine, viewer: Viewer, shop: Shop, folder: Path) -> str:
    """Give the shop's customer a published high value and a 我的e家 card; returns the card number."""
    publish_values(engine, folder, "2026-10", [value_row(shop.customer_code, value_tier="high")])
    with session_factory(engine)() as db:
        card = cards.issue_card(
            db=db, viewer=viewer, customer_code=shop.customer_code, kind=CardKind.WODE_EJIA, holder=CardHolder.PERSONAL
        )
        db.commit()
        return card.card_number


def test_a_store_clerk_redeems_a_reward_by_card_and_cancels_it(
    page: Page, shop: Shop, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    number = member_card(clean_engine, admin, shop, tmp_path)
    give_points(clean_engine, shop.customer_code, 1000)
    add_reward(clean_engine, admin, "mug", price=300, name="保温杯", valid_from="2020-01-01", valid_to=None)
    add_reward(clean_engine, admin, "phone", price=5000, name="手机", valid_from="2020-01-01", valid_to=None)
    log_in(page, shop)
    page.get_by_role("link", name="积分兑换").click()
    expect(page).to_have_url(re.compile(r"/web/loyalty/redeem$"))

    page.fill("#q", wrong_check_digit(number))
    page.press("#q", "Enter")
    expect(page.get_by_test_id("redeem-error")).to_contain_text("校验位")
    expect(page.get_by_test_id("member-name")).to_have_count(0)

    page.fill("#q", number)
    page.press("#q", "Enter")
    expect(page.get_by_test_id("member-name")).to_have_text(shop.customer_name)
    expect(page.get_by_test_id("redeem-balance")).to_have_text("1,000")
    offers = page.get_by_test_id("offers")
    expect(offers.locator('tr[data-reward="phone"]')).to_contain_text("积分不足，还差 4,000 分")
    expect(offers.locator('tr[data-reward="phone"] button')).to_be_disabled()

    offers.locator('tr[data-reward="mug"] button').dblclick()  # an impatient double click
    expect(page.get_by_test_id("redeem-outcome")).to_contain_text("兑换成功：保温杯 × 1，使用 300 积分")
    expect(page.get_by_test_id("redeem-balance")).to_have_text("700")
    rows = page.get_by_test_id("redemptions").locator("tbody tr[data-redemption]")
    expect(rows).to_have_count(1)
    with clean_engine.connect() as conn:
        assert ledger.balance_of(conn, customer_code=shop.customer_code) == 700
    page.screenshot(path=str(tmp_path / "redeem-zh.png"), full_page=True)

    rows.first.get_by_role("button", name="取消兑换").click()
    expect(page.get_by_test_id("redeem-outcome")).to_contain_text("300 积分已退回")
    expect(page.get_by_test_id("redeem-balance")).to_have_text("1,000")
    expect(rows.first).to_contain_text("已取消")

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("h1")).to_have_text("Points redemption")
    expect(offers.locator('tr[data-reward="phone"]')).to_contain_text("Not enough points: 4,000 short")

    page.goto(f"{shop.base_url}/web/customers/{shop.customer_code}?lang=zh")
    points = page.get_by_test_id("card-points")
    expect(points.get_by_test_id("points-balance")).to_have_text("1,000")
    expect(points.get_by_test_id("member-cards")).to_contain_text(number)
    expect(points.get_by_test_id("points-entries").locator("tbody tr")).to_have_count(3)  # grant, spend, reversal
