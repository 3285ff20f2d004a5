"""Customer features and credit ratings hand-written in DuckDB SQL (the reference's second and third layers).

Reads the `subscriber_features` table the first layer created, the `base`, `bills`, `integrity` and
`previous_credit` inputs, and the fdiv macro (see duckdb_sql). Thresholds come from CreditRules.
"""

from __future__ import annotations

from benchmarks.reference.inputs import MonthFiles

from telcocrm.analytics.marts.credit import RECORD_WORDS
from telcocrm.analytics.marts.credit_terms import CATEGORY_WORDS
from telcocrm.credit.config import CreditRules, PaymentThresholds

_PROFILE = (
    "customer_kind, organisation_category, industry, decision_scope, strategic, home_business, occupation, "
    "income_band, birth_year, returning_rating, customer_joined_date"
)


def _lit(value: object) -> str:
    from benchmarks.reference.duckdb_sql import lit

    return lit(value)


def _integrity_sql(f: MonthFiles) -> str:
    """Integrity records of the last 12 months on the customer now holding the line (merges followed)."""
    return f"""
        SELECT coalesce(b.customer_code, r.customer_code) AS customer_code, r.kind
        FROM integrity r LEFT JOIN base b ON b.subscriber_id = r.subscriber_id
        WHERE r.event_date >= {_lit(f.window_start(12))} AND r.event_date <= {_lit(f.last_day)}
    """


def customer_features_sql(f: MonthFiles, rules: CreditRules) -> str:
    """One row per customer of the subscriber features (schemas.CUSTOMER_FEATURES)."""
    severity = rules.integrity_severity
    rank = " ".join(f"WHEN {_lit(kind)} THEN {i}" for i, kind in enumerate(severity))
    worst = " ".join(f"WHEN {i} THEN {_lit(kind)}" for i, kind in enumerate(severity))
    year, month = f.last_day.year, f.last_day.month
    return f"""
    WITH totals AS (
        SELECT customer_code,
            count(*) FILTER (subscriber_status <> 'terminated') AS subscribers,
            bool_or(payment_method = 'bank_collection') AS bank_collection,
            bool_or(account_type IN ('family_primary', 'family_secondary')) AS has_family_account,
            bool_or(account_type = 'group_master') AS has_group_master,
            bool_or(product = 'e8_bundle') AS has_e8,
            bool_or(product = 'e6_bundle') AS has_e6,
            sum(billed_fen) AS billed_fen, sum(arpu_3m_fen) AS arpu_3m_fen, sum(arpu_6m_fen) AS arpu_6m_fen,
            sum(arpu_prev_3m_fen) AS arpu_prev_3m_fen, sum(bills_6m) AS bills_6m,
            sum(late_bills_6m) AS late_bills_6m, max(max_days_late_6m) AS max_days_late_6m,
            sum(arrears_fen) AS arrears_fen, max(arrears_age_days) AS arrears_age_days,
            sum(deposit_fen_12m) AS deposit_fen_12m, sum(voice_minutes) AS voice_minutes,
            sum(data_mb) AS data_mb, sum(sms_count) AS sms_count, sum(roaming_days) AS roaming_days
        FROM subscriber_features GROUP BY customer_code
    ),
    main_line AS (  -- highest 3-month ARPU, then the lowest subscriber id
        SELECT customer_code, subscriber_id, payment_method, brand AS main_brand FROM (
            SELECT customer_code, subscriber_id, payment_method, brand,
                row_number() OVER (PARTITION BY customer_code ORDER BY arpu_3m_fen DESC, subscriber_id) AS n
            FROM subscriber_features WHERE arpu_3m_fen IS NOT NULL
        ) WHERE n = 1
    ),
    staying AS (
        SELECT s.subscriber_id, s.customer_code, s.account_type, b.account_code, b.parent_account_code
        FROM subscriber_features s JOIN base b USING (subscriber_id)
        WHERE s.subscriber_status <> 'terminated'
    ),
    group_size AS (  -- lines on the customer's group master accounts or their sub-accounts, whoever holds them
        SELECT g.customer_code, count(DISTINCT m.subscriber_id) AS group_size
        FROM (SELECT DISTINCT customer_code, account_code FROM staying WHERE account_type = 'group_master') g
        JOIN (SELECT subscriber_id, account_code AS master FROM staying   -- on the master account itself
              UNION ALL SELECT subscriber_id, parent_account_code FROM staying) m  -- or on one of its sub-accounts
          ON m.master = g.account_code
        GROUP BY g.customer_code
    ),
    records AS (
        SELECT customer_code, count(*) AS integrity_records_12m,
            min(CASE kind {rank} ELSE {len(severity)} END) AS worst_rank
        FROM ({_integrity_sql(f)}) GROUP BY customer_code
    )
    SELECT {_lit(f.month)} AS month, t.customer_code, {_PROFILE},
        ({year} - year(customer_joined_date)) * 12 + ({month} - month(customer_joined_date))
            AS customer_tenure_months,
        t.subscribers, ml.payment_method, t.bank_collection, t.has_family_account, t.has_group_master,
        coalesce(g.group_size, 0) AS group_size, t.has_e8, t.has_e6, ml.main_brand,
        t.billed_fen, t.arpu_3m_fen, t.arpu_6m_fen, t.arpu_prev_3m_fen, t.bills_6m, t.late_bills_6m,
        t.max_days_late_6m, t.arrears_fen, t.arrears_age_days, t.deposit_fen_12m, t.voice_minutes, t.data_mb,
        t.sms_count, t.roaming_days,
        CASE r.worst_rank {worst} END AS worst_integrity_kind,
        coalesce(r.integrity_records_12m, 0) AS integrity_records_12m
    FROM totals t
    LEFT JOIN main_line ml USING (customer_code)
    LEFT JOIN base p ON p.subscriber_id = ml.subscriber_id
    LEFT JOIN group_size g USING (customer_code)
    LEFT JOIN records r USING (customer_code)
    """


