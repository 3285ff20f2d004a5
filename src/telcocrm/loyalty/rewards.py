"""The rewards catalogue: load it from catalogue.toml, edit it, and move its stock atomically with history.

Stock moves by one conditional UPDATE (`stock = stock - n WHERE stock >= n`) whose row count decides, so two
redemptions at once can never take the same last unit; the table's CHECK refuses a negative stock as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from telcocrm.db.types import utc_now
from telcocrm.errors import Conflict, InvalidInput, NotFound
from telcocrm.loyalty.catalogue import Catalogue, RewardSpec, load_catalogue
from telcocrm.loyalty.rewards_rules import RewardTerms
from telcocrm.models import Reward, RewardStockHistory
from telcocrm.models.enums import StockAction
from telcocrm.staff import audit
from telcocrm.staff.rules import Viewer

EDITABLE = frozenset(
    {"name", "category", "description", "points_price", "face_value_fen", "segments", "value_tiers"}
    | {"card_levels", "valid_from", "valid_to", "active"}
)


def terms_of(reward: Reward) -> RewardTerms:
    """What a redemption checks of a reward."""
    return RewardTerms(
        code=reward.code,
        active=reward.active,
        points_price=reward.points_price,
        segments=tuple(reward.segments),
        value_tiers=tuple(reward.value_tiers),
        card_levels=tuple(reward.card_levels),
        stock=reward.stock,
        valid_from=reward.valid_from,
        valid_to=reward.valid_to,
    )


def sync_catalogue(*, db: Session, viewer: Viewer, catalogue: Catalogue | None = None) -> list[str]:
    """Add the file's rewards the table lacks (returns their codes); rewards already there are the API's to edit."""
    specs = (catalogue or load_catalogue()).rewards
    known = set(db.execute(select(Reward.code)).scalars())
    added = [spec for spec in specs if spec.code not in known]
    for spec in added:
        add_reward(db=db, viewer=viewer, spec=spec, note=f"catalogue.toml {(catalogue or load_catalogue()).version}")
    return [spec.code for spec in added]


def add_reward(*, db: Session, viewer: Viewer, spec: RewardSpec, note: str | None = None) -> Reward:
    """Add a reward to the catalogue; its code must be new."""
    if db.execute(select(Reward.id).where(Reward.code == spec.code)).first() is not None:
        raise Conflict(f"奖品 {spec.code} 已存在 / reward {spec.code} exists", field="code", record=spec.code)
    reward = Reward(**_columns(spec.model_dump()), active=True)
    db.add(reward)
    db.flush()
    _stock_history(db, viewer, reward.id, StockAction.INITIAL, None, reward.stock, note=note)
    audit.record(db=db, viewer=viewer, action="reward.add", resource_type="reward", resource_id=reward.code)
    return reward


def _columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of a reward: enum lists stored as their plain values."""
    out = dict(values)
    for name in ("segments", "value_tiers", "card_levels"):
        if name in out:
            out[name] = [str(item) for item in out[name]]
    return out


def get_reward(*, db: Session, code: str) -> Reward:
    """The reward with this code."""
    reward = db.execute(select(Reward).where(Reward.code == code)).scalar_one_or_none()
    if reward is None:
        raise NotFound(f"奖品 {code} 不存在 / reward {code} not found", field="reward_code", record=code)
    return reward


def list_rewards(*, db: Session, include_withdrawn: bool = False) -> list[Reward]:
    """The catalogue in code order (withdrawn rewards only when asked)."""
    stmt = select(Reward).order_by(Reward.code)
    if not include_withdrawn:
        stmt = stmt.where(Reward.active)
    return list(db.execute(stmt).scalars())


