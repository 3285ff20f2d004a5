"""积分兑换: redeem points for a reward at the counter, on the web or over the API, and cancel a redemption.

One redemption is one transaction (the caller commits): the points are spent through the ledger under the
account's lock, the stock is taken by a conditional UPDATE, the redemption row and its history are written.
A failure anywhere rolls all of it back. A retried request (same request key) redeems once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from telcocrm.customers import repository as customers
from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, NotFound
from telcocrm.loyalty import cards, ledger, rewards
from telcocrm.loyalty import rewards_rules as rules
from telcocrm.models import Redemption, RedemptionHistory, Reward
from telcocrm.models.enums import RedemptionChannel, RedemptionStatus
from telcocrm.staff.rules import Viewer

MAX_REQUEST_KEY = 48  # the ledger's reference is "redemption:" and the key, at most 64 characters


@dataclass(frozen=True)
class Outcome:
    """A redemption, and whether this request only replayed an earlier one with the same key."""

    redemption: Redemption
    reward: Reward
    replayed: bool


@dataclass(frozen=True)
class Offer:
    """A reward the customer may redeem now, and whether the spendable points cover one unit."""

    reward: Reward
    affordable: bool


def reference_of(request_key: str) -> str:
    """The reference (and idempotency key) of a redemption's ledger entries."""
    return f"redemption:{request_key}"


def redeem(
    *,
    db: Session,
    viewer: Viewer,
    customer_code: str,
    reward_code: str,
    request_key: str,
    quantity: int = 1,
    channel: RedemptionChannel = RedemptionChannel.API,
    card_number: str | None = None,
    on: date | None = None,
) -> Outcome:
    """Check eligibility, validity, stock and balance, then spend, take stock and record the redemption."""
    _check_request(request_key, quantity)
    earlier = _by_key(db, request_key)
    if earlier is not None:
        return _replay(db, earlier, customer_code, reward_code, quantity)
    customer = cards.active_customer(db, customer_code)
    if card_number is not None:
        _check_card(db, card_number, customer.code)
    reward = rewards.get_reward(db=db, code=reward_code)
    day = on or ledger.today()
    facts = cards.segment_facts(db, customer.code)
    refused = rules.refusal(rewards.terms_of(reward), facts, cards.active_levels(db, customer.code), day, quantity)
    if refused is not None:
        raise Conflict(refused.message, field=refused.field, record=reward.code)
    points = rules.points_for(rewards.terms_of(reward), quantity)
    reference = reference_of(request_key)
    ledger.spend(
        db,
        customer_code=customer.code,
        points=points,
        reference=reference,
        idempotency_key=reference,
        recorded_by=viewer.username,
        on=day,
    )
    # Now under the account's lock: a twin request with the same key that got here first has committed.
    earlier = _by_key(db, request_key)
    if earlier is not None:
        return _replay(db, earlier, customer_code, reward_code, quantity)
    redemption = Redemption(
        request_key=request_key,
        reference=reference,
        customer_code=customer.code,
        reward_id=reward.id,
        quantity=quantity,
        points=points,
        status=RedemptionStatus.REDEEMED,
        channel=channel,
        card_number=card_number,
        redeemed_by=viewer.username,
        redeemed_at=utc_now(),
    )
    db.add(redemption)
    db.flush()
    rewards.take_stock(db, viewer, reward, quantity, redemption.id)
    _history(db, viewer, redemption, None)
    return Outcome(redemption, reward, replayed=False)


def _check_request(request_key: str, quantity: int) -> None:
    if not 1 <= len(request_key) <= MAX_REQUEST_KEY:
        raise InvalidInput(
            f"请求键须为 1…{MAX_REQUEST_KEY} 个字符 / a request key has 1…{MAX_REQUEST_KEY} characters",
            field="request_key",
        )
    if quantity <= 0:
        raise InvalidInput(f"数量须为正整数 / quantity must be positive, got {quantity}", field="quantity")


def _check_card(db: Session, card_number: str, customer_code: str) -> None:
    """A card shown at the channel must identify the same customer."""
    identity = cards.identify(db=db, card_number=card_number)
    if identity.customer_code != customer_code:
        raise Conflict(
            f"卡 {identity.card.card_number} 不属于客户 {customer_code} / card {identity.card.card_number} "
            f"belongs to another customer",
            field="card_number",
            record=identity.card.card_number,
        )


def _by_key(db: Session, request_key: str) -> Redemption | None:
    stmt = select(Redemption).where(Redemption.request_key == request_key).execution_options(populate_existing=True)
    return db.execute(stmt).scalar_one_or_none()


