"""``kraken-ops balances`` (``--holds``), ``balances show ASSET``, ``balances credit-lines`` and ``kraken-ops trade-balance``."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

import typer

from kraken_ops.cli.clients import read
from kraken_ops.cli.context import callback, command
from kraken_ops.cli.output import RECORD, Output, View, col, keyed, num, scalar_map

app = typer.Typer(
    help="Account balances, of one profile or several. Several profiles: --profile a --profile b, or --all-profiles.\n\n"
    "With --holds: Table: narrow terminals leave out first credit used, credit, on hold."
)

SPEC = "spot.User"


def available(row: Any) -> Any:
    """balance - hold_trade, exactly (Decimal); blank when either is missing or not a number."""
    from decimal import Decimal, InvalidOperation

    try:
        return str(Decimal(str(row["balance"])) - Decimal(str(row.get("hold_trade") or 0)))
    except (KeyError, InvalidOperation, TypeError):
        return None


VIEWS = {
    "balances": View(scalar_map("asset", "balance"), ["asset", "balance"], table=[col("asset", "asset", 1), num("balance", "balance", 1)]),
    "holds": View(
        scalar_map("asset", "balance"),
        ["asset", "balance", "hold_trade", "credit", "credit_used"],
        table=[
            col("asset", "asset", 1),
            num("balance", "balance", 1),
            num("hold_trade", "on hold", 2),
            num("available", "available", 1, get=available),
            num("credit", "credit", 3),
            num("credit_used", "credit used", 4),
        ],
    ),
    "show": RECORD,
    "trade-balance": RECORD,
    "credit-lines": View(
        keyed("asset", "asset_details"),
        ["asset", "balance", "credit_limit", "credit_used", "available_credit"],
        table=[
            col("asset", "asset", 1),
            num("balance", "balance", 1),
            num("credit_limit", "credit limit", 1),
            num("credit_used", "credit used", 2),
            num("available_credit", "available credit", 1),
        ],
    ),
}


class RebaseMultiplier(str, Enum):
    """Kraken's ``rebase_multiplier`` (xStocks): amounts in the underlying equity or in SPV tokens."""

    rebased = "rebased"
    base = "base"


REBASE_HELP = "xStocks amounts: rebased (the underlying equity, Kraken's default) or base (SPV tokens)."


def rebase_value(value: Optional[RebaseMultiplier]) -> Optional[str]:
    """The wire value of ``--rebase-multiplier`` (None when not given)."""
    return value.value if value is not None else None


def _rebase_kwargs(value: Optional[str]) -> dict[str, str]:
    return {"rebase_multiplier": value} if value else {}


@dataclass
class BalancesOptions:
    """Inputs of ``kraken-ops balances``."""

    holds: bool = False
    rebase_multiplier: Optional[str] = None


def fetch_balances(user: Any, opts: BalancesOptions) -> Any:
    """Balance (``get_account_balance``) or, with holds, BalanceEx (``get_balances``)."""
    extra = _rebase_kwargs(opts.rebase_multiplier)
    return user.get_balances(**extra) if opts.holds else user.get_account_balance(**extra)


def run_balances(opts: BalancesOptions, user: Any, out: Output) -> Any:
    """Print one account's balances."""
    result = fetch_balances(user, opts)
    out.emit(result, VIEWS["holds" if opts.holds else "balances"])
    return result


@callback(app, kind="read")
def balances(
    holds: bool = typer.Option(False, "--holds", help="Include amounts held by open orders (BalanceEx)."),
    rebase_multiplier: Optional[RebaseMultiplier] = typer.Option(None, "--rebase-multiplier", help=REBASE_HELP),
) -> None:
    """Balances of every asset.

    Table: narrow terminals leave out first credit used, credit, on hold.

    Example: kraken-ops balances
    Example: kraken-ops balances --holds  # with the amounts held by open orders
    Example: kraken-ops balances --all-profiles -o json
    Example: kraken-ops balances -o json --query ZUSD
    """
    opts = BalancesOptions(holds=holds, rebase_multiplier=rebase_value(rebase_multiplier))
    read(SPEC, lambda u: fetch_balances(u, opts), VIEWS["holds" if holds else "balances"])


@command(app, "show", kind="read")
def show(
    asset: str = typer.Argument(..., help="Asset, e.g. XBT, ZUSD or USD."),
    rebase_multiplier: Optional[RebaseMultiplier] = typer.Option(None, "--rebase-multiplier", help=REBASE_HELP),
) -> None:
    """Balance, holds and available amount of one asset.

    Example: kraken-ops balances show XBT
    """
    extra = _rebase_kwargs(rebase_value(rebase_multiplier))
    read(SPEC, lambda u: u.get_balance(currency=asset, **extra), VIEWS["show"])


@command(app, "credit-lines", kind="read")
def credit_lines(rebase_multiplier: Optional[RebaseMultiplier] = typer.Option(None, "--rebase-multiplier", help=REBASE_HELP)) -> None:
    """Credit lines (VIP accounts): per asset balance, limit, used and available credit.

    Table: narrow terminals leave out first credit used.

    Kraken answers null (no rows) for an account without a credit line.

    Example: kraken-ops balances credit-lines -o json
    """
    extra = _rebase_kwargs(rebase_value(rebase_multiplier))
    read(SPEC, lambda u: u.get_credit_lines(**extra), VIEWS["credit-lines"])


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops trade-balance`` lives at the top level."""

    @command(root, "trade-balance", kind="read")
    def trade_balance(
        asset: str = typer.Option("ZUSD", "--asset", metavar="ASSET", help="Base asset for the totals."),
        rebase_multiplier: Optional[RebaseMultiplier] = typer.Option(None, "--rebase-multiplier", help=REBASE_HELP),
    ) -> None:
        """Margin trade balance: equity, margin, unrealised P&L. Also free margin, cost basis, valuation.

        Example: kraken-ops trade-balance --asset ZUSD
        """
        extra = _rebase_kwargs(rebase_value(rebase_multiplier))
        read(SPEC, lambda u: u.get_trade_balance(asset=asset, **extra), VIEWS["trade-balance"])
