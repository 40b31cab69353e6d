"""Click group classes shared by the app and the command modules."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

RAW_COMMAND = "url"


def looks_like_url(arg: str) -> bool:
    """Whether a command-line argument is a URL or an absolute API path."""
    return arg.startswith(("/", "http://", "https://"))


class RawFallbackGroup(TyperGroup):
    """A group whose arguments fall through to the raw ``url`` command when they hold a URL.

    ``kraken-ops futures -X POST /derivatives/api/v3/sendorder ...`` runs the raw
    command; ``kraken-ops futures market tickers`` runs the typed group.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and any(looks_like_url(a) for a in args):
            args = [RAW_COMMAND, *args]
        return super().parse_args(ctx, args)
