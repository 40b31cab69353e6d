"""``kraken-ops stream``: live Spot and Futures WebSocket feeds as NDJSON on stdout.

One JSON object a line, flushed per message; numbers are written exactly as Kraken sent
them. Heartbeats, status messages and acknowledgements appear only with ``--raw``.
Reconnects, checksum recoveries and dropped messages are reported on stderr.
``--count N`` and ``--duration SECONDS`` end the stream with exit code 0; a closed pipe
ends it quietly; Ctrl-C ends it with exit code 130.

Endpoints: ``--url`` (public feeds) wins; otherwise the profile decides (production:
Kraken's URLs; paper or custom: derived from the profile's URL, ``ws://HOST:PORT/ws/v2``,
``/ws-auth/v2`` and ``/ws/v1``); with no profile at all, public feeds use Kraken's URLs.

websockets and the SDK's WebSocket clients are imported inside the commands only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TextIO
from urllib.parse import urlsplit

import typer

from kraken_ops.cli.completion import complete_pair

from kraken_ops.cli.context import command

app = typer.Typer(help="Live WebSocket feeds as NDJSON (one JSON object a line).", no_args_is_help=True)
futures_app = typer.Typer(help="Kraken Futures feeds (public: ticker, book, trades; private: fills, positions ...).", no_args_is_help=True)
app.add_typer(futures_app, name="futures")

SPOT_WS = "wss://ws.kraken.com/v2"
SPOT_AUTH_WS = "wss://ws-auth.kraken.com/v2"
SPOT_REST = "https://api.kraken.com"
FUTURES_WS = "wss://futures.kraken.com/ws/v1"
FUTURES_DEMO_WS = "wss://demo-futures.kraken.com/ws/v1"

FUTURES_PRIVATE_FEEDS = {
    "fills": "fills",
    "open-orders": "open_orders",
    "positions": "open_positions",
    "balances": "balances",
    "account-log": "account_log",
    "notifications": "notifications_auth",
}
BOOK_DEPTHS = (10, 25, 100, 500, 1000)


@dataclass
class Endpoints:
    """Where a stream connects, and with which credentials (secret never printed)."""

    spot_ws: str = SPOT_WS
    spot_auth_ws: str = SPOT_AUTH_WS
    spot_rest: str = SPOT_REST
    futures_ws: str = FUTURES_WS
    key: str = ""
    secret: str = field(default="", repr=False)
    nonce_source: Any = field(default=None, repr=False)  # the profile's shared nonce store (token requests)


@dataclass
class StreamOptions:
    """Inputs of every ``kraken-ops stream`` command."""

    market: str  # "spot" | "futures"
    channel: str  # spot channel or futures feed name
    symbols: list[str] = field(default_factory=list)
    private: bool = False
    count: Optional[int] = None
    duration: Optional[float] = None
    raw: bool = False
    depth: int = 10
    interval: Optional[int] = None
    event_trigger: Optional[str] = None
    snapshot: bool = True
    live: bool = False
    max_reconnect_attempts: int = 10
    max_buffer: int = 10_000


def filter_instrument(message: dict[str, Any], symbols: list[str]) -> dict[str, Any]:
    """An instrument message keeping only ``symbols`` (case-insensitive) and their assets."""
    data = message.get("data")
    if not isinstance(data, dict):
        return message
    wanted = {s.upper() for s in symbols}
    pairs = [p for p in data.get("pairs") or [] if str(p.get("symbol", "")).upper() in wanted]
    assets_needed = {str(p.get(side)) for p in pairs for side in ("base", "quote")}
    assets = [a for a in data.get("assets") or [] if str(a.get("id")) in assets_needed]
    return {**message, "data": {**data, "assets": assets, "pairs": pairs}}


# -- endpoints -------------------------------------------------------------------------------------
def ws_urls_from_rest(rest_url: str) -> dict[str, str]:
    """The local exchange's (and custom deployments') WebSocket URLs derived from a REST URL.

    >>> ws_urls_from_rest("http://127.0.0.1:8787")["spot_ws"]
    'ws://127.0.0.1:8787/ws/v2'
    """
    parts = urlsplit(rest_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    base = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return {"spot_ws": f"{base}/ws/v2", "spot_auth_ws": f"{base}/ws-auth/v2", "futures_ws": f"{base}/ws/v1"}


def resolve_endpoints(profile_name: Optional[str], market: str, *, private: bool, url: Optional[str] = None) -> Endpoints:
    """Endpoints and credentials for a stream: ``--url``, else the profile, else Kraken's public URLs."""
    from kraken_ops import profiles

    ends = Endpoints()
    if url and not private:
        if market == "spot":
            ends.spot_ws = url
        else:
            ends.futures_ws = url
        return ends
    if not private:
        try:
            chosen = profiles.resolve_name(profile_name)
        except Exception:  # noqa: BLE001 - an unreadable config does not matter for public data
            if profile_name:
                raise
            chosen = None
        if chosen is None:
            return ends
        profile = profiles.get_profile(chosen)
        _apply_profile_urls(ends, profile, market)
        return ends
    kwargs = profiles.client_kwargs(profile_name, market)
    ends.key, ends.secret = kwargs["key"], kwargs["secret"]
    ends.nonce_source = kwargs.get("nonce_source")
    profile = None
    chosen = profiles.resolve_name(profile_name)
    if chosen is not None:
        profile = profiles.get_profile(chosen)
    if profile is not None:
        _apply_profile_urls(ends, profile, market)
    if market == "spot":
        ends.spot_rest = kwargs.get("url") or ends.spot_rest
    if url:
        if market == "spot":
            ends.spot_auth_ws = url
        else:
            ends.futures_ws = url
    return ends


