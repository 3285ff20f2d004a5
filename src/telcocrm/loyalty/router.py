"""The internal loyalty API: points summary, 百事通 cards, the rewards catalogue and redemptions (/api/loyalty/…).

Reading needs loyalty:read; redeeming, issuing and cancelling cards at a counter loyalty:redeem; the catalogue,
its stock, manual card levels and the level review loyalty:admin. Every write commits before the response.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from telcocrm.api_deps import ReadSessionDep, SessionDep, require
from telcocrm.loyalty import cards, redemption, rewards, summary
from telcocrm.loyalty.catalogue import RewardSpec
from telcocrm.loyalty.present import card_read, entry_read, redemption_read, reward_read, when
from telcocrm.loyalty.schemas import (
    CardCreate,
    CardHistoryRead,
    CardLevelChange,
    CardLookup,
    CardRead,
    CardReviewRead,
    NoteIn,
    PointsSummaryRead,
    RedemptionCreate,
    RedemptionHistoryRead,
    RedemptionRead,
    RewardCreate,
    RewardRead,
    RewardUpdate,
    StockChange,
    StockHistoryRead,
)
from telcocrm.staff.rules import Viewer

router = APIRouter(prefix="/api/loyalty", tags=["loyalty"])

Reader = Annotated[Viewer, Depends(require("loyalty:read"))]
Redeemer = Annotated[Viewer, Depends(require("loyalty:redeem"))]
Admin = Annotated[Viewer, Depends(require("loyalty:admin"))]


@router.get("/customers/{code}/points")
def points(
    db: ReadSessionDep, viewer: Reader, code: str, entries: Annotated[int, Query(ge=0, le=200)] = 20
) -> PointsSummaryRead:
    """Balance, spendable points, next expiry (date and points) and the newest ledger entries."""
    found = summary.points_summary(db=db, customer_code=code, recent=entries)
    return PointsSummaryRead(
        customer_code=found.customer_code,
        has_account=found.has_account,
        balance=found.balance,
        spendable=found.spendable,
        next_expiry_date=found.next_expiry_date,
        next_expiry_points=found.next_expiry_points,
        recent_entries=[entry_read(entry) for entry in found.recent],
    )


@router.get("/customers/{code}/cards")
def customer_cards(db: ReadSessionDep, viewer: Reader, code: str) -> list[CardRead]:
    """The customer's cards, active and cancelled."""
    return [card_read(card) for card in cards.cards_of(db=db, customer_code=code)]


@router.post("/customers/{code}/cards", status_code=status.HTTP_201_CREATED)
def issue_card(db: SessionDep, viewer: Redeemer, code: str, body: CardCreate) -> CardRead:
    """Issue a card at the level the customer's latest published value reaches."""
    card = cards.issue_card(db=db, viewer=viewer, customer_code=code, **body.model_dump())
    db.commit()
    return card_read(card)


@router.get("/customers/{code}/redemptions")
def customer_redemptions(db: ReadSessionDep, viewer: Reader, code: str) -> list[RedemptionRead]:
    """The customer's redemptions, newest first."""
    return [redemption_read(r, reward) for r, reward in redemption.redemptions_of(db=db, customer_code=code)]


@router.get("/cards/{number}")
def lookup_card(db: ReadSessionDep, viewer: Reader, number: str) -> CardLookup:
    """The customer a card number identifies (a wrong check digit is refused before any lookup)."""
    identity = cards.identify(db=db, card_number=number)
    return CardLookup(customer_code=identity.customer_code, card=card_read(identity.card))


@router.get("/cards/{number}/history")
def card_history(db: ReadSessionDep, viewer: Reader, number: str) -> list[CardHistoryRead]:
    """Issue, upgrades, downgrades and cancellation of a card, oldest first."""
    return [
        CardHistoryRead(
            action=row.action, level_before=row.level_before, level_after=row.level_after, rule=row.rule,
            note=row.note, actor=row.actor, at=when(row.at),
        )
        for row in cards.card_history(db=db, card_number=number)
    ]  # fmt: skip


@router.patch("/cards/{number}")
def change_card_level(db: SessionDep, viewer: Admin, number: str, body: CardLevelChange) -> CardRead:
    """Upgrade or downgrade a card by hand, with a note."""
    card = cards.change_card_level(db=db, viewer=viewer, card_number=number, level=body.level, note=body.note)
    db.commit()
    return card_read(card)


@router.post("/cards/{number}/cancel")
def cancel_card(db: SessionDep, viewer: Redeemer, number: str, body: NoteIn) -> CardRead:
    """Cancel a card; its number identifies no one from now on."""
    card = cards.cancel_card(db=db, viewer=viewer, card_number=number, note=body.note)
    db.commit()
    return card_read(card)


