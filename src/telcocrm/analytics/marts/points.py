"""Loyalty points of the month (brief §4, issue 4): per subscriber, the month's earn awards per customer, liability.

Consumption points are earned on what was billed and paid: every payment dated in the month (a payment without a
date in the month of its due date), each up to its bill's amount, so a bill earns once, in the month it is paid.
The customer's award counts whole CNY of the customer's total once (one floor), times the points per CNY of the
customer's group; tenure points add (multiplier − 100) % of them. Every figure is integer arithmetic on
non-negative amounts, so DuckDB and Spark give the same rows. The rules and their defaults: docs/rules.md
(## Loyalty points).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.referrals import referral_awards
from telcocrm.analytics.sources import MonthInputs
from telcocrm.analytics.staging.measures import text
from telcocrm.loyalty.config import CUSTOMER_GROUPS, BonusCondition, Campaign, LoyaltyRules

GROUP_WORDS = {
    "party_government_military": ("党政军客户", "party, government or military"),
    "business_leader_high_mid": ("商务领航高中端客户", "business leader, high/mid-end"),
    "business_leader_low_end": ("商务领航低端客户", "business leader, low-end"),
    "other_enterprise": ("其他企业客户", "other enterprise"),
    "family": ("家庭客户", "family"),
    "personal": ("个人客户", "personal"),
}
CONDITION_WORDS: dict[BonusCondition, tuple[str, str]] = {
    "bank_collection_signup": ("本月开通银行托收", "signed up for bank collection this month"),
    "joined_in_month": ("本月新入网", "joined this month"),
    "referral": ("推荐的号码首张账单缴清", "a referred line paid its first bill"),
}


def subscriber_points(
    inputs: MonthInputs, features: ir.Table, customers: ir.Table, segments: ir.Table, rules: LoyaltyRules
) -> ir.Table:
    """One row per subscriber of the features: billed-and-paid amount and points (schemas.SUBSCRIBER_POINTS)."""
    paid = _paid_in_month(inputs)
    lines = features.select("month", "subscriber_id", "customer_code")
    t = lines.left_join(paid, "subscriber_id").select(~ibis.selectors.endswith("_right"))
    t = t.left_join(_groups(customers, segments, rules), "customer_code").select(~ibis.selectors.endswith("_right"))
    t = t.mutate(
        paid_fen=t.paid_fen.fill_null(0),
        customer_group=t.customer_group.fill_null("personal"),
        tenure_years=t.tenure_years.fill_null(0),
        tenure_multiplier_pct=t.tenure_multiplier_pct.fill_null(100),
    )
    t = t.mutate(consumption_points=(t.paid_fen // 100) * _rate(t.customer_group, rules))
    t = t.mutate(tenure_points=(t.consumption_points * (t.tenure_multiplier_pct - 100)) // 100)
    t = t.mutate(points=t.consumption_points + t.tenure_points)
    return t.select(*schemas.SUBSCRIBER_POINTS.names).cast(ibis.schema(schemas.SUBSCRIBER_POINTS))


def points_awards(
    points: ir.Table,
    customers: ir.Table,
    credit: ir.Table,
    segments: ir.Table,
    members: ir.Table,
    rules: LoyaltyRules,
    *,
    month: str,
    previous_customers: ir.Table | None = None,
    referrals: ir.Table | None = None,
) -> ir.Table:
    """The month's awards, one row per (customer_code, rule, source) with points > 0 (schemas.POINTS_AWARDS).

    `referrals`: the lines whose referral pays this month (marts.referrals.referrals_due); None: no referral awards.
    """
    facts = [
        _groups(customers, segments, rules),
        points.group_by("customer_code").agg(paid_fen=points.paid_fen.sum()),
        credit.select("customer_code", "credit_rating"),
        segments.select("customer_code", "value_tier"),
        members.select("customer_code", "opted_in", "points_sensitive"),
    ]
    if previous_customers is not None:
        facts.append(previous_customers.select("customer_code", prev_bank_collection="bank_collection"))
    t = _customer_facts(customers, facts, rules, known_before=previous_customers is not None)
    parts = [_consumption(t), _tenure(t), _credit(t, rules)]
    campaigns = rules.active_campaigns(month)
    parts += [_bonus(t, campaign) for campaign in campaigns if campaign.condition != "referral"]
    if referrals is not None:
        parts += [referral_awards(t, referrals, c) for c in campaigns if c.condition == "referral"]
    awards = ibis.union(*parts, distinct=False)
    awards = awards.filter(awards.points > 0).mutate(month=ibis.literal(month))
    return awards.select(*schemas.POINTS_AWARDS.names).cast(ibis.schema(schemas.POINTS_AWARDS))


def points_liability(awards: ir.Table, segments: ir.Table, base: ir.Table, unit_cost_fen: int) -> ir.Table:
    """Published points and their reward cost per month, branch, segment and value tier (POINTS_LIABILITY)."""
    published = awards.filter(awards.published)
    per_customer = published.group_by("month", "customer_code").agg(points=published.points.sum())
    tiers = segments.select("customer_code", "segment", "value_tier")
    # One city per customer (lines of a merged-away customer may still carry its old profile's city).
    cities = base.group_by("customer_code").agg(city=base.city.min())
    t = per_customer.left_join(tiers, "customer_code").select(~ibis.selectors.endswith("_right"))
    t = t.left_join(cities, "customer_code").select(~ibis.selectors.endswith("_right"))
    t = t.group_by("month", "city", "segment", "value_tier").agg(customers=t.count(), points=t.points.sum())
    t = t.mutate(liability_fen=t.points * unit_cost_fen)
    return t.select(*schemas.POINTS_LIABILITY.names).cast(ibis.schema(schemas.POINTS_LIABILITY))


# --- inputs ---------------------------------------------------------------------------------------------------------


def _paid_in_month(inputs: MonthInputs) -> ir.Table:
    """Per subscriber: the payments dated in the month, each at most its bill's amount."""
    bills = inputs.bills
    paid_on = bills.paid_date.fill_null(bills.due_date)
    in_month = (paid_on >= inputs.first_day) & (paid_on <= inputs.last_day)
    amount = ibis.greatest(ibis.least(bills.paid_fen.fill_null(0), bills.billed_fen.fill_null(0)), 0)
    paid = bills.filter(in_month.fill_null(False)).mutate(amount=amount.cast("int64"))
    return paid.group_by("subscriber_id").agg(paid_fen=paid.amount.sum())


