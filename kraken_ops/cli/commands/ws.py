"""``kraken-ops ws``: Spot trading over the authenticated WebSocket (v2).

add-order, amend-order, edit-order, cancel-order, cancel-all, cancel-after, batch-add and
batch-cancel send one request with :class:`~kraken_ops.spot.websocket.SpotWSClient`'s typed
helpers and print the matched response. They follow the rules of their REST twins in
``kraken-ops orders`` (same option names, read-only profiles refuse, production profiles
ask or need ``--yes``, ``--validate`` is Kraken's dry run).

The authenticated URL comes from the profile like ``kraken-ops stream executions``:
production ``wss://ws-auth.kraken.com/v2``, paper and custom ``ws://HOST:PORT/ws-auth/v2``
(``--url`` overrides it). The token request (``GetWebSocketsToken``) uses the profile's
cross-process nonce store, so a WebSocket command never collides with a bot on the same key.

websockets and the SDK's WebSocket client are imported inside the commands only.
"""

# No `from __future__ import annotations` here (see orders.py): typer would compile() them.

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli.completion import complete_pair

from kraken_ops.cli.commands.orders import CloseType, CreateOrderOptions, OrderType, Side, TimeInForce, Trigger
from kraken_ops.cli.context import command
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.output import Output, View, listed, record
from kraken_ops.cli.params import csv_list, decimal_text, parse_json_or_ndjson, read_text

app = typer.Typer(help="Spot trading over the authenticated WebSocket (v2). Add, amend, edit, cancel, batch.", no_args_is_help=True)

BATCH_ADD_LIMITS = (2, 15)  # Kraken: batch_add takes 2 to 15 orders on one pair
BATCH_CANCEL_LIMITS = (2, 50)  # and batch_cancel 2 to 50 orders


class OrderFlag(str, Enum):
    """``--oflags`` values the WebSocket API has (``viqc`` has no WebSocket twin)."""

    post = "post"
    fcib = "fcib"
    fciq = "fciq"
    nompp = "nompp"


# REST order flag -> WebSocket v2 parameter and value
OFLAG_PARAMS: dict[str, tuple[str, Any]] = {
    "post": ("post_only", True),
    "fcib": ("fee_preference", "base"),
    "fciq": ("fee_preference", "quote"),
    "nompp": ("no_mpp", True),
}
# order types whose REST --price is the trigger price (WebSocket: triggers.price)
TRIGGERED = frozenset({"stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit", "trailing-stop", "trailing-stop-limit"})


def _rows(result: Any) -> list[dict[str, Any]]:
    """A list of results (batch, several cancels) as rows, one result as one row."""
    return listed()(result) if isinstance(result, list) else record()(result)


VIEW = View(_rows, vertical=True)  # a field/value table for one result, columns of the result for several


@dataclass
class WSRequest:
    """One WebSocket trading request: the helper of SpotWSClient to call, and its arguments."""

    helper: str  # name of the SpotWSClient method, e.g. "add_order"
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""  # what the confirmation question says
    validate: bool = False


