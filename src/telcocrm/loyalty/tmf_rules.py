"""The points programme's rules as TMF658 sees them: rules, conditions, actions and event types, from LoyaltyRules.

Pure functions over the [loyalty] section of the rules file: nothing is stored, so a new rules file is a new
catalogue. Burn actions beyond "spend points" (the rewards catalogue) are appended through `add_burn_actions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from telcocrm.loyalty.config import CUSTOMER_GROUPS, Campaign, LoyaltyRules

PROGRAMME_ID = "telcocrm-points"
EARN_EVENT, BURN_EVENT, EXPIRY_EVENT = "monthlyRun", "burn", "expiryRun"
CONSUMPTION, TENURE, CREDIT = "points.consumption", "points.tenure", "points.credit"
EXPIRY_RULE, BURN_RULE = "points.expiry", "points.burn"
EVENT_TYPES = {
    EARN_EVENT: "月度积分计算 / the monthly run's awards",
    BURN_EVENT: "积分兑换 / points spent (counter, web, API)",
    EXPIRY_EVENT: "积分过期 / the expiry job",
}
# Words of the customer groups, as the awards' reasons word them (analytics/marts/points.py GROUP_WORDS).
GROUP_NAMES = {
    "party_government_military": "党政军客户 / party, government or military",
    "business_leader_high_mid": "商务领航高中端客户 / business leader, high/mid-end",
    "business_leader_low_end": "商务领航低端客户 / business leader, low-end",
    "other_enterprise": "其他企业客户 / other enterprise",
    "family": "家庭客户 / family",
    "personal": "个人客户 / personal",
}


@dataclass(frozen=True)
class Condition:
    """A LoyaltyCondition: an attribute of the customer's month tested against a value."""

    id: str
    attribute: str
    operator: str
    value: str


@dataclass(frozen=True)
class Action:
    """A LoyaltyAction: what a rule does when its conditions hold (earn, burn, expire)."""

    id: str
    action_type: str
    name: str
    description: str
    attributes: dict[str, Any]
    endpoint: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Rule:
    """A LoyaltyRule: conditions (all must hold), the actions it takes, the events that trigger it."""

    id: str
    name: str
    description: str
    usage: str  # earn, burn or expire
    policy: str  # the rules-file key the rule is configured by
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """Every rule of the programme, and its conditions and actions by id."""

    version: str
    rules: tuple[Rule, ...]
    conditions: dict[str, Condition] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)


BurnActionSource = Callable[[Session], Sequence[Action]]
_burn_action_sources: list[BurnActionSource] = []


def add_burn_actions(source: BurnActionSource) -> None:
    """Register a source of further burn actions (e.g. one per reward of the catalogue, actionType `burn`)."""
    if source not in _burn_action_sources:
        _burn_action_sources.append(source)


def burn_actions(db: Session) -> list[Action]:
    """The burn actions the registered sources give today (none until the rewards catalogue registers)."""
    return [action for source in _burn_action_sources for action in source(db)]


def catalogue(rules: LoyaltyRules, version: str, extra_burn: Sequence[Action] = ()) -> Catalogue:
    """The programme's rules from the rules file, the burn rule with any further burn actions appended."""
    made = (
        _consumption(rules),
        _tenure(rules),
        _credit(rules),
        *_campaign_rules(rules.campaigns),
        _expiry(rules),
        _burn(extra_burn),
    )
    conditions = {c.id: c for rule in made for c in rule.conditions}
    actions = {a.id: a for rule in made for a in rule.actions}
    return Catalogue(version=version, rules=made, conditions=conditions, actions=actions)


def _published(rules: LoyaltyRules) -> Condition:
    """积分获得: only published customers' awards reach the ledger; any one reason qualifies."""
    spec = rules.published
    reasons = [f"valueTier in {','.join(spec.value_tiers)}"] if spec.value_tiers else []
    reasons += ["strategic"] if spec.strategic else []
    reasons += [f"tenureYears >= {spec.loyal_min_years}"] if spec.loyal_min_years is not None else []
    reasons += ["pointsSensitive"] if spec.points_sensitive else []
    reasons += ["optedIn"] if spec.opted_in else []
    return Condition("points.published", "publicationReason", "anyOf", " | ".join(reasons))


IN_NETWORK = Condition("points.inNetwork", "liveSubscribersAtMonthEnd", ">", "0")


def _earn(rule_id: str, name: str, description: str, policy: str, conditions: Iterable[Condition]) -> Rule:
    return Rule(rule_id, name, description, "earn", policy, tuple(conditions), (), (EARN_EVENT,))


def _with_actions(rule: Rule, actions: Iterable[Action]) -> Rule:
    return Rule(**{**rule.__dict__, "actions": tuple(actions)})


def _consumption(rules: LoyaltyRules) -> Rule:
    paid = Condition(f"{CONSUMPTION}.paid", "paidFenInMonth", ">=", "100")
    rule = _earn(
        CONSUMPTION,
        "消费积分 / consumption points",
        "每月已缴消费每整元 × 客户群积分 / whole CNY billed and paid in the month × the group's points per CNY",
        "loyalty.consumption_points_per_cny",
        (paid, _published(rules)),
    )
    rates = rules.consumption_points_per_cny
    actions = [
        Action(
            f"{CONSUMPTION}.{group}",
            "earn",
            GROUP_NAMES[group],
            f"每元 {rates[group]} 分 / {rates[group]} points per CNY",
            {"customerGroup": group, "pointsPerCny": rates[group]},
        )
        for group in CUSTOMER_GROUPS
    ]
    return _with_actions(rule, actions)


