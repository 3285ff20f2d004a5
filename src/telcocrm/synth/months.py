"""Month by month, for a whole chunk at once: plan changes, usage, bills and payments, events, integrity, top-ups.

Each month's tables come out as numpy columns keyed by line number (`line`); money in fen, times as local
datetime64[s], NaT or -1 where the value is empty. telcocrm.synth.output turns them into the extract files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from telcocrm.synth import catalogue as cat
from telcocrm.synth.fates import SIGNALS, Fates
from telcocrm.synth.population import Population, Window

Columns = dict[str, np.ndarray]
LADDER_FEN = cat.PLAN_LADDER_CNY * 100
_S = {name: index for index, name in enumerate(SIGNALS)}
VOICE = np.isin(np.arange(len(cat.PRODUCTS)), [cat.P_MOBILE, cat.P_FIXED, cat.P_E8])


@dataclass
class MonthState:
    """What carries from one month to the next for each line."""

    arpu: np.ndarray
    plan: np.ndarray  # index into LADDER_FEN
    arrears_fen: np.ndarray
    suspended: np.ndarray
    contract_end: np.ndarray
    written_off: np.ndarray
    fraud_month: np.ndarray
    registration_month: np.ndarray
    tables: list[dict[str, Columns]] = field(default_factory=list)


def start_state(rng: np.random.Generator, pop: Population, fates: Fates, window: Window) -> MonthState:
    """Plans and ARPU at the window's start; sunk lines sit on the smallest plans with tiny bills."""
    count = pop.lines
    arpu = np.where(fates.sunk, np.minimum(pop.l_arpu_fen, rng.integers(300, 1200, count)), pop.l_arpu_fen)
    plan = np.clip(np.searchsorted(LADDER_FEN, arpu * 0.85, side="right") - 1, 0, len(LADDER_FEN) - 1)
    months = max(window.months, 1)
    return MonthState(
        arpu=arpu.astype(np.float64),
        plan=plan,
        arrears_fen=np.zeros(count, dtype=np.int64),
        suspended=np.zeros(count, dtype=bool),
        contract_end=pop.l_contract_end.copy(),
        written_off=np.zeros(count, dtype=bool),
        fraud_month=np.where(fates.fraud, rng.integers(0, months, count), -1),
        registration_month=np.where(fates.sunk & (rng.random(count) < 0.03), rng.integers(0, months, count), -1),
    )


def simulate_month(
    rng: np.random.Generator, pop: Population, fates: Fates, window: Window, state: MonthState, m: int
) -> dict[str, Columns]:
    """The five extract tables of month `m` for the chunk (in line order), updating the carried state."""
    start, after = window.starts[m], window.starts[m + 1]
    days = int((after - start).astype(np.int64))
    leave_after = np.where(fates.left_month == m, fates.left_day + 1, after)
    in_network = (pop.l_activated < after) & ((fates.left_month < 0) | (fates.left_month >= m))
    from_day = np.maximum(pop.l_activated, start)
    to_day = np.minimum(leave_after, after)
    share = np.clip((to_day - from_day).astype(np.int64), 0, days) / days
    episode = (fates.episode_start >= 0) & (fates.episode_start <= m) & (m <= fates.episode_end)
    length = np.maximum(fates.episode_end - fates.episode_start + 1, 1)
    intensity = np.where(episode, (m - fates.episode_start + 1) / length, 0.0)
    sign = fates.signals & episode[:, None]
    clock = _Clock(rng, from_day, to_day)
    events: list[Columns] = []
    events.append(_plan_changes(rng, pop, fates, state, in_network, sign, m, clock))
    suspended_days, suspension_events = _suspensions(rng, fates, state, in_network, sign, m, clock, days)
    events.append(suspension_events)
    events.extend(_other_events(rng, pop, fates, state, in_network, sign, intensity, m, clock, window))
    active = share * (1 - suspended_days / days) * np.where(state.suspended, 0.05, 1.0)
    billed = _billed(rng, state, fates, sign, intensity, share)
    bills, integrity = _bills_and_integrity(rng, pop, fates, state, window, m, in_network, billed)
    tables = {
        "bills": bills,
        "usage": _usage(rng, pop, fates, state, in_network, sign, intensity, active, days),
        "events": _sorted(_concat(events), "line", "time"),
        "integrity": integrity,
        "topups": _topups(rng, pop, in_network, billed, clock),
    }
    return tables


