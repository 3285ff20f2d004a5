"""Staging: each source cleaned and typed for the month window (one module per extract)."""
