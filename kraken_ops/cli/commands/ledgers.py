"""``kraken-ops ledgers``: ledger entries (list, show)."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from typing import Optional

import typer

from kraken_ops.cli.clients import read
from kraken_ops.cli.context import command
from kraken_ops.cli.output import WIDE, View, col, keyed, num, when
from kraken_ops.cli.params import one_or_many

app = typer.Typer(help="Ledger entries: deposits, withdrawals, trades, fees, transfers.", no_args_is_help=True)

SPEC = "spot.User"
COLUMNS = ["id", "time", "type", "subtype", "asset", "amount", "fee", "balance", "refid"]
TABLE = [
    when("time", "time", 1),
    col("type", "type", 1),
    col("asset", "asset", 1),
    num("amount", "amount", 1),
    num("fee", "fee", 3),
    num("balance", "balance", 2),
    col("subtype", "subtype", 5),
    col("id", "ledger", 4, "id"),
    col("refid", "reference", 6, "id"),
    col("aclass", "class", WIDE),
]
VIEWS = {"list": View(keyed("id", "ledger"), COLUMNS, table=TABLE), "show": View(keyed("id"), COLUMNS, table=TABLE)}


@command(app, "list", kind="read")
def list_(
    asset: Optional[list[str]] = typer.Option(None, "--asset", metavar="ASSET", help="Assets (default: all)."),
    type_: str = typer.Option("all", "--type", help="all, trade, deposit, withdrawal, transfer, margin, rollover, staking..."),
    start: Optional[str] = typer.Option(None, "--start", help="Start (unix time or ledger id)."),
    end: Optional[str] = typer.Option(None, "--end", help="End (unix time or ledger id)."),
    ofs: Optional[int] = typer.Option(None, "--offset", help="Result offset (pages of 50)."),
) -> None:
    """Ledger entries, newest first (50 a page).

    Table: narrow terminals leave out first reference, subtype, ledger, fee, balance; -o wide adds class.

    Example: kraken-ops ledgers list --asset ZUSD --type deposit
    """
    read(SPEC, lambda u: u.get_ledgers_info(asset=one_or_many(asset) or "all", type_=type_, start=start, end=end, ofs=ofs), VIEWS["list"])


@command(app, "show", kind="read")
def show(ledger_id: list[str] = typer.Argument(..., metavar="ID...", help="Ledger ids (up to 20).")) -> None:
    """Ledger entries by id.

    Table: narrow terminals leave out first reference, subtype, ledger, fee, balance; -o wide adds class.

    Example: kraken-ops ledgers show L4UESK-KG3EQ-UFO4T5
    """
    read(SPEC, lambda u: u.get_ledgers(id_=one_or_many(ledger_id)), VIEWS["show"])
