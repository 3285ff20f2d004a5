"""Lifecycle: identification, growth, stable, warning and sunk stages of every subscriber (brief §8)."""
