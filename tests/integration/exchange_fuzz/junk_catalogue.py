"""Every endpoint of the local exchange, signed requests with junk parameters, and what
counts as a Kraken-shaped answer.

Shared by the property-based tests (``test_junk_params.py``) and the benchmark
``benchmarks/bench_junk_params.py``. An endpoint is described by a baseline request that
gets deep into the endpoint (a resting order to amend, a ledger id to query...); a junk
request replaces one or more of its parameters (or path parameters) with junk. Values
starting with ``@`` are filled in from the :class:`World` (ids of live objects).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable
from urllib.parse import quote, urlencode

import requests

from kraken_ops.exchange.auth import spot_signature
from kraken_ops.exchange.futures.auth import authent, endpoint_path

# ------------------------------------------------------------------ junk
#: text junk: what a form body or a query string can carry
JUNK_TEXT: list[str] = [
    "", " ", "abc", "1e400", "-1e400", "+1e400", "1e30", "1E+30", "-1e30", "1e-400", "1e-30", "NaN", "-nan",
    "sNaN", "Infinity", "-inf", "0", "-0", "-1", "0.5", "-0.5", "1.5", "2147483648", "-2147483649",
    "18446744073709551616", "99999999999999999999999", "9" * 5000, "0." + "0" * 60 + "1", "0x10", "1_000",
    "١٢٣", "+1", "1e5", "\x00", "∞", "null", "true", "false", "[]", "{}", "[1,2]", '{"a":1}', ",", "a,b",
    ",,,", "%", "%00", "1.0000000000000000000000000000001", "123456789012345678901234567890.5",
    "2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "0000-00-00", "+", "-", "..",
    "1..2", " 1 ", "XBTUSD", "buy", "limit", "all", "A" * 300, "é" * 40, "🙂",
]
#: JSON-only junk: types a JSON body can carry besides strings
JUNK_JSON: list[Any] = [
    None, True, False, 0, -1, 1.5, 1e308, -1e308, 10**30, 10**400, 2**64, float("nan"), float("inf"), [], ["a"],
    [1, 2], [[1]], [None], {}, {"a": 1}, {"x": {"y": [1]}}, "",
]


#: path-parameter values that change the URL's structure instead of filling the segment
#: (``/tickers/`` and ``/tickers/..`` are other URLs): aiohttp answers 404 for those, as for any
#: unknown path, so junk path parameters leave them out
NOT_A_SEGMENT = frozenset({"", ".", ".."})


#: aiohttp's limit on the request line (the URL with its query string): a longer one is answered
#: HTTP 400 by the HTTP parser before any handler runs (Kraken's front answers 414 there), so
#: junk in query strings stays below it
MAX_URL = 8000


# ------------------------------------------------------------------ endpoints
@dataclass(frozen=True)
class Endpoint:
    """One route: ``api`` is spot-public, spot-private, futures-public or futures-private."""

    api: str
    http: str
    path: str                                   # may hold {placeholders} of path_params
    params: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()                 # optional parameters absent from the baseline
    json_body: bool = True                      # the endpoint also takes a JSON body

    @property
    def name(self) -> str:
        return f"{self.http} {self.path}"

    @property
    def fuzzable(self) -> list[str]:
        return list(self.params) + list(self.extra)


def _sp(endpoint: str, /, **params: Any) -> Endpoint:
    return Endpoint("spot-public", "GET", f"/0/public/{endpoint}", params, json_body=False)


def _s(endpoint: str, extra: Iterable[str] = (), /, **params: Any) -> Endpoint:
    return Endpoint("spot-private", "POST", f"/0/private/{endpoint}", params, extra=tuple(extra))


_LIMIT = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "1000.0"}
_ORDER_EXTRA = ("price2", "trigger", "leverage", "reduce_only", "stptype", "oflags", "timeinforce", "starttm",
                "expiretm", "userref", "cl_ord_id", "displayvol", "close[ordertype]", "close[price]",
                "close[price2]", "deadline", "asset_class")

SPOT: list[Endpoint] = [
    _sp("Time"), _sp("SystemStatus"),
    _sp("Assets", asset="XBT", aclass="currency"),
    _sp("AssetPairs", pair="XBTUSD", info="info", aclass_base="currency", country_code="US"),
    _sp("Ticker", pair="XBTUSD", asset_class="currency"),
    _sp("OHLC", pair="XBTUSD", interval="5", since="0", asset_class="currency"),
    _sp("Depth", pair="XBTUSD", count="10", asset_class="currency"),
    _sp("Trades", pair="XBTUSD", since="0", count="10", asset_class="currency"),
    _sp("Spread", pair="XBTUSD", since="0", asset_class="currency"),
    _sp("GroupedBook", pair="XBTUSD", depth="10", grouping="1"),
    _s("Balance"), _s("BalanceEx"), _s("TradeBalance", asset="ZUSD"), _s("CreditLines"),
    _s("Level3", pair="XBTUSD", depth="10"),
    _s("OpenOrders", trades="true", userref="7", cl_ord_id="@cl_ord_id"),
    _s("ClosedOrders", trades="true", start="0", end="9999999999", ofs="0", closetime="both", userref="7",
       cl_ord_id="@cl_ord_id"),
    _s("QueryOrders", txid="@txid", trades="true", userref="7"),
    _s("OrderAmends", order_id="@txid"),
    _s("TradesHistory", type="all", start="0", end="9999999999", ofs="0", ledgers="true"),
    _s("QueryTrades", txid="@trade_txid", trades="true"),
    _s("OpenPositions", ("consolidation",), txid="@posid", docalcs="true"),
    _s("TradeVolume", pair="XBTUSD"),
    _s("Ledgers", asset="XBT", aclass="currency", type="all", start="0", end="9999999999", ofs="0",
       without_count="false"),
    _s("QueryLedgers", id="@ledger_id", trades="true"),
    _s("AddOrder", _ORDER_EXTRA, validate="true", **_LIMIT),
    _s("AddOrder", ("validate",) + _ORDER_EXTRA, **_LIMIT),
    # margin orders, relative prices, trailing stops and settlement (issue 11)
    _s("AddOrder", ("validate",) + _ORDER_EXTRA, **{**_LIMIT, "price": "-5%", "leverage": "2"}),
    _s("AddOrder", _ORDER_EXTRA, validate="true", pair="XBTUSD", type="sell", ordertype="trailing-stop-limit",
       volume="0.01", price="+50", price2="-10", trigger="index"),
    _s("AddOrder", _ORDER_EXTRA, validate="true", pair="XBTUSD", type="sell", ordertype="settle-position",
       volume="0.001", leverage="2"),
    _s("AddOrderBatch", ("validate", "deadline", "asset_class"), pair="XBTUSD",
       orders=[{"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "1000.0"},
               {"ordertype": "limit", "type": "sell", "volume": "0.01", "price": "900000.0"}]),
    _s("AmendOrder", ("display_qty", "trigger_price", "post_only", "deadline", "pair", "asset_class", "cl_ord_id"),
       txid="@txid", order_qty="0.02", limit_price="1001.0"),
    _s("EditOrder", ("displayvol", "price2", "oflags", "deadline", "cancel_response", "userref", "asset_class"),
       txid="@txid", pair="XBTUSD", volume="0.02", price="1002.0", validate="true"),
    _s("CancelOrder", ("cl_ord_id",), txid="@txid"),
    _s("CancelAll"),
    _s("CancelAllOrdersAfter", timeout="60"),
    _s("CancelOrderBatch", ("cl_ord_ids",), orders=["@txid"]),
    _s("GetWebSocketsToken"),
    _s("AddExport", ("starttm", "endtm", "asset"), report="ledgers", format="CSV", description="fuzz",
       fields="all"),
    _s("ExportStatus", report="ledgers"),
    _s("RetrieveExport", id="@export_id"),
    _s("RemoveExport", id="@export_id", type="cancel"),
    _s("DepositMethods", asset="XBT", aclass="currency"),
    _s("DepositAddresses", ("amount",), asset="XBT", method="Bitcoin", new="false", aclass="currency"),
    _s("DepositStatus", ("start", "end", "limit"), asset="XBT", method="Bitcoin", cursor="false",
       aclass="currency"),
    _s("WithdrawMethods", ("network",), asset="XBT", aclass="currency"),
    _s("WithdrawAddresses", ("verified",), asset="XBT", aclass="currency", method="Bitcoin", key="cold"),
    _s("WithdrawInfo", asset="XBT", key="cold", amount="0.5", aclass="currency"),
    _s("Withdraw", ("max_fee",), asset="XBT", key="cold", address="bc1qfuzz", amount="0.01", aclass="currency"),
    _s("WithdrawStatus", ("start", "end", "limit"), asset="XBT", method="Bitcoin", cursor="false",
       aclass="currency"),
    _s("WithdrawCancel", asset="XBT", refid="@refid"),
    _s("WalletTransfer", asset="XBT", amount="0.01", **{"from": "Spot Wallet", "to": "Futures Wallet"}),
    _s("CreateSubaccount", username="fuzzsub2", email="fuzz@example.com"),
    _s("AccountTransfer", asset="XBT", amount="0.01", asset_class="currency", **{"from": "@me", "to": "@sub"}),
    _s("Earn/Strategies", ascending="true", asset="DOT", cursor="", limit="10", lock_type="instant"),
    _s("Earn/Allocations", ascending="true", converted_asset="USD", hide_zero_allocations="true"),
    _s("Earn/Allocate", amount="1", strategy_id="@strategy"),
    _s("Earn/Deallocate", amount="1", strategy_id="@strategy"),
    _s("Earn/AllocateStatus", strategy_id="@strategy"),
    _s("Earn/DeallocateStatus", strategy_id="@strategy"),
]

F = "/derivatives/api/v3"


def _fp(path: str, path_params: dict[str, str] | None = None, /, **params: Any) -> Endpoint:
    return Endpoint("futures-public", "GET", path, params, path_params or {}, json_body=False)


def _f(http: str, path: str, extra: Iterable[str] = (), /, path_params: dict[str, str] | None = None,
       **params: Any) -> Endpoint:
    return Endpoint("futures-private", http, path, params, path_params or {}, extra=tuple(extra),
                    json_body=http == "POST")


_HISTORY_PAGE = {"since": "0", "before": "99999999999999", "count": "10", "sort": "asc"}

FUTURES: list[Endpoint] = [
    _fp(f"{F}/instruments"), _fp(f"{F}/instruments/status"),
    _fp(F + "/instruments/{symbol}/status", {"symbol": "PF_XBTUSD"}),
    _fp(f"{F}/tickers"), _fp(F + "/tickers/{symbol}", {"symbol": "PF_XBTUSD"}),
    _fp(f"{F}/orderbook", symbol="PF_XBTUSD"),
    _fp(f"{F}/history", symbol="PF_XBTUSD", lastTime="2030-01-01T00:00:00.000Z"),
    _fp(f"{F}/feeschedules"),
    _fp("/derivatives/api/v4/historicalfundingrates", symbol="PF_XBTUSD"),
    _f("GET", f"{F}/feeschedules/volumes"), _f("GET", f"{F}/accounts"), _f("GET", f"{F}/openpositions"),
    _f("GET", f"{F}/openorders"), _f("GET", f"{F}/fills", lastFillTime="2030-01-01T00:00:00.000Z"),
    _f("GET", f"{F}/notifications"), _f("GET", f"{F}/unwindqueue"), _f("GET", f"{F}/subaccounts"),
    _f("GET", F + "/subaccount/{uid}/trading-enabled", path_params={"uid": "@f_uid"}),
    _f("PUT", F + "/subaccount/{uid}/trading-enabled", path_params={"uid": "@f_uid"}, tradingEnabled="true"),
    _f("GET", f"{F}/leveragepreferences"), _f("GET", f"{F}/pnlpreferences"),
    _f("GET", f"{F}/trading/instruments", contractType="flexible_futures"),
    _f("GET", f"{F}/transfers", lastTransferTime="2030-01-01T00:00:00.000Z"),
    _f("GET", f"{F}/assignmentprogram/current"),
    _f("PUT", f"{F}/leveragepreferences", symbol="PF_XBTUSD", maxLeverage="10"),
    _f("PUT", f"{F}/pnlpreferences", symbol="PF_XBTUSD", pnlPreference="USD"),
    _f("POST", f"{F}/sendorder", ("stopPrice", "triggerSignal", "reduceOnly", "cliOrdId"), orderType="lmt",
       symbol="PF_XBTUSD", side="buy", size="0.001", limitPrice="1000"),
    _f("POST", f"{F}/sendorder", ("limitPrice", "reduceOnly"), orderType="stp", symbol="PF_XBTUSD", side="buy",
       size="0.001", stopPrice="900000", triggerSignal="mark"),
    _f("POST", f"{F}/editorder", ("cliOrdId", "stopPrice"), orderId="@f_order", size="0.002", limitPrice="1001"),
    _f("POST", f"{F}/cancelorder", ("cliOrdId",), order_id="@f_order"),
    _f("POST", f"{F}/cancelallorders", symbol="PF_XBTUSD"),
    _f("POST", f"{F}/cancelallordersafter", timeout="60"),
    _f("POST", f"{F}/batchorder", json="@batch"),
    _f("POST", f"{F}/orders/status", orderIds="@f_order", cliOrdIds="@f_cli"),
    _f("GET", f"{F}/orders/status", orderIds="@f_order", cliOrdIds="@f_cli"),
    _f("POST", f"{F}/transfer", fromAccount="flex", toAccount="cash", unit="USD", amount="1"),
    _f("POST", f"{F}/transfer/subaccount", fromUser="@me", toUser="@sub", fromAccount="flex", toAccount="flex",
       unit="USD", amount="1"),
    _f("POST", f"{F}/withdrawal", currency="USD", amount="1", sourceWallet="flex"),
]
for _v in ("v2", "v3"):
    for _kind in ("orders", "executions", "triggers"):
        FUTURES.append(_f("GET", f"/api/history/{_v}/{_kind}", ("continuation_token",), tradeable="PF_XBTUSD",
                          **_HISTORY_PAGE))
    FUTURES.append(_fp(f"/api/history/{_v}/market/{{tradeable}}/orders", {"tradeable": "PF_XBTUSD"},
                       **_HISTORY_PAGE))
    FUTURES.append(_fp(f"/api/history/{_v}/market/{{tradeable}}/executions", {"tradeable": "PF_XBTUSD"},
                       continuation_token="MQ==", **_HISTORY_PAGE))
    FUTURES.append(_fp(f"/api/history/{_v}/market/{{tradeable}}/price", {"tradeable": "PF_XBTUSD"},
                       continuation_token="MQ==", **_HISTORY_PAGE))
    FUTURES.append(_f("GET", f"/api/history/{_v}/account-log", ("from", "to"), info="futures trade",
                      **_HISTORY_PAGE))
    FUTURES.append(_f("GET", f"/api/history/{_v}/accountlogcsv"))
FUTURES += [
    _fp("/api/charts/v1/"), _fp("/api/charts/v1/{tick_type}", {"tick_type": "trade"}),
    _fp("/api/charts/v1/{tick_type}/{symbol}", {"tick_type": "mark", "symbol": "PF_XBTUSD"}),
    _fp("/api/charts/v1/{tick_type}/{symbol}/{resolution}",
        {"tick_type": "trade", "symbol": "PF_XBTUSD", "resolution": "1h"}, **{"from": "0", "to": "9999999999"}),
]

ENDPOINTS: list[Endpoint] = SPOT + FUTURES


# ------------------------------------------------------------------ the world the requests act on
def exchange_server(state_dir: str, seed: int = 1) -> Any:
    """A running :class:`ExchangeServer` of tests/conftest.py, loaded by path (under pytest the
    name ``conftest`` may belong to another folder's conftest)."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "_kraken_ops_tests_conftest"
    mod = sys.modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[2] / "conftest.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return mod.ExchangeServer(state_dir, seed=seed)



class World:
    """An account (with a subaccount, funds, resting orders, ledgers, an export, a withdrawal)
    on a running :class:`ExchangeServer` (tests/conftest.py), and signed clients for it."""

    def __init__(self, server: Any, name: str = "fuzz") -> None:
        from kraken_ops.exchange.futures.engine import account_uid

        self.server = server
        self.ctx = server.ctx
        self.url = server.url
        self.name = name
        self.sub = name + "sub"
        self.session = requests.Session()
        self._nonce = time.time_ns()
        self._lock = threading.Lock()
        db = server.db
        self.acct = server.add_account(name, {"USD": "100000000", "XBT": "1000", "ETH": "1000", "DOT": "100000",
                                              "EUR": "1000000"}, nonce_window=10**15)
        db.add_account(self.sub, parent=name)
        db.add_withdraw_key(name, "XXBT", "cold", "bc1qfuzz")
        eng = self.ctx.futures_engine
        for wallet, amount in (("flex", 10_000_000), ("cash", 1_000_000)):
            server.call(lambda w=wallet, a=amount: eng.credit(name, w, "USD", Decimal(a), info="admin transfer"))
        self.ids: dict[str, str] = {"@me": name, "@sub": self.sub, "@cl_ord_id": "fuzz-rest",
                                    "@f_cli": "fuzz-fut-rest", "@strategy": "ESRFUO3-Q62XD-WIOIL7",
                                    "@f_uid": account_uid(self.sub)}
        # a trade and ledgers, an export, a withdrawal
        self.spot("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"})
        self.ids["@trade_txid"] = db.query("SELECT txid FROM trades WHERE account=?", (name,))[0]["txid"]
        # a margin position (OpenPositions, reduce_only, settle-position reach it)
        self.spot("AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01",
                               "leverage": "2"})
        self.ids["@posid"] = next(iter(self.ctx.engine.positions))
        self.ids["@ledger_id"] = db.query("SELECT id FROM ledgers WHERE account=?", (name,))[0]["id"]
        r = self.spot("AddExport", {"report": "ledgers", "description": "fuzz"}).json()
        self.ids["@export_id"] = r["result"]["id"]
        r = self.spot("Withdraw", {"asset": "XBT", "key": "cold", "amount": "0.01"}).json()
        self.ids["@refid"] = r["result"]["refid"]
        self.ensure()

    # -- live objects -------------------------------------------------------
    def ensure(self) -> None:
        """Put back what a junk request may have used up: the resting orders, the funds."""
        def spot_order() -> str:
            eng = self.ctx.engine
            for o in eng.orders.values():
                if o.account == self.name and o.cl_ord_id == "fuzz-rest":
                    return o.txid
            acct = self.ctx.account_by_name(self.name)
            eng.cancel_all(acct)  # stay far from the open-orders limit
            eng.add_order(acct, {**_LIMIT, "cl_ord_id": "fuzz-rest"}, counter=False)
            return next(o.txid for o in eng.orders.values() if o.account == self.name)

        def futures_order() -> str:
            eng = self.ctx.futures_engine
            for o in eng.orders.values():
                if o.account == self.name and o.cli_ord_id == "fuzz-fut-rest":
                    return o.order_id
            eng.cancel_all(self.name)
            o, _ = eng.new_order(self.name, symbol="PF_XBTUSD", side="buy", order_type="lmt", size=Decimal("0.001"),
                                 limit_price=Decimal(1000), cli_ord_id="fuzz-fut-rest")
            return o.order_id

        self.ids["@txid"] = self.server.call(spot_order)
        self.ids["@f_order"] = self.server.call(futures_order)
        self.ids["@batch"] = json.dumps({"batchOrder": [
            {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
             "size": 0.001, "limit_price": 1000},
            {"order": "edit", "order_id": self.ids["@f_order"], "size": 0.002},
            {"order": "cancel", "order_id": "00000000-0000-0000-0000-000000000000"}]})
        # rate limits decay with the exchange clock: move it on instead of waiting
        self.ctx.clock.advance(6)

    def fill(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return self.ids.get(value, value)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    # -- requests -----------------------------------------------------------
    def nonce(self) -> int:
        with self._lock:
            self._nonce = max(self._nonce + 1, time.time_ns())
            return self._nonce

    def spot(self, method: str, params: dict[str, Any], json_body: bool = False) -> requests.Response:
        return self.send(Endpoint("spot-private", "POST", f"/0/private/{method}"), params, {}, json_body)

    def send(self, ep: Endpoint, params: dict[str, Any], path_params: dict[str, Any],
             json_body: bool = False) -> requests.Response:
        """Send ``params`` to ``ep``, signed for the world's account when private."""
        path = ep.path.format(**{k: quote(str(v), safe="") for k, v in path_params.items()}) \
            if path_params else ep.path
        url = self.url + path
        if ep.api == "spot-public":
            return self.session.get(url + "?" + _form(params) if params else url, timeout=30)
        if ep.api == "spot-private":
            nonce = self.nonce()
            body = json.dumps({**params, "nonce": str(nonce)}) if json_body else \
                _form({**params, "nonce": nonce})
            sig = spot_signature(self.acct.spot_secret, path, str(nonce), body.encode())
            ctype = "application/json" if json_body else "application/x-www-form-urlencoded"
            return self.session.post(url, data=body.encode(), timeout=30,
                                     headers={"API-Key": self.acct.spot_key, "API-Sign": sig, "Content-Type": ctype})
        # futures
        if ep.http == "POST":
            query, body = "", (json.dumps(params) if json_body else _form(params))
        else:
            query, body = _form(params), ""
        headers = {"Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"}
        if ep.api == "futures-private":
            nonce = str(self.nonce())
            headers.update({"APIKey": self.acct.futures_key, "Nonce": nonce,
                            "Authent": authent(self.acct.futures_secret, query + body, nonce, endpoint_path(path))})
        full = url + ("?" + query if query else "")
        return self.session.request(ep.http, full, data=body.encode() if body else None, headers=headers,
                                    timeout=30)


def url_length(ep: Endpoint, params: dict[str, Any], path_params: dict[str, Any]) -> int:
    """Length of the request line's URL that :meth:`World.send` builds."""
    path = ep.path.format(**{k: quote(str(v), safe="") for k, v in path_params.items()}) if path_params else ep.path
    in_query = ep.api == "spot-public" or (ep.api.startswith("futures") and ep.http != "POST")
    return len(path) + (1 + len(_form(params)) if in_query else 0)


def _form(params: dict[str, Any]) -> str:
    """Form encoding as a client would send junk: lists repeat the key, other values are str()."""
    pairs: list[tuple[str, str]] = []
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item if isinstance(item, str) else json.dumps(item)))
    return urlencode(pairs)


