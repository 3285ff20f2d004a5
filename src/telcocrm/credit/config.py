"""Thresholds of the credit rules: the [credit] section of the monthly rules file, with documented defaults.

Provinces set the thresholds (brief §3); every default below is also written out, with its reason, in
`src/telcocrm/jobs/monthly_rules.toml` and `docs/rules.md` (## Credit).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

RATINGS = ("A", "B", "C")  # best first (brief §3: A good > B fair > C poor)
INTEGRITY_KINDS = ("written_off_arrears", "fraud", "bounced_payment", "false_registration")  # = schemas.INTEGRITY_KINDS


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ByRating(_Rules):
    """One whole number per rating."""

    A: int = Field(ge=0)
    B: int = Field(ge=0)
    C: int = Field(ge=0)


class PaymentThresholds(_Rules):
    """How late payments over the last 6 months grade a customer (days late = paid or month's end − due date)."""

    grace_days: int = Field(default=5, ge=0)  # paid this many days after the due date still counts as on time
    b_late_bills: int = Field(default=2, ge=1)  # this many bills later than grace in 6 months → B
    b_days_late: int = Field(default=30, ge=0)  # or any bill more than this many days late → B
    c_days_late: int = Field(default=60, ge=1)  # any bill at least this many days late → C
    c_late_bills: int = Field(default=2, ge=1)  # or this many bills more than b_days_late late → C

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.grace_days <= self.b_days_late < self.c_days_late:
            raise ValueError("grace_days ≤ b_days_late < c_days_late is required")
        return self


def _contract_cycle() -> PaymentThresholds:
    # Contract-cycle payers settle per contract period, so a bill is graded only when it is long overdue.
    return PaymentThresholds(grace_days=15, b_late_bills=3, b_days_late=45, c_days_late=90, c_late_bills=2)


class CreditRules(BaseModel):
    """The [credit] section: who is new, how records grade, classes, and credit authorisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- rating (A/B/C) ---
    new_customer_months: int = Field(default=6, ge=0)  # customer tenure below this (or no bill yet): a newcomer
    in_network: PaymentThresholds = PaymentThresholds()
    contract_cycle: PaymentThresholds = Field(default_factory=_contract_cycle)
    c_range_records: tuple[str, ...] = ("written_off_arrears", "fraud", "false_registration")  # → C
    b_range_records: tuple[str, ...] = ("bounced_payment",)  # → B (prepaid and agent-buyout: ignored)
    integrity_severity: tuple[str, ...] = ("fraud", "false_registration", "written_off_arrears", "bounced_payment")
    # --- classes I/II/III ---
    class_i_consecutive_a_months: int = Field(default=18, ge=1)  # A this many months in a row → class I
    important_categories: tuple[str, ...] = (
        "government",
        "party",
        "military",
        "public_institution",
        "enterprise_high_end",
    )  # organisation categories that are class I whatever their history
    class_i_exempt_months: int = Field(default=12, ge=0, le=12)  # brief: up to 12 months exempt from suspension
    often_late_bills: int = Field(default=2, ge=1)  # late bills in 6 months from which class II says "often late"
    # --- credit authorisation ---
    overdraft_base_fen: ByRating = ByRating(A=10_000, B=5_000, C=0)
    overdraft_arpu_pct: ByRating = ByRating(A=50, B=20, C=0)  # share of the 6-month ARPU added to the base
    overdraft_cap_fen: int = Field(default=100_000, ge=0)
    tenure_factor_pct: tuple[tuple[int, int], ...] = ((0, 100), (12, 120), (36, 150), (60, 200))  # (from month, %)
    income_factor_pct: dict[str, int] = {"above_20k": 150, "8k_to_20k": 125, "3k_to_8k": 100, "below_3k": 80}
    occupation_factor_pct: dict[str, int] = {}  # occupation code → %; 100 when absent
    rental_b_min_tenure_months: int = Field(default=24, ge=0)  # B customers may rent a handset from this tenure
    discount_limit_pct: ByRating = ByRating(A=30, B=15, C=0)
    upgrade_bonus_discount_pct: int = Field(default=5, ge=0, le=100)  # reward for moving up a rating this month

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_records()
        steps = [start for start, _ in self.tenure_factor_pct]
        if not steps or steps[0] != 0 or steps != sorted(set(steps)):
            raise ValueError("tenure_factor_pct must start at month 0 and ascend")
        if any(pct < 0 for _, pct in self.tenure_factor_pct) or any(
            pct < 0 for pct in [*self.income_factor_pct.values(), *self.occupation_factor_pct.values()]
        ):
            raise ValueError("factors must not be negative")
        if any(pct > 100 for pct in self.discount_limit_pct.model_dump().values()):
            raise ValueError("discount_limit_pct must not exceed 100")
        return self

    def _check_records(self) -> None:
        ranged = [*self.c_range_records, *self.b_range_records]
        unknown = set(ranged) - set(INTEGRITY_KINDS)
        if unknown:
            raise ValueError(f"unknown integrity record kinds: {sorted(unknown)}")
        if len(set(ranged)) != len(ranged):
            raise ValueError("a record kind is in both c_range_records and b_range_records, or twice")
        if sorted(self.integrity_severity) != sorted(INTEGRITY_KINDS):
            raise ValueError(f"integrity_severity must order exactly {list(INTEGRITY_KINDS)}")
