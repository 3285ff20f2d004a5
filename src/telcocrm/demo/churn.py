"""The demo's churn database: every month's leavers recorded, most of them surveyed from the synthetic operator's
ground truth (reason and destination, as a churn survey would have found), and a few win-back calls."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine, func, select

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.jobs.monthly_run import RunReport
from telcocrm.models import ChurnRecord, SaveAttempt
from telcocrm.models.enums import ChurnDestination, ChurnReason, SaveFlow, SaveOutcome

Say = Callable[[str], None]
JOB = "demo"
SURVEYED_PER_TEN = 8  # most leavers answer the survey; the rest stay unknown, as in life
WIN_BACK_CALLS = 12
# The synthetic operator's reason codes (synth/catalogue.py CHURN_REASONS) in the survey's words.
TRUTH_REASONS = {
    "network_quality": ChurnReason.NETWORK_QUALITY,
    "price": ChurnReason.PRICE,
    "handset": ChurnReason.HANDSET_QUALITY,
    "billing": ChurnReason.BILLING,
    "after_sales": ChurnReason.AFTER_SALES,
    "channel_dumping": ChurnReason.CHANNEL_CARD_DUMPING,
}
CALL_OUTCOMES = (SaveOutcome.SAVED, SaveOutcome.REFUSED, SaveOutcome.UNREACHABLE, SaveOutcome.PENDING)


def prepare_demo_churn(database: Engine, operator_folder: Path, say: Say) -> None:
    """Survey most of the leavers the months' runs recorded from the truth, and make a few win-back calls."""
    store = AnalyticsStore.from_settings()
    surveyed = _survey(database, operator_folder / "truth" / "churn.parquet")
    calls = _win_back_calls(database, store)
    with database.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(ChurnRecord)).scalar_one()
    say(f"churn: {recorded:,} leavers recorded by the runs, {surveyed:,} surveyed, {calls} win-back calls")


def _answered(subscriber_code: str) -> bool:
    """A fixed, even-looking choice of who answered the survey (the same on every demo build)."""
    return zlib.crc32(subscriber_code.encode()) % 10 < SURVEYED_PER_TEN


def _survey(database: Engine, truth_path: Path) -> int:
    """Reason and destination from the truth for the leavers who answered; the rest stay as recorded."""
    from telcocrm.churn import records
    from telcocrm.churn.records_schemas import ChurnRecordUpdate
    from telcocrm.db.engine import session_scope
    from telcocrm.staff.rules import system_viewer

    if not truth_path.exists():
        return 0
    truth = {row["subscriber_id"]: row for row in pq.read_table(truth_path).to_pylist()}
    viewer, done = system_viewer(JOB), 0
    with session_scope(database) as db:
        unsurveyed = db.execute(select(ChurnRecord.id, ChurnRecord.subscriber_code).where(ChurnRecord.reason.is_(None)))
        for record_id, code in unsurveyed.all():
            known = truth.get(code)
            if known is None or not _answered(code) or known["reason"] not in TRUTH_REASONS:
                continue
            answers = ChurnRecordUpdate(
                reason=TRUTH_REASONS[known["reason"]],
                destination=ChurnDestination(known["destination"]),
                note="离网调查 / churn survey",
            )
            records.update_record(db=db, viewer=viewer, record_id=record_id, data=answers)
            done += 1
    return done


def _win_back_calls(database: Engine, store: AnalyticsStore) -> int:
    """A phone manager's first calls down the newest win-back list, with a mix of outcomes."""
    from telcocrm.churn import records
    from telcocrm.churn.records_repository import WinBackFilter
    from telcocrm.churn.records_schemas import SaveAttemptCreate
    from telcocrm.db.engine import session_scope
    from telcocrm.staff.rules import system_viewer

    months = store.months("results")
    viewer = system_viewer(JOB)
    with session_scope(database) as db:
        if not months or db.execute(select(SaveAttempt.id).where(SaveAttempt.flow == SaveFlow.WIN_BACK)).first():
            return 0  # no month run, or the calls were made by an earlier build
        rows, _total = records.win_back_list(db=db, wanted=WinBackFilter(as_of_month=months[-1]), limit=WIN_BACK_CALLS)
        for index, row in enumerate(rows):
            call = SaveAttemptCreate(
                subscriber_code=row.record.subscriber_code,
                flow=SaveFlow.WIN_BACK,
                outcome=CALL_OUTCOMES[index % len(CALL_OUTCOMES)],
                note="回归回访 / win-back call",
            )
            records.record_save_attempt(db=db, viewer=viewer, data=call, store=store)
    return len(rows)


def train_demo_churn_model(database: Engine, say: Say) -> RunReport | None:
    """Train the churn model on the demo's months, publish it, and run the last month again so it is scored.

    None (and a note) when the demo has too few months for a model: the run then warns by its rules alone.
    """
    from telcocrm.churn.monthly_model import publish_model, train_monthly_model
    from telcocrm.config import get_settings
    from telcocrm.errors import InvalidInput
    from telcocrm.jobs.monthly_run import run_month

    store = AnalyticsStore.from_settings()
    try:
        trained = train_monthly_model(store, say=say)
    except InvalidInput as exc:
        say(f"churn model: not trained ({exc})")
        return None
    publish_model(trained.model, get_settings().data_dir)
    figures = trained.out_of_time
    say(
        f"churn model {trained.version} ({trained.window.describe()}): out-of-time ROC AUC {figures['roc_auc']:.3f}, "
        f"top-decile capture {figures['top_decile_capture']:.0%} vs the rules' {trained.rules_top_decile_capture:.0%}"
    )
    last = store.months("results")[-1]
    report = run_month(last, database=database)
    say(f"{last}: run again with the churn model in {report.seconds:.1f} s")
    return report
