"""The sandbox stays small (issue 10, item 13): lean public execution rows and a default cap.

Measured with the exchange's clock, not by waiting: the Futures engine is ticked once per
simulated second (as the server's background task does) while ``ctx.clock`` advances.
"""

from __future__ import annotations

import json
import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from kraken_ops.exchange import futures
from kraken_ops.exchange.context import DEFAULT_MAX_PUBLIC_ROWS
from kraken_ops.exchange.futures.engine import PUBLIC, compact_execution, event_data
from kraken_ops.exchange.server import make_context

HOUR = 3600
MB = 1_000_000


def _exchange(tmp_path: Any) -> tuple[Any, Any]:
    ctx = make_context(tmp_path, seed=1, fresh=True)
    engine = futures.setup(web.Application(), ctx)
    return ctx, engine


def _run(ctx: Any, engine: Any, seconds: int) -> None:
    """``seconds`` of an idle market on the exchange clock, pruning as the server does."""
    due = ctx.clock() + ctx.prune_interval
    for _ in range(seconds):
        ctx.clock.advance(1)
        engine.tick()
        if ctx.clock() >= due:
            due = ctx.clock() + ctx.prune_interval
            ctx.prune_public_data()


def _db_bytes(ctx: Any) -> int:
    ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(ctx.db.path)


def _public_rows(ctx: Any) -> int:
    return ctx.db.query("SELECT COUNT(*) AS n FROM fut_events WHERE account=?", (PUBLIC,))[0]["n"]


def test_an_idle_day_keeps_the_state_under_100_mb(tmp_path):
    ctx, engine = _exchange(tmp_path)
    try:
        start_bytes, start_rows = _db_bytes(ctx), _public_rows(ctx)
        _run(ctx, engine, HOUR)
        grown, rows = _db_bytes(ctx) - start_bytes, _public_rows(ctx) - start_rows
        assert rows > 3000  # the markets printed (about 3 trades a second, 5 instruments)
        per_row = grown / rows
        # growth is linear in the number of trades: a day is 24 such hours
        assert 24 * grown < 100 * MB, f"{grown / MB:.2f} MB an hour, {per_row:.0f} bytes a row"
        # and the default cap bounds a server that runs longer than that
        assert DEFAULT_MAX_PUBLIC_ROWS * per_row < 100 * MB
        assert ctx.max_public_rows == DEFAULT_MAX_PUBLIC_ROWS
    finally:
        ctx.db.close()


def test_public_history_is_capped_and_users_rows_stay(tmp_path):
    ctx, engine = _exchange(tmp_path)
    try:
        ctx.db.add_account("alice")
        engine.credit("alice", "flex", "USD", Decimal(100000), info="admin transfer")
        engine.new_order("alice", symbol="PF_XBTUSD", side="buy", order_type="mkt", size=Decimal("0.01"))
        mine = ctx.db.query("SELECT COUNT(*) AS n FROM fut_events WHERE account='alice'")[0]["n"]
        assert mine > 0
        ctx.max_public_rows = 500
        ctx.prune_interval = 100
        _run(ctx, engine, 1200)
        ctx.prune_public_data()
        assert _public_rows(ctx) == 500
        newest = ctx.db.query("SELECT MAX(time) AS t FROM fut_events WHERE account=?", (PUBLIC,))[0]["t"]
        assert newest >= int((ctx.clock() - 5) * 1000)  # the oldest went, the newest stayed
        assert ctx.db.query("SELECT COUNT(*) AS n FROM fut_events WHERE account='alice'")[0]["n"] == mine
    finally:
        ctx.db.close()


def test_no_cap_and_no_age_limit_keep_everything(tmp_path):
    ctx, engine = _exchange(tmp_path)
    try:
        ctx.max_public_rows = 0
        ctx.retention_days = 0
        _run(ctx, engine, 300)
        n = _public_rows(ctx)
        assert ctx.prune_public_data() == {}
        assert _public_rows(ctx) == n
    finally:
        ctx.db.close()


@pytest.mark.parametrize("inverse", [False, True])
def test_a_lean_execution_row_reads_back_as_the_full_event(tmp_path, inverse):
    ctx, engine = _exchange(tmp_path)
    try:
        symbol = "PI_XBTUSD" if inverse else "PF_XBTUSD"
        m = engine.markets[symbol]
        uid = str(uuid.uuid4())
        price, qty = Decimal("60123.5"), Decimal("1500") if inverse else Decimal("0.0125")
        full = engine._execution_event(uid, 1_700_000_000_123, price, qty, m, None, None, "sell")
        lean = compact_execution(uid, price, qty, m.mark, "sell")
        assert len(lean) < len(json.dumps(full)) / 8
        back = event_data(lean, symbol, 1_700_000_000_123)
        for role in ("makerOrder", "takerOrder"):  # anonymous orders' uids are derived, not drawn
            for ev in (full, back):
                assert uuid.UUID(ev["event"]["Execution"]["execution"][role].pop("uid")).version == 4
        assert back == json.loads(json.dumps(full))
    finally:
        ctx.db.close()
