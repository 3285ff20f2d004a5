"""The shapes of every table of the monthly batch, as Arrow schemas: the contract between its layers.

Stored extracts keep the names of the billing files (docs/data-contract.md) except that money is integer fen
(`*_fen`, exact on every engine) and every time is local (Asia/Shanghai) without a zone, so DuckDB and Spark
bucket it into the same day and month. Months are `YYYY-MM` strings.
"""

from __future__ import annotations

import pyarrow as pa

FEN = pa.int64()  # money: 1 CNY = 100 fen
MONTH = pa.string()  # YYYY-MM

# --- Extracts as stored by ingest (analytics store: extracts/month=YYYY-MM/NAME.parquet) -----------------------

BILLS = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("month", MONTH),  # the billing month the bill is for
        ("billed_fen", FEN),
        ("due_date", pa.date32()),
        ("paid_fen", FEN),  # 0 when nothing paid
        ("paid_date", pa.date32()),  # null when unpaid
        ("payment_method", pa.string()),  # PaymentMethod codes
    ]
)
USAGE = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("month", MONTH),
        ("voice_minutes", pa.int64()),
        ("offnet_voice_minutes", pa.int64()),
        ("data_mb", pa.int64()),
        ("data_allowance_mb", pa.int64()),  # 0: no allowance in the plan
        ("sms_count", pa.int64()),
        ("forwarded_calls", pa.int64()),
        ("forwarded_offnet_calls", pa.int64()),
        ("distinct_called_numbers", pa.int64()),
        ("roaming_days", pa.int64()),
        ("plan_fee_fen", FEN),
    ]
)
EVENT_KINDS = (
    "suspend",
    "resume",
    "plan_change",
    "contract_start",
    "contract_end",
    "handset_change",
    "complaint",
    "port_out_query",
    "terminate",
)
EVENTS = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("event_time", pa.timestamp("us")),  # local time, no zone
        ("event_date", pa.date32()),  # the local day of event_time
        ("kind", pa.string()),  # EVENT_KINDS
        ("old_plan_fee_fen", FEN),  # plan_change only
        ("new_plan_fee_fen", FEN),
        ("handset_age_months", pa.int64()),  # handset_change: age of the handset replaced
        ("reason", pa.string()),
    ]
)
INTEGRITY_KINDS = ("written_off_arrears", "fraud", "bounced_payment", "false_registration")
INTEGRITY = pa.schema(
    [
        ("customer_code", pa.string()),
        ("subscriber_id", pa.string()),  # null when the record concerns the customer as a whole
        ("event_date", pa.date32()),
        ("kind", pa.string()),  # INTEGRITY_KINDS
        ("amount_fen", FEN),
    ]
)
TOPUPS = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("topup_time", pa.timestamp("us")),  # local time, no zone
        ("topup_date", pa.date32()),
        ("amount_fen", FEN),
    ]
)
# Optional: which customer brought which new line (docs/data-contract.md; the referral campaign of docs/rules.md).
REFERRALS = pa.schema(
    [
        ("referrer_customer_code", pa.string()),  # as written: a merged-away code is not followed to its survivor
        ("referred_subscriber_id", pa.string()),  # referred once: a line referred again in a later month counts once
        ("referral_date", pa.date32()),  # on or before the last day of the month that delivered it
        ("month", MONTH),  # the month of the extract that delivered it (filled by ingest)
    ]
)
EXTRACTS: dict[str, pa.Schema] = {
    "bills": BILLS,
    "usage": USAGE,
    "events": EVENTS,
    "integrity": INTEGRITY,
    "topups": TOPUPS,
    "referrals": REFERRALS,
}

# --- The operational base at run time (analytics store: base/month=YYYY-MM/subscribers.parquet) -----------------
# One row per subscriber of the operational database, with its customer and billing account: what the run knows
# of the customer that billing does not send.

