"""The loyalty pages through HTTP (no browser): the 360 points block, the counter's redemption page, the analyst
page — what each role sees, the one-time request key, refusals in the page's language, the monthly figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.db.engine import session_factory
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.money import cny
from telcocrm.loyalty import cards, ledger
from telcocrm.models.enums import CardHolder, CardKind, StaffRole
from telcocrm.staff.rules import RoleGrant, Viewer
from telcocrm.web import loyalty_pages
from telcocrm.web import router as web_router
from tests.conftest import Login
from tests.factories import make_person, wrong_check_digit
from tests.loyalty_factories import add_reward, give_points, person_with_value
from tests.sqlcount import counted_statements, queries

REDEEM = "/web/loyalty/redeem"


def open_reward(engine: Engine, viewer: Viewer, code: str, price: int, **terms: object) -> None:
    """A reward redeemable today and after (the pages redeem on the real date)."""
    add_reward(engine, viewer, code, price=price, valid_from="2020-01-01", valid_to=None, **terms)


def issue_card(engine: Engine, viewer: Viewer, code: str) -> str:
    with session_factory(engine)() as db:
        card = cards.issue_card(
            db=db, viewer=viewer, customer_code=code, kind=CardKind.WODE_EJIA, holder=CardHolder.PERSONAL
        )
        db.commit()
        return card.card_number


def form_key(html: str, reward_code: str) -> str:
    """The one-time request key the server put in the redeem form of one reward."""
    row = re.search(rf'<tr data-reward="{reward_code}">.*?</tr>', html, re.S)
    assert row, f"no offer row for {reward_code}"
    found = re.search(r'name="request_key" value="([^"]+)"', row.group(0))
    assert found
    return found.group(1)


def balance_shown(html: str) -> int:
    found = re.search(r'data-testid="redeem-balance">([\d,]+)<', html)
    assert found, "no balance on the page"
    return int(found.group(1).replace(",", ""))


def redeem_form(code: str, reward: str, key: str, q: str) -> dict[str, str]:
    return {"customer_code": code, "reward_code": reward, "request_key": key, "q": q, "quantity": "1"}


# --- the 360 page's points block ------------------------------------------------------------------------------------


def test_360_shows_balance_next_expiry_entries_and_cards(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, value_tier="high")
    give_points(clean_engine, code, 800)
    number = issue_card(clean_engine, admin, code)
    login(StaffRole.ANALYST)
    page = client.get(f"/web/customers/{code}")
    assert page.status_code == 200
    block = page.text[page.text.index('data-testid="card-points"') :]
    assert re.search(r'data-testid="points-balance">800<', block)
    assert re.search(r'data-testid="points-next-expiry">800<', block) and "2028-12-31 到期" in block
    assert "人工调整" in block and "+800" in block and "测试" in block and "测试 / test" not in block
    assert number in block and "白金卡" in block and "我的e家卡" in block
    assert "points-redeem-link" not in block  # an analyst does not redeem
    english = client.get(f"/web/customers/{code}?lang=en").text
    assert "Staff adjustment" in english and "Platinum" in english and "expire on 2028-12-31" in english


def test_360_offers_the_counter_to_a_clerk(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 100)
    login(StaffRole.STORE_CLERK)
    page = client.get(f"/web/customers/{code}").text
    assert f'href="{REDEEM}?q={code}"' in page
    assert f'href="{REDEEM}"' in page and 'href="/web/loyalty/analysis"' not in page  # the menu of a clerk


def test_360_shows_no_points_block_without_an_account_or_without_the_permission(
    client: TestClient,
    login: Login,
    clean_engine: Engine,
    admin: Viewer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session_factory(clean_engine)() as db:
        plain = make_person(db, admin, "李娜").code
        db.commit()
    rich = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, rich, 300)
    login(StaffRole.STORE_CLERK)
    page = client.get(f"/web/customers/{plain}")
    assert page.status_code == 200 and "card-points" not in page.text
    assert "card-points" in client.get(f"/web/customers/{rich}").text
    customers_only = RoleGrant(frozenset({"customer:read"}), frozenset(), "只读", "read only")
    monkeypatch.setattr(web_router, "viewer_for", lambda name, role: Viewer(name, role, customers_only))
    page = client.get(f"/web/customers/{rich}")
    assert page.status_code == 200 and "card-points" not in page.text and "积分" not in page.text


# --- the counter ------------------------------------------------------------------------------------------------------


def test_the_counter_finds_a_customer_by_card_or_code_and_refuses_a_wrong_check_digit(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, value_tier="high")
    give_points(clean_engine, code, 700)
    number = issue_card(clean_engine, admin, code)
    open_reward(clean_engine, admin, "mug", 300)
    open_reward(clean_engine, admin, "phone", 5000)
    login(StaffRole.STORE_CLERK)
    by_card = client.get(REDEEM, params={"q": f"{number[:4]} {number[4:]}"})
    assert by_card.status_code == 200
    assert code in by_card.text and f'data-testid="member-card">{number}<' in by_card.text
    assert balance_shown(by_card.text) == 700
    assert "积分足够" in by_card.text and "积分不足，还差 4,300 分" in by_card.text
    assert balance_shown(client.get(REDEEM, params={"q": code}).text) == 700
    typo = client.get(REDEEM, params={"q": wrong_check_digit(number)})
    assert typo.status_code == 400
    assert "卡号有误" in typo.text and "校验位" in typo.text and "member-name" not in typo.text
    missing = client.get(REDEEM, params={"q": "000000000000"})
    assert missing.status_code == 404 and "未找到客户" in missing.text


def test_a_double_click_redeems_once_and_the_page_shows_the_new_balance(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 1000)
    open_reward(clean_engine, admin, "credit10", 300)
    login(StaffRole.STORE_CLERK)
    page = client.get(REDEEM, params={"q": code}).text
    key = form_key(page, "credit10")
    assert key != form_key(client.get(REDEEM, params={"q": code}).text, "credit10")  # fresh for every page
    first = client.post(REDEEM, data=redeem_form(code, "credit10", key, code), follow_redirects=False)
    second = client.post(REDEEM, data=redeem_form(code, "credit10", key, code), follow_redirects=False)
    assert (first.status_code, second.status_code) == (303, 303)
    assert "replayed=1" in second.headers["location"] and "replayed=0" in first.headers["location"]
    shown = client.get(first.headers["location"]).text
    assert "兑换成功" in shown and balance_shown(shown) == 700
    with clean_engine.connect() as conn:
        assert ledger.balance_of(conn, customer_code=code) == 700
    assert shown.count('data-redemption="') == 1


def test_short_balance_and_out_of_stock_are_told_in_the_page_in_either_language(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 500)
    open_reward(clean_engine, admin, "tv", 800)
    open_reward(clean_engine, admin, "ticket", 100, stock=1)
    login(StaffRole.STORE_CLERK)
    page = client.get(REDEEM, params={"q": code}).text
    short = client.post(REDEEM, data=redeem_form(code, "tv", form_key(page, "tv"), code))
    assert short.status_code == 409
    assert "积分不足，未兑换" in short.text and "可用积分 500，不足 800" in short.text
    assert "Traceback" not in short.text and balance_shown(short.text) == 500
    late_key = form_key(page, "ticket")
    other_counter = client.get(REDEEM, params={"q": code}).text  # another clerk takes the last ticket first
    assert client.post(REDEEM, data=redeem_form(code, "ticket", form_key(other_counter, "ticket"), code)).is_success
    client.get(REDEEM, params={"lang": "en"})
    gone = client.post(REDEEM, data=redeem_form(code, "ticket", late_key, code))
    assert gone.status_code == 409
    assert "Out of stock" in gone.text and "has 0 left" in gone.text and "库存" not in gone.text
    assert balance_shown(gone.text) == 400


def test_a_clerk_cancels_a_recent_redemption_and_the_points_come_back(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 600)
    open_reward(clean_engine, admin, "mug", 200)
    login(StaffRole.STORE_CLERK)
    key = form_key(client.get(REDEEM, params={"q": code}).text, "mug")
    done = client.post(REDEEM, data=redeem_form(code, "mug", key, code), follow_redirects=False)
    rid = re.search(r"done=(\d+)", done.headers["location"])
    assert rid
    cancel = f"/web/loyalty/redemptions/{rid.group(1)}/cancel"
    first = client.post(cancel, data={"q": code, "note": "客户反悔"}, follow_redirects=False)
    again = client.post(cancel, data={"q": code}, follow_redirects=False)  # a second click is harmless
    assert (first.status_code, again.status_code) == (303, 303)
    shown = client.get(first.headers["location"]).text
    assert "已取消兑换" in shown and "200 积分已退回" in shown and balance_shown(shown) == 600
    assert "已取消" in shown and f'action="{cancel}"' not in shown


def test_only_staff_who_redeem_see_the_counter(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    anonymous = client.get(REDEEM, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/web/login?next=")
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 600)
    open_reward(clean_engine, admin, "mug", 200)
    login(StaffRole.ANALYST)
    page = client.get(REDEEM, params={"q": code})
    assert page.status_code == 403 and "loyalty:redeem" in page.text
    posted = client.post(REDEEM, data=redeem_form(code, "mug", "k-analyst", code))
    assert posted.status_code == 403
    with clean_engine.connect() as conn:
        assert ledger.balance_of(conn, customer_code=code) == 600
    nav = client.get("/web/customers").text
    assert 'href="/web/loyalty/analysis"' in nav and f'href="{REDEEM}"' not in nav


# --- the analyst page -------------------------------------------------------------------------------------------------


def award(code: str, month: str, points: int) -> pa.Table:
    row = {"month": month, "customer_code": code, "rule": "points.consumption", "source": "billing"}
    row |= {"points": points, "published": True, "reason": "消费积分 / consumption points"}
    return pa.Table.from_pylist([row], schema=schemas.POINTS_AWARDS)


def test_the_analyst_page_sums_awards_by_month_earned_and_spending_by_month_recorded(
    client: TestClient,
    login: Login,
    clean_engine: Engine,
    admin: Viewer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    with clean_engine.begin() as conn:  # September's award, posted by the run some time after September
        ledger.post_awards(conn, award(code, "2026-09", 900), month="2026-09", expiry_years=2, recorded_by="run")
    open_reward(clean_engine, admin, "mug", 250)
    login(StaffRole.STORE_CLERK)
    key = form_key(client.get(REDEEM, params={"q": code}).text, "mug")
    # The redemption at 16:30 UTC on 30 September is 00:30 on 1 October in Shanghai: an October entry.
    monkeypatch.setattr(ledger, "utc_now", lambda: datetime(2026, 9, 30, 16, 30, tzinfo=UTC))
    client.post(REDEEM, data=redeem_form(code, "mug", key, code))
    monkeypatch.undo()
    client.post("/web/logout")
    login(StaffRole.ANALYST)
    with counted_statements(clean_engine) as statements:
        page = client.get("/web/loyalty/analysis?months=24")
    assert page.status_code == 200
    assert len(queries(statements)) <= 3
    september = re.search(r'<tr data-month="2026-09">(.*?)</tr>', page.text, re.S)
    october = re.search(r'<tr data-month="2026-10">(.*?)</tr>', page.text, re.S)
    assert september and october
    unit = load_rules().loyalty.reward_unit_cost_fen
    earned = re.findall(r"<td[^>]*>([^<]*)</td>", september.group(1))
    assert earned[1:3] == ["900", "0"] and earned[5] == "900" and earned[6] == cny(900 * unit)
    spent = re.findall(r"<td[^>]*>([^<]*)</td>", october.group(1))
    assert spent[1:3] == ["0", "250"] and spent[5] == "650" and spent[7] == cny(650 * unit)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and 'role="img"' in page.text
    assert 'id="chart-points-title">每月积分发放、兑换与过期</title>' in page.text and "<script" not in page.text
    assert 'class="chart-axis-label">积分</text>' in page.text and 'class="chart-axis-label">元</text>' in page.text
    assert "发放的积分计入其所属的账期月份" in page.text
    english = client.get("/web/loyalty/analysis?lang=en").text
    assert "Points issued, spent and expired per month" in english and "Outstanding liability (CNY)" in english


def test_the_analyst_page_adds_the_liability_by_branch_and_segment_of_the_latest_run(
    client: TestClient, login: Login, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnalyticsStore(tmp_path)
    rows = [
        {"month": "2026-10", "city": "宁波市", "segment": "family", "value_tier": "high", "customers": 3,
         "points": 12_345, "liability_fen": 12_345},
        {"month": "2026-10", "city": "杭州市", "segment": "personal", "value_tier": "mid", "customers": 2,
         "points": 100, "liability_fen": 100},
    ]  # fmt: skip
    for month in ("2026-09", "2026-10"):
        path = store.result_path(month, "points_liability")
        path.parent.mkdir(parents=True)
        pq.write_table(
            pa.Table.from_pylist([r | {"month": month} for r in rows], schema=schemas.POINTS_LIABILITY), path
        )
    monkeypatch.setattr(loyalty_pages.AnalyticsStore, "from_settings", lambda: store)
    login(StaffRole.ADMINISTRATOR)
    page = client.get("/web/loyalty/analysis")
    assert page.status_code == 200 and "analysis-empty" in page.text
    table = page.text[page.text.index('data-testid="segment-liability"') :]
    assert "2026-10 月度批处理" in page.text and "家庭客户" in table and "高价值" in table
    assert cny(12_345) in table and cny(12_445) in table and "12,445" in table
    assert table.index("宁波市") < table.index("杭州市"), "one row per branch and segment, in a stable order"


def test_the_counter_page_reads_the_same_few_statements_however_many_offers(
    client: TestClient, login: Login, clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 900)
    login(StaffRole.STORE_CLERK)
    counts = []
    for batch in range(2):
        for n in range(3):
            open_reward(clean_engine, admin, f"gift{batch}{n}", 100 + n)
            key = form_key(client.get(REDEEM, params={"q": code}).text, f"gift{batch}{n}")
            client.post(REDEEM, data=redeem_form(code, f"gift{batch}{n}", key, code))
        with counted_statements(clean_engine) as statements:
            page = client.get(REDEEM, params={"q": code})
        assert page.text.count("<tr data-reward=") == 3 * (batch + 1)
        counts.append(len(queries(statements)))
    # One statement per kind of thing, none per offer or redemption: the customer, the account with its lots, the
    # segment, the active cards, the catalogue, the recent redemptions with their rewards (14 before).
    assert counts == [6, 6], counts
