"""Billing extracts: the monthly input contract and its ingest into the analytics store."""
