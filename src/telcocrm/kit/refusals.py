"""How every command tells the user their input was refused: one line on stderr naming the field, no traceback."""

from __future__ import annotations

import typer
from rich.console import Console

from telcocrm.errors import TelcoError

stderr = Console(stderr=True)


def refusal(exc: TelcoError, *, exit_code: int) -> typer.Exit:
    """Print `refused: field: message` and return the exit to raise (`raise refusal(exc, exit_code=1) from exc`)."""
    stderr.print(f"[red]refused[/red]: {exc.field or '-'}: {exc.message}")
    return typer.Exit(exit_code)
