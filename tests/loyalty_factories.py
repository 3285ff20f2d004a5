"""Typed builders for the cards and rewards tests: customers with a published value, points, rewards."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from telcocrm.customers import service
from telcocrm.customers.schemas import CertificateIn, CustomerCreate
from telcocrm.db.engine import session_factory
from telcocrm.jobs.writeback import write_back
from telcocrm.loyalty import ledger, rewards
from telcocrm.loyalty.catalogue import RewardSpec
from telcocrm.models import Customer, Reward
from telcocrm.models.enums import CertificateType, CustomerKind, RewardCategory
from telcocrm.staff.rules import Viewer
from tests.assessment_factories import RULES, results, segment_row
from tests.factories import make_person

TODAY = date(2026, 6, 1)


def make_organisation(db: Session, viewer: Viewer, serial: int = 1) -> Customer:
    """An organisation registered by a valid unified social credit code."""
    body = f"91440101MA5C{serial:05d}"
    data = CustomerCreate(
        kind=CustomerKind.ORGANISATION,
        name=f"广州华信科技有限公司{serial}",
        certificate=CertificateIn(
            type=CertificateType.UNIFIED_SOCIAL_CREDIT, number=body + uscc.calc_check_digit(body)
        ),
    )
    return service.create_customer(db=db, viewer=viewer, data=data)


def value_row(
    code: str, *, segment: str = "personal", value_tier: str = "mid", star_tier: str = "3", grade: str | None = None
) -> dict[str, Any]:
    """A segment row of the monthly run with the value fields a card level and a reward read."""
    return segment_row(code, value_tier) | {"segment": segment, "star_tier": star_tier, "value_grade": grade}


def publish_values(engine: Engine, folder: Path, month: str, rows: list[dict[str, Any]]) -> None:
    """Publish a month's segment rows the way the monthly run does (write-back), on SQLite or PostgreSQL."""
    write_back(engine, month, RULES, results(folder / month, [], rows, [], {}))


def person_with_value(engine: Engine, viewer: Viewer, folder: Path, **value: Any) -> str:
    """A person customer (committed) whose published value is as given; returns the customer code."""
    with session_factory(engine)() as db:
        code = make_person(db, viewer).code
        db.commit()
    publish_values(engine, folder, "2026-05", [value_row(code, **value)])
    return code


def give_points(engine: Engine, code: str, points: int, key: str = "grant") -> None:
    """Open the customer's points account and add a lot of points (a staff adjustment, spendable through 2028)."""
    with engine.begin() as conn:
        ledger.open_account(conn, customer_code=code)
        ledger.adjust(
            conn, customer_code=code, points=points, note="测试 / test", idempotency_key=f"{key}:{code}",
            recorded_by="test", expiry_years=2, on=TODAY,
        )  # fmt: skip


def add_reward(engine: Engine, viewer: Viewer, code: str = "gift", price: int = 100, **terms: Any) -> Reward:
    """A reward valid all of 2026 (anyone may redeem it unless told otherwise), committed."""
    spec = RewardSpec.model_validate(
        {"code": code, "name": f"奖品 {code}", "category": RewardCategory.GOODS, "points_price": price}
        | {"valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31)}
        | terms
    )
    with session_factory(engine)() as db:
        reward = rewards.add_reward(db=db, viewer=viewer, spec=spec)
        db.commit()
        return reward