# --- translating the REST-style options into WebSocket v2 parameters ---------------------------
def add_order_request(opts: CreateOrderOptions, *, margin: bool = False) -> WSRequest:
    """The ``add_order`` request for ``orders create``-style options (REST names -> WebSocket names)."""
    params: dict[str, Any] = {}
    if opts.ordertype in TRIGGERED:
        trigger: dict[str, Any] = {"price": opts.price}
        if opts.trigger:
            trigger["reference"] = opts.trigger
        params["triggers"] = trigger
        if opts.ordertype.endswith("-limit"):
            params["limit_price"] = opts.price2
    elif opts.price is not None:
        params["limit_price"] = opts.price
    for flag in opts.oflags or []:
        name, value = OFLAG_PARAMS[flag]
        params[name] = value
    if opts.close_ordertype:
        conditional: dict[str, Any] = {"order_type": opts.close_ordertype}
        if opts.close_ordertype == "limit":
            conditional["limit_price"] = opts.close_price
        else:
            conditional["trigger_price"] = opts.close_price
            if opts.close_price2 is not None:
                conditional["limit_price"] = opts.close_price2
        params["conditional"] = conditional
    extra = {
        "time_in_force": opts.timeinforce.lower() if opts.timeinforce else None,
        "effective_time": opts.starttm,
        "expire_time": opts.expiretm,
        "deadline": opts.deadline,
        "order_userref": opts.userref,
        "cl_ord_id": opts.cl_ord_id,
        "display_qty": opts.displayvol,
        "reduce_only": True if opts.reduce_only else None,
        "margin": True if margin else None,
        "validate": True if opts.validate else None,
    }
    params.update({k: v for k, v in extra.items() if v is not None})
    limit_price = params.pop("limit_price", None)
    kwargs = {"order_type": opts.ordertype, "side": opts.side, "order_qty": opts.volume, "symbol": opts.pair, "limit_price": limit_price, **params}
    return WSRequest("add_order", kwargs, f"place an order: {opts.describe()}", opts.validate)


def parse_ws_batch(text: str, pair: Optional[str]) -> tuple[str, list[dict[str, Any]]]:
    """``(symbol, orders)`` from JSON (a list, or ``{"symbol"|"pair": ..., "orders": [...]}``) or NDJSON.

    Orders use the WebSocket names: order_type, side, order_qty, limit_price, cl_ord_id ...
    """
    if not text.strip():
        raise UsageProblem("no orders: the input is empty")
    try:
        data = parse_json_or_ndjson(text)
    except ValueError as exc:
        raise UsageProblem(f"the orders are neither JSON nor NDJSON: {exc}") from None
    if isinstance(data, dict) and "orders" in data:
        pair = pair or data.get("symbol") or data.get("pair")
        orders = data["orders"]
    else:
        orders = data
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise UsageProblem('the orders must be a JSON list of objects, an object with "orders", or NDJSON')
    symbols = {str(o.pop("symbol", None) or o.pop("pair", None) or pair or "") for o in orders}
    symbols.discard("")
    if not symbols:
        raise UsageProblem('the orders name no pair: add "symbol" to them or pass --pair')
    if len(symbols) > 1:
        raise UsageProblem(f"batch-add takes one pair, got {', '.join(sorted(symbols))}")
    low, high = BATCH_ADD_LIMITS
    if not low <= len(orders) <= high:
        raise UsageProblem(f"batch-add takes {low} to {high} orders, got {len(orders)} (use add-order for one)")
    for number, order in enumerate(orders, 1):
        for needed in ("order_type", "side"):
            if needed not in order:
                raise UsageProblem(f"order {number} lacks {needed!r}")
    return symbols.pop(), orders


# --- running -----------------------------------------------------------------------------------
def ws_client(profile_name: Optional[str], url: Optional[str] = None, *, request_timeout: float = 10.0) -> Any:
    """A SpotWSClient on the profile's authenticated endpoint (not started yet)."""
    from kraken_ops.cli.commands.stream import resolve_endpoints
    from kraken_ops.spot.websocket import SpotWSClient

    ends = resolve_endpoints(profile_name, "spot", private=True, url=url)
    # The token request shares the profile's cross-process nonce store (ends.nonce_source).
    return SpotWSClient(
        ends.key,
        ends.secret,
        no_public=True,
        rest_url=ends.spot_rest,
        auth_ws_url=ends.spot_auth_ws,
        max_reconnect_attempts=0,
        request_timeout=request_timeout,
        nonce_source=ends.nonce_source,
        otp=ends.otp,
    )


async def run_ws_request(req: WSRequest, client: Any) -> Any:
    """Open ``client``, call its typed helper ``req.helper`` and return the matched result."""
    helper: Callable[..., Any] = getattr(client, req.helper)
    async with client:
        return await helper(**req.kwargs)


