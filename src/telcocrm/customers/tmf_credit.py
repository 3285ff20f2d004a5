"""TMF629 `creditProfile` from the credit rating history (docs/tmf-mapping.md, "Credit profile").

The spec's `creditRiskRating` is an integer that rates the risk: our ratings map A (good) → 1, B (fair) → 2,
C (poor) → 3, so a higher number is a higher risk. The letter, the class (I–III, which the spec has no field
for) and the rated month travel as read-only characteristics.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telcocrm.config import get_settings
from telcocrm.customers.records import CreditRecord
from telcocrm.kit.months import add_months, month_start
from telcocrm.kit.timefmt import local_iso
from telcocrm.staff.rules import Viewer

RISK_RATING = {"A": 1, "B": 2, "C": 3}
CREDIT_CHARACTERISTICS = ("creditRating", "creditClass", "creditRatingMonth")
PERMISSION = "assessment:read"


def _month_begins(month: str) -> str | None:
    """The first instant of the month in the operator's zone."""
    return local_iso(datetime.combine(month_start(month), datetime.min.time(), get_settings().zone))


def credit_profiles(viewer: Viewer, credit: CreditRecord | None) -> list[dict[str, Any]]:
    """The current profile (newest rated month) as a one-item list; empty before a run or without permission.

    A month's rating is made from that month's bills once it has closed, and governs the following month
    (dunning, order acceptance) until the next run re-rates: that month is its `validFor`.
    """
    if credit is None or not viewer.may(PERMISSION):
        return []
    profile: dict[str, Any] = {
        "creditProfileDate": local_iso(credit.recorded_at),
        "creditRiskRating": RISK_RATING.get(credit.credit_rating),
        "validFor": {
            "startDateTime": _month_begins(add_months(credit.month, 1)),
            "endDateTime": _month_begins(add_months(credit.month, 2)),
        },
        "@type": "CreditProfile",
    }
    return [profile]


def credit_pairs(viewer: Viewer, credit: CreditRecord | None) -> list[tuple[str, Any]]:
    """Rating letter, class and rated month as characteristics (the spec has no field for them)."""
    if credit is None or not viewer.may(PERMISSION):
        return []
    values = (credit.credit_rating, credit.credit_class, credit.month)
    return list(zip(CREDIT_CHARACTERISTICS, values, strict=True))
