"""The market: a mid per pair, a market maker quoting both sides at 100 levels, and a
crowd of takers producing public trades.

``Simulation.step()`` advances everything once; the server runs it every
``interval`` seconds. Everything random comes from ``ctx.rng`` (seeded by ``--seed``).

Only the pairs somebody uses are simulated, so that Kraken's whole universe costs nothing
while nobody looks at it. A pair is *hot* for :data:`ACTIVE_SECONDS` after a client named it
(a market-data request or WebSocket subscription, an order), while a user order rests on
it, and always for the dollar pairs that drive the Futures indexes; only hot pairs are stepped
and quoted. A pair that was left alone is woken when it is named again: its mid catches up
with one step of the elapsed time's volatility and the maker quotes it at once, so the
request sees a fresh book (history has a gap where nobody looked: no candles, trades or
spreads were made for it). Ticker without ``pair`` refreshes every pair of the class that is
older than :data:`REFRESH_SECONDS` without making them hot.

Where the mid comes from is the price feed's business (:mod:`kraken_ops.exchange.prices`):
pairs the feed does not drive (all of them with the default synthetic feed) follow a
seeded random walk and a seeded crowd; a pair the feed drives (``--prices live`` or
``replay:FILE``) is quoted at Kraken's book (its levels first, then the synthetic ladder
beyond them up to 100 levels), its history is rescaled to Kraken's price the first time,
and the crowd trades only when Kraken's tape moved (a ticker with a new last price or more
volume), taking the top of the book on the side of Kraken's last trade.
"""

from __future__ import annotations

import asyncio
import math
import time
from decimal import Decimal
from typing import Any, Iterable

from kraken_ops.exchange import markets
from kraken_ops.exchange.markets import PAIRS, Pair, find_pair, normalize_asset
from kraken_ops.exchange.prices import PriceFeed, Quote, SyntheticFeed

LEVELS = 100  # a side: enough for WS book depths 10, 25 and 100 and REST Depth's default count
#: seconds a pair stays hot after a client named it (monotonic wall time)
ACTIVE_SECONDS = 300.0
#: Ticker without ``pair`` requotes a pair whose quotes are older than this
REFRESH_SECONDS = 5.0
#: market data of a pair nobody used for this long (not hot, not quoted, no user order) is
#: dropped, so that memory follows what is used (a made pair holds ~0.65 MB of history)
FORGET_SECONDS = 3600.0
#: a request naming more pairs than this refreshes them without making them hot
MAX_HOT_PER_REQUEST = 10
#: a woken pair catches up at most this many steps of volatility (one day of 0.5 s steps)
MAX_CATCH_UP = 172_800


Levels = list[tuple[Decimal, Decimal]]


