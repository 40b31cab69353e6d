"""``kraken-ops stream``: live Spot and Futures WebSocket feeds as NDJSON on stdout.

One JSON object a line, flushed per message; numbers are written exactly as Kraken sent
them. Heartbeats, status messages and acknowledgements appear only with ``--raw``.
Reconnects, checksum recoveries and dropped messages are reported on stderr.
``--count N`` and ``--duration SECONDS`` end the stream with exit code 0; a closed pipe
ends it quietly; Ctrl-C ends it with exit code 130.

Endpoints: ``--url`` (public feeds) wins; otherwise the profile decides (production:
Kraken's URLs; paper or custom: derived from the profile's URL, ``ws://HOST:PORT/ws/v2``,
``/ws-auth/v2``, ``/ws-l3/v2`` (the level3 channel's own host) and ``/ws/v1``); with no
profile at all, public feeds use Kraken's URLs.

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
SPOT_L3_WS = "wss://ws-l3.kraken.com/v2"
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
LEVEL3_DEPTHS = (10, 100, 1000)


@dataclass
class Endpoints:
    """Where a stream connects, and with which credentials (secret never printed)."""

    spot_ws: str = SPOT_WS
    spot_auth_ws: str = SPOT_AUTH_WS
    spot_rest: str = SPOT_REST
    futures_ws: str = FUTURES_WS
    spot_l3_ws: str = SPOT_L3_WS
    key: str = ""
    secret: str = field(default="", repr=False)
    nonce_source: Any = field(default=None, repr=False)  # the profile's shared nonce store (token requests)
    otp: Any = field(default=None, repr=False)  # a spot key with 2FA: its otp for the token requests


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


def l3_ws_url_from_rest(rest_url: str) -> str:
    """The local exchange's (and custom deployments') level3 WebSocket URL for a REST URL.

    >>> l3_ws_url_from_rest("http://127.0.0.1:8787")
    'ws://127.0.0.1:8787/ws-l3/v2'
    """
    return ws_urls_from_rest(rest_url)["spot_ws"][: -len("/ws/v2")] + "/ws-l3/v2"


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
    ends.otp = kwargs.get("otp")
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
        ends.spot_l3_ws = l3_ws_url_from_rest(rest)
    elif env == "sandbox" and market == "futures":
        ends.futures_ws = FUTURES_DEMO_WS
    # a profile may name its WebSocket URLs explicitly
    for attr in ("spot_ws", "spot_auth_ws", "futures_ws", "spot_l3_ws"):
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
        from kraken_ops.cli.context import current

        self.query = current().query  # --query: applied to each line, null results left out

    def line(self, obj: Any) -> None:
        if self.query is not None:
            from kraken_ops.cli.query import search

            obj = search(self.query, obj)
            if obj is None:
                return
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

    def hint(self, text: str) -> None:
        """A ``hint:`` line on stderr, like the one after an error."""
        try:
            print(f"hint: {text}", file=self.err, flush=True)
        except (BrokenPipeError, ValueError):
            pass

    def note(self, message: dict[str, Any]) -> None:
        """kraken-ops' own notices, one readable line on stderr."""
        event = message.get("kraken_ops")
        details = " ".join(f"{k}={v}" for k, v in message.items() if k not in ("kraken_ops", "_pair"))
        try:
            print(f"kraken-ops: {event} {details}".rstrip(), file=self.err, flush=True)
        except (BrokenPipeError, ValueError):
            pass


def _pair_context_lookup() -> Any:
    """The known-pairs lookup ``_go`` noted for this stream (None when it noted none)."""
    from kraken_ops.cli.errors import _pair_context

    return _pair_context.get("lookup")