def execute(req: WSRequest, url: Optional[str] = None, out: Optional[Output] = None) -> Any:
    """Check the profile (read-only, confirmation), send ``req`` and print the response."""
    import asyncio

    from kraken_ops.cli.clients import get_profile, targets
    from kraken_ops.cli.context import current
    from kraken_ops.cli.safety import confirm_action

    options = current()
    out = out or Output.from_options(options)
    name = targets(options)[0]
    confirm_action(options, get_profile(name), req.description, validate=req.validate)
    if req.kwargs.get("symbol"):
        from kraken_ops.cli.commands.market import all_pairs_lookup
        from kraken_ops.cli.errors import note_pair

        note_pair(str(req.kwargs["symbol"]), all_pairs_lookup(), interface="ws")  # hints name pairs as WebSocket v2 does
    client = ws_client(name, url, request_timeout=options.timeout or 10.0)
    result = asyncio.run(run_ws_request(req, client))
    out.emit(result, VIEW)
    return result


URL = typer.Option(None, "--url", help="Authenticated WebSocket URL (overrides the profile), e.g. ws://127.0.0.1:8787/ws-auth/v2.")


# --- commands ----------------------------------------------------------------------------------
@command(app, "add-order", kind="write")
def add_order(
    pair: str = typer.Option(..., "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair, e.g. BTC/USD."),
    side: Side = typer.Option(..., "--side", help="buy or sell."),
    type_: OrderType = typer.Option(..., "--type", help="Order type."),
    volume: str = typer.Option(..., "--volume", callback=decimal_text, help="Volume in the base asset."),
    price: Optional[str] = typer.Option(None, "--price", metavar="PRICE", help="Limit price, or trigger price of stop/take-profit/trailing orders."),
    price2: Optional[str] = typer.Option(None, "--price2", metavar="PRICE", help="Limit price of *-limit orders."),
    trigger: Optional[Trigger] = typer.Option(None, "--trigger", help="Trigger reference price: index or last."),
    margin: bool = typer.Option(False, "--margin", help="Margin order."),
    reduce_only: bool = typer.Option(False, "--reduce-only", help="Only reduce a margin position."),
    oflags: Optional[list[OrderFlag]] = typer.Option(None, "--oflags", help="post, fcib, fciq, nompp (repeat the option)."),
    tif: Optional[TimeInForce] = typer.Option(None, "--tif", help="Time in force."),
    start: Optional[str] = typer.Option(None, "--start", help="Scheduled start (RFC3339)."),
    expire: Optional[str] = typer.Option(None, "--expire", help="Expiry (RFC3339, GTD)."),
    close_type: Optional[CloseType] = typer.Option(None, "--close-type", help="Conditional close order type."),
    close_price: Optional[str] = typer.Option(None, "--close-price", metavar="PRICE", help="Conditional close price (trigger price of stop/take-profit)."),
    close_price2: Optional[str] = typer.Option(None, "--close-price2", metavar="PRICE", help="Conditional close limit price."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 time after which Kraken rejects the order."),
    userref: Optional[int] = typer.Option(None, "--userref", help="Your 32-bit order reference."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Your client order id (UUID or up to 18 characters)."),
    display_volume: Optional[str] = typer.Option(None, "--display-volume", callback=decimal_text, help="Visible volume of an iceberg order."),
    validate: bool = typer.Option(False, "--validate", help="Validate only (Kraken's dry run; nothing is placed)."),
    url: Optional[str] = URL,
) -> None:
    """Place an order over the WebSocket.

    Example: kraken-ops ws add-order --pair BTC/USD --side buy --type limit --volume 0.01 --price 25000 --validate
    """
    opts = CreateOrderOptions(
        pair=pair,
        side=side.value,
        ordertype=type_.value,
        volume=volume,
        price=price,
        price2=price2,
        trigger=trigger.value if trigger else None,
        reduce_only=reduce_only,
        oflags=[f.value for f in oflags] if oflags else None,
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
        validate=validate,
    )
    opts.check()
    execute(add_order_request(opts, margin=margin), url)


@command(app, "amend-order", kind="write")
def amend_order(
    txid: Optional[str] = typer.Argument(None, help="Order id (or use --cl-ord-id)."),
    cl_ord_id: Optional[str] = typer.Option(None, "--cl-ord-id", help="Client order id of the order."),
    volume: Optional[str] = typer.Option(None, "--volume", callback=decimal_text, help="New order quantity."),
    display_volume: Optional[str] = typer.Option(None, "--display-volume", callback=decimal_text, help="New visible quantity (iceberg)."),
    price: Optional[str] = typer.Option(None, "--price", metavar="PRICE", help="New limit price."),
    trigger_price: Optional[str] = typer.Option(None, "--trigger-price", metavar="PRICE", help="New trigger price."),
    post_only: bool = typer.Option(False, "--post-only", help="Reject the amend if it would take liquidity."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline."),
    url: Optional[str] = URL,
) -> None:
    """Amend an order in place (same id, queue priority kept where possible).

    Example: kraken-ops ws amend-order OHYO67-6LP66-HMQ437 --price 26000
    """
    if bool(txid) == bool(cl_ord_id):
        raise UsageProblem("give exactly one of TXID or --cl-ord-id")
    if not any((volume, display_volume, price, trigger_price)):
        raise UsageProblem("nothing to amend: give --volume, --display-volume, --price or --trigger-price")
    changes = {
        "order_qty": volume,
        "display_qty": display_volume,
        "limit_price": price,
        "trigger_price": trigger_price,
        "post_only": True if post_only else None,
        "deadline": deadline,
    }
    kwargs = {"order_id": txid, "cl_ord_id": cl_ord_id, **{k: v for k, v in changes.items() if v is not None}}
    execute(WSRequest("amend_order", kwargs, f"amend order {txid or cl_ord_id}"), url)


@command(app, "edit-order", kind="write")
def edit_order(
    txid: str = typer.Argument(..., help="Order id."),
    pair: str = typer.Option(..., "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair of the order, e.g. BTC/USD."),
    volume: Optional[str] = typer.Option(None, "--volume", callback=decimal_text, help="New volume."),
    price: Optional[str] = typer.Option(None, "--price", metavar="PRICE", help="New limit price."),
    display_volume: Optional[str] = typer.Option(None, "--display-volume", callback=decimal_text, help="New visible volume (iceberg)."),
    oflags: Optional[list[OrderFlag]] = typer.Option(None, "--oflags", help="New order flags: post, fcib, fciq, nompp."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline."),
    userref: Optional[int] = typer.Option(None, "--userref", help="New user reference."),
    validate: bool = typer.Option(False, "--validate", help="Validate only."),
    url: Optional[str] = URL,
) -> None:
    """Replace an order (cancel and re-create with a new id; see also amend-order).

    Example: kraken-ops ws edit-order OHYO67-6LP66-HMQ437 --pair BTC/USD --price 26000
    """
    params: dict[str, Any] = {
        "order_qty": volume,
        "limit_price": price,
        "display_qty": display_volume,
        "deadline": deadline,
        "order_userref": userref,
        "validate": True if validate else None,
    }
    for flag in oflags or []:
        name, value = OFLAG_PARAMS[flag.value]
        params[name] = value
    kwargs = {"order_id": txid, "symbol": pair, **{k: v for k, v in params.items() if v is not None}}
    execute(WSRequest("edit_order", kwargs, f"edit order {txid}", validate), url)


@command(app, "cancel-order", kind="write")
def cancel_order(
    txid: Optional[list[str]] = typer.Argument(None, help="Order ids (comma list or several)."),
    cl_ord_id: Optional[list[str]] = typer.Option(None, "--cl-ord-id", help="Client order ids (repeatable)."),
    userref: Optional[list[int]] = typer.Option(None, "--userref", help="User references (repeatable)."),
    url: Optional[str] = URL,
) -> None:
    """Cancel orders by id, client order id or user reference.

    Example: kraken-ops ws cancel-order OHYO67-6LP66-HMQ437 --yes
    """
    ids, clids, refs = csv_list(txid), csv_list(cl_ord_id), list(userref) if userref else None
    if not (ids or clids or refs):
        raise UsageProblem("nothing to cancel: give order ids, --cl-ord-id or --userref")
    shown = [*(ids or []), *(clids or []), *(str(r) for r in refs or [])]
    req = WSRequest("cancel_order", {"order_id": ids, "cl_ord_id": clids, "order_userref": refs}, f"cancel {len(shown)} order(s): {', '.join(shown)}")
    execute(req, url)


@command(app, "cancel-all", kind="write")
def cancel_all(url: Optional[str] = URL) -> None:
    """Cancel every open order.

    Example: kraken-ops ws cancel-all --profile bot2 --yes
    """
    execute(WSRequest("cancel_all", {}, "cancel ALL open orders"), url)


@command(app, "cancel-after", kind="write")
def cancel_after(
    seconds: int = typer.Argument(..., min=0, max=86399, help="Seconds until every order is cancelled; 0 disables."),
    url: Optional[str] = URL,
) -> None:
    """Dead man's switch: cancel all orders unless called again within SECONDS.

    Example: kraken-ops ws cancel-after 60 --yes
    """
    what = "disable the dead man's switch" if seconds == 0 else f"cancel all orders in {seconds}s unless renewed"
    execute(WSRequest("cancel_all_orders_after", {"timeout": seconds}, what), url)


@command(app, "batch-add", kind="write")
def batch_add(
    file: str = typer.Argument("-", help="JSON or NDJSON file of orders (WebSocket names); - (default) reads stdin."),
    pair: Optional[str] = typer.Option(None, "--pair", autocompletion=complete_pair, metavar="PAIR", help="Pair of the orders (if the input names none)."),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="RFC3339 deadline."),
    validate: bool = typer.Option(False, "--validate", help="Validate only (nothing is placed)."),
    url: Optional[str] = URL,
) -> None:
    """Place 2 to 15 orders on one pair from a file or stdin.

    Each order uses the WebSocket names: order_type, side, order_qty, limit_price, time_in_force, cl_ord_id, order_userref ...

    Example: kraken-ops ws batch-add ws-orders.ndjson --pair BTC/USD --validate  # one order a line: {"order_type": "limit", "side": "buy", "order_qty": "0.01", "limit_price": "20000"}
    Example: cat ws-orders.ndjson | kraken-ops ws batch-add --pair BTC/USD --validate
    """
    symbol, orders = parse_ws_batch(read_text(file), pair)
    params = {"deadline": deadline, "validate": True if validate else None}
    kwargs = {"symbol": symbol, "orders": orders, **{k: v for k, v in params.items() if v is not None}}
    execute(WSRequest("batch_add", kwargs, f"place {len(orders)} orders on {symbol}", validate), url)


@command(app, "batch-cancel", kind="write")
def batch_cancel(
    txid: list[str] = typer.Argument(..., help="Order ids or user references (2 to 50; comma list or several)."),
    url: Optional[str] = URL,
) -> None:
    """Cancel 2 to 50 orders in one request.

    Example: kraken-ops ws batch-cancel OHYO67-6LP66-HMQ437 OQCLML-BW3P3-BUCMWZ --yes
    """
    ids = csv_list(txid) or []
    low, high = BATCH_CANCEL_LIMITS
    if not low <= len(ids) <= high:
        raise UsageProblem(f"batch-cancel takes {low} to {high} orders, got {len(ids)} (use cancel-order for one)")
    execute(WSRequest("batch_cancel", {"orders": ids}, f"cancel {len(ids)} orders: {', '.join(ids)}"), url)
