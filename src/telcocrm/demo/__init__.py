"""A synthetic, realistic customer base for demos, tests and benchmarks."""

from telcocrm.demo.generator import REFERENCE_DATE, generate_demo_rows, write_demo_file

__all__ = ["REFERENCE_DATE", "generate_demo_rows", "write_demo_file"]
