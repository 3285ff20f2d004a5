"""Points, rewards and the after-run checks of benchmarks/bench_redemption.py (PostgreSQL).

The points come through the ledger's own bulk path (post_awards, as the monthly run posts them) from a
synthetic awards table, so 100,000 accounts open and earn in a few statements. The checks read only the
database and the answers wrk saw: each 201 is exactly one redemption whose ledger entries took its points,
no account or lot went below zero, every account's balance is what it earned less what it redeemed, and the
limited reward's stock is its initial count less the units redeemed, never negative.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine, func, select, text

from telcocrm.db.engine import session_factory
from telcocrm.jobs.rules import load_rules
from telcocrm.kit.months import previous_calendar_month
from telcocrm.loyalty import ledger, rewards
from telcocrm.loyalty.catalogue import RewardSpec
from telcocrm.models import Customer, Redemption, Reward
from telcocrm.models.enums import RewardCategory, StaffRole
from telcocrm.staff.rules import viewer_for

UNLIMITED = "bench_unlimited"
LIMITED = "bench_limited"
PRICE = 100  # points per unit of either reward
RECORDER = "benchmark"


@dataclass(frozen=True)
class Check:
    """One statement about the database after a run, and whether it held."""

    statement: str
    held: bool


def give_points(engine: Engine, points: int, hot: list[str], hot_points: int) -> ledger.PostingSummary:
    """Every customer earns `points` last month, the `hot` ones `hot_points` more (a rerun posts nothing twice)."""
    month = previous_calendar_month(ledger.today())
    with engine.connect() as conn:
        codes = list(conn.execute(select(Customer.code).order_by(Customer.id)).scalars())
    rows = [(code, "bench.grant", points) for code in codes] + [(code, "bench.hot", hot_points) for code in hot]
    awards = pa.table(
        {
            "month": [month] * len(rows),
            "customer_code": [code for code, _, _ in rows],
            "rule": [rule for _, rule, _ in rows],
            "source": ["benchmark"] * len(rows),
            "points": [value for _, _, value in rows],
            "published": [True] * len(rows),
            "reason": ["基准测试 / benchmark"] * len(rows),
        }
    )
    with engine.begin() as conn:
        posted = ledger.post_awards(
            conn,
            awards,
            month=month,
            expiry_years=load_rules().loyalty.expiry_calendar_years,
            recorded_by=RECORDER,
            month_complete=False,
        )
    # Planner statistics, as a server holds them a while after the monthly posting (autovacuum's analyze):
    # right after it, the lots query intersects the account's index with every lot (`lot_id IS NULL`).
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE points_account, points_entry")
        )
    return posted


def ensure_rewards(engine: Engine, stock: int) -> None:
    """The two rewards, once: one without a stock limit, one with `stock` units; anyone may redeem either."""
    viewer = viewer_for("bench_administrator", StaffRole.ADMINISTRATOR)
    since = ledger.today() - timedelta(days=365)
    with session_factory(engine)() as db:
        known = set(db.execute(select(Reward.code)).scalars())
        for code, units in ((UNLIMITED, None), (LIMITED, stock)):
            if code in known:
                continue
            spec = RewardSpec(
                code=code, name=f"基准测试奖品 {code}", category=RewardCategory.GOODS, points_price=PRICE,
                stock=units, valid_from=since,
            )  # fmt: skip
            rewards.add_reward(db=db, viewer=viewer, spec=spec, note=RECORDER)
        db.commit()


def settle(engine: Engine, quiet: float = 1.0, longest: float = 30.0) -> None:
    """Wait until no redemption has been added for `quiet` seconds: requests wrk left in flight finish first."""
    count = select(func.count()).select_from(Redemption)
    deadline = time.monotonic() + longest
    with engine.connect() as conn:
        seen = conn.execute(count).scalar_one()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = conn.execute(count).scalar_one()
            conn.rollback()  # a fresh snapshot for the next look
            if now == seen:
                return
            seen = now


def read_answers(folder: Path, prefix: str) -> list[tuple[int, str, int]]:
    """(status, request key, redemption id) of every 200 and 201 the wrk threads wrote for a run."""
    answers = []
    for file in sorted(folder.glob(f"{prefix}-*.txt")):
        for line in file.read_text(encoding="utf-8").splitlines():
            status, key, redemption_id = line.split()
            answers.append((int(status), key, int(redemption_id) if redemption_id.isdigit() else -1))
    return answers


def check_answers(engine: Engine, key_prefix: str, answers: list[tuple[int, str, int]], in_flight: int) -> list[Check]:
    """Each 201 is exactly one redemption of this run; each 200 replays one; nothing else was redeemed."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT request_key, id FROM redemption WHERE request_key LIKE :keys"), {"keys": f"{key_prefix}-%"}
        )
        made: dict[str, int] = {str(key): int(rid) for key, rid in rows}
    created = [(key, rid) for status, key, rid in answers if status == 201]
    replays = [(key, rid) for status, key, rid in answers if status == 200]
    unanswered = len(made) - len({key for key, _ in created})
    return [
        Check(
            f"201 answers {len(created):,}: each names its own request key and the redemption made for it",
            len({key for key, _ in created}) == len(created) and all(made.get(key) == rid for key, rid in created),
        ),
        Check(
            f"200 answers {len(replays):,} (retries): each returns the redemption its key made first",
            all(made.get(key) == rid for key, rid in replays),
        ),
        Check(
            f"redemptions of this run {len(made):,} = 201 answers + {unanswered:,} still in flight when wrk stopped "
            f"(at most {in_flight})",
            0 <= unanswered <= in_flight,
        ),
    ]


