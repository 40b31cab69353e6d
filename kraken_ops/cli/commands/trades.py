"""``kraken-ops trades``: trade history, single trades, 30-day volume and fees."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from enum import Enum
from typing import Optional

import typer

from kraken_ops.cli.clients import read
from kraken_ops.cli.context import command
from kraken_ops.cli.output import RECORD, WIDE, View, col, flag, keyed, num, when
from kraken_ops.cli.params import csv_list, one_or_many

app = typer.Typer(help="Trade history (list, show) and trading volume.", no_args_is_help=True)

SPEC = "spot.User"
COLUMNS = ["txid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol", "margin", "ordertxid", "maker"]
TABLE = [  # what a trader reads first; narrow terminals drop the highest numbers first
    when("time", "time", 2),
    col("pair", "pair", 1),
    col("type", "side", 1),
    num("price", "price", 1),
    num("vol", "volume", 1),
    num("cost", "cost", 3),
    num("fee", "fee", 4),
    col("ordertype", "type", 5),
    col("txid", "trade", 6, "id"),
    col("ordertxid", "order", WIDE, "id"),
    num("margin", "margin", WIDE),
    flag("maker", "maker", WIDE),
    col("misc", "misc", WIDE),
]
VIEWS = {
    "list": View(keyed("txid", "trades"), COLUMNS, table=TABLE),
    "show": View(keyed("txid"), COLUMNS, table=TABLE),
    "volume": RECORD,
}


class TradeType(str, Enum):
    all = "all"
    any_position = "any position"
    closed_position = "closed position"
    closing_position = "closing position"
    no_position = "no position"


@command(app, "list", kind="read")
def list_(
    type_: TradeType = typer.Option(TradeType.all, "--type", help="Which trades."),
    start: Optional[str] = typer.Option(None, "--start", help="Start (unix time or trade id)."),
    end: Optional[str] = typer.Option(None, "--end", help="End (unix time or trade id)."),
    ofs: Optional[int] = typer.Option(None, "--offset", help="Result offset (pages of 50)."),
    ledgers: bool = typer.Option(False, "--ledgers", help="Include ledger ids."),
) -> None:
    """Trade history, newest first (50 a page).

    Table: narrow terminals leave out first trade, type, fee, cost, time; -o wide adds order, margin, maker, misc.

    Example: kraken-ops trades list --all-profiles -o csv
    """
    read(SPEC, lambda u: u.get_trades_history(type_=type_.value, start=start, end=end, ofs=ofs, ledgers=ledgers), VIEWS["list"])


@command(app, "show", kind="read")
def show(txid: list[str] = typer.Argument(..., help="Trade ids (up to 20).")) -> None:
    """Details of trades by id.

    Table: narrow terminals leave out first trade, type, fee, cost, time; -o wide adds order, margin, maker, misc.

    Example: kraken-ops trades show THVRQM-33VKH-UCI7BS
    """
    read(SPEC, lambda u: u.get_trades_info(txid=one_or_many(txid)), VIEWS["show"])


@command(app, "volume", kind="read")
def volume(pair: Optional[list[str]] = typer.Argument(None, help="Pairs to get fee tiers for.")) -> None:
    """30-day trading volume and fee tiers.

    Example: kraken-ops trades volume XBTUSD
    """
    pairs = csv_list(pair)
    read(SPEC, lambda u: u.get_trade_volume(pair=pairs), VIEWS["volume"])