def _tenure(rules: LoyaltyRules) -> Rule:
    base = Condition(f"{TENURE}.consumption", "consumptionPoints", ">", "0")
    rule = _earn(
        TENURE,
        "在网积分 / tenure points",
        "消费积分 × (加成 − 100)% / consumption points × (multiplier − 100) %, rounded down",
        "loyalty.tenure_multiplier_pct",
        (base, _published(rules)),
    )
    actions = [
        Action(
            f"{TENURE}.from{start}y",
            "earn",
            f"在网 {start} 年起 / from {start} years in network",
            f"加成 {pct - 100}% / {pct - 100} % of the consumption points",
            {"fromYear": start, "multiplierPct": pct},
        )
        for start, pct in rules.tenure_multiplier_pct
    ]
    return _with_actions(rule, actions)


def _credit(rules: LoyaltyRules) -> Rule:
    rule = _earn(
        CREDIT,
        "信用积分 / credit points",
        "按信用等级每月积分 / points a month by credit rating",
        "loyalty.credit_points",
        (IN_NETWORK, _published(rules)),
    )
    actions = [
        Action(
            f"{CREDIT}.{rating}",
            "earn",
            f"信用等级 {rating} / rating {rating}",
            f"{points} 分 / points",
            {"creditRating": rating, "points": points},
        )
        for rating, points in rules.credit_points.model_dump().items()
    ]
    return _with_actions(rule, actions)


def _campaign_rules(campaigns: Iterable[Campaign]) -> list[Rule]:
    """One rule per rule id of the campaigns (the ledger's `rule`), one action per campaign."""
    by_rule: dict[str, list[Campaign]] = {}
    for campaign in campaigns:
        by_rule.setdefault(campaign.rule, []).append(campaign)
    return [_campaign_rule(rule_id, members) for rule_id, members in by_rule.items()]


def _campaign_rule(rule_id: str, campaigns: list[Campaign]) -> Rule:
    conditions = [IN_NETWORK]
    conditions += [Condition(f"campaign.{c.code}.when", _camel(c.condition), "=", "true") for c in campaigns]
    conditions += [
        Condition(f"campaign.{c.code}.months", "month", "between", f"{c.valid_from}..{c.valid_to}") for c in campaigns
    ]
    rule = _earn(
        rule_id,
        f"活动积分 / bonus points ({rule_id.rsplit('.', 1)[-1]})",
        "活动期内条件成立时每月一次 / once a month while the campaign runs and its condition holds",
        "loyalty.campaigns",
        conditions,
    )
    actions = [
        Action(
            f"campaign.{c.code}",
            "earn",
            f"活动 {c.code} / campaign {c.code}",
            f"{c.points} 分 / points, {c.valid_from}..{c.valid_to}",
            {
                "campaign": c.code,
                "points": c.points,
                "condition": c.condition,
                "window": f"{c.valid_from}..{c.valid_to}",
            },
        )
        for c in campaigns
    ]
    return _with_actions(rule, actions)


def _expiry(rules: LoyaltyRules) -> Rule:
    years = rules.expiry_calendar_years
    due = Condition(f"{EXPIRY_RULE}.due", "expiresOn", "<", "today")
    expire = Action(
        f"{EXPIRY_RULE}.expire",
        "expire",
        "积分过期 / points expire",
        f"Y 年获得的积分于 Y+{years} 年末过期 / points earned in year Y expire after 31 December of Y+{years}",
        {"calendarYears": years},
    )
    return Rule(
        EXPIRY_RULE,
        "积分过期 / expiry",
        "过期作业写入每批剩余积分的过期条目 / the expiry job writes what remains of each lot past its expiry",
        "expire",
        "loyalty.expiry_calendar_years",
        (due,),
        (expire,),
        (EXPIRY_EVENT,),
    )


def _burn(extra: Sequence[Action]) -> Rule:
    conditions = (
        Condition(f"{BURN_RULE}.active", "accountStatus", "=", "active"),
        Condition(f"{BURN_RULE}.enough", "spendablePoints", ">=", "points"),
    )
    spend = Action(
        f"{BURN_RULE}.spend",
        "burn",
        "积分兑换 / spend points",
        "按到期先后扣减 / taken from the lots nearest expiry first",
        {"order": "nearestExpiryFirst"},
        endpoint="/tmf-api/loyalty/v4/loyaltyEvent",
        method="POST",
    )
    return Rule(
        BURN_RULE,
        "积分兑换 / burn",
        "账户有效且可用积分足够时扣减 / spend when the account is active and enough points are spendable",
        "burn",
        "ledger.spend",
        conditions,
        (spend, *extra),
        (BURN_EVENT,),
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def rule_of_entry(kind: str, rule: str | None) -> str | None:
    """The rule an entry executed: its award's rule for an earn, the burn or expiry rule, none for staff entries."""
    return {"earn": rule, "spend": BURN_RULE, "expiry": EXPIRY_RULE}.get(kind)
