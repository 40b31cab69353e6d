"""The seeded market: a random-walk mid per pair, a market maker quoting both sides at
several levels, and a crowd of takers producing public trades.

``Simulation.step()`` advances everything once; the server runs it every
``interval`` seconds. Everything random comes from ``ctx.rng`` (seeded by ``--seed``).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from kraken_ops.exchange.markets import PAIRS

LEVELS = 100  # a side: enough for WS book depths 10, 25 and 100 and REST Depth's default count


class Simulation:
    def __init__(self, ctx: Any, interval: float = 0.5) -> None:
        self.ctx = ctx
        self.interval = interval
        self.rng = ctx.rng
        self.steps = 0

    def quotes(self, pair_id: str) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
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

    def step(self) -> None:
        ctx = self.ctx
        now = ctx.clock()
        self.steps += 1
        for pair_id in PAIRS:
            ctx.markets.step(pair_id)
            bids, asks = self.quotes(pair_id)
            ctx.engine.requote(pair_id, bids, asks)
            if self.rng.random() < 0.6:
                pair = PAIRS[pair_id]
                qty = pair.round_vol(pair.ordermin * Decimal(self.rng.randint(1, 200)))
                ctx.engine.crowd_trade(pair_id, self.rng.choice(("buy", "sell")), qty)
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
