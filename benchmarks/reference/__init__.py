"""Hand-written references of the monthly run's rules (DuckDB SQL, pandas) that the batch benchmark times Ibis against.

Both cover the same four tables: subscriber_features, customer_features, credit and lifecycle.
"""
