"""TMF658 request shapes: enrol and patch a member, post a burn event; the filters' closed vocabularies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from telcocrm.customers.tmf_mapping import TmfIn
from telcocrm.errors import InvalidInput
from telcocrm.models.enums import PointsAccountStatus, PointsEntryKind

MEMBER_CHARACTERISTICS = {"optedIn": "opted_in", "pointsSensitive": "points_sensitive"}


class CharacteristicIn(TmfIn):
    """A member flag: `optedIn` (积分定制) or `pointsSensitive`, a JSON boolean."""

    name: str
    value: Any = None
    value_type: str | None = None


class PartyIn(TmfIn):
    """The customer who joins: `id` is the customer code."""

    id: str = Field(min_length=1, max_length=16)
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referred_type: str | None = Field(default=None, alias="@referredType")


class MemberCreateIn(TmfIn):
    """LoyaltyProgramMember_Create plus the customer (relatedParty) and the flags (characteristic)."""

    related_party: list[PartyIn] = Field(min_length=1, max_length=1)
    name: str | None = None
    status: Literal["active"] | None = None
    characteristic: list[CharacteristicIn] | None = None


class MemberPatchIn(TmfIn):
    """A merge patch of a member: the flags, and the status (active / closed)."""

    status: Literal["active", "closed"] | None = None
    characteristic: list[CharacteristicIn] | None = None
    name: str | None = None  # the customer's name: refused, it is changed through TMF629
    related_party: list[PartyIn] | None = None  # refused: a member stays the same customer


class BurnIn(TmfIn):
    """`event` of a burn: points to spend, the key that makes a retry spend once, a business reference."""

    points: int = Field(gt=0)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=64)
    reference: str | None = Field(default=None, min_length=1, max_length=64)


class EventCreateIn(TmfIn):
    """LoyaltyEvent_Create of a burn (`eventType` burn or spend); `eventTime` is the time we record it."""

    event_type: Literal["burn", "spend"]
    member_id: str = Field(min_length=1, max_length=16)
    event_time: str | None = None
    event: BurnIn


def parse_flags(items: list[CharacteristicIn] | None) -> dict[str, bool]:
    """The member flags sent as characteristics, by our column name; anything else is refused, naming it."""
    flags: dict[str, bool] = {}
    for item in items or []:
        column = MEMBER_CHARACTERISTICS.get(item.name)
        if column is None:
            known = ", ".join(MEMBER_CHARACTERISTICS)
            raise InvalidInput(
                f"未知特征 {item.name} / unknown characteristic (one of {known})", field=f"characteristic.{item.name}"
            )
        if not isinstance(item.value, bool):
            raise InvalidInput(
                f"须为 true 或 false / must be a JSON boolean, got {item.value!r}", field=f"characteristic.{item.name}"
            )
        flags[column] = item.value
    return flags


def member_status(value: str | None) -> PointsAccountStatus | None:
    """The `status` filter: one of our account states, else 400 naming it."""
    if value is None:
        return None
    try:
        return PointsAccountStatus(value)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in PointsAccountStatus)
        raise InvalidInput(f"未知状态 / unknown status (one of {allowed})", field="status") from exc


def event_kind(value: str | None) -> PointsEntryKind | None:
    """The `eventType` filter: an entry kind (`burn` is read as `spend`), else 400 naming it."""
    if value is None:
        return None
    try:
        return PointsEntryKind("spend" if value == "burn" else value)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in PointsEntryKind)
        raise InvalidInput(f"未知事件类型 / unknown eventType (one of {allowed})", field="eventType") from exc


def burn_key(header: str | None, body: str | None) -> str:
    """The key from `event.idempotencyKey` or the `Idempotency-Key` header (the same when both are sent)."""
    if header and body and header != body:
        raise InvalidInput("幂等键不一致 / Idempotency-Key and event.idempotencyKey differ", field="Idempotency-Key")
    key = body or header
    if not key:
        raise InvalidInput(
            "须提供幂等键 / give event.idempotencyKey (or the Idempotency-Key header)", field="event.idempotencyKey"
        )
    return key
