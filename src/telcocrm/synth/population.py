"""The shape of one chunk of the synthetic base: units (a person, a family, an organisation), their customers,
billing accounts and lines, with segment, product, brand, payment, dates and ARPU, all as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcocrm.synth import catalogue as cat
from telcocrm.synth.identity import LAST_BIRTH_YEAR, birth_years, pick_cities

UNIT_WEIGHTS = np.array([60.0, 12.5, 5.0])  # person, family, organisation units: ~60/35/5 % of customers
FAMILY_SIZES = np.array([2, 3, 4])
FAMILY_SIZE_WEIGHTS = np.array([0.35, 0.45, 0.2])
MEAN_LINES_PER_UNIT = 2.4
EARLIEST_JOIN = np.datetime64("2000-01-01")
MONTHLY_JOIN_RATE = 0.012  # share of customers joining per month of the window


@dataclass
class Window:
    """The simulated months: first day of each, and one past the last day."""

    starts: np.ndarray  # datetime64[D], length M + 1 (the last is the day after the window)

    @property
    def months(self) -> int:
        """How many months the window has."""
        return len(self.starts) - 1

    @property
    def first(self) -> np.datetime64:
        """The window's first day."""
        return np.datetime64(self.starts[0])

    @property
    def after(self) -> np.datetime64:
        """The day after the window's last day."""
        return np.datetime64(self.starts[-1])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index in the window of each day (-1 before, M after)."""
        return np.searchsorted(self.starts, days, side="right") - 1


@dataclass
class Population:
    """One chunk: customers (c_*), accounts (a_*) and lines (l_*) as parallel arrays."""

    c_unit: np.ndarray
    c_segment: np.ndarray  # catalogue.SEG_*
    c_head: np.ndarray  # index of the family head (itself for others)
    c_city: np.ndarray
    c_male: np.ndarray
    c_birth_year: np.ndarray
    c_category: np.ndarray  # catalogue.ORG_CATEGORIES index, -1 for persons
    c_joined: np.ndarray  # datetime64[D]
    a_customer: np.ndarray
    a_type: np.ndarray  # catalogue.ACC_*
    a_parent: np.ndarray  # account index, -1 when none
    a_payment: np.ndarray  # catalogue.PAY_*
    l_customer: np.ndarray
    l_account: np.ndarray
    l_position: np.ndarray  # the line's place among its customer's lines
    l_product: np.ndarray  # catalogue.P_*
    l_brand: np.ndarray  # catalogue.B_*
    l_activated: np.ndarray  # datetime64[D]
    l_contract_end: np.ndarray  # datetime64[D], NaT when no contract
    l_arpu_fen: np.ndarray  # the line's usual monthly bill

    @property
    def lines(self) -> int:
        """How many lines the chunk has."""
        return len(self.l_customer)


def build_population(rng: np.random.Generator, lines: int, window: Window) -> Population:
    """Customers and lines for a chunk of exactly `lines` subscribers."""
    units = int(lines / MEAN_LINES_PER_UNIT * 1.3) + 20
    unit_type = rng.choice(3, size=units, p=UNIT_WEIGHTS / UNIT_WEIGHTS.sum())
    sizes = np.where(unit_type == cat.SEG_FAMILY, rng.choice(FAMILY_SIZES, units, p=FAMILY_SIZE_WEIGHTS), 1)
    c_unit = np.repeat(np.arange(units), sizes)
    unit_start = np.cumsum(sizes) - sizes
    c_head = unit_start[c_unit]
    segment = unit_type[c_unit]
    category = np.where(
        segment == cat.SEG_ORG,
        rng.choice(len(cat.ORG_CATEGORIES), len(c_unit), p=cat.ORG_CATEGORY_WEIGHTS / cat.ORG_CATEGORY_WEIGHTS.sum()),
        -1,
    )
    line_count = _line_counts(rng, segment, c_head, category)
    # Cut the chunk at exactly `lines` lines: the last customer may keep only its first lines.
    ends = np.cumsum(line_count)
    keep = int(np.searchsorted(ends, lines, side="left")) + 1
    if ends[-1] < lines:
        raise RuntimeError("unit estimate too small for the chunk")  # cannot happen with the 1.3 margin
    line_count = line_count[:keep].copy()
    line_count[-1] -= int(ends[keep - 1] - lines)
    c_unit, c_head, segment, category = c_unit[:keep], c_head[:keep], segment[:keep], category[:keep]
    return _assemble(rng, window, c_unit, c_head, segment, category, line_count)


def _line_counts(rng: np.random.Generator, segment: np.ndarray, head: np.ndarray, category: np.ndarray) -> np.ndarray:
    count = len(segment)
    is_head = head == np.arange(count)
    person = 1 + (rng.random(count) < 0.25) + (rng.random(count) < 0.08)
    family = np.where(is_head, 2 + (rng.random(count) < 0.3), 1 + (rng.random(count) < 0.1))
    mean_extra = cat.ORG_EXTRA_LINES[np.maximum(category, 0)]
    org = 1 + np.floor(rng.lognormal(np.log(mean_extra) - 0.5, 1.0)).astype(np.int64)
    return np.select([segment == cat.SEG_PERSONAL, segment == cat.SEG_FAMILY], [person, family], np.minimum(org, 400))


def _assemble(
    rng: np.random.Generator,
    window: Window,
    c_unit: np.ndarray,
    c_head: np.ndarray,
    segment: np.ndarray,
    category: np.ndarray,
    line_count: np.ndarray,
) -> Population:
    count = len(c_unit)
    city = pick_cities(rng, count)[c_head]  # a family lives together
    male = rng.random(count) < 0.5
    latest_birth = min(LAST_BIRTH_YEAR, int(str(window.first)[:4]) - 19)
    birth_year = birth_years(rng, count, latest_birth)
    joined = _joined(rng, window, segment, birth_year, c_head)
    # Accounts: one per person; an organisation with five lines or more has a group master and departments.
    is_org = segment == cat.SEG_ORG
    account_count = np.where(is_org & (line_count >= 5), 1 + np.minimum(line_count // 8, 4), 1)
    a_customer = np.repeat(np.arange(count), account_count)
    first_account = np.cumsum(account_count) - account_count
    a_position = np.arange(len(a_customer)) - first_account[a_customer]
    a_type, a_parent = _account_types(segment, c_head, account_count, first_account, a_customer, a_position)
    a_payment = _payments(rng, segment[a_customer], a_type, a_parent)
    l_customer = np.repeat(np.arange(count), line_count)
    l_position = np.arange(len(l_customer)) - (np.cumsum(line_count) - line_count)[l_customer]
    l_account = first_account[l_customer] + l_position % account_count[l_customer]
    l_product = _products(rng, segment[l_customer], l_customer == c_head[l_customer], l_position, category[l_customer])
    payment = a_payment[l_account]
    brand = _brands(rng, segment[l_customer], l_product, payment)
    activated = _activations(rng, window, joined[l_customer], l_position)
    return Population(
        c_unit=c_unit,
        c_segment=segment,
        c_head=c_head,
        c_city=city,
        c_male=male,
        c_birth_year=birth_year,
        c_category=category,
        c_joined=joined,
        a_customer=a_customer,
        a_type=a_type,
        a_parent=a_parent,
        a_payment=a_payment,
        l_customer=l_customer,
        l_account=l_account,
        l_position=l_position,
        l_product=l_product,
        l_brand=brand,
        l_activated=activated,
        l_contract_end=_contracts(rng, window, segment[l_customer], payment, activated),
        l_arpu_fen=_arpu(rng, segment[l_customer], category[l_customer], l_product, payment),
    )


def _joined(
    rng: np.random.Generator, window: Window, segment: np.ndarray, birth_year: np.ndarray, head: np.ndarray
) -> np.ndarray:
    """Join dates: years before the window (tenure), or inside it for the customers who are new."""
    count = len(segment)
    adult = (birth_year + 18 - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 180
    earliest = np.where(segment == cat.SEG_ORG, EARLIEST_JOIN, np.maximum(EARLIEST_JOIN, adult))
    tenure_days = rng.exponential(np.where(segment == cat.SEG_ORG, 7.0, 4.5) * 365.0, count).astype(np.int64)
    before = np.maximum(window.first - 1 - tenure_days, earliest)
    new_share = 1 - (1 - MONTHLY_JOIN_RATE) ** window.months
    span = (window.after - window.first).astype(np.int64)
    inside = window.first + (rng.random(count) * span).astype(np.int64)
    joined = np.where((rng.random(count) < new_share) | (before >= window.first), inside, before)
    return np.where(segment == cat.SEG_FAMILY, joined[head], joined)  # a family joins with its head


def _account_types(
    segment: np.ndarray,
    head: np.ndarray,
    account_count: np.ndarray,
    first_account: np.ndarray,
    a_customer: np.ndarray,
    a_position: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    seg = segment[a_customer]
    is_head = head[a_customer] == a_customer
    grouped = account_count[a_customer] > 1
    types = np.select(
        [seg == cat.SEG_FAMILY, grouped & (a_position == 0), grouped],
        [np.where(is_head, cat.ACC_FAMILY_PRIMARY, cat.ACC_FAMILY_SECONDARY), cat.ACC_GROUP_MASTER, cat.ACC_GROUP_SUB],
        cat.ACC_INDIVIDUAL,
    )
    parent = np.select(
        [types == cat.ACC_FAMILY_SECONDARY, types == cat.ACC_GROUP_SUB],
        [first_account[head[a_customer]], first_account[a_customer]],
        -1,
    )
    return types, parent


def _payments(rng: np.random.Generator, seg: np.ndarray, types: np.ndarray, parent: np.ndarray) -> np.ndarray:
    count = len(seg)
    person = rng.choice([cat.PAY_PREPAID, cat.PAY_CASH, cat.PAY_BANK, cat.PAY_AGENT], count, p=[0.38, 0.2, 0.34, 0.08])
    family = rng.choice([cat.PAY_BANK, cat.PAY_CASH, cat.PAY_PREPAID], count, p=[0.6, 0.3, 0.1])
    org = rng.choice([cat.PAY_CONTRACT, cat.PAY_BANK, cat.PAY_CASH], count, p=[0.5, 0.4, 0.1])
    payment = np.select([seg == cat.SEG_PERSONAL, seg == cat.SEG_FAMILY], [person, family], org)
    # Family members and departments pay the way their parent account pays.
    return np.where(parent >= 0, payment[np.maximum(parent, 0)], payment)


def _products(
    rng: np.random.Generator, seg: np.ndarray, is_head: np.ndarray, position: np.ndarray, category: np.ndarray
) -> np.ndarray:
    count = len(seg)
    person_extra = rng.choice(
        [cat.P_BROADBAND, cat.P_FIXED, cat.P_E6, cat.P_IPTV, cat.P_MOBILE], count, p=[0.45, 0.15, 0.1, 0.1, 0.2]
    )
    person = np.where(position == 0, cat.P_MOBILE, person_extra)
    bundle = np.where(rng.random(count) < 0.6, cat.P_E8, cat.P_E6)
    head = np.select([position == 0, position == 1], [bundle, cat.P_MOBILE], cat.P_IPTV)
    family = np.where(is_head, head, cat.P_MOBILE)
    dedicated_share = np.where(np.isin(category, [0, 2, 4]), 0.15, 0.05)
    roll = rng.random(count)
    org_extra = np.select(
        [roll < dedicated_share, roll < dedicated_share + 0.12, roll < dedicated_share + 0.2],
        [cat.P_DEDICATED, cat.P_FIXED, cat.P_BROADBAND],
        cat.P_MOBILE,
    )
    org = np.where(position == 0, cat.P_FIXED, org_extra)
    return np.select([seg == cat.SEG_PERSONAL, seg == cat.SEG_FAMILY], [person, family], org)


def _brands(rng: np.random.Generator, seg: np.ndarray, product: np.ndarray, payment: np.ndarray) -> np.ndarray:
    count = len(seg)
    mobile = rng.choice([cat.B_XINSHIKONG, cat.B_UP, cat.B_SHIJIEFENG], count, p=[0.45, 0.25, 0.3])
    mobile = np.where(payment == cat.PAY_PREPAID, cat.B_RUYITONG, mobile)
    org = np.where(product == cat.P_MOBILE, cat.B_JITUAN, cat.B_SHANGWU)
    home = np.where(product == cat.P_MOBILE, mobile, cat.B_EJIA)
    return np.where(seg == cat.SEG_ORG, org, home)


def _activations(rng: np.random.Generator, window: Window, joined: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The first line opens when the customer joins; later ones at some day between then and the window's end."""
    last = window.after - 1
    span = (last - joined).astype(np.int64)
    later = joined + (rng.random(len(joined)) ** 2 * span).astype(np.int64)
    return np.where(position == 0, joined, later)


