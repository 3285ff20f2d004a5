"""The customers file of a chunk (the import format, one row per subscriber) and the customers' profile columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.demo.names import ORG_BRANDS, ORG_TRADES, PUBLIC_BODIES, SURNAME_WEIGHTS, SURNAMES
from telcocrm.imports.columns import COLUMNS
from telcocrm.synth import catalogue as cat
from telcocrm.synth import identity as ident
from telcocrm.synth.population import Population

CUSTOMER_FILE_COLUMNS: tuple[str, ...] = COLUMNS  # exactly the import's columns (docs/data-contract.md)
_CHANNEL_KINDS = ("ST", "PS", "AG", "HL", "WB", "CM", "AM")


@dataclass
class Keys:
    """Numbering of a chunk so that every chunk's codes and numbers differ: global indices and hash keys."""

    seed: int
    chunk: int
    chunk_size: int

    def customer_serials(self, count: int) -> np.ndarray:
        """Serials of the chunk's customers (at most one customer per line of the chunk)."""
        return ident.CUSTOMER_SERIAL_BASE + self.chunk * self.chunk_size + np.arange(count, dtype=np.int64)

    def line_index(self, count: int) -> np.ndarray:
        """Global line numbers: room for twice the chunk (own-product lines come on top)."""
        return self.chunk * 2 * self.chunk_size + np.arange(count, dtype=np.int64)

    def key(self, purpose: int) -> int:
        """A key for scrambling one kind of number, the same for every chunk of the run."""
        return self.seed * 16 + purpose


def subscriber_ids(keys: Keys, count: int) -> pa.Array:
    """`S` and ten digits, unique over the run."""
    return ident.join("S", ident.digits(ident.scramble(keys.line_index(count), 10**10, keys.key(1)), 10))


def customers_table(
    rng: np.random.Generator,
    pop: Population,
    keys: Keys,
    sub_ids: pa.Array,
    codes: pa.Array,
    status: np.ndarray,
    terminated: np.ndarray,
    contract_end: np.ndarray,
) -> pa.Table:
    """The chunk's rows of the customers file: customers, accounts, lines and the new profile columns."""
    person = pop.c_segment != cat.SEG_ORG
    districts = ident.pick_districts(rng, pop.c_city)
    head = pop.c_head
    home = ident.home_addresses(rng, pop.c_city, districts)
    office = ident.join(
        ident.street_addresses(rng, pop.c_city, districts), ident.digits(rng.integers(2, 31, len(head)), 1), "层"
    )
    address = pc.take(pc.if_else(pa.array(person), home, office), pa.array(head))  # a family shares the head's home
    names, cert_type, cert_number = _identities(rng, pop, keys, districts)
    line_count = pop.lines
    numbers = _service_numbers(pop, keys)
    lc = pop.l_customer
    account = pop.l_account
    fixed_place = pop.l_product != cat.P_MOBILE
    profile = _profile(rng, pop)
    channel, staff = _channels(rng, pop)
    relation_holder = (pop.c_segment == cat.SEG_FAMILY) & (head != np.arange(len(head)))
    first_line = np.r_[True, lc[1:] != lc[:-1]]
    refs = ident.join("C", codes)
    columns: dict[str, pa.Array] = {
        "customer_ref": pc.take(refs, pa.array(lc)),
        "customer_code": pc.take(codes, pa.array(lc)),
        "customer_kind": ident.text(("person", "organisation"), (~person).astype(np.int64)[lc]),
        "customer_name": pc.take(names, pa.array(lc)),
        "joined_date": _iso(pop.c_joined[lc]),
        "cert_type": pc.take(cert_type, pa.array(lc)),
        "cert_number": pc.take(cert_number, pa.array(lc)),
        "cert_address": pc.take(_cert_addresses(rng, pop, office), pa.array(lc)),
        "contact_phone": pc.take(_contact_phones(pop, numbers), pa.array(lc)),
        "province": ident.city_column("province", pop.c_city[lc]),
        "city": ident.city_column("name", pop.c_city[lc]),
        "contact_address": pc.take(address, pa.array(lc)),
        "account_ref": ident.join("B", ident.digits(keys.line_index(line_count)[account], 11)),
        "account_type": ident.text(cat.ACCOUNT_TYPES, pop.a_type[account]),
        "account_name": _account_names(pop, names, account),
        "parent_account_ref": _parent_refs(pop, keys, account),
        "payment_method": ident.text(cat.PAYMENTS, pop.a_payment[account]),
        "subscriber_id": sub_ids,
        "product": ident.text(cat.PRODUCTS, pop.l_product),
        "service_number": numbers,
        "install_address": pc.if_else(pa.array(fixed_place), pc.take(address, pa.array(lc)), ""),
        "ownership_type": ident.text(
            ("owned", "corporate"), ((pop.c_segment[lc] == cat.SEG_ORG) & ~fixed_place).astype(np.int64)
        ),
        "subscriber_status": ident.text(("active", "suspended", "terminated"), status),
        "activated_date": _iso(pop.l_activated),
        "terminated_date": _iso(terminated),
        "contract_end_date": _iso(np.maximum(contract_end, pop.l_activated)),
        "channel_code": channel,
        "staff_code": staff,
        "related_customer_ref": pc.if_else(
            pa.array(relation_holder[lc] & first_line), pc.take(refs, pa.array(head[lc])), ""
        ),
        "relation_type": pc.if_else(pa.array(relation_holder[lc] & first_line), "family_member", ""),
        **{name: pc.take(values, pa.array(lc)) for name, values in profile.items()},
        "brand": ident.text(cat.BRANDS, pop.l_brand),
    }
    return pa.table([columns[name] for name in CUSTOMER_FILE_COLUMNS], names=list(CUSTOMER_FILE_COLUMNS))


