"""``kraken-ops funding``: deposits, withdrawals and the Spot-to-Futures transfer."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from typing import Optional

import typer

from kraken_ops.cli.clients import read, run_write, single
from kraken_ops.cli.commands.market import ASSET_CLASS_HELP, AssetClass, asset_class_value
from kraken_ops.cli.context import command
from kraken_ops.cli.output import RECORD, WIDE, View, col, flag, listed, num, prose, when
from kraken_ops.cli.params import decimal_text

app = typer.Typer(help="Deposits, withdrawals and wallet transfers.", no_args_is_help=True)

SPEC = "spot.Funding"
STATUS_COLUMNS = ["refid", "time", "asset", "method", "amount", "fee", "status", "txid", "info"]
STATUS_TABLE = [
    when("time", "time", 1),
    col("asset", "asset", 1),
    num("amount", "amount", 1),
    num("fee", "fee", 3),
    col("status", "status", 1),
    col("method", "method", 2),
    col("refid", "reference", 5, "id"),
    col("txid", "transaction", 6, "id"),
    col("info", "address", WIDE, "id"),
    col("network", "network", WIDE),
    col("status-prop", "detail", WIDE),
    col("aclass", "class", WIDE),
]
VIEWS = {
    "deposit-methods": View(
        listed(),
        None,
        table=[
            col("method", "method", 1),
            num("minimum", "minimum", 2),
            num("fee", "fee", 2),
            num("limit", "limit", 3, get=lambda r: None if r.get("limit") is False else r.get("limit")),
            flag("gen-address", "new addresses", 4),
            num("address-setup-fee", "setup fee", WIDE),
        ],
    ),
    "withdraw-methods": View(
        listed(), None, table=[col("asset", "asset", 1), col("method", "method", 1), col("network", "network", 2), num("minimum", "minimum", 2)]
    ),
    "withdraw-addresses": View(
        listed(),
        None,
        table=[
            col("key", "key", 1),
            col("asset", "asset", 1),
            col("address", "address", 1, "id"),
            flag("verified", "verified", 2),
            col("method", "method", 3),
            prose("memo", "memo", 4),
        ],
    ),
    "addresses": View(
        listed(),
        ["address", "tag", "expiretm", "new", "memo"],
        table=[col("address", "address", 1, "id"), col("tag", "tag", 1, "id"), prose("memo", "memo", 2), when("expiretm", "expires", 3), flag("new", "new", 4)],
    ),
    "status": View(
        lambda r: listed("deposit")(r) if isinstance(r, dict) and "deposit" in r else listed("withdrawals")(r) if isinstance(r, dict) else listed()(r),
        STATUS_COLUMNS,
        table=STATUS_TABLE,
    ),
    "result": RECORD,
}


@command(app, "deposit-methods", kind="private")
def deposit_methods(
    asset: str = typer.Argument(..., help="Asset, e.g. XBT."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Deposit methods of an asset.

    Table: narrow terminals leave out first new addresses, limit, fee, minimum; -o wide adds setup fee.

    Example: kraken-ops funding deposit-methods AAPLx --asset-class tokenized_asset
    """
    aclass = asset_class_value(asset_class)
    single(SPEC, lambda f: f.get_deposit_methods(asset=asset, aclass=aclass), VIEWS["deposit-methods"])