def _grade(name: str, limits: PaymentThresholds) -> tuple[str, str, str]:
    """(rank, rule, reason) CASE expressions of the last 6 months' payments under one set of thresholds."""
    late, over, worst = f"coalesce({name}_late, 0)", f"coalesce({name}_overdue, 0)", "coalesce(days_late_6m, 0)"
    days = f"'近6个月有账单逾期' || {worst} || '天 / a bill ' || {worst} || ' days late in the last 6 months'"
    b = limits.b_days_late
    grades = [
        (f"{worst} >= {limits.c_days_late}", 3, "long_overdue", days),
        (
            f"{over} >= {limits.c_late_bills}",
            3,
            "repeated_overdue",
            f"'近6个月' || {over} || '次逾期超{b}天 / ' || {over} || ' bills more than {b} days late in 6 months'",
        ),
        (f"{over} >= 1", 2, "overdue", days),
        (
            f"{late} >= {limits.b_late_bills}",
            2,
            "late_payments",
            f"'近6个月' || {late} || '次逾期交费 / ' || {late} || ' late bills in 6 months'",
        ),
    ]
    rank = "CASE " + " ".join(f"WHEN {w} THEN {r}" for w, r, _, _ in grades) + " ELSE 1 END"
    rule = "CASE " + " ".join(f"WHEN {w} THEN 'credit.{name}.{i}'" for w, _, i, _ in grades)
    reason = "CASE " + " ".join(f"WHEN {w} THEN {why}" for w, _, _, why in grades)
    return (
        rank,
        rule + f" ELSE 'credit.{name}.good_payment' END",
        reason + " ELSE '近6个月按时交费 / paid on time in the last 6 months' END",
    )


def _worst_record(kinds: list[str]) -> tuple[str, str]:
    """(rule, reason) CASE expressions of the most severe record among `kinds`; null when none."""
    if not kinds:
        return "NULL", "NULL"
    rule = " ".join(f"WHEN records_{k} > 0 THEN 'credit.' || category || '.{k}'" for k in kinds)
    reason = " ".join(
        f"WHEN records_{k} > 0 THEN '近12个月有' || records_{k} || '条{RECORD_WORDS[k][0]}记录 / ' || records_{k} "
        f"|| ' {RECORD_WORDS[k][1]} record(s) in the last 12 months'"
        for k in kinds
    )
    return f"CASE {rule} END", f"CASE {reason} END"


def _by_rating(values: object) -> str:
    a, b, c = (getattr(values, r) for r in "ABC")
    return f"CASE credit_rating WHEN 'A' THEN {a} WHEN 'B' THEN {b} ELSE {c} END"


def _factor(column: str, factors: dict[str, int]) -> str:
    whens = " ".join(f"WHEN {_lit(code)} THEN {pct}" for code, pct in sorted(factors.items()))
    return f"(CASE {column} {whens} ELSE 100 END)" if factors else "100"


