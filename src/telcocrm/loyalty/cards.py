"""百事通 cards: issue, change level, cancel and review, each with history; identify a customer by card number.

Services flush; the caller commits (one transaction per request or job step).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from telcocrm.customers import codes
from telcocrm.customers import repository as customers
from telcocrm.customers.records import latest_month
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, NotFound
from telcocrm.loyalty import cards_rules as rules
from telcocrm.loyalty.cards_rules import LevelDecision, SegmentFacts
from telcocrm.loyalty.catalogue import load_catalogue
from telcocrm.models import CodeCounter, Customer, MemberCard, MemberCardHistory, SegmentHistory
from telcocrm.models.enums import (
    CardAction,
    CardHolder,
    CardHolderRole,
    CardKind,
    CardLevel,
    CardStatus,
    CustomerStatus,
)
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer

CARD_COUNTER = "card"
_FACT_COLUMNS = ("month", "segment", "value_tier", "star_tier", "value_grade")


@dataclass(frozen=True)
class CardIdentity:
    """What a card number tells a channel: the card and the customer it identifies (a survivor after a merge)."""

    card: MemberCard
    customer_code: str


@dataclass(frozen=True)
class ReviewSummary:
    """What a review of card levels changed."""

    reviewed: int
    upgraded: int
    downgraded: int


def segment_facts(db: Session, customer_code: str) -> SegmentFacts | None:
    """The customer's latest published segment row (the monthly run's), or None before the first run."""
    history = SegmentHistory.__table__
    stmt = select(*(history.c[name] for name in _FACT_COLUMNS)).where(
        latest_month(history, "customer_code", literal(customer_code))
    )
    row = db.execute(stmt).first()
    return None if row is None else SegmentFacts(*row)


def issue_card(
    *,
    db: Session,
    viewer: Viewer,
    customer_code: str,
    kind: CardKind,
    holder: CardHolder,
    holder_role: CardHolderRole | None = None,
    holder_name: str | None = None,
    note: str | None = None,
) -> MemberCard:
    """Issue a card at the level the customer's value reaches; refused below every level or without a value."""
    customer = active_customer(db, customer_code)
    catalogue = load_catalogue()
    role = holder_role or (CardHolderRole.SELF if holder is CardHolder.PERSONAL else CardHolderRole.DECISION_MAKER)
    rules.check_holder(catalogue.kind(kind), holder, role, customer.kind)
    name = _holder_name(customer, holder, holder_name)
    decided = rules.level_for(catalogue.card_levels, segment_facts(db, customer.code))
    if decided is None:
        raise Conflict(
            f"客户 {customer.code} 的价值未达贵宾卡标准（或尚无月度评定） / customer {customer.code} does not reach "
            "a card level (or has no monthly assessment yet)",
            field="level",
            record=customer.code,
        )
    _refuse_duplicate(db, customer.code, kind, name)
    card = MemberCard(
        card_number=_new_card_number(db, catalogue.card_number_prefix),
        customer_code=customer.code,
        kind=kind,
        holder=holder,
        holder_role=role,
        holder_name=name,
        level=decided.level,
        status=CardStatus.ACTIVE,
    )
    db.add(card)
    db.flush()
    _history(db, viewer, card, CardAction.ISSUE, None, decided, note)
    return card


def active_customer(db: Session, customer_code: str) -> Customer:
    """The customer (a merged-away code gives its survivor); a cancelled customer is refused."""
    customer = customers.get_by_code(db, customer_code)
    if customer.status is not CustomerStatus.ACTIVE:
        raise Conflict(
            f"客户 {customer.code} 已注销 / customer {customer.code} is {customer.status.value}",
            field="customer_code",
            record=customer.code,
        )
    return customer


def _holder_name(customer: Customer, holder: CardHolder, holder_name: str | None) -> str:
    """A personal card bears the customer's name; a company card the named decision maker or handler."""
    if holder is CardHolder.PERSONAL:
        return customer.name
    if not holder_name or not holder_name.strip():
        raise InvalidInput(
            "单位卡须写明持卡人姓名 / a company card names its holder", field="holder_name", record=customer.code
        )
    return holder_name.strip()


def _refuse_duplicate(db: Session, customer_code: str, kind: CardKind, holder_name: str) -> None:
    stmt = select(MemberCard.card_number).where(
        MemberCard.customer_code == customer_code,
        MemberCard.kind == kind,
        MemberCard.holder_name == holder_name,
        MemberCard.status == CardStatus.ACTIVE,
    )
    held = db.execute(stmt).scalar_one_or_none()
    if held is not None:
        raise Conflict(
            f"{holder_name} 已持有有效的该类卡 {held} / {holder_name} already holds an active {kind.value} card {held}",
            field="kind",
            record=customer_code,
        )


