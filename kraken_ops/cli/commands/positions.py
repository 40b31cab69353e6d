"""``kraken-ops positions``: open margin positions."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from typing import Optional

import typer

from kraken_ops.cli.clients import read
from kraken_ops.cli.context import command
from kraken_ops.cli.output import WIDE, View, col, keyed, num, when
from kraken_ops.cli.params import one_or_many

SPEC = "spot.User"
TABLE = [
    col("pair", "pair", 1),
    col("type", "side", 1),
    num("vol", "volume", 1),
    num("cost", "cost", 2),
    num("value", "value", 3),
    num("net", "P&L", 1),
    num("margin", "margin", 4),
    num("vol_closed", "closed", 5),
    num("fee", "fee", 6),
    when("time", "opened", 6),
    col("txid", "position", 7, "id"),
    col("ordertxid", "order", WIDE, "id"),
    col("ordertype", "type", WIDE),
    col("posstatus", "status", WIDE),
    col("terms", "terms", WIDE),
    when("rollovertm", "rollover", WIDE),
]
VIEW = View(keyed("txid"), ["txid", "pair", "type", "ordertype", "vol", "vol_closed", "cost", "fee", "margin", "value", "net", "posstatus"], table=TABLE)


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops positions`` is a top-level command."""

    @command(root, "positions", kind="read")
    def positions(
        txid: Optional[list[str]] = typer.Argument(None, help="Only these positions."),
        docalcs: bool = typer.Option(False, "--calcs", help="Include profit/loss calculations."),
        consolidation: Optional[str] = typer.Option(None, "--consolidation", help="'market' to consolidate by pair."),
    ) -> None:
        """Open margin positions.

        Table: narrow terminals leave out first position, opened, fee, closed, margin, value, cost; -o wide adds order, type, status, terms, rollover.

        Example: kraken-ops positions --calcs --all-profiles
        """
        read(SPEC, lambda u: u.get_open_positions(txid=one_or_many(txid), docalcs=docalcs, consolidation=consolidation), VIEW)