BASE = pa.schema(
    [
        ("subscriber_id", pa.string()),  # subscriber.subscriber_code
        ("customer_code", pa.string()),  # the customer now holding the line (merges followed)
        ("customer_kind", pa.string()),  # person | organisation
        ("customer_joined_date", pa.date32()),  # local day
        ("organisation_category", pa.string()),  # government | party | military | public_institution |
        # enterprise_high_end | enterprise | small_business; null for persons
        ("industry", pa.string()),
        ("decision_scope", pa.string()),  # global | national | provincial | local: an industry customer; null: cluster
        ("strategic", pa.bool_()),  # marked strategic by the account managers
        ("home_business", pa.bool_()),  # residence used as office or shop (商住一体)
        ("occupation", pa.string()),
        ("income_band", pa.string()),  # IncomeBand codes
        ("birth_year", pa.int32()),  # from a resident ID; null otherwise
        ("account_code", pa.string()),
        ("account_type", pa.string()),  # AccountType codes
        ("parent_account_code", pa.string()),
        ("payment_method", pa.string()),  # PaymentMethod codes
        ("product", pa.string()),  # Product codes
        ("brand", pa.string()),  # brand catalogue code (configuration)
        ("subscriber_status", pa.string()),  # active | suspended | terminated
        ("activated_date", pa.date32()),
        ("terminated_date", pa.date32()),
        ("contract_end_date", pa.date32()),
        ("channel_code", pa.string()),
        ("returning_rating", pa.string()),  # rating held when a former customer left (same certificate); else null
        ("city", pa.string()),  # the branch (地市分公司) serving the customer: the city of the customer's profile
    ]
)

# --- Intermediate: features ----------------------------------------------------------------------------------------
# One row per subscriber in the network at some time during the month (activated on or before the month's last
# day, not terminated before its first day). Averages over months count only the months the line was billed.

SUBSCRIBER_FEATURES = pa.schema(
    [
        ("month", MONTH),
        ("subscriber_id", pa.string()),
        ("customer_code", pa.string()),
        ("product", pa.string()),
        ("brand", pa.string()),
        ("payment_method", pa.string()),
        ("account_type", pa.string()),
        ("subscriber_status", pa.string()),  # at the month's end
        ("terminated_in_month", pa.bool_()),
        ("tenure_months", pa.int64()),  # whole months from activation to the month's last day
        ("billed_fen", FEN),  # this month
        ("arpu_1m_fen", FEN),  # floor of the average billed per billed month
        ("arpu_3m_fen", FEN),
        ("arpu_6m_fen", FEN),
        ("arpu_prev_3m_fen", FEN),  # the three months before this one
        ("bills_6m", pa.int64()),
        ("late_bills_6m", pa.int64()),  # paid after the due date, or unpaid past it
        ("max_days_late_6m", pa.int64()),  # days past due, unpaid counted to the month's last day
        ("unpaid_bills", pa.int64()),  # due on or before the month's end and not fully paid
        ("arrears_fen", FEN),
        ("arrears_age_days", pa.int64()),  # from the oldest unpaid due date to the month's last day; 0 if none
        ("deposit_fen_12m", FEN),  # top-ups and deposits over 12 months
        ("voice_minutes", pa.int64()),
        ("offnet_voice_minutes", pa.int64()),
        ("data_mb", pa.int64()),
        ("data_allowance_mb", pa.int64()),
        ("sms_count", pa.int64()),
        ("roaming_days", pa.int64()),
        ("plan_fee_fen", FEN),
        ("distinct_called_numbers", pa.int64()),
        ("forwarded_calls", pa.int64()),
        ("forwarded_offnet_calls", pa.int64()),
        # churn features (issue 5 trains on them); pct are whole percent, null when the base is 0
        ("arpu_change_1m_pct", pa.int64()),  # this month vs last month
        ("arpu_change_3m_pct", pa.int64()),  # this month vs the average of the three before
        ("called_numbers_change_pct", pa.int64()),  # this month vs the average of the three before
        ("forwarded_offnet_share_pct", pa.int64()),  # forwarded_offnet_calls / forwarded_calls this month
        ("data_usage_pct", pa.int64()),  # data_mb / data_allowance_mb this month
        ("suspensions_3m", pa.int64()),
        ("suspensions_6m", pa.int64()),
        ("suspended_days_6m", pa.int64()),
        ("plan_downgrades_3m", pa.int64()),
        ("plan_downgrades_6m", pa.int64()),
        ("plan_upgrades_6m", pa.int64()),
        ("complaints_3m", pa.int64()),
        ("port_out_queries_3m", pa.int64()),
        ("handset_age_months", pa.int64()),  # latest known; null when never reported
        ("contract_months_left", pa.int64()),  # null when no contract; 0 when it ends this month
    ]
)

