"""Segments and value: segment, sub-segment, five-way classification, big customers, star and value tiers (brief §2)."""
