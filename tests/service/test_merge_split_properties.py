"""Property tests: whatever merges and splits happen, no subscriber or account is lost or duplicated,
no code is reused, and the history records every operation."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from telcocrm.customers import merging, repository
from telcocrm.customers.schemas import CertificateIn, CustomerCreate, SplitRequest
from telcocrm.db.engine import session_factory
from telcocrm.errors import TelcoError
from telcocrm.models import BillingAccount, Customer, CustomerHistory, Subscriber
from telcocrm.models.enums import CertificateType, CustomerKind, CustomerStatus, HistoryAction
from telcocrm.staff.rules import system_viewer
from tests.conftest import empty_database
from tests.factories import make_account, make_line, make_person, resident_id

operation = st.one_of(
    st.tuples(st.just("merge"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("split"), st.integers(0, 5), st.sets(st.integers(0, 3), min_size=1, max_size=3)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines_per_customer=st.lists(st.integers(1, 3), min_size=2, max_size=5), operations=st.lists(operation, max_size=6)
)
def test_merges_and_splits_lose_and_duplicate_nothing(
    engine: Engine, lines_per_customer: list[int], operations: list[tuple[str, int, object]]
) -> None:
    empty_database(engine)
    viewer = system_viewer("property")
    with session_factory(engine)() as db:
        for lines in lines_per_customer:
            customer = make_person(db, viewer)
            account = make_account(db, viewer, customer)
            for _ in range(lines):
                make_line(db, viewer, customer, account)
        db.commit()
        subscribers_before = set(db.execute(select(Subscriber.subscriber_code)).scalars())
        accounts_before = set(db.execute(select(BillingAccount.account_code)).scalars())
        expected_actions: Counter[HistoryAction] = Counter({HistoryAction.CREATE: len(lines_per_customer)})
        for op in operations:
            expected_actions += _apply(db, viewer, op)
        _check_invariants(db, subscribers_before, accounts_before, expected_actions)


def _apply(db: object, viewer: object, op: tuple[str, int, object]) -> Counter[HistoryAction]:
    """Apply one operation in its own transaction; a refused one must leave no trace."""
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    active = list(
        db.execute(select(Customer).where(Customer.status == CustomerStatus.ACTIVE).order_by(Customer.id)).scalars()
    )
    kind, first, arg = op
    a = active[first % len(active)]
    try:
        if kind == "merge":
            b = active[int(arg) % len(active)]  # type: ignore[call-overload]
            merging.merge_customers(db=db, viewer=viewer, survivor_code=a.code, merged_code=b.code)  # type: ignore[arg-type]
            done = Counter({HistoryAction.MERGE: 1, HistoryAction.MERGED_AWAY: 1})
        else:
            lines = repository.subscribers_of(db, a.id)
            chosen = sorted({lines[i % len(lines)].subscriber_code for i in arg}) if lines else ["missing"]  # type: ignore[attr-defined]
            new = CustomerCreate(
                kind=CustomerKind.PERSON,
                name="拆分",
                certificate=CertificateIn(type=CertificateType.RESIDENT_ID, number=resident_id()),
            )
            merging.split_customer(
                db=db, viewer=viewer, code=a.code, request=SplitRequest(subscriber_codes=chosen, new_customer=new)
            )  # type: ignore[arg-type]
            done = Counter({HistoryAction.SPLIT: 1, HistoryAction.SPLIT_FROM: 1, HistoryAction.CREATE: 1})
        db.commit()
        return done
    except TelcoError:
        db.rollback()
        return Counter()


def _check_invariants(db: object, subscribers: set[str], accounts: set[str], actions: Counter[HistoryAction]) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    rows = db.execute(select(Subscriber.subscriber_code, Customer.status).join(Customer)).all()
    assert Counter(code for code, _ in rows) == Counter(subscribers)  # none lost, none duplicated
    assert all(status is CustomerStatus.ACTIVE for _, status in rows)  # nothing left on a merged-away code
    account_rows = db.execute(select(BillingAccount.account_code, Customer.status).join(Customer)).all()
    assert accounts <= {code for code, _ in account_rows}
    assert all(status is CustomerStatus.ACTIVE for _, status in account_rows)
    codes = list(db.execute(select(Customer.code)).scalars())
    assert len(codes) == len(set(codes))  # no code reused
    for merged in db.execute(select(Customer).where(Customer.status == CustomerStatus.MERGED)).scalars():
        assert repository.get_by_code(db, merged.code).status is CustomerStatus.ACTIVE
    recorded = Counter(db.execute(select(CustomerHistory.action)).scalars())
    assert all(recorded[action] == n for action, n in actions.items())  # history complete
