"""Request and response shapes of the internal loyalty API (/api/loyalty/…): JSON in camelCase, snake_case accepted."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from telcocrm.models.enums import (
    CardAction,
    CardHolder,
    CardHolderRole,
    CardKind,
    CardLevel,
    CardStatus,
    PointsEntryKind,
    RedemptionChannel,
    RedemptionStatus,
    RewardCategory,
    StockAction,
)

REQUEST_KEY = r"^[A-Za-z0-9._:-]{1,48}$"


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class EntryRead(_Shape):
    id: int
    kind: PointsEntryKind
    points: int
    month: str | None
    expires_on: date | None
    rule: str | None
    reference: str | None
    note: str | None
    recorded_at: str
    recorded_by: str


class PointsSummaryRead(_Shape):
    """Balance, spendable points, the next expiry and the newest entries."""

    customer_code: str
    has_account: bool
    balance: int
    spendable: int
    next_expiry_date: date | None
    next_expiry_points: int
    recent_entries: list[EntryRead]


class CardCreate(_Shape):
    """Issue a card: company cards name their holder (a decision maker or handler of the organisation)."""

    kind: CardKind
    holder: CardHolder
    holder_role: CardHolderRole | None = None
    holder_name: str | None = Field(default=None, max_length=200)
    note: str | None = None


class CardLevelChange(_Shape):
    """A staff upgrade or downgrade, with its reason."""

    level: CardLevel
    note: str = Field(min_length=1)


class NoteIn(_Shape):
    note: str | None = None


class CardRead(_Shape):
    card_number: str
    customer_code: str
    kind: CardKind
    holder: CardHolder
    holder_role: CardHolderRole
    holder_name: str
    level: CardLevel
    status: CardStatus
    issued_at: str
    changed_at: str
    cancelled_at: str | None


class CardLookup(_Shape):
    """What a channel learns from a card number: the customer it identifies."""

    customer_code: str
    card: CardRead


class CardHistoryRead(_Shape):
    action: CardAction
    level_before: CardLevel | None
    level_after: CardLevel | None
    rule: str | None
    note: str | None
    actor: str
    at: str


class CardReviewRead(_Shape):
    reviewed: int
    upgraded: int
    downgraded: int


class RewardCreate(_Shape):
    """A new reward of the catalogue; empty eligibility lists mean anyone; stock null means unlimited."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    category: RewardCategory
    description: str | None = None
    points_price: int = Field(ge=1)
    face_value_fen: int | None = Field(default=None, ge=0)
    segments: list[str] = []
    value_tiers: list[str] = []
    card_levels: list[CardLevel] = []
    stock: int | None = Field(default=None, ge=0)
    valid_from: date
    valid_to: date | None = None


class RewardUpdate(_Shape):
    """Change a reward's terms; only the fields given change (the stock has its own endpoint)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: RewardCategory | None = None
    description: str | None = None
    points_price: int | None = Field(default=None, ge=1)
    face_value_fen: int | None = Field(default=None, ge=0)
    segments: list[str] | None = None
    value_tiers: list[str] | None = None
    card_levels: list[CardLevel] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool | None = None


class StockChange(_Shape):
    """Exactly one of: add (or remove, negative) units; set the count after a stocktake; make it unlimited."""

    change: int | None = None
    stock: int | None = Field(default=None, ge=0)
    unlimited: bool = False
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if [self.change is not None, self.stock is not None, self.unlimited].count(True) != 1:
            raise ValueError("give exactly one of change, stock, unlimited")
        return self


class RewardRead(_Shape):
    code: str
    name: str
    category: RewardCategory
    description: str | None
    points_price: int
    face_value_fen: int | None
    segments: list[str]
    value_tiers: list[str]
    card_levels: list[str]
    stock: int | None
    valid_from: date
    valid_to: date | None
    active: bool
    affordable: bool | None = None  # set when the catalogue is read for one customer


class StockHistoryRead(_Shape):
    action: StockAction
    change: int | None
    stock_after: int | None
    redemption_id: int | None
    note: str | None
    actor: str
    at: str


class RedemptionCreate(_Shape):
    """Redeem points for a reward; `request_key` (chosen by the caller, e.g. a UUID) makes a retry redeem once."""

    customer_code: str = Field(min_length=1, max_length=16)
    reward_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(default=1, ge=1, le=1000)
    channel: RedemptionChannel = RedemptionChannel.API
    request_key: str = Field(pattern=REQUEST_KEY)
    card_number: str | None = Field(default=None, max_length=30)


class RedemptionRead(_Shape):
    id: int
    request_key: str
    customer_code: str
    reward_code: str
    reward_name: str
    quantity: int
    points: int
    status: RedemptionStatus
    channel: RedemptionChannel
    card_number: str | None
    redeemed_by: str
    redeemed_at: str
    cancelled_by: str | None
    cancelled_at: str | None
    replayed: bool = False


class RedemptionHistoryRead(_Shape):
    status: RedemptionStatus
    note: str | None
    actor: str
    at: str
