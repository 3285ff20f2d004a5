"""Unique, valid identity and service numbers without remembering the ones already handed out."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from stdnum.cn import ric, uscc

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

# China Telecom mobile prefixes (号段).
MOBILE_PREFIXES: tuple[str, ...] = ("133", "149", "153", "173", "177", "180", "181", "189", "191", "199")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
T = TypeVar("T")


class FastRandom(random.Random):
    """random.Random, seeded the same way, whose randint and choice cost one float draw each.

    The standard ones are exact but several times slower, and a million-customer demo draws hundreds of
    millions of them; the tiny bias of scaling a float does not matter for demo data.
    """

    def randint(self, a: int, b: int) -> int:
        """An integer between a and b, both included."""
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        """One element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]


class Scramble:
    """Walks 0..size-1 in a scrambled order: an affine map modulo `size` with a multiplier coprime to it.

    Each call to `next` gives a number never given before (until `size` numbers are used), so millions of
    numbers stay unique at the cost of one counter, not a set of every number issued.
    """

    def __init__(self, rng: random.Random, size: int) -> None:
        self.size = size
        self.step = _coprime(rng, size)
        self.offset = rng.randrange(size)
        self.count = 0

    def next(self) -> int:
        """The next scrambled number."""
        if self.count >= self.size:
            raise OverflowError("number space exhausted")
        value = (self.count * self.step + self.offset) % self.size
        self.count += 1
        return value


def _coprime(rng: random.Random, size: int) -> int:
    while True:
        candidate = rng.randrange(size // 3, size) | 1
        if math.gcd(candidate, size) == 1:
            return candidate


class NumberBook:
    """Hands out unique numbers of every kind for one generated file."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._spaces: dict[tuple[str, ...], Scramble] = {}

    def _space(self, key: tuple[str, ...], size: int) -> Scramble:
        space = self._spaces.get(key)
        if space is None:
            space = self._spaces[key] = Scramble(self.rng, size)
        return space

    def resident_id(self, region: str, year: int) -> tuple[str, bool]:
        """A GB 11643 resident ID number for a birth region and year, and whether its holder is male."""
        slot = self._space(("ric", region, str(year)), 365 * 1000).next()
        born = date(year, 1, 1) + timedelta(days=slot // 1000)
        sequence = slot % 1000
        body = f"{region}{born:%Y%m%d}{sequence:03d}"
        # calc_check_digit expects the number with a check digit in place: any character will do.
        return body + ric.calc_check_digit(body + "0"), sequence % 2 == 1

    def social_credit_code(self, region: str, *, public_body: bool = False) -> str:
        """A GB 32100 unified social credit code: 91 enterprise or 12 public institution, region, org code."""
        body = f"{self._space(('org',), 10**8).next():08d}"
        total = sum(int(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
        check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
        number = ("12" if public_body else "91") + region + body + check
        return number + uscc.calc_check_digit(number)

    def passport(self) -> str:
        """A passport number of the E series (9 characters)."""
        return f"E{self._space(('passport',), 10**8).next():08d}"

    def mobile(self) -> str:
        """A China Telecom mobile number."""
        prefix = self.rng.choice(MOBILE_PREFIXES)
        return f"{prefix}{self._space(('mobile', prefix), 10**8).next():08d}"

    def fixed(self, area_code: str, local_digits: int) -> str:
        """A fixed number with its area code, e.g. 020-87654321 (local numbers start with 2 to 8)."""
        low = 2 * 10 ** (local_digits - 1)
        local = low + self._space(("fixed", area_code), 7 * 10 ** (local_digits - 1)).next()
        return f"{area_code}-{local}"

    def broadband(self, abbr: str) -> str:
        """A broadband account: the city's letters and ten digits."""
        return f"{abbr.lower()}{self._space(('broadband', abbr), 10**10).next():010d}"

    def iptv(self, abbr: str) -> str:
        """An IPTV account: the city's letters, `tv` and ten digits."""
        return f"{abbr.lower()}tv{self._space(('iptv', abbr), 10**10).next():010d}"

    def dedicated_line(self, abbr: str) -> str:
        """A dedicated line circuit id: the city's letters, ZX (专线) and eight digits."""
        return f"{abbr}ZX{self._space(('line', abbr), 10**8).next():08d}"

    def subscriber_id(self, seed: int) -> str:
        """The source system's subscriber id: U, three digits of the seed, ten scrambled digits."""
        return f"U{seed % 1000:03d}{self._space(('subscriber',), 10**10).next():010d}"
