"""Request and response bodies of the churn database API (/api/churn/…): JSON in camelCase, snake_case accepted."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from telcocrm.models.enums import (
    ChurnControllability,
    ChurnDestination,
    ChurnReason,
    ChurnRecordSource,
    ChurnUrgency,
    SaveFlow,
    SaveOutcome,
)


class _Shape(BaseModel):
    """JSON in camelCase, snake_case accepted (as the loyalty API)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _In(_Shape):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class SaveAttemptCreate(_In):
    """One save attempt: the line (service number or subscriber code), the reason, the offer chosen, the outcome."""

    service_number: str | None = Field(None, max_length=32)
    subscriber_code: str | None = Field(None, max_length=20)
    flow: SaveFlow = SaveFlow.LEAVING_POINT
    reason: ChurnReason | None = None
    measure_code: str | None = Field(None, max_length=16)
    outcome: SaveOutcome
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _one_line(self) -> Self:
        if not (self.service_number or self.subscriber_code):
            raise ValueError("give service_number or subscriber_code")
        return self


class ChurnRecordUpdate(_In):
    """A survey's answers; a reason without a classification takes the reason's defaults (records.toml)."""

    reason: ChurnReason | None = None
    controllability: ChurnControllability | None = None
    urgency: ChurnUrgency | None = None
    destination: ChurnDestination | None = None
    competitor: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=2000)


class ChurnRecordRead(_Shape):
    id: int
    subscriber_code: str
    customer_code: str
    month_left: str
    terminated_date: date | None
    product: str | None
    brand: str | None
    value_tier: str | None
    arpu_fen: int | None
    reason: ChurnReason | None
    controllability: ChurnControllability | None
    urgency: ChurnUrgency | None
    destination: ChurnDestination
    competitor: str | None
    source: ChurnRecordSource
    recorded_by: str
    recorded_at: str
    updated_by: str | None
    updated_at: str | None


class SaveAttemptRead(_Shape):
    id: int
    subscriber_code: str
    customer_code: str
    churn_record_id: int | None
    flow: SaveFlow
    reason: ChurnReason | None
    measure_code: str | None
    offer_cost_fen: int | None
    cap_fen: int | None
    outcome: SaveOutcome
    note: str | None
    staff: str
    at: str


class OfferRead(_Shape):
    code: str
    name_zh: str
    name_en: str
    cost_fen: int
    signals: list[str]
    description: str | None


class SaveOffersRead(_Shape):
    """What the counter shows: the line and customer (masked as the role requires), value, stage, cap, offers."""

    subscriber_code: str
    service_number: str
    product: str
    line_status: str
    customer_code: str
    customer_name: str
    value_tier: str | None
    lifecycle_stage: str | None
    cap_fen: int
    cap_month: str | None
    cap_computed: bool
    reason: ChurnReason | None
    signals: list[str]
    offers: list[OfferRead]


class WinBackRead(_Shape):
    record: ChurnRecordRead
    customer_name: str | None
    service_number: str | None
