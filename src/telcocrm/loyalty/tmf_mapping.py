"""TMF658 Loyalty ↔ our points ledger: the response shapes (requests: tmf_requests.py; docs/tmf-mapping.md).

A member, its loyalty account and its loyalty balance are three views of one points account, all with the
customer code as id; an event is one ledger entry, with the entry id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from telcocrm.customers.tmf_mapping import build, characteristics, customer_href
from telcocrm.kit.timefmt import local_iso
from telcocrm.loyalty import ledger_rules
from telcocrm.loyalty.config import LoyaltyRules
from telcocrm.loyalty.ledger_repository import EntryRecord
from telcocrm.loyalty.ledger_rules import Lot
from telcocrm.loyalty.tmf_queries import Event, Member
from telcocrm.loyalty.tmf_rules import PROGRAMME_ID, Action, Catalogue, Condition, Rule, rule_of_entry

LOYALTY_BASE = "/tmf-api/loyalty/v4"
POINTS = "points"  # Money.unit of every quantity: points are not money


def href(collection: str, id_: str) -> str:
    """The path of a TMF658 resource."""
    return f"{LOYALTY_BASE}/{collection}/{id_}"


def ref(collection: str, id_: str, referred_type: str) -> dict[str, Any]:
    """A TMF658 reference (id, href, @referredType)."""
    return {"id": id_, "href": href(collection, id_), "@referredType": referred_type}


def member_ref(code: str) -> dict[str, Any]:
    return ref("loyaltyProgramMember", code, "LoyaltyProgramMember")


def account_ref(code: str) -> dict[str, Any]:
    return ref("loyaltyAccount", code, "LoyaltyAccount")


def programme_ref() -> dict[str, Any]:
    return ref("loyaltyProgramProduct", PROGRAMME_ID, "LoyaltyProgramProduct")


def points(value: int) -> dict[str, Any]:
    """A quantity of points in the spec's Money shape."""
    return {"unit": POINTS, "value": value}


# --- the programme -------------------------------------------------------------------------------------------------


def to_product_spec(rules: LoyaltyRules, version: str, wanted: set[str] | None) -> dict[str, Any]:
    """The LoyaltyProgramProductSpec: the programme as the rules file of this version specifies it."""
    head = {"id": PROGRAMME_ID, "href": href("loyaltyProgramProductSpec", PROGRAMME_ID)}
    builders: dict[str, Callable[[], Any]] = {
        "@type": lambda: "LoyaltyProgramProductSpec",
        "name": lambda: "telcocrm 积分 / telcocrm points",
        "brand": lambda: "telcocrm",
        "description": lambda: "规则文件 [loyalty] 段 / the [loyalty] section of the monthly rules file",
        "lifeCycleStatus": lambda: "active",
        "productNumber": lambda: version,
        "needsLoyaltyAccount": lambda: True,
    }
    return build(head, builders, wanted)


def to_product(catalogue: Catalogue, rules: LoyaltyRules, wanted: set[str] | None) -> dict[str, Any]:
    """The LoyaltyProgramProduct: the one points programme, its rules referenced."""
    head = {"id": PROGRAMME_ID, "href": href("loyaltyProgramProduct", PROGRAMME_ID), "@type": "LoyaltyProgramProduct"}
    pairs = [
        ("rulesVersion", catalogue.version),
        ("expiryCalendarYears", rules.expiry_calendar_years),
        ("rewardUnitCostFen", rules.reward_unit_cost_fen),
    ]
    builders: dict[str, Callable[[], Any]] = {
        "name": lambda: "telcocrm 积分 / telcocrm points",
        "description": lambda: (
            "消费、在网、信用、活动积分；按到期先后兑换 / consumption, tenure, credit and bonus points"
        ),
        "productStatus": lambda: "active",
        "characteristic": lambda: characteristics(pairs),
        "loyaltyProgramProductSpec": lambda: ref(
            "loyaltyProgramProductSpec", PROGRAMME_ID, "LoyaltyProgramProductSpec"
        ),
        "loyaltyRule": lambda: [ref("loyaltyRule", rule.id, "LoyaltyRule") for rule in catalogue.rules],
    }
    return build(head, builders, wanted)