def _groups(customers: ir.Table, segments: ir.Table, rules: LoyaltyRules) -> ir.Table:
    """Per customer: the customer group of brief §4, whole years in network and the tenure multiplier."""
    kinds = segments.select("customer_code", "segment", "value_tier")
    t = customers.left_join(kinds, "customer_code").select(~ibis.selectors.endswith("_right"))
    organisation = (t.segment == "government_enterprise").fill_null(False)
    pgm = _isin(t.organisation_category, rules.party_government_military_categories)
    leader = _isin(t.main_brand, rules.business_leader_brands)
    high_mid = _isin(t.value_tier, rules.business_leader_high_mid_tiers)
    group = ibis.cases(
        (organisation & pgm, "party_government_military"),
        (organisation & leader & high_mid, "business_leader_high_mid"),
        (organisation & leader, "business_leader_low_end"),
        (organisation, "other_enterprise"),
        ((t.segment == "family").fill_null(False), "family"),
        else_="personal",
    )
    years = t.customer_tenure_months.fill_null(0) // 12
    steps = sorted(rules.tenure_multiplier_pct, reverse=True)
    multiplier = ibis.cases(*((years >= start, pct) for start, pct in steps[:-1]), else_=steps[-1][1])
    return t.select(
        "customer_code",
        customer_group=group,
        tenure_years=years.cast("int64"),
        tenure_multiplier_pct=multiplier.cast("int64"),
    )