class Simulation:
    def __init__(self, ctx: Any, interval: float = 0.5, feed: PriceFeed | None = None) -> None:
        self.ctx = ctx
        self.interval = interval
        self.rng = ctx.rng
        self.steps = 0
        self.feed: PriceFeed = feed or SyntheticFeed()
        self._followed: dict[str, int] = {}  # pair id -> the feed quote's tape counter last seen
        self._ladders: dict[str, tuple[Levels, Levels]] = {}  # pair id -> the last ladder quoted from the feed
        self.interest: dict[str, float] = {}  # pair id -> when a client last named it (time.monotonic)
        self.last_step: dict[str, int] = {}  # pair id -> the step that last quoted it
        self.quoted_at: dict[str, float] = {}  # pair id -> when it was last quoted (time.monotonic)
        self.core: set[str] = self.core_pairs()

    def quotes(self, pair_id: str) -> tuple[Levels, Levels]:
        pd = self.ctx.markets.data[pair_id]
        pair = pd.pair
        mid = pd.mid
        step = max(pair.tick_size, pair.round_price(mid * Decimal("0.0001")))
        bids, asks = [], []
        offset = Decimal(0)
        for i in range(LEVELS):
            # strictly widening ladder (gaps of 1-3 steps), so that every level is a distinct
            # price and a depth-N subscription really gets N levels
            jitter = self.rng.randint(0, 2)
            offset += step * (1 + (jitter if i else 0))
            bq = pair.round_vol(pair.ordermin * Decimal(self.rng.randint(10, 3000)))
            aq = pair.round_vol(pair.ordermin * Decimal(self.rng.randint(10, 3000)))
            bp = pair.round_price(mid - offset)
            ap = pair.round_price(mid + offset)
            if bp > 0 and (not bids or bp < bids[-1][0]):
                bids.append((bp, bq))
            if not asks or ap > asks[-1][0]:
                asks.append((ap, aq))
        return bids, asks

    def feed_quotes(self, pair: Pair, q: Quote) -> tuple[Levels, Levels]:
        """The maker's ladder at the feed's book (or top of book), extended to LEVELS a side."""
        bids: Levels = []
        asks: Levels = []
        book_bids = sorted(q.bids.items(), reverse=True) if q.bids else [q.best_bid()]  # type: ignore[list-item]
        book_asks = sorted(q.asks.items()) if q.asks else [q.best_ask()]  # type: ignore[list-item]
        for levels, out, better in ((book_bids, bids, lambda a, b: a < b), (book_asks, asks, lambda a, b: a > b)):
            for price, qty in levels[:LEVELS]:
                p, v = pair.round_price(price), pair.round_vol(qty)
                if p > 0 and v > 0 and (not out or better(p, out[-1][0])):
                    out.append((p, v))
        mid = pair.round_price(q.mid())
        step = max(pair.tick_size, pair.round_price(mid * Decimal("0.0001")))
        for out, sign in ((bids, -1), (asks, 1)):
            price = out[-1][0] if out else mid
            while len(out) < LEVELS:
                price = pair.round_price(price + sign * step * (1 + self.rng.randint(0, 2)))
                if price <= 0:
                    break
                out.append((price, pair.round_vol(pair.ordermin * Decimal(self.rng.randint(10, 3000)))))
        return bids, asks

    def _follow(self, pair_id: str, q: Quote) -> tuple[Levels, Levels, str | None]:
        """Quotes from the feed; the crowd's side when Kraken's tape moved since the last step."""
        markets = self.ctx.markets
        pd = markets.data[pair_id]
        mid = pd.pair.round_price(q.mid())
        seen = self._followed.get(pair_id)
        if seen is None:
            markets.rebase(pair_id, mid)
        pd.mid = mid
        self._followed[pair_id] = q.tape
        bids, asks = self.feed_quotes(pd.pair, q)
        self._ladders[pair_id] = (bids, asks)
        side = None
        if seen is not None and q.tape != seen and q.last is not None:
            side = "buy" if q.last >= mid else "sell"
        return bids, asks, side

    # -- which pairs live ------------------------------------------------------------
    def core_pairs(self) -> set[str]:
        """Pairs always simulated: the dollar pairs of XBT and ETH and of every Futures index."""
        from kraken_ops.exchange.futures.instruments import INSTRUMENTS

        out: set[str] = set()
        bases = {"XXBT", "XETH"} | {i.base for i in INSTRUMENTS.values()}
        for base in bases:
            p = markets.UNIVERSE.usd_pair(normalize_asset(base) or base)
            if p is not None and p.id in PAIRS:
                out.add(p.id)
        return out

    def in_use(self) -> set[str]:
        """Pairs the accounts' state needs moving: a resting user order (its triggers and fills)
        or an open margin position (its value, margin level, margin call and liquidation)."""
        engine = self.ctx.engine
        out = {o.pair.id for o in engine.orders.values()}
        out.update(p.pair.id for p in getattr(engine, "positions", {}).values())
        return out

    def hot_pairs(self) -> list[str]:
        now = time.monotonic()
        hot = set(self.core)
        hot.update(pid for pid, t in self.interest.items() if now - t < ACTIVE_SECONDS)
        hot.update(self.in_use())
        for pid in [pid for pid, t in self.interest.items() if now - t >= ACTIVE_SECONDS]:
            del self.interest[pid]
        return [pid for pid in PAIRS if pid in hot]

    def wake(self, pair_id: str, hot: bool = True) -> None:
        """A client named ``pair_id``: keep it simulated (``hot``) and, if it was left alone,
        quote it now (its mid catches up with the time it was not stepped)."""
        if pair_id not in PAIRS:
            return
        if hot:
            self.interest[pair_id] = time.monotonic()
        last = self.last_step.get(pair_id)
        if last is None or self.steps - last > 1:
            self._step_pair(pair_id, self.ctx.clock(), missed=1 if last is None else self.steps - last)

    def wake_names(self, names: Iterable[Any]) -> None:
        """Wake the pairs ``names`` name; a request naming more than :data:`MAX_HOT_PER_REQUEST`
        pairs (ccxt's fetch_tickers names them all) refreshes them instead of making them hot."""
        pairs = [p.id for p in (find_pair(n) if isinstance(n, str) else None for n in names) if p is not None]
        if len(pairs) > MAX_HOT_PER_REQUEST:
            self.refresh(pairs)
            return
        for pid in pairs:
            self.wake(pid)

    def touch(self, pair_id: str) -> None:
        """Keep ``pair_id`` hot (a WebSocket subscription that is being served)."""
        self.interest[pair_id] = time.monotonic()

    def refresh(self, pair_ids: Iterable[str]) -> None:
        """Quote pairs whose quotes are older than :data:`REFRESH_SECONDS` (not making them hot)."""
        now = time.monotonic()
        for pid in pair_ids:
            if now - self.quoted_at.get(pid, -math.inf) > REFRESH_SECONDS and self.last_step.get(pid) != self.steps:
                last = self.last_step.get(pid)
                self._step_pair(pid, self.ctx.clock(), missed=1 if last is None else self.steps - last)

    # -- stepping -------------------------------------------------------------------------
    def _step_pair(self, pair_id: str, now: float, missed: int = 1) -> None:
        ctx = self.ctx
        q = self.feed.quote(pair_id)
        if q is None and pair_id in self._ladders:
            # followed before, but the feed's book is one-sided or crossed right now: hold
            ctx.engine.requote(pair_id, *self._ladders[pair_id])
        elif q is None:  # the seeded market
            sigma = 0.0004 * math.sqrt(min(max(missed, 1), MAX_CATCH_UP))
            ctx.markets.step(pair_id, sigma)
            bids, asks = self.quotes(pair_id)
            ctx.engine.requote(pair_id, bids, asks)
            if self.rng.random() < 0.6:
                pair = PAIRS[pair_id]
                qty = pair.round_vol(pair.ordermin * Decimal(self.rng.randint(1, 200)))
                ctx.engine.crowd_trade(pair_id, self.rng.choice(("buy", "sell")), qty)
        else:  # following Kraken
            bids, asks, side = self._follow(pair_id, q)
            ctx.engine.requote(pair_id, bids, asks)
            if side is not None:
                top = (asks if side == "buy" else bids)[:1]
                pair = PAIRS[pair_id]
                qty = min(top[0][1], pair.ordermin * 10) if top else pair.ordermin
                ctx.engine.crowd_trade(pair_id, side, max(pair.round_vol(qty), pair.ordermin))
        book = ctx.engine.books[pair_id]
        bb, ba = book.best("buy"), book.best("sell")
        if bb is not None and ba is not None:
            ctx.markets.record_spread(pair_id, bb, ba, now)
        self.last_step[pair_id] = self.steps
        self.quoted_at[pair_id] = time.monotonic()

    def step(self) -> None:
        now = self.ctx.clock()
        self.steps += 1
        hot = self.hot_pairs()
        for pair_id in hot:
            self._step_pair(pair_id, now)
        if self.steps % 120 == 0:
            self.forget_idle(set(hot))
        self.ctx.engine.tick()

    def forget_idle(self, hot: set[str]) -> list[str]:
        """Drop the market data and maker quotes of pairs left alone for :data:`FORGET_SECONDS`."""
        now = time.monotonic()
        engine, made = self.ctx.engine, self.ctx.markets.data.made()
        used = self.in_use()
        gone = [pid for pid in list(made) if pid not in hot and pid not in self.core and pid not in used
                and now - self.quoted_at.get(pid, now) >= FORGET_SECONDS]
        for pid in gone:
            engine.requote(pid, [], [])
            self.ctx.markets.data.forget(pid)
            self.last_step.pop(pid, None)
            self.quoted_at.pop(pid, None)
            self._ladders.pop(pid, None)
            self._followed.pop(pid, None)
        return gone

    async def run(self) -> None:
        while True:
            try:
                self.step()
            except Exception:  # pragma: no cover - keep the market alive
                import traceback

                traceback.print_exc()
            await asyncio.sleep(self.interval)