def to_rule(rule: Rule, wanted: set[str] | None) -> dict[str, Any]:
    """A LoyaltyRule with references to its conditions, actions and event types."""
    head = {"id": rule.id, "href": href("loyaltyRule", rule.id), "@type": "LoyaltyRule"}
    builders: dict[str, Callable[[], Any]] = {
        "commonName": lambda: rule.name,
        "description": lambda: rule.description,
        "policyName": lambda: rule.policy,
        "usage": lambda: rule.usage,
        "keywords": lambda: rule.usage,
        "hasSubRules": lambda: False,
        "isCNF": lambda: False,
        "isMandatoryEvaluation": lambda: True,
        "loyaltyCondition": lambda: [ref("loyaltyCondition", c.id, "LoyaltyCondition") for c in rule.conditions],
        "loyaltyAction": lambda: [ref("loyaltyAction", a.id, "LoyaltyAction") for a in rule.actions],
        "loyaltyEventType": lambda: [ref("loyaltyEventType", t, "LoyaltyEventType") for t in rule.event_types],
    }
    return build(head, builders, wanted)


def to_condition(condition: Condition, wanted: set[str] | None) -> dict[str, Any]:
    """A LoyaltyCondition."""
    head = {"id": condition.id, "href": href("loyaltyCondition", condition.id), "@type": "LoyaltyCondition"}
    builders: dict[str, Callable[[], Any]] = {
        "attribute": lambda: condition.attribute,
        "operator": lambda: condition.operator,
        "value": lambda: condition.value,
    }
    return build(head, builders, wanted)


def to_action(action: Action, version: str, wanted: set[str] | None) -> dict[str, Any]:
    """A LoyaltyAction: its type (earn, burn, expire) and the figures it applies."""
    head = {"id": action.id, "href": href("loyaltyAction", action.id), "@type": "LoyaltyAction"}
    builders: dict[str, Callable[[], Any]] = {
        "actionType": lambda: action.action_type,
        "commonName": lambda: action.name,
        "description": lambda: action.description,
        "version": lambda: version,
        "actionAttributes": lambda: action.attributes,
        "endpoint": lambda: action.endpoint,
        "action": lambda: action.method,
    }
    return build(head, builders, wanted)


def to_event_type(event_type: str, description: str, wanted: set[str] | None) -> dict[str, Any]:
    """A LoyaltyEventType (`description` is an extension)."""
    head = {"id": event_type, "href": href("loyaltyEventType", event_type), "@type": "LoyaltyEventType"}
    builders: dict[str, Callable[[], Any]] = {"eventType": lambda: event_type, "description": lambda: description}
    return build(head, builders, wanted)


# --- members, accounts, balances -----------------------------------------------------------------------------------


def to_member(member: Member, wanted: set[str] | None) -> dict[str, Any]:
    """The LoyaltyProgramMember: the customer in the programme, the staff's flags as characteristics."""
    acc = member.account
    code = acc.customer_code
    head = {"id": code, "href": href("loyaltyProgramMember", code), "@type": "LoyaltyProgramMember"}
    party = {
        "id": code,
        "href": customer_href(code),
        "name": member.name,
        "role": "member",
        "@referredType": "Customer",
    }
    builders: dict[str, Callable[[], Any]] = {
        "name": lambda: member.name,
        "status": lambda: acc.status.value,
        "ValidFor": lambda: {"startDateTime": local_iso(acc.opened_at)},
        "relatedParty": lambda: [{k: v for k, v in party.items() if v is not None}],
        "characteristic": lambda: characteristics(
            [("optedIn", acc.opted_in), ("pointsSensitive", acc.points_sensitive)]
        ),
        "loyaltyAccount": lambda: account_ref(code),
        "loyaltyProgramProduct": programme_ref,
    }
    return build(head, builders, wanted)


