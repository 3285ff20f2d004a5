"""Money as people read it: integer fen shown as CNY with two decimals, exactly (no floating point)."""

from __future__ import annotations


def cny(fen: int) -> str:
    """`1234567` fen → `12,345.67`; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"
