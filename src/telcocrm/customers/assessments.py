"""What the monthly run decided about a customer, month by month: credit, segment and lifecycle histories.

A merged-away code answers with its survivor (as every customer read does); the histories are those recorded
under the survivor's code, since the run assesses customers as they stand after merges.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from telcocrm.credit import repository as credit_repository
from telcocrm.customers import repository
from telcocrm.customers.records import CreditRecord, LifecycleRecord, SegmentRecord
from telcocrm.lifecycle import repository as lifecycle_repository
from telcocrm.segments import repository as segment_repository

DEFAULT_MONTHS = 24
MAX_MONTHS = 240


def credit_history(*, db: Session, code: str, months: int = DEFAULT_MONTHS) -> list[CreditRecord]:
    """The customer's credit ratings and classes, newest month first; NotFound for an unknown code."""
    customer = repository.get_by_code(db, code)
    return credit_repository.history(db, customer.code, months=months)


def segment_history(*, db: Session, code: str, months: int = DEFAULT_MONTHS) -> list[SegmentRecord]:
    """The customer's segments, tiers and big-customer kinds, newest month first."""
    customer = repository.get_by_code(db, code)
    return segment_repository.history(db, customer.code, months=months)


def lifecycle_history(*, db: Session, code: str, months: int = DEFAULT_MONTHS) -> list[LifecycleRecord]:
    """The lifecycle stages of every line the customer held, newest month first."""
    customer = repository.get_by_code(db, code)
    return lifecycle_repository.history_of_customer(db, customer.code, months=months)
