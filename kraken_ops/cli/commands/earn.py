"""``kraken-ops earn``: strategies, allocations, allocate, deallocate, status."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from typing import Any, Optional

import typer

from kraken_ops.cli.clients import read, run_write, single
from kraken_ops.cli.context import command
from kraken_ops.cli.output import RECORD, WIDE, View, col, flag, listed, num
from kraken_ops.cli.params import decimal_text

app = typer.Typer(help="Kraken Earn: strategies, allocations, (de)allocate.", no_args_is_help=True)

SPEC = "spot.Earn"
VIEWS = {
    "strategies": View(
        listed("items"),
        ["id", "asset", "lock_type", "apr_estimate", "user_min_allocation", "can_allocate", "can_deallocate"],
        table=[
            col("id", "strategy", 2, "id"),
            col("asset", "asset", 1),
            col("lock_type.type", "lock", 1),
            num("apr_estimate.low", "apr low %", 1),
            num("apr_estimate.high", "apr high %", 1),
            num("user_min_allocation", "minimum", 3),
            flag("can_allocate", "allocate", 4),
            flag("can_deallocate", "deallocate", 5),
            col("yield_source.type", "source", 6),
            col("auto_compound.type", "compound", WIDE),
            num("allocation_fee", "allocation fee", WIDE),
            num("deallocation_fee", "deallocation fee", WIDE),
        ],
    ),
    "allocations": View(
        listed("items"),
        ["strategy_id", "native_asset", "amount_allocated", "total_rewarded"],
        table=[
            col("strategy_id", "strategy", 2, "id"),
            col("native_asset", "asset", 1),
            num("amount_allocated.total.native", "allocated", 1),
            num("amount_allocated.total.converted", "value", 3),
            num("total_rewarded.native", "rewarded", 2),
            num("total_rewarded.converted", "rewarded value", 4),
            num("amount_allocated.pending.native", "pending", WIDE),
        ],
    ),
}


def run_status(earn: Any, strategy_id: str) -> dict[str, Any]:
    """Pending allocation and deallocation of one strategy."""
    return {
        "strategy_id": strategy_id,
        "allocation": earn.get_allocation_status(strategy_id=strategy_id),
        "deallocation": earn.get_deallocation_status(strategy_id=strategy_id),
    }


@command(app, "strategies", kind="private")
def strategies(
    asset: Optional[str] = typer.Option(None, "--asset", metavar="ASSET", help="Only this asset."),
    lock_type: Optional[list[str]] = typer.Option(None, "--lock-type", help="flex, bonded, timed or instant (repeatable)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Page size."),
) -> None:
    """Earn strategies.

    Table: narrow terminals leave out first source, deallocate, allocate, minimum, strategy; -o wide adds compound, allocation fee, deallocation fee.

    Example: kraken-ops earn strategies --asset DOT
    """
    single(SPEC, lambda e: e.list_earn_strategies(asset=asset, lock_type=lock_type or None, limit=limit), VIEWS["strategies"])


@command(app, "allocations", kind="read")
def allocations(
    converted_asset: Optional[str] = typer.Option(None, "--converted-asset", help="Value allocations in this asset (e.g. USD)."),
    hide_zero: bool = typer.Option(False, "--hide-zero", help="Hide empty allocations."),
) -> None:
    """Your allocations per strategy.

    Table: narrow terminals leave out first rewarded value, value, rewarded, strategy; -o wide adds pending.

    Example: kraken-ops earn allocations --converted-asset USD
    """
    read(SPEC, lambda e: e.list_earn_allocations(converted_asset=converted_asset, hide_zero_allocations=hide_zero or None), VIEWS["allocations"])


@command(app, "allocate", kind="write")
def allocate(strategy_id: str = typer.Argument(..., help="Strategy id."), amount: str = typer.Argument(..., callback=decimal_text, help="Amount.")) -> None:
    """Allocate funds to a strategy.

    Example: kraken-ops earn allocate ESRFUO3-Q62XD-WIOIL7 10
    """
    run_write(SPEC, f"allocate {amount} to strategy {strategy_id}", lambda e: e.allocate_earn_funds(amount=amount, strategy_id=strategy_id), RECORD)


@command(app, "deallocate", kind="write")
def deallocate(strategy_id: str = typer.Argument(..., help="Strategy id."), amount: str = typer.Argument(..., callback=decimal_text, help="Amount.")) -> None:
    """Deallocate funds from a strategy.

    Example: kraken-ops earn deallocate ESRFUO3-Q62XD-WIOIL7 10
    """
    run_write(SPEC, f"deallocate {amount} from strategy {strategy_id}", lambda e: e.deallocate_earn_funds(amount=amount, strategy_id=strategy_id), RECORD)


@command(app, "status", kind="private")
def status(strategy_id: str = typer.Argument(..., help="Strategy id.")) -> None:
    """Whether an allocation or deallocation is pending.

    Example: kraken-ops earn status ESRFUO3-Q62XD-WIOIL7
    """
    single(SPEC, lambda e: run_status(e, strategy_id), RECORD)