CUSTOMER_FEATURES = pa.schema(
    [
        ("month", MONTH),
        ("customer_code", pa.string()),
        ("customer_kind", pa.string()),
        ("organisation_category", pa.string()),
        ("industry", pa.string()),
        ("decision_scope", pa.string()),
        ("strategic", pa.bool_()),
        ("home_business", pa.bool_()),
        ("occupation", pa.string()),
        ("income_band", pa.string()),
        ("birth_year", pa.int32()),
        ("returning_rating", pa.string()),
        ("customer_tenure_months", pa.int64()),  # from customer_joined_date
        ("subscribers", pa.int64()),  # in network at the month's end
        ("payment_method", pa.string()),  # of the customer's main line (highest ARPU, then subscriber_id)
        ("bank_collection", pa.bool_()),  # any account paid by bank collection
        ("has_family_account", pa.bool_()),
        ("has_group_master", pa.bool_()),
        ("group_size", pa.int64()),  # subscribers under the customer's group master accounts
        ("has_e8", pa.bool_()),
        ("has_e6", pa.bool_()),
        ("main_brand", pa.string()),  # brand of the main line
        ("billed_fen", FEN),
        ("arpu_3m_fen", FEN),  # sum over the customer's subscribers
        ("arpu_6m_fen", FEN),
        ("arpu_prev_3m_fen", FEN),
        ("bills_6m", pa.int64()),
        ("late_bills_6m", pa.int64()),
        ("max_days_late_6m", pa.int64()),
        ("arrears_fen", FEN),
        ("arrears_age_days", pa.int64()),
        ("deposit_fen_12m", FEN),
        ("voice_minutes", pa.int64()),
        ("data_mb", pa.int64()),
        ("sms_count", pa.int64()),
        ("roaming_days", pa.int64()),
        ("worst_integrity_kind", pa.string()),  # the most severe record of the last 12 months; null if none
        ("integrity_records_12m", pa.int64()),
    ]
)

# --- Marts ---------------------------------------------------------------------------------------------------------
# Every decided value has the id of the rule that decided it (`*_rule`, an id of the rules file such as
# `credit.in_network.late_payment`) and a reason in business words (`*_reason`, Chinese then English).

CREDIT = pa.schema(
    [
        ("customer_code", pa.string()),
        ("credit_rating", pa.string()),  # A | B | C
        ("credit_rule", pa.string()),
        ("credit_reason", pa.string()),
        ("consecutive_a_months", pa.int64()),  # previous month's + 1 while A, else 0
        ("credit_class", pa.string()),  # I | II | III
        ("class_rule", pa.string()),
        ("class_reason", pa.string()),
        ("suspension_exempt_months", pa.int64()),
        ("overdraft_limit_fen", FEN),
        ("rental_eligible", pa.bool_()),
        ("discount_limit_pct", pa.int64()),
    ]
)
SEGMENTS = pa.schema(
    [
        ("customer_code", pa.string()),
        ("segment", pa.string()),  # government_enterprise | family | personal
        ("sub_segment", pa.string()),
        ("segment_rule", pa.string()),
        ("segment_reason", pa.string()),
        ("value_grade", pa.string()),  # 5A … 1A for government and enterprise customers; else null
        ("arpu_grade", pa.string()),  # five-way classification …
        ("deposit_tier", pa.string()),
        ("tenure_band", pa.string()),
        ("behaviour_cluster", pa.string()),
        ("demographic_band", pa.string()),
        ("big_customer_kinds", pa.string()),  # comma-separated, fixed order: important,high_value,group,strategic
        ("special_class", pa.bool_()),  # two kinds or more: 特级大客户
        ("big_customer_reason", pa.string()),
        ("star_tier", pa.string()),  # vip | 5 | 4 | 3 | 2 | 1
        ("star_rule", pa.string()),
        ("star_reason", pa.string()),
        ("value_tier", pa.string()),  # high | mid | low
        ("value_rule", pa.string()),
        ("value_reason", pa.string()),
    ]
)
LIFECYCLE = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("lifecycle_stage", pa.string()),  # identification | growth | stable | warning | sunk | left
        ("lifecycle_rule", pa.string()),
        ("lifecycle_reason", pa.string()),
    ]
)

# What `telcocrm results export` writes and analysts read: one row per subscriber with its customer's values.
SUBSCRIBER_RESULTS = pa.schema(
    [
        ("month", MONTH),
        ("rules_version", pa.string()),
        ("subscriber_id", pa.string()),
        ("customer_code", pa.string()),
        *[(f.name, f.type) for f in CREDIT if f.name != "customer_code"],
        *[(f.name, f.type) for f in SEGMENTS if f.name != "customer_code"],
        *[(f.name, f.type) for f in LIFECYCLE if f.name != "subscriber_id"],
    ]
)

