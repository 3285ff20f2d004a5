"""How the loyalty API shows cards, rewards, redemptions and ledger entries (times in the operator's zone)."""

from __future__ import annotations

from datetime import datetime

from telcocrm.kit.timefmt import local_iso
from telcocrm.loyalty.ledger import EntryRecord
from telcocrm.loyalty.schemas import CardRead, EntryRead, RedemptionRead, RewardRead
from telcocrm.models import MemberCard, Redemption, Reward


def when(moment: datetime) -> str:
    """A moment as ISO 8601 in the operator's zone."""
    return local_iso(moment) or ""


def entry_read(entry: EntryRecord) -> EntryRead:
    """One ledger entry."""
    return EntryRead(
        id=entry.id,
        kind=entry.kind,
        points=entry.points,
        month=entry.month,
        expires_on=entry.expires_on,
        rule=entry.rule,
        reference=entry.reference,
        note=entry.note,
        recorded_at=when(entry.recorded_at),
        recorded_by=entry.recorded_by,
    )


def card_read(card: MemberCard) -> CardRead:
    """One card."""
    return CardRead(
        card_number=card.card_number,
        customer_code=card.customer_code,
        kind=card.kind,
        holder=card.holder,
        holder_role=card.holder_role,
        holder_name=card.holder_name,
        level=card.level,
        status=card.status,
        issued_at=when(card.issued_at),
        changed_at=when(card.changed_at),
        cancelled_at=local_iso(card.cancelled_at),
    )


def reward_read(reward: Reward, affordable: bool | None = None) -> RewardRead:
    """One reward of the catalogue."""
    return RewardRead(
        code=reward.code,
        name=reward.name,
        category=reward.category,
        description=reward.description,
        points_price=reward.points_price,
        face_value_fen=reward.face_value_fen,
        segments=list(reward.segments),
        value_tiers=list(reward.value_tiers),
        card_levels=list(reward.card_levels),
        stock=reward.stock,
        valid_from=reward.valid_from,
        valid_to=reward.valid_to,
        active=reward.active,
        affordable=affordable,
    )


def redemption_read(redemption: Redemption, reward: Reward, *, replayed: bool = False) -> RedemptionRead:
    """One redemption with its reward's code and name."""
    return RedemptionRead(
        id=redemption.id,
        request_key=redemption.request_key,
        customer_code=redemption.customer_code,
        reward_code=reward.code,
        reward_name=reward.name,
        quantity=redemption.quantity,
        points=redemption.points,
        status=redemption.status,
        channel=redemption.channel,
        card_number=redemption.card_number,
        redeemed_by=redemption.redeemed_by,
        redeemed_at=when(redemption.redeemed_at),
        cancelled_by=redemption.cancelled_by,
        cancelled_at=local_iso(redemption.cancelled_at),
        replayed=replayed,
    )