# ------------------------------------------------------------------ what an answer must look like
_SPOT_ERROR = re.compile(r"^[EW][A-Z][A-Za-z]*:\S")
#: what the exchange answers when a handler failed (a bug); never expected from junk input
INTERNAL_ERRORS = {"EGeneral:Internal error", "Server Error"}


def classify(ep: Endpoint, resp: requests.Response) -> str:
    """``ok`` (a Kraken-shaped success), ``error`` (a Kraken-shaped error), ``http500``,
    ``internal`` (the exchange's internal-error answer: a bug) or ``malformed: ...``."""
    if resp.status_code >= 500:
        return "http500"
    ctype = resp.headers.get("Content-Type", "")
    if ep.path.startswith("/api/charts") and resp.status_code == 404:
        return "error" if _json(resp) == {"error": "not found"} else f"malformed: 404 {resp.text[:80]}"
    if resp.status_code != 200:
        return f"malformed: HTTP {resp.status_code} {resp.text[:80]}"
    if "application/octet-stream" in ctype or "text/csv" in ctype:  # RetrieveExport, accountlogcsv
        return "ok"
    body = _json(resp)
    if body is _BAD:
        return f"malformed: not JSON: {resp.text[:80]!r}"
    if ep.api.startswith("spot"):
        if not isinstance(body, dict) or not isinstance(body.get("error"), list):
            return f"malformed: {resp.text[:80]}"
        errors = body["error"]
        if not errors:
            return "ok" if "result" in body else f"malformed: {resp.text[:80]}"
        if any(e in INTERNAL_ERRORS for e in errors):
            return "internal"
        if not all(isinstance(e, str) and _SPOT_ERROR.match(e) for e in errors):
            return f"malformed: {errors!r}"
        return "error"
    if isinstance(body, dict) and body.get("result") == "error":
        if not isinstance(body.get("error"), str) or not body["error"]:
            return f"malformed: {resp.text[:80]}"
        return "internal" if body["error"] in INTERNAL_ERRORS else "error"
    if ep.path.startswith("/derivatives") and not (isinstance(body, dict) and body.get("result") == "success"):
        return f"malformed: {resp.text[:80]}"
    return "ok"


