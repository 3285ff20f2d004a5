"""百事通 cards on the real database: issue at the level of the published value, change, review, cancel, identify."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from telcocrm.db.engine import session_factory
from telcocrm.errors import Conflict, InvalidInput, NotFound
from telcocrm.loyalty import cards
from telcocrm.models import MemberCard
from telcocrm.models.enums import CardAction, CardHolder, CardHolderRole, CardKind, CardLevel, CardStatus
from telcocrm.staff.rules import Viewer
from tests.factories import make_person, wrong_check_digit
from tests.loyalty_factories import make_organisation, person_with_value, publish_values, value_row


def session(engine: Engine) -> Session:
    return session_factory(engine)()


def issue(engine: Engine, viewer: Viewer, code: str, **kw: object) -> MemberCard:
    options: dict[str, object] = {"kind": CardKind.WODE_EJIA, "holder": CardHolder.PERSONAL} | kw
    with session(engine) as db:
        card = cards.issue_card(db=db, viewer=viewer, customer_code=code, **options)
        db.commit()
        return card


def test_a_card_is_issued_at_the_level_of_the_latest_published_value(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, value_tier="mid")
    publish_values(clean_engine, tmp_path, "2026-06", [value_row(code, value_tier="high")])  # the newest month wins
    card = issue(clean_engine, admin, code)
    assert (card.level, card.status, card.holder_role) == (CardLevel.PLATINUM, CardStatus.ACTIVE, CardHolderRole.SELF)
    with session(clean_engine) as db:
        assert cards.identify(db=db, card_number=card.card_number).customer_code == code
        [history] = cards.card_history(db=db, card_number=card.card_number)
    assert (history.action, history.level_after, history.rule) == (
        CardAction.ISSUE,
        CardLevel.PLATINUM,
        "card.level.platinum",
    )
    assert "2026-06" in (history.note or "")


def test_no_card_below_every_level_or_before_the_first_monthly_run(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    low = person_with_value(clean_engine, admin, tmp_path, value_tier="low", star_tier="2")
    with session(clean_engine) as db:
        unassessed = make_person(db, admin).code
        db.commit()
    for code in (low, unassessed):
        with pytest.raises(Conflict) as refused:
            issue(clean_engine, admin, code)
        assert refused.value.field == "level" and refused.value.record == code


def test_a_company_card_names_its_holder_and_one_holder_holds_one_card_of_a_kind(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    with session(clean_engine) as db:
        org = make_organisation(db, admin).code
        db.commit()
    publish_values(clean_engine, tmp_path, "2026-05", [value_row(org, segment="government_enterprise", grade="5A")])
    company = {"kind": CardKind.SHANGWU_LINGHANG, "holder": CardHolder.COMPANY}
    with pytest.raises(InvalidInput) as unnamed:
        issue(clean_engine, admin, org, **company, holder_role=CardHolderRole.DECISION_MAKER)
    assert unnamed.value.field == "holder_name"
    boss = issue(clean_engine, admin, org, **company, holder_role=CardHolderRole.DECISION_MAKER, holder_name="李总")
    clerk = issue(clean_engine, admin, org, **company, holder_role=CardHolderRole.HANDLER, holder_name="王经办")
    assert boss.level is clerk.level is CardLevel.DIAMOND and boss.card_number != clerk.card_number
    with pytest.raises(Conflict, match=boss.card_number):
        issue(clean_engine, admin, org, **company, holder_role=CardHolderRole.HANDLER, holder_name="李总")


def test_lookup_refuses_a_wrong_check_digit_before_looking_and_a_cancelled_card_identifies_no_one(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, star_tier="vip")
    card = issue(clean_engine, admin, code)
    with session(clean_engine) as db:
        with pytest.raises(InvalidInput, match="校验位"):
            cards.identify(db=db, card_number=wrong_check_digit(card.card_number))
        cancelled = cards.cancel_card(db=db, viewer=admin, card_number=card.card_number, note="客户挂失 / lost")
        db.commit()
    assert cancelled.status is CardStatus.CANCELLED and cancelled.cancelled_at is not None
    with session(clean_engine) as db:
        with pytest.raises(Conflict, match="已注销"):
            cards.identify(db=db, card_number=card.card_number)
        with pytest.raises(Conflict):
            cards.cancel_card(db=db, viewer=admin, card_number=card.card_number)
        actions = [row.action for row in cards.card_history(db=db, card_number=card.card_number)]
    assert actions == [CardAction.ISSUE, CardAction.CANCEL]
    again = issue(clean_engine, admin, code)  # a new card after a cancelled one, with a new number
    assert again.card_number != card.card_number


def test_an_unknown_but_well_formed_number_is_not_found(clean_engine: Engine) -> None:
    from telcocrm.loyalty.cards_rules import card_number

    with session(clean_engine) as db, pytest.raises(NotFound):
        cards.identify(db=db, card_number=card_number("86", 999))


def test_manual_level_change_needs_a_note_and_the_monthly_review_follows_the_value(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    rising = person_with_value(clean_engine, admin, tmp_path, value_tier="mid")
    falling = person_with_value(clean_engine, admin, tmp_path, star_tier="vip")
    publish_values(
        clean_engine, tmp_path, "2026-05", [value_row(rising, value_tier="mid"), value_row(falling, star_tier="vip")]
    )
    up, down = issue(clean_engine, admin, rising), issue(clean_engine, admin, falling)
    assert (up.level, down.level) == (CardLevel.VIP, CardLevel.DIAMOND)
    with session(clean_engine) as db:
        with pytest.raises(InvalidInput):
            cards.change_card_level(db=db, viewer=admin, card_number=up.card_number, level=CardLevel.DIAMOND, note=" ")
        changed = cards.change_card_level(
            db=db, viewer=admin, card_number=up.card_number, level=CardLevel.DIAMOND, note="大客户经理申请 / AM request"
        )
        db.commit()
    assert changed.level is CardLevel.DIAMOND
    publish_values(
        clean_engine, tmp_path, "2026-06",
        [value_row(rising, value_tier="high"), value_row(falling, value_tier="low", star_tier="1")],
    )  # fmt: skip
    with session(clean_engine) as db:
        summary = cards.review_card_levels(db=db, viewer=admin)
        db.commit()
        again = cards.review_card_levels(db=db, viewer=admin)
        db.commit()
        levels = {c.customer_code: c.level for c in db.execute(select(MemberCard)).scalars()}
        up_history = [(h.action, h.level_after) for h in cards.card_history(db=db, card_number=up.card_number)]
    assert (summary.reviewed, summary.upgraded, summary.downgraded) == (2, 0, 2)
    assert (again.upgraded, again.downgraded) == (0, 0)
    assert levels == {rising: CardLevel.PLATINUM, falling: CardLevel.VIP}  # below every level: kept at the lowest
    assert up_history == [
        (CardAction.ISSUE, CardLevel.VIP),
        (CardAction.UPGRADE, CardLevel.DIAMOND),
        (CardAction.DOWNGRADE, CardLevel.PLATINUM),
    ]
