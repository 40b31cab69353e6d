"""State growth is bounded: public market history older than ``--retention-days`` is pruned,
users' own accounts, balances, orders, trades, ledgers and history are kept forever."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import aiohttp
import pytest

from kraken_ops.exchange.context import Clock, Context
from kraken_ops.exchange.state import State

from .helpers import FuturesAPI
from .test_e2e_shared_server import spot_private

P = "/derivatives/api/v3"
DAY = 86400


def counts(state_dir, account: str) -> dict[str, int]:
    db = sqlite3.connect(f"file:{state_dir}/exchange.sqlite3?mode=ro", uri=True)
    try:
        one = lambda sql, *a: db.execute(sql, a).fetchone()[0]
        return {
            "accounts": one("SELECT COUNT(*) FROM accounts WHERE name=?", account),
            "balances": one("SELECT COUNT(*) FROM balances WHERE account=?", account),
            "orders": one("SELECT COUNT(*) FROM orders WHERE account=?", account),
            "trades": one("SELECT COUNT(*) FROM trades WHERE account=?", account),
            "ledgers": one("SELECT COUNT(*) FROM ledgers WHERE account=?", account),
            "fut_wallets": one("SELECT COUNT(*) FROM fut_wallets WHERE account=?", account),
            "fut_orders": one("SELECT COUNT(*) FROM fut_orders WHERE account=?", account),
            "fut_fills": one("SELECT COUNT(*) FROM fut_fills WHERE account=?", account),
            "fut_log": one("SELECT COUNT(*) FROM fut_log WHERE account=?", account),
            "fut_events": one("SELECT COUNT(*) FROM fut_events WHERE account=?", account),
        }
    finally:
        db.close()


def public_rows(state_dir, before_ms: int | None = None) -> int:
    db = sqlite3.connect(f"file:{state_dir}/exchange.sqlite3?mode=ro", uri=True)
    try:
        if before_ms is None:
            return db.execute("SELECT COUNT(*) FROM fut_events WHERE account='*'").fetchone()[0]
        return db.execute("SELECT COUNT(*) FROM fut_events WHERE account='*' AND time<?", (before_ms,)).fetchone()[0]
    finally:
        db.close()


async def wait_for(pred, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.1)


async def test_periodic_pruning_drops_old_public_data_and_keeps_user_history(exchange_factory, unique_name):
    server = exchange_factory()
    assert server.ctx.retention_days == 7
    acct = server.add_account(unique_name, fund={"USD": "50000", "XBT": "1"})
    async with aiohttp.ClientSession() as s:
        # spot: a market buy and a cancelled limit (orders, trades, ledgers)
        r = await spot_private(s, server.url, acct, "AddOrder",
                               {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"})
        assert r["error"] == [], r
        r = await spot_private(s, server.url, acct, "AddOrder", {"pair": "XBTUSD", "type": "buy",
                               "ordertype": "limit", "volume": "0.01", "price": "1000"})
        assert r["error"] == [], r
        assert (await spot_private(s, server.url, acct, "CancelAll", {}))["error"] == []
        r = await spot_private(s, server.url, acct, "WalletTransfer",
                               {"asset": "USD", "from": "Spot Wallet", "to": "Futures Wallet", "amount": "5000"})
        assert r["error"] == [], r
        # futures: a fill, a cancelled order (fills, account log, own history events)
        api = FuturesAPI(s, server.url, acct.futures_key, acct.futures_secret)
        assert (await api.send(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01"))["status"] == "placed"
        st = await api.send(orderType="lmt", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice="1000")
        assert (await api.post(f"{P}/cancelorder", {"order_id": st["order_id"]}))["cancelStatus"]["status"] == \
            "cancelled"
        before = counts(server.state_dir, acct.name)
        assert all(before.values()), before
        await wait_for(lambda: public_rows(server.state_dir) >= 3)   # background trades of the market
        old_public = public_rows(server.state_dir)

        # eight days later, the periodic task (polling the exchange clock) prunes within a second
        server.ctx.clock.advance(8 * DAY)
        cutoff_ms = int((server.ctx.clock() - 7 * DAY) * 1000)
        await wait_for(lambda: public_rows(server.state_dir, cutoff_ms) == 0)
        assert counts(server.state_dir, acct.name) == before   # nothing of the user's went

        # ... and the user still reads all of it through the API
        fills = (await api.get(f"{P}/fills"))["fills"]
        assert len(fills) == 1
        assert len((await api.get("/api/history/v2/executions"))["elements"]) == 1
        assert len((await api.get("/api/history/v2/account-log"))["logs"]) == before["fut_log"]
        th = await spot_private(s, server.url, acct, "TradesHistory", {})
        assert th["result"]["count"] == before["trades"]
        ledgers = await spot_private(s, server.url, acct, "Ledgers", {})
        assert ledgers["result"]["count"] == before["ledgers"]

        # public data made after the jump is younger than the window and stays
        await wait_for(lambda: public_rows(server.state_dir) >= 2)
        fresh = public_rows(server.state_dir)
        assert server.call(server.ctx.prune_public_data) == {"fut_events": 0}
        assert public_rows(server.state_dir) >= fresh
        assert old_public > 0
        pub = await api.public("/api/history/v2/market/PF_XBTUSD/executions", {"sort": "asc"})
        assert all(e["timestamp"] >= cutoff_ms for e in pub["elements"])


async def test_retention_zero_keeps_public_data(exchange_factory):
    server = exchange_factory()
    server.ctx.retention_days = 0
    await wait_for(lambda: public_rows(server.state_dir) >= 1)
    n = public_rows(server.state_dir)
    server.ctx.clock.advance(30 * DAY)
    assert server.call(server.ctx.prune_public_data) == {"fut_events": 0}  # only the row cap applies
    server.ctx.max_public_rows = 0
    assert server.call(server.ctx.prune_public_data) == {}
    await asyncio.sleep(1.5)   # the periodic task ran too
    assert public_rows(server.state_dir) >= n


def test_retention_setting_is_validated_and_reaches_the_context(tmp_path):
    with pytest.raises(ValueError):
        Context(State(tmp_path / "a", fresh=True), retention_days=-1)
    from kraken_ops.exchange.server import make_context

    ctx = make_context(tmp_path / "b", fresh=True, retention_days=2.5, clock=Clock())
    assert ctx.retention_days == 2.5
    ctx.db.close()
