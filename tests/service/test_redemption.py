"""Redemption on the real database: checks, one redemption per request key, cancellation, and no overdraw at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from telcocrm.db.engine import session_factory
from telcocrm.errors import Conflict, TelcoError
from telcocrm.loyalty import cards, ledger, redemption, rewards
from telcocrm.loyalty.ledger_repository import ENTRY
from telcocrm.models import Reward
from telcocrm.models.enums import CardHolder, CardKind, RedemptionChannel, RedemptionStatus, StockAction
from telcocrm.staff.rules import Viewer
from tests.loyalty_factories import TODAY, add_reward, give_points, person_with_value


def redeem(engine: Engine, viewer: Viewer, code: str, reward: str, key: str, quantity: int = 1) -> redemption.Outcome:
    with session_factory(engine)() as db:
        done = redemption.redeem(
            db=db, viewer=viewer, customer_code=code, reward_code=reward, request_key=key, quantity=quantity,
            channel=RedemptionChannel.COUNTER, on=TODAY,
        )  # fmt: skip
        db.commit()
        return done


def balance(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return ledger.balance_of(conn, customer_code=code)


def entry_sum(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(ENTRY.c.points), 0))).scalar_one())


def stock(engine: Engine, code: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(Reward.stock).where(Reward.code == code)).scalar_one()


def test_a_redemption_spends_takes_stock_and_a_retry_redeems_once(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 1000)
    add_reward(clean_engine, admin, "router", price=300, stock=5)
    first = redeem(clean_engine, admin, code, "router", "req-1", quantity=2)
    retry = redeem(clean_engine, admin, code, "router", "req-1", quantity=2)
    assert not first.replayed and retry.replayed and retry.redemption.id == first.redemption.id
    assert (first.redemption.points, first.redemption.status) == (600, RedemptionStatus.REDEEMED)
    assert balance(clean_engine, code) == 400 and stock(clean_engine, "router") == 3
    with pytest.raises(Conflict) as other:
        redeem(clean_engine, admin, code, "router", "req-1", quantity=1)
    assert other.value.field == "request_key"


def test_short_balance_empty_stock_and_ineligible_customers_are_refused_and_nothing_moves(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, segment="family")
    give_points(clean_engine, code, 500)
    add_reward(clean_engine, admin, "tv", price=400, stock=1)
    add_reward(clean_engine, admin, "consulting", price=10, segments=["government_enterprise"])
    add_reward(clean_engine, admin, "salon", price=10, card_levels=["diamond"])
    with pytest.raises(Conflict) as short:
        redeem(clean_engine, admin, code, "tv", "a", quantity=2)
    assert short.value.field == "stock"
    redeem(clean_engine, admin, code, "tv", "b")
    fields = []
    for reward, key in (("tv", "c"), ("consulting", "d"), ("salon", "e")):
        with pytest.raises(Conflict) as refused:
            redeem(clean_engine, admin, code, reward, key)
        fields.append(refused.value.field)
    assert fields == ["stock", "segments", "card_levels"]
    add_reward(clean_engine, admin, "big", price=200)
    with pytest.raises(Conflict) as broke:
        redeem(clean_engine, admin, code, "big", "f")
    assert broke.value.field == "points"
    assert balance(clean_engine, code) == 100 and stock(clean_engine, "tv") == 0
    assert entry_sum(clean_engine) == 100


def test_a_card_of_the_right_level_opens_a_club_reward(clean_engine: Engine, admin: Viewer, tmp_path: Path) -> None:
    code = person_with_value(clean_engine, admin, tmp_path, star_tier="vip")
    give_points(clean_engine, code, 100)
    add_reward(clean_engine, admin, "salon", price=10, card_levels=["diamond"])
    with session_factory(clean_engine)() as db:
        assert [o.reward.code for o in redemption.offers_for(db=db, customer_code=code, on=TODAY)] == []
        cards.issue_card(db=db, viewer=admin, customer_code=code, kind=CardKind.TRAVEL, holder=CardHolder.PERSONAL)
        db.commit()
        offers = redemption.offers_for(db=db, customer_code=code, on=TODAY)
    assert [(o.reward.code, o.affordable) for o in offers] == [("salon", True)]
    assert redeem(clean_engine, admin, code, "salon", "club-1").redemption.points == 10


def test_cancelling_gives_points_and_stock_back_once_with_history(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    code = person_with_value(clean_engine, admin, tmp_path)
    give_points(clean_engine, code, 300, key="a")
    give_points(clean_engine, code, 300, key="b")
    add_reward(clean_engine, admin, "kettle", price=250, stock=4)
    done = redeem(clean_engine, admin, code, "kettle", "k1", quantity=2)  # 500 points, drawn from both lots
    with session_factory(clean_engine)() as db:
        cancelled = redemption.cancel_redemption(
            db=db, viewer=admin, redemption_id=done.redemption.id, note="退货 / returned"
        )
        db.commit()
        with pytest.raises(Conflict, match="已取消"):
            redemption.cancel_redemption(db=db, viewer=admin, redemption_id=done.redemption.id)
        db.rollback()
        history = redemption.redemption_history(db=db, redemption_id=done.redemption.id)
        moves = [(h.action, h.change, h.stock_after) for h in rewards.stock_history(db=db, code="kettle")]
    assert (
        cancelled.redemption.status is RedemptionStatus.CANCELLED
        and cancelled.redemption.cancelled_by == admin.username
    )
    assert [(h.status, h.note) for h in history] == [
        (RedemptionStatus.REDEEMED, None),
        (RedemptionStatus.CANCELLED, "退货 / returned"),
    ]
    assert moves == [(StockAction.INITIAL, None, 4), (StockAction.REDEEMED, -2, 2), (StockAction.CANCELLED, 2, 4)]
    assert balance(clean_engine, code) == 600 == entry_sum(clean_engine)


def run_at_once(threads: int, attempt: Callable[[int], str]) -> list[str]:
    """Start `threads` attempts at the same moment; their outcomes."""
    start = threading.Barrier(threads)
    outcomes: list[str] = []

    def run(n: int) -> None:
        start.wait()
        outcomes.append(attempt(n))

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def test_twenty_customers_at_once_never_take_more_than_the_stock(
    clean_engine: Engine, admin: Viewer, tmp_path: Path
) -> None:
    threads, units = 20, 7
    with session_factory(clean_engine)() as db:
        from tests.factories import make_person

        codes = [make_person(db, admin).code for _ in range(threads)]
        db.commit()
    for code in codes:
        give_points(clean_engine, code, 100)
    add_reward(clean_engine, admin, "phone", price=100, stock=units)

    def attempt(n: int) -> str:
        try:
            redeem(clean_engine, admin, codes[n], "phone", f"phone-{n}")
            return "redeemed"
        except TelcoError as refused:
            return f"refused:{refused.field}"

    outcomes = run_at_once(threads, attempt)
    assert outcomes.count("redeemed") == units
    assert outcomes.count("refused:stock") == threads - units
    assert stock(clean_engine, "phone") == 0
    assert entry_sum(clean_engine) == (threads - units) * 100  # the refused kept their points


def test_the_file_catalogue_is_loaded_once_and_staff_edits_survive_a_resync(
    clean_engine: Engine, admin: Viewer
) -> None:
    from telcocrm.loyalty.catalogue import load_catalogue

    with session_factory(clean_engine)() as db:
        added = rewards.sync_catalogue(db=db, viewer=admin)
        rewards.update_reward(db=db, viewer=admin, code=added[0], changes={"points_price": 1})
        db.commit()
        again = rewards.sync_catalogue(db=db, viewer=admin)
        db.commit()
        prices = {r.code: r.points_price for r in rewards.list_rewards(db=db)}
    assert added == [spec.code for spec in load_catalogue().rewards] and again == []
    expected = {spec.code: spec.points_price for spec in load_catalogue().rewards} | {added[0]: 1}
    assert prices == expected  # the resync neither re-adds nor overwrites the edited price