class _Clock:
    """Random local times inside each line's days in network this month."""

    def __init__(self, rng: np.random.Generator, from_day: np.ndarray, to_day: np.ndarray) -> None:
        self.rng = rng
        self.start = from_day.astype("datetime64[s]")
        self.span = np.maximum((to_day.astype("datetime64[s]") - self.start).astype(np.int64), 1)

    def times(self, lines: np.ndarray) -> np.ndarray:
        """A random second of each given line's time in network."""
        return np.asarray(self.start[lines] + (self.rng.random(len(lines)) * self.span[lines]).astype(np.int64))


def _event(lines: np.ndarray, times: np.ndarray, kind: int, reason: int | np.ndarray = cat.RS_NONE) -> Columns:
    count = len(lines)
    return {
        "line": lines,
        "time": times,
        "kind": np.full(count, kind),
        "old_fee": np.full(count, -1),
        "new_fee": np.full(count, -1),
        "handset_age": np.full(count, -1),
        "reason": np.broadcast_to(np.asarray(reason), (count,)).copy(),
    }


def _plan_changes(
    rng: np.random.Generator,
    pop: Population,
    fates: Fates,
    state: MonthState,
    in_network: np.ndarray,
    sign: np.ndarray,
    m: int,
    clock: _Clock,
) -> Columns:
    """Warning-sign downgrades at the start of an episode, and the ordinary ups and downs of the base."""
    count = pop.lines
    warned = sign[:, _S["downgrade"]] & (fates.episode_start == m)
    background = rng.random(count) < 0.015
    step = np.where(warned, -rng.integers(1, 3, count), np.where(rng.random(count) < 0.6, 1, -1))
    change = in_network & ~state.suspended & (warned | background)
    new_plan = np.clip(state.plan + step, 0, len(LADDER_FEN) - 1)
    lines = np.flatnonzero(change & (new_plan != state.plan))
    columns = _event(lines, clock.times(lines), cat.EV_PLAN_CHANGE, cat.RS_TARIFF)
    columns["old_fee"], columns["new_fee"] = LADDER_FEN[state.plan[lines]], LADDER_FEN[new_plan[lines]]
    ratio = np.maximum(LADDER_FEN[new_plan[lines]], 500) / np.maximum(LADDER_FEN[state.plan[lines]], 500)
    state.arpu[lines] *= ratio
    state.plan[lines] = new_plan[lines]
    return columns


def _suspensions(
    rng: np.random.Generator,
    fates: Fates,
    state: MonthState,
    in_network: np.ndarray,
    sign: np.ndarray,
    m: int,
    clock: _Clock,
    days: int,
) -> tuple[np.ndarray, Columns]:
    """Short suspensions asked for by the customer (a warning sign) and suspension for arrears that lasts."""
    count = len(in_network)
    asked = in_network & sign[:, _S["suspension"]] & (fates.left_month != m) & ~state.suspended
    asked &= rng.random(count) < 0.6
    lines = np.flatnonzero(asked)
    suspend_at = clock.times(lines)
    length = rng.integers(1, 15, len(lines)).astype(np.int64) * 86400
    month_end = clock.start[lines] + clock.span[lines]
    resume_at = np.minimum(suspend_at + length, month_end - 1)
    suspended_days = np.zeros(count)
    suspended_days[lines] = (resume_at - suspend_at).astype(np.int64) / 86400
    arrears = in_network & (fates.non_payer_from >= 0) & (m == fates.non_payer_from + 2) & ~state.suspended
    overdue = np.flatnonzero(arrears)
    state.suspended[overdue] = True
    parts = [
        _event(lines, suspend_at, cat.EV_SUSPEND, cat.RS_REQUEST),
        _event(lines, resume_at, cat.EV_RESUME, cat.RS_REQUEST),
        _event(overdue, clock.times(overdue), cat.EV_SUSPEND, cat.RS_ARREARS),
    ]
    return np.minimum(suspended_days, days), _concat(parts)