@router.post("/cards/review")
def review_card_levels(db: SessionDep, viewer: Admin) -> CardReviewRead:
    """Move every active card to the level of its customer's latest published value."""
    done = cards.review_card_levels(db=db, viewer=viewer)
    db.commit()
    return CardReviewRead(reviewed=done.reviewed, upgraded=done.upgraded, downgraded=done.downgraded)


@router.get("/rewards")
def list_rewards(
    db: ReadSessionDep,
    viewer: Reader,
    customer: Annotated[str | None, Query(description="only what this customer may redeem today")] = None,
) -> list[RewardRead]:
    """The catalogue; for one customer, only the rewards they may redeem now, each marked affordable or not."""
    if customer is None:
        return [reward_read(reward) for reward in rewards.list_rewards(db=db)]
    return [
        reward_read(offer.reward, offer.affordable) for offer in redemption.offers_for(db=db, customer_code=customer)
    ]


@router.post("/rewards", status_code=status.HTTP_201_CREATED)
def add_reward(db: SessionDep, viewer: Admin, body: RewardCreate) -> RewardRead:
    """Add a reward to the catalogue."""
    reward = rewards.add_reward(db=db, viewer=viewer, spec=RewardSpec.model_validate(body.model_dump()))
    db.commit()
    return reward_read(reward)


@router.patch("/rewards/{code}")
def update_reward(db: SessionDep, viewer: Admin, code: str, body: RewardUpdate) -> RewardRead:
    """Change a reward's terms: price, eligibility, validity, withdrawn or not."""
    reward = rewards.update_reward(db=db, viewer=viewer, code=code, changes=body.model_dump(exclude_unset=True))
    db.commit()
    return reward_read(reward)


@router.post("/rewards/{code}/stock")
def change_stock(db: SessionDep, viewer: Admin, code: str, body: StockChange) -> RewardRead:
    """Add or remove units, set the count, or make the reward unlimited; each kept in the stock history."""
    if body.change is not None:
        reward = rewards.change_stock(db=db, viewer=viewer, code=code, change=body.change, note=body.note)
    else:
        reward = rewards.set_stock(db=db, viewer=viewer, code=code, stock=body.stock, note=body.note)
    db.commit()
    return reward_read(reward)


@router.get("/rewards/{code}/stock-history")
def stock_history(db: ReadSessionDep, viewer: Reader, code: str) -> list[StockHistoryRead]:
    """Every change of the reward's stock, oldest first."""
    return [
        StockHistoryRead(
            action=row.action, change=row.change, stock_after=row.stock_after, redemption_id=row.redemption_id,
            note=row.note, actor=row.actor, at=when(row.at),
        )
        for row in rewards.stock_history(db=db, code=code)
    ]  # fmt: skip


@router.post("/redemptions", status_code=status.HTTP_201_CREATED)
def redeem(db: SessionDep, viewer: Redeemer, body: RedemptionCreate, response: Response) -> RedemptionRead:
    """Redeem points for a reward; a retry with the same request key answers 200 with the first redemption."""
    done = redemption.redeem(db=db, viewer=viewer, **body.model_dump())
    db.commit()
    if done.replayed:
        response.status_code = status.HTTP_200_OK
    return redemption_read(done.redemption, done.reward, replayed=done.replayed)


@router.get("/redemptions/{redemption_id}")
def get_redemption(db: ReadSessionDep, viewer: Reader, redemption_id: int) -> RedemptionRead:
    """One redemption."""
    found = redemption.get_redemption(db=db, redemption_id=redemption_id)
    return redemption_read(found, rewards.reward_by_id(db=db, reward_id=found.reward_id))


@router.get("/redemptions/{redemption_id}/history")
def redemption_history(db: ReadSessionDep, viewer: Reader, redemption_id: int) -> list[RedemptionHistoryRead]:
    """Redeemed and cancelled, who and when."""
    return [
        RedemptionHistoryRead(status=row.status, note=row.note, actor=row.actor, at=when(row.at))
        for row in redemption.redemption_history(db=db, redemption_id=redemption_id)
    ]


@router.post("/redemptions/{redemption_id}/cancel")
def cancel_redemption(db: SessionDep, viewer: Redeemer, redemption_id: int, body: NoteIn) -> RedemptionRead:
    """Cancel a redemption: its points come back (ledger reversal) and so does the stock."""
    done = redemption.cancel_redemption(db=db, viewer=viewer, redemption_id=redemption_id, note=body.note)
    db.commit()
    return redemption_read(done.redemption, done.reward)