def _apply_profile_urls(ends: Endpoints, profile: Any, market: str) -> None:
    env = getattr(profile, "environment", "production")
    if env in ("paper", "custom"):
        rest = profile.url_for(market)
        derived = ws_urls_from_rest(rest)
        ends.spot_rest = rest
        ends.spot_ws, ends.spot_auth_ws, ends.futures_ws = derived["spot_ws"], derived["spot_auth_ws"], derived["futures_ws"]
    elif env == "sandbox" and market == "futures":
        ends.futures_ws = FUTURES_DEMO_WS
    # a profile may name its WebSocket URLs explicitly
    for attr in ("spot_ws", "spot_auth_ws", "futures_ws"):
        value = getattr(profile, f"{attr}_url", None) or getattr(profile, attr, None)
        if isinstance(value, str) and value:
            setattr(ends, attr, value)


# -- output ----------------------------------------------------------------------------------------
class _Stop(Exception):
    """Raised inside the stream when it should end normally (count reached, closed pipe)."""


class Sink:
    """Writes NDJSON lines, counts them, and notices a closed pipe."""

    def __init__(self, out: TextIO, err: TextIO, count: Optional[int]) -> None:
        from kraken_ops._core.ws import dumps

        self._dumps = dumps
        self.out = out
        self.err = err
        self.count = count
        self.written = 0
        self.pipe_closed = False
        self.closers: list[Callable[[], None]] = []  # run when the stream ends (e.g. --live's screen)

    def line(self, obj: Any) -> None:
        try:
            self.out.write(self._dumps(obj) + "\n")
            self.out.flush()
        except BrokenPipeError:
            self.pipe_closed = True
            raise _Stop() from None
        self.written += 1
        if self.count is not None and self.written >= self.count:
            raise _Stop()

    def tick(self) -> None:
        """Count an update shown some other way (``--live``), for ``--count``."""
        self.written += 1
        if self.count is not None and self.written >= self.count:
            raise _Stop()

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()

    def note(self, message: dict[str, Any]) -> None:
        """kraken-ops' own notices, one readable line on stderr."""
        event = message.get("kraken_ops")
        details = " ".join(f"{k}={v}" for k, v in message.items() if k not in ("kraken_ops", "_pair"))
        try:
            print(f"kraken-ops: {event} {details}".rstrip(), file=self.err, flush=True)
        except (BrokenPipeError, ValueError):
            pass