_BAD = object()


def _json(resp: requests.Response) -> Any:
    try:
        return json.loads(resp.text)
    except ValueError:
        return _BAD


def healthy(world: World) -> list[str]:
    """What is wrong with the server after junk (empty: healthy): public and private requests
    answer, the market and the Futures engine still run."""
    problems = []
    spot_time = world.session.get(world.url + "/0/public/Time", timeout=10)
    if spot_time.status_code != 200 or spot_time.json().get("error"):
        problems.append(f"Time: {spot_time.text[:80]}")
    bal = world.spot("Balance", {}).json()
    if bal.get("error"):
        problems.append(f"Balance: {bal}")
    acc = world.send(Endpoint("futures-private", "GET", f"{F}/accounts"), {}, {}).json()
    if acc.get("result") != "success":
        problems.append(f"futures accounts: {acc}")
    for task in world.ctx.tasks:
        if task.done():
            problems.append(f"background task ended: {task!r}")
    return problems


# ------------------------------------------------------------------ WebSocket requests
def ws_spot_requests(token: str | None) -> list[dict[str, Any]]:
    """Spot WS v2 requests: subscriptions on ``/ws/v2`` (token None), trading on ``/ws-auth/v2``."""
    subs = [
        {"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD"], "event_trigger": "bbo",
                                           "snapshot": False}},
        {"method": "subscribe", "params": {"channel": "book", "symbol": ["ETH/USD"], "depth": 10, "snapshot": False}},
        {"method": "subscribe", "params": {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 5,
                                           "snapshot": False}},
        {"method": "unsubscribe", "params": {"channel": "trade", "symbol": ["BTC/USD"]}},
        {"method": "ping"},
    ]
    if token is None:
        return subs
    order = {"order_type": "limit", "side": "buy", "order_qty": Decimal("0.01"), "symbol": "BTC/USD",
             "limit_price": Decimal("1000.0"), "token": token}
    return [
        {"method": "subscribe", "params": {"channel": "executions", "token": token, "snap_orders": False,
                                           "snap_trades": False}},
        {"method": "subscribe", "params": {"channel": "balances", "token": token, "snapshot": False}},
        {"method": "add_order", "params": {**order, "validate": True, "time_in_force": "gtd",
                                           "expire_time": "2099-01-01T00:00:00Z", "cl_ord_id": "ws-fuzz",
                                           "fee_preference": "quote", "post_only": False,
                                           "triggers": {"price": 900000}, "conditional": {"order_type": "limit"}}},
        {"method": "add_order", "params": {**order, "order_type": "trailing-stop-limit", "validate": True,
                                           "margin": True, "reduce_only": False, "limit_price": Decimal("-10"),
                                           "limit_price_type": "quote",
                                           "triggers": {"reference": "index", "price": 1.5, "price_type": "pct"}}},
        {"method": "amend_order", "params": {"order_id": "@txid", "order_qty": Decimal("0.02"),
                                             "limit_price": Decimal("1001.0"), "token": token}},
        {"method": "edit_order", "params": {"order_id": "@txid", "symbol": "BTC/USD", "order_qty": Decimal("0.02"),
                                            "limit_price": Decimal("1002.0"), "validate": True, "token": token}},
        {"method": "cancel_order", "params": {"order_id": ["@txid"], "token": token}},
        {"method": "cancel_all_orders_after", "params": {"timeout": 60, "token": token}},
        {"method": "batch_add", "params": {"symbol": "BTC/USD", "validate": True, "token": token, "orders": [
            {"order_type": "limit", "side": "buy", "order_qty": Decimal("0.01"), "limit_price": Decimal("1000.0")},
            {"order_type": "limit", "side": "buy", "order_qty": Decimal("0.01"), "limit_price": Decimal("999.0")}]}},
        {"method": "batch_cancel", "params": {"orders": ["@txid"], "token": token}},
        {"method": "cancel_all", "params": {"token": token}},
    ]


