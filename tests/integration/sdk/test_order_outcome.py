"""Every order is placed exactly once, and its outcome is always known (issue 10, item 11).

The local exchange loses answers on purpose (``lost-response``: the request is handled
and committed, then the connection drops). The fault's random source is replaced by a
script, so each test decides which request loses its answer: the order itself, the
lookups, or everything. What must hold:

* an order whose answer was lost, but which was placed, comes back as Kraken's normal
  answer (found by its client order id) -- and exists exactly once on the exchange;
* an order that was not placed raises ``KrakenOrderNotPlacedError`` (safe to resend);
* when the lookup fails too, ``KrakenOutcomeUnknownError`` (not a network error, so
  retry loops leave it alone) carries the client order id and the command that checks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import pytest

from kraken_ops import exceptions as kx
from kraken_ops.futures import Trade as FTrade
from kraken_ops.spot import AsyncTrade, Funding, Trade

LOSE, KEEP = 0.0, 1.0


class Script:
    """Stands in for ``ctx.fault_rng``: ``random()`` answers from a list (then KEEP)."""

    def __init__(self, *values: float, before: Callable[[int], None] | None = None) -> None:
        self.values = list(values)
        self.calls = 0
        self.before = before

    def random(self) -> float:
        if self.before is not None:
            self.before(self.calls)
        self.calls += 1
        return self.values.pop(0) if self.values else KEEP

    def uniform(self, low: float, high: float) -> float:
        return low


@pytest.fixture
def lossy(exchange_factory: Any) -> Any:
    """An exchange with the lost-response fault on (its script decides which answers are lost)."""
    server = exchange_factory(faults=["lost-response=0.5"])
    server.ctx.fault_rng = Script()
    return server


@pytest.fixture
def account(lossy: Any) -> Any:
    return lossy.add_account("trader", fund={"ZUSD": "100000", "XXBT": "5"})


def spot_trade(server: Any, account: Any, cls: type = Trade) -> Any:
    return cls(key=account.spot_key, secret=account.spot_secret, url=server.url)


def orders_with(server: Any, account: Any, cl_ord_id: str) -> list[Any]:
    rows = server.db.query("SELECT data FROM orders WHERE account=?", (account.name,))
    import json

    return [r for r in rows if json.loads(r["data"]).get("cl_ord_id") == cl_ord_id]


def limit(**extra: Any) -> dict[str, Any]:
    return {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": "0.01", "price": "1000", **extra}


# --- Spot AddOrder ---------------------------------------------------------------------------------
def test_a_lost_answer_to_a_placed_order_returns_krakens_answer_and_one_order(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)  # AddOrder is committed, its answer lost
    result = spot_trade(lossy, account).create_order(**limit(cl_ord_id="mine-1"))
    (txid,) = result["txid"]
    assert result == {"descr": {"order": "buy 0.01000000 XBTUSD @ limit 1000.0"}, "txid": [txid]}
    assert len(orders_with(lossy, account, "mine-1")) == 1


def test_an_order_without_client_order_id_gets_one_and_is_found_by_it(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE, LOSE, LOSE)  # the order, then two lookups lose their answers
    result = spot_trade(lossy, account).create_order(**limit())
    (txid,) = result["txid"]
    rows = lossy.db.query("SELECT data FROM orders WHERE account=?", (account.name,))
    assert len(rows) == 1
    assert '"cl_ord_id"' in rows[0]["data"]


async def test_the_async_client_recovers_a_lost_answer_the_same_way(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    async with spot_trade(lossy, account, AsyncTrade) as trade:
        result = await trade.create_order(**limit(cl_ord_id="async-1"))
    assert result["txid"] and len(orders_with(lossy, account, "async-1")) == 1


def test_when_the_lookup_fails_too_the_outcome_is_unknown_and_never_a_network_error(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(*[LOSE] * 50)  # every answer is lost
    with pytest.raises(kx.KrakenOutcomeUnknownError) as info:
        spot_trade(lossy, account).create_order(**limit(cl_ord_id="lost-1"))
    error = info.value
    assert not isinstance(error, kx.KrakenNetworkError)  # code that retries network errors leaves it alone
    assert (error.outcome, error.cl_ord_id, error.retryable) == ("unknown", "lost-1", False)
    assert error.check == "kraken-ops orders show --cl-ord-id lost-1"
    assert isinstance(error.__cause__, kx.KrakenNetworkError)
    assert len(orders_with(lossy, account, "lost-1")) == 1  # placed once, never twice


def test_an_order_that_never_reached_the_engine_is_reported_not_placed(lossy: Any, account: Any) -> None:
    lossy.ctx.faults["lost_response"] = None
    lossy.ctx.faults["http_502"] = 1.0
    lossy.ctx.fault_rng = Script(LOSE)  # a proxy answers 502 for AddOrder, before the exchange sees it
    with pytest.raises(kx.KrakenOrderNotPlacedError) as info:
        spot_trade(lossy, account).create_order(**limit(cl_ord_id="never-1"))
    assert info.value.outcome == "not_placed" and info.value.cl_ord_id == "never-1"
    assert isinstance(info.value, kx.KrakenNetworkError)  # sending it again is safe
    assert orders_with(lossy, account, "never-1") == []


def test_a_dry_run_gets_no_client_order_id_and_a_plain_network_error(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    with pytest.raises(kx.KrakenNetworkError) as info:
        spot_trade(lossy, account).create_order(**limit(validate=True))
    assert not isinstance(info.value, (kx.KrakenOutcomeNotAppliedError, kx.KrakenOutcomeUnknownError))


def test_a_lost_batch_answer_lists_the_orders_found(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    orders = [{"ordertype": "limit", "type": "buy", "volume": "0.01", "price": p} for p in ("1000", "1001")]
    result = spot_trade(lossy, account).create_order_batch(orders=orders, pair="XBTUSD")
    assert [sorted(o) for o in result["orders"]] == [["descr", "txid"], ["descr", "txid"]]
    assert sorted(o["descr"]["order"] for o in result["orders"]) == ["buy 0.01000000 XBTUSD @ limit 1000.0", "buy 0.01000000 XBTUSD @ limit 1001.0"]


# --- Spot cancels and amends -------------------------------------------------------------------------
def test_a_lost_cancel_is_checked_by_querying_the_order(lossy: Any, account: Any) -> None:
    trade = spot_trade(lossy, account)
    (txid,) = trade.create_order(**limit())["txid"]
    lossy.ctx.fault_rng = Script(LOSE)
    assert trade.cancel_order(txid=txid) == {"count": 1}


def test_a_lost_amend_is_checked_in_the_order_amends(lossy: Any, account: Any) -> None:
    trade = spot_trade(lossy, account)
    (txid,) = trade.create_order(**limit())["txid"]
    lossy.ctx.fault_rng = Script(LOSE)
    result = trade.amend_order(txid=txid, limit_price="1100")
    assert set(result) == {"amend_id"} and result["amend_id"]


def test_a_cancel_that_did_not_happen_is_reported_not_applied(lossy: Any, account: Any) -> None:
    trade = spot_trade(lossy, account)
    (txid,) = trade.create_order(**limit())["txid"]
    lossy.ctx.faults["http_502"] = 1.0
    lossy.ctx.fault_rng = Script(LOSE)
    with pytest.raises(kx.KrakenOutcomeNotAppliedError, match="still open"):
        trade.cancel_order(txid=txid)


# --- writes that cannot be looked up ---------------------------------------------------------------------
def test_a_lost_withdrawal_answer_is_unknown_with_the_command_that_checks(lossy: Any, account: Any) -> None:
    funding = Funding(key=account.spot_key, secret=account.spot_secret, url=lossy.url)
    lossy.ctx.fault_rng = Script(LOSE)
    with pytest.raises(kx.KrakenOutcomeUnknownError) as info:
        funding.wallet_transfer(asset="ZUSD", from_="Spot Wallet", to_="Futures Wallet", amount="10")
    assert info.value.check == "kraken-ops ledgers list --type transfer"


# --- Futures --------------------------------------------------------------------------------------------
@pytest.fixture
def futures_trade(lossy: Any, account: Any) -> Any:
    Funding(key=account.spot_key, secret=account.spot_secret, url=lossy.url).wallet_transfer(
        asset="ZUSD", from_="Spot Wallet", to_="Futures Wallet", amount="20000"
    )
    return FTrade(key=account.futures_key, secret=account.futures_secret, url=lossy.url)


def test_a_lost_futures_order_answer_comes_back_as_its_send_status(lossy: Any, futures_trade: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    result = futures_trade.create_order(orderType="lmt", size="0.001", symbol="PF_XBTUSD", side="buy", limitPrice="1000", cliOrdId="f-1")
    status = result["sendStatus"]
    assert (result["result"], status["status"], status["cliOrdId"]) == ("success", "placed", "f-1") and status["order_id"]
    open_orders = [o for o in _open_futures(lossy, futures_trade) if o.get("cliOrdId") == "f-1"]
    assert len(open_orders) == 1


def _open_futures(server: Any, trade: Any) -> list[dict[str, Any]]:
    from kraken_ops.futures import User

    return User(key=trade._key, secret=trade._secret, url=server.url).get_open_orders()["openOrders"]


def test_a_futures_order_closed_long_ago_is_found_in_the_order_history(lossy: Any, futures_trade: Any) -> None:
    # orders/status only knows orders closed in the last 5 s: move the clock past that before the lookup
    lossy.ctx.fault_rng = Script(LOSE, before=lambda n: lossy.ctx.clock.advance(10) if n == 0 else None)
    result = futures_trade.create_order(orderType="mkt", size="0.001", symbol="PF_XBTUSD", side="buy", cliOrdId="f-mkt")
    assert result["sendStatus"]["status"] == "placed" and result["sendStatus"]["order_id"]


def test_a_futures_order_that_never_arrived_is_not_placed(lossy: Any, futures_trade: Any) -> None:
    lossy.ctx.faults["lost_response"] = None
    lossy.ctx.faults["http_502"] = 1.0
    lossy.ctx.fault_rng = Script(LOSE)
    with pytest.raises(kx.KrakenOrderNotPlacedError):
        futures_trade.create_order(orderType="lmt", size="0.001", symbol="PF_XBTUSD", side="buy", limitPrice="1000")
    assert _open_futures(lossy, futures_trade) == []


def test_a_lost_futures_cancel_is_checked_by_order_status(lossy: Any, futures_trade: Any) -> None:
    placed = futures_trade.create_order(orderType="lmt", size="0.001", symbol="PF_XBTUSD", side="buy", limitPrice="1000")
    lossy.ctx.fault_rng = Script(LOSE)
    cancelled = futures_trade.cancel_order(order_id=placed["sendStatus"]["order_id"])
    assert cancelled["cancelStatus"]["status"] == "cancelled"
    assert _open_futures(lossy, futures_trade) == []


def test_a_lost_futures_batch_of_sends_is_looked_up(lossy: Any, futures_trade: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    batch = [{"order": "send", "order_tag": str(i), "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.001", "limitPrice": str(1000 + i)} for i in range(2)]
    result = futures_trade.create_batch_order(batchorder_list=batch)
    assert [s["status"] for s in result["batchStatus"]] == ["placed", "placed"]
    assert len(_open_futures(lossy, futures_trade)) == 2


def test_amounts_survive_recovery_exactly(lossy: Any, account: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    result = spot_trade(lossy, account).create_order(**limit(volume=Decimal("0.12345678"), price="1000.1"))
    assert result["descr"]["order"] == "buy 0.12345678 XBTUSD @ limit 1000.1"