def credit_sql(f: MonthFiles, r: CreditRules) -> str:
    """Credit rating, class and authorisation of every customer of the customer features (schemas.CREDIT)."""
    in_rank, in_rule, in_reason = _grade("in_network", r.in_network)
    cc_rank, cc_rule, cc_reason = _grade("contract_cycle", r.contract_cycle)
    c_rule, c_reason = _worst_record([k for k in r.integrity_severity if k in r.c_range_records])
    b_rule, b_reason = _worst_record([k for k in r.integrity_severity if k in r.b_range_records])
    counts = ", ".join(f"count(*) FILTER (kind = '{k}') AS records_{k}" for k in r.integrity_severity)
    records = ", ".join(f"coalesce(records_{k}, 0) AS records_{k}" for k in r.integrity_severity)
    tenure_pct = " ".join(f"WHEN tenure >= {start} THEN {pct}" for start, pct in reversed(r.tenure_factor_pct))
    words = " ".join(f"WHEN {_lit(code)} THEN {_lit(zh)}" for code, zh in CATEGORY_WORDS.items())
    amount = f"({_by_rating(r.overdraft_base_fen)} + spend * {_by_rating(r.overdraft_arpu_pct)} // 100)"
    for pct in (f"(CASE {tenure_pct} ELSE 100 END)", _factor("income_band", r.income_factor_pct)):
        amount = f"({amount} * {pct} // 100)"
    amount = f"({amount} * {_factor('occupation', r.occupation_factor_pct)} // 100)"
    return f"""
    WITH payments AS (
        SELECT b.customer_code, count(*) AS bills_12m,
            max(days_late) FILTER (in_6m) AS days_late_6m,
            count(*) FILTER (in_6m AND days_late > {r.in_network.grace_days}) AS in_network_late,
            count(*) FILTER (in_6m AND days_late > {r.in_network.b_days_late}) AS in_network_overdue,
            count(*) FILTER (in_6m AND days_late > {r.contract_cycle.grace_days}) AS contract_cycle_late,
            count(*) FILTER (in_6m AND days_late > {r.contract_cycle.b_days_late}) AS contract_cycle_overdue
        FROM (
            SELECT subscriber_id, month IN {_lit(f.months(6))} AS in_6m,
                greatest(coalesce(CASE WHEN paid >= billed_fen THEN coalesce(paid_date - due_date, 0)
                                       ELSE {_lit(f.last_day)} - due_date END, 0), 0) AS days_late
            FROM (SELECT *, CASE WHEN paid_date IS NULL OR paid_date <= {_lit(f.last_day)}
                                 THEN coalesce(paid_fen, 0) ELSE 0 END AS paid
                  FROM bills WHERE month <= {_lit(f.month)})
        ) JOIN base b USING (subscriber_id)
        GROUP BY b.customer_code
    ),
    records AS (
        SELECT customer_code, {counts} FROM ({_integrity_sql(f)}) GROUP BY customer_code
    ),
    kinds AS (
        SELECT c.*, p.* EXCLUDE (customer_code), {records},
            CASE WHEN (coalesce(customer_tenure_months < {r.new_customer_months}, FALSE)
                       OR coalesce(bills_12m, 0) = 0) AND returning_rating IN ('A', 'B', 'C') THEN 'returning'
                 WHEN c.payment_method IN ('prepaid', 'agent_buyout') THEN c.payment_method
                 WHEN coalesce(customer_tenure_months < {r.new_customer_months}, FALSE)
                      OR coalesce(bills_12m, 0) = 0 THEN 'new'
                 WHEN c.payment_method = 'contract_cycle' THEN 'contract_cycle'
                 ELSE 'in_network' END AS category
        FROM customer_features c LEFT JOIN payments p USING (customer_code) LEFT JOIN records USING (customer_code)
    ),
    graded AS (
        SELECT *,
            CASE WHEN payment_method = 'contract_cycle' THEN {cc_rank} ELSE {in_rank} END AS pay_rank,
            CASE WHEN payment_method = 'contract_cycle' THEN {cc_rule} ELSE {in_rule} END AS pay_rule,
            CASE WHEN payment_method = 'contract_cycle' THEN {cc_reason} ELSE {in_reason} END AS pay_reason,
            {c_rule} AS c_rule, {c_reason} AS c_reason, {b_rule} AS b_rule, {b_reason} AS b_reason,
            category IN ('prepaid', 'agent_buyout') AS lenient
        FROM kinds
    ),
    candidates AS (  -- the base of the customer's kind, the payment grade where it can lower it, the worst record
        SELECT *,
            c_rule IS NOT NULL AS has_c_record,
            CASE WHEN c_rule IS NOT NULL THEN 3 WHEN b_rule IS NOT NULL AND NOT lenient THEN 2 END AS rec_rank,
            CASE WHEN c_rule IS NOT NULL THEN c_rule WHEN NOT lenient THEN b_rule END AS rec_rule,
            CASE WHEN c_rule IS NOT NULL THEN c_reason WHEN NOT lenient THEN b_reason END AS rec_reason,
            CASE category WHEN 'returning' THEN CASE returning_rating WHEN 'A' THEN 1 WHEN 'C' THEN 3 ELSE 2 END
                 WHEN 'prepaid' THEN 1 WHEN 'agent_buyout' THEN 1
                 WHEN 'new' THEN CASE WHEN bank_collection THEN 1 ELSE 2 END
                 ELSE pay_rank END AS base_rank,
            CASE category WHEN 'returning' THEN 'credit.returning.rating_when_left'
                 WHEN 'prepaid' THEN 'credit.prepaid.base' WHEN 'agent_buyout' THEN 'credit.agent_buyout.base'
                 WHEN 'new' THEN CASE WHEN bank_collection THEN 'credit.new.bank_collection' ELSE 'credit.new.base' END
                 ELSE pay_rule END AS base_rule,
            CASE category
                 WHEN 'returning' THEN '老客户重新入网，沿用离网时信用等级' || returning_rating
                      || ' / returning customer: rating ' || returning_rating || ' held when leaving'
                 WHEN 'prepaid' THEN '预付费客户 / prepaid customer'
                 WHEN 'agent_buyout' THEN '代理商买断客户 / agent-buyout end customer'
                 WHEN 'new' THEN CASE WHEN bank_collection
                      THEN '新入网客户，银行托收交费 / new customer paying by bank collection'
                      ELSE '新入网客户 / new customer' END
                 ELSE pay_reason END AS base_reason,
            CASE WHEN category IN ('returning', 'new') AND pay_rank > 1 THEN pay_rank END AS lowering_pay_rank
        FROM graded
    ),
    rated AS (
        SELECT *, greatest(base_rank, coalesce(lowering_pay_rank, 0), coalesce(rec_rank, 0)) AS worst
        FROM candidates
    ),
    decided AS (  -- lowest wins; on a tie the record, then the payment grade, then the base names the rule
        SELECT rated.*, ['A', 'B', 'C'][worst] AS credit_rating,
            CASE WHEN rec_rank = worst THEN rec_rule WHEN lowering_pay_rank = worst THEN pay_rule
                 ELSE base_rule END AS credit_rule,
            CASE WHEN rec_rank = worst THEN rec_reason WHEN lowering_pay_rank = worst THEN pay_reason
                 ELSE base_reason END AS credit_reason,
            prev.consecutive_a_months AS prev_a_months, prev.credit_rating AS prev_rating
        FROM rated LEFT JOIN previous_credit prev USING (customer_code)
    ),
    streak AS (
        SELECT *,
            CASE WHEN credit_rating = 'A' THEN coalesce(prev_a_months, 0) + 1 ELSE 0 END AS consecutive_a_months,
            coalesce(credit_rating < prev_rating, FALSE) AS improved,
            coalesce(customer_tenure_months, 0) AS tenure,
            greatest(coalesce(arpu_6m_fen, 0), 0) AS spend,
            coalesce(late_bills_6m, 0) AS late,
            coalesce(organisation_category IN {_lit(list(r.important_categories))}, FALSE) AS important
        FROM decided
    )
    SELECT customer_code, credit_rating, credit_rule, credit_reason, consecutive_a_months,
        CASE WHEN consecutive_a_months >= {r.class_i_consecutive_a_months} OR important THEN 'I'
             WHEN has_c_record OR credit_rating = 'C' THEN 'III' ELSE 'II' END AS credit_class,
        CASE WHEN consecutive_a_months >= {r.class_i_consecutive_a_months} THEN 'credit.class.high_credit'
             WHEN important THEN 'credit.class.important' WHEN has_c_record THEN 'credit.class.bad_record'
             WHEN credit_rating = 'C' THEN 'credit.class.low_credit'
             WHEN late >= {r.often_late_bills} THEN 'credit.class.often_late'
             ELSE 'credit.class.ordinary' END AS class_rule,
        CASE WHEN consecutive_a_months >= {r.class_i_consecutive_a_months}
                 THEN '连续' || consecutive_a_months || '个月信用等级A / rated A for ' || consecutive_a_months
                      || ' consecutive months'
             WHEN important THEN '重要客户（' || CASE organisation_category {words} ELSE organisation_category END
                      || '） / important customer (' || organisation_category || ')'
             WHEN has_c_record THEN rec_reason
             WHEN credit_rating = 'C' THEN '信用等级C / credit rating C'
             WHEN late >= {r.often_late_bills}
                 THEN '经常不按时交费：近6个月' || late || '次逾期 / often pays late: ' || late
                      || ' late bills in 6 months'
             ELSE '信用一般 / ordinary credit' END AS class_reason,
        CASE WHEN consecutive_a_months >= {r.class_i_consecutive_a_months} OR important
             THEN {r.class_i_exempt_months} ELSE 0 END AS suspension_exempt_months,
        least({amount}, {r.overdraft_cap_fen}) AS overdraft_limit_fen,
        credit_rating = 'A' OR (credit_rating = 'B' AND tenure >= {r.rental_b_min_tenure_months}) AS rental_eligible,
        least({_by_rating(r.discount_limit_pct)}
              + CASE WHEN improved THEN {r.upgrade_bonus_discount_pct} ELSE 0 END, 100) AS discount_limit_pct
    FROM streak
    """
