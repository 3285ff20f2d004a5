"""What the counter offers a leaving customer (DS002): the line, its value and stage, the retention cost cap, and
the save measures within the cap for the reason the customer gives.

The cap is the monthly run's (results/month=M/retention_caps.parquet of the newest published month M). When that
file or the customer's row is missing, it is computed here with the same formula from what is known (value tier
from the database, ARPU and group size from the month's customer features when present) and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import records_repository as repository
from telcocrm.churn.cost_cap import RetentionRules, load_retention_rules, retention_cost_cap
from telcocrm.churn.measures import RetentionMeasure, offers_within_cap
from telcocrm.churn.records_rules import RecordsRules, signals_for
from telcocrm.customers import repository as customers
from telcocrm.errors import NotFound
from telcocrm.models import Customer, Subscriber
from telcocrm.models.enums import ChurnReason, RetentionPhase, SubscriberStatus

LEAVING_STAGE = "warning"  # a line without a published stage is, at the leaving point, in the warning stage
UNKNOWN_TIER = "low"  # a customer without a published value tier is offered what low value justifies


@dataclass(frozen=True)
class Cap:
    """The retention cost cap of a customer and where it came from."""

    cap_fen: int
    month: str | None  # the published month whose figures it rests on
    computed: bool  # True: no cap in the run's results, computed at the counter


@dataclass(frozen=True)
class Counter:
    """Everything the save page shows for one line and one reason."""

    line: Subscriber
    customer: Customer
    value_tier: str | None
    value_month: str | None
    lifecycle_stage: str | None
    cap: Cap
    reason: ChurnReason | None
    signals: tuple[str, ...]
    offers: list[RetentionMeasure]


def find_line(db: Session, service_number: str) -> tuple[Subscriber, Customer]:
    """The line with this service number (one in service before a terminated one) and its customer."""
    number = service_number.strip()
    found = customers.search(db, number, limit=5)
    lines = [
        line for customer in found.customers for line in repository.lines_by_service_number(db, customer.id, number)
    ]
    if found.matched_by != "number" or not lines:
        raise NotFound(f"号码 {number} 无对应用户 / no line with service number {number}", field="service_number")
    line = min(lines, key=lambda sub: sub.status is SubscriberStatus.TERMINATED)  # stable: newest first otherwise
    return line, next(c for c in found.customers if c.id == line.customer_id)


def line_and_customer(db: Session, subscriber_code: str) -> tuple[Subscriber, Customer]:
    """A line by its subscriber code, and its customer as it stands (merges followed)."""
    line = repository.line_by_code(db, subscriber_code)
    return line, customers.get_by_code(db, repository.customer_code_of(db, line.customer_id))


def counter(
    db: Session,
    line: Subscriber,
    customer: Customer,
    reason: ChurnReason | None,
    *,
    rules: RecordsRules,
    store: AnalyticsStore | None = None,
) -> Counter:
    """Value, stage, cap and the save offers within the cap for the reason given."""
    retention = load_retention_rules()
    tier, tier_month = repository.published_value_tier(db, customer.code)
    stage = repository.published_lifecycle_stage(db, line.subscriber_code)
    cap = cap_of(db, customer.code, line, tier, retention, store or AnalyticsStore.from_settings())
    signals = signals_for(reason, rules)
    offers = offers_for(retention, signals, tier or UNKNOWN_TIER, stage or LEAVING_STAGE, cap.cap_fen)
    return Counter(line, customer, tier, tier_month, stage, cap, reason, signals, offers)


def cap_of(
    db: Session, customer_code: str, line: Subscriber, tier: str | None, rules: RetentionRules, store: AnalyticsStore
) -> Cap:
    """The customer's cap from the newest published month's results, else computed from what is known."""
    month = repository.latest_published_month(db)
    if month is not None:
        path = store.result_path(month, "retention_caps")
        if path.exists():
            found = pq.read_table(path, columns=["cost_cap_fen"], filters=[("customer_code", "==", customer_code)])
            if found.num_rows:
                return Cap(int(found.column(0)[0].as_py()), month, computed=False)
    arpu, group_size = _customer_figures(store, month, customer_code)
    cap = retention_cost_cap(
        arpu_fen=arpu, value_tier=tier or UNKNOWN_TIER, group_size=group_size, product=line.product.value, rules=rules
    )
    return Cap(cap, month, computed=True)


def _customer_figures(store: AnalyticsStore, month: str | None, customer_code: str) -> tuple[int, int]:
    """The customer's 3-month ARPU and group size of the month's customer features; 0 and 1 when unknown."""
    path = store.result_path(month, "customer_features") if month else None
    if path is None or not path.exists():
        return 0, 1
    found = pq.read_table(path, columns=["arpu_3m_fen", "group_size"], filters=[("customer_code", "==", customer_code)])
    if not found.num_rows:
        return 0, 1
    arpu, group_size = found.column(0)[0].as_py(), found.column(1)[0].as_py()
    return int(arpu or 0), max(int(group_size or 1), 1)


def offers_for(
    rules: RetentionRules, signals: tuple[str, ...], value_tier: str, stage: str, cap_fen: int
) -> list[RetentionMeasure]:
    """Save measures within the cap answering any of the signals (any measure when there are none), cheapest first."""
    found: dict[str, RetentionMeasure] = {}
    for signal in signals or (None,):
        for measure in offers_within_cap(
            rules,
            signal=signal,
            value_tier=value_tier,
            lifecycle_stage=stage,
            cap_fen=cap_fen,
            phase=RetentionPhase.SAVE,
        ):
            found.setdefault(measure.code, measure)
    return sorted(found.values(), key=lambda measure: (measure.cost_fen, measure.code))