def to_account(member: Member, lots: list[Lot], wanted: set[str] | None) -> dict[str, Any]:
    """The LoyaltyAccount: the member's points account in the programme, with its balance."""
    acc = member.account
    code = acc.customer_code
    head = {"id": code, "href": href("loyaltyAccount", code), "@type": "LoyaltyAccount"}
    builders: dict[str, Callable[[], Any]] = {
        "loyaltyProgramProduct": programme_ref,
        "loyaltyProgramMember": lambda: member_ref(code),
        "status": lambda: acc.status.value,
        "loyaltyBalance": lambda: [
            ref("loyaltyBalance", code, "LoyaltyBalance") | {"quantity": points(_balance(lots))}
        ],
    }
    return build(head, builders, wanted)


def to_balance(member: Member, lots: list[Lot], today: date, wanted: set[str] | None) -> dict[str, Any]:
    """The LoyaltyBalance: points held, points spendable today, and the next lot to expire."""
    acc = member.account
    code = acc.customer_code
    head = {"id": code, "href": href("loyaltyBalance", code), "@type": "LoyaltyBalance"}
    builders: dict[str, Callable[[], Any]] = {
        "quantity": lambda: points(_balance(lots)),
        "spendableQuantity": lambda: points(ledger_rules.spendable(lots, today)),
        "nextExpiry": lambda: _next_expiry(lots, today),
        "validFor": lambda: {"startDateTime": local_iso(acc.opened_at)},
        "loyaltyProgramMember": lambda: member_ref(code),
        "loyaltyAccount": lambda: account_ref(code),
    }
    return build(head, builders, wanted)


def _balance(lots: list[Lot]) -> int:
    # Every entry but a lot names a lot, so what remains of the lots adds up to the sum of all entries.
    return ledger_rules.balance(lot.remaining for lot in lots)


def _next_expiry(lots: list[Lot], today: date) -> dict[str, Any] | None:
    """The earliest expiry day of the spendable lots and how many points expire that day."""
    live = [lot for lot in lots if lot.expires_on >= today and lot.remaining > 0]
    if not live:
        return None
    first = min(lot.expires_on for lot in live)
    due = sum(lot.remaining for lot in live if lot.expires_on == first)
    return {"expiryDate": first.isoformat(), "quantity": points(due)}


# --- events --------------------------------------------------------------------------------------------------------


def to_event(event: Event, wanted: set[str] | None) -> dict[str, Any]:
    """A LoyaltyEvent: one ledger entry (earn, spend, expiry, adjustment, reversal) with its points and rule."""
    entry, code = event.entry, event.customer_code
    head = {"id": str(entry.id), "href": href("loyaltyEvent", str(entry.id)), "@type": "LoyaltyEvent"}
    builders: dict[str, Callable[[], Any]] = {
        "eventTime": lambda: local_iso(entry.recorded_at),
        "eventType": lambda: entry.kind.value,
        "memberId": lambda: code,
        "event": lambda: _event_attributes(entry, code),
    }
    return build(head, builders, wanted)


def _event_attributes(entry: EntryRecord, code: str) -> dict[str, Any]:
    rule = rule_of_entry(entry.kind.value, entry.rule)
    attributes = {
        "points": entry.points,  # signed: a draw is negative (Money's value is positive, so no `quantity` here)
        "loyaltyAccount": account_ref(code),
        "loyaltyRule": ref("loyaltyRule", rule, "LoyaltyRule") if rule else None,
        "source": entry.source,
        "month": entry.month,
        "earnedOn": entry.earned_on.isoformat() if entry.earned_on else None,
        "expiresOn": entry.expires_on.isoformat() if entry.expires_on else None,
        "lot": ref("loyaltyEvent", str(entry.lot_id), "LoyaltyEvent") if entry.lot_id else None,
        "reverses": ref("loyaltyEvent", str(entry.reverses_id), "LoyaltyEvent") if entry.reverses_id else None,
        "reference": entry.reference,
        "note": entry.note,
        "recordedBy": entry.recorded_by,
    }
    return {k: v for k, v in attributes.items() if v is not None}
