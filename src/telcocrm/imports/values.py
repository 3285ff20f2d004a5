"""Parsing of single values of an import file: closed vocabularies and dates."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LOOKUPS: dict[type[StrEnum], dict[str, StrEnum]] = {}


def enum_value(enum: type[E], text: str) -> E | None:
    """The member whose value is `text`, or None."""
    lookup = _LOOKUPS.get(enum)
    if lookup is None:
        lookup = _LOOKUPS[enum] = {member.value: member for member in enum}
    return lookup.get(text)  # type: ignore[return-value]


def allowed(enum: type[StrEnum]) -> str:
    """The values of a vocabulary, for a message."""
    return ", ".join(member.value for member in enum)


@lru_cache(maxsize=131_072)
def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None; cached because a file repeats the same few thousand days."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