def _is_control_spot(message: dict[str, Any]) -> bool:
    channel = message.get("channel")
    return channel in ("heartbeat", "status") or "method" in message


def _is_control_futures(message: dict[str, Any]) -> bool:
    return "event" in message or message.get("feed") == "heartbeat"


def book_line(symbol: str, book: Any, depth: int) -> dict[str, Any]:
    """The checked book as one JSON object: top ``depth`` levels and whether the checksum holds."""
    return {
        "symbol": symbol,
        "bids": [[p, q] for p, q in book.bids(depth)],
        "asks": [[p, q] for p, q in book.asks(depth)],
        "checksum": book.checksum,
        "valid": book.valid,
        "timestamp": book.timestamp,
    }


def futures_book_line(product: str, book: Any, depth: int) -> dict[str, Any]:
    return {
        "product_id": product,
        "bids": [[p, q] for p, q in book.bids(depth)],
        "asks": [[p, q] for p, q in book.asks(depth)],
        "seq": book.seq,
        "valid": book.valid,
        "timestamp": book.timestamp,
    }


# -- running ---------------------------------------------------------------------------------------
def run_stream(opts: StreamOptions, ends: Endpoints, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one stream until ``--count``, ``--duration``, a closed pipe or an error; return the exit code."""
    import asyncio

    sink = Sink(out or sys.stdout, err or sys.stderr, opts.count)
    try:
        asyncio.run(_run(opts, ends, sink))
    except _Stop:
        pass
    finally:
        sink.close()
    if sink.pipe_closed:
        from kraken_ops.cli.errors import silence_stdout

        silence_stdout()
    return 0


async def _run(opts: StreamOptions, ends: Endpoints, sink: Sink) -> None:
    import asyncio

    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def guard(handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def wrapped(message: Any) -> None:
            if done.done():
                return
            try:
                if isinstance(message, dict) and message.get("kraken_ops"):
                    if message.get("kraken_ops") == "max_reconnect":
                        sink.note(message)
                        return
                    sink.note(message)
                    return
                handler(message)
            except _Stop as stop:
                done.set_exception(stop)
            except BaseException as exc:  # noqa: BLE001 - ends the stream with the error
                done.set_exception(exc)

        return wrapped

    client, subscribe = _build(opts, ends, sink, guard)
    try:
        await client.start()
        await subscribe()
        waiters = [done, asyncio.ensure_future(client.wait_closed())]
        try:
            finished, _ = await asyncio.wait(waiters, timeout=opts.duration, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters[1].cancel()
        for fut in finished:
            fut.result()  # raises _Stop (normal end) or the client's error
    finally:
        if not done.done():
            done.cancel()
        await client.close()


def _build(opts: StreamOptions, ends: Endpoints, sink: Sink, guard: Callable[..., Any]) -> tuple[Any, Callable[[], Any]]:
    common = {"max_reconnect_attempts": opts.max_reconnect_attempts, "max_buffer": opts.max_buffer}
    if opts.market == "futures":
        return _build_futures(opts, ends, sink, guard, common)
    if opts.channel == "book":
        return _build_spot_book(opts, ends, sink, guard, common)
    from kraken_ops.spot.websocket import SpotWSClient

    def handle(message: Any) -> None:
        if not opts.raw and (not isinstance(message, dict) or _is_control_spot(message)):
            if isinstance(message, dict) and message.get("success") is False:
                sink.note({"kraken_ops": "error", "error": message.get("error"), "method": message.get("method")})
            return
        if opts.channel == "instrument" and opts.symbols and isinstance(message, dict):
            message = filter_instrument(message, opts.symbols)
        sink.line(message)

    if opts.private:
        client = SpotWSClient(
            ends.key,
            ends.secret,
            guard(handle),
            no_public=True,
            rest_url=ends.spot_rest,
            auth_ws_url=ends.spot_auth_ws,
            nonce_source=ends.nonce_source,
            **common,
        )
    else:
        client = SpotWSClient(callback=guard(handle), ws_url=ends.spot_ws, rest_url=ends.spot_rest, **common)
    params: dict[str, Any] = {"channel": opts.channel}
    if opts.symbols and opts.channel != "instrument":  # Kraken's instrument channel takes no symbols
        params["symbol"] = list(opts.symbols)
    if opts.interval is not None:
        params["interval"] = opts.interval
    if opts.event_trigger:
        params["event_trigger"] = opts.event_trigger
    if opts.channel in ("trade", "ticker", "ohlc", "instrument"):
        params["snapshot"] = opts.snapshot

    async def subscribe() -> None:
        await client.subscribe(params=params)

    return client, subscribe


def _build_spot_book(opts: StreamOptions, ends: Endpoints, sink: Sink, guard: Callable[..., Any], common: dict[str, Any]) -> tuple[Any, Callable[[], Any]]:
    from kraken_ops.spot.orderbook import SpotOrderBookClient

    sub_depth = next((d for d in BOOK_DEPTHS if d >= opts.depth), BOOK_DEPTHS[-1])
    live = _LiveView(opts.depth, sink) if opts.live else None
    holder: dict[str, Any] = {}

    def on_update(pair: Optional[str], message: dict[str, Any]) -> None:
        if message.get("kraken_ops") or pair is None:
            if message.get("error"):
                sink.note({"kraken_ops": "error", "error": message.get("error")})
            elif message.get("kraken_ops"):
                sink.note(message)
            return
        book = holder["client"].book(pair)
        if book is None or not book.has_snapshot:
            return
        if live is not None:
            live.show(pair, book)
            sink.tick()
            return
        if opts.raw:
            sink.line(message)
        sink.line(book_line(pair, book, opts.depth))

    def callback(pair: Optional[str], message: dict[str, Any]) -> None:
        guard(lambda m: on_update(pair, m))(message)  # notices (checksum mismatch ...) go to stderr

    client = SpotOrderBookClient(depth=sub_depth, callback=callback, ws_url=ends.spot_ws, **common)  # precisions: instrument channel
    holder["client"] = client

    async def subscribe() -> None:
        await client.add_book(pairs=list(opts.symbols))

    return client, subscribe


def _build_futures(opts: StreamOptions, ends: Endpoints, sink: Sink, guard: Callable[..., Any], common: dict[str, Any]) -> tuple[Any, Callable[[], Any]]:
    from kraken_ops.futures.websocket import FuturesWSClient

    feed = opts.channel
    holder: dict[str, Any] = {}

    def handle(message: Any) -> None:
        if not isinstance(message, dict):
            return
        if message.get("event") in ("error", "alert", "subscribed_failed"):
            sink.note({"kraken_ops": "error", "error": message.get("message") or message.get("event")})
        if feed == "book" and not opts.raw and message.get("feed") in ("book", "book_snapshot"):
            product = message.get("product_id")
            book = holder["client"].get_book(product)
            if book is not None and book.valid:
                sink.line(futures_book_line(product, book, opts.depth))
            return
        if not opts.raw and _is_control_futures(message):
            return
        sink.line(message)

    client = FuturesWSClient(ends.key, ends.secret, url=ends.futures_ws, callback=guard(handle), **common)
    holder["client"] = client

    async def subscribe() -> None:
        await client.subscribe(feed=feed, products=list(opts.symbols) or None)

    return client, subscribe


class _LiveView:
    """``--live``: the book as a table that updates in place (terminal only)."""

    def __init__(self, depth: int, sink: Sink) -> None:
        from rich.console import Console
        from rich.live import Live

        self.depth = depth
        self.live = Live(console=Console(file=sink.out), auto_refresh=False)
        self.live.start()
        sink.closers.append(self.live.stop)  # restore the cursor when the stream ends

    def show(self, pair: str, book: Any) -> None:
        from rich.table import Table

        table = Table(title=f"{pair}  checksum {'ok' if book.valid else 'MISMATCH'}")
        for col in ("bid qty", "bid", "ask", "ask qty"):
            table.add_column(col, justify="right")
        bids, asks = book.bids(self.depth), book.asks(self.depth)
        for i in range(max(len(bids), len(asks))):
            b = bids[i] if i < len(bids) else ("", "")
            a = asks[i] if i < len(asks) else ("", "")
            table.add_row(str(b[1]), str(b[0]), str(a[0]), str(a[1]))
        self.live.update(table, refresh=True)


# -- commands --------------------------------------------------------------------------------------
def _options_profile() -> Optional[str]:
    from kraken_ops.cli.clients import targets
    from kraken_ops.cli.context import current

    return targets(current())[0]  # one profile: --group and --all-profiles are refused, never narrowed to one


def _go(opts: StreamOptions, url: Optional[str]) -> None:
    if opts.count is not None and opts.count < 1:
        raise typer.BadParameter("--count must be at least 1")
    ends = resolve_endpoints(_options_profile(), opts.market, private=opts.private, url=url)
    code = run_stream(opts, ends)
    if code:
        raise typer.Exit(code)


COUNT = typer.Option(None, "--count", "-n", help="Stop after N messages.", min=1)
DURATION = typer.Option(None, "--duration", help="Stop after SECONDS.", min=0.0, metavar="SECONDS")
RAW = typer.Option(False, "--raw", help="Also print heartbeats, status messages and acknowledgements.")
URL = typer.Option(None, "--url", help="WebSocket URL of the feed (overrides the profile), e.g. ws://127.0.0.1:8787/ws/v2.")


def _spot_public(channel: str, doc: str) -> None:
    def cmd(
        pairs: list[str] = typer.Argument(..., help="Pairs, e.g. BTC/USD ETH/USD.", autocompletion=complete_pair),
        count: Optional[int] = COUNT,
        duration: Optional[float] = DURATION,
        raw: bool = RAW,
        url: Optional[str] = URL,
        snapshot: bool = typer.Option(True, "--snapshot/--no-snapshot", help="Ask for the initial snapshot."),
    ) -> None:
        _go(StreamOptions("spot", channel, pairs, count=count, duration=duration, raw=raw, snapshot=snapshot), url)

    cmd.__doc__ = doc
    command(app, {"trade": "trades"}.get(channel, channel), kind="public")(cmd)


_spot_public("ticker", "Spot ticker (level 1) updates.\n\nExample: kraken-ops stream ticker BTC/USD --count 5")
_spot_public("trade", "Spot trades as they happen.\n\nExample: kraken-ops stream trades BTC/USD | jq .data[]")


@command(app, "ohlc", kind="public")
def ohlc(
    pairs: list[str] = typer.Argument(..., help="Pairs, e.g. BTC/USD.", autocompletion=complete_pair),
    interval: int = typer.Option(1, "--interval", help="Candle minutes: 1 5 15 30 60 240 1440 10080 21600."),
    count: Optional[int] = COUNT,
    duration: Optional[float] = DURATION,
    raw: bool = RAW,
    url: Optional[str] = URL,
) -> None:
    """Spot OHLC candles.

    Example: kraken-ops stream ohlc BTC/USD --interval 5
    """
    _go(StreamOptions("spot", "ohlc", pairs, count=count, duration=duration, raw=raw, interval=interval), url)


@command(app, "instrument", kind="public")
def instrument(
    pairs: list[str] = typer.Argument(
        None, help="Only these pairs (e.g. BTC/USD) and their assets; default: every asset and pair.", autocompletion=complete_pair
    ),
    count: Optional[int] = COUNT,
    duration: Optional[float] = DURATION,
    raw: bool = RAW,
    url: Optional[str] = URL,
) -> None:
    """Spot reference data (assets and pairs with precisions).

    Kraken's instrument channel always sends every pair; PAIR arguments filter what is
    printed to those pairs and their base and quote assets.

    Example: kraken-ops stream instrument BTC/USD --count 1
    """
    _go(StreamOptions("spot", "instrument", list(pairs or []), count=count, duration=duration, raw=raw), url)


@command(app, "book", kind="public")
def book(
    pairs: list[str] = typer.Argument(..., help="Pairs, e.g. BTC/USD.", autocompletion=complete_pair),
    depth: int = typer.Option(10, "--depth", help="Levels per side to print (subscribes 10, 25, 100, 500 or 1000).", min=1, max=1000),
    live: bool = typer.Option(False, "--live", help="Show the book as a table that updates in place (terminal only)."),
    count: Optional[int] = COUNT,
    duration: Optional[float] = DURATION,
    raw: bool = RAW,
    url: Optional[str] = URL,
) -> None:
    """The checked order book after each update: top N levels and whether the checksum holds.

    Example: kraken-ops stream book BTC/USD --depth 10 | consumer
    """
    live = live and sys.stdout.isatty()
    _go(StreamOptions("spot", "book", pairs, count=count, duration=duration, raw=raw, depth=depth, live=live), url)


def _spot_private(channel: str, doc: str) -> None:
    def cmd(
        count: Optional[int] = COUNT,
        duration: Optional[float] = DURATION,
        raw: bool = RAW,
        url: Optional[str] = typer.Option(None, "--url", help="Authenticated WebSocket URL (overrides the profile)."),
    ) -> None:
        _go(StreamOptions("spot", channel, [], private=True, count=count, duration=duration, raw=raw), url)

    cmd.__doc__ = doc
    command(app, channel, kind="private")(cmd)


_spot_private("executions", "Your Spot orders and fills (needs a profile).\n\nExample: kraken-ops stream executions --profile bot1")
_spot_private("balances", "Your Spot balances and ledger changes (needs a profile).\n\nExample: kraken-ops stream balances --profile bot1")


def _futures_public(name: str, feed: str, doc: str) -> None:
    def cmd(
        products: list[str] = typer.Argument(..., help="Products, e.g. PF_XBTUSD."),
        count: Optional[int] = COUNT,
        duration: Optional[float] = DURATION,
        raw: bool = RAW,
        url: Optional[str] = typer.Option(None, "--url", help="Futures WebSocket URL (overrides the profile), e.g. ws://127.0.0.1:8787/ws/v1."),
        depth: int = typer.Option(10, "--depth", help="Levels per side to print (book only).", min=1),
    ) -> None:
        _go(StreamOptions("futures", feed, products, count=count, duration=duration, raw=raw, depth=depth), url)

    cmd.__doc__ = doc
    command(futures_app, name, kind="public")(cmd)


_futures_public("ticker", "ticker", "Futures tickers.\n\nExample: kraken-ops stream futures ticker PF_XBTUSD")
_futures_public("trades", "trade", "Futures trades.\n\nExample: kraken-ops stream futures trades PF_XBTUSD")
_futures_public("book", "book", "The Futures book (snapshot plus deltas, sequence-checked) after each change.\n\nExample: kraken-ops stream futures book PF_XBTUSD --depth 5")


def _futures_private(name: str, feed: str) -> None:
    def cmd(
        count: Optional[int] = COUNT,
        duration: Optional[float] = DURATION,
        raw: bool = RAW,
        url: Optional[str] = typer.Option(None, "--url", help="Futures WebSocket URL (overrides the profile)."),
    ) -> None:
        _go(StreamOptions("futures", feed, [], private=True, count=count, duration=duration, raw=raw), url)

    cmd.__doc__ = f"Your Futures {name.replace('-', ' ')} (feed {feed}; needs a profile).\n\nExample: kraken-ops stream futures {name} --profile bot1"
    command(futures_app, name, kind="private")(cmd)


for _name, _feed in FUTURES_PRIVATE_FEEDS.items():
    _futures_private(_name, _feed)
