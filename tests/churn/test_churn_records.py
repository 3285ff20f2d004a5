"""The churn database: leavers from the monthly run, saves at the leaving point, survey answers, the win-back list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from telcocrm.analytics import schemas
from telcocrm.analytics.store import AnalyticsStore
from telcocrm.churn import records, save_offers
from telcocrm.churn import records_repository as repository
from telcocrm.churn.cost_cap import load_retention_rules, retention_cost_cap
from telcocrm.churn.leavers import record_month_leavers
from telcocrm.churn.records_rules import counts_for_win_back, load_records_rules, signals_for
from telcocrm.churn.records_schemas import ChurnRecordUpdate, SaveAttemptCreate
from telcocrm.db.engine import session_factory
from telcocrm.errors import InvalidInput
from telcocrm.models import AuditRecord, ChurnRecord, ChurnRecordHistory, SaveAttempt
from telcocrm.models.enums import (
    ChurnControllability,
    ChurnDestination,
    ChurnReason,
    ChurnRecordSource,
    SaveFlow,
    SaveOutcome,
)
from telcocrm.staff.rules import Viewer
from tests.assessment_factories import write
from tests.churn_factories import MONTH, base_row, feature_row, line_with_value, run_files, write_caps

NEXT = "2026-11"


@pytest.fixture
def session(clean_engine: Engine) -> Iterator[Session]:
    with session_factory(clean_engine)() as db:
        yield db


def churn_rows(engine: Engine) -> dict[str, ChurnRecord]:
    with session_factory(engine)() as db:
        return {r.subscriber_code: r for r in db.execute(select(ChurnRecord)).scalars()}


# --- leavers from the monthly run -----------------------------------------------------------------------------------


def leaver_files(root: Path) -> tuple[Path, Path]:
    """L1 leaves for good; L2 leaves and its customer opens a line next month (own product); L3 stays."""
    month_dir = root / "results" / f"month={MONTH}"
    features, base = run_files(
        month_dir,
        [feature_row("L1", "C1", left=True, arpu_fen=12_000), feature_row("L2", "C2", left=True),
         feature_row("L3", "C3", left=False)],
        [base_row("L1", "C1", terminated=date(2026, 10, 12)), base_row("L2", "C2", terminated=date(2026, 10, 20)),
         base_row("L3", "C3")],
        tiers={"C1": "high", "C2": "mid", "C3": "low"},
    )  # fmt: skip
    next_dir = root / "results" / f"month={NEXT}"
    next_dir.mkdir(parents=True)
    write(next_dir / "base.parquet", schemas.BASE, [base_row("N2", "C2", activated=date(2026, 11, 3))])
    return features, base


def test_every_leaver_becomes_a_record_with_its_facts_and_destination(clean_engine: Engine, tmp_path: Path) -> None:
    features, base = leaver_files(tmp_path)
    assert record_month_leavers(clean_engine, MONTH, features, base) == 2
    found = churn_rows(clean_engine)
    assert set(found) == {"L1", "L2"}  # L3 is still in the network
    first, second = found["L1"], found["L2"]
    assert (first.terminated_date, first.value_tier, first.arpu_fen) == (date(2026, 10, 12), "high", 12_000)
    assert first.destination is ChurnDestination.UNKNOWN and first.reason is None
    assert second.destination is ChurnDestination.OWN_PRODUCT  # a new line of the same customer next month
    assert {r.source for r in found.values()} == {ChurnRecordSource.MONTHLY_RUN}


def test_a_rerun_adds_nothing_and_keeps_what_was_surveyed(clean_engine: Engine, tmp_path: Path, admin: Viewer) -> None:
    features, base = leaver_files(tmp_path)
    record_month_leavers(clean_engine, MONTH, features, base)
    surveyed = churn_rows(clean_engine)["L1"]
    with session_factory(clean_engine)() as db:
        answers = ChurnRecordUpdate(reason=ChurnReason.PRICE, destination=ChurnDestination.COMPETITOR, competitor="X")
        records.update_record(db=db, viewer=admin, record_id=surveyed.id, data=answers)
        db.commit()
    assert record_month_leavers(clean_engine, MONTH, features, base) == 0
    again = churn_rows(clean_engine)
    assert len(again) == 2
    assert (again["L1"].reason, again["L1"].destination, again["L1"].competitor) == (
        ChurnReason.PRICE, ChurnDestination.COMPETITOR, "X",
    )  # fmt: skip


# --- the save at the leaving point (DS002) ----------------------------------------------------------------------------


def test_offers_stay_within_the_cap_and_a_dearer_offer_is_refused(
    clean_engine: Engine, session: Session, tmp_path: Path, admin: Viewer
) -> None:
    line = line_with_value(clean_engine, admin, tmp_path, value_tier="high", stage="warning")
    store = AnalyticsStore(tmp_path / "analytics")
    write_caps(store, MONTH, {line.customer_code: 15_000})
    found_line, customer = save_offers.find_line(session, line.service_number)
    counter = save_offers.counter(session, found_line, customer, ChurnReason.PRICE, rules=load_records_rules(),
                                  store=store)  # fmt: skip
    assert (counter.cap.cap_fen, counter.cap.month, counter.cap.computed) == (15_000, MONTH, False)
    assert (counter.value_tier, counter.lifecycle_stage) == ("high", "warning")
    assert counter.offers and all(m.cost_fen <= 15_000 for m in counter.offers)
    signals = set(signals_for(ChurnReason.PRICE, load_records_rules()))
    assert all(signals & set(m.signals) for m in counter.offers)
    dearer = [m for m in load_retention_rules().measures if m.offered and m.cost_fen > 15_000]
    assert dearer, "the catalogue needs a measure above the cap for this test"
    with pytest.raises(InvalidInput) as refused:
        records.record_save_attempt(db=session, viewer=admin, store=store, data=SaveAttemptCreate(
            service_number=line.service_number, reason=ChurnReason.PRICE, measure_code=dearer[0].code,
            outcome=SaveOutcome.REFUSED,
        ))  # fmt: skip
    assert refused.value.field == "measure_code"


def test_a_refused_save_records_the_reason_with_its_default_classification(
    clean_engine: Engine, session: Session, tmp_path: Path, admin: Viewer
) -> None:
    line = line_with_value(clean_engine, admin, tmp_path, value_tier="high")
    store = AnalyticsStore(tmp_path / "analytics")
    write_caps(store, MONTH, {line.customer_code: 15_000})
    offer = save_offers.counter(session, *save_offers.find_line(session, line.service_number), ChurnReason.PRICE,
                                rules=load_records_rules(), store=store).offers[-1]  # fmt: skip
    done = records.record_save_attempt(db=session, viewer=admin, store=store, data=SaveAttemptCreate(
        service_number=line.service_number, reason=ChurnReason.PRICE, measure_code=offer.code,
        outcome=SaveOutcome.REFUSED, note="去竞争对手 / going to a rival",
    ))  # fmt: skip
    session.commit()
    attempt, record = done.attempt, done.record
    assert (attempt.flow, attempt.cap_fen, attempt.offer_cost_fen) == (SaveFlow.LEAVING_POINT, 15_000, offer.cost_fen)
    assert record is not None and attempt.churn_record_id == record.id
    defaults = load_records_rules().reasons[ChurnReason.PRICE]
    assert (record.reason, record.source, record.month_left) == (ChurnReason.PRICE, ChurnRecordSource.COUNTER,
                                                                 records.local_month())  # fmt: skip
    assert (record.controllability, record.urgency) == (defaults.controllability, defaults.urgency)
    actions = set(session.execute(select(AuditRecord.action)).scalars())
    assert {"churn.save_attempt", "churn.record"} <= actions
    with pytest.raises(RuntimeError, match="append-only"):
        attempt.note = "changed"
        session.flush()


def test_without_a_caps_file_the_cap_is_computed_from_what_is_known(
    clean_engine: Engine, session: Session, tmp_path: Path, admin: Viewer
) -> None:
    line = line_with_value(clean_engine, admin, tmp_path, value_tier="mid")
    store = AnalyticsStore(tmp_path / "analytics")
    features = store.result_path(MONTH, "customer_features")
    features.parent.mkdir(parents=True)
    write(features, schemas.CUSTOMER_FEATURES, [{"customer_code": line.customer_code, "arpu_3m_fen": 20_000,
                                                 "group_size": 1}])  # fmt: skip
    counter = save_offers.counter(session, *save_offers.find_line(session, line.service_number), None,
                                  rules=load_records_rules(), store=store)  # fmt: skip
    expected = retention_cost_cap(arpu_fen=20_000, value_tier="mid", group_size=1, product="mobile",
                                  rules=load_retention_rules())  # fmt: skip
    assert (counter.cap.cap_fen, counter.cap.computed) == (expected, True)
    assert expected > 0 and all(m.cost_fen <= expected for m in counter.offers)


# --- survey answers and their history ----------------------------------------------------------------------------


def test_survey_answers_keep_history_and_audit(session: Session, admin: Viewer) -> None:
    record = ChurnRecord(subscriber_code="L9", customer_code="C9", month_left=MONTH, recorded_by="monthly-run",
                         source=ChurnRecordSource.MONTHLY_RUN)  # fmt: skip
    session.add(record)
    session.flush()
    records.update_record(
        db=session,
        viewer=admin,
        record_id=record.id,
        data=ChurnRecordUpdate(
            reason=ChurnReason.BILLING, controllability=ChurnControllability.EXTERNAL_HARD, note="回访 / callback"
        ),
    )
    assert record.controllability is ChurnControllability.EXTERNAL_HARD  # given by staff: kept
    assert record.urgency is load_records_rules().reasons[ChurnReason.BILLING].urgency  # not given: the default
    records.update_record(db=session, viewer=admin, record_id=record.id,
                          data=ChurnRecordUpdate(destination=ChurnDestination.OWN_PRODUCT))  # fmt: skip
    history = session.execute(select(ChurnRecordHistory).order_by(ChurnRecordHistory.id)).scalars().all()
    assert [(h.before, h.after) for h in history] == [
        ({"reason": None, "controllability": None, "urgency": None},
         {"reason": "billing", "controllability": "external_hard", "urgency": record.urgency.value}),
        ({"destination": "unknown"}, {"destination": "own_product"}),
    ]  # fmt: skip
    audits = session.execute(select(AuditRecord).where(AuditRecord.action == "churn.change")).scalars().all()
    assert [a.resource_id for a in audits] == [str(record.id)] * 2


# --- the win-back list (DS003) ----------------------------------------------------------------------------------------


def test_the_win_back_list_holds_valuable_controllable_leavers_not_yet_won_back(
    clean_engine: Engine, session: Session, tmp_path: Path, admin: Viewer
) -> None:
    won = line_with_value(clean_engine, admin, tmp_path)
    easy, controllable, hard = (ChurnControllability.INTERNAL_EASY, ChurnControllability.EXTERNAL_CONTROLLABLE,
                                ChurnControllability.INTERNAL_HARD)  # fmt: skip
    competitor, unknown, own = ChurnDestination.COMPETITOR, ChurnDestination.UNKNOWN, ChurnDestination.OWN_PRODUCT
    specs = {  # subscriber: (month left, value tier, arpu, controllability, destination)
        "HIGH": (MONTH, "high", 5_000, easy, competitor),
        "MID": ("2026-08", "mid", 9_000, controllable, unknown),
        "MID2": (MONTH, "mid", 3_000, easy, competitor),
        "LOW": (MONTH, "low", 50_000, easy, competitor),
        "OWN": (MONTH, "high", 50_000, easy, own),
        "HARD": (MONTH, "high", 50_000, hard, competitor),
        "OLD": ("2026-07", "high", 50_000, easy, competitor),
        won.subscriber_code: (MONTH, "high", 70_000, easy, competitor),
    }
    repository.insert_records(session, [
        {"subscriber_code": code, "customer_code": f"C{code}", "month_left": month, "value_tier": tier,
         "arpu_fen": arpu, "reason": ChurnReason.PRICE, "controllability": control, "destination": to,
         "source": ChurnRecordSource.MONTHLY_RUN, "recorded_by": "monthly-run"}
        for code, (month, tier, arpu, control, to) in specs.items()
    ])  # fmt: skip
    session.commit()
    wanted = repository.WinBackFilter(as_of_month=MONTH)
    listed = [row.record.subscriber_code for row in records.win_back_list(db=session, wanted=wanted)[0]]
    assert listed == [won.subscriber_code, "HIGH", "MID", "MID2"]  # high before mid, then by ARPU
    rule = load_records_rules().win_back
    for code, (month, tier, _arpu, control, to) in specs.items():  # the pure rule agrees with the query
        assert counts_for_win_back(month_left=month, as_of_month=MONTH, destination=to, value_tier=tier,
                                   controllability=control, won_back=False, rule=rule) == (code in listed)  # fmt: skip
    records.record_save_attempt(db=session, viewer=admin, store=AnalyticsStore(tmp_path / "analytics"),
                                data=SaveAttemptCreate(subscriber_code=won.subscriber_code, flow=SaveFlow.WIN_BACK,
                                                       outcome=SaveOutcome.SAVED))  # fmt: skip
    session.commit()
    rows, total = records.win_back_list(db=session, wanted=wanted)
    assert [row.record.subscriber_code for row in rows] == ["HIGH", "MID", "MID2"] and total == 3
    attempt = session.execute(select(SaveAttempt)).scalar_one()
    assert attempt.churn_record_id is not None  # the win-back belongs to the record the line left with
    only_mid = repository.WinBackFilter(as_of_month=MONTH, value_tier="mid")
    assert records.win_back_list(db=session, wanted=only_mid)[1] == 2


def test_a_leave_announced_at_the_counter_is_confirmed_by_the_run(clean_engine: Engine, tmp_path: Path) -> None:
    features, base = leaver_files(tmp_path)
    with session_factory(clean_engine)() as db:  # refused at the counter in September; billing ends it in October
        repository.insert_records(db, [{"subscriber_code": "L1", "customer_code": "C1", "month_left": "2026-09",
                                        "reason": ChurnReason.BILLING, "source": ChurnRecordSource.COUNTER,
                                        "recorded_by": "clerk"}])  # fmt: skip
        db.commit()
    assert record_month_leavers(clean_engine, MONTH, features, base) == 1  # only L2 is new
    confirmed = churn_rows(clean_engine)["L1"]
    assert (confirmed.month_left, confirmed.terminated_date) == (MONTH, date(2026, 10, 12))
    assert (confirmed.reason, confirmed.source, confirmed.value_tier) == (
        ChurnReason.BILLING, ChurnRecordSource.COUNTER, "high")  # fmt: skip


def test_a_month_with_more_leavers_than_a_statement_takes_parameters_is_recorded(
    clean_engine: Engine, tmp_path: Path
) -> None:
    # 70,000 leavers: more than the 65,535 parameters a PostgreSQL statement may carry; a
    # 10M-subscriber month has some 140,000. One of them was announced at the counter the month before.
    count = 70_000
    codes = [f"L{n:06d}" for n in range(count)]
    features, base = run_files(
        tmp_path / "results" / f"month={MONTH}",
        [feature_row(code, f"C{code[1:]}", left=True) for code in codes],
        [base_row(code, f"C{code[1:]}", terminated=date(2026, 10, 12)) for code in codes],
        tiers={},
    )
    with session_factory(clean_engine)() as db:
        repository.insert_records(db, [{"subscriber_code": codes[-1], "customer_code": f"C{codes[-1][1:]}",
                                        "month_left": "2026-09", "reason": ChurnReason.BILLING,
                                        "source": ChurnRecordSource.COUNTER, "recorded_by": "clerk"}])  # fmt: skip
        db.commit()
    assert record_month_leavers(clean_engine, MONTH, features, base) == count - 1
    found = churn_rows(clean_engine)
    assert len(found) == count and found[codes[-1]].month_left == MONTH
