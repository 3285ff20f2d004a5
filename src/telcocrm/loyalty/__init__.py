"""Loyalty: points earned, the points ledger, member cards and rewards (brief §4, issue 4)."""