# --- Loyalty points (issue 4; rules: [loyalty], docs/rules.md ## Loyalty points) --------------------------------------
# Points are whole numbers. Customer groups: telcocrm.loyalty.config.CUSTOMER_GROUPS.

# The customers' points accounts as the points ledger holds them (one row per customer with an account; an empty
# table when none): the two publication reasons the billing data cannot know.
POINTS_MEMBERS = pa.schema(
    [
        ("customer_code", pa.string()),
        ("opted_in", pa.bool_()),  # asked for points (积分定制)
        ("points_sensitive", pa.bool_()),  # marked points-sensitive
    ]
)
# One row per subscriber of the subscriber features: what the line paid this month and the points it brings. The
# customer's award is computed on the customer's total (one floor), so these rows are for analysis.
SUBSCRIBER_POINTS = pa.schema(
    [
        ("month", MONTH),
        ("subscriber_id", pa.string()),
        ("customer_code", pa.string()),
        ("customer_group", pa.string()),
        ("paid_fen", FEN),  # billed and paid: payments dated in the month, each up to its bill's amount
        ("consumption_points", pa.int64()),  # whole CNY of paid_fen × the group's points per CNY
        ("tenure_years", pa.int64()),  # whole years of the customer's tenure
        ("tenure_multiplier_pct", pa.int64()),
        ("tenure_points", pa.int64()),  # consumption_points × (multiplier − 100) %, rounded down
        ("points", pa.int64()),  # consumption + tenure
    ]
)
# One row per (customer_code, rule, source) with points > 0: the month's earn awards; only published rows are
# posted to the points ledger (idempotency key: customer_code, month, rule, source).
POINTS_AWARDS = pa.schema(
    [
        ("month", MONTH),
        ("customer_code", pa.string()),
        ("rule", pa.string()),  # points.consumption | points.tenure | points.credit | points.bonus.<name>
        ("source", pa.string()),  # billing | credit | campaign:<code>
        ("points", pa.int64()),  # > 0
        ("published", pa.bool_()),  # 积分获得: shown to and spendable by the customer, reward cost accrued
        ("reason", pa.string()),  # Chinese / English, with the figures
    ]
)
# The reward cost of the month's published points per branch, segment and value tier.
POINTS_LIABILITY = pa.schema(
    [
        ("month", MONTH),
        ("city", pa.string()),  # the branch: the customer's city (BASE.city); null when the profile has none
        ("segment", pa.string()),
        ("value_tier", pa.string()),
        ("customers", pa.int64()),  # customers with published points
        ("points", pa.int64()),  # published points
        ("liability_fen", FEN),  # points × reward unit cost
    ]
)

# --- Partner points (telcocrm loyalty import-partner): one row per transaction of a partner merchant's file -------
PARTNER_POINTS = pa.schema(
    [
        ("batch_id", pa.string()),  # the partner's settlement batch: a file sent again replaces its batch
        ("merchant_code", pa.string()),  # loyalty/catalogue.toml [[partners]]
        ("customer_code", pa.string()),
        ("transaction_date", pa.date32()),
        ("amount_fen", FEN),  # what the customer spent at the merchant
        ("points", pa.int64()),  # what the partner awards for it
        ("reference", pa.string()),  # the partner's transaction number, once per merchant
    ]
)

# --- Churn early warning and retention (issue 5; docs/churn.md, docs/retention.md) -----------------------------------
# Churn signals (the seed's warning items): suspension, plan_downgrade, arpu_drop, offnet_forwarding,
# called_numbers_drop, contract_ending, complaint, port_out_query.

