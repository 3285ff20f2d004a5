"""Referrals of the synthetic operator: a few of each month's new lines were brought by a customer of their city.

Drawn from a random stream of their own (seed, chunk, month), so the other tables stay exactly what they were
before referrals existed, and the same arguments still give byte-identical files.
"""

from __future__ import annotations

import numpy as np

from telcocrm.synth.fates import Fates
from telcocrm.synth.months import Columns
from telcocrm.synth.population import Population, Window

REFERRED_SHARE = 0.08  # of the month's new lines: word of mouth brings a few, most come through the channels
REFERRAL_STREAM = 4  # the fourth key of the stream, after seed, chunk and month: apart from every other draw


def referral_stream(seed: int, chunk: int, month: int) -> np.random.Generator:
    """The random stream of one chunk's referrals in one month."""
    return np.random.default_rng([seed, chunk, month, REFERRAL_STREAM])


def draw_referrals(rng: np.random.Generator, pop: Population, fates: Fates, window: Window, m: int) -> Columns:
    """Month `m`'s referrals: `line` (referred), `referrer` (customer index), `day` (the line's activation)."""
    start, after = window.starts[m], window.starts[m + 1]
    new = np.flatnonzero((pop.l_activated >= start) & (pop.l_activated < after))
    referred = new[rng.random(len(new)) < REFERRED_SHARE]
    # Referrers: customers with a line in network since before the month, ordered by city to draw within one.
    staying = (pop.l_activated < start) & ((fates.left_month < 0) | (fates.left_month >= m))
    candidates = np.unique(pop.l_customer[staying])
    candidates = candidates[np.argsort(pop.c_city[candidates], kind="stable")]
    cities = pop.c_city[candidates]
    own = pop.l_customer[referred]
    if not len(candidates) or not len(referred):
        return {"line": referred[:0], "referrer": candidates[:0], "day": pop.l_activated[referred[:0]]}
    low = np.searchsorted(cities, pop.c_city[own], side="left")
    high = np.searchsorted(cities, pop.c_city[own], side="right")
    choice = low + (rng.random(len(referred)) * (high - low)).astype(np.int64)
    last = len(candidates) - 1
    # Never the line's own customer: the next candidate of the city instead, when the city has another one.
    choice = np.where(candidates[np.minimum(choice, last)] == own, choice + 1, choice)
    choice = np.where(choice >= high, low, choice)
    ok = (high > low) & (candidates[np.minimum(choice, last)] != own)
    lines = referred[ok]
    return {"line": lines, "referrer": candidates[choice[ok]], "day": pop.l_activated[lines]}
