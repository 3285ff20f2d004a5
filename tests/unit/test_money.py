"""Fen shown as CNY: exact to the fen, grouped by thousands."""

from telcocrm.kit.money import cny


def test_fen_read_as_cny_with_two_decimals() -> None:
    assert cny(1_234_567) == "12,345.67"
    assert cny(5) == "0.05"
    assert cny(-250) == "-2.50"
    assert cny(10**17 + 1) == "1,000,000,000,000,000.01"  # no floating point rounding
