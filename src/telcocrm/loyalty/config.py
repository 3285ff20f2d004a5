"""Earning rules of loyalty points: the [loyalty] section of the monthly rules file, with documented defaults.

Points are computed every month for every customer (brief §4, seed 000 §客户积分, seed 001 RM001) and published
(积分获得: shown to and spendable by the customer, reward cost accrued) only for the subset that qualifies. Every
default below is also written out, with its reason, in `src/telcocrm/jobs/monthly_rules.toml` and `docs/rules.md`
(## Loyalty points).
"""

from __future__ import annotations

import itertools
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from telcocrm.credit.config import ByRating

# The customer groups of brief §4, in the order the mart assigns them (the first that applies).
CustomerGroup = Literal[
    "party_government_military",
    "business_leader_high_mid",
    "business_leader_low_end",
    "other_enterprise",
    "family",
    "personal",
]
CUSTOMER_GROUPS: tuple[CustomerGroup, ...] = get_args(CustomerGroup)
# The closed vocabulary of campaign conditions the mart knows how to evaluate.
BonusCondition = Literal["bank_collection_signup", "joined_in_month", "referral"]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Campaign(_Rules):
    """A bonus campaign: `points` once per customer and month when `condition` holds, from one month to another.

    A `referral` campaign awards once per referred line instead (analytics.marts.referrals).
    """

    code: str = Field(pattern=r"^[a-z0-9_]+$")  # the source: "campaign:<code>" ("campaign:<code>:<line>" referral)
    rule: str = Field(pattern=r"^points\.bonus\.[a-z0-9_]+$")
    points: int = Field(ge=1)
    condition: BonusCondition
    valid_from: str = Field(pattern=MONTH_PATTERN)  # first month (YYYY-MM) it awards
    valid_to: str = Field(pattern=MONTH_PATTERN)  # last month it awards

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_to < self.valid_from:
            raise ValueError(f"campaign {self.code}: valid_to is before valid_from")
        return self

    def active(self, month: str) -> bool:
        """Whether the campaign awards in the month (YYYY-MM strings order like the months)."""
        return self.valid_from <= month <= self.valid_to


def _campaigns_2026() -> tuple[Campaign, ...]:
    # Bank collection (托收) means fewer late bills and a rating of A for newcomers (brief §3): worth a sign-up reward.
    # A referred line that pays its first bill is a customer won without a channel's commission: worth more.
    year = {"valid_from": "2026-01", "valid_to": "2026-12"}
    return (
        Campaign(
            code="bank_collection_2026",
            rule="points.bonus.bank_collection",
            points=200,
            condition="bank_collection_signup",
            **year,
        ),
        Campaign(code="referral_2026", rule="points.bonus.referral", points=500, condition="referral", **year),
    )


class Publication(_Rules):
    """Who is published (积分获得): any one of the reasons below qualifies the customer (brief §4)."""

    value_tiers: tuple[str, ...] = ("high",)  # segments.value_tier values that qualify
    strategic: bool = True  # customers marked strategic by the account managers
    loyal_min_years: int | None = Field(default=5, ge=0)  # customer tenure of this many whole years; None: off
    points_sensitive: bool = True  # marked points-sensitive on the customer's points account
    opted_in: bool = True  # asked for points (积分定制) on the customer's points account


class LoyaltyRules(_Rules):
    """The [loyalty] section: earning rates per customer group, tenure, credit and bonus points, publication."""

    # --- customer groups (brief §4), from the customer features and segments ---
    party_government_military_categories: tuple[str, ...] = ("party", "government", "military")
    business_leader_brands: tuple[str, ...] = ("shangwu_linghang",)  # 商务领航: main brand of the organisation
    business_leader_high_mid_tiers: tuple[str, ...] = ("high", "mid")  # value tiers that are high/mid-end
    # --- earning ---
    consumption_points_per_cny: dict[CustomerGroup, int] = {
        "party_government_military": 2,
        "business_leader_high_mid": 2,
        "business_leader_low_end": 1,
        "other_enterprise": 1,
        "family": 1,
        "personal": 1,
    }  # points per whole CNY billed and paid in the month
    tenure_multiplier_pct: tuple[tuple[int, int], ...] = ((0, 100), (1, 110), (3, 120), (5, 150))  # (from year, %)
    credit_points: ByRating = ByRating(A=50, B=20, C=0)  # a month, customers with a line in network at the month's end
    campaigns: tuple[Campaign, ...] = Field(default_factory=_campaigns_2026)
    # --- publication and cost ---
    published: Publication = Publication()
    reward_unit_cost_fen: int = Field(default=1, ge=0)  # reward cost of one published point (liability = points × it)
    expiry_calendar_years: int = Field(default=2, ge=0)  # earned in year Y → expire at the end of year Y + N

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        missing = set(CUSTOMER_GROUPS) - set(self.consumption_points_per_cny)
        if missing:
            raise ValueError(f"consumption_points_per_cny lacks the groups {sorted(missing)}")
        if any(rate < 0 for rate in self.consumption_points_per_cny.values()):
            raise ValueError("consumption_points_per_cny must not be negative")
        years = [start for start, _ in self.tenure_multiplier_pct]
        if not years or years[0] != 0 or any(low >= high for low, high in itertools.pairwise(years)):
            raise ValueError("tenure_multiplier_pct must start at year 0 and ascend")
        percents = [pct for _, pct in self.tenure_multiplier_pct]
        if percents[0] < 100 or any(low > high for low, high in itertools.pairwise(percents)):
            raise ValueError("tenure_multiplier_pct must be 100 or more and never fall with tenure")
        keys = [(c.rule, c.code) for c in self.campaigns]
        if len({code for _, code in keys}) != len(keys):
            raise ValueError("campaign codes must be unique (each is the source of its awards)")
        return self

    def active_campaigns(self, month: str) -> tuple[Campaign, ...]:
        """The campaigns that award in the month."""
        return tuple(c for c in self.campaigns if c.active(month))
