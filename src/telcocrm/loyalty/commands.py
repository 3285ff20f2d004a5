"""`telcocrm loyalty …`: the loyalty jobs an operator runs (registered in telcocrm.cli)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from telcocrm.errors import InvalidInput
from telcocrm.kit.refusals import refusal

loyalty_app = typer.Typer(help="Points, cards and rewards", no_args_is_help=True)
console = Console()
JOB = "loyalty-job"  # the actor the ledger, cards and catalogue record for these commands


@loyalty_app.command("sync-catalogue")
def sync_catalogue_command() -> None:
    """Add the rewards of catalogue.toml the catalogue lacks (rewards already there keep their edits)."""
    from telcocrm.db.engine import session_scope
    from telcocrm.loyalty.rewards import sync_catalogue
    from telcocrm.staff.rules import system_viewer

    with session_scope() as db:
        added = sync_catalogue(db=db, viewer=system_viewer(JOB))
    console.print(f"rewards added: {len(added)} {', '.join(added)}")


@loyalty_app.command("expire")
def expire_command(
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today in the operator's zone")] = None,
) -> None:
    """Write expiry entries for what remains of every lot past its expiry day (running it twice writes nothing)."""
    from telcocrm.db.engine import session_scope
    from telcocrm.loyalty.ledger import expire_points, today

    try:
        day = date.fromisoformat(as_of) if as_of else today()
    except ValueError as exc:
        message = f"日期应为 YYYY-MM-DD / must be YYYY-MM-DD, got {as_of!r}"
        raise refusal(InvalidInput(message, field="as_of"), exit_code=1) from exc
    with session_scope() as db:
        written = expire_points(db, as_of=day, recorded_by=JOB)
    console.print(f"expiry entries written as of {day}: {written:,}")


@loyalty_app.command("review-cards")
def review_cards_command() -> None:
    """Move every active member card to the level its customer's latest value reaches (the run does it monthly)."""
    from telcocrm.db.engine import session_scope
    from telcocrm.loyalty.cards import review_card_levels
    from telcocrm.staff.rules import system_viewer

    with session_scope() as db:
        summary = review_card_levels(db=db, viewer=system_viewer(JOB))
    console.print(f"cards reviewed {summary.reviewed:,}: {summary.upgraded:,} up, {summary.downgraded:,} down")


@loyalty_app.command("import-partner")
def import_partner_command(
    file: Annotated[Path, typer.Argument(help="a partner merchant's points file, CSV or Parquet")],
    month: Annotated[str, typer.Option("--month", help="the month of its transactions, YYYY-MM")],
) -> None:
    """Check a partner merchant's file whole and post its points (the same file twice posts once)."""
    from telcocrm.db.engine import get_engine
    from telcocrm.errors import TelcoError
    from telcocrm.extracts.command import print_refusal
    from telcocrm.imports.problems import ImportRefused
    from telcocrm.jobs.rules import load_rules
    from telcocrm.loyalty.partner_points import import_partner_points

    years = load_rules().loyalty.expiry_calendar_years
    try:
        done = import_partner_points(file, month, engine=get_engine(), expiry_years=years)
    except ImportRefused as exc:
        print_refusal(exc)
        raise typer.Exit(1) from exc
    except TelcoError as exc:
        raise refusal(exc, exit_code=1) from exc
    posting = done.posting
    console.print(
        f"{file.name}: {done.transactions:,} transactions → {done.awards:,} awards; ledger: "
        f"{posting.earned_entries:,} entries, {posting.earned_points:,} points earned, "
        f"{posting.corrected_awards:,} corrected"
    )
