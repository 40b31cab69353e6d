"""The market: a mid per pair, a market maker quoting both sides at 100 levels, and a
crowd of takers producing public trades.

``Simulation.step()`` advances everything once; the server runs it every
``interval`` seconds. Everything random comes from ``ctx.rng`` (seeded by ``--seed``).

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
from decimal import Decimal
from typing import Any

from kraken_ops.exchange.markets import PAIRS, Pair
from kraken_ops.exchange.prices import PriceFeed, Quote, SyntheticFeed

LEVELS = 100  # a side: enough for WS book depths 10, 25 and 100 and REST Depth's default count


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

    def step(self) -> None:
        ctx = self.ctx
        now = ctx.clock()
        self.steps += 1
        for pair_id in PAIRS:
            q = self.feed.quote(pair_id)
            if q is None and pair_id in self._ladders:
                # followed before, but the feed's book is one-sided or crossed right now: hold
                ctx.engine.requote(pair_id, *self._ladders[pair_id])
            elif q is None:  # the seeded market
                ctx.markets.step(pair_id)
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
        ctx.engine.tick()

    async def run(self) -> None:
        while True:
            try:
                self.step()
            except Exception:  # pragma: no cover - keep the market alive
                import traceback

                traceback.print_exc()
            await asyncio.sleep(self.interval)
