"""Thresholds of the segments rules: the [segments] section of the monthly rules file, with documented defaults.

Money is integer fen (1 CNY = 100 fen) and monthly spend is the customer's `arpu_3m_fen` (the average of the last
three billed months, summed over the customer's lines). Reasons and defaults: docs/rules.md § Segments and value.
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

BigCustomerKind = Literal["important", "high_value", "group", "strategic"]
FamilyMark = Literal["e8", "e6", "home_business"]
BIG_CUSTOMER_KINDS: tuple[BigCustomerKind, ...] = ("important", "high_value", "group", "strategic")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Frozen):
    """A band of a value: the first band (highest `at_least` first) the value reaches; the last takes the rest."""

    code: str = Field(min_length=1)
    at_least: int


class PointBand(_Frozen):
    """Points given when a value reaches `at_least` (highest first); below every band: 0 points."""

    at_least: int
    points: int = Field(ge=0)


class BrandEntry(_Frozen):
    """A brand of the catalogue: its Chinese name and the personal sub-segment it places its customers in."""

    name: str
    sub_segment: str = Field(min_length=1)


class StarTier(_Frozen):
    """A star tier's bar: monthly spend, customer tenure and one of the credit ratings, all three."""

    tier: Literal["5", "4", "3", "2"]
    min_arpu_fen: int = Field(ge=0)
    min_tenure_months: int = Field(ge=0)
    credit_ratings: tuple[str, ...]


def _descending(bands: tuple[Band, ...] | tuple[PointBand, ...], name: str) -> None:
    bounds = [band.at_least for band in bands]
    if not bounds or any(high <= low for high, low in itertools.pairwise(bounds)):
        raise ValueError(f"{name}: at least one band, `at_least` strictly decreasing")


def _bands(*pairs: tuple[str, int]) -> tuple[Band, ...]:
    return tuple(Band(code=code, at_least=at_least) for code, at_least in pairs)


def _points(*pairs: tuple[int, int]) -> tuple[PointBand, ...]:
    return tuple(PointBand(at_least=at_least, points=points) for at_least, points in pairs)


DEFAULT_BRANDS = {
    "xinshikong": BrandEntry(name="新时空", sub_segment="high_end"),
    "shijiefeng": BrandEntry(name="世界风", sub_segment="high_end"),
    "up_xinshili": BrandEntry(name="UP新势力", sub_segment="youth"),
    "ruyitong": BrandEntry(name="如意通", sub_segment="prepaid"),
    "jituan": BrandEntry(name="集团", sub_segment="group_member"),
    "shangwu_linghang": BrandEntry(name="商务领航", sub_segment="business"),
    "wode_ejia": BrandEntry(name="我的e家", sub_segment="mass"),
}


class ClusterRules(_Frozen):
    """The k-means of the consumption-behaviour cluster (五分法: 消费行为聚类)."""

    features: tuple[str, ...] = ("voice_minutes", "data_mb", "sms_count", "roaming_days")
    count: int = Field(default=4, ge=1, le=12)
    seed: int = 20261101
    sample_size: int = Field(default=50_000, ge=1)
    max_iterations: int = Field(default=100, ge=1)
    light_below_milli: int = 0  # every standardised feature below this (×1000): the cluster is "light"

    @field_validator("features")
    @classmethod
    def _known(cls, features: tuple[str, ...]) -> tuple[str, ...]:
        usage = {"voice_minutes", "data_mb", "sms_count", "roaming_days", "deposit_fen_12m", "arpu_3m_fen"}
        unknown = [f for f in features if f not in usage]
        if unknown or not features or len(set(features)) != len(features):
            raise ValueError(f"cluster features must be distinct names among {sorted(usage)}; got {unknown}")
        return features


