"""Marts: what the business reads — credit ratings, segments and value, lifecycle stages, results."""
