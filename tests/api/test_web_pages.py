"""The staff web workbench through HTTP (no browser): login, search, the 360 page, language, access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from telcocrm.customers import merging, repository
from telcocrm.db.engine import session_factory
from telcocrm.models import StaffUser
from telcocrm.models.enums import (
    AccountStatus,
    AccountType,
    CertificateType,
    CustomerKind,
    CustomerStatus,
    HistoryAction,
    OwnershipType,
    PaymentMethod,
    Product,
    RelationType,
    StaffRole,
    SubscriberStatus,
)
from telcocrm.staff import audit
from telcocrm.staff.rules import RoleGrant, Viewer, mask_certificate
from telcocrm.staff.service import create_staff
from telcocrm.web import router as web_router
from telcocrm.web.i18n import LANGUAGES, messages
from tests.conftest import STAFF_PASSWORD
from tests.factories import make_account, make_line, make_person, resident_id, wrong_check_digit

Login = Callable[[StaffRole], str]


@dataclass
class Holder:
    """A person customer with one account and one mobile line."""

    code: str
    name: str
    certificate: str
    service_number: str


@pytest.fixture
def zhang(db: Session, admin: Viewer) -> Holder:
    """张伟, with a resident ID, an individual cash account and a mobile line."""
    customer = make_person(db, admin, "张伟")
    account = make_account(db, admin, customer)
    line = make_line(db, admin, customer, account, number="13912345678")
    db.commit()
    cert = repository.active_certificates(db, customer.id)[0].cert_number
    return Holder(customer.code, customer.name, cert, line.service_number)


@pytest.fixture
def login(clean_engine: Engine, client: TestClient) -> Login:
    """Make a staff user of a role and log the client in through the web form; returns the username."""

    def log_in(role: StaffRole) -> str:
        username = f"w_{role.value}"
        with session_factory(clean_engine)() as session:
            create_staff(db=session, username=username, role=role, password=STAFF_PASSWORD)
            session.commit()
        reply = client.post("/web/login", data={"username": username, "password": STAFF_PASSWORD})
        assert reply.status_code == 200, reply.text
        return username

    return log_in


def _staff(db: Session, username: str) -> StaffUser:
    db.expire_all()
    return db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()


# --- login -----------------------------------------------------------------------------------------------------


def test_login_failure_shows_the_message_and_the_failure_counts(client: TestClient, db: Session) -> None:
    create_staff(db=db, username="clerk1", role=StaffRole.STORE_CLERK, password=STAFF_PASSWORD)
    db.commit()
    reply = client.post("/web/login", data={"username": "clerk1", "password": "wrong-password"})
    assert reply.status_code == 401
    assert "工号或密码错误" in reply.text
    assert 'value="clerk1"' in reply.text  # the username stays in the form
    assert _staff(db, "clerk1").failed_login_count == 1


def test_five_failures_lock_the_login(client: TestClient, db: Session) -> None:
    create_staff(db=db, username="clerk2", role=StaffRole.STORE_CLERK, password=STAFF_PASSWORD)
    db.commit()
    for _ in range(5):
        client.post("/web/login", data={"username": "clerk2", "password": "wrong-password"})
    reply = client.post("/web/login", data={"username": "clerk2", "password": STAFF_PASSWORD})
    assert reply.status_code == 423
    assert "锁定" in reply.text


def test_login_failure_message_in_english(client: TestClient) -> None:
    client.get("/web/login?lang=en")
    reply = client.post("/web/login", data={"username": "nobody", "password": "x"})
    assert reply.status_code == 401
    assert "Wrong staff ID or password" in reply.text
    assert "工号或密码错误" not in reply.text


def test_login_success_redirects_and_keeps_the_staff_member_in_the_session(client: TestClient, db: Session) -> None:
    create_staff(db=db, username="clerk3", role=StaffRole.STORE_CLERK, password=STAFF_PASSWORD)
    db.commit()
    reply = client.post("/web/login", data={"username": "clerk3", "password": STAFF_PASSWORD}, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/web/customers"
    assert "telcocrm_session" in reply.cookies
    page = client.get("/web/customers")
    assert page.status_code == 200
    assert "clerk3" in page.text and "营业员" in page.text
    # the API's session-cookie viewer sees the same staff member
    assert client.get("/api/customers", params={"q": "张"}).status_code == 200


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client: TestClient, db: Session) -> None:
    create_staff(db=db, username="clerk4", role=StaffRole.STORE_CLERK, password=STAFF_PASSWORD)
    db.commit()
    form = {"username": "clerk4", "password": STAFF_PASSWORD}
    reply = client.post("/web/login", data=form | {"next": "//evil.example/x"}, follow_redirects=False)
    assert reply.headers["location"] == "/web/customers"
    reply = client.post("/web/login", data=form | {"next": "/web/customers?q=abc"}, follow_redirects=False)
    assert reply.headers["location"] == "/web/customers?q=abc"


def test_logout_clears_the_session(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    assert client.post("/web/logout", follow_redirects=False).headers["location"] == "/web/login"
    assert client.get("/web/customers", follow_redirects=False).status_code == 303


def test_unauthenticated_requests_go_to_the_login_form(client: TestClient, clean_engine: Engine) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/web/login"
    reply = client.get("/web/customers/000000000013", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/web/login?next=%2Fweb%2Fcustomers%2F000000000013"
    page = client.get("/web/customers?q=x")
    assert page.status_code == 200 and 'name="password"' in page.text


def test_root_goes_to_the_workbench_when_logged_in(client: TestClient, login: Login) -> None:
    login(StaffRole.ANALYST)
    assert client.get("/", follow_redirects=False).headers["location"] == "/web/customers"


# --- search ----------------------------------------------------------------------------------------------------


def test_search_by_name_prefix_lists_the_customer(client: TestClient, login: Login, zhang: Holder) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get("/web/customers", params={"q": "张"})
    assert page.status_code == 200
    assert f'href="/web/customers/{zhang.code}"' in page.text
    for text in (zhang.name, "个人", "在用", "按客户名称前缀匹配"):
        assert text in page.text


def test_search_by_certificate_number_finds_the_customer(client: TestClient, login: Login, zhang: Holder) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get("/web/customers", params={"q": zhang.certificate})
    assert f'href="/web/customers/{zhang.code}"' in page.text
    assert "按证件号码或服务号码匹配" in page.text


def test_search_with_no_match_says_so(client: TestClient, login: Login, zhang: Holder) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get("/web/customers", params={"q": "李"})
    assert "未找到" in page.text and zhang.code not in page.text


def test_a_wrong_check_digit_is_refused_before_any_lookup(
    client: TestClient, login: Login, zhang: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(StaffRole.STORE_CLERK)

    def no_lookup(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("searched despite a wrong check digit")

    monkeypatch.setattr(repository, "search", no_lookup)
    page = client.get("/web/customers", params={"q": wrong_check_digit(resident_id(7))})
    assert page.status_code == 200
    assert "居民身份证号码校验位错误" in page.text


def test_an_all_digit_social_credit_code_is_looked_up_not_refused(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get("/web/customers", params={"q": "911101051234567883"})  # both check characters hold
    assert "search-refusal" not in page.text
    assert "未找到" in page.text


def test_an_impossible_birth_date_is_refused(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    body = "11010519851345001"  # month 13, with a right check digit
    page = client.get("/web/customers", params={"q": body + ric.calc_check_digit(body + "0")})
    assert "出生日期或地区码无效" in page.text


# --- the 360 page ----------------------------------------------------------------------------------------------


def test_360_masks_the_certificate_for_a_store_clerk(
    client: TestClient, login: Login, zhang: Holder, db: Session
) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get(f"/web/customers/{zhang.code}")
    assert page.status_code == 200
    masked = mask_certificate(zhang.certificate)
    assert masked.startswith("110105********")
    assert masked in page.text
    assert zhang.certificate not in page.text
    assert "139****5678" in page.text and zhang.service_number not in page.text
    for label in ("基本信息", "扩展信息", "外围信息", "用户（产品实例）", "账户", "客户关系", "客户历史"):
        assert label in page.text
    for value in ("手机", "个人账户", "现金", "居民身份证", "建档"):
        assert value in page.text
    assert not [r for r in audit.recent(db=db) if r.action == "view_unmasked"]


def test_360_shows_the_certificate_in_full_to_an_administrator_and_audits_it(
    client: TestClient, login: Login, zhang: Holder, db: Session
) -> None:
    username = login(StaffRole.ADMINISTRATOR)
    page = client.get(f"/web/customers/{zhang.code}")
    assert zhang.certificate in page.text
    assert zhang.service_number in page.text
    views = [r for r in audit.recent(db=db) if r.action == "view_unmasked"]
    assert len(views) == 1
    assert views[0].actor == username and views[0].resource_id == zhang.code
    assert set(views[0].fields or []) >= {"certificate", "phone"}


def test_360_of_a_merged_away_code_shows_the_survivor(
    client: TestClient, login: Login, zhang: Holder, db: Session, admin: Viewer
) -> None:
    old = make_person(db, admin, "张伟")
    merging.merge_customers(db=db, viewer=admin, survivor_code=zhang.code, merged_code=old.code, reason="重复建档")
    db.commit()
    login(StaffRole.STORE_CLERK)
    page = client.get(f"/web/customers/{old.code}")
    assert page.status_code == 200
    assert f"已合并至 {zhang.code}" in page.text
    assert "重复建档" in page.text and f"合并了客户 {old.code}" in page.text
    search = client.get("/web/customers", params={"q": old.code})
    assert f"客户编码 {old.code} 已合并至 {zhang.code}" in search.text


def test_360_of_an_unknown_code_is_a_404_page(client: TestClient, login: Login) -> None:
    login(StaffRole.STORE_CLERK)
    page = client.get("/web/customers/000000000000")
    assert page.status_code == 404
    assert "未找到客户" in page.text


def test_a_role_without_the_permission_gets_the_403_page(
    client: TestClient, login: Login, zhang: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(StaffRole.ANALYST)
    nothing = RoleGrant(frozenset(), frozenset(), "无", "none")
    monkeypatch.setattr(web_router, "viewer_for", lambda name, role: Viewer(name, role, nothing))
    page = client.get(f"/web/customers/{zhang.code}")
    assert page.status_code == 403
    assert "无权访问" in page.text and "customer:read" in page.text
    assert zhang.name not in page.text


# --- language --------------------------------------------------------------------------------------------------


def test_chinese_is_the_default_and_english_is_one_click_away(client: TestClient, login: Login, zhang: Holder) -> None:
    login(StaffRole.STORE_CLERK)
    chinese = client.get(f"/web/customers/{zhang.code}")
    assert '<html lang="zh-CN">' in chinese.text
    assert f'href="/web/customers/{zhang.code}?lang=en"' in chinese.text
    english = client.get(f"/web/customers/{zhang.code}?lang=en")
    assert '<html lang="en">' in english.text
    for label in ("Customer search", "Subscribers", "Mobile", "Individual", "Cash", "Store clerk", "Person"):
        assert label in english.text
    for label in ("客户查询", "手机", "个人账户", "营业员"):
        assert label not in english.text
    # the choice is remembered for the next pages, until switched back
    assert "Customer search" in client.get("/web/customers").text
    assert "客户查询" in client.get("/web/customers?lang=zh").text


def test_message_files_have_the_same_keys_and_every_enum_value() -> None:
    zh, en = messages("zh"), messages("en")
    assert set(zh) == set(en)
    enums = {
        "customer_kind": CustomerKind,
        "customer_status": CustomerStatus,
        "certificate_type": CertificateType,
        "relation_type": RelationType,
        "account_type": AccountType,
        "payment_method": PaymentMethod,
        "account_status": AccountStatus,
        "product": Product,
        "ownership_type": OwnershipType,
        "subscriber_status": SubscriberStatus,
        "history_action": HistoryAction,
        "role": StaffRole,
    }
    for lang in LANGUAGES:
        for group, enum in enums.items():
            for member in enum:
                assert messages(lang).get(f"enum.{group}.{member.value}"), (lang, group, member)


# --- static files ----------------------------------------------------------------------------------------------


def test_the_stylesheet_is_served_and_nothing_outside_the_static_folder(client: TestClient) -> None:
    css = client.get("/web/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/web/static/%2e%2e/router.py").status_code == 404
    assert client.get("/web/static/..%2Fi18n.py").status_code == 404
    assert client.get("/web/static/missing.css").status_code == 404