class ValuePoints(_Frozen):
    """The value tier's points (brief §2/§8: ARPU, tenure, growth, group size) and the tiers' thresholds."""

    arpu_fen: tuple[PointBand, ...] = _points((30_000, 40), (15_000, 30), (8_000, 20), (3_000, 10))
    tenure_months: tuple[PointBand, ...] = _points((60, 20), (36, 15), (12, 10), (6, 5))
    growth_pct: tuple[PointBand, ...] = _points((20, 20), (5, 10), (0, 5))
    group_size: tuple[PointBand, ...] = _points((100, 20), (20, 10), (5, 5))
    high_from: int = 60
    mid_from: int = 30

    @model_validator(mode="after")
    def _check(self) -> ValuePoints:
        for name in ("arpu_fen", "tenure_months", "growth_pct", "group_size"):
            _descending(getattr(self, name), f"value.{name}")
        if self.high_from <= self.mid_from:
            raise ValueError("value.high_from must be above value.mid_from")
        return self


class SegmentRules(_Frozen):
    """Segments, five-way classification, big customers, star and value tiers (brief §2, §8, §9, §10)."""

    # strategic segments (brief §2)
    industry_scopes: tuple[str, ...] = ("global", "national", "provincial", "local")
    cluster_high_end_min_fen: int = Field(default=100_000, ge=0)  # 1,000 CNY a month
    value_grades: tuple[Band, ...] = _bands(
        ("5A", 5_000_000), ("4A", 1_000_000), ("3A", 300_000), ("2A", 50_000), ("1A", 0)
    )
    family_priority: tuple[FamilyMark, ...] = ("e8", "e6", "home_business")
    family_account_sub_segment: str = "household"
    brands: dict[str, BrandEntry] = Field(default_factory=lambda: dict(DEFAULT_BRANDS))
    unlisted_brand_sub_segment: str = "other"
    # five-way classification (002 客户五分法)
    arpu_grades: tuple[Band, ...] = _bands(
        ("very_high", 30_000), ("high", 15_000), ("mid", 8_000), ("low", 3_000), ("very_low", 0)
    )
    deposit_tiers: tuple[Band, ...] = _bands(("high", 120_000), ("mid", 30_000), ("low", 1), ("none", 0))
    tenure_bands: tuple[Band, ...] = _bands(("over_5y", 60), ("3_to_5y", 36), ("1_to_3y", 12), ("under_1y", 0))
    age_bands: tuple[Band, ...] = _bands(
        ("age_60_plus", 60), ("age_45_59", 45), ("age_35_44", 35), ("age_25_34", 25), ("age_under_25", 0)
    )
    clusters: ClusterRules = ClusterRules()
    # big customers (brief §10, seed 003)
    important_categories: tuple[str, ...] = ("party", "government", "military")
    high_value_above_fen: int = Field(default=300_000, ge=0)  # monthly spend above 3,000 CNY
    group_min_size: int = Field(default=10, ge=1)
    special_class_min_kinds: int = Field(default=2, ge=1, le=4)
    # service tiers (brief §9)
    vip_kinds: tuple[BigCustomerKind, ...] = BIG_CUSTOMER_KINDS
    star_tiers: tuple[StarTier, ...] = (
        StarTier(tier="5", min_arpu_fen=50_000, min_tenure_months=24, credit_ratings=("A",)),
        StarTier(tier="4", min_arpu_fen=20_000, min_tenure_months=12, credit_ratings=("A",)),
        StarTier(tier="3", min_arpu_fen=10_000, min_tenure_months=6, credit_ratings=("A", "B")),
        StarTier(tier="2", min_arpu_fen=5_000, min_tenure_months=0, credit_ratings=("A", "B")),
    )
    value: ValuePoints = ValuePoints()

    @model_validator(mode="after")
    def _check(self) -> SegmentRules:
        for name in ("value_grades", "arpu_grades", "deposit_tiers", "tenure_bands", "age_bands"):
            _descending(getattr(self, name), name)
        if len(set(self.family_priority)) != len(self.family_priority):
            raise ValueError("family_priority: each of e8, e6, home_business at most once")
        tiers = [t.tier for t in self.star_tiers]
        if tiers != sorted(set(tiers), reverse=True):
            raise ValueError("star_tiers: distinct tiers, highest first")
        return self