@command(app, "deposit-address", kind="private")
def deposit_address(
    asset: str = typer.Argument(..., help="Asset, e.g. XBT."),
    method: str = typer.Argument(..., help="Deposit method, e.g. Bitcoin."),
    new: bool = typer.Option(False, "--new", help="Generate a new address."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Deposit addresses of an asset and method.

    Table: narrow terminals leave out first new, expires, memo.

    Example: kraken-ops funding deposit-address XBT Bitcoin
    """
    aclass = asset_class_value(asset_class)
    single(SPEC, lambda f: f.get_deposit_address(asset=asset, method=method, new=new, aclass=aclass), VIEWS["addresses"])


@command(app, "deposits", kind="read")
def deposits(
    asset: Optional[str] = typer.Option(None, "--asset", metavar="ASSET", help="Only this asset."),
    method: Optional[str] = typer.Option(None, "--method", help="Only this method."),
    start: Optional[str] = typer.Option(None, "--start", help="Start (unix time)."),
    end: Optional[str] = typer.Option(None, "--end", help="End (unix time)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Recent deposits and their status.

    Table: narrow terminals leave out first transaction, reference, fee, method; -o wide adds address, network, detail, class.

    Example: kraken-ops funding deposits --asset XBT
    """
    aclass = asset_class_value(asset_class)
    read(SPEC, lambda f: f.get_recent_deposits_status(asset=asset, aclass=aclass, method=method, start=start, end=end), VIEWS["status"])


@command(app, "withdraw-methods", kind="private")
def withdraw_methods(
    asset: Optional[str] = typer.Option(None, "--asset", metavar="ASSET", help="Only this asset."),
    network: Optional[str] = typer.Option(None, "--network", help="Only this network."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Withdrawal methods.

    Table: narrow terminals leave out first minimum, network.

    Example: kraken-ops funding withdraw-methods --asset XBT
    """
    aclass = asset_class_value(asset_class)
    single(SPEC, lambda f: f.withdraw_methods(asset=asset, aclass=aclass, network=network), VIEWS["withdraw-methods"])


@command(app, "withdraw-addresses", kind="private")
def withdraw_addresses(
    asset: Optional[str] = typer.Option(None, "--asset", metavar="ASSET", help="Only this asset."),
    method: Optional[str] = typer.Option(None, "--method", help="Only this method."),
    verified: Optional[bool] = typer.Option(None, "--verified/--unverified", help="Only verified (or unverified) addresses."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Saved withdrawal addresses (keys).

    Table: narrow terminals leave out first memo, method, verified.

    Example: kraken-ops funding withdraw-addresses --asset XBT --verified
    """
    aclass = asset_class_value(asset_class)
    single(SPEC, lambda f: f.withdraw_addresses(asset=asset, aclass=aclass, method=method, verified=verified), VIEWS["withdraw-addresses"])


@command(app, "withdraw-info", kind="private")
def withdraw_info(
    asset: str = typer.Argument(..., help="Asset."),
    key: str = typer.Argument(..., help="Withdrawal key (saved address name)."),
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Fee and limit of a withdrawal, without withdrawing.

    Example: kraken-ops funding withdraw-info XBT my-wallet 0.1
    """
    aclass = asset_class_value(asset_class)
    single(SPEC, lambda f: f.get_withdrawal_info(asset=asset, key=key, amount=amount, aclass=aclass), RECORD)


@command(app, "withdraw", kind="write")
def withdraw(
    asset: str = typer.Argument(..., help="Asset."),
    key: str = typer.Argument(..., help="Withdrawal key (saved address name)."),
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    max_fee: Optional[str] = typer.Option(None, "--max-fee", callback=decimal_text, help="Fail if the fee is higher."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Withdraw funds to a saved address.

    Example: kraken-ops funding withdraw XBT my-wallet 0.1 --max-fee 0.0005
    """
    aclass = asset_class_value(asset_class)
    run_write(
        SPEC,
        f"withdraw {amount} {asset} to {key!r}",
        lambda f: f.withdraw_funds(asset=asset, key=key, amount=amount, max_fee=max_fee, aclass=aclass),
        RECORD,
    )


@command(app, "withdrawals", kind="read")
def withdrawals(
    asset: Optional[str] = typer.Option(None, "--asset", metavar="ASSET", help="Only this asset."),
    method: Optional[str] = typer.Option(None, "--method", help="Only this method."),
    start: Optional[str] = typer.Option(None, "--start", help="Start (unix time)."),
    end: Optional[str] = typer.Option(None, "--end", help="End (unix time)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Recent withdrawals and their status.

    Table: narrow terminals leave out first transaction, reference, fee, method; -o wide adds address, network, detail, class.

    Example: kraken-ops funding withdrawals --asset XBT
    """
    aclass = asset_class_value(asset_class)
    read(SPEC, lambda f: f.get_recent_withdraw_status(asset=asset, aclass=aclass, method=method, start=start, end=end), VIEWS["status"])


@command(app, "withdraw-cancel", kind="write")
def withdraw_cancel(asset: str = typer.Argument(..., help="Asset."), refid: str = typer.Argument(..., help="Withdrawal reference id.")) -> None:
    """Cancel a withdrawal that has not been sent yet.

    Example: kraken-ops funding withdraw-cancel XBT FTQcuak-V6Za8qrWnhzTx67yYHz8Tg
    """
    run_write(SPEC, f"cancel withdrawal {refid}", lambda f: f.cancel_withdraw(asset=asset, refid=refid), RECORD)


@command(app, "transfer", kind="write")
def transfer(asset: str = typer.Argument(..., help="Asset."), amount: str = typer.Argument(..., callback=decimal_text, help="Amount.")) -> None:
    """Transfer from the Spot wallet to the Futures wallet.

    Example: kraken-ops funding transfer USD 100
    """
    run_write(
        SPEC,
        f"transfer {amount} {asset} from the Spot wallet to the Futures wallet",
        lambda f: f.wallet_transfer(asset=asset, from_="Spot Wallet", to_="Futures Wallet", amount=amount),
        RECORD,
    )