def _new_card_number(db: Session, prefix: str) -> str:
    """A fresh card number; the counter row is made on first use (a database emptied by tests lacks it)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    db.execute(dialect.insert(CodeCounter).values(name=CARD_COUNTER, next_value=1).on_conflict_do_nothing())
    (serial,) = codes.reserve_serials(db, CARD_COUNTER, 1)
    return rules.card_number(prefix, serial)


def find_card(*, db: Session, card_number: str, for_update: bool = False) -> MemberCard:
    """The card with this number; a wrong check digit is refused before any lookup."""
    number = rules.checked_card_number(card_number)
    stmt = select(MemberCard).where(MemberCard.card_number == number)
    card = db.execute(stmt.with_for_update() if for_update else stmt).scalar_one_or_none()
    if card is None:
        raise NotFound(f"卡号 {number} 不存在 / card {number} not found", field="card_number", record=number)
    return card


def identify(*, db: Session, card_number: str) -> CardIdentity:
    """The customer a card identifies at any channel; a cancelled card identifies no one."""
    card = find_card(db=db, card_number=card_number)
    if card.status is not CardStatus.ACTIVE:
        raise Conflict(
            f"卡 {card.card_number} 已注销 / card {card.card_number} is cancelled",
            field="card_number",
            record=card.card_number,
        )
    return CardIdentity(card, customers.get_by_code(db, card.customer_code).code)


def cards_of(*, db: Session, customer_code: str) -> list[MemberCard]:
    """Every card of the customer (active and cancelled), oldest first."""
    code = customers.get_by_code(db, customer_code).code
    stmt = select(MemberCard).where(MemberCard.customer_code == code).order_by(MemberCard.id)
    return list(db.execute(stmt).scalars())


def active_levels(db: Session, customer_code: str) -> set[str]:
    """The levels of the customer's active cards."""
    stmt = select(MemberCard.level).where(
        MemberCard.customer_code == customer_code, MemberCard.status == CardStatus.ACTIVE
    )
    return {level.value for level in db.execute(stmt).scalars()}


def card_history(*, db: Session, card_number: str) -> list[MemberCardHistory]:
    """The card's history, oldest first."""
    card = find_card(db=db, card_number=card_number)
    stmt = select(MemberCardHistory).where(MemberCardHistory.card_id == card.id).order_by(MemberCardHistory.id)
    return list(db.execute(stmt).scalars())


def change_card_level(*, db: Session, viewer: Viewer, card_number: str, level: CardLevel, note: str) -> MemberCard:
    """A staff upgrade or downgrade (a note is required); the next monthly review follows the value again."""
    if not note.strip():
        raise InvalidInput("调整卡级须注明原因 / a level change needs a note", field="note", record=card_number)
    card = _active_card(db, card_number)
    decided = LevelDecision(level, "card.level.manual", f"人工调整 / set by {viewer.username}")
    if rules.level_change(card.level, level) is None:
        raise Conflict(
            f"卡 {card.card_number} 已是 {level.value} 级 / card {card.card_number} is already {level.value}",
            field="level",
            record=card.card_number,
        )
    _set_level(db, viewer, card, decided, note)
    return card


def cancel_card(*, db: Session, viewer: Viewer, card_number: str, note: str | None = None) -> MemberCard:
    """Cancel a card: it identifies no one from now on, and its number is never reissued."""
    card = _active_card(db, card_number)
    card.status = CardStatus.CANCELLED
    card.cancelled_at = card.changed_at = utc_now()
    _history(db, viewer, card, CardAction.CANCEL, card.level, None, note)
    db.flush()
    return card


def _active_card(db: Session, card_number: str) -> MemberCard:
    card = find_card(db=db, card_number=card_number, for_update=True)
    if card.status is not CardStatus.ACTIVE:
        raise Conflict(
            f"卡 {card.card_number} 已注销 / card {card.card_number} is cancelled",
            field="status",
            record=card.card_number,
        )
    return card


def review_card_levels(*, db: Session, viewer: Viewer) -> ReviewSummary:
    """Move every active card to the level its customer's latest published value reaches (the monthly review)."""
    history = SegmentHistory.__table__
    card = MemberCard.__table__
    stmt = (
        select(MemberCard, *(history.c[name] for name in _FACT_COLUMNS))
        .select_from(card.outerjoin(history, latest_month(history, "customer_code", card.c.customer_code)))
        .where(card.c.status == CardStatus.ACTIVE)
        .order_by(card.c.id)
    )
    levels = load_catalogue().card_levels
    upgraded = downgraded = reviewed = 0
    for held, *facts in db.execute(stmt):
        reviewed += 1
        decided = rules.reviewed_level(levels, held.level, SegmentFacts(*facts) if facts[0] else None)
        action = rules.level_change(held.level, decided.level)
        if action is not None:
            _set_level(db, viewer, held, decided, None)
            upgraded += action is CardAction.UPGRADE
            downgraded += action is CardAction.DOWNGRADE
    db.flush()
    return ReviewSummary(reviewed, upgraded, downgraded)


def _set_level(db: Session, viewer: Viewer, card: MemberCard, decided: LevelDecision, note: str | None) -> None:
    before = card.level
    action = rules.level_change(before, decided.level)
    assert action is not None
    card.level = decided.level
    card.changed_at = utc_now()
    _history(db, viewer, card, action, before, decided, note)


def _history(
    db: Session,
    viewer: Viewer,
    card: MemberCard,
    action: CardAction,
    before: CardLevel | None,
    decided: LevelDecision | None,
    note: str | None,
) -> None:
    """Append the card's history row and the audit record of the change."""
    reason = decided.reason if decided else None
    db.add(
        MemberCardHistory(
            card_id=card.id,
            action=action,
            level_before=before,
            level_after=decided.level if decided else None,
            rule=decided.rule if decided else None,
            note="; ".join(part for part in (reason, note) if part) or None,
            actor=viewer.username,
            at=utc_now(),
        )
    )
    audit.record(
        db=db,
        viewer=viewer,
        action=f"card.{action.value}",
        resource_type="member_card",
        resource_id=card.card_number,
        detail={"customer_code": card.customer_code, "level": card.level.value},
    )
