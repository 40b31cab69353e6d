"""``kraken-ops market``: Spot market data (no API key needed)."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

import typer

from kraken_ops.cli.completion import complete_pair

from kraken_ops.cli.clients import read, single
from kraken_ops.cli.context import command
from kraken_ops.cli.errors import note_pair
from kraken_ops.cli.output import RECORD, WIDE, View, book_rows, col, keyed, num, pair_series, when
from kraken_ops.cli.params import csv_list, one_or_many

app = typer.Typer(help="Spot market data: ticker, order book, OHLC, trades, pairs. No API key needed; also spreads, assets, time and status.", no_args_is_help=True)

SPEC = "spot.Market"
TICKER_FIELDS = {  # column: (Kraken's ticker field, index in its array or None for a scalar)
    "bid": ("b", 0),
    "ask": ("a", 0),
    "last": ("c", 0),
    "volume_24h": ("v", 1),
    "vwap_24h": ("p", 1),
    "trades_24h": ("t", 1),
    "low_24h": ("l", 1),
    "high_24h": ("h", 1),
    "open": ("o", None),
}


def ticker_rows(result: Any) -> list[dict[str, Any]]:
    """One row per pair with named columns instead of Kraken's one-letter arrays (tables, CSV, NDJSON)."""
    rows = []
    for pair, ticker in (result or {}).items():
        row: dict[str, Any] = {"pair": pair}
        for column, (key, index) in TICKER_FIELDS.items():
            value = ticker.get(key)
            if index is not None:
                value = value[index] if isinstance(value, (list, tuple)) and len(value) > index else None
            row[column] = value
        rows.append(row)
    return rows


def _ws_name(row: Any) -> Any:
    from kraken_ops.cli.errors import ws_v2_name

    return ws_v2_name(row.get("wsname")) if row.get("wsname") else None


_SIDES = {"b": "buy", "s": "sell"}
_TYPES = {"l": "limit", "m": "market"}

def side_rows(result: Any) -> list[dict[str, Any]]:
    """Rows from a ``{"pair", "bids": [{...}], "asks": [{...}]}`` book (GroupedBook, Level3): asks then bids."""
    rows: list[dict[str, Any]] = []
    if not isinstance(result, dict):
        return rows
    for side in ("asks", "bids"):
        for level in result.get(side) or []:
            rows.append({"pair": result.get("pair"), "side": side[:-1], **level})
    return rows


GROUPED_DEPTHS = (10, 25, 100, 250, 1000)
GROUPINGS = (1, 5, 10, 25, 50, 100, 250, 500, 1000)
LEVEL3_DEPTHS = (0, 10, 25, 100, 250, 1000)

