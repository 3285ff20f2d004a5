"""The synthetic operator: customers and monthly billing extracts with a churn process, deterministic per seed."""
