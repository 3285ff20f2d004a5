"""Write a synthetic operator: chunk by chunk of subscribers, each from (seed, chunk index) alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.kit.months import add_months, month_start
from telcocrm.synth import catalogue as cat
from telcocrm.synth.fates import SIGNALS, Fates, add_successors, draw_fates
from telcocrm.synth.identity import customer_codes, text
from telcocrm.synth.months import Columns, simulate_month, start_state
from telcocrm.synth.output import USAGE_COUNTS, Sink, dates, local_times, money
from telcocrm.synth.population import Population, Window, build_population
from telcocrm.synth.profile import Keys, customers_table, subscriber_ids
from telcocrm.synth.referrals import draw_referrals, referral_stream

CHUNK_SIZE = 100_000
Progress = Callable[[int, int], None]


@dataclass
class Summary:
    """What was written."""

    subscribers: int = 0  # rows of the customers file (own-product lines included)
    customers: int = 0
    leavers: int = 0


def make_window(end_month: str, months: int) -> Window:
    """The `months` months ending with `end_month`."""
    firsts = [month_start(add_months(end_month, offset)) for offset in range(1 - months, 2)]
    return Window(np.array(firsts, dtype="datetime64[D]"))


def generate(
    out: Path,
    *,
    subscribers: int,
    months: int,
    seed: int,
    end_month: str,
    file_format: str = "parquet",
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> Summary:
    """Write customers, monthly extracts and truth files under `out`; the same arguments give the same bytes."""
    if subscribers < 1 or months < 1:
        raise ValueError("subscribers and months must be at least 1")
    window = make_window(end_month, months)
    month_names = [add_months(end_month, offset) for offset in range(1 - months, 1)]
    chunks = -(-subscribers // chunk_size)
    summary = Summary()
    with Sink(out, file_format) as sink:
        for chunk in range(chunks):
            size = min(chunk_size, subscribers - chunk * chunk_size)
            _write_chunk(sink, Keys(seed, chunk, chunk_size), size, window, month_names, summary)
            if progress:
                progress(chunk + 1, chunks)
    return summary


def _write_chunk(sink: Sink, keys: Keys, size: int, window: Window, month_names: list[str], summary: Summary) -> None:
    rng = np.random.default_rng([keys.seed, keys.chunk])
    pop = build_population(rng, size, window)
    pop, fates, successor = add_successors(rng, pop, draw_fates(rng, pop, window))
    sub_ids = subscriber_ids(keys, pop.lines)
    codes = customer_codes(keys.customer_serials(len(pop.c_segment)))
    state = start_state(rng, pop, fates, window)
    for m, month in enumerate(month_names):
        tables = simulate_month(rng, pop, fates, window, state, m)
        tables["referrals"] = draw_referrals(referral_stream(keys.seed, keys.chunk, m), pop, fates, window, m)
        for name, columns in tables.items():
            sink.write(f"{month}/{name}", _extract(name, columns, month, pop, sub_ids, codes))
    left = fates.left_month >= 0
    status = np.select([left, state.suspended], [2, 1], 0)
    sink.write(
        "customers",
        customers_table(rng, pop, keys, sub_ids, codes, status, fates.left_day, state.contract_end),
    )
    sink.write(
        "truth/subscribers",
        _truth_subscribers(pop, fates, successor, sub_ids, codes, window, month_names),
        parquet_only=True,
    )
    sink.write("truth/churn", _truth_churn(pop, fates, sub_ids, codes, month_names), parquet_only=True)
    summary.subscribers += pop.lines
    summary.customers += len(pop.c_segment)
    summary.leavers += int(left.sum())


def _extract(name: str, columns: Columns, month: str, pop: Population, sub_ids: pa.Array, codes: pa.Array) -> pa.Table:
    """A month's table in the extract input format."""
    line = pa.array(columns["line"], pa.int64())
    subscriber = pc.take(sub_ids, line)
    count = len(columns["line"])
    if name == "bills":
        return pa.table(
            {
                "subscriber_id": subscriber,
                "month": pa.array([month] * count, pa.string()),
                "billed_amount": money(columns["billed"]),
                "due_date": dates(columns["due"]),
                "paid_amount": money(columns["paid"]),
                "paid_date": dates(columns["paid_day"]),
                "payment_method": text(cat.PAYMENTS, columns["payment"]),
            }
        )
    if name == "usage":
        counts = ("voice", "offnet", "data", "allowance", "sms", "forwarded", "forwarded_offnet", "called", "roaming")
        data: dict[str, pa.Array] = {"subscriber_id": subscriber, "month": pa.array([month] * count, pa.string())}
        data.update({out: pa.array(columns[key], pa.int64()) for key, out in zip(counts, USAGE_COUNTS, strict=True)})
        data["plan_fee"] = money(columns["plan_fee"])
        return pa.table(data)
    if name == "events":
        return pa.table(
            {
                "subscriber_id": subscriber,
                "event_time": local_times(columns["time"]),
                "kind": text(cat.EVENT_KINDS, columns["kind"]),
                "old_plan_fee": money(columns["old_fee"], columns["old_fee"] >= 0),
                "new_plan_fee": money(columns["new_fee"], columns["new_fee"] >= 0),
                "handset_age_months": pa.array(columns["handset_age"], pa.int64(), mask=columns["handset_age"] < 0),
                "reason": _nullable(text(cat.EVENT_REASONS, columns["reason"])),
            }
        )
    if name == "referrals":
        referrer = pc.take(codes, pa.array(columns["referrer"], pa.int64()))
        return pa.table(
            {
                "referrer_customer_code": referrer,
                "referred_subscriber_id": subscriber,
                "referral_date": dates(columns["day"]),
            }
        )
    if name == "integrity":
        customer = pc.take(codes, pa.array(pop.l_customer[columns["line"]], pa.int64()))
        return pa.table(
            {
                "customer_code": customer,
                "subscriber_id": pc.if_else(
                    pa.array(columns["with_subscriber"], pa.bool_()), subscriber, pa.scalar(None, pa.string())
                ),
                "event_date": dates(columns["day"]),
                "kind": text(cat.INTEGRITY_KINDS, columns["kind"]),
                "amount": money(columns["amount"]),
            }
        )
    return pa.table(
        {"subscriber_id": subscriber, "topup_time": local_times(columns["time"]), "amount": money(columns["amount"])}
    )


