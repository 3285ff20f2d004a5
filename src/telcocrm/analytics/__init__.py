"""The analytics store and the monthly batch, written once with Ibis (DuckDB by default, Spark when one machine is
not enough). Layers follow the source → staging → intermediate → marts shape: each function takes Ibis tables and
returns an Ibis table, with no Python UDFs, so every engine computes the same rows."""
