"""Cross-domain helpers: the TMF envelope, time formatting."""