def _nullable(values: pa.Array) -> pa.Array:
    """Empty text as null (CSV: an empty field)."""
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _month_names(indices: np.ndarray, month_names: list[str]) -> pa.Array:
    return _nullable(text(["", *month_names], indices + 1))


def _truth_subscribers(
    pop: Population,
    fates: Fates,
    successor: np.ndarray,
    sub_ids: pa.Array,
    codes: pa.Array,
    window: Window,
    month_names: list[str],
) -> pa.Table:
    """The hidden traits of every line, for tests and the churn model to check signals against."""
    customer = pop.l_customer
    seg = pop.c_segment[customer]
    shown = fates.signals & (fates.episode_start >= 0)[:, None]
    data: dict[str, pa.Array] = {
        "subscriber_id": sub_ids,
        "customer_code": pc.take(codes, pa.array(customer)),
        "segment": text(cat.SEGMENTS, seg),
        "organisation_category": _nullable(text(["", *cat.ORG_CATEGORIES], pop.c_category[customer] + 1)),
        "product": text(cat.PRODUCTS, pop.l_product),
        "brand": text(cat.BRANDS, pop.l_brand),
        "payment_method": text(cat.PAYMENTS, pop.a_payment[pop.l_account]),
        "usual_arpu_fen": pa.array(pop.l_arpu_fen, pa.int64()),
        "joined_in_window": pa.array(pop.l_activated >= window.first),
        "sunk": pa.array(fates.sunk),
        "late_payer": pa.array(fates.late_payer),
        "non_payer_from": _month_names(fates.non_payer_from, month_names),
        "fraud": pa.array(fates.fraud),
        "churned": pa.array(fates.left_month >= 0),
        "left_month": _month_names(fates.left_month, month_names),
        "warning_months": pa.array(fates.warning_months, pa.int64()),
        "false_alarm": pa.array((fates.episode_start >= 0) & (fates.left_month < 0) & (fates.successor_of < 0)),
        "own_product_line": pa.array(successor),
        "replaces_subscriber_id": pc.if_else(
            pa.array(fates.successor_of >= 0),
            pc.take(sub_ids, pa.array(np.maximum(fates.successor_of, 0))),
            pa.scalar(None, pa.string()),
        ),
    }
    data.update({f"sign_{name}": pa.array(shown[:, index]) for index, name in enumerate(SIGNALS)})
    return pa.table(data)


def _truth_churn(pop: Population, fates: Fates, sub_ids: pa.Array, codes: pa.Array, month_names: list[str]) -> pa.Table:
    """One row per leaver: when, where to, why, and how many months of warning signs it showed (0: none)."""
    leavers = np.flatnonzero(fates.left_month >= 0)
    index = pa.array(leavers, pa.int64())
    return pa.table(
        {
            "subscriber_id": pc.take(sub_ids, index),
            "customer_code": pc.take(codes, pa.array(pop.l_customer[leavers], pa.int64())),
            "left_month": text(month_names, fates.left_month[leavers]),
            "left_date": dates(fates.left_day[leavers]),
            "destination": text(cat.CHURN_DESTINATIONS, fates.destination[leavers]),
            "reason": text(cat.CHURN_REASONS, fates.reason[leavers]),
            "warning_months": pa.array(fates.warning_months[leavers], pa.int64()),
        }
    )