def _customer_facts(customers: ir.Table, facts: list[ir.Table], rules: LoyaltyRules, *, known_before: bool) -> ir.Table:
    """One row per customer with the facts joined: group, paid amount and its points, rating, publication."""
    columns = ("customer_code", "strategic", "customer_tenure_months", "subscribers", "bank_collection")
    t = customers.select(*columns)
    for table in facts:
        t = t.left_join(table, "customer_code").select(~ibis.selectors.endswith("_right"))
    if not known_before:
        t = t.mutate(prev_bank_collection=ibis.null("boolean"))
    rate = _rate(t.customer_group, rules)
    t = t.mutate(
        known_before=ibis.literal(known_before),
        in_network=(t.subscribers > 0).fill_null(False),
        rate=rate,
        consumption_points=(t.paid_fen.fill_null(0) // 100) * rate,
    )
    return t.mutate(**_publication(t, rules))


def _publication(t: ir.Table, rules: LoyaltyRules) -> dict[str, ir.Value]:
    """`published` and why, in Chinese and English: the first qualifying reason that holds."""
    spec = rules.published
    tier = t.value_tier.fill_null("-")
    reasons: list[tuple[ir.BooleanValue, ir.Value, ir.Value]] = [
        (_isin(t.value_tier, spec.value_tiers), text("价值层级 ", tier), text("value tier ", tier)),
    ]
    if spec.strategic:
        reasons.append((t.strategic.fill_null(False), text("战略客户"), text("strategic customer")))
    if spec.loyal_min_years is not None:
        years = spec.loyal_min_years
        loyal = t.tenure_years >= years
        reasons.append((loyal, text(f"在网{years}年及以上"), text(f"{years} years or more in network")))
    if spec.points_sensitive:
        reasons.append((t.points_sensitive.fill_null(False), text("积分敏感客户"), text("points-sensitive")))
    if spec.opted_in:
        reasons.append((t.opted_in.fill_null(False), text("已定制积分"), text("opted in")))
    published: ir.BooleanValue = ibis.literal(False)
    for when, _, _ in reasons:
        published = published | when
    return {
        "published": published,
        "pub_zh": ibis.cases(*((w, text("积分获得：", zh)) for w, zh, _ in reasons), else_="未公布，仅计算"),
        "pub_en": ibis.cases(*((w, text("published: ", en)) for w, _, en in reasons), else_="computed, not published"),
    }


# --- the awards ------------------------------------------------------------------------------------------------------


def _award(t: ir.Table, rule: str, source: str, points: ir.Value, zh: ir.Value, en: ir.Value) -> ir.Table:
    """One candidate award per customer, in the shape every part shares."""
    return t.select(
        "customer_code",
        rule=ibis.literal(rule),
        source=ibis.literal(source),
        points=points.cast("int64"),
        published=t.published,
        reason=text(zh, "；", t.pub_zh, " / ", en, "; ", t.pub_en),
    )


def _consumption(t: ir.Table) -> ir.Table:
    """Whole CNY billed and paid × the group's points per CNY."""
    rate, points = t.rate, t.consumption_points
    yuan = t.paid_fen.fill_null(0) // 100
    zh_group = ibis.cases(*((t.customer_group == g, zh) for g, (zh, _) in GROUP_WORDS.items()), else_="-")
    en_group = ibis.cases(*((t.customer_group == g, en) for g, (_, en) in GROUP_WORDS.items()), else_="-")
    zh = text("已缴消费", yuan, "元 × 每元", rate, "分（", zh_group, "）= ", points, "分")
    en = text(yuan, " CNY billed and paid × ", rate, " points per CNY (", en_group, ") = ", points, " points")
    return _award(t, "points.consumption", "billing", points, zh, en)


def _tenure(t: ir.Table) -> ir.Table:
    """(multiplier − 100) % of the consumption points, rounded down."""
    base = t.consumption_points
    extra = t.tenure_multiplier_pct - 100
    points = (base * extra) // 100
    zh = text("消费积分", base, " × 在网", t.tenure_years, "年加成", extra, "% = ", points, "分")
    en = text(
        base, " consumption points × ", extra, "% for ", t.tenure_years, " years in network = ", points, " points"
    )
    return _award(t, "points.tenure", "billing", points, zh, en)


def _credit(t: ir.Table, rules: LoyaltyRules) -> ir.Table:
    """Points by credit rating, for customers with a line in network at the month's end."""
    by_rating = rules.credit_points.model_dump()
    rating = t.credit_rating.fill_null("-")
    points = ibis.cases(*((t.in_network & (rating == r), p) for r, p in by_rating.items()), else_=0)
    zh = text("信用等级", rating, "，每月", points, "分")
    en = text("credit rating ", rating, ": ", points, " points a month")
    return _award(t, "points.credit", "credit", points, zh, en)


def _bonus(t: ir.Table, campaign: Campaign) -> ir.Table:
    """The campaign's points, once per customer in network for whom its condition holds."""
    holds = t.in_network & _condition(t, campaign.condition)
    zh_when, en_when = CONDITION_WORDS[campaign.condition]
    zh = text(f"活动{campaign.code}：{zh_when}，奖励{campaign.points}分")
    en = text(f"campaign {campaign.code}: {en_when}, {campaign.points} points")
    points = ibis.ifelse(holds, campaign.points, 0)
    return _award(t, campaign.rule, f"campaign:{campaign.code}", points, zh, en)


def _condition(t: ir.Table, condition: BonusCondition) -> ir.BooleanValue:
    """Whether the closed-vocabulary condition holds for the customer this month."""
    if condition == "bank_collection_signup":
        # without the previous month's features nobody can be shown to have signed up this month
        before = t.prev_bank_collection
        return t.bank_collection.fill_null(False) & t.known_before & ~before.fill_null(False)
    if condition == "referral":  # once per referred line, not per customer: marts.referrals
        raise ValueError("the referral condition is awarded per referred line by referral_awards")
    return (t.customer_tenure_months == 0).fill_null(False)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _isin(value: ir.Value, allowed: tuple[str, ...]) -> ir.BooleanValue:
    """Membership that is False (not null) for a null value or an empty list."""
    if not allowed:
        return ibis.literal(False)
    member: ir.BooleanValue = value.isin(list(allowed)).fill_null(False)
    return member


def _rate(group: ir.StringValue, rules: LoyaltyRules) -> ir.IntegerValue:
    """The group's points per CNY."""
    rates = rules.consumption_points_per_cny
    rate: ir.IntegerValue = ibis.cases(*((group == g, rates[g]) for g in CUSTOMER_GROUPS), else_=0).cast("int64")
    return rate