def _replay(db: Session, earlier: Redemption, customer_code: str, reward_code: str, quantity: int) -> Outcome:
    """The redemption a key already made; the same key for another request is refused."""
    reward = db.get_one(Reward, earlier.reward_id)
    customer = customers.get_by_code(db, customer_code).code
    if (earlier.customer_code, reward.code, earlier.quantity) != (customer, reward_code, quantity):
        raise Conflict(
            f"请求键 {earlier.request_key} 已用于另一笔兑换 / request key {earlier.request_key} was used for "
            "another redemption",
            field="request_key",
            record=earlier.request_key,
        )
    return Outcome(earlier, reward, replayed=True)


def cancel_redemption(*, db: Session, viewer: Viewer, redemption_id: int, note: str | None = None) -> Outcome:
    """Cancel a redemption: reverse its ledger entries, give the stock back, keep the history."""
    redemption = get_redemption(db=db, redemption_id=redemption_id)
    # The conditional UPDATE lets only one of two simultaneous cancellations through.
    stmt = (
        update(Redemption)
        .where(Redemption.id == redemption_id, Redemption.status == RedemptionStatus.REDEEMED)
        .values(status=RedemptionStatus.CANCELLED, cancelled_by=viewer.username, cancelled_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if db.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"兑换 {redemption_id} 已取消 / redemption {redemption_id} is already cancelled",
            field="status",
            record=str(redemption_id),
        )
    ledger.reverse(db, recorded_by=viewer.username, reference=redemption.reference, note=note)
    reward = db.get_one(Reward, redemption.reward_id)
    rewards.give_back_stock(db, viewer, reward, redemption.quantity, redemption.id)
    db.refresh(redemption)
    _history(db, viewer, redemption, note)
    return Outcome(redemption, reward, replayed=False)


def get_redemption(*, db: Session, redemption_id: int) -> Redemption:
    """One redemption."""
    redemption = db.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound(
            f"兑换 {redemption_id} 不存在 / redemption {redemption_id} not found",
            field="redemption_id",
            record=str(redemption_id),
        )
    return redemption


def redemptions_of(*, db: Session, customer_code: str, limit: int = 50) -> list[tuple[Redemption, Reward]]:
    """The customer's redemptions with their rewards, newest first."""
    return survivor_redemptions(db=db, customer_code=customers.get_by_code(db, customer_code).code, limit=limit)


def survivor_redemptions(*, db: Session, customer_code: str, limit: int = 50) -> list[tuple[Redemption, Reward]]:
    """The redemptions of a code already followed to its survivor, with their rewards, newest first."""
    stmt = (
        select(Redemption, Reward)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.customer_code == customer_code)
        .order_by(Redemption.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in db.execute(stmt)]


def redemption_history(*, db: Session, redemption_id: int) -> list[RedemptionHistory]:
    """A redemption's redeem and cancel, oldest first."""
    get_redemption(db=db, redemption_id=redemption_id)
    stmt = select(RedemptionHistory).where(RedemptionHistory.redemption_id == redemption_id)
    return list(db.execute(stmt.order_by(RedemptionHistory.id)).scalars())


def offers_for(*, db: Session, customer_code: str, on: date | None = None) -> list[Offer]:
    """The catalogue as one customer sees it: only rewards they may redeem today, valid and in stock."""
    customer = customers.get_by_code(db, customer_code)
    day = on or ledger.today()
    try:
        spendable = ledger.spendable_points(db, customer_code=customer.code, on=day)
    except NotFound:
        spendable = 0
    return survivor_offers(db=db, customer_code=customer.code, spendable=spendable, on=day)


def survivor_offers(*, db: Session, customer_code: str, spendable: int, on: date | None = None) -> list[Offer]:
    """The offers of a code already followed to its survivor whose spendable points the caller read."""
    day = on or ledger.today()
    facts = cards.segment_facts(db, customer_code)
    levels = cards.active_levels(db, customer_code)
    return [
        Offer(reward, reward.points_price <= spendable)
        for reward in rewards.list_rewards(db=db)
        if rules.refusal(rewards.terms_of(reward), facts, levels, day) is None
    ]


def _history(db: Session, viewer: Viewer, redemption: Redemption, note: str | None) -> None:
    db.add(
        RedemptionHistory(
            redemption_id=redemption.id, status=redemption.status, note=note, actor=viewer.username, at=utc_now()
        )
    )
    db.flush()