def _iso(days: np.ndarray) -> pa.Array:
    values = pa.array(days.astype("datetime64[D]"), pa.date32(), mask=np.isnat(days)).cast(pa.string())
    return pc.fill_null(values, "")


def _identities(
    rng: np.random.Generator, pop: Population, keys: Keys, districts: np.ndarray
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Names and certificates: resident IDs for persons (a few passports), social credit codes for organisations."""
    count = len(pop.c_segment)
    weights = np.array(SURNAME_WEIGHTS)
    surnames = rng.choice(len(SURNAMES), count, p=weights / weights.sum())
    # Children carry the head's surname; spouses keep their own.
    child = (pop.c_head != np.arange(count)) & (rng.random(count) < 0.6)
    surnames = np.where(child, surnames[pop.c_head], surnames)
    person_names = ident.person_names(rng, pop.c_male, ident.text(SURNAMES, surnames))
    birth_city = np.where(rng.random(count) < 0.75, pop.c_city, ident.pick_cities(rng, count))
    ids, _ = ident.resident_ids(rng, birth_city, pop.c_birth_year, pop.c_male, keys.chunk)
    passports = ident.join("E", ident.digits(ident.scramble(keys.line_index(count), 10**8, keys.key(2)), 8))
    passport = rng.random(count) < 0.01
    org = pop.c_segment == cat.SEG_ORG
    category = np.maximum(pop.c_category, 0)
    prefixes = np.array([int(p) for p in cat.ORG_CODE_PREFIX])[category]
    regions = ident.district_codes(pop.c_city, districts)
    credit = ident.social_credit_codes(prefixes, regions, keys.line_index(count), keys.key(3))
    licence = rng.random(count) < 0.1
    cert_type = np.select(
        [org & licence, org, passport], ["business_licence", "unified_social_credit", "passport"], "resident_id"
    )
    number = pc.if_else(pa.array(org), credit, pc.if_else(pa.array(passport), passports, ids))
    return pc.if_else(pa.array(org), _org_names(rng, pop), person_names), pa.array(cert_type), number


def _org_names(rng: np.random.Generator, pop: Population) -> pa.Array:
    """Names by category: a city's bureau, a party committee, an army unit, a hospital, a company, a shop."""
    count = len(pop.c_segment)
    short = ident.city_short(pop.c_city)
    city = ident.join(short, "市")
    pick = rng.integers(0, 1000, count)
    company = ident.join(
        short, ident.text(ORG_BRANDS, pick % len(ORG_BRANDS)), ident.text(ORG_TRADES, pick % len(ORG_TRADES))
    )
    suffix = ident.text(
        ("有限公司", "股份有限公司", "集团有限公司", "经营部"),
        np.select([pop.c_category == 4, pop.c_category == 6], [2, 3], pick % 2),
    )
    names = [
        ident.join(city, ident.text(cat.GOVERNMENT_BODIES, pick % len(cat.GOVERNMENT_BODIES))),
        ident.join("中共", city, ident.text(cat.PARTY_BODIES, pick % len(cat.PARTY_BODIES))),
        ident.join("中国人民解放军", ident.digits(rng.integers(30000, 99999, count), 5), "部队"),
        ident.join(city, ident.text(PUBLIC_BODIES, pick % len(PUBLIC_BODIES))),
    ]
    result = ident.join(company, suffix)
    for category, name in enumerate(names):
        result = pc.if_else(pa.array(pop.c_category == category), name, result)
    return result


def _cert_addresses(rng: np.random.Generator, pop: Population, office: pa.Array) -> pa.Array:
    """A person's registered home (often where they were born); an organisation's registered office."""
    districts = ident.pick_districts(rng, pop.c_city)
    home = ident.home_addresses(rng, pop.c_city, districts)
    return pc.if_else(pa.array(pop.c_segment == cat.SEG_ORG), office, home)


def _service_numbers(pop: Population, keys: Keys) -> pa.Array:
    cities = pop.c_city[pop.l_customer]
    index = keys.line_index(pop.lines)
    product = pop.l_product
    choices = {
        cat.P_MOBILE: ident.mobile_numbers(index, keys.key(4)),
        cat.P_FIXED: ident.fixed_numbers(cities, index, keys.key(5)),
        cat.P_BROADBAND: ident.account_numbers(cities, index, keys.key(6), "", 10),
        cat.P_IPTV: ident.account_numbers(cities, index, keys.key(7), "tv", 10),
        cat.P_DEDICATED: ident.account_numbers(cities, index, keys.key(8), "ZX", 8),
    }
    choices[cat.P_E8] = choices[cat.P_FIXED]
    choices[cat.P_E6] = choices[cat.P_BROADBAND]
    result = choices[cat.P_MOBILE]
    for code, values in choices.items():
        result = pc.if_else(pa.array(product == code), values, result)
    return result


def _contact_phones(pop: Population, numbers: pa.Array) -> pa.Array:
    """A person's first mobile line; an organisation's first office line (a fixed number either way works)."""
    phone_like = np.isin(pop.l_product, [cat.P_MOBILE, cat.P_FIXED, cat.P_E8])
    count = len(pop.c_segment)
    candidate = np.where(phone_like, np.arange(pop.lines), pop.lines)
    first = np.full(count, pop.lines)
    np.minimum.at(first, pop.l_customer, candidate)
    padded = pa.concat_arrays([numbers, pa.array([""])])
    return pc.take(padded, pa.array(first))


def _account_names(pop: Population, names: pa.Array, account: np.ndarray) -> pa.Array:
    holder = pc.take(names, pa.array(pop.a_customer[account]))
    suffix = np.select(
        [pop.a_type[account] == cat.ACC_FAMILY_PRIMARY, pop.a_type[account] == cat.ACC_GROUP_SUB], [1, 2], 0
    )
    department = ident.join("部门", ident.digits(account - np.searchsorted(pop.a_customer, pop.a_customer[account]), 1))
    return ident.join(holder, pc.if_else(pa.array(suffix == 2), department, ident.text(("", "家庭", ""), suffix)))


def _parent_refs(pop: Population, keys: Keys, account: np.ndarray) -> pa.Array:
    parent = pop.a_parent[account]
    refs = ident.join("B", ident.digits(keys.line_index(pop.lines)[np.maximum(parent, 0)], 11))
    return pc.if_else(pa.array(parent >= 0), refs, "")


def _channels(rng: np.random.Generator, pop: Population) -> tuple[pa.Array, pa.Array]:
    """The channel that sold each line and, for staffed channels, the person responsible (brief §6)."""
    count = pop.lines
    seg = pop.c_segment[pop.l_customer]
    kind = np.select(
        [seg == cat.SEG_ORG, pop.a_payment[pop.l_account] == cat.PAY_AGENT, seg == cat.SEG_FAMILY],
        [6, 2, np.where(rng.random(count) < 0.5, 5, 0)],
        rng.choice(5, count, p=[0.35, 0.2, 0.2, 0.1, 0.15]),
    )
    abbr = ident.city_column("abbr", pop.c_city[pop.l_customer])
    channel = ident.join(abbr, "-", ident.text(_CHANNEL_KINDS, kind), "-", ident.digits(rng.integers(1, 61, count), 3))
    staffed = np.isin(kind, [0, 1, 5, 6])
    staff = ident.join(abbr, ident.digits(rng.integers(1, 4001, count), 5))
    return channel, pc.if_else(pa.array(staffed), staff, "")


def _profile(rng: np.random.Generator, pop: Population) -> dict[str, pa.Array]:
    """The new profile columns per customer (brief §1 peripheral view, §2 sub-segments)."""
    count = len(pop.c_segment)
    org = pop.c_segment == cat.SEG_ORG
    category = np.maximum(pop.c_category, 0)
    industry_pick = (rng.random(count) * np.array([len(i) for i in cat.INDUSTRIES_BY_CATEGORY])[category]).astype(
        np.int64
    )
    flat = [name for names in cat.INDUSTRIES_BY_CATEGORY for name in names]
    starts = np.cumsum([0] + [len(i) for i in cat.INDUSTRIES_BY_CATEGORY])[:-1]
    industry_customer = org & (rng.random(count) < cat.ORG_INDUSTRY_SHARE[category])
    scope = rng.choice(len(cat.DECISION_SCOPES), count, p=cat.DECISION_SCOPE_WEIGHTS / cat.DECISION_SCOPE_WEIGHTS.sum())
    strategic = org & (rng.random(count) < np.where(np.isin(category, [0, 4]), 0.15, 0.03))
    age = 2026 - pop.c_birth_year
    occupation = rng.choice(len(cat.OCCUPATIONS), count, p=cat.OCCUPATION_WEIGHTS / cat.OCCUPATION_WEIGHTS.sum())
    occupation = np.where(age >= 62, cat.OCC_RETIRED, np.where(occupation == cat.OCC_RETIRED, 0, occupation))
    occupation = np.where((age <= 23) & (rng.random(count) < 0.7), cat.OCC_STUDENT, occupation)
    occupation = np.where(age > 26, np.where(occupation == cat.OCC_STUDENT, 0, occupation), occupation)
    home_business = ~org & (rng.random(count) < np.where(occupation == cat.OCC_SELF_EMPLOYED, 0.5, 0.01))
    income = np.clip(np.round(rng.normal(1.3, 0.9, count)) + (occupation == 3) + (occupation == 15), 0, 3)
    income = np.where(np.isin(occupation, [cat.OCC_STUDENT, cat.OCC_RETIRED]), np.minimum(income, 1), income)
    empty = pa.array([""] * count)

    def for_orgs(values: pa.Array, mask: np.ndarray) -> pa.Array:
        return pc.if_else(pa.array(mask), values, empty)

    return {
        "organisation_category": for_orgs(ident.text(cat.ORG_CATEGORIES, category), org),
        "industry": for_orgs(ident.text(flat, starts[category] + industry_pick), org),
        "decision_scope": for_orgs(ident.text(cat.DECISION_SCOPES, scope), industry_customer),
        "strategic": ident.text(("false", "true"), strategic.astype(np.int64)),
        "home_business": ident.text(("false", "true"), home_business.astype(np.int64)),
        "occupation": for_orgs(ident.text(cat.OCCUPATIONS, occupation), ~org),
        "income_band": for_orgs(ident.text(cat.INCOME_BANDS, income.astype(np.int64)), ~org),
    }
