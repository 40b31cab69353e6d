"""``kraken-ops balances`` (``--holds``), ``balances show ASSET`` and ``kraken-ops trade-balance``."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass
from typing import Any

import typer

from kraken_ops.cli.clients import read
from kraken_ops.cli.context import callback, command
from kraken_ops.cli.output import RECORD, Output, View, scalar_map

app = typer.Typer(help="Account balances, of one profile or several. Several profiles: --profile a --profile b, or --all-profiles.")

SPEC = "spot.User"
VIEWS = {
    "balances": View(scalar_map("asset", "balance"), ["asset", "balance"]),
    "holds": View(scalar_map("asset", "balance"), ["asset", "balance", "hold_trade", "credit", "credit_used"]),
    "show": RECORD,
    "trade-balance": RECORD,
}


@dataclass
class BalancesOptions:
    """Inputs of ``kraken-ops balances``."""

    holds: bool = False


def fetch_balances(user: Any, opts: BalancesOptions) -> Any:
    """Balance (``get_account_balance``) or, with holds, BalanceEx (``get_balances``)."""
    return user.get_balances() if opts.holds else user.get_account_balance()


def run_balances(opts: BalancesOptions, user: Any, out: Output) -> Any:
    """Print one account's balances."""
    result = fetch_balances(user, opts)
    out.emit(result, VIEWS["holds" if opts.holds else "balances"])
    return result


@callback(app, kind="read")
def balances(holds: bool = typer.Option(False, "--holds", help="Include amounts held by open orders (BalanceEx).")) -> None:
    """Balances of every asset.

    Example: kraken-ops balances
    Example: kraken-ops balances --holds  # with the amounts held by open orders
    Example: kraken-ops balances --all-profiles -o json
    Example: kraken-ops balances -o json --query ZUSD
    """
    opts = BalancesOptions(holds=holds)
    read(SPEC, lambda u: fetch_balances(u, opts), VIEWS["holds" if holds else "balances"])


@command(app, "show", kind="read")
def show(asset: str = typer.Argument(..., help="Asset, e.g. XBT, ZUSD or USD.")) -> None:
    """Balance, holds and available amount of one asset.

    Example: kraken-ops balances show XBT
    """
    read(SPEC, lambda u: u.get_balance(currency=asset), VIEWS["show"])


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops trade-balance`` lives at the top level."""

    @command(root, "trade-balance", kind="read")
    def trade_balance(asset: str = typer.Option("ZUSD", "--asset", metavar="ASSET", help="Base asset for the totals.")) -> None:
        """Margin trade balance: equity, margin, unrealised P&L. Also free margin, cost basis, valuation.

        Example: kraken-ops trade-balance --asset ZUSD
        """
        read(SPEC, lambda u: u.get_trade_balance(asset=asset), VIEWS["trade-balance"])
