"""Intermediate: subscriber and customer features derived from the staged sources."""
