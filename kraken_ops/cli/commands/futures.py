"""``kraken-ops futures``: Kraken Futures market data, orders, positions, accounts and more.

``kraken-ops futures URL`` (an argument starting with ``/`` or ``http``) is the raw
command; everything else is a typed subgroup.
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import os
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

import typer

from kraken_ops.cli.clients import read, run_write, single
from kraken_ops.cli.context import command
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.groups import RawFallbackGroup
from kraken_ops.cli.output import RECORD, Output, View, book_rows, keyed, listed
from kraken_ops.cli.params import csv_list, decimal_text, parse_json_or_ndjson, read_text

app = typer.Typer(
    cls=RawFallbackGroup,
    help="Kraken Futures: market, orders, positions, fills, accounts, transfers, preferences, history. "
    "`kraken-ops futures URL` sends a raw request.",
    no_args_is_help=True,
)
market_app = typer.Typer(help="Futures market data.", no_args_is_help=True)
orders_app = typer.Typer(help="Futures orders.", no_args_is_help=True)
transfer_app = typer.Typer(help="Futures transfers: wallet, subaccount, to-spot.", no_args_is_help=True)
leverage_app = typer.Typer(help="Maximum leverage preferences (isolated margin).", no_args_is_help=True)
pnl_app = typer.Typer(help="Profit-and-loss currency preferences.", no_args_is_help=True)
history_app = typer.Typer(help="Account history: executions, orders, triggers.", no_args_is_help=True)
for _name, _sub in (("market", market_app), ("orders", orders_app), ("transfer", transfer_app), ("leverage", leverage_app), ("pnl", pnl_app), ("history", history_app)):
    app.add_typer(_sub, name=_name)

MARKET, USER, TRADE, FUNDING = "futures.Market", "futures.User", "futures.Trade", "futures.Funding"

VIEWS = {
    "instruments": View(listed("instruments"), ["symbol", "type", "underlying", "tickSize", "contractSize", "tradeable", "maxPositionSize"]),
    "tickers": View(listed("tickers"), ["symbol", "markPrice", "bid", "bidSize", "ask", "askSize", "last", "vol24h", "openInterest", "fundingRate", "suspended"]),
    "book": View(book_rows, ["side", "price", "volume"]),
    "trades": View(listed("history"), ["time", "trade_id", "price", "size", "side", "type"]),
    "funding-rates": View(listed("rates"), ["timestamp", "fundingRate", "relativeFundingRate"]),
    "candles": View(listed("candles"), ["time", "open", "high", "low", "close", "volume"]),
    "fee-schedules": View(listed("feeSchedules"), ["uid", "name", "tiers"]),
    "orders": View(listed("openOrders"), ["order_id", "cliOrdId", "symbol", "side", "orderType", "limitPrice", "stopPrice", "unfilledSize", "filledSize", "status", "receivedTime"]),
    "status": View(listed("orders"), None),
    "positions": View(listed("openPositions"), ["symbol", "side", "size", "price", "fillTime", "unrealizedFunding", "pnlCurrency"]),
    "fills": View(listed("fills"), ["fill_id", "symbol", "side", "size", "price", "fillTime", "fillType", "order_id", "cliOrdId"]),
    "accounts": View(keyed("account", "accounts"), ["account", "type", "balances", "auxiliary", "marginRequirements"]),
    "account-log": View(listed("logs"), ["id", "date", "info", "asset", "contract", "old_balance", "new_balance", "realized_pnl", "fee"]),
    "notifications": View(listed("notifications"), ["type", "priority", "note", "effectiveTime"]),
    "subaccounts": View(listed("subaccounts"), None),
    "leverage": View(listed("leveragePreferences"), ["symbol", "maxLeverage"]),
    "pnl": View(listed("preferences"), ["symbol", "pnlCurrency"]),
    "history": View(listed("elements"), ["uid", "timestamp", "event"]),
    "result": RECORD,
}


# --- market -------------------------------------------------------------------------------------
class TickType(str, Enum):
    spot = "spot"
    mark = "mark"
    trade = "trade"


class Resolution(str, Enum):
    m1 = "1m"
    m5 = "5m"
    m15 = "15m"
    m30 = "30m"
    h1 = "1h"
    h4 = "4h"
    h12 = "12h"
    d1 = "1d"
    w1 = "1w"


@command(market_app, "instruments", kind="public")
def instruments() -> None:
    """Tradable contracts and their specifications.

    Example: kraken-ops futures market instruments -o json
    """
    read(MARKET, lambda m: m.get_instruments(), VIEWS["instruments"])


@command(market_app, "tickers", kind="public")
def tickers() -> None:
    """Tickers of every contract.

    Example: kraken-ops futures market tickers
    """
    read(MARKET, lambda m: m.get_tickers(), VIEWS["tickers"])


@command(market_app, "book", kind="public")
def book(symbol: str = typer.Argument(..., help="Contract, e.g. PF_XBTUSD.")) -> None:
    """Order book of a contract.

    Example: kraken-ops futures market book PF_XBTUSD
    """
    read(MARKET, lambda m: m.get_orderbook(symbol=symbol), VIEWS["book"])


@command(market_app, "trades", kind="public")
def trades(
    symbol: str = typer.Argument(..., help="Contract, e.g. PF_XBTUSD."),
    last_time: Optional[str] = typer.Option(None, "--before", help="Trades before this ISO 8601 time."),
) -> None:
    """Last 100 trades of a contract.

    Example: kraken-ops futures market trades PF_XBTUSD
    """
    read(MARKET, lambda m: m.get_trade_history(symbol=symbol, lastTime=last_time), VIEWS["trades"])


@command(market_app, "funding-rates", kind="public")
def funding_rates(symbol: str = typer.Argument(..., help="Perpetual contract, e.g. PF_XBTUSD.")) -> None:
    """Historical funding rates of a perpetual.

    Example: kraken-ops futures market funding-rates PF_XBTUSD
    """
    read(MARKET, lambda m: m.get_historical_funding_rates(symbol=symbol), VIEWS["funding-rates"])


@command(market_app, "candles", kind="public")
def candles(
    symbol: str = typer.Argument(..., help="Contract, e.g. PF_XBTUSD."),
    resolution: Resolution = typer.Argument(Resolution.h1, help="Candle length."),
    tick_type: TickType = typer.Option(TickType.trade, "--tick-type", help="spot, mark or trade prices."),
    from_: Optional[int] = typer.Option(None, "--from", help="Start (epoch seconds)."),
    to: Optional[int] = typer.Option(None, "--to", help="End (epoch seconds)."),
) -> None:
    """OHLC candles of a contract.

    Example: kraken-ops futures market candles PF_XBTUSD 1h --tick-type mark
    """
    read(MARKET, lambda m: m.get_ohlc(tick_type=tick_type.value, symbol=symbol, resolution=resolution.value, from_=from_, to=to), VIEWS["candles"])


@command(market_app, "fee-schedules", kind="public")
def fee_schedules(volumes: bool = typer.Option(False, "--volumes", help="Your 30-day volume per fee schedule (needs a key).")) -> None:
    """Fee schedules (or, with --volumes, your volume per schedule).

    Example: kraken-ops futures market fee-schedules
    """
    if volumes:
        single(MARKET, lambda m: m.get_fee_schedules_vol(), RECORD)
    else:
        read(MARKET, lambda m: m.get_fee_schedules(), VIEWS["fee-schedules"])


# --- orders -------------------------------------------------------------------------------------
class FuturesOrderType(str, Enum):
    lmt = "lmt"
    post = "post"
    ioc = "ioc"
    mkt = "mkt"
    stp = "stp"
    take_profit = "take_profit"
    trailing_stop = "trailing_stop"


class Side(str, Enum):
    buy = "buy"
    sell = "sell"


class TriggerSignal(str, Enum):
    mark = "mark"
    index = "index"
    last = "last"


@dataclass
class FuturesOrderOptions:
    """Inputs of ``futures orders create`` (Kraken Futures' parameter names)."""

    orderType: str
    symbol: str
    side: str
    size: str
    limitPrice: str | None = None
    stopPrice: str | None = None
    cliOrdId: str | None = None
    reduceOnly: bool = False
    triggerSignal: str | None = None
    trailingStopMaxDeviation: str | None = None
    trailingStopDeviationUnit: str | None = None
    processBefore: str | None = None

    def check(self) -> None:
        if self.orderType in ("lmt", "post", "ioc") and self.limitPrice is None:
            raise UsageProblem(f"--type {self.orderType} needs --price")
        if self.orderType in ("stp", "take_profit") and self.stopPrice is None:
            raise UsageProblem(f"--type {self.orderType} needs --stop-price")


def run_create_futures_order(opts: FuturesOrderOptions, trade: Any, out: Output | None = None) -> Any:
    """Send one futures order; a rejected order raises (sendStatus)."""
    result = trade.create_order(
        orderType=opts.orderType,
        size=opts.size,
        symbol=opts.symbol,
        side=opts.side,
        cliOrdId=opts.cliOrdId,
        limitPrice=opts.limitPrice,
        reduceOnly=opts.reduceOnly or None,
        stopPrice=opts.stopPrice,
        triggerSignal=opts.triggerSignal,
        trailingStopMaxDeviation=opts.trailingStopMaxDeviation,
        trailingStopDeviationUnit=opts.trailingStopDeviationUnit,
        processBefore=opts.processBefore,
    )
    if out is not None:
        out.emit(result, RECORD)
    return result


@command(orders_app, "list", kind="read")
def orders_list() -> None:
    """Open futures orders.

    Example: kraken-ops futures orders list --all-profiles
    """
    read(USER, lambda u: u.get_open_orders(), VIEWS["orders"])


@command(orders_app, "create", kind="write")
def orders_create(
    symbol: str = typer.Option(..., "--symbol", help="Contract, e.g. PF_XBTUSD."),
    side: Side = typer.Option(..., "--side", help="buy or sell."),
    type_: FuturesOrderType = typer.Option(..., "--type", help="Order type."),
    size: str = typer.Option(..., "--size", callback=decimal_text, help="Size in contracts."),
    price: Optional[str] = typer.Option(None, "--price", callback=decimal_text, help="Limit price."),
    stop_price: Optional[str] = typer.Option(None, "--stop-price", callback=decimal_text, help="Trigger price of stp/take_profit orders."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Your client order id."),
    reduce_only: bool = typer.Option(False, "--reduce-only", help="Only reduce a position."),
    trigger: Optional[TriggerSignal] = typer.Option(None, "--trigger", help="Trigger signal: mark, index or last."),
    trailing_max_deviation: Optional[str] = typer.Option(None, "--trailing-max-deviation", help="Trailing stop deviation."),
    trailing_unit: Optional[str] = typer.Option(None, "--trailing-unit", help="PERCENT or QUOTE_CURRENCY."),
    process_before: Optional[str] = typer.Option(None, "--process-before", help="ISO 8601 deadline."),
) -> None:
    """Send a futures order.

    Example: kraken-ops futures orders create --symbol PF_XBTUSD --side buy --type lmt --size 1 --price 25000
    """
    opts = FuturesOrderOptions(
        type_.value, symbol, side.value, size, price, stop_price, cl_ord_id, reduce_only, trigger.value if trigger else None,
        trailing_max_deviation, trailing_unit, process_before,
    )
    opts.check()
    run_write(TRADE, f"send a futures order: {side.value} {size} {symbol} ({type_.value})", lambda t: run_create_futures_order(opts, t), RECORD)


@command(orders_app, "edit", kind="write")
def orders_edit(
    order_id: Optional[str] = typer.Argument(None, help="Order id (or --cl-ord-id)."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Client order id."),
    size: Optional[str] = typer.Option(None, "--size", callback=decimal_text, help="New size."),
    price: Optional[str] = typer.Option(None, "--price", callback=decimal_text, help="New limit price."),
    stop_price: Optional[str] = typer.Option(None, "--stop-price", callback=decimal_text, help="New stop price."),
    process_before: Optional[str] = typer.Option(None, "--process-before", help="ISO 8601 deadline."),
) -> None:
    """Edit an open futures order.

    Example: kraken-ops futures orders edit 614a... --price 26000
    """
    if bool(order_id) == bool(cl_ord_id):
        raise UsageProblem("give exactly one of ORDER_ID or --cl-ord-id")
    run_write(
        TRADE,
        f"edit futures order {order_id or cl_ord_id}",
        lambda t: t.edit_order(orderId=order_id, cliOrdId=cl_ord_id, size=size, limitPrice=price, stopPrice=stop_price, processBefore=process_before),
        RECORD,
    )


@command(orders_app, "cancel", kind="write")
def orders_cancel(
    order_id: Optional[str] = typer.Argument(None, help="Order id (or --cl-ord-id)."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Client order id."),
) -> None:
    """Cancel a futures order.

    Example: kraken-ops futures orders cancel 614a... --yes
    """
    if bool(order_id) == bool(cl_ord_id):
        raise UsageProblem("give exactly one of ORDER_ID or --cl-ord-id")
    run_write(TRADE, f"cancel futures order {order_id or cl_ord_id}", lambda t: t.cancel_order(order_id=order_id, cliOrdId=cl_ord_id), RECORD)


def cancelled_rows(result: Any) -> list[dict[str, Any]]:
    """One row from a cancelallorders answer: how many orders it cancelled."""
    status = result.get("cancelStatus") if isinstance(result, dict) else None
    status = status if isinstance(status, dict) else {}
    return [{"cancelled": len(status.get("cancelledOrders") or []), "cancel_status": status.get("status")}]


@command(orders_app, "cancel-all", kind="fleet")
def orders_cancel_all(symbol: Optional[str] = typer.Option(None, "--symbol", help="Only this contract.")) -> None:
    """Cancel every open futures order (of one contract; of one account, or --group TAG, --all-profiles).

    Several accounts are handled concurrently, after one confirmation that lists them;
    read-only profiles and profiles without a futures key are skipped; exit 5 when some accounts failed.

    Example: kraken-ops futures orders cancel-all --yes
    Example: kraken-ops futures orders cancel-all --all-profiles --yes
    """
    from kraken_ops.cli.fleet import run_fleet_write

    run_fleet_write(
        TRADE,
        f"cancel ALL futures orders{' on ' + symbol if symbol else ''}",
        lambda t: t.cancel_all_orders(symbol=symbol),
        RECORD,
        market="futures",
        fleet_view=View(cancelled_rows, ["cancelled", "cancel_status"]),
    )


@command(orders_app, "dead-man-switch", kind="write")
def orders_dead_man_switch(seconds: int = typer.Argument(..., min=0, help="Seconds until every order is cancelled; 0 disables.")) -> None:
    """Cancel all futures orders unless called again within SECONDS.

    Example: kraken-ops futures orders dead-man-switch 60 --yes
    """
    run_write(TRADE, "disable the dead man's switch" if seconds == 0 else f"cancel all futures orders in {seconds}s", lambda t: t.dead_mans_switch(timeout=seconds), RECORD)


@command(orders_app, "status", kind="private")
def orders_status(
    order_id: Optional[list[str]] = typer.Argument(None, help="Order ids."),
    cl_ord_id: Optional[list[str]] = typer.Option(None, "--cl-ord-id", help="Client order ids (repeatable)."),
) -> None:
    """Status of futures orders by id.

    Example: kraken-ops futures orders status 614a...
    """
    if not order_id and not cl_ord_id:
        raise UsageProblem("give ORDER_ID... or --cl-ord-id")
    single(TRADE, lambda t: t.get_orders_status(orderIds=csv_list(order_id), cliOrderIds=csv_list(cl_ord_id)), VIEWS["status"])


def parse_futures_batch(text: str) -> list[dict[str, Any]]:
    """Batch instructions from JSON (list, or {"batchOrder": [...]}) or NDJSON; order_tag filled in."""
    if not text.strip():
        raise UsageProblem("no instructions: the input is empty")
    try:
        data = parse_json_or_ndjson(text)
    except ValueError as exc:
        raise UsageProblem(f"the instructions are neither JSON nor NDJSON: {exc}") from None
    items = data.get("batchOrder") if isinstance(data, dict) and "batchOrder" in data else data
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageProblem("instructions must be JSON objects")
    out = []
    for number, item in enumerate(items, 1):
        item = dict(item)
        if item.get("order") not in ("send", "edit", "cancel"):
            raise UsageProblem(f"instruction {number}: \"order\" must be send, edit or cancel")
        item.setdefault("order_tag", str(number))
        out.append(item)
    return out


@command(orders_app, "batch", kind="write")
def orders_batch(
    file: str = typer.Argument("-", help="JSON or NDJSON file of instructions; - (default) reads stdin."),
    process_before: Optional[str] = typer.Option(None, "--process-before", help="ISO 8601 deadline."),
) -> None:
    """Send, edit and cancel orders in one request (instructions: {"order": "send"|"edit"|"cancel", ...}).

    Example: kraken-ops futures orders batch instructions.ndjson --yes
    """
    items = parse_futures_batch(read_text(file))
    run_write(
        TRADE,
        f"run {len(items)} futures order instructions",
        lambda t: t.create_batch_order(batchorder_list=items, processBefore=process_before),
        View(listed("batchStatus"), ["order_tag", "status", "order_id", "cliOrdId"]),
        audit_params={"instructions": items},
    )


# --- account ------------------------------------------------------------------------------------
@command(app, "positions", kind="read")
def positions() -> None:
    """Open futures positions.

    Example: kraken-ops futures positions --all-profiles
    """
    read(USER, lambda u: u.get_open_positions(), VIEWS["positions"])


@command(app, "fills", kind="read")
def fills(last_fill_time: Optional[str] = typer.Option(None, "--before", help="Fills before this ISO 8601 time.")) -> None:
    """Recent fills.

    Example: kraken-ops futures fills
    """
    read(TRADE, lambda t: t.get_fills(lastFillTime=last_fill_time), VIEWS["fills"])


@command(app, "accounts", kind="read")
def accounts() -> None:
    """Futures wallets (cash, margin, flex) and their balances.

    Example: kraken-ops futures accounts --all-profiles -o json
    """
    read(USER, lambda u: u.get_wallets(), VIEWS["accounts"])


def run_account_log_csv(user: Any, path: str) -> dict[str, Any]:
    """Stream the account log CSV to ``path`` via ``path.part`` (never a partial file under ``path``)."""
    response = user.get_account_log_csv()
    temp = f"{path}.part"
    size = 0
    try:
        with open(temp, "wb") as handle:
            for chunk in response.iter_content(65536):
                handle.write(chunk)
                size += len(chunk)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    return {"path": os.path.abspath(path), "bytes": size}


@command(app, "account-log", kind="read")
def account_log(
    count: Optional[int] = typer.Option(None, "--count", min=1, max=500, help="Entries (max 500)."),
    before: Optional[str] = typer.Option(None, "--before", help="Entries before this time."),
    since: Optional[str] = typer.Option(None, "--since", help="Entries since this time."),
    info: Optional[str] = typer.Option(None, "--info", help="Only this kind, e.g. 'futures trade'."),
    csv_path: Optional[str] = typer.Option(None, "--csv", metavar="PATH", help="Download the whole log as CSV to PATH instead."),
) -> None:
    """Account log (balance changes).

    Example: kraken-ops futures account-log --count 50
    """
    if csv_path:
        single(USER, lambda u: run_account_log_csv(u, csv_path), RECORD)
        return
    read(USER, lambda u: u.get_account_log(count=count, before=before, since=since, info=info), VIEWS["account-log"])


@command(app, "notifications", kind="private")
def notifications() -> None:
    """Platform notifications (maintenance, new contracts).

    Example: kraken-ops futures notifications
    """
    single(USER, lambda u: u.get_notifications(), VIEWS["notifications"])


@command(app, "subaccounts", kind="private")
def subaccounts() -> None:
    """Subaccounts of the master account.

    Example: kraken-ops futures subaccounts
    """
    single(USER, lambda u: u.get_subaccounts(), VIEWS["subaccounts"])


# --- transfers ----------------------------------------------------------------------------------
@command(transfer_app, "wallet", kind="write")
def transfer_wallet(
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    unit: str = typer.Argument(..., help="Currency, e.g. USD or XBT."),
    from_account: str = typer.Option(..., "--from", help="Source wallet, e.g. cash or flex."),
    to_account: str = typer.Option(..., "--to", help="Destination wallet."),
) -> None:
    """Move funds between your futures wallets.

    Example: kraken-ops futures transfer wallet 100 USD --from cash --to flex
    """
    run_write(
        FUNDING,
        f"transfer {amount} {unit} from {from_account} to {to_account}",
        lambda f: f.initiate_wallet_transfer(amount=amount, fromAccount=from_account, toAccount=to_account, unit=unit),
        RECORD,
    )


@command(transfer_app, "subaccount", kind="write")
def transfer_subaccount(
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    unit: str = typer.Argument(..., help="Currency."),
    from_user: str = typer.Option(..., "--from-user", help="Source user."),
    to_user: str = typer.Option(..., "--to-user", help="Destination user."),
    from_account: str = typer.Option("cash", "--from-account", help="Source wallet."),
    to_account: str = typer.Option("cash", "--to-account", help="Destination wallet."),
) -> None:
    """Move funds between master and subaccounts.

    Example: kraken-ops futures transfer subaccount 2 XBT --from-user main --to-user sub1
    """
    run_write(
        FUNDING,
        f"transfer {amount} {unit} from {from_user}/{from_account} to {to_user}/{to_account}",
        lambda f: f.initiate_subaccount_transfer(amount=amount, fromAccount=from_account, fromUser=from_user, toAccount=to_account, toUser=to_user, unit=unit),
        RECORD,
    )


@command(transfer_app, "to-spot", kind="write")
def transfer_to_spot(
    amount: str = typer.Argument(..., callback=decimal_text, help="Amount."),
    currency: str = typer.Argument(..., help="Currency."),
    source_wallet: Optional[str] = typer.Option(None, "--from", help="Source futures wallet (default cash)."),
) -> None:
    """Move funds from the futures wallet to the Spot wallet.

    Example: kraken-ops futures transfer to-spot 100 USD
    """
    run_write(
        FUNDING,
        f"transfer {amount} {currency} to the Spot wallet",
        lambda f: f.initiate_withdrawal_to_spot_wallet(amount=amount, currency=currency, sourceWallet=source_wallet),
        RECORD,
    )


# --- preferences --------------------------------------------------------------------------------
@command(leverage_app, "get", kind="private")
def leverage_get() -> None:
    """Maximum leverage per contract (isolated margin).

    Example: kraken-ops futures leverage get
    """
    single(MARKET, lambda m: m.get_leverage_preference(), VIEWS["leverage"])


@command(leverage_app, "set", kind="write")
def leverage_set(
    symbol: str = typer.Argument(..., help="Contract."),
    max_leverage: Optional[str] = typer.Argument(None, help="Maximum leverage; omit for cross margin."),
) -> None:
    """Set the maximum leverage of a contract (omit it for cross margin).

    Example: kraken-ops futures leverage set PF_XBTUSD 5
    """
    run_write(MARKET, f"set leverage of {symbol} to {max_leverage or 'cross'}", lambda m: m.set_leverage_preference(symbol=symbol, maxLeverage=max_leverage), RECORD)


@command(pnl_app, "get", kind="private")
def pnl_get() -> None:
    """PnL currency per contract.

    Example: kraken-ops futures pnl get
    """
    single(MARKET, lambda m: m.get_pnl_preference(), VIEWS["pnl"])


@command(pnl_app, "set", kind="write")
def pnl_set(symbol: str = typer.Argument(..., help="Contract."), currency: str = typer.Argument(..., help="PnL currency, e.g. USD or XBT.")) -> None:
    """Set the PnL currency of a contract.

    Example: kraken-ops futures pnl set PF_XBTUSD USD
    """
    run_write(MARKET, f"set PnL currency of {symbol} to {currency}", lambda m: m.set_pnl_preference(symbol=symbol, pnlPreference=currency), RECORD)


# --- history ------------------------------------------------------------------------------------
def _history(kind: str) -> Any:
    def run(
        symbol: Optional[str] = typer.Option(None, "--symbol", help="Only this contract."),
        since: Optional[int] = typer.Option(None, "--since", help="Since (epoch milliseconds)."),
        before: Optional[int] = typer.Option(None, "--before", help="Before (epoch milliseconds)."),
        sort: Optional[str] = typer.Option(None, "--sort", help="asc or desc."),
        continuation_token: Optional[str] = typer.Option(None, "--continuation-token", help="Next page token."),
    ) -> None:
        method = {"executions": "get_execution_events", "orders": "get_order_events", "triggers": "get_trigger_events"}[kind]
        read(
            USER,
            lambda u: getattr(u, method)(tradeable=symbol, since=since, before=before, sort=sort, continuation_token=continuation_token),
            VIEWS["history"],
        )

    run.__doc__ = f"History of your {kind[:-1]} events.\n\nExample: kraken-ops futures history {kind} --symbol PF_XBTUSD"
    return run


for _kind in ("executions", "orders", "triggers"):
    command(history_app, _kind, kind="read")(_history(_kind))
