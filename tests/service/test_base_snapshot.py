"""The base snapshot: one Parquet row per subscriber with its customer, profile and billing account."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from telcocrm.analytics import schemas
from telcocrm.customers import merging, service
from telcocrm.customers.schemas import (
    AccountCreate,
    CertificateIn,
    CustomerCreate,
    ProfileIn,
    SubscriberCreate,
)
from telcocrm.jobs.base_snapshot import snapshot_base
from telcocrm.models import BillingAccount, Customer, Subscriber
from telcocrm.models.enums import (
    AccountType,
    CertificateType,
    CustomerKind,
    DecisionScope,
    IncomeBand,
    OrganisationCategory,
    PaymentMethod,
    Product,
)
from telcocrm.staff.rules import Viewer
from tests.factories import make_account, make_line, make_person, mobile_number, resident_id

AS_OF = date(2026, 10, 31)


def person(db: Session, viewer: Viewer, name: str, number: str, **profile: Any) -> Customer:
    """A person with a resident ID who joined at 00:30 Beijing time on 2 March 2024 (16:30 UTC the day before)."""
    data = CustomerCreate(
        kind=CustomerKind.PERSON,
        name=name,
        certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=number),
        joined_at=datetime(2024, 3, 1, 16, 30, tzinfo=UTC),
        profile=ProfileIn(**profile) if profile else None,
    )
    return service.create_customer(db=db, viewer=viewer, data=data)


def line(
    db: Session, viewer: Viewer, owner: Customer, account: BillingAccount, *, brand: str | None = None, **kw: Any
) -> Subscriber:
    data = SubscriberCreate(
        account_code=account.account_code,
        product=Product.MOBILE,
        service_number=mobile_number(),
        activated_date=kw.pop("activated_date", date(2024, 3, 2)),
        brand=brand,
        **kw,
    )
    return service.open_subscriber(db=db, viewer=viewer, code=owner.code, data=data)


def snapshot(engine: Engine, tmp_path: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    path = tmp_path / "base.parquet"
    count = snapshot_base(engine, path, as_of=AS_OF)
    table = pq.read_table(path)
    assert table.schema == schemas.BASE
    # Rows are written in batches of many rows, not one by one (a driver may hand them over a row at a time: a
    # row group per row made a million-subscriber snapshot 30 times bigger and minutes slower).
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    return count, {row["subscriber_id"]: row for row in table.to_pylist()}


def test_a_family_with_a_merged_member_and_profile(tmp_path: Path, db: Session, admin: Viewer, engine: Engine) -> None:
    head = person(
        db,
        admin,
        "陈静",
        resident_id(birth=date(1987, 3, 15)),
        occupation="教师",
        income_band=IncomeBand.FROM_8K_TO_20K,
        home_business=True,
        city="杭州市",
    )
    primary = service.open_account(
        db=db,
        viewer=admin,
        code=head.code,
        data=AccountCreate(
            name="陈静家庭", account_type=AccountType.FAMILY_PRIMARY, payment_method=PaymentMethod.BANK_COLLECTION
        ),
    )
    secondary = make_account(db, admin, head, account_type="family_secondary", parent_account_code=primary.account_code)
    own = line(db, admin, head, primary, brand="wode_ejia", contract_end_date=date(2027, 3, 1))
    member_line = line(db, admin, head, secondary, brand="up_xinshili", channel_code="GZ-ST-012")
    twin = person(db, admin, "陈静", resident_id(birth=date(1990, 1, 1)))  # the same person registered twice
    twin_account = make_account(db, admin, twin)
    twin_line = make_line(db, admin, twin, twin_account)
    merging.merge_customers(db=db, viewer=admin, survivor_code=head.code, merged_code=twin.code)
    line(db, admin, head, primary, activated_date=date(2026, 11, 1))  # opened after the snapshot's day
    db.commit()

    count, rows = snapshot(engine, tmp_path)

    assert count == len(rows) == 3  # two resident IDs after the merge do not double a line
    first = rows[own.subscriber_code]
    assert (first["customer_code"], first["customer_kind"], first["customer_joined_date"]) == (
        head.code,
        "person",
        date(2024, 3, 2),  # the day in Shanghai, not the UTC one
    )
    assert (first["occupation"], first["income_band"], first["home_business"], first["strategic"]) == (
        "教师",
        "8k_to_20k",
        True,
        False,
    )
    assert first["organisation_category"] is None and first["decision_scope"] is None
    assert first["birth_year"] == 1987  # the earliest of the resident IDs the merge left with the survivor
    assert (first["account_code"], first["account_type"], first["parent_account_code"], first["payment_method"]) == (
        primary.account_code,
        "family_primary",
        None,
        "bank_collection",
    )
    assert (first["product"], first["brand"], first["subscriber_status"]) == ("mobile", "wode_ejia", "active")
    assert (first["activated_date"], first["terminated_date"], first["contract_end_date"]) == (
        date(2024, 3, 2),
        None,
        date(2027, 3, 1),
    )
    assert first["returning_rating"] is None
    assert first["city"] == "杭州市", "the branch serving the customer: the city of the profile"
    member = rows[member_line.subscriber_code]
    assert (member["account_type"], member["parent_account_code"], member["brand"], member["channel_code"]) == (
        "family_secondary",
        primary.account_code,
        "up_xinshili",
        "GZ-ST-012",
    )
    merged = rows[twin_line.subscriber_code]
    assert merged["customer_code"] == head.code and merged["account_code"] == twin_account.account_code
    assert merged["payment_method"] == "cash" and merged["brand"] is None


def test_an_organisation_has_its_attributes_and_no_birth_year(
    tmp_path: Path, db: Session, admin: Viewer, engine: Engine
) -> None:
    body = "91440101MA5C12345"
    org = service.create_customer(
        db=db,
        viewer=admin,
        data=CustomerCreate(
            kind=CustomerKind.ORGANISATION,
            name="广州华信科技有限公司",
            certificate=CertificateIn(
                type=CertificateType.UNIFIED_SOCIAL_CREDIT, number=body + uscc.calc_check_digit(body)
            ),
            joined_at=datetime(2020, 1, 1, 15, 59, 59, tzinfo=UTC),  # 23:59:59 in Shanghai
            profile=ProfileIn(
                organisation_category=OrganisationCategory.GOVERNMENT,
                industry="政务",
                decision_scope=DecisionScope.PROVINCIAL,
                strategic=True,
            ),
        ),
    )
    master = make_account(db, admin, org, account_type="group_master", payment_method="contract_cycle")
    sub_line = line(db, admin, org, master, brand="jituan")
    quiet = make_person(db, admin)  # no profile at all
    bare = make_line(db, admin, quiet, make_account(db, admin, quiet))
    db.commit()

    count, rows = snapshot(engine, tmp_path)

    assert count == 2
    row = rows[sub_line.subscriber_code]
    assert (row["customer_kind"], row["customer_joined_date"], row["birth_year"]) == (
        "organisation",
        date(2020, 1, 1),
        None,
    )
    assert (row["organisation_category"], row["industry"], row["decision_scope"], row["strategic"]) == (
        "government",
        "政务",
        "provincial",
        True,
    )
    assert (row["account_type"], row["payment_method"]) == ("group_master", "contract_cycle")
    plain = rows[bare.subscriber_code]
    assert (plain["strategic"], plain["home_business"], plain["occupation"], plain["birth_year"]) == (
        False,
        False,
        None,
        1985,
    )


def test_an_empty_base_gives_an_empty_file_of_the_schema(tmp_path: Path, clean_engine: Engine) -> None:
    count, rows = snapshot(clean_engine, tmp_path)
    assert count == 0 and rows == {}


def test_a_returning_customer_brings_the_rating_held_when_leaving(
    tmp_path: Path, db: Session, admin: Viewer, engine: Engine
) -> None:
    from telcocrm.jobs.writeback import write_back
    from tests.assessment_factories import RULES, credit_row, results, segment_row

    number = resident_id(771)
    former = person(db, admin, "赵离网", number)
    db.commit()
    for month, rating in (("2026-07", "B"), ("2026-08", "C")):  # the last rating before leaving is C
        folder = results(tmp_path / month, [credit_row(former.code, rating)], [segment_row(former.code)], [], {})
        write_back(engine, month, RULES, folder)
    service.cancel_customer(db=db, viewer=admin, code=former.code)
    stranger = person(db, admin, "钱新客", resident_id(772))
    back = person(db, admin, "赵回网", number)  # the released certificate, shown again
    for owner in (back, stranger):
        line(db, admin, owner, make_account(db, admin, owner))
    db.commit()

    _, rows = snapshot(engine, tmp_path)

    by_customer = {row["customer_code"]: row["returning_rating"] for row in rows.values()}
    assert by_customer == {back.code: "C", stranger.code: None}
