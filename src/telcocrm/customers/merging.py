"""Merge and split: subscribers, accounts, certificates and relations move; codes and history stay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, update
from sqlalchemy.orm import Session

from telcocrm.customers import codes, repository
from telcocrm.customers.schemas import SplitRequest
from telcocrm.customers.service import create_customer, require_active, snapshot, write_history
from telcocrm.db.types import utc_now
from telcocrm.errors import InvalidInput, NotFound
from telcocrm.models import (
    BillingAccount,
    Certificate,
    Customer,
    CustomerProfile,
    CustomerRelation,
    Subscriber,
)
from telcocrm.models.enums import AccountType, CustomerStatus, HistoryAction
from telcocrm.staff.rules import Viewer

PROFILE_FIELDS = [c.key for c in CustomerProfile.__table__.columns if c.key not in {"customer_id", "changed_at"}]


def merge_customers(
    *, db: Session, viewer: Viewer, survivor_code: str, merged_code: str, reason: str | None = None
) -> Customer:
    """Merge customer B (`merged_code`) into A: B's holdings move to A, B is kept and points to A."""
    survivor = repository.get_by_code(db, survivor_code, for_update=True)
    merged = repository.get_exact(db, merged_code)
    _check_mergeable(survivor, merged)
    before_a, before_b = snapshot(survivor), snapshot(merged)
    moved = _move_holdings(db, source_id=merged.id, target_id=survivor.id)
    _merge_profile(db, source_id=merged.id, target_id=survivor.id)
    merged.status = CustomerStatus.MERGED
    merged.merged_into_code = survivor.code
    merged.changed_at = survivor.changed_at = utc_now()
    # Keep every old code one hop from its survivor, so a lookup never walks a long chain.
    db.execute(update(Customer).where(Customer.merged_into_code == merged.code).values(merged_into_code=survivor.code))
    db.flush()
    detail = {"merged_code": merged.code, "moved": moved}
    write_history(
        db,
        customer=survivor,
        action=HistoryAction.MERGE,
        viewer=viewer,
        before=before_a,
        after=snapshot(survivor) | detail,
        note=reason,
    )
    write_history(
        db,
        customer=merged,
        action=HistoryAction.MERGED_AWAY,
        viewer=viewer,
        before=before_b,
        after=snapshot(merged),
        note=reason,
    )
    return survivor


def _check_mergeable(survivor: Customer, merged: Customer) -> None:
    if merged.id == survivor.id:
        raise InvalidInput("不能将客户合并到自身 / cannot merge a customer into itself", field="merged_code")
    require_active(merged, field="merged_code")
    require_active(survivor, field="id")
    if merged.kind is not survivor.kind:
        raise InvalidInput(
            "个人客户与单位客户不能合并 / a person and an organisation cannot be merged", field="merged_code"
        )


def _move_holdings(db: Session, *, source_id: int, target_id: int) -> dict[str, int]:
    """Re-point subscribers, accounts, certificates and relations; returns how many of each moved."""
    moved = {}
    for name, table in (("subscribers", Subscriber), ("accounts", BillingAccount), ("certificates", Certificate)):
        stmt = update(table).where(table.customer_id == source_id).values(customer_id=target_id)
        moved[name] = _rows(db.execute(stmt))
    moved["relations"] = _move_relations(db, source_id=source_id, target_id=target_id)
    return moved


def _rows(result: Result[Any]) -> int:
    """How many rows an UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount)


def _move_relations(db: Session, *, source_id: int, target_id: int) -> int:
    """Relations of B become A's; a relation between A and B themselves, or a duplicate, is dropped."""
    rel = CustomerRelation
    db.execute(
        delete(rel).where(
            ((rel.customer_id == source_id) & (rel.related_customer_id == target_id))
            | ((rel.customer_id == target_id) & (rel.related_customer_id == source_id))
        )
    )
    count = _rows(db.execute(update(rel).where(rel.customer_id == source_id).values(customer_id=target_id)))
    count += _rows(
        db.execute(update(rel).where(rel.related_customer_id == source_id).values(related_customer_id=target_id))
    )
    seen: set[tuple[int, int, str]] = set()
    for relation in repository.relations_touching(db, target_id):
        key = (relation.customer_id, relation.related_customer_id, relation.relation_type.value)
        if key in seen:
            db.delete(relation)
        seen.add(key)
    return count