def _ws_pair_hint(symbol: str) -> str | None:
    """``did you mean BTC/USD? ...`` for a rejected symbol of a stream that goes on with the others."""
    from kraken_ops.cli.errors import pair_hint

    lookup = _pair_context_lookup()
    if lookup is None:
        return None
    try:
        return pair_hint(symbol, lookup(), "ws")
    except Exception:  # noqa: BLE001 - a hint must never break the stream
        return None


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
    if opts.channel == "level3":
        return _build_spot_level3(opts, ends, sink, guard, common)
    from kraken_ops.spot.websocket import SpotWSClient

    rejected: list[str] = []

    def handle(message: Any) -> None:
        if isinstance(message, dict) and message.get("success") is False and message.get("symbol") and opts.symbols:
            rejected.append(str(message["symbol"]))
            if {s.upper() for s in opts.symbols} <= {s.upper() for s in rejected}:
                # nothing left to stream: end like the REST commands, with the hint
                from kraken_ops.cli.errors import note_pair
                from kraken_ops.exceptions import KrakenUnknownAssetPairError

                note_pair(str(message["symbol"]), _pair_context_lookup(), interface="ws")
                raise KrakenUnknownAssetPairError(f"unknown pair {message['symbol']!r}", kraken_error=str(message.get("error") or ""))
            sink.note({"kraken_ops": "error", "error": message.get("error"), "method": message.get("method")})
            hint = _ws_pair_hint(str(message["symbol"]))
            if hint:
                sink.hint(hint)
            return
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
            otp=ends.otp,
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

    def notice(message: dict[str, Any]) -> None:  # reconnects, overflow, Kraken's refusals
        if message.get("kraken_ops") == "checksum_mismatch":
            return  # the book client logs it (one warning line) and resubscribes
        guard(lambda m: on_update(None, m))(message)

    client = SpotOrderBookClient(depth=sub_depth, callback=callback, notice_callback=notice, ws_url=ends.spot_ws, **common)  # precisions: instrument channel
    holder["client"] = client

    async def subscribe() -> None:
        await client.add_book(pairs=list(opts.symbols))

    return client, subscribe


def _build_spot_level3(opts: StreamOptions, ends: Endpoints, sink: Sink, guard: Callable[..., Any], common: dict[str, Any]) -> tuple[Any, Callable[[], Any]]:
    """``stream level3``: Kraken's level3 messages as they come, each checked against a
    :class:`~kraken_ops.spot.level3.Level3Book`; a checksum mismatch is reported on stderr
    and the symbol is subscribed again for a fresh snapshot."""
    from kraken_ops.spot.level3 import Level3Book
    from kraken_ops.spot.websocket import SpotWSClient

    books: dict[str, Level3Book] = {}
    precisions: dict[str, tuple[int, int]] = {}
    holder: dict[str, Any] = {}

    def resubscribe(symbol: str) -> None:
        async def again() -> None:
            client = holder["client"]
            await client.unsubscribe(params={"channel": "level3", "symbol": [symbol], "depth": opts.depth})
            await client.subscribe(params={"channel": "level3", "symbol": [symbol], "depth": opts.depth})

        holder["client"]._spawn(again())

    def handle(message: Any) -> None:
        if not isinstance(message, dict):
            return
        if message.get("channel") != "level3":
            if message.get("success") is False:
                sink.note({"kraken_ops": "error", "error": message.get("error"), "method": message.get("method")})
            if opts.raw:
                sink.line(message)
            return
        snapshot = message.get("type") == "snapshot"
        shown = False
        for item in message.get("data") or []:
            symbol = str(item.get("symbol"))
            book = books.get(symbol)
            if book is None:
                pd, qd = precisions.get(symbol.upper(), (None, None))
                book = books[symbol] = Level3Book(symbol, opts.depth, pd, qd)
            if not snapshot and not book.has_snapshot:
                continue  # an update for a book being re-subscribed: wait for its snapshot
            shown = True
            if book.apply(item, snapshot=snapshot) is False:
                sink.note({"kraken_ops": "checksum_mismatch", "symbol": symbol, "expected": book.last_checksum, "computed": book.checksum})
                book.has_snapshot = False
                resubscribe(symbol)
        if shown:
            sink.line(message)

    client = SpotWSClient(
        ends.key,
        ends.secret,
        guard(handle),
        no_public=True,
        rest_url=ends.spot_rest,
        auth_ws_url=ends.spot_auth_ws,
        l3_ws_url=ends.spot_l3_ws,
        nonce_source=ends.nonce_source,
        **common,
    )
    holder["client"] = client

    async def subscribe() -> None:
        # the checksum pads prices and quantities to the pair's precision (AssetPairs)
        try:
            pairs = await client.request("GET", "/0/public/AssetPairs", {"pair": ",".join(opts.symbols)}, auth=False)
        except Exception as exc:  # noqa: BLE001 - the stream still runs; checksums then use the numbers as sent
            sink.note({"kraken_ops": "warning", "error": f"no pair precisions ({type(exc).__name__}); checksums use the numbers as sent"})
            pairs = {}
        for key, info in (pairs or {}).items():
            decimals = (int(info.get("pair_decimals")), int(info.get("lot_decimals")))
            for name in (key, info.get("wsname") or "", (info.get("wsname") or "").replace("XBT", "BTC")):
                if name:
                    precisions[name.upper()] = decimals
        await client.subscribe(params={"channel": "level3", "symbol": list(opts.symbols), "depth": opts.depth})

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

        from kraken_ops.cli.tables import align_decimals, human_number

        bids, asks = book.bids(self.depth), book.asks(self.depth)
        rows = max(len(bids), len(asks))

        def column(levels: Any, index: int) -> list[str]:  # decimals aligned, numbers never split
            texts = [human_number(levels[i][index]) if i < len(levels) else "" for i in range(rows)]
            return align_decimals(texts)

        cells = [column(bids, 1), column(bids, 0), column(asks, 0), column(asks, 1)]
        table = Table(title=f"{pair}  checksum {'ok' if book.valid else 'MISMATCH'}")
        widths = [max([len(name), *(len(t) for t in texts)]) for name, texts in zip(("bid qty", "bid", "ask", "ask qty"), cells)]
        for name, width in zip(("bid qty", "bid", "ask", "ask qty"), widths):
            table.add_column(name.rjust(width), no_wrap=True, min_width=width)
        for i in range(rows):  # right-aligned here: rich would strip the spaces that align the decimals
            table.add_row(*(texts[i].rjust(width) for texts, width in zip(cells, widths)))
        self.live.update(table, refresh=True)