def update_reward(*, db: Session, viewer: Viewer, code: str, changes: Mapping[str, Any]) -> Reward:
    """Change a reward's terms (not its stock: see `change_stock`, `set_stock`); the audit keeps before and after."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"不可修改 / not editable here: {', '.join(sorted(unknown))}", field=min(unknown))
    reward = get_reward(db=db, code=code)
    before = {name: _plain(getattr(reward, name)) for name in changes}
    terms = {name: value for name, value in changes.items() if name != "active"}
    # The reward as a whole must stay valid (dates in order, known segments …).
    merged = _columns(RewardSpec.model_validate({**_spec_values(reward), **terms}).model_dump())
    for name in changes:
        setattr(reward, name, merged.get(name, changes[name]))
    reward.changed_at = utc_now()
    db.flush()
    after = {name: _plain(getattr(reward, name)) for name in changes}
    detail = {"before": before, "after": after}
    audit.record(db=db, viewer=viewer, action="reward.change", resource_type="reward", resource_id=code, detail=detail)
    return reward


def _spec_values(reward: Reward) -> dict[str, Any]:
    names = set(RewardSpec.model_fields) - {"stock"}
    return {name: getattr(reward, name) for name in names}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def take_stock(db: Session, viewer: Viewer, reward: Reward, quantity: int, redemption_id: int) -> None:
    """Take units for a redemption in one conditional UPDATE; Conflict when fewer are left. Unlimited: nothing."""
    if reward.stock is None:
        return
    left = _move(db, reward.id, -quantity, Reward.stock >= quantity)
    if left is None:
        raise Conflict(
            f"奖品 {reward.code} 库存不足 {quantity} / reward {reward.code} has fewer than {quantity} left",
            field="stock",
            record=reward.code,
        )
    _stock_history(db, viewer, reward.id, StockAction.REDEEMED, -quantity, left, redemption_id=redemption_id)


def give_back_stock(db: Session, viewer: Viewer, reward: Reward, quantity: int, redemption_id: int) -> None:
    """Return a cancelled redemption's units (a reward made unlimited since takes nothing back)."""
    left = _move(db, reward.id, quantity, Reward.stock.is_not(None))
    if left is not None:
        _stock_history(db, viewer, reward.id, StockAction.CANCELLED, quantity, left, redemption_id=redemption_id)


def change_stock(*, db: Session, viewer: Viewer, code: str, change: int, note: str) -> Reward:
    """Staff add (or remove) units; refused for an unlimited reward or below zero."""
    reward = get_reward(db=db, code=code)
    if change == 0:
        raise InvalidInput("库存变动不能为 0 / a stock change cannot be 0", field="change", record=code)
    left = _move(db, reward.id, change, Reward.stock + change >= 0)
    if left is None:
        raise Conflict(
            f"奖品 {code} 库存不足或不限量 / reward {code} is unlimited or has fewer than {-change} left",
            field="stock",
            record=code,
        )
    _stock_history(db, viewer, reward.id, StockAction.RESTOCK, change, left, note=note)
    db.refresh(reward)
    return reward


def set_stock(*, db: Session, viewer: Viewer, code: str, stock: int | None, note: str) -> Reward:
    """Staff set the count after a stocktake, or make the reward unlimited (None)."""
    if stock is not None and stock < 0:
        raise InvalidInput(f"库存不能为负 / stock cannot be negative: {stock}", field="stock", record=code)
    reward = get_reward(db=db, code=code)
    db.execute(update(Reward).where(Reward.id == reward.id).values(stock=stock, changed_at=utc_now()))
    _stock_history(db, viewer, reward.id, StockAction.SET, None, stock, note=note)
    db.refresh(reward)
    return reward


def stock_history(*, db: Session, code: str) -> list[RewardStockHistory]:
    """Every change of a reward's stock, oldest first."""
    reward = get_reward(db=db, code=code)
    stmt = select(RewardStockHistory).where(RewardStockHistory.reward_id == reward.id)
    return list(db.execute(stmt.order_by(RewardStockHistory.id)).scalars())


def _move(db: Session, reward_id: int, change: int, condition: ColumnElement[bool]) -> int | None:
    """Add `change` to a limited stock when the condition holds; the count after, or None when no row moved."""
    stmt = (
        update(Reward)
        .where(Reward.id == reward_id, Reward.stock.is_not(None), condition)
        .values(stock=Reward.stock + change, changed_at=utc_now())
        .returning(Reward.stock)
        .execution_options(synchronize_session=False)
    )
    left = db.execute(stmt).scalar_one_or_none()
    return None if left is None else int(left)


def _stock_history(
    db: Session,
    viewer: Viewer,
    reward_id: int,
    action: StockAction,
    change: int | None,
    after: int | None,
    *,
    redemption_id: int | None = None,
    note: str | None = None,
) -> None:
    db.add(
        RewardStockHistory(
            reward_id=reward_id,
            action=action,
            change=change,
            stock_after=after,
            redemption_id=redemption_id,
            note=note,
            actor=viewer.username,
            at=utc_now(),
        )
    )


def reward_by_id(*, db: Session, reward_id: int) -> Reward:
    """The reward of a redemption."""
    return db.get_one(Reward, reward_id)