def ws_level3_requests(token: str) -> list[dict[str, Any]]:
    """Spot WS v2 ``level3`` requests on ``/ws-l3/v2`` (authenticated)."""
    return [
        {"method": "subscribe", "params": {"channel": "level3", "symbol": ["BTC/USD"], "depth": 10,
                                           "snapshot": False, "token": token}},
        {"method": "unsubscribe", "params": {"channel": "level3", "symbol": ["BTC/USD"], "depth": 10,
                                             "token": token}},
        {"method": "ping"},
    ]


def ws_dumps(obj: Any) -> str:
    """JSON with Decimals as numbers (as clients send order quantities)."""
    def enc(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        raise TypeError(type(o))
    return json.dumps(obj, default=enc)


def ws_futures_requests(api_key: str, challenge: str, signed: str) -> list[dict[str, Any]]:
    """Futures WS v1 events: public subscriptions, a challenge and a signed private subscription."""
    return [
        {"event": "subscribe", "feed": "ticker_lite", "product_ids": ["PF_XBTUSD"]},
        {"event": "subscribe", "feed": "book", "product_ids": ["PF_ETHUSD"]},
        {"event": "unsubscribe", "feed": "trade", "product_ids": ["PF_XBTUSD"]},
        {"event": "subscribe", "feed": "heartbeat"},
        {"event": "challenge", "api_key": api_key},
        {"event": "subscribe", "feed": "open_positions", "api_key": api_key, "original_challenge": challenge,
         "signed_challenge": signed},
    ]


def classify_ws_spot(msg: dict[str, Any]) -> str:
    """Verdict on a Spot v2 method answer (``success`` true or false with an ``error`` string)."""
    if msg.get("success") is True:
        return "ok"
    err = msg.get("error")
    if msg.get("success") is False and isinstance(err, str) and err:
        return "internal" if err in INTERNAL_ERRORS else "error"
    return f"malformed: {str(msg)[:80]}"


def classify_ws_futures(req: Any, msg: Any) -> str | None:
    """Verdict on a Futures v1 answer to ``req``; None for messages that answer nothing (feeds)."""
    if not isinstance(msg, dict):
        return f"malformed: {str(msg)[:80]}"
    event = msg.get("event")
    if event in ("subscribed", "unsubscribed", "challenge"):
        return "ok"
    if event in ("subscribed_failed", "unsubscribed_failed", "alert"):
        return "error"
    if event == "error":
        m = msg.get("message")
        return "internal" if m in INTERNAL_ERRORS else ("error" if isinstance(m, str) and m else
                                                          f"malformed: {str(msg)[:80]}")
    return None