def _other_events(
    rng: np.random.Generator,
    pop: Population,
    fates: Fates,
    state: MonthState,
    in_network: np.ndarray,
    sign: np.ndarray,
    intensity: np.ndarray,
    m: int,
    clock: _Clock,
    window: Window,
) -> list[Columns]:
    count = pop.lines
    roll = rng.random((count, 4))
    complaint = in_network & ((roll[:, 0] < 0.004) | (sign[:, _S["complaint"]] & (roll[:, 0] < 0.4 + 0.4 * intensity)))
    port = in_network & ((roll[:, 1] < 0.0015) | (sign[:, _S["port_out"]] & (roll[:, 1] < 0.2 + 0.6 * intensity)))
    mobile = pop.l_product == cat.P_MOBILE
    handset = in_network & mobile & (roll[:, 2] < 0.025) & ~fates.sunk
    complaint_reason = np.select(
        [fates.reason == cat.REASON_NETWORK, fates.reason == cat.REASON_BILLING],
        [cat.RS_NETWORK, cat.RS_BILLING],
        cat.RS_AFTER_SALES,
    )
    c_lines, p_lines, h_lines = np.flatnonzero(complaint), np.flatnonzero(port), np.flatnonzero(handset)
    handsets = _event(h_lines, clock.times(h_lines), cat.EV_HANDSET, cat.RS_NONE)
    handsets["handset_age"] = rng.integers(6, 49, len(h_lines))
    start, after = window.starts[m], window.starts[m + 1]
    contract = in_network & (state.contract_end >= start) & (state.contract_end < after)
    ending = np.flatnonzero(contract)
    end_times = state.contract_end[ending].astype("datetime64[s]") + rng.integers(28800, 64800, len(ending))
    renewed = ending[rng.random(len(ending)) < 0.5]
    renew_times = state.contract_end[renewed].astype("datetime64[s]") + 72000
    state.contract_end[renewed] += 730
    joined = np.flatnonzero((pop.l_activated >= start) & (pop.l_activated < after) & ~np.isnat(pop.l_contract_end))
    join_times = pop.l_activated[joined].astype("datetime64[s]") + 36000
    leaving = np.flatnonzero(fates.left_month == m)
    leave_times = fates.left_day[leaving].astype("datetime64[s]") + rng.integers(32400, 75600, len(leaving))
    return [
        _event(c_lines, clock.times(c_lines), cat.EV_COMPLAINT, complaint_reason[c_lines]),
        _event(p_lines, clock.times(p_lines), cat.EV_PORT_OUT, cat.RS_PORT),
        handsets,
        _event(ending, end_times, cat.EV_CONTRACT_END),
        _event(renewed, renew_times, cat.EV_CONTRACT_START),
        _event(joined, join_times, cat.EV_CONTRACT_START),
        _event(leaving, leave_times, cat.EV_TERMINATE, cat.RS_LEFT),
    ]


def _billed(
    rng: np.random.Generator,
    state: MonthState,
    fates: Fates,
    sign: np.ndarray,
    intensity: np.ndarray,
    share: np.ndarray,
) -> np.ndarray:
    """This month's bill in fen: the usual amount with noise, falling during a warning episode."""
    noise = rng.lognormal(0.0, 0.12, len(share))
    drop = np.where(sign[:, _S["arpu_drop"]], 1 - 0.55 * intensity, 1.0)
    rent = np.where(state.suspended, 0.3 * LADDER_FEN[state.plan], state.arpu * noise * drop)
    return np.asarray(np.round(rent * share).astype(np.int64))


