"""``kraken-ops orders``: list, closed, show, create, batch, edit, amend, amends, cancel, cancel-all, cancel-after.

Commands that place, change or cancel orders go through
:func:`kraken_ops.cli.clients.run_write` (read-only profiles refuse, production
profiles ask, ``--validate`` is Kraken's dry run).
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

import typer

from kraken_ops.cli.completion import complete_pair

from kraken_ops.cli.clients import read, run_write
from kraken_ops.cli.commands.market import ASSET_CLASS_HELP, AssetClass, asset_class_value
from kraken_ops.cli.context import command
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.output import RECORD, WIDE, Output, View, col, keyed, listed, num, prose, when
from kraken_ops.cli.params import amend_price_text, csv_list, decimal_text, one_or_many, parse_json_or_ndjson, price_text, read_text, time_text

app = typer.Typer(help="Spot orders: list, create, edit, amend, cancel. Also batches, amendment history and the dead man's switch.", no_args_is_help=True)

SPEC_USER = "spot.User"
SPEC_TRADE = "spot.Trade"
# descr ("buy 0.01000000 XBTUSD @ limit 50000.0") already says side, volume, pair, type and price
ORDER_COLUMNS = ["txid", "status", "opentm", "descr", "vol_exec", "cost", "fee", "oflags", "userref", "cl_ord_id"]


def _order_rows(inner: str | None) -> Any:
    base = keyed("txid", inner)

    def rows(result: Any) -> list[dict[str, Any]]:
        out = base(result)
        for row in out:
            descr = row.get("descr")
            if isinstance(descr, dict) and "order" in descr:
                row["descr"] = descr["order"]
        return out

    return rows


def _price(row: Any) -> Any:
    """The order's price for people: the limit (or trigger) price; blank for market orders."""
    descr = row.get("descr") if isinstance(row.get("descr"), dict) else {}
    return None if descr.get("ordertype") == "market" else descr.get("price")


# The table for people: what a trader reads, most important first; the raw fields stay in JSON.
ORDER_TABLE = [
    col("txid", "order", 1, "id"),
    col("descr.pair", "pair", 1),
    col("descr.type", "side", 1),
    col("descr.ordertype", "type", 2),
    num("price", "price", 1, get=_price),
    num("vol", "volume", 1),
    num("vol_exec", "filled", 3),
    col("status", "status", 5),
    when("opentm", "opened", 4),
    num("descr.price2", "price2", WIDE),
    num("price", "avg price", WIDE),
    num("cost", "cost", WIDE),
    num("fee", "fee", WIDE),
    col("oflags", "flags", WIDE),
    col("userref", "userref", WIDE),
    col("cl_ord_id", "client id", WIDE),
]
CLOSED_TABLE = [
    col("txid", "order", 1, "id"),
    col("descr.pair", "pair", 1),
    col("descr.type", "side", 1),
    col("descr.ordertype", "type", 2),
    num("price", "price", 1, get=_price),
    num("vol", "volume", 1),
    num("vol_exec", "filled", 3),
    col("status", "status", 2),
    when("closetm", "closed", 4),
    prose("reason", "reason", 6),
    when("opentm", "opened", WIDE),
    *ORDER_TABLE[9:],
]

VIEWS = {
    "list": View(_order_rows("open"), ORDER_COLUMNS, table=ORDER_TABLE, human_rows=keyed("txid", "open")),
    "closed": View(_order_rows("closed"), ORDER_COLUMNS + ["closetm", "reason"], table=CLOSED_TABLE, human_rows=keyed("txid", "closed")),
    "show": View(_order_rows(None), ORDER_COLUMNS, table=CLOSED_TABLE, human_rows=keyed("txid")),
    "create": RECORD,
    "batch": View(
        listed("orders"),
        ["txid", "descr", "error"],
        table=[
            col("pair", "pair", 1),
            col("txid", "order", 1, "id"),
            prose("what", "description", 2, get=lambda r: r.get("order") or (r.get("descr") or {}).get("order")),
            prose("error", "error", 1),
        ],
    ),
    "amends": View(
        listed("amends"),
        ["amend_id", "amend_type", "order_qty", "remaining_qty", "limit_price", "trigger_price", "timestamp"],
        table=[
            when("timestamp", "time", 1),
            col("amend_type", "type", 1),
            num("order_qty", "volume", 1),
            num("remaining_qty", "remaining", 2),
            num("limit_price", "price", 1),
            num("trigger_price", "trigger", 3),
            col("amend_id", "amend id", 4, "id"),
            prose("reason", "reason", 5),
            num("display_qty", "display", WIDE),
            col("post_only", "post only", WIDE),
        ],
    ),
    "result": RECORD,
}