LEDGER_SQL = """
WITH per_account AS (
    SELECT e.account_id,
           sum(e.points) AS balance,
           sum(CASE WHEN e.lot_id IS NULL AND e.points > 0 THEN e.points ELSE 0 END) AS granted,
           -sum(CASE WHEN e.kind = 'spend' THEN e.points ELSE 0 END) AS spent
    FROM points_entry e GROUP BY e.account_id
), redeemed AS (
    SELECT customer_code, sum(points) AS points FROM redemption WHERE status = 'redeemed' GROUP BY customer_code
)
SELECT count(*),
       count(*) FILTER (WHERE p.balance < 0),
       count(*) FILTER (WHERE p.spent <> coalesce(r.points, 0) OR p.balance <> p.granted - coalesce(r.points, 0))
FROM per_account p JOIN points_account a ON a.id = p.account_id LEFT JOIN redeemed r USING (customer_code)
"""

OVERDRAWN_LOTS_SQL = """
SELECT count(*) FROM (
    SELECT lot.id FROM points_entry lot LEFT JOIN points_entry d ON d.lot_id = lot.id
    WHERE lot.lot_id IS NULL AND lot.points > 0
    GROUP BY lot.id, lot.points HAVING lot.points + coalesce(sum(d.points), 0) < 0
) overdrawn
"""

UNMATCHED_SQL = """
SELECT count(*) FROM (
    SELECT r.id FROM redemption r LEFT JOIN points_entry e ON e.reference = r.reference AND e.kind = 'spend'
    GROUP BY r.id, r.points HAVING coalesce(sum(e.points), 0) <> -r.points
) unmatched
"""

ORPHAN_SPENDS_SQL = """
SELECT count(*) FROM points_entry e
WHERE e.kind = 'spend' AND NOT EXISTS (SELECT 1 FROM redemption r WHERE r.reference = e.reference)
"""

STOCK_SQL = """
SELECT r.stock,
       (SELECT h.stock_after FROM reward_stock_history h WHERE h.reward_id = r.id AND h.action = 'initial'),
       (SELECT coalesce(sum(quantity), 0) FROM redemption x WHERE x.reward_id = r.id AND x.status = 'redeemed'),
       (SELECT count(*) FROM reward_stock_history h WHERE h.reward_id = r.id AND h.action = 'redeemed')
FROM reward r WHERE r.code = :code
"""


def check_ledger(engine: Engine) -> list[Check]:
    """Over the whole database: balances, lots, ledger against redemptions, and the limited stock."""
    with engine.connect() as conn:
        accounts, negative, mismatched = conn.execute(text(LEDGER_SQL)).one()
        overdrawn = conn.execute(text(OVERDRAWN_LOTS_SQL)).scalar_one()
        unmatched = conn.execute(text(UNMATCHED_SQL)).scalar_one()
        orphans = conn.execute(text(ORPHAN_SPENDS_SQL)).scalar_one()
        stock, initial, units, history = conn.execute(text(STOCK_SQL), {"code": LIMITED}).one()
    return [
        Check(f"accounts with a balance (sum of entries) below 0: {negative} of {accounts:,}", negative == 0),
        Check(f"lots overdrawn (earned + draws < 0): {overdrawn}", overdrawn == 0),
        Check(
            f"accounts whose balance ≠ earned − redeemed, or spent ≠ redeemed: {mismatched} of {accounts:,}",
            mismatched == 0,
        ),
        Check(f"redemptions whose spend entries do not sum to their points: {unmatched}", unmatched == 0),
        Check(f"spend entries without a redemption: {orphans}", orphans == 0),
        Check(
            f"{LIMITED}: stock {stock} = initial {initial} − {units} units redeemed, ≥ 0, one history row each "
            f"({history})",
            stock is not None and stock >= 0 and stock == initial - units and history == units,
        ),
    ]
