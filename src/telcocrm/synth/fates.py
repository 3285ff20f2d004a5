"""The hidden truth of each line: sunk, late payer, non-payer, fraud, and the churn process with its warning signs.

Leavers show, in the 1–4 months before they leave, some of the warning signs of seed 001 (suspensions, plan
downgrades, ARPU drop, calls forwarded off-net, fewer called numbers, complaints, port-out queries). They are
signals, not labels: some leavers show none, and some stayers go through a "false alarm" episode of the same kind.
About a third of leavers move to another product of the operator: a new line of the same customer opens then.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from telcocrm.synth import catalogue as cat
from telcocrm.synth.population import Population, Window

MONTHLY_CHURN = 0.017  # base monthly hazard of leaving; scaled per line below
OWN_PRODUCT_SHARE = 1 / 3
SILENT_LEAVER_SHARE = 0.2  # leavers who show no sign at all
FALSE_ALARM_SHARE = 0.06  # stayers who go through a warning-like episode
SIGNALS: tuple[str, ...] = (
    "arpu_drop",
    "downgrade",
    "suspension",
    "forwarding",
    "fewer_numbers",
    "complaint",
    "port_out",
)


@dataclass
class Fates:
    """Per line: traits and the churn story, as parallel arrays."""

    sunk: np.ndarray
    late_payer: np.ndarray
    non_payer_from: np.ndarray  # month index the line stops paying, -1 never
    fraud: np.ndarray
    left_month: np.ndarray  # month index, -1 stays
    left_day: np.ndarray  # datetime64[D], NaT when stays
    destination: np.ndarray  # catalogue.CHURN_DESTINATIONS index, -1
    reason: np.ndarray  # catalogue.CHURN_REASONS index, -1
    warning_months: np.ndarray  # 0 when no sign shown
    episode_start: np.ndarray  # first month of signs (leavers: before leaving; false alarms: anywhere), -1 none
    episode_end: np.ndarray  # last month of signs
    signals: np.ndarray  # (lines, len(SIGNALS)) bool: which signs the episode shows
    successor_of: np.ndarray  # for an own-product line: the line it replaces; -1 otherwise

    def take(self, order: np.ndarray) -> Fates:
        """The fates reordered (or extended) by an index array."""
        return Fates(**{f.name: getattr(self, f.name)[order] for f in fields(self)})


def draw_fates(rng: np.random.Generator, pop: Population, window: Window) -> Fates:
    """Traits and churn for each line of the chunk."""
    count, months = pop.lines, window.months
    seg = pop.c_segment[pop.l_customer]
    payment = pop.a_payment[pop.l_account]
    join_month = window.month_of(pop.l_activated)
    recent = pop.l_activated >= window.first - 730
    sunk = rng.random(count) < np.where(recent, 0.08, 0.01)
    postpaid = payment != cat.PAY_PREPAID
    late_payer = postpaid & (rng.random(count) < np.where(seg == cat.SEG_ORG, 0.05, 0.09))
    non_payer = postpaid & (rng.random(count) < 0.006 + 0.03 * late_payer)
    first_month = np.maximum(join_month + 1, 0)
    non_payer_from = np.where(non_payer, first_month + rng.integers(0, max(months, 1), count), -1)
    non_payer_from = np.where(non_payer_from < months, non_payer_from, -1)
    fraud = rng.random(count) < 0.001
    hazard = MONTHLY_CHURN * np.select([seg == cat.SEG_ORG, seg == cat.SEG_FAMILY], [0.45, 0.8], 1.2)
    hazard = hazard * np.where(payment == cat.PAY_PREPAID, 1.4, 1.0) * np.where(sunk, 2.0, 1.0)
    hazard = hazard * np.where(payment == cat.PAY_AGENT, 1.5, 1.0)
    left_month = first_month + rng.geometric(np.minimum(hazard, 0.5)) - 1
    left_month = np.where((left_month < months) & (non_payer_from < 0), left_month, -1)
    leaves = left_month >= 0
    left_day = _day_in_month(rng, window, left_month, pop.l_activated)
    reason = np.where(leaves, rng.choice(len(cat.CHURN_REASONS), count, p=_norm(cat.CHURN_REASON_WEIGHTS)), -1)
    reason = np.where(leaves & (payment == cat.PAY_AGENT) & (rng.random(count) < 0.5), cat.REASON_DUMPING, reason)
    destination = np.where(leaves, (rng.random(count) < OWN_PRODUCT_SHARE).astype(np.int64), -1)
    shows = leaves & (rng.random(count) >= SILENT_LEAVER_SHARE)
    warning = np.where(shows, rng.integers(1, 5, count), 0)
    alarm = ~leaves & (rng.random(count) < FALSE_ALARM_SHARE)
    alarm_start = rng.integers(0, max(months, 1), count)
    alarm_length = rng.integers(1, 4, count)
    start = np.select([shows, alarm], [np.maximum(left_month - warning, 0), alarm_start], -1)
    end = np.select([shows, alarm], [left_month, np.minimum(alarm_start + alarm_length - 1, months - 1)], -1)
    start = np.where(start >= 0, np.maximum(start, first_month), -1)
    return Fates(
        sunk=sunk,
        late_payer=late_payer,
        non_payer_from=non_payer_from,
        fraud=fraud,
        left_month=left_month,
        left_day=left_day,
        destination=destination,
        reason=reason,
        warning_months=warning,
        episode_start=start,
        episode_end=np.where(start >= 0, end, -1),
        signals=_signals(rng, reason, destination, alarm),
        successor_of=np.full(count, -1),
    )


def _norm(weights: np.ndarray) -> np.ndarray:
    return np.asarray(weights / weights.sum())


def _day_in_month(rng: np.random.Generator, window: Window, month: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """A day inside each month index (not before `floor`); NaT where the month is -1."""
    safe = np.clip(month, 0, window.months - 1)
    first, after = window.starts[safe], window.starts[safe + 1]
    first = np.maximum(first, floor)
    span = np.maximum((after - first).astype(np.int64), 1)
    day = first + (rng.random(len(month)) * span).astype(np.int64)
    return np.where(month >= 0, day, np.datetime64("NaT", "D"))


def _signals(rng: np.random.Generator, reason: np.ndarray, destination: np.ndarray, alarm: np.ndarray) -> np.ndarray:
    """Which signs each episode shows: shaped by the reason and destination of leaving; weaker for false alarms."""
    count = len(reason)
    price = reason == cat.REASON_PRICE
    service = np.isin(reason, [cat.REASON_NETWORK, cat.REASON_BILLING, cat.REASON_AFTER_SALES])
    competitor = destination == 0
    chance = np.stack(
        [
            np.full(count, 0.7),  # ARPU drop
            np.where(price, 0.7, 0.35),  # plan downgrade
            np.full(count, 0.3),  # suspension
            np.where(competitor, 0.55, 0.1),  # calls forwarded off-net
            np.full(count, 0.6),  # fewer distinct called numbers
            np.where(service, 0.7, 0.2),  # complaints
            np.where(competitor, 0.5, 0.05),  # port-out queries
        ],
        axis=1,
    )
    chance = np.where(alarm[:, None], chance * 0.35, chance)
    return np.asarray(rng.random((count, len(SIGNALS))) < chance)


def add_successors(rng: np.random.Generator, pop: Population, fates: Fates) -> tuple[Population, Fates, np.ndarray]:
    """Open a new line of the same customer for each own-product leaver; reorder lines by customer.

    Returns the extended population, fates and, per new line order, whether the line is a successor.
    """
    moved = np.flatnonzero(fates.destination == 1)
    successor_fates = fates.take(moved)
    count = len(moved)
    successor_fates.sunk = np.zeros(count, dtype=bool)
    successor_fates.left_month = np.full(count, -1)
    successor_fates.left_day = np.full(count, np.datetime64("NaT", "D"))
    for name in ("destination", "reason", "episode_start", "episode_end", "non_payer_from"):
        setattr(successor_fates, name, np.full(count, -1))
    successor_fates.warning_months = np.zeros(count, dtype=np.int64)
    successor_fates.signals = np.zeros((count, len(SIGNALS)), dtype=bool)
    successor_fates.successor_of = moved
    all_fates = Fates(
        **{f.name: np.concatenate([getattr(fates, f.name), getattr(successor_fates, f.name)]) for f in fields(fates)}
    )
    line_arrays = {
        "l_customer": pop.l_customer[moved],
        "l_account": pop.l_account[moved],
        "l_position": pop.l_position[moved] + 1000,  # after the customer's original lines
        "l_product": pop.l_product[moved],
        "l_brand": _new_brand(rng, pop.l_brand[moved], pop.l_product[moved], pop.a_payment[pop.l_account[moved]]),
        "l_activated": fates.left_day[moved] + rng.integers(-3, 1, count),
        "l_contract_end": np.full(count, np.datetime64("NaT", "D")),
        "l_arpu_fen": (pop.l_arpu_fen[moved] * rng.uniform(0.5, 0.9, count)).astype(np.int64),
    }
    successor_fates.successor_of = moved
    extended = {name: np.concatenate([getattr(pop, name), extra]) for name, extra in line_arrays.items()}
    extended["l_activated"] = np.maximum(extended["l_activated"], pop.l_activated[np.r_[np.arange(pop.lines), moved]])
    order = np.lexsort((extended["l_position"], extended["l_customer"]))
    # successor_of points at old line numbers: renumber them into the new order.
    new_number = np.empty(len(order), dtype=np.int64)
    new_number[order] = np.arange(len(order))
    all_fates = all_fates.take(order)
    all_fates.successor_of = np.where(
        all_fates.successor_of >= 0, new_number[np.maximum(all_fates.successor_of, 0)], -1
    )
    fields_now = {f.name: getattr(pop, f.name) for f in fields(pop)}
    fields_now.update({name: values[order] for name, values in extended.items()})
    return Population(**fields_now), all_fates, order >= pop.lines


def _new_brand(rng: np.random.Generator, brand: np.ndarray, product: np.ndarray, payment: np.ndarray) -> np.ndarray:
    """The tariff loophole: the same customer comes back on another mobile brand (prepaid stays 如意通)."""
    postpaid = np.array([cat.B_XINSHIKONG, cat.B_UP, cat.B_SHIJIEFENG])
    shift = rng.integers(1, 3, len(brand))
    position = np.searchsorted(postpaid, brand).clip(0, 2)
    other = postpaid[(position + shift) % 3]
    personal_mobile = (product == cat.P_MOBILE) & np.isin(brand, postpaid)
    return np.where(payment == cat.PAY_PREPAID, cat.B_RUYITONG, np.where(personal_mobile, other, brand))
