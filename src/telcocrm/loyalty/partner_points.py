"""Non-telecom points: a partner merchant's file of points our customers earned there, checked whole and posted.

The file is read and checked by the billing extracts' machinery (extracts/: the same column kinds, messages and
all-or-nothing refusal naming line and field). Its points are summed per customer, merchant and batch, and posted
to the ledger as awards with the rule `points.partner` and the source `partner:<merchant>:<batch>`: the same file
imported again posts nothing; a batch sent again with other figures is corrected by reversal, as the monthly
awards are. Partner points are always published: the customer earned them by choosing the partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from telcocrm.analytics.schemas import PARTNER_POINTS, POINTS_AWARDS
from telcocrm.extracts.checks import MonthContext, TableCheck
from telcocrm.extracts.contract import Column, Kind, Table
from telcocrm.extracts.known import known_customers
from telcocrm.extracts.reading import check_columns, read_batches
from telcocrm.imports.problems import ProblemLog
from telcocrm.kit.money import cny
from telcocrm.kit.months import parse_month
from telcocrm.loyalty.catalogue import load_catalogue
from telcocrm.loyalty.ledger import PostingSummary, post_awards

RULE = "points.partner"
RECORDER = "partner-import"


def partner_table() -> Table:
    """The partner file's contract: its columns, the merchants the catalogue knows, one row per transaction."""
    merchants = tuple(partner.code for partner in load_catalogue().partners)
    return Table(
        "partner_points",
        (
            Column("batch_id", Kind.TEXT),
            Column("merchant_code", Kind.TEXT, values=merchants),
            Column("customer_code", Kind.CUSTOMER),
            Column("transaction_date", Kind.DATE, in_month=True),
            Column("amount", Kind.MONEY, stored="amount_fen"),
            Column("points", Kind.COUNT),
            Column("reference", Kind.TEXT),
        ),
        key=("merchant_code", "reference"),
    )


@dataclass(frozen=True)
class PartnerImport:
    """What a partner file brought: its transactions, and what the ledger wrote for them."""

    transactions: int
    awards: int
    posting: PostingSummary


def import_partner_points(path: Path, month: str, *, engine: Engine, expiry_years: int) -> PartnerImport:
    """Check the file whole (ImportRefused naming every line and field at fault) and post its points."""
    parse_month(month)
    transactions = read_partner_file(path, month, engine)
    awards = partner_awards(transactions, month)
    with engine.begin() as conn:
        posting = post_awards(
            conn, awards, month=month, expiry_years=expiry_years, recorded_by=RECORDER, month_complete=False
        )
    return PartnerImport(transactions.num_rows, awards.num_rows, posting)


def read_partner_file(path: Path, month: str, engine: Engine) -> pa.Table:
    """The file's rows in schemas.PARTNER_POINTS, or ImportRefused: nothing is posted from a file with a fault."""
    table, problems = partner_table(), ProblemLog()
    problems.file = path.name
    present = check_columns(path, table, problems)
    if present is None:
        raise problems.refusal()
    context = MonthContext(month, pa.array([], pa.string()), known_customers(engine))
    check = TableCheck(table, context, problems)
    batches = [check.batch(batch) for batch in read_batches(path, present, problems)]
    check.finish()
    if problems:
        raise problems.refusal()
    return pa.Table.from_batches(batches, schema=PARTNER_POINTS)


def partner_awards(transactions: pa.Table, month: str) -> pa.Table:
    """One award per customer, merchant and batch (schemas.POINTS_AWARDS), with what was spent in the reason."""
    earned = transactions.filter(pc.greater(transactions["points"], 0))
    sums = earned.group_by(["customer_code", "merchant_code", "batch_id"]).aggregate(
        [("points", "sum"), ("amount_fen", "sum")]
    )
    names = {partner.code: partner for partner in load_catalogue().partners}
    rows = sums.to_pylist()
    return pa.table(
        {
            "month": [month] * len(rows),
            "customer_code": [row["customer_code"] for row in rows],
            "rule": [RULE] * len(rows),
            "source": [f"partner:{row['merchant_code']}:{row['batch_id']}" for row in rows],
            "points": [row["points_sum"] for row in rows],
            "published": [True] * len(rows),
            "reason": [_reason(row, names[row["merchant_code"]].zh, names[row["merchant_code"]].en) for row in rows],
        },
        schema=POINTS_AWARDS,
    )


def _reason(row: dict[str, object], zh: str, en: str) -> str:
    amount = cny(int(str(row["amount_fen_sum"])))
    return f"{zh}消费 {amount} 元，积分 {row['points_sum']} / spent {amount} CNY at {en}: {row['points_sum']} points"