def _contracts(
    rng: np.random.Generator, window: Window, seg: np.ndarray, payment: np.ndarray, activated: np.ndarray
) -> np.ndarray:
    """Contract end dates (协议到期日) for the lines bound by one; NaT for the others."""
    count = len(seg)
    share = np.select([seg == cat.SEG_ORG, seg == cat.SEG_FAMILY], [0.6, 0.4], 0.2)
    share = np.where(payment == cat.PAY_PREPAID, 0.05, share)
    ends = window.first + rng.integers(-200, 900, count)
    ends = np.maximum(ends, activated + 365)
    return np.where(rng.random(count) < share, ends, np.datetime64("NaT", "D"))


def _arpu(
    rng: np.random.Generator, seg: np.ndarray, category: np.ndarray, product: np.ndarray, payment: np.ndarray
) -> np.ndarray:
    """Usual monthly bill in fen: log-normal around a median per segment and product."""
    median = np.select(
        [
            product == cat.P_DEDICATED,
            product == cat.P_E8,
            product == cat.P_E6,
            product == cat.P_BROADBAND,
            product == cat.P_FIXED,
            product == cat.P_IPTV,
            seg == cat.SEG_ORG,
            payment == cat.PAY_PREPAID,
        ],
        [2500.0, 130.0, 150.0, 100.0, 30.0, 25.0, cat.ORG_LINE_ARPU[np.maximum(category, 0)], 35.0],
        60.0,
    )
    sigma = np.where(product == cat.P_DEDICATED, 0.9, 0.6)
    return np.round(rng.lognormal(np.log(median * 100), sigma)).astype(np.int64)