# -- commands --------------------------------------------------------------------------------------
def _options_profile() -> Optional[str]:
    from kraken_ops.cli.context import current

    profiles = current().profiles
    return profiles[0] if profiles else None


def _go(opts: StreamOptions, url: Optional[str]) -> None:
    if opts.count is not None and opts.count < 1:
        raise typer.BadParameter("--count must be at least 1")
    ends = resolve_endpoints(_options_profile(), opts.market, private=opts.private, url=url)
    if opts.market == "spot" and opts.symbols:
        from kraken_ops.cli.commands.market import all_pairs_lookup
        from kraken_ops.cli.errors import note_pair

        # an unknown pair gets the REST commands' hint, in WebSocket v2's names (BTC/USD)
        note_pair(opts.symbols[0], all_pairs_lookup(ends.spot_rest), interface="ws")
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


@command(app, "level3", kind="private")
def level3(
    pairs: list[str] = typer.Argument(..., help="Pairs, e.g. BTC/USD.", autocompletion=complete_pair),
    depth: int = typer.Option(10, "--depth", help="Price levels per side: 10, 100 or 1000."),
    count: Optional[int] = COUNT,
    duration: Optional[float] = DURATION,
    raw: bool = RAW,
    url: Optional[str] = typer.Option(None, "--url", help="Level 3 WebSocket URL (overrides the profile), e.g. ws://127.0.0.1:8787/ws-l3/v2."),
) -> None:
    """Level 3: every order added to, changed in or removed from the book (needs a profile).

    Kraken's snapshot and update messages as sent (order id, price, quantity, time; events
    add, modify, delete), each checked against a local Level 3 book: a checksum mismatch
    is reported on stderr and the pair is subscribed again for a fresh snapshot.

    Example: kraken-ops stream level3 BTC/USD --profile bot1 --count 10
    """
    if depth not in LEVEL3_DEPTHS:
        raise typer.BadParameter("must be one of 10, 100, 1000", param_hint="--depth")
    opts = StreamOptions("spot", "level3", pairs, private=True, count=count, duration=duration, raw=raw, depth=depth)
    if opts.count is not None and opts.count < 1:
        raise typer.BadParameter("--count must be at least 1")
    ends = resolve_endpoints(_options_profile(), "spot", private=True)
    if url:
        ends.spot_l3_ws = url
    code = run_stream(opts, ends)
    if code:
        raise typer.Exit(code)


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