class Side(str, Enum):
    buy = "buy"
    sell = "sell"


class OrderType(str, Enum):
    market = "market"
    limit = "limit"
    stop_loss = "stop-loss"
    take_profit = "take-profit"
    stop_loss_limit = "stop-loss-limit"
    take_profit_limit = "take-profit-limit"
    iceberg = "iceberg"
    trailing_stop = "trailing-stop"
    trailing_stop_limit = "trailing-stop-limit"
    settle_position = "settle-position"


class Trigger(str, Enum):
    index = "index"
    last = "last"


class TimeInForce(str, Enum):
    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"


class CloseType(str, Enum):
    limit = "limit"
    stop_loss = "stop-loss"
    take_profit = "take-profit"
    stop_loss_limit = "stop-loss-limit"
    take_profit_limit = "take-profit-limit"


@dataclass
class CreateOrderOptions:
    """Inputs of ``orders create``, named as Kraken (and python-kraken-sdk) name them."""

    pair: str
    side: str
    ordertype: str
    volume: str
    price: str | None = None
    price2: str | None = None
    trigger: str | None = None
    leverage: str | None = None
    reduce_only: bool = False
    oflags: list[str] | None = None
    timeinforce: str | None = None
    starttm: str | None = None
    expiretm: str | None = None
    close_ordertype: str | None = None
    close_price: str | None = None
    close_price2: str | None = None
    deadline: str | None = None
    userref: int | None = None
    cl_ord_id: str | None = None
    displayvol: str | None = None
    truncate: bool = False
    validate: bool = False
    asset_class: str | None = None

    def check(self) -> None:
        """Usage errors Kraken would reject anyway, caught before anything is sent."""
        if self.userref is not None and self.cl_ord_id:
            raise UsageProblem("--userref and --cl-ord-id are mutually exclusive")
        needs_price = self.ordertype not in ("market", "settle-position")
        if needs_price and self.price is None:
            raise UsageProblem(f"--type {self.ordertype} needs --price")
        if self.ordertype.endswith("-limit") and self.price2 is None:
            raise UsageProblem(f"--type {self.ordertype} needs --price2 (the limit price)")
        if self.ordertype == "iceberg" and self.displayvol is None:
            raise UsageProblem("--type iceberg needs --display-volume")
        if (self.close_price or self.close_price2) and not self.close_ordertype:
            raise UsageProblem("--close-price needs --close-type")

    def describe(self) -> str:
        price = f" @ {self.price}" if self.price else ""
        return f"{self.side} {self.volume} {self.pair} ({self.ordertype}{price})"


def run_create_order(opts: CreateOrderOptions, trade: Any, out: Output | None = None) -> Any:
    """Place one order with the SDK's ``Trade.create_order``; print Kraken's answer."""
    result = trade.create_order(
        ordertype=opts.ordertype,
        side=opts.side,
        pair=opts.pair,
        volume=opts.volume,
        price=opts.price,
        price2=opts.price2,
        trigger=opts.trigger,
        leverage=opts.leverage,
        oflags=opts.oflags,
        timeinforce=opts.timeinforce,
        displayvol=opts.displayvol,
        starttm=opts.starttm,
        expiretm=opts.expiretm,
        close_ordertype=opts.close_ordertype,
        close_price=opts.close_price,
        close_price2=opts.close_price2,
        deadline=opts.deadline,
        userref=opts.userref,
        truncate=opts.truncate,
        reduce_only=opts.reduce_only or None,
        validate=opts.validate,
        cl_ord_id=opts.cl_ord_id,
        asset_class=opts.asset_class,
    )
    if out is not None:
        out.emit(result, VIEWS["create"])
    return result


# --- reads --------------------------------------------------------------------------------------
@command(app, "list", kind="read")
def list_(
    trades: bool = typer.Option(False, "--trades", help="Include trade ids."),
    userref: Optional[int] = typer.Option(None, "--userref", help="Only orders with this user reference."),
) -> None:
    """Open orders.

    Table: narrow terminals leave out first status, opened, filled, type; -o wide adds price2, avg price, cost, fee, flags, userref, client id.

    Example: kraken-ops orders list --profile bot1 --profile bot2
    """
    read(SPEC_USER, lambda u: u.get_open_orders(userref=userref, trades=trades), VIEWS["list"])