# One row per line of the month's subscriber features still in the network at the month's end: the learned
# model's calibrated probability of leaving within the model's horizon, and its reasons in business words.
CHURN_SCORES = pa.schema(
    [
        ("month", MONTH),
        ("subscriber_id", pa.string()),
        ("customer_code", pa.string()),
        ("churn_probability", pa.float64()),  # calibrated, 0–1
        ("risk_decile", pa.int64()),  # 1 = the tenth most at risk … 10 = the least
        ("top_signal", pa.string()),  # the churn signal of the strongest reason; null when none pushes risk up
        ("reasons", pa.string()),  # up to three reasons, Chinese / English, joined by " | "; filled for warned lines
        ("model_version", pa.string()),
    ]
)
# One row per customer of the month's customer features: the most the operator spends to keep the customer
# (docs/retention.md: formula and defaults), and what it is computed from.
RETENTION_CAPS = pa.schema(
    [
        ("month", MONTH),
        ("customer_code", pa.string()),
        ("value_tier", pa.string()),  # high | mid | low
        ("main_product", pa.string()),  # product of the main line: its ACPU (acquisition cost) bounds the cap
        ("arpu_fen", FEN),  # the customer's 3-month ARPU (all lines)
        ("group_size", pa.int64()),  # n: members under the customer's group accounts (1 for a single customer)
        ("cost_cap_fen", FEN),
    ]
)
# One row per line of the month's subscriber features still in the network at the month's end (not terminated in
# the month): every churn warning rule that fired ([churn] rules; docs/rules.md § Churn warning rules).
CHURN_WARNINGS = pa.schema(
    [
        ("month", MONTH),
        ("subscriber_id", pa.string()),
        ("customer_code", pa.string()),
        ("warning_score", pa.int64()),  # sum of the fired rules' weights; 0 when none fired
        ("warned", pa.bool_()),  # warning_score ≥ churn.warn_score_at_least
        ("fired_rules", pa.string()),  # rule ids (churn.<id>) in the file's order, comma-separated; "" when none
        ("signals", pa.string()),  # distinct signals of the fired rules, in the file's order, comma-separated
        ("top_signal", pa.string()),  # signal of the heaviest fired rule (the first on a tie); null when none
        ("top_rule", pa.string()),
        ("reasons", pa.string()),  # the fired rules' reasons, Chinese / English, joined by " | "; "" when none
    ]
)
# One row per warned customer (a line warned by the rules or by the model): the retention measure recommended
# within the customer's cost cap (docs/retention.md § Recommendations), or none and why.
RETENTION_OFFERS = pa.schema(
    [
        ("month", MONTH),
        ("customer_code", pa.string()),
        ("subscriber_id", pa.string()),  # the warned line the recommendation answers
        ("value_tier", pa.string()),
        ("lifecycle_stage", pa.string()),  # of that line
        ("signal", pa.string()),  # the churn signal answered; null when neither rules nor model name one
        ("warned_by", pa.string()),  # rules | model | rules,model
        ("warning_score", pa.int64()),
        ("churn_probability", pa.float64()),  # null without model scores
        ("arpu_fen", FEN),  # the customer's 3-month ARPU
        ("risk_value_fen", FEN),  # ARPU × probability (without a probability: ARPU × min(score, 100) / 100)
        ("cost_cap_fen", FEN),
        ("measure_code", pa.string()),  # seed code (DM001 …); null when nothing fits within the cap
        ("measure_phase", pa.string()),  # save | maintenance
        ("measure_cost_fen", FEN),
        ("offer_reason", pa.string()),  # why this measure, or why none (Chinese / English)
    ]
)
# Lines of the month per lifecycle stage × value tier × brand (brief §8 目标市场客户细分), with the retention phase
# the cell belongs to (retention.toml [phases]).
RETENTION_MATRIX = pa.schema(
    [
        ("month", MONTH),
        ("lifecycle_stage", pa.string()),
        ("value_tier", pa.string()),  # high | mid | low; null for a customer without a segment row
        ("brand", pa.string()),
        ("retention_phase", pa.string()),  # prevention | maintenance | save; null for a stage the file does not map
        ("lines", pa.int64()),
        ("customers", pa.int64()),  # distinct customers with a line in the cell
        ("arpu_fen", FEN),  # sum of the lines' 3-month ARPU
        ("warned_lines", pa.int64()),  # lines warned by the rules (CHURN_WARNINGS.warned)
    ]
)
# What the branch's warning list shows (web /web/churn/warnings, CSV and Excel exports): one row per warned customer
# of RETENTION_OFFERS, with the branch, the warned line's product and brand and every reason, riskiest × most
# valuable first (risk_value_fen descending).
WARNING_LIST = pa.schema(
    [
        *RETENTION_OFFERS,
        ("city", pa.string()),  # the branch: the customer's city (BASE.city); null when the profile has none
        ("product", pa.string()),  # of the warned line
        ("brand", pa.string()),
        ("risk_decile", pa.int64()),  # CHURN_SCORES.risk_decile; null without model scores
        ("model_reasons", pa.string()),  # CHURN_SCORES.reasons of the warned line
        ("rule_reasons", pa.string()),  # CHURN_WARNINGS.reasons of the warned line; "" when no rule fired
    ]
)
