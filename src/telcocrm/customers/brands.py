"""The brand catalogue (brands.toml): which brand codes a subscriber may carry, and their names."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from telcocrm.errors import InvalidInput

BRANDS_FILE = Path(__file__).with_name("brands.toml")


@dataclass(frozen=True)
class Brand:
    """A brand of the catalogue."""

    code: str
    zh: str
    en: str


@lru_cache(maxsize=1)
def brand_catalogue() -> dict[str, Brand]:
    """The brands by code, in the file's order."""
    data = tomllib.loads(BRANDS_FILE.read_text(encoding="utf-8"))
    return {code: Brand(code, entry["zh"], entry["en"]) for code, entry in data["brands"].items()}


def brand_codes() -> tuple[str, ...]:
    """The codes a subscriber's brand may take."""
    return tuple(brand_catalogue())


def checked_brand(code: str | None, field: str = "brand") -> str | None:
    """The brand code if it is in the catalogue (None stays None), else InvalidInput naming the field."""
    if code is None or code in brand_catalogue():
        return code
    raise InvalidInput(f"品牌不在品牌目录中 / brand '{code}' is not one of: {', '.join(brand_codes())}", field=field)
