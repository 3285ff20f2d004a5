"""Times the churn model as an operator uses it: every month run, the monthly model trained on them, the last month
run again and scored by it.

.venv/bin/python benchmarks/bench_churn.py                         # 1,000,000 subscribers × 12 months, DuckDB
.venv/bin/python benchmarks/bench_churn.py --subscribers 30000     # a smoke run

Steps are real `telcocrm` commands in child processes (bench_batch.run_step: wall time and the child's own peak
memory). Reported: training time and peak memory (`churn train-monthly` on every labelled month: with 12 months
and a 3-month horizon, 8 months to learn from and 1 to test on), the out-of-time quality of the model against the
warning rules at the same contact volume, and the `churn_scores` step of the run (lines scored per second and the
time it adds to the run). The operator's files and months are kept in --work and reused when the arguments match.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from bench_batch import Step, run_step, synthetic_operator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--work", type=Path, default=Path("/tmp/telcocrm-bench-churn"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = args.work / f"var-{args.subscribers}-{args.months}-{args.seed}"
    env = os.environ | {"TELCOCRM_DATA_DIR": str(data_dir), "TELCOCRM_ENVIRONMENT": "test"}
    env["TELCOCRM_DATABASE_URL"] = f"sqlite:///{data_dir / 'telcocrm.db'}"
    load_before = os.getloadavg()
    folder, _ = synthetic_operator(args, env)
    months = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[:2] == "20")
    steps = every_month_run(data_dir, folder, months, env)
    (data_dir / "models" / "churn" / "published.json").unlink(missing_ok=True)
    steps.append(run_step("churn train-monthly", ["churn", "train-monthly", "--publish"], env))
    steps.append(run_step(f"run-month {months[-1]} with the model", ["run-month", months[-1]], env))
    report(args, data_dir, months[-1], steps, load_before)


def every_month_run(data_dir: Path, folder: Path, months: list[str], env: dict[str, str]) -> list[Step]:
    """Import, ingest and run every month once (skipped when a previous benchmark left them all)."""
    done = data_dir / "MONTHS-RUN"
    if done.exists():
        return []
    shutil.rmtree(data_dir, ignore_errors=True)
    steps = [run_step("db upgrade", ["db", "upgrade"], env)]
    steps.append(run_step("customers import", ["customers", "import", str(folder / "customers.parquet")], env))
    for month in months:
        steps.append(run_step(f"ingest {month}", ["ingest", str(folder / month), "--month", month], env))
        steps.append(run_step(f"run-month {month}", ["run-month", month], env))
    done.write_text("\n".join(months))
    return steps


def report(args: argparse.Namespace, data_dir: Path, month: str, steps: list[Step], load: tuple[float, ...]) -> None:
    results = data_dir / "analytics" / "results" / f"month={month}"
    run = json.loads((results / "run.json").read_text(encoding="utf-8"))
    model = json.loads((data_dir / "models" / "churn" / "published.json").read_text(encoding="utf-8"))
    scored = pq.ParquetFile(results / "churn_scores.parquet").metadata.num_rows
    scoring = run["step_seconds"]["churn_scores"]
    print(f"\n{args.subscribers:,} subscribers × {args.months} months, SQLite, DuckDB")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}\n")
    print("| step | seconds | peak memory MiB |\n|---|---|---|")
    for step in steps:
        print(f"| {step.name} | {step.seconds:,.1f} | {step.peak_mib:,.0f} |")
    rows, chosen = model["rows"], model["settings"]
    print(f"\ntraining: {model['training_window']}, {rows['train']:,} line-months ({rows['churners']:,} left), "
          f"search on {rows['search']:,}, chosen {chosen['candidate']} ({chosen['rounds']} rounds)")  # fmt: skip
    oot, rules = model["metrics"]["out_of_time"], model["metrics"]["rules_out_of_time"]
    print(f"out of time ({', '.join(oot['months'])}, {oot['lines']:,} lines): ROC AUC {oot['roc_auc']:.3f}, "
          f"PR AUC {oot['pr_auc']:.3f}, top-decile capture model {oot['top_decile_capture']:.1%} "
          f"vs rules {rules['top_decile_capture']:.1%}")  # fmt: skip
    print(f"scoring in the run: {scored:,} lines in {scoring:.1f} s = {scored / scoring:,.0f} lines/s "
          f"(the run took {run['seconds']:.1f} s in all)")  # fmt: skip


if __name__ == "__main__":
    main()