VIEWS: dict[str, View] = {
    "assets": View(
        keyed("asset"),
        ["asset", "altname", "aclass", "decimals", "display_decimals", "status"],
        table=[
            col("asset", "asset", 1),
            col("altname", "altname", 2),
            col("status", "status", 2),
            num("decimals", "decimals", 3),
            col("aclass", "class", 4),
            num("display_decimals", "display decimals", 5),
            num("collateral_value", "collateral", 6),
        ],
    ),
    "pairs": View(
        keyed("pair"),
        ["pair", "altname", "wsname", "base", "quote", "pair_decimals", "lot_decimals", "ordermin", "costmin", "tick_size", "status"],
        table=[
            col("pair", "pair", 1),
            col("altname", "altname", 1),
            col("ws", "websocket", 2, get=_ws_name),
            num("ordermin", "min volume", 3),
            num("costmin", "min cost", 4),
            num("tick_size", "tick", 3),
            col("status", "status", 2),
            col("base", "base", 5),
            col("quote", "quote", 5),
            num("pair_decimals", "price decimals", WIDE),
            num("lot_decimals", "volume decimals", WIDE),
            col("aclass_base", "class", WIDE),
        ],
    ),
    "ticker": View(
        ticker_rows,
        ["pair", *TICKER_FIELDS],
        only=True,
        table=[
            col("pair", "pair", 1),
            num("last", "last", 1),
            num("bid", "bid", 1),
            num("ask", "ask", 1),
            num("volume_24h", "24h volume", 2),
            num("low_24h", "24h low", 3),
            num("high_24h", "24h high", 3),
            num("open", "open", 4),
            num("vwap_24h", "24h vwap", 5),
            num("trades_24h", "24h trades", 6),
        ],
    ),
    "ohlc": View(
        pair_series(["time", "open", "high", "low", "close", "vwap", "volume", "count"]),
        table=[
            when("time", "time", 1),
            num("open", "open", 1),
            num("high", "high", 1),
            num("low", "low", 1),
            num("close", "close", 1),
            num("volume", "volume", 2),
            num("vwap", "vwap", 3),
            num("count", "trades", 4),
            col("pair", "pair", 5),
        ],
    ),
    "book": View(
        book_rows,
        ["pair", "side", "price", "volume", "timestamp"],
        table=[col("side", "side", 1), num("price", "price", 1), num("volume", "volume", 1), when("timestamp", "time", 3), col("pair", "pair", 2)],
    ),
    "grouped-book": View(
        side_rows,
        ["pair", "side", "price", "qty"],
        table=[col("side", "side", 1), num("price", "price", 1), num("qty", "volume", 1), col("pair", "pair", 2)],
    ),
    "book-l3": View(
        side_rows,
        ["side", "price", "qty", "order_id", "timestamp"],
        table=[col("side", "side", 1), num("price", "price", 1), num("qty", "volume", 1), col("order_id", "order", 2, "id"), when("timestamp", "time", 3)],
    ),
    "trades": View(
        pair_series(["price", "volume", "time", "side", "type", "misc", "trade_id"]),
        table=[
            when("time", "time", 1),
            col("side", "side", 1, get=lambda r: _SIDES.get(r.get("side"), r.get("side"))),
            num("price", "price", 1),
            num("volume", "volume", 1),
            col("type", "type", 3, get=lambda r: _TYPES.get(r.get("type"), r.get("type"))),
            col("trade_id", "trade id", 4),
            col("pair", "pair", 5),
            col("misc", "misc", WIDE),
        ],
    ),
    "spreads": View(
        pair_series(["time", "bid", "ask"]),
        table=[when("time", "time", 1), num("bid", "bid", 1), num("ask", "ask", 1), col("pair", "pair", 3)],
    ),
}


class AssetClass(str, Enum):
    """Kraken's asset classes (``asset_class`` / ``aclass`` / ``aclass_base``)."""

    currency = "currency"
    tokenized_asset = "tokenized_asset"
    forex = "forex"


ASSET_CLASS_HELP = "Asset class: currency (Kraken's default), tokenized_asset (xStocks such as AAPLx/USD) or forex."


def asset_class_value(value: Optional[AssetClass]) -> Optional[str]:
    """The wire value of an ``--asset-class`` option (None when not given)."""
    return value.value if value is not None else None


@dataclass
class PairQuery:
    """Options of the per-pair market commands."""

    pair: str
    since: str | None = None
    count: int | None = None
    interval: int = 1
    asset_class: str | None = None


def _pairs_lookup(aclass_base: str | None = None) -> Any:
    from kraken_ops.cli.clients import make_client
    from kraken_ops.cli.context import current

    client = make_client(SPEC, (current().profiles or [None])[0], current())
    return client.get_asset_pairs(aclass_base=aclass_base) if aclass_base else client.get_asset_pairs()


def pairs_lookup_for(asset_class: str | None) -> Any:
    """The known-pairs lookup behind ``did you mean ...?`` hints, within an asset class."""
    return lambda: _pairs_lookup(asset_class)


def all_pairs_lookup(rest_url: Optional[str] = None) -> Any:
    """The known pairs of every asset class (WebSocket v2 names them all on one channel).

    ``rest_url``: ask this REST URL (a stream's endpoints); default: the command's profile.
    """

    def lookup() -> Any:
        if rest_url:
            from kraken_ops.spot.market import Market

            client = Market(url=rest_url, timeout=10)
        else:
            from kraken_ops.cli.clients import make_client
            from kraken_ops.cli.context import current

            client = make_client(SPEC, (current().profiles or [None])[0], current())
        known: dict[str, Any] = dict(client.get_asset_pairs() or {})
        try:
            known.update(client.get_asset_pairs(aclass_base="tokenized_asset") or {})
        except Exception:  # noqa: BLE001 - xStocks are a bonus for the hint
            pass
        return known

    return lookup


