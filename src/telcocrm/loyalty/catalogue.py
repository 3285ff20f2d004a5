"""Cards and rewards as data: catalogue.toml (card kinds, card levels, the default rewards), read and checked once."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.models.enums import CardHolder, CardKind, CardLevel, RewardCategory

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
SEGMENTS = ("government_enterprise", "family", "personal")  # segments.segment values
VALUE_TIERS = ("high", "mid", "low")  # segments.value_tier values


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CardKindSpec(_Data):
    """A card kind and the holders it may be issued to."""

    kind: CardKind
    zh: str
    en: str
    holders: tuple[CardHolder, ...] = Field(min_length=1)


class LevelSpec(_Data):
    """A card level and the segment values that reach it (any one of the lists)."""

    level: CardLevel
    zh: str
    en: str
    star_tiers: tuple[str, ...] = ()
    value_tiers: tuple[str, ...] = ()
    value_grades: tuple[str, ...] = ()


class RewardSpec(_Data):
    """A reward of the default catalogue (the reward table's columns)."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    category: RewardCategory
    description: str | None = None
    points_price: int = Field(ge=1)
    face_value_fen: int | None = Field(default=None, ge=0)
    segments: tuple[str, ...] = ()
    value_tiers: tuple[str, ...] = ()
    card_levels: tuple[CardLevel, ...] = ()
    stock: int | None = Field(default=None, ge=0)
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"reward {self.code}: valid_to is before valid_from")
        if not set(self.segments) <= set(SEGMENTS) or not set(self.value_tiers) <= set(VALUE_TIERS):
            raise ValueError(f"reward {self.code}: segments must be among {SEGMENTS}, value tiers among {VALUE_TIERS}")
        return self


class PartnerSpec(_Data):
    """A partner or contracted merchant whose customers' spending earns points (non-telecom points, brief §4)."""

    code: str = Field(pattern=r"^[a-z0-9_]{2,32}$")
    zh: str
    en: str


class Catalogue(_Data):
    """The whole file."""

    version: str
    card_number_prefix: str = Field(pattern=r"^[1-9][0-9]$")
    card_kinds: tuple[CardKindSpec, ...]
    card_levels: tuple[LevelSpec, ...]
    rewards: tuple[RewardSpec, ...] = ()
    partners: tuple[PartnerSpec, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if [spec.level for spec in self.card_levels] != list(CardLevel):
            raise ValueError(f"card_levels must list {[level.value for level in CardLevel]}, highest first")
        if {spec.kind for spec in self.card_kinds} != set(CardKind):
            raise ValueError(f"card_kinds must list each of {[kind.value for kind in CardKind]} once")
        codes = [reward.code for reward in self.rewards]
        if len(set(codes)) != len(codes):
            raise ValueError("reward codes must be unique")
        return self

    def kind(self, kind: CardKind) -> CardKindSpec:
        """The spec of a card kind."""
        return next(spec for spec in self.card_kinds if spec.kind is kind)


def parse_catalogue(text: str) -> Catalogue:
    """A catalogue from TOML text (tests give their own)."""
    return Catalogue.model_validate(tomllib.loads(text))


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The operator's catalogue, read once."""
    return parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8"))