def _bills_and_integrity(
    rng: np.random.Generator,
    pop: Population,
    fates: Fates,
    state: MonthState,
    window: Window,
    m: int,
    in_network: np.ndarray,
    billed: np.ndarray,
) -> tuple[Columns, Columns]:
    """Bills with their payment as known at the window's end, and the month's integrity records."""
    count = pop.lines
    lines = np.flatnonzero(in_network)
    payment = pop.a_payment[pop.l_account]
    issued = window.starts[m + 1]
    due = issued + 19  # the 20th of the next month
    # Prepaid lines pay from their balance on the month's last day; bank collection runs on the 8th.
    paid_day = issued + np.select(
        [payment == cat.PAY_PREPAID, payment == cat.PAY_BANK], [-1, 7], rng.integers(0, 19, count)
    )
    late = fates.late_payer & (rng.random(count) < 0.5)
    bounced = (payment == cat.PAY_BANK) & (rng.random(count) < 0.004)
    paid_day = np.where(late | bounced, due + rng.integers(1, 46, count), paid_day)
    unpaid = ((fates.non_payer_from >= 0) & (m >= fates.non_payer_from)) | (state.fraud_month == m)
    unpaid |= paid_day >= window.after
    paid = np.where(rng.random(count) < 0.01, (billed * rng.uniform(0.3, 0.9, count)).astype(np.int64), billed)
    paid = np.where(unpaid, 0, paid)
    state.arrears_fen += np.where(in_network, billed - paid, 0)
    bills = {
        "line": lines,
        "billed": billed[lines],
        "due": np.full(len(lines), due),
        "paid": paid[lines],
        "paid_day": np.where(unpaid, np.datetime64("NaT", "D"), paid_day)[lines],
        "payment": payment[lines],
    }
    write_off = in_network & (fates.non_payer_from >= 0) & (m == fates.non_payer_from + 5) & ~state.written_off
    state.written_off |= write_off
    kinds = [
        (np.flatnonzero(write_off), cat.INT_WRITTEN_OFF, state.arrears_fen),
        (np.flatnonzero(in_network & (state.fraud_month == m)), cat.INT_FRAUD, billed * 3 + 10_000),
        (np.flatnonzero(in_network & bounced), cat.INT_BOUNCED, billed),
        (np.flatnonzero(in_network & (state.registration_month == m)), cat.INT_FALSE_REGISTRATION, billed * 0),
    ]
    parts = []
    for found, kind, amount in kinds:
        month_days = int((window.starts[m + 1] - window.starts[m]).astype(np.int64))
        day = window.starts[m] + (rng.random(len(found)) * month_days).astype(np.int64)
        whole_customer = (kind == cat.INT_WRITTEN_OFF) & (rng.random(len(found)) < 0.3)
        parts.append(
            {
                "line": found,
                "with_subscriber": ~np.broadcast_to(whole_customer, (len(found),)),
                "day": np.maximum(day.astype("datetime64[D]"), pop.l_activated[found]),
                "kind": np.full(len(found), kind),
                "amount": amount[found],
            }
        )
    return bills, _sorted(_concat(parts), "line", "day")


