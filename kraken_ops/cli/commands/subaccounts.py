"""``kraken-ops subaccounts``: create a subaccount, transfer between accounts (institutional)."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import typer

from kraken_ops.cli.clients import run_write
from kraken_ops.cli.context import command
from kraken_ops.cli.output import RECORD
from kraken_ops.cli.params import decimal_text

app = typer.Typer(help="Subaccounts (institutional clients): create, transfer.", no_args_is_help=True)

SPEC = "spot.User"


@command(app, "create", kind="write")
def create(username: str = typer.Argument(..., help="Username."), email: str = typer.Argument(..., help="E-mail address.")) -> None:
    """Create a trading subaccount.

    Example: kraken-ops subaccounts create bot3 bot3@example.com
    """
    run_write(SPEC, f"create subaccount {username!r}", lambda u: u.create_subaccount(username=username, email=email), RECORD)


@command(app, "transfer", kind="write")
def transfer(
    asset: str = typer.Argument(..., help="Asset."),
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    from_: str = typer.Option(..., "--from", help="Source account IIBAN."),
    to: str = typer.Option(..., "--to", help="Destination account IIBAN."),
) -> None:
    """Transfer funds between the master account and subaccounts.

    Example: kraken-ops subaccounts transfer XBT 0.5 --from "ABCD 1234" --to "IJKL 0987"
    """
    run_write(SPEC, f"transfer {amount} {asset} from {from_} to {to}", lambda u: u.account_transfer(asset=asset, amount=amount, from_=from_, to_=to), RECORD)