@command(app, "closed", kind="read")
def closed(
    start: Optional[str] = typer.Option(None, "--start", help="Start (unix time or order id)."),
    end: Optional[str] = typer.Option(None, "--end", help="End (unix time or order id)."),
    ofs: Optional[int] = typer.Option(None, "--offset", help="Result offset (pages of 50)."),
    closetime: str = typer.Option("both", "--closetime", help="open, close or both."),
    userref: Optional[int] = typer.Option(None, "--userref", help="Only orders with this user reference."),
    trades: bool = typer.Option(False, "--trades", help="Include trade ids."),
) -> None:
    """Closed orders (filled, cancelled, expired), 50 a page.

    Table: narrow terminals leave out first reason, closed, filled, status, type; -o wide adds opened, price2, avg price, cost, fee, flags, userref, client id.

    Example: kraken-ops orders closed --start 1688000000
    """
    read(SPEC_USER, lambda u: u.get_closed_orders(userref=userref, start=start, end=end, ofs=ofs, closetime=closetime, trades=trades), VIEWS["closed"])


@command(app, "show", kind="read")
def show(
    txid: Optional[list[str]] = typer.Argument(None, help="Order ids (up to 50)."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Find the order with this client order id instead (open or closed)."),
) -> None:
    """Orders by id (open or closed), or the order with a client order id.

    Table: narrow terminals leave out first reason, closed, filled, status, type; -o wide adds opened, price2, avg price, cost, fee, flags, userref, client id.

    Example: kraken-ops orders show OQCLML-BW3P3-BUCMWZ
    Example: kraken-ops orders show --cl-ord-id 6d1b345e-2821-40e2-ad83-4ecb18a06876
    """
    if bool(txid) == bool(cl_ord_id):
        raise UsageProblem("give order ids or --cl-ord-id (one of them)")
    if cl_ord_id:
        read(SPEC_TRADE, lambda t: t.find_order(cl_ord_id), VIEWS["show"])
        return
    read(SPEC_USER, lambda u: u.get_orders_info(txid=one_or_many(txid)), VIEWS["show"])


@command(app, "amends", kind="private")
def amends(txid: str = typer.Argument(..., help="Order id.")) -> None:
    """History of the amendments of one order.

    Table: narrow terminals leave out first reason, amend id, trigger, remaining; -o wide adds display, post only.

    Example: kraken-ops orders amends OQCLML-BW3P3-BUCMWZ
    """
    from kraken_ops.cli.clients import single

    single(SPEC_USER, lambda u: u.get_order_amends(order_id=txid), VIEWS["amends"])


# --- writes -------------------------------------------------------------------------------------
@command(app, "create", kind="write")
def create(
    pair: str = typer.Option(..., "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair, e.g. XBTUSD or BTC/USD."),
    side: Side = typer.Option(..., "--side", help="buy or sell."),
    type_: OrderType = typer.Option(..., "--type", help="Order type."),
    volume: str = typer.Option(..., "--volume", callback=decimal_text, help="Volume in the base asset."),
    price: Optional[str] = typer.Option(
        None, "--price", callback=price_text, metavar="PRICE",
        help="Price (limit price, or trigger price of stop/take-profit orders); relative to the last trade: +N, -N, #N, +N% ...; trailing stops: the offset +N or +N%.",
    ),
    price2: Optional[str] = typer.Option(
        None, "--price2", callback=price_text, metavar="PRICE",
        help="Limit price of *-limit orders (relative forms as --price); trailing-stop-limit: the offset from the trigger, +N or -N.",
    ),
    trigger: Optional[Trigger] = typer.Option(None, "--trigger", help="Trigger price: index or last."),
    leverage: Optional[str] = typer.Option(None, "--leverage", help="Leverage, e.g. 2: a margin order (opens or closes positions; see kraken-ops positions)."),
    reduce_only: bool = typer.Option(False, "--reduce-only", help="Only close margin positions, never open or flip one."),
    oflags: Optional[list[str]] = typer.Option(None, "--oflags", help="post, fcib, fciq, nompp, viqc (comma list or repeated)."),
    tif: Optional[TimeInForce] = typer.Option(None, "--tif", help="Time in force."),
    start: Optional[str] = typer.Option(None, "--start", callback=time_text, help="Scheduled start: 0 (now), +SECONDS or a unix time."),
    expire: Optional[str] = typer.Option(None, "--expire", callback=time_text, help="Expiry (GTD): +SECONDS or a unix time."),
    close_type: Optional[CloseType] = typer.Option(None, "--close-type", help="Conditional close order type."),
    close_price: Optional[str] = typer.Option(None, "--close-price", callback=price_text, metavar="PRICE", help="Conditional close price."),
    close_price2: Optional[str] = typer.Option(None, "--close-price2", callback=price_text, metavar="PRICE", help="Conditional close limit price."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 time after which Kraken rejects the order."),
    userref: Optional[int] = typer.Option(None, "--userref", help="Your 32-bit order reference."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Your client order id (UUID or up to 18 characters)."),
    display_volume: Optional[str] = typer.Option(None, "--display-volume", callback=decimal_text, help="Visible volume of an iceberg order."),
    truncate: bool = typer.Option(False, "--truncate", help="Round volume and price to the pair's precision."),
    validate: bool = typer.Option(False, "--validate", help="Validate only (Kraken's dry run; nothing is placed)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP + " xStocks need tokenized_asset."),
) -> None:
    """Place an order.

    Example: kraken-ops orders create --pair XBTUSD --side buy --type limit --volume 0.01 --price 25000 --validate
    Example: kraken-ops orders create --pair XBTUSD --side buy --type market --volume 0.01 --leverage 2
    Example: kraken-ops orders create --pair XBTUSD --side sell --type trailing-stop --volume 0.01 --price +2% --reduce-only
    Example: kraken-ops orders create --pair AAPLxUSD --asset-class tokenized_asset --side buy --type limit --volume 1 --price 100 --validate
    """
    opts = CreateOrderOptions(
        pair=pair,
        side=side.value,
        ordertype=type_.value,
        volume=volume,
        price=price,
        price2=price2,
        trigger=trigger.value if trigger else None,
        leverage=leverage,
        reduce_only=reduce_only,
        oflags=csv_list(oflags),
        timeinforce=tif.value if tif else None,
        starttm=start,
        expiretm=expire,
        close_ordertype=close_type.value if close_type else None,
        close_price=close_price,
        close_price2=close_price2,
        deadline=deadline,
        userref=userref,
        cl_ord_id=cl_ord_id,
        displayvol=display_volume,
        truncate=truncate,
        validate=validate,
        asset_class=asset_class_value(asset_class),
    )
    opts.check()
    from kraken_ops.cli.commands.market import pairs_lookup_for
    from kraken_ops.cli.errors import note_pair

    note_pair(pair, pairs_lookup_for(opts.asset_class))
    run_write(SPEC_TRADE, f"place an order: {opts.describe()}", lambda t: run_create_order(opts, t), VIEWS["create"], validate=validate)


# --- batch --------------------------------------------------------------------------------------
BATCH_MAX = 15


@dataclass
class BatchOptions:
    """Inputs of ``orders batch``: orders grouped by pair."""

    orders: list[dict[str, Any]]
    pair: str | None = None
    deadline: str | None = None
    validate: bool = False
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    asset_class: str | None = None

    def group(self) -> dict[str, list[dict[str, Any]]]:
        """Orders per pair (Kraken's AddOrderBatch takes one pair)."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for number, order in enumerate(self.orders, 1):
            if not isinstance(order, dict):
                raise UsageProblem(f"order {number} is not a JSON object")
            order = dict(order)
            if "side" in order and "type" not in order:
                order["type"] = order.pop("side")
            pair = order.pop("pair", None) or self.pair
            if not pair:
                raise UsageProblem(f"order {number} has no pair: add \"pair\" to it or pass --pair")
            for needed in ("ordertype", "type", "volume"):
                if needed not in order:
                    raise UsageProblem(f"order {number} lacks {needed!r}")
            groups.setdefault(str(pair), []).append(order)
        if not groups:
            raise UsageProblem("no orders in the input")
        self.groups = groups
        return groups


def parse_batch(
    text: str, pair: str | None = None, deadline: str | None = None, validate: bool = False, asset_class: str | None = None
) -> BatchOptions:
    """Orders from JSON (a list, or ``{"pair": ..., "orders": [...]}``) or NDJSON text."""
    if not text.strip():
        raise UsageProblem("no orders: the input is empty")
    try:
        data = parse_json_or_ndjson(text)
    except ValueError as exc:
        raise UsageProblem(f"the orders are neither JSON nor NDJSON: {exc}") from None
    if isinstance(data, dict) and "orders" in data:
        pair = pair or data.get("pair")
        deadline = deadline or data.get("deadline")
        asset_class = asset_class or data.get("asset_class")
        orders = data["orders"]
    elif isinstance(data, dict):
        orders = [data]
    else:
        orders = data
    if not isinstance(orders, list):
        raise UsageProblem("the orders must be a JSON list, an object with \"orders\", or NDJSON")
    return BatchOptions(orders=orders, pair=pair, deadline=deadline, validate=validate, asset_class=asset_class)


def run_batch(opts: BatchOptions, trade: Any, out: Output | None = None) -> Any:
    """Send the orders: one AddOrderBatch per pair and 15 orders, AddOrder for a lone order."""
    results: list[dict[str, Any]] = []
    for pair, orders in (opts.groups or opts.group()).items():
        for start in range(0, len(orders), BATCH_MAX):
            chunk = orders[start : start + BATCH_MAX]
            if len(chunk) == 1:
                order = dict(chunk[0])
                close = order.pop("close", None) or {}
                answer = trade.create_order(
                    pair=pair,
                    side=order.pop("type"),
                    ordertype=order.pop("ordertype"),
                    volume=order.pop("volume"),
                    deadline=opts.deadline,
                    validate=opts.validate,
                    close_ordertype=close.get("ordertype"),
                    close_price=close.get("price"),
                    close_price2=close.get("price2"),
                    asset_class=opts.asset_class,
                    extra_params=order or None,
                )
                results.append({"pair": pair, **answer})
            else:
                answer = trade.create_order_batch(
                    orders=chunk, pair=pair, deadline=opts.deadline, validate=opts.validate, asset_class=opts.asset_class
                )
                for item in answer.get("orders", []) if isinstance(answer, dict) else []:
                    results.append({"pair": pair, **item})
    result = {"orders": results}
    if out is not None:
        out.emit(result, VIEWS["batch"])
    return result


@command(app, "batch", kind="write")
def batch(
    file: str = typer.Argument("-", help="JSON or NDJSON file of orders; - (default) reads stdin."),
    pair: Optional[str] = typer.Option(None, "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair of orders that name none."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline for every batch."),
    validate: bool = typer.Option(False, "--validate", help="Validate only (nothing is placed)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP + " Applies to every batch."),
) -> None:
    """Place many orders from a file or stdin (JSON list, {"pair", "orders"} object, or NDJSON).

    Each order uses Kraken's names: ordertype, type (or side), volume, price, price2, oflags, timeinforce, userref, cl_ord_id, close{...}.

    Table: narrow terminals leave out first description.

    Example: kraken-ops orders batch orders.ndjson --pair XBTUSD --validate
    """
    opts = parse_batch(read_text(file), pair, deadline, validate, asset_class_value(asset_class))
    groups = opts.group()
    summary = ", ".join(f"{len(v)} on {k}" for k, v in groups.items())
    run_write(SPEC_TRADE, f"place {len(opts.orders)} orders ({summary})", lambda t: run_batch(opts, t), VIEWS["batch"], validate=validate)


# --- edit, amend, cancel ----------------------------------------------------------------------
@command(app, "edit", kind="write")
def edit(
    txid: str = typer.Argument(..., help="Order id."),
    pair: str = typer.Option(..., "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair of the order."),
    volume: Optional[str] = typer.Option(None, "--volume", callback=decimal_text, help="New volume."),
    price: Optional[str] = typer.Option(None, "--price", callback=price_text, metavar="PRICE", help="New price (relative forms as in create)."),
    price2: Optional[str] = typer.Option(None, "--price2", callback=price_text, metavar="PRICE", help="New secondary price."),
    oflags: Optional[list[str]] = typer.Option(None, "--oflags", help="New order flags."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline."),
    userref: Optional[int] = typer.Option(None, "--userref", help="New user reference."),
    truncate: bool = typer.Option(False, "--truncate", help="Round volume and price to the pair's precision."),
    validate: bool = typer.Option(False, "--validate", help="Validate only."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Replace an order (cancel and re-create with a new id; see also amend).

    Example: kraken-ops orders edit OHYO67-6LP66-HMQ437 --pair XBTUSD --price 26000
    """
    flags = csv_list(oflags)
    aclass = asset_class_value(asset_class)
    run_write(
        SPEC_TRADE,
        f"edit order {txid}",
        lambda t: t.edit_order(
            txid=txid,
            pair=pair,
            volume=volume,
            price=price,
            price2=price2,
            oflags=flags,
            deadline=deadline,
            userref=userref,
            truncate=truncate,
            validate=validate,
            asset_class=aclass,
        ),
        VIEWS["result"],
        validate=validate,
    )


@command(app, "amend", kind="write")
def amend(
    txid: Optional[str] = typer.Argument(None, help="Order id (or use --cl-ord-id)."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Client order id of the order."),
    volume: Optional[str] = typer.Option(None, "--volume", callback=decimal_text, help="New order quantity."),
    display_volume: Optional[str] = typer.Option(None, "--display-volume", callback=decimal_text, help="New visible quantity (iceberg)."),
    price: Optional[str] = typer.Option(None, "--price", callback=amend_price_text, metavar="PRICE", help="New limit price (relative: +N, -N, +N%, -N%)."),
    trigger_price: Optional[str] = typer.Option(None, "--trigger-price", callback=amend_price_text, metavar="PRICE", help="New trigger price (relative as --price)."),
    post_only: bool = typer.Option(False, "--post-only", help="Reject the amend if it would take liquidity."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline."),
    pair: Optional[str] = typer.Option(None, "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair of the order (Kraken needs it for xStocks and forex pairs)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Amend an order in place (same id, queue priority kept where possible).

    Example: kraken-ops orders amend OHYO67-6LP66-HMQ437 --price 26000
    """
    if bool(txid) == bool(cl_ord_id):
        raise UsageProblem("give exactly one of TXID or --cl-ord-id")
    if not any((volume, display_volume, price, trigger_price)):
        raise UsageProblem("nothing to amend: give --volume, --display-volume, --price or --trigger-price")
    run_write(
        SPEC_TRADE,
        f"amend order {txid or cl_ord_id}",
        lambda t: t.amend_order(
            txid=txid,
            cl_ord_id=cl_ord_id,
            order_qty=volume,
            display_qty=display_volume,
            limit_price=price,
            trigger_price=trigger_price,
            post_only=post_only or None,
            deadline=deadline,
            pair=pair,
            asset_class=asset_class_value(asset_class),
        ),
        VIEWS["result"],
    )


def run_cancel(txids: list[str], trade: Any) -> Any:
    """One id: CancelOrder; several: CancelOrderBatch."""
    if len(txids) == 1:
        return trade.cancel_order(txid=txids[0])
    return trade.cancel_order_batch(orders=txids)


@command(app, "cancel", kind="write")
def cancel(txid: list[str] = typer.Argument(..., help="Order ids, user references or client order ids.")) -> None:
    """Cancel orders.

    Example: kraken-ops orders cancel OHYO67-6LP66-HMQ437 --yes
    """
    ids = csv_list(txid) or []
    run_write(SPEC_TRADE, f"cancel {len(ids)} order(s): {', '.join(ids)}", lambda t: run_cancel(ids, t), VIEWS["result"])


@command(app, "cancel-all", kind="write")
def cancel_all() -> None:
    """Cancel every open order.

    Example: kraken-ops orders cancel-all --profile bot2 --yes
    """
    run_write(SPEC_TRADE, "cancel ALL open orders", lambda t: t.cancel_all_orders(), VIEWS["result"])


@command(app, "cancel-after", kind="write")
def cancel_after(seconds: int = typer.Argument(..., min=0, max=86399, help="Seconds until every order is cancelled; 0 disables.")) -> None:
    """Dead man's switch: cancel all orders unless called again within SECONDS.

    Example: kraken-ops orders cancel-after 60 --yes
    """
    what = "disable the dead man's switch" if seconds == 0 else f"cancel all orders in {seconds}s unless renewed"
    run_write(SPEC_TRADE, what, lambda t: t.cancel_all_orders_after_x(timeout=seconds), VIEWS["result"])
