"""Bulk import of customer files (CSV or Parquet, see docs/data-contract.md)."""

from telcocrm.imports.customer_import import ImportReport, import_customers, validate_customer_file
from telcocrm.imports.problems import ImportRefused, Problem

__all__ = ["ImportRefused", "ImportReport", "Problem", "import_customers", "validate_customer_file"]
