"""Segments and value of each customer (brief §2, §8, §9, §10): strategic segment and sub-segment, value grade,
the five-way classification, big-customer kinds, star tier and value tier, each with its rule and reason.

Monthly spend is `arpu_3m_fen` (the last three billed months' average, summed over the customer's lines); every
amount is integer fen and every ratio whole percent by integer arithmetic, so DuckDB and Spark give the same rows.
Reasons show spend as whole CNY (floor of fen / 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import ibis
import ibis.expr.types as ir

from telcocrm.analytics import schemas
from telcocrm.analytics.marts.clusters import BehaviourClusters, assign_cluster
from telcocrm.segments.config import BIG_CUSTOMER_KINDS, Band, PointBand, SegmentRules

Text: TypeAlias = str | ir.Value

FAMILY_REASONS = {
    "e8": ("持有e8套餐（语音为主）", "holds an e8 bundle (voice-centred)"),
    "e6": ("持有e6套餐（宽带为主）", "holds an e6 bundle (broadband-centred)"),
    "home_business": ("商住一体（住宅兼作办公或商铺）", "home business (residence used as office or shop)"),
}
KIND_NAMES = {
    "important": ("重要客户", "important"),
    "high_value": ("高值客户", "high value"),
    "group": ("集团客户", "group"),
    "strategic": ("战略客户", "strategic"),
}


def customer_segments(
    customers: ir.Table, credit: ir.Table, rules: SegmentRules, clusters: BehaviourClusters
) -> ir.Table:
    """Segments, five-way classification, big customers, star and value tiers (schemas.SEGMENTS)."""
    ratings = credit.select("customer_code", "credit_rating")
    t = customers.left_join(ratings, "customer_code").select(~ibis.selectors.endswith("_right"))
    t = t.mutate(
        _spend=t.arpu_3m_fen.fill_null(0),
        _yuan=(t.arpu_3m_fen.fill_null(0) // 100).cast("string"),
        _tenure=t.customer_tenure_months.fill_null(0),
        _is_org=(t.customer_kind == "organisation").fill_null(False),
    )
    t = assign_cluster(t, clusters)
    t = t.mutate(**_segment(t, rules), **_five_way(t, rules), **_kind_flags(t, rules))
    t = t.mutate(**_big_customers(t, rules))
    t = t.mutate(**_star(t, rules), **_value(t, rules))
    return t.select(*schemas.SEGMENTS.names)


# --- helpers ----------------------------------------------------------------------------------------------------


def concat(*parts: Text) -> ir.StringValue:
    """The parts as one string (values cast to text; a null part reads "-")."""
    pieces = [ibis.literal(p) if isinstance(p, str) else p.cast("string").fill_null("-") for p in parts]
    text: ir.StringValue = pieces[0]
    for piece in pieces[1:]:
        text = text + piece
    return text


def band(value: ir.IntegerValue, bands: Sequence[Band]) -> ir.StringValue:
    """The code of the first band the value reaches; the last band takes the rest (and nulls)."""
    *upper, last = bands
    return ibis.cases(*[(value >= b.at_least, b.code) for b in upper], else_=last.code)


def points(value: ir.IntegerValue, bands: Sequence[PointBand]) -> ir.IntegerValue:
    """The points of the first band the value reaches; 0 below every band or when the value is null."""
    scored: ir.IntegerValue = ibis.cases(
        *[(value >= b.at_least, ibis.literal(b.points, "int64")) for b in bands], else_=ibis.literal(0, "int64")
    )
    return scored


def _yuan(fen: int) -> str:
    return str(fen // 100)


# --- strategic segment (brief §2) -------------------------------------------------------------------------------


def _segment(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    family = (t.has_family_account | t.has_e8 | t.has_e6 | t.home_business).fill_null(False)
    flags = {"e8": t.has_e8, "e6": t.has_e6, "home_business": t.home_business}
    scope = t.decision_scope.isin(list(rules.industry_scopes)).fill_null(False)
    high_end = t["_spend"] >= rules.cluster_high_end_min_fen
    grade = band(t["_spend"], rules.value_grades)
    family_sub = ibis.cases(
        *[(flags[mark].fill_null(False), mark) for mark in rules.family_priority],
        else_=rules.family_account_sub_segment,
    )
    brand_sub = ibis.cases(
        *[(t.main_brand == code, entry.sub_segment) for code, entry in rules.brands.items()],
        else_=rules.unlisted_brand_sub_segment,
    )
    segment = ibis.cases((t["_is_org"], "government_enterprise"), (family, "family"), else_="personal")
    sub = ibis.cases(
        (t["_is_org"] & scope, concat("industry_", t.decision_scope)),
        (t["_is_org"] & high_end, "cluster_high_end"),
        (t["_is_org"], "cluster_low_end"),
        (family, family_sub),
        else_=brand_sub,
    )
    cny = _yuan(rules.cluster_high_end_min_fen)
    org_reason = ibis.cases(
        (
            scope,
            concat(
                "行业客户（决策范围 ",
                t.decision_scope,
                "），月均消费",
                t["_yuan"],
                "元，价值等级",
                grade,
                " / industry customer (decision scope ",
                t.decision_scope,
                "), spends ",
                t["_yuan"],
                " CNY a month, value grade ",
                grade,
            ),
        ),
        (
            high_end,
            concat(
                "聚类客户，月均消费",
                t["_yuan"],
                f"元，不低于{cny}元，价值等级",
                grade,
                " / cluster customer, spends ",
                t["_yuan"],
                f" CNY a month, {cny} or more, value grade ",
                grade,
            ),
        ),
        else_=concat(
            "聚类客户，月均消费",
            t["_yuan"],
            f"元，低于{cny}元，价值等级",
            grade,
            " / cluster customer, spends ",
            t["_yuan"],
            f" CNY a month, below {cny}, value grade ",
            grade,
        ),
    )
    family_reason = ibis.cases(
        *[
            (flags[mark].fill_null(False), f"{FAMILY_REASONS[mark][0]} / {FAMILY_REASONS[mark][1]}")
            for mark in rules.family_priority
        ],
        else_="有家庭账户（主副账户合缴）/ has a family account (primary and secondary accounts pay together)",
    )
    brand_reason = ibis.cases(
        *[
            (
                t.main_brand == code,
                f"主品牌{entry.name}（{code}）归入{entry.sub_segment} / main brand {code} "
                f"({entry.name}) is {entry.sub_segment}",
            )
            for code, entry in rules.brands.items()
        ],
        else_=concat("主品牌", t.main_brand, "不在品牌目录中 / main brand ", t.main_brand, " is not in the catalogue"),
    )
    return {
        "segment": segment,
        "sub_segment": sub,
        "segment_rule": concat("segment.", segment, ".", sub),
        "segment_reason": ibis.cases((t["_is_org"], org_reason), (family, family_reason), else_=brand_reason),
        "value_grade": ibis.ifelse(t["_is_org"], grade, ibis.null("string")),
    }


# --- five-way classification (002 客户五分法) ----------------------------------------------------------------------


def _five_way(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    year = t.month.substr(0, 4).cast("int64")
    age = band(year - t.birth_year.cast("int64"), rules.age_bands)
    person = concat(
        ibis.ifelse(t.birth_year.isnull(), "age_unknown", age), "/", t.income_band.fill_null("income_unknown")
    )
    return {
        "arpu_grade": band(t["_spend"], rules.arpu_grades),
        "deposit_tier": band(t.deposit_fen_12m.fill_null(0), rules.deposit_tiers),
        "tenure_band": band(t["_tenure"], rules.tenure_bands),
        "demographic_band": ibis.ifelse(t["_is_org"], t.organisation_category.fill_null("category_unknown"), person),
    }


# --- big customers (brief §10, seed 003) -------------------------------------------------------------------------


def _kind_flags(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    return {
        "_important": (t["_is_org"] & t.organisation_category.isin(list(rules.important_categories))).fill_null(False),
        "_high_value": t["_spend"] > rules.high_value_above_fen,
        "_group": (t.has_group_master & (t.group_size >= rules.group_min_size)).fill_null(False),
        "_strategic": t.strategic.fill_null(False),
    }


def _big_customers(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    """Kinds in the fixed order important,high_value,group,strategic; null (and no reason) when none."""
    cny = _yuan(rules.high_value_above_fen)
    details = {
        "important": (concat("（", t.organisation_category, "）"), concat(" (", t.organisation_category, ")")),
        "high_value": (
            concat("（月均消费", t["_yuan"], f"元，超过{cny}元）"),
            concat(" (spends ", t["_yuan"], f" CNY a month, above {cny})"),
        ),
        "group": (concat("（集团成员", t.group_size, "户）"), concat(" (", t.group_size, " group members)")),
        "strategic": (concat("（客户经理标记）"), concat(" (marked by the account managers)")),
    }
    codes, zh, en = ibis.literal(""), ibis.literal(""), ibis.literal("")
    count: ir.IntegerValue = ibis.literal(0, "int64")
    for kind in BIG_CUSTOMER_KINDS:
        flag = t[f"_{kind}"]
        codes = codes + ibis.ifelse(flag, f",{kind}", "")
        zh = zh + ibis.ifelse(flag, concat("、", KIND_NAMES[kind][0], details[kind][0]), "")
        en = en + ibis.ifelse(flag, concat(", ", KIND_NAMES[kind][1], details[kind][1]), "")
        count = count + flag.cast("int64")
    special = count >= rules.special_class_min_kinds
    reason = concat(
        "大客户：",
        zh.substr(1),
        ibis.ifelse(special, "，两类及以上为特级大客户", ""),
        " / big customer: ",
        en.substr(2),
        ibis.ifelse(special, "; two kinds or more: special class", ""),
    )
    return {
        "big_customer_kinds": ibis.ifelse(count > 0, codes.substr(1), ibis.null("string")),
        "special_class": special,
        "big_customer_reason": ibis.ifelse(count > 0, reason, ibis.null("string")),
    }


# --- service star tier (brief §9) ---------------------------------------------------------------------------------


def _star(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    vip = ibis.literal(False)
    for kind in rules.vip_kinds:
        vip = vip | t[f"_{kind}"]
    facts_zh = concat("月均消费", t["_yuan"], "元、在网", t["_tenure"], "个月、信用", t.credit_rating.fill_null("未评"))
    facts_en = concat(
        "spends ",
        t["_yuan"],
        " CNY a month, ",
        t["_tenure"],
        " months in network, credit ",
        t.credit_rating.fill_null("unrated"),
    )
    branches: list[tuple[ir.BooleanValue, str, ir.StringValue]] = [
        (
            vip,
            "vip",
            concat("大客户（", t.big_customer_kinds, "）享VIP服务 / big customer (", t.big_customer_kinds, "): VIP"),
        ),
    ]
    for tier in rules.star_tiers:
        bar_zh = f"≥{_yuan(tier.min_arpu_fen)}元、≥{tier.min_tenure_months}个月、信用{'/'.join(tier.credit_ratings)}"
        bar_en = (
            f"{_yuan(tier.min_arpu_fen)} CNY or more, {tier.min_tenure_months} months or more, credit "
            f"{'/'.join(tier.credit_ratings)}"
        )
        meets = (
            (t["_spend"] >= tier.min_arpu_fen)
            & (t["_tenure"] >= tier.min_tenure_months)
            & t.credit_rating.isin(list(tier.credit_ratings)).fill_null(False)
        )
        reason = concat(facts_zh, f"，达到{tier.tier}星（{bar_zh}）/ ", facts_en, f": {tier.tier} stars ({bar_en})")
        branches.append((meets, tier.tier, reason))
    lowest = rules.star_tiers[-1].tier if rules.star_tiers else "2"
    rest = concat(facts_zh, f"，未达到{lowest}星标准 / ", facts_en, f": below the {lowest}-star bar")
    return {
        "star_tier": ibis.cases(*[(when, tier) for when, tier, _ in branches], else_="1"),
        "star_rule": ibis.cases(*[(when, f"star.{tier}") for when, tier, _ in branches], else_="star.1"),
        "star_reason": ibis.cases(*[(when, reason) for when, _, reason in branches], else_=rest),
    }


# --- value tier (brief §2, §8) -----------------------------------------------------------------------------------


def _value(t: ir.Table, rules: SegmentRules) -> dict[str, ir.Value]:
    spec = rules.value
    previous = t.arpu_prev_3m_fen.fill_null(0)
    growth = ibis.ifelse(previous > 0, ((t["_spend"] - previous) * 100) // previous, ibis.null("int64"))
    parts = {
        "arpu": points(t["_spend"], spec.arpu_fen),
        "tenure": points(t["_tenure"], spec.tenure_months),
        "growth": points(growth, spec.growth_pct),
        "group": points(ibis.ifelse(t.has_group_master.fill_null(False), t.group_size, 0), spec.group_size),
    }
    total = parts["arpu"] + parts["tenure"] + parts["growth"] + parts["group"]
    tier = ibis.cases((total >= spec.high_from, "high"), (total >= spec.mid_from, "mid"), else_="low")
    bar_zh = ibis.cases(
        (total >= spec.high_from, f"，≥{spec.high_from}为高价值"),
        (total >= spec.mid_from, f"，{spec.mid_from}–{spec.high_from - 1}为中价值"),
        else_=f"，<{spec.mid_from}为低价值",
    )
    bar_en = ibis.cases(
        (total >= spec.high_from, f"; {spec.high_from} or more is high"),
        (total >= spec.mid_from, f"; {spec.mid_from} to {spec.high_from - 1} is mid"),
        else_=f"; below {spec.mid_from} is low",
    )
    growth_text = growth.cast("string").fill_null("n/a")
    reason = concat(
        "价值积分",
        total,
        "（ARPU ",
        parts["arpu"],
        "、在网 ",
        parts["tenure"],
        "、增长 ",
        parts["growth"],
        "（",
        growth_text,
        "%）、集团 ",
        parts["group"],
        "）",
        bar_zh,
        " / value points ",
        total,
        " (ARPU ",
        parts["arpu"],
        ", tenure ",
        parts["tenure"],
        ", growth ",
        parts["growth"],
        " (",
        growth_text,
        "%), group ",
        parts["group"],
        ")",
        bar_en,
    )
    return {"value_tier": tier, "value_rule": concat("value.", tier), "value_reason": reason}
