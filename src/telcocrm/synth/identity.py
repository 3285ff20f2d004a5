"""Who the synthetic customers are, a whole chunk at a time: names, certificates, codes, numbers, addresses.

Everything the demo generator builds one customer at a time (telcocrm.demo) is built here for arrays of customers
with numpy and Arrow string kernels, from the demo's own tables (cities, districts, streets, surnames, mobile
prefixes). Numbers that must be unique in the whole file (certificates, service numbers, subscriber ids, customer
codes) come from the chunk index and the row's place in the chunk, never from what other chunks drew, so chunks
are independent and still never collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum import damm

from telcocrm.customers.rules import CUSTOMER_CODE_DIGITS
from telcocrm.demo.geography import CITIES, CITY_WEIGHTS, COMMON_STREETS, birth_region_codes
from telcocrm.demo.names import FEMALE_GIVEN, MALE_GIVEN, SURNAME_WEIGHTS, SURNAMES
from telcocrm.demo.numbers import MOBILE_PREFIXES

FIRST_BIRTH_YEAR = 1945
LAST_BIRTH_YEAR = 2005
CUSTOMER_SERIAL_BASE = 2 * 10**10  # synthetic customer codes start at 2000000000…, far from issued ones
_RIC_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_DAMM = np.array(damm._operation_table, dtype=np.int8)  # the table stdnum checks customer codes with


def text(values: Sequence[str], index: np.ndarray) -> pa.Array:
    """The strings of `values` at `index`, as an Arrow string array."""
    return pc.take(pa.array(list(values), pa.string()), pa.array(index, pa.int64()))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals."""
    return pc.binary_join_element_wise(*parts, "")


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal strings of `width` characters."""
    return pc.utf8_lpad(pa.array(values.astype(np.int64)).cast(pa.string()), width, "0")


def scramble(index: np.ndarray, size: int, key: int) -> np.ndarray:
    """An affine bijection of 0..size-1 chosen by `key`: distinct indices below `size` give distinct numbers."""
    picker = np.random.default_rng([key, size])
    step = int(picker.integers(size // 3, size)) | 1
    while np.gcd(step, size) != 1:
        step += 2
    offset = int(picker.integers(0, size))
    # uint64 keeps index * step exact for the sizes used (at most 10**10 by 10**9).
    return ((index.astype(np.uint64) * np.uint64(step) + np.uint64(offset)) % np.uint64(size)).astype(np.int64)


# --- cities -----------------------------------------------------------------------------------------------------


def pick_cities(rng: np.random.Generator, count: int) -> np.ndarray:
    """City indices into CITIES, big cities more often (the demo's weights)."""
    weights = np.array(CITY_WEIGHTS, dtype=float)
    return rng.choice(len(CITIES), size=count, p=weights / weights.sum())


@lru_cache(maxsize=1)
def _city_tables() -> dict[str, np.ndarray]:
    width = max(len(c.districts) for c in CITIES)
    district_count = np.array([len(c.districts) for c in CITIES])
    district_code = np.zeros((len(CITIES), width), dtype=np.int64)
    for row, city in enumerate(CITIES):
        for col, (_, code) in enumerate(city.districts):
            district_code[row, col] = int(code)
    return {"district_count": district_count, "district_code": district_code}


def city_column(attribute: str, cities: np.ndarray) -> pa.Array:
    """An attribute of each city (province, name, abbr, area_code) as strings."""
    return text([str(getattr(c, attribute)) for c in CITIES], cities)


def city_short(cities: np.ndarray) -> pa.Array:
    """The city's name without 市, as companies put it in front of their names."""
    return text([c.name.removesuffix("市") for c in CITIES], cities)


def pick_districts(rng: np.random.Generator, cities: np.ndarray) -> np.ndarray:
    """A district position within each city."""
    counts = _city_tables()["district_count"][cities]
    return np.asarray((rng.random(len(cities)) * counts).astype(np.int64))


def district_codes(cities: np.ndarray, districts: np.ndarray) -> np.ndarray:
    """The GB/T 2260 code of each (city, district)."""
    return np.asarray(_city_tables()["district_code"][cities, districts])


def street_addresses(rng: np.random.Generator, cities: np.ndarray, districts: np.ndarray) -> pa.Array:
    """Street addresses down to the house number, e.g. 广东省广州市天河区体育西路123号."""
    places = [c.name if c.is_municipality else c.province + c.name for c in CITIES]
    pairs = [(row, col) for row, c in enumerate(CITIES) for col in range(len(c.districts))]
    names = [CITIES[row].districts[col][0] for row, col in pairs]
    width = max(len(c.districts) for c in CITIES)
    flat = cities * width + districts
    lookup = np.zeros(len(CITIES) * width, dtype=np.int64)
    for position, (row, col) in enumerate(pairs):
        lookup[row * width + col] = position
    streets = [list(c.streets + COMMON_STREETS) for c in CITIES]
    starts = np.cumsum([0] + [len(s) for s in streets])[:-1]
    street = starts[cities] + (rng.random(len(cities)) * np.array([len(s) for s in streets])[cities]).astype(np.int64)
    number = digits(rng.integers(1, 400, len(cities)), 1)
    return join(
        text(places, cities),
        text(names, lookup[flat]),
        text([s for group in streets for s in group], street),
        number,
        "号",
    )


def home_addresses(rng: np.random.Generator, cities: np.ndarray, districts: np.ndarray) -> pa.Array:
    """Flats: street address, building and room, e.g. …体育西路123号5栋1802室."""
    count = len(cities)
    building = digits(rng.integers(1, 19, count), 1)
    room = digits(rng.integers(1, 33, count) * 100 + rng.integers(1, 7, count), 3)
    return join(street_addresses(rng, cities, districts), building, "栋", room, "室")


# --- persons ----------------------------------------------------------------------------------------------------


def person_names(rng: np.random.Generator, male: np.ndarray, family: pa.Array | None = None) -> pa.Array:
    """Full names: a surname by its frequency (or the family's), one or two given characters."""
    count = len(male)
    weights = np.array(SURNAME_WEIGHTS)
    surnames = (
        family if family is not None else text(SURNAMES, rng.choice(len(SURNAMES), count, p=weights / weights.sum()))
    )
    male_pool, female_pool = len(MALE_GIVEN), len(FEMALE_GIVEN)
    first = np.where(male, rng.integers(0, male_pool, count), male_pool + rng.integers(0, female_pool, count))
    second = np.where(male, rng.integers(0, male_pool, count), male_pool + rng.integers(0, female_pool, count))
    pool = list(MALE_GIVEN + FEMALE_GIVEN)
    second = np.where(rng.random(count) < 0.25, len(pool), second)  # a quarter have one given character
    return join(surnames, text(pool, first), text([*pool, ""], second))


@lru_cache(maxsize=1)
def _region_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (city, birth year): where its valid birth region codes start in a flat array, and how many."""
    years = LAST_BIRTH_YEAR - FIRST_BIRTH_YEAR + 1
    start = np.zeros((len(CITIES), years), dtype=np.int64)
    count = np.zeros((len(CITIES), years), dtype=np.int64)
    flat: list[int] = []
    for row, city in enumerate(CITIES):
        for col in range(years):
            codes = birth_region_codes(city, FIRST_BIRTH_YEAR + col)
            start[row, col], count[row, col] = len(flat), len(codes)
            flat.extend(int(code) for code in codes)
    return start, count, np.array(flat, dtype=np.int64)


def birth_years(rng: np.random.Generator, count: int, latest: int) -> np.ndarray:
    """Birth years between 1945 and `latest`, most customers of working age (the demo's bands)."""
    bands = np.array([[1945, 1959], [1960, 1979], [1980, 1994], [1995, 2005]])
    band = rng.choice(4, size=count, p=[0.1, 0.3, 0.4, 0.2])
    years = bands[band, 0] + (rng.random(count) * (bands[band, 1] - bands[band, 0] + 1)).astype(np.int64)
    return np.asarray(np.minimum(years, latest))


def resident_ids(
    rng: np.random.Generator, birth_cities: np.ndarray, years: np.ndarray, male: np.ndarray, chunk: int
) -> tuple[pa.Array, np.ndarray]:
    """GB 11643 resident ID numbers and birth dates (datetime64[D]), unique across all chunks.

    The sequence code carries the chunk (mod 500) and the sex, so two chunks never share a number; inside the
    chunk, people who drew the same region and birthday get another birthday until all differ.
    """
    start, count, flat = _region_table()
    col = years - FIRST_BIRTH_YEAR
    regions = flat[start[birth_cities, col] + (rng.random(len(years)) * count[birth_cities, col]).astype(np.int64)]
    first_day = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((years + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - first_day).astype(np.int64)
    offsets = (rng.random(len(years)) * length).astype(np.int64)
    sex = male.astype(np.int64)
    for _ in range(50):
        key = (regions * 100_000 + col * 366 + offsets) * 2 + sex
        _, first = np.unique(key, return_index=True)
        clash = np.ones(len(key), dtype=bool)
        clash[first] = False
        if not clash.any():
            break
        offsets[clash] = (rng.random(int(clash.sum())) * length[clash]).astype(np.int64)
    born = first_day + offsets
    ymd = _ymd(born)
    sequence = (chunk % 500) * 2 + sex
    body = regions * 10**11 + ymd * 1000 + sequence
    check = ((12 - (_digit_matrix(body, 17) * _RIC_WEIGHTS).sum(axis=1) % 11) % 11).astype(np.int64)
    return join(digits(body, 17), text([*"0123456789", "X"], check)), born


def _ymd(days: np.ndarray) -> np.ndarray:
    """datetime64[D] as the integer YYYYMMDD."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return np.asarray((years.astype(np.int64) + 1970) * 10000 + month * 100 + day)


def _digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal digits of each value, most significant first, as a (n, width) matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return np.asarray((values[:, None] // powers[None, :]) % 10)


# --- organisations and codes ----------------------------------------------------------------------------------------


def social_credit_codes(prefixes: np.ndarray, regions: np.ndarray, org_index: np.ndarray, key: int) -> pa.Array:
    """GB 32100 unified social credit codes: department and kind, region, a GB 11714 organisation code, check."""
    body = scramble(org_index, 10**8, key)
    org_check = 11 - (_digit_matrix(body, 8) * _ORG_CODE_WEIGHTS).sum(axis=1) % 11
    org_check = np.where(org_check == 11, 0, org_check)  # 10 is written X
    values = np.concatenate(
        [
            _digit_matrix(prefixes * 10**6 + regions, 8),
            _digit_matrix(body, 8),
            np.where(org_check == 10, _USCC_ALPHABET.index("X"), org_check)[:, None],
        ],
        axis=1,
    )
    check = (31 - (values * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    org_code = join(digits(body, 8), text([*"0123456789", "X"], org_check))
    return join(digits(prefixes, 2), digits(regions, 6), org_code, text(list(_USCC_ALPHABET), check))


def customer_codes(serials: np.ndarray) -> pa.Array:
    """Customer codes (11-digit serial and a Damm check digit, telcocrm.customers.rules) for many serials at once."""
    state = np.zeros(len(serials), dtype=np.int8)
    for column in _digit_matrix(serials, CUSTOMER_CODE_DIGITS).T:
        state = _DAMM[state, column]
    return join(digits(serials, CUSTOMER_CODE_DIGITS), digits(state.astype(np.int64), 1))


def mobile_numbers(line_index: np.ndarray, key: int) -> pa.Array:
    """China Telecom mobile numbers (the demo's prefixes), unique per line index."""
    value = scramble(line_index, len(MOBILE_PREFIXES) * 10**8, key)
    return join(text(MOBILE_PREFIXES, value // 10**8), digits(value % 10**8, 8))


def fixed_numbers(cities: np.ndarray, line_index: np.ndarray, key: int) -> pa.Array:
    """Fixed numbers with the city's area code; local numbers start with 2 to 8 and have the city's length."""
    local_digits = np.array([c.local_digits for c in CITIES])[cities]
    space = 7 * 10 ** (local_digits - 1)
    local = 2 * 10 ** (local_digits - 1) + scramble(line_index, 7 * 10**7, key) % space
    return join(city_column("area_code", cities), "-", pa.array(local).cast(pa.string()))


def account_numbers(cities: np.ndarray, line_index: np.ndarray, key: int, infix: str, width: int) -> pa.Array:
    """Broadband/IPTV accounts (lowercase letters, digits) or dedicated-line ids (capitals, ZX, digits)."""
    abbr = city_column("abbr", cities)
    letters = abbr if infix == "ZX" else pc.utf8_lower(abbr)
    return join(letters, infix, digits(scramble(line_index, 10**width, key), width))
