"""The `telcocrm` command line: database, server, demo, staff, imports and the monthly batch."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from telcocrm.churn.commands import churn_app
from telcocrm.config import get_settings
from telcocrm.db import migrate
from telcocrm.db.engine import get_engine, session_scope
from telcocrm.errors import TelcoError
from telcocrm.extracts.command import ingest
from telcocrm.jobs.export_command import results_app
from telcocrm.jobs.run_command import run_month_command
from telcocrm.kit.refusals import refusal
from telcocrm.loyalty.commands import loyalty_app
from telcocrm.models.enums import StaffRole
from telcocrm.synth.command import synth

if TYPE_CHECKING:
    from telcocrm.imports.customer_import import ImportReport

app = typer.Typer(help="telcocrm — customer base management and retention", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
staff_app = typer.Typer(help="Staff users", no_args_is_help=True)
customers_app = typer.Typer(help="Customer data", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(customers_app, name="customers")
# The monthly batch: each command lives with its domain and imports its heavy libraries only when run.
app.command("synth")(synth)
app.command("ingest")(ingest)
app.command("run-month")(run_month_command)
app.add_typer(results_app, name="results")
app.add_typer(loyalty_app, name="loyalty")
app.add_typer(churn_app, name="churn")
console = Console()
err = Console(stderr=True)

DEMO_STAFF = {
    "admin": StaffRole.ADMINISTRATOR,
    "analyst": StaffRole.ANALYST,
    "phone": StaffRole.PHONE_MANAGER,
    "manager": StaffRole.ACCOUNT_MANAGER,
    "clerk": StaffRole.STORE_CLERK,
}


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema."""
    migrate.upgrade(get_settings().sqlalchemy_url, revision)
    console.print(f"database at [bold]{revision}[/bold]: {_safe_url()}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Take the schema down to a revision (`base` removes everything)."""
    migrate.downgrade(get_settings().sqlalchemy_url, revision)
    console.print(f"database at {revision}")


def _safe_url() -> str:
    url = get_settings().sqlalchemy_url
    return url.split("@")[-1] if "@" in url else url


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API and the web workbench."""
    import uvicorn

    uvicorn.run("telcocrm.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@staff_app.command("create")
def staff_create(
    name: str,
    role: Annotated[
        StaffRole, typer.Option(help="administrator | analyst | phone_manager | account_manager | store_clerk")
    ],
    display_name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a staff user; the password is read from standard input (never from the command line)."""
    from telcocrm.staff.service import create_staff

    password = _read_password()
    try:
        with session_scope() as db:
            create_staff(db=db, username=name, role=role, password=password, display_name=display_name)
    except TelcoError as exc:
        raise refusal(exc, exit_code=2) from exc
    console.print(f"staff user [bold]{name}[/bold] created with role {role.value}")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@customers_app.command("import")
def customers_import(file: Path) -> None:
    """Import customers from CSV or Parquet (one row per subscriber); a file with any bad row is refused whole."""
    from telcocrm.imports.customer_import import import_customers
    from telcocrm.imports.problems import ImportRefused

    with _progress() as progress:
        task = progress.add_task("importing", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = import_customers(file, engine=get_engine(), actor="cli-import", progress=advance)
        except ImportRefused as exc:
            _print_refusal(exc)
            raise typer.Exit(2) from exc
    _audit_import(file, report)
    console.print(
        f"imported {report.customers} customers, {report.accounts} accounts, {report.subscribers} subscribers, "
        f"{report.relations} relations in {report.seconds:.1f} s"
    )


def _audit_import(file: Path, report: ImportReport) -> None:
    """One audit record for the whole file: who loaded what (each customer also has its history entry)."""
    from telcocrm.staff import audit
    from telcocrm.staff.rules import system_viewer

    with session_scope() as db:
        audit.record(
            db=db,
            viewer=system_viewer("cli-import"),
            action="customers.import",
            resource_type="file",
            resource_id=file.name[:40],
            detail={"customers": report.customers, "subscribers": report.subscribers, "accounts": report.accounts},
        )


def _print_refusal(exc: TelcoError) -> None:
    problems = getattr(exc, "problems", [])
    table = Table(title=f"file refused: {len(problems)} problem(s); nothing was written")
    for column in ("line", "field", "reason"):
        table.add_column(column)
    for problem in problems[:50]:
        table.add_row(str(problem.line), problem.field, problem.reason)
    err.print(table)
    if len(problems) > 50:
        err.print(f"… and {len(problems) - 50} more")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


@app.command()
def demo(
    subscribers: Annotated[int, typer.Option(help="subscribers of the synthetic demo operator")] = 3000,
    months: Annotated[int, typer.Option(help="months of billing extracts, ending last month")] = 6,
    seed: Annotated[int, typer.Option()] = 20261122,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    port: int = 8000,
) -> None:
    """Build the embedded demo: migrate, load a synthetic operator and run its months once, reset logins, serve."""
    from telcocrm.demo.churn import prepare_demo_churn, train_demo_churn_model
    from telcocrm.demo.loyalty import prepare_demo_loyalty
    from telcocrm.demo.operator import build_demo_operator
    from telcocrm.jobs.run_summary import print_summary

    settings = get_settings()
    migrate.upgrade(settings.sqlalchemy_url)
    if _customer_count() == 0:
        folder = settings.data_dir / f"demo-operator-{seed}"
        report = build_demo_operator(
            folder, database=get_engine(), subscribers=subscribers, months=months, seed=seed, say=console.print
        )
        prepare_demo_loyalty(get_engine(), say=console.print)
        report = train_demo_churn_model(get_engine(), say=console.print) or report
        prepare_demo_churn(get_engine(), folder, say=console.print)
        print_summary(console, report)
    else:
        console.print(f"demo data already loaded ({_customer_count()} customers)")
    logins = _reset_demo_staff()
    _print_logins(logins, port)
    if serve_after:
        serve(port=port)


def _customer_count() -> int:
    from sqlalchemy import func, select

    from telcocrm.models import Customer

    with session_scope() as db:
        return int(db.execute(select(func.count()).select_from(Customer)).scalar_one())


def _reset_demo_staff() -> dict[str, str]:
    """Create the demo users, or give them fresh passwords: a new random password on every demo run."""
    from sqlalchemy import select

    from telcocrm.models import StaffUser
    from telcocrm.staff.passwords import hash_password
    from telcocrm.staff.service import create_staff

    logins = {}
    with session_scope() as db:
        for username, role in DEMO_STAFF.items():
            password = f"demo-{secrets.token_hex(4)}"
            user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if user is None:
                create_staff(db=db, username=username, role=role, password=password)
            else:
                user.password_hash = hash_password(password)
                user.failed_login_count, user.locked_until = 0, None
            logins[username] = password
    return logins


def _print_logins(logins: dict[str, str], port: int) -> None:
    table = Table(title=f"demo logins — http://127.0.0.1:{port}/  (API docs: /docs)")
    for column in ("username", "role", "password"):
        table.add_column(column)
    for username, password in logins.items():
        table.add_row(username, DEMO_STAFF[username].value, password)
    console.print(table)


if __name__ == "__main__":
    app()
