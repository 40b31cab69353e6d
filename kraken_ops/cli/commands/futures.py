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
from kraken_ops.cli.context import callback, command
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.groups import RawFallbackGroup
from kraken_ops.cli.output import RECORD, WIDE, Output, View, book_rows, col, flag, keyed, listed, num, prose, record, when
from kraken_ops.cli.params import csv_list, decimal_text, parse_json_or_ndjson, read_text

app = typer.Typer(
    cls=RawFallbackGroup,
    help="Kraken Futures: market data, orders, positions, transfers. Also fills, accounts, preferences, history; "
    "`kraken-ops futures URL` sends a raw request.",
    no_args_is_help=True,
)
market_app = typer.Typer(help="Futures market data.", no_args_is_help=True)
orders_app = typer.Typer(help="Futures orders.", no_args_is_help=True)
transfer_app = typer.Typer(help="Futures transfers: wallet, subaccount, to-spot.", no_args_is_help=True)
leverage_app = typer.Typer(help="Maximum leverage preferences (isolated margin).", no_args_is_help=True)
pnl_app = typer.Typer(help="Profit-and-loss currency preferences.", no_args_is_help=True)
history_app = typer.Typer(help="Account history: executions, orders, triggers.", no_args_is_help=True)
subaccounts_app = typer.Typer(
    help="Subaccounts of the master account; `trading-enabled UID` reads or sets one's trading switch.\n\n"
    "Table: narrow terminals leave out first name, uid."
)
for _name, _sub in (("market", market_app), ("orders", orders_app), ("transfer", transfer_app), ("leverage", leverage_app), ("pnl", pnl_app), ("history", history_app), ("subaccounts", subaccounts_app)):
    app.add_typer(_sub, name=_name)

MARKET, USER, TRADE, FUNDING = "futures.Market", "futures.User", "futures.Trade", "futures.Funding"

def _first(row: Any, *paths: str) -> Any:
    """The first of ``paths`` that the row has (Kraken names a field differently per account type)."""
    from kraken_ops.cli.output import pick

    for path in paths:
        value = pick(row, path)
        if value is not None:
            return value
    return None


def _deep(value: Any, key: str) -> Any:
    """The first ``key`` anywhere inside nested objects (account history events)."""
    if isinstance(value, dict):
        if key in value and not isinstance(value[key], dict):
            return value[key]
        for inner in value.values():
            found = _deep(inner, key)
            if found is not None:
                return found
    return None


def _balances(row: Any) -> Any:
    """A wallet's non-zero balances as ``xbt 0.1785, usd 5000`` (flex: its currencies' quantities)."""
    from kraken_ops.cli.tables import human_number

    items = row.get("balances")
    if not isinstance(items, dict):
        currencies = row.get("currencies")
        items = {k: v.get("quantity") for k, v in currencies.items() if isinstance(v, dict)} if isinstance(currencies, dict) else {}
    shown = [f"{k}\u00a0{human_number(v)}" for k, v in items.items() if human_number(v) not in ("0", "")]  # no-break: a pair never wraps
    return ", ".join(shown)


def _change(row: Any) -> Any:
    """new_balance - old_balance, exactly."""
    from decimal import Decimal, InvalidOperation

    try:
        return str(Decimal(str(row["new_balance"])) - Decimal(str(row["old_balance"])))
    except (KeyError, InvalidOperation, TypeError):
        return None


FUTURES_ORDER_TABLE = [
    col("symbol", "symbol", 1),
    col("side", "side", 1),
    col("orderType", "type", 3),
    num("limitPrice", "price", 1),
    num("stopPrice", "stop", 4),
    num("unfilledSize", "open size", 1),
    num("filledSize", "filled", 3),
    col("status", "status", 5),
    when("receivedTime", "received", 4),
    col("order_id", "order", 2, "id"),
    col("cliOrdId", "client id", WIDE, "id"),
    flag("reduceOnly", "reduce only", WIDE),
    col("triggerSignal", "trigger", WIDE),
    when("lastUpdateTime", "updated", WIDE),
]