def _usage(
    rng: np.random.Generator,
    pop: Population,
    fates: Fates,
    state: MonthState,
    in_network: np.ndarray,
    sign: np.ndarray,
    intensity: np.ndarray,
    active: np.ndarray,
    days: int,
) -> Columns:
    """Voice, data, SMS, forwarding, called numbers and roaming, scaled to the days in network."""
    count = pop.lines
    product = pop.l_product
    cny = state.arpu / 100 * active * np.where(fates.sunk, 0.03, 1.0)
    noise = rng.lognormal(0.0, 0.25, (count, 4))
    voice = np.where(VOICE[product], cny * 2.2 * noise[:, 0], 0.0)
    offnet = voice * rng.beta(2, 5, count)
    data_rate = np.select(
        [product == cat.P_MOBILE, np.isin(product, [cat.P_BROADBAND, cat.P_E6]), product == cat.P_E8],
        [40.0, 900.0, 300.0],
        np.where(product == cat.P_DEDICATED, 200.0, 0.0),
    )
    data = cny * data_rate * noise[:, 1]
    allowance = np.where(product == cat.P_MOBILE, LADDER_FEN[state.plan] // 100 * 60, 0)
    sms = np.where(product == cat.P_MOBILE, rng.poisson(np.maximum(cny / 4, 0)), 0)
    can_forward = VOICE[product] & ~fates.sunk
    forwarding = sign[:, _S["forwarding"]] & can_forward
    forwarded = np.where(can_forward, rng.poisson(0.6 * active), 0) + np.where(
        forwarding, rng.poisson(np.maximum((6 + 25 * intensity) * active, 0)), 0
    )
    offnet_share = np.where(forwarding, 0.85, 0.25)
    forwarded_offnet = rng.binomial(forwarded, offnet_share)
    fewer = np.where(sign[:, _S["fewer_numbers"]], 1 - 0.6 * intensity, 1.0)
    called = np.where(VOICE[product], voice / 3 * noise[:, 2] * fewer, 0.0)
    roam_rate = np.where(pop.c_segment[pop.l_customer] == cat.SEG_ORG, 1.2, 0.2) * (product == cat.P_MOBILE)
    roaming = np.minimum(rng.poisson(roam_rate * active), days)
    lines = np.flatnonzero(in_network)
    return {
        "line": lines,
        "voice": _whole(voice)[lines],
        "offnet": np.minimum(_whole(offnet), _whole(voice))[lines],
        "data": _whole(data)[lines],
        "allowance": allowance[lines],
        "sms": sms[lines],
        "forwarded": forwarded[lines],
        "forwarded_offnet": forwarded_offnet[lines],
        "called": _whole(called)[lines],
        "roaming": roaming[lines],
        "plan_fee": LADDER_FEN[state.plan][lines],
    }


def _topups(
    rng: np.random.Generator, pop: Population, in_network: np.ndarray, billed: np.ndarray, clock: _Clock
) -> Columns:
    """Prepaid lines top up once or more a month; a few postpaid lines put down a deposit."""
    count = pop.lines
    prepaid = pop.a_payment[pop.l_account] == cat.PAY_PREPAID
    times = np.where(prepaid, 1 + rng.poisson(0.4, count), (rng.random(count) < 0.03).astype(np.int64))
    times = np.where(in_network, times, 0)
    lines = np.repeat(np.arange(count), times)
    target = np.maximum(billed[lines] / np.maximum(times[lines], 1), 1000)
    small = np.array([1000, 2000, 3000, 5000, 10000, 20000, 30000, 50000, 100000])
    amount = small[np.clip(np.searchsorted(small, target) + rng.integers(0, 2, len(lines)), 0, len(small) - 1)]
    amount = np.where(prepaid[lines], amount, rng.choice([10000, 20000, 50000, 100000], len(lines)))
    return _sorted({"line": lines, "time": clock.times(lines), "amount": amount}, "line", "time")


def _whole(values: np.ndarray) -> np.ndarray:
    return np.asarray(np.round(np.maximum(values, 0)).astype(np.int64))


def _concat(parts: list[Columns]) -> Columns:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _sorted(columns: Columns, first: str, second: str) -> Columns:
    """Rows ordered by the two columns (then the rest), each distinct row once.

    Random seconds can collide: a line drawing two equal top-ups (or events) in the same second would be the
    same row twice, which ingest rightly refuses as a duplicate.
    """
    rest = [name for name in columns if name not in (first, second)]
    order = np.lexsort([columns[name] for name in reversed(rest)] + [columns[second], columns[first]])
    ordered = {name: values[order] for name, values in columns.items()}
    fresh = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=bool)
        for values in ordered.values():
            same &= values[1:] == values[:-1]
        fresh[1:] = ~same
    return {name: values[fresh] for name, values in ordered.items()}