def _merge_profile(db: Session, *, source_id: int, target_id: int) -> None:
    """Fill the survivor's empty profile fields from the merged customer's profile."""
    source = db.get(CustomerProfile, source_id)
    if source is None:
        return
    target = db.get(CustomerProfile, target_id)
    if target is None:
        target = CustomerProfile(customer_id=target_id)
        db.add(target)
    for name in PROFILE_FIELDS:
        if getattr(target, name) in (None, False) and getattr(source, name) not in (None, False):
            setattr(target, name, getattr(source, name))


@dataclass
class SplitOutcome:
    """The new customer and what moved to it."""

    customer: Customer
    moved_subscribers: list[str]
    moved_accounts: list[str]
    new_accounts: list[str]


def split_customer(*, db: Session, viewer: Viewer, code: str, request: SplitRequest) -> SplitOutcome:
    """Move the chosen subscribers with their accounts to a new customer.

    An account used only by chosen subscribers moves whole; an account they share with subscribers that
    stay gets a new individual account for the new customer, with the same payment method.
    """
    source = repository.get_by_code(db, code, for_update=True)
    require_active(source, field="id")
    chosen = _chosen_subscribers(db, source, request.subscriber_codes)
    target = create_customer(db=db, viewer=viewer, data=request.new_customer)
    before = snapshot(source)
    outcome = SplitOutcome(target, [s.subscriber_code for s in chosen], [], [])
    staying = {
        s.account_id
        for s in repository.subscribers_of(db, source.id)
        if s.subscriber_code not in set(outcome.moved_subscribers)
    }
    for account_id in dict.fromkeys(s.account_id for s in chosen):
        account = db.get(BillingAccount, account_id)
        assert account is not None
        if account_id in staying:
            account = _new_account_like(db, account, target)
            outcome.new_accounts.append(account.account_code)
        else:
            account.customer_id = target.id
            outcome.moved_accounts.append(account.account_code)
        for subscriber in chosen:
            if subscriber.account_id == account_id:
                subscriber.account_id = account.id
                subscriber.customer_id = target.id
    source.changed_at = utc_now()
    db.flush()
    detail = {
        "new_customer": target.code,
        "subscribers": outcome.moved_subscribers,
        "accounts": outcome.moved_accounts,
        "new_accounts": outcome.new_accounts,
    }
    write_history(
        db, customer=source, action=HistoryAction.SPLIT, viewer=viewer, before=before, after=snapshot(source) | detail
    )
    write_history(
        db,
        customer=target,
        action=HistoryAction.SPLIT_FROM,
        viewer=viewer,
        before=None,
        after=snapshot(target) | {"from": source.code, **detail},
    )
    return outcome


def _chosen_subscribers(db: Session, source: Customer, subscriber_codes: list[str]) -> list[Subscriber]:
    wanted = list(dict.fromkeys(subscriber_codes))
    found = {s.subscriber_code: s for s in repository.subscribers_by_code(db, wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(
            f"用户 {', '.join(missing)} 不存在 / subscriber not found", field="subscriber_codes", record=missing[0]
        )
    foreign = [c for c in wanted if found[c].customer_id != source.id]
    if foreign:
        raise InvalidInput(
            f"用户 {', '.join(foreign)} 不属于客户 {source.code} / subscriber belongs to another customer",
            field="subscriber_codes",
            record=foreign[0],
        )
    return [found[c] for c in wanted]


def _new_account_like(db: Session, template: BillingAccount, owner: Customer) -> BillingAccount:
    account = BillingAccount(
        account_code=codes.new_account_codes(db, 1)[0],
        customer_id=owner.id,
        name=owner.name,
        account_type=AccountType.INDIVIDUAL,
        payment_method=template.payment_method,
    )
    db.add(account)
    db.flush()
    return account