def run_ohlc(market: Any, q: PairQuery) -> Any:
    getter = getattr(market, "get_ohlc", None) or market.get_ohlcv
    if q.asset_class:
        return getter(pair=q.pair, interval=q.interval, since=q.since, asset_class=q.asset_class)
    return getter(pair=q.pair, interval=q.interval, since=q.since)


@command(app, "time", kind="public")
def time_() -> None:
    """Kraken's server time.

    Example: kraken-ops market time -o json
    """
    read(SPEC, lambda m: m.get_server_time(), RECORD)


@command(app, "status", kind="public")
def status() -> None:
    """System status: online, maintenance, cancel_only or post_only.

    Example: kraken-ops market status
    """
    read(SPEC, lambda m: m.get_system_status(), RECORD)


@command(app, "assets", kind="public")
def assets(
    asset: Optional[list[str]] = typer.Argument(None, help="Assets (default: all), e.g. XBT ETH."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", "--aclass", help=ASSET_CLASS_HELP),
) -> None:
    """Assets and their precision.

    Table: narrow terminals leave out first collateral, display decimals, class, decimals, status, altname.

    Example: kraken-ops market assets --asset-class tokenized_asset
    """
    aclass = asset_class_value(asset_class)
    read(SPEC, lambda m: m.get_assets(assets=one_or_many(asset), aclass=aclass), VIEWS["assets"])


@command(app, "pairs", kind="public")
def pairs(
    pair: Optional[list[str]] = typer.Argument(None, help="Pairs (default: all), e.g. XBTUSD ETH/USD.", autocompletion=complete_pair),
    info: Optional[str] = typer.Option(None, "--info", help="info, leverage, fees or margin."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", "--aclass-base", help=ASSET_CLASS_HELP),
) -> None:
    """Tradable asset pairs: precision, minimums, tick size.

    Table: narrow terminals leave out first quote, base, min cost, tick, min volume, status, websocket; -o wide adds price decimals, volume decimals, class.

    Example: kraken-ops market pairs --asset-class tokenized_asset
    """
    aclass_base = asset_class_value(asset_class)
    read(SPEC, lambda m: m.get_asset_pairs(pair=one_or_many(pair), info=info, aclass_base=aclass_base), VIEWS["pairs"])


@command(app, "ticker", kind="public")
def ticker(
    pair: Optional[list[str]] = typer.Argument(None, help="Pairs (default: all of the asset class).", autocompletion=complete_pair),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Ticker: ask, bid, last trade, volume, VWAP, trades, low, high, open.

    Table: narrow terminals leave out first 24h trades, 24h vwap, open, 24h high, 24h low, 24h volume.

    Example: kraken-ops market ticker AAPLx/USD --asset-class tokenized_asset
    """
    aclass = asset_class_value(asset_class)
    pairs_ = csv_list(pair)
    note_pair(pairs_[0] if pairs_ else None, pairs_lookup_for(aclass))
    read(SPEC, lambda m: m.get_ticker(pair=one_or_many(pair), asset_class=aclass), VIEWS["ticker"])


@command(app, "ohlc", kind="public")
def ohlc(
    pair: str = typer.Argument(..., help="Pair, e.g. XBTUSD.", autocompletion=complete_pair),
    interval: int = typer.Option(1, "--interval", help="Minutes: 1, 5, 15, 30, 60, 240, 1440, 10080, 21600."),
    since: Optional[str] = typer.Option(None, "--since", help="Return candles after this time (the 'last' of a previous call)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """OHLC candles (time, open, high, low, close, vwap, volume, count).

    Table: narrow terminals leave out first pair, trades, vwap, volume.

    Example: kraken-ops market ohlc XBTUSD --interval 60
    """
    if interval not in (1, 5, 15, 30, 60, 240, 1440, 10080, 21600):
        raise typer.BadParameter("must be one of 1, 5, 15, 30, 60, 240, 1440, 10080, 21600", param_hint="--interval")
    aclass = asset_class_value(asset_class)
    note_pair(pair, pairs_lookup_for(aclass))
    q = PairQuery(pair, since=since, interval=interval, asset_class=aclass)
    read(SPEC, lambda m: run_ohlc(m, q), VIEWS["ohlc"])


@command(app, "book", kind="public")
def book(
    pair: str = typer.Argument(..., help="Pair, e.g. XBTUSD.", autocompletion=complete_pair),
    count: int = typer.Option(10, "--count", "--depth", min=1, max=500, help="Levels per side (1-500; with --grouping 10, 25, 100, 250 or 1000)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
    grouping: Optional[int] = typer.Option(
        None, "--grouping", help="Fold N ticks into each level (1, 5, 10, 25, 50, 100, 250, 500, 1000): Kraken's grouped book."
    ),
) -> None:
    """Order book (asks and bids); with --grouping, the grouped book (bids rounded down, asks up).

    Table: narrow terminals leave out first time, pair.
    With --grouping: Table: narrow terminals leave out first pair.

    Example: kraken-ops market book XBTUSD --count 5
    """
    aclass = asset_class_value(asset_class)
    if grouping is not None:
        if grouping not in GROUPINGS:
            raise typer.BadParameter("must be one of " + ", ".join(map(str, GROUPINGS)), param_hint="--grouping")
        if count not in GROUPED_DEPTHS:
            raise typer.BadParameter("with --grouping, must be one of " + ", ".join(map(str, GROUPED_DEPTHS)), param_hint="--count/--depth")
        note_pair(pair, pairs_lookup_for(aclass))
        extra = {"asset_class": aclass} if aclass else None  # not in Kraken's GroupedBook docs: sent only when asked for
        read(SPEC, lambda m: m.get_grouped_order_book(pair=pair, depth=count, grouping=grouping, extra_params=extra), VIEWS["grouped-book"])
        return
    note_pair(pair, pairs_lookup_for(aclass))
    read(SPEC, lambda m: m.get_order_book(pair=pair, count=count, asset_class=aclass), VIEWS["book"])


@command(app, "book-l3", kind="private")
def book_l3(
    pair: str = typer.Argument(..., help="Pair, e.g. BTC/USD.", autocompletion=complete_pair),
    depth: int = typer.Option(100, "--depth", help="Price levels per side: 10, 25, 100, 250, 1000, or 0 for the whole book."),
) -> None:
    """Level 3 book: every resting order (id, price, quantity, time), best first (needs a key).

    Table: narrow terminals leave out first time, order.

    Example: kraken-ops market book-l3 BTC/USD --depth 10 --profile bot1
    """
    if depth not in LEVEL3_DEPTHS:
        raise typer.BadParameter("must be one of " + ", ".join(map(str, LEVEL3_DEPTHS)), param_hint="--depth")
    single(SPEC, lambda m: m.get_level3_order_book(pair=pair, depth=depth), VIEWS["book-l3"])


@command(app, "trades", kind="public")
def trades(
    pair: str = typer.Argument(..., help="Pair, e.g. XBTUSD.", autocompletion=complete_pair),
    since: Optional[str] = typer.Option(None, "--since", help="Trades after this id (the 'last' of a previous call)."),
    count: Optional[int] = typer.Option(None, "--count", min=1, max=1000, help="Number of trades (1-1000)."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Recent public trades.

    Table: narrow terminals leave out first pair, trade id, type; -o wide adds misc.

    Example: kraken-ops market trades XBTUSD --count 20
    """
    aclass = asset_class_value(asset_class)
    note_pair(pair, pairs_lookup_for(aclass))
    read(SPEC, lambda m: m.get_recent_trades(pair=pair, since=since, count=count, asset_class=aclass), VIEWS["trades"])


@command(app, "spreads", kind="public")
def spreads(
    pair: str = typer.Argument(..., help="Pair, e.g. XBTUSD.", autocompletion=complete_pair),
    since: Optional[str] = typer.Option(None, "--since", help="Spreads after this time."),
    asset_class: Optional[AssetClass] = typer.Option(None, "--asset-class", help=ASSET_CLASS_HELP),
) -> None:
    """Recent spreads (time, bid, ask).

    Table: narrow terminals leave out first pair.

    Example: kraken-ops market spreads XBTUSD
    """
    aclass = asset_class_value(asset_class)
    note_pair(pair, pairs_lookup_for(aclass))
    read(SPEC, lambda m: m.get_recent_spreads(pair=pair, since=since, asset_class=aclass), VIEWS["spreads"])