VIEWS = {
    "instruments": View(
        listed("instruments"),
        ["symbol", "type", "underlying", "tickSize", "contractSize", "tradeable", "maxPositionSize"],
        table=[
            col("symbol", "symbol", 1),
            col("type", "type", 2),
            num("tickSize", "tick", 3),
            num("contractSize", "contract size", 3),
            flag("tradeable", "tradeable", 4),
            col("underlying", "underlying", 5),
            num("maxPositionSize", "max position", 6),
            when("lastTradingTime", "last trading", WIDE),
            when("openingDate", "opened", WIDE),
        ],
    ),
    "tickers": View(
        listed("tickers"),
        ["symbol", "markPrice", "bid", "bidSize", "ask", "askSize", "last", "vol24h", "openInterest", "fundingRate", "suspended"],
        table=[
            col("symbol", "symbol", 1),
            num("last", "last", 1),
            num("bid", "bid", 1),
            num("ask", "ask", 1),
            num("markPrice", "mark", 2),
            num("vol24h", "24h volume", 3),
            num("openInterest", "open interest", 4),
            num("fundingRate", "funding rate", 5),
            num("bidSize", "bid size", 6),
            num("askSize", "ask size", 6),
            num("indexPrice", "index", WIDE),
            num("open24h", "24h open", WIDE),
            flag("suspended", "suspended", WIDE),
            when("lastTime", "last trade", WIDE),
        ],
    ),
    "book": View(book_rows, ["side", "price", "volume"], table=[col("side", "side", 1), num("price", "price", 1), num("volume", "size", 1)]),
    "trades": View(
        listed("history"),
        ["time", "trade_id", "price", "size", "side", "type"],
        table=[
            when("time", "time", 1),
            col("side", "side", 1),
            num("price", "price", 1),
            num("size", "size", 1),
            col("type", "type", 3),
            col("trade_id", "trade id", 4),
            col("uid", "uid", WIDE, "id"),
        ],
    ),
    "funding-rates": View(
        listed("rates"),
        ["timestamp", "fundingRate", "relativeFundingRate"],
        table=[when("timestamp", "time", 1), num("fundingRate", "funding rate", 1), num("relativeFundingRate", "relative rate", 1)],
    ),
    "candles": View(
        listed("candles"),
        ["time", "open", "high", "low", "close", "volume"],
        table=[when("time", "time", 1), num("open", "open", 1), num("high", "high", 1), num("low", "low", 1), num("close", "close", 1), num("volume", "volume", 2)],
    ),
    "fee-schedules": View(
        listed("feeSchedules"),
        ["uid", "name", "tiers"],
        table=[
            prose("name", "name", 1),
            num("maker", "maker %", 2, get=lambda r: (r.get("tiers") or [{}])[0].get("makerFee")),
            num("taker", "taker %", 2, get=lambda r: (r.get("tiers") or [{}])[0].get("takerFee")),
            num("tiers", "tiers", 3, get=lambda r: len(r.get("tiers") or [])),
            col("uid", "uid", 4, "id"),
        ],
    ),
    "orders": View(listed("openOrders"), ["order_id", "cliOrdId", "symbol", "side", "orderType", "limitPrice", "stopPrice", "unfilledSize", "filledSize", "status", "receivedTime"], table=FUTURES_ORDER_TABLE),
    "status": View(
        listed("orders"),
        None,
        table=[
            col("order.symbol", "symbol", 1),
            col("order.side", "side", 1),
            col("order.type", "type", 3),
            num("order.limitPrice", "price", 1),
            num("order.quantity", "size", 1),
            num("order.filled", "filled", 2),
            col("status", "status", 1),
            col("updateReason", "reason", 4),
            when("order.timestamp", "time", 3),
            col("order.orderId", "order", 2, "id"),
            col("order.cliOrdId", "client id", WIDE, "id"),
            prose("error", "error", 2),
        ],
    ),
    "positions": View(
        listed("openPositions"),
        ["symbol", "side", "size", "price", "fillTime", "unrealizedFunding", "pnlCurrency"],
        table=[
            col("symbol", "symbol", 1),
            col("side", "side", 1),
            num("size", "size", 1),
            num("price", "entry price", 1),
            when("fillTime", "opened", 3),
            num("unrealizedFunding", "funding", 4),
            col("pnlCurrency", "pnl currency", WIDE),
            num("maxFixedLeverage", "max leverage", WIDE),
        ],
    ),
    "fills": View(
        listed("fills"),
        ["fill_id", "symbol", "side", "size", "price", "fillTime", "fillType", "order_id", "cliOrdId"],
        table=[
            when("fillTime", "time", 1),
            col("symbol", "symbol", 1),
            col("side", "side", 1),
            num("size", "size", 1),
            num("price", "price", 1),
            col("fillType", "type", 3),
            col("fill_id", "fill", 5, "id"),
            col("order_id", "order", WIDE, "id"),
            col("cliOrdId", "client id", WIDE, "id"),
        ],
    ),
    "accounts": View(
        keyed("account", "accounts"),
        ["account", "type", "balances", "auxiliary", "marginRequirements"],
        table=[
            col("account", "account", 1),
            prose("balances", "balances", 1, get=_balances),
            num("value", "value", 2, get=lambda r: _first(r, "auxiliary.pv", "portfolioValue")),
            num("available", "available margin", 3, get=lambda r: _first(r, "auxiliary.af", "availableMargin")),
            num("pnl", "P&L", 4, get=lambda r: _first(r, "auxiliary.pnl", "pnl")),
            col("type", "type", 5),
            num("im", "initial margin", WIDE, get=lambda r: _first(r, "marginRequirements.im", "initialMargin")),
            num("mm", "maintenance margin", WIDE, get=lambda r: _first(r, "marginRequirements.mm", "maintenanceMargin")),
        ],
    ),
    "account-log": View(
        listed("logs"),
        ["id", "date", "info", "asset", "contract", "old_balance", "new_balance", "realized_pnl", "fee"],
        table=[
            when("date", "time", 1),
            prose("info", "what", 1),
            col("asset", "asset", 1),
            num("change", "change", 1, get=_change),
            num("new_balance", "balance", 2),
            num("realized_pnl", "P&L", 3),
            num("fee", "fee", 3),
            col("contract", "contract", 4),
            num("trade_price", "price", 5),
            col("id", "id", 6),
            num("old_balance", "old balance", WIDE),
            num("funding_rate", "funding rate", WIDE),
            col("booking_uid", "booking", WIDE, "id"),
        ],
    ),
    "notifications": View(
        listed("notifications"),
        ["type", "priority", "note", "effectiveTime"],
        table=[when("effectiveTime", "time", 2), col("type", "type", 2), col("priority", "priority", 3), prose("note", "note", 1)],
    ),
    "subaccounts": View(
        listed("subaccounts"), None, table=[col("email", "email", 1), col("accountUid", "uid", 2, "id"), prose("fullName", "name", 3)]
    ),
    "leverage": View(listed("leveragePreferences"), ["symbol", "maxLeverage"], table=[col("symbol", "symbol", 1), num("maxLeverage", "max leverage", 1)]),
    "pnl": View(listed("preferences"), ["symbol", "pnlCurrency"], table=[col("symbol", "symbol", 1), col("pnlCurrency", "pnl currency", 1)]),
    "history": View(
        listed("elements"),
        ["uid", "timestamp", "event"],
        table=[
            when("timestamp", "time", 1),
            col("event", "event", 1, get=lambda r: next(iter(r["event"]), None) if isinstance(r.get("event"), dict) else r.get("event")),
            col("symbol", "symbol", 1, get=lambda r: _deep(r.get("event"), "tradeable")),
            col("side", "side", 2, get=lambda r: _deep(r.get("event"), "direction")),
            num("quantity", "size", 2, get=lambda r: _deep(r.get("event"), "quantity")),
            num("price", "price", 2, get=lambda r: _deep(r.get("event"), "limitPrice") or _deep(r.get("event"), "price")),
            num("filled", "filled", 4, get=lambda r: _deep(r.get("event"), "filled")),
            prose("reason", "reason", 5, get=lambda r: _deep(r.get("event"), "reason")),
            col("uid", "uid", WIDE, "id"),
        ],
    ),
    "batch": View(
        listed("batchStatus"),
        ["order_tag", "status", "order_id", "cliOrdId"],
        table=[col("order_tag", "tag", 1), col("status", "status", 1), col("order_id", "order", 1, "id"), col("cliOrdId", "client id", 2, "id")],
    ),
    "result": RECORD,
    "ticker": View(record("ticker"), vertical=True),
    "instrument-status": View(
        lambda r: listed("instrumentStatus")(r) if "instrumentStatus" in r else record()(r),
        ["tradeable", "experiencingDislocation", "priceDislocationDirection",
         "experiencingExtremeVolatility", "extremeVolatilityInitialMarginMultiplier"],
        table=[
            col("tradeable", "symbol", 1),
            flag("experiencingDislocation", "dislocation", 1),
            col("priceDislocationDirection", "direction", 2),
            flag("experiencingExtremeVolatility", "extreme volatility", 2),
            num("extremeVolatilityInitialMarginMultiplier", "margin multiplier", 3),
        ],
    ),
    "transfers": View(
        listed("transfers"),
        ["id", "date", "from", "to", "asset", "amount", "status"],
        table=[
            when("date", "time", 1),
            col("from", "from", 1),
            col("to", "to", 1),
            col("asset", "asset", 1),
            num("amount", "amount", 1),
            col("status", "status", 2),
            col("id", "id", 3, "id"),
            prose("info", "info", WIDE),
        ],
    ),
    "unwind-queue": View(listed("queue"), ["symbol", "percentile"], table=[col("symbol", "symbol", 1), num("percentile", "percentile", 1)]),
    "assignment-programs": View(
        listed("participants"),
        ["id", "contractType", "contract", "maxSize", "maxPosition", "acceptLong", "acceptShort", "timeFrame", "enabled"],
        table=[
            col("contract", "contract", 1),
            num("maxSize", "max size", 1),
            num("maxPosition", "max position", 2),
            flag("acceptLong", "long", 2),
            flag("acceptShort", "short", 2),
            flag("enabled", "enabled", 1),
            col("timeFrame", "time frame", 3),
            col("contractType", "type", 4),
            col("id", "id", 5, "id"),
        ],
    ),
    "trading-enabled": View(record(), ["tradingEnabled"], vertical=True),
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

    Table: narrow terminals leave out first max position, underlying, tradeable, contract size, tick, type; -o wide adds last trading, opened.

    Example: kraken-ops futures market instruments -o json
    """
    read(MARKET, lambda m: m.get_instruments(), VIEWS["instruments"])


@command(market_app, "tickers", kind="public")
def tickers() -> None:
    """Tickers of every contract.

    Table: narrow terminals leave out first ask size, bid size, funding rate, open interest, 24h volume, mark; -o wide adds index, 24h open, suspended, last trade.

    Example: kraken-ops futures market tickers
    """
    read(MARKET, lambda m: m.get_tickers(), VIEWS["tickers"])


@command(market_app, "ticker", kind="public")
def ticker(symbol: str = typer.Argument(..., help="Contract or index, e.g. PF_XBTUSD.")) -> None:
    """Ticker of one contract.

    Example: kraken-ops futures market ticker PF_XBTUSD
    """
    read(MARKET, lambda m: m.get_ticker(symbol=symbol), VIEWS["ticker"])


@command(market_app, "instrument-status", kind="public")
def instrument_status(symbol: Optional[str] = typer.Argument(None, help="Contract, e.g. PF_XBTUSD (default: every contract).")) -> None:
    """Price dislocation and extreme-volatility status of one or every contract.

    Table: narrow terminals leave out first margin multiplier, extreme volatility, direction.

    Example: kraken-ops futures market instrument-status PF_XBTUSD
    """
    read(MARKET, lambda m: m.get_instruments_status(instrument=symbol), VIEWS["instrument-status"])


class ContractType(str, Enum):
    futures_inverse = "futures_inverse"
    futures_vanilla = "futures_vanilla"
    flexible_futures = "flexible_futures"
    options = "options"
    all = "all"


@command(market_app, "trading-instruments", kind="private")
def trading_instruments(
    contract_type: Optional[list[ContractType]] = typer.Option(None, "--contract-type", help="Only this contract type (repeatable)."),
) -> None:
    """Contracts this account may trade, with the margin levels that apply to it (needs a key).

    Example: kraken-ops futures market trading-instruments --contract-type flexible_futures
    """
    types = [t.value for t in contract_type or []] or None
    single(MARKET, lambda m: m.get_trading_instruments(contractType=types), VIEWS["instruments"])


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

    Table: narrow terminals leave out first trade id, type; -o wide adds uid.

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

    Table: narrow terminals leave out first volume.

    Example: kraken-ops futures market candles PF_XBTUSD 1h --tick-type mark
    """
    read(MARKET, lambda m: m.get_ohlc(tick_type=tick_type.value, symbol=symbol, resolution=resolution.value, from_=from_, to=to), VIEWS["candles"])


@command(market_app, "fee-schedules", kind="public")
def fee_schedules(volumes: bool = typer.Option(False, "--volumes", help="Your 30-day volume per fee schedule (needs a key).")) -> None:
    """Fee schedules (or, with --volumes, your volume per schedule).

    Table: narrow terminals leave out first uid, tiers, taker %, maker %.

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

    Table: narrow terminals leave out first status, received, stop, filled, type, order; -o wide adds client id, reduce only, trigger, updated.

    Example: kraken-ops futures orders list --all-profiles
    """
    read(USER, lambda u: u.get_open_orders(), VIEWS["orders"])


@command(orders_app, "create", kind="write")
def orders_create(
    symbol: str = typer.Option(..., "--symbol", metavar="SYMBOL", help="Contract, e.g. PF_XBTUSD."),
    side: Side = typer.Option(..., "--side", help="buy or sell."),
    type_: FuturesOrderType = typer.Option(..., "--type", help="Order type."),
    size: str = typer.Option(..., "--size", callback=decimal_text, help="Size in contracts."),
    price: Optional[str] = typer.Option(None, "--price", callback=decimal_text, metavar="PRICE", help="Limit price."),
    stop_price: Optional[str] = typer.Option(None, "--stop-price", callback=decimal_text, metavar="PRICE", help="Trigger price of stp/take_profit orders."),
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
    price: Optional[str] = typer.Option(None, "--price", callback=decimal_text, metavar="PRICE", help="New limit price."),
    stop_price: Optional[str] = typer.Option(None, "--stop-price", callback=decimal_text, metavar="PRICE", help="New stop price."),
    process_before: Optional[str] = typer.Option(None, "--process-before", help="ISO 8601 deadline."),
) -> None:
    """Edit an open futures order.

    Example: kraken-ops futures orders edit c8b35e0c-4d3a-4a3f-9d1e-2f0e4b7c1a55 --price 26000
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

    Example: kraken-ops futures orders cancel c8b35e0c-4d3a-4a3f-9d1e-2f0e4b7c1a55 --yes
    """
    if bool(order_id) == bool(cl_ord_id):
        raise UsageProblem("give exactly one of ORDER_ID or --cl-ord-id")
    run_write(TRADE, f"cancel futures order {order_id or cl_ord_id}", lambda t: t.cancel_order(order_id=order_id, cliOrdId=cl_ord_id), RECORD)


@command(orders_app, "cancel-all", kind="write")
def orders_cancel_all(symbol: Optional[str] = typer.Option(None, "--symbol", metavar="SYMBOL", help="Only this contract.")) -> None:
    """Cancel every open futures order (of one contract).

    Example: kraken-ops futures orders cancel-all --yes
    """
    run_write(TRADE, f"cancel ALL futures orders{' on ' + symbol if symbol else ''}", lambda t: t.cancel_all_orders(symbol=symbol), RECORD)


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

    Table: narrow terminals leave out first reason, time, type, error, order, filled; -o wide adds client id.

    Example: kraken-ops futures orders status c8b35e0c-4d3a-4a3f-9d1e-2f0e4b7c1a55
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

    Table: narrow terminals leave out first client id.

    Example: kraken-ops futures orders batch instructions.ndjson --yes
    """
    items = parse_futures_batch(read_text(file))
    run_write(
        TRADE,
        f"run {len(items)} futures order instructions",
        lambda t: t.create_batch_order(batchorder_list=items, processBefore=process_before),
        VIEWS["batch"],
    )


# --- account ------------------------------------------------------------------------------------
@command(app, "positions", kind="read")
def positions() -> None:
    """Open futures positions.

    Table: narrow terminals leave out first funding, opened; -o wide adds pnl currency, max leverage.

    Example: kraken-ops futures positions --all-profiles
    """
    read(USER, lambda u: u.get_open_positions(), VIEWS["positions"])


@command(app, "fills", kind="read")
def fills(last_fill_time: Optional[str] = typer.Option(None, "--before", help="Fills before this ISO 8601 time.")) -> None:
    """Recent fills.

    Table: narrow terminals leave out first fill, type; -o wide adds order, client id.

    Example: kraken-ops futures fills
    """
    read(TRADE, lambda t: t.get_fills(lastFillTime=last_fill_time), VIEWS["fills"])


@command(app, "accounts", kind="read")
def accounts() -> None:
    """Futures wallets (cash, margin, flex) and their balances.

    Table: narrow terminals leave out first type, P&L, available margin, value; -o wide adds initial margin, maintenance margin.

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

    Table: narrow terminals leave out first id, price, contract, fee, P&L, balance; -o wide adds old balance, funding rate, booking.

    Example: kraken-ops futures account-log --count 50
    """
    if csv_path:
        single(USER, lambda u: run_account_log_csv(u, csv_path), RECORD)
        return
    read(USER, lambda u: u.get_account_log(count=count, before=before, since=since, info=info), VIEWS["account-log"])


@command(app, "notifications", kind="private")
def notifications() -> None:
    """Platform notifications (maintenance, new contracts).

    Table: narrow terminals leave out first priority, type, time.

    Example: kraken-ops futures notifications
    """
    single(USER, lambda u: u.get_notifications(), VIEWS["notifications"])


@callback(subaccounts_app, kind="private")
def subaccounts() -> None:
    """Subaccounts of the master account.

    Table: narrow terminals leave out first name, uid.

    Example: kraken-ops futures subaccounts
    """
    single(USER, lambda u: u.get_subaccounts(), VIEWS["subaccounts"])


class Switch(str, Enum):
    true = "true"
    false = "false"


@command(subaccounts_app, "trading-enabled", kind="write")
def subaccount_trading_enabled(
    uid: str = typer.Argument(..., help="The subaccount's UID (see: kraken-ops futures subaccounts)."),
    set_: Optional[Switch] = typer.Option(None, "--set", help="Enable (true) or disable (false) trading; without it, show the switch."),
) -> None:
    """Whether a subaccount may trade; with --set, switch it (asks for confirmation).

    Example: kraken-ops futures subaccounts trading-enabled 7a8b... --set false --yes
    """
    if set_ is None:
        single(USER, lambda u: u.check_trading_enabled_on_subaccount(subaccountId=uid), VIEWS["trading-enabled"])
        return
    enabled = set_ is Switch.true
    run_write(
        USER,
        f"{'enable' if enabled else 'disable'} trading on futures subaccount {uid}",
        lambda u: u.set_trading_on_subaccount(subaccountId=uid, trading_enabled=enabled),
        VIEWS["trading-enabled"],
    )


@command(app, "unwind-queue", kind="read")
def unwind_queue() -> None:
    """Where your positions stand in the unwind (auto-deleveraging) queue, as a percentile.

    Example: kraken-ops futures unwind-queue
    """
    read(USER, lambda u: u.get_unwind_queue(), VIEWS["unwind-queue"])


@command(app, "assignment-programs", kind="read")
def assignment_programs() -> None:
    """Your current assignment-program preferences (taking over liquidated positions).

    Table: narrow terminals leave out first id, type, time frame, short, long, max position.

    Example: kraken-ops futures assignment-programs
    """
    read(USER, lambda u: u.get_assignment_programs(), VIEWS["assignment-programs"])


@command(app, "transfers", kind="read")
def transfers(last_transfer_time: Optional[str] = typer.Option(None, "--before", help="Transfers before this ISO 8601 time.")) -> None:
    """Recent transfers in and out of the Futures wallets.

    Table: narrow terminals leave out first id, status; -o wide adds info.

    Example: kraken-ops futures transfers -o json
    """
    read(FUNDING, lambda f: f.get_transfers(lastTransferTime=last_transfer_time), VIEWS["transfers"])


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
        symbol: Optional[str] = typer.Option(None, "--symbol", metavar="SYMBOL", help="Only this contract."),
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

    run.__doc__ = f"History of your {kind[:-1]} events.\n\n{VIEWS['history'].columns_help()}\n\nExample: kraken-ops futures history {kind} --symbol PF_XBTUSD"
    return run


for _kind in ("executions", "orders", "triggers"):
    command(history_app, _kind, kind="read")(_history(_kind))
