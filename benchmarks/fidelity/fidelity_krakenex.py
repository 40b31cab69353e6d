"""Fidelity check: krakenex (unmodified, REST only) against the local exchange.

Not a test (pytest never collects it). Run by hand with a scratch venv::

    /tmp/ccxtvenv/bin/pip install krakenex
    /tmp/ccxtvenv/bin/python benchmarks/fidelity/fidelity_krakenex.py http://127.0.0.1:PORT /tmp/acct.json

Only the base URL is changed (``api.uri``). krakenex sends public calls as GET with a
query string, private calls as form posts built by ``requests`` from a dict, with a
millisecond nonce (``int(1000 * time.time())``) and no Content-Type charset.
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from importlib import metadata
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import krakenex
from _harness import Steps, die, load_credentials


def ok(answer: dict[str, Any]) -> Any:
    if answer.get("error"):
        raise RuntimeError(answer["error"])
    return answer["result"]


def main() -> int:
    if len(sys.argv) < 3:
        die(f"usage: {sys.argv[0]} BASE_URL CREDENTIALS.json")
    url = sys.argv[1].rstrip("/")
    key, secret = load_credentials(sys.argv[2])
    api = krakenex.API(key=key, secret=secret)
    api.uri = url
    steps = Steps(f"krakenex {metadata.version('krakenex')}")
    q, p = api.query_public, api.query_private
    steps.run("Time", lambda: ok(q("Time")), lambda r: "unixtime" in r)
    steps.run("AssetPairs", lambda: ok(q("AssetPairs", {"pair": "XBTUSD,ETHUSD"})), lambda r: len(r) == 2)
    ticker = steps.run("Ticker", lambda: ok(q("Ticker", {"pair": "XXBTZUSD"})), lambda r: "XXBTZUSD" in r)
    steps.run("Depth", lambda: ok(q("Depth", {"pair": "XBTUSD", "count": 100})),
              lambda r: len(r["XXBTZUSD"]["bids"]) == 100)
    steps.run("Trades", lambda: ok(q("Trades", {"pair": "XBTUSD"})), lambda r: "last" in r)
    steps.run("OHLC", lambda: ok(q("OHLC", {"pair": "XBTUSD", "interval": 60})), lambda r: "last" in r)
    steps.run("Balance", lambda: ok(p("Balance")), lambda r: "ZUSD" in r)
    steps.run("BalanceEx", lambda: ok(p("BalanceEx")), lambda r: "ZUSD" in r)
    steps.run("TradeBalance", lambda: ok(p("TradeBalance", {"asset": "ZUSD"})), lambda r: "eb" in r)
    if ticker:
        far = str((Decimal(ticker["XXBTZUSD"]["b"][0]) * Decimal("0.8")).quantize(Decimal("0.1")))
        added = steps.run("AddOrder", lambda: ok(p("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit",
                                                                 "volume": "0.01", "price": far, "oflags": "post,fciq"})),
                          lambda r: len(r["txid"]) == 1)
        if added:
            txid = added["txid"][0]
            steps.run("OpenOrders", lambda: ok(p("OpenOrders")), lambda r: txid in r["open"])
            steps.run("QueryOrders", lambda: ok(p("QueryOrders", {"txid": txid, "trades": True})), lambda r: txid in r)
            steps.run("CancelOrder", lambda: ok(p("CancelOrder", {"txid": txid})), lambda r: r["count"] == 1)
        steps.run("AddOrder(market)", lambda: ok(p("AddOrder", {"pair": "XBTUSD", "type": "sell", "ordertype": "market",
                                                                "volume": "0.001"})), lambda r: len(r["txid"]) == 1)
        # margin (issue 11, item 4): a position, OpenPositions both ways, a reduce-only close
        steps.run("AddOrder(leverage 3)", lambda: ok(p("AddOrder", {"pair": "XBTUSD", "type": "sell",
                                                                    "ordertype": "market", "volume": "0.01",
                                                                    "leverage": "3"})),
                  lambda r: r["descr"]["order"].endswith("with 3:1 leverage"))
        steps.run("OpenPositions(docalcs)", lambda: ok(p("OpenPositions", {"docalcs": True})),
                  lambda r: r and all(x["type"] == "sell" and "net" in x for x in r.values()))
        steps.run("OpenPositions(consolidation=market)", lambda: ok(p("OpenPositions", {"consolidation": "market"})),
                  lambda r: len(r) == 1 and r[0]["leverage"] == "3.00000")
        steps.run("AddOrder(trailing-stop, reduce_only)",
                  lambda: ok(p("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "trailing-stop",
                                            "volume": "0.01", "price": "+1.5%", "reduce_only": True})),
                  lambda r: r["descr"]["order"].endswith("trailing stop +1.5000%"))
        steps.run("AddOrder(market, reduce_only)",
                  lambda: ok(p("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01",
                                            "reduce_only": True})), lambda r: len(r["txid"]) == 1)
        steps.run("OpenPositions (closed)", lambda: ok(p("OpenPositions")), lambda r: r == {})
        steps.run("CancelAll", lambda: ok(p("CancelAll")), lambda r: r["count"] == 1)
    steps.run("ClosedOrders", lambda: ok(p("ClosedOrders", {"trades": True})), lambda r: r["count"] >= 1)
    steps.run("TradesHistory", lambda: ok(p("TradesHistory")), lambda r: r["count"] >= 1)
    steps.run("GetWebSocketsToken", lambda: ok(p("GetWebSocketsToken")), lambda r: r["expires"] == 900)
    return steps.summary()


if __name__ == "__main__":
    raise SystemExit(main())
