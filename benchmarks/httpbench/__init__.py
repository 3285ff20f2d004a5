"""Helpers of benchmarks/bench_http.py: the data set, the server under test, wrk and the report."""
