"""`telcocrm loyalty …`: the loyalty jobs an operator runs (registered in telcocrm.cli)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

loyalty_app = typer.Typer(help="Points, cards and rewards", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
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
        err.print(f"[red]refused[/red]: as_of: 日期应为 YYYY-MM-DD / must be YYYY-MM-DD, got {as_of!r}")
        raise typer.Exit(1) from exc
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
