"""Tests of the monthly billing extracts ingest."""
