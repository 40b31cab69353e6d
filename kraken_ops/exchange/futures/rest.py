"""Kraken Futures REST: ``/derivatives/api/v3/*`` and ``/derivatives/api/v4/historicalfundingrates``.

Every private handler goes through :meth:`Gate.check`, which enforces, in this order:
APIKey known and Authent valid (``authenticationError``), Nonce (``nonceBelowThreshold`` /
``nonceDuplicate``, honouring the account's nonce window), the key's permissions
(``authenticationError``) and the 500-units-per-10-seconds cost budget (``apiLimitExceeded``).
"""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web

from kraken_ops.exchange.futures.auth import NonceBook, TokenBucket, endpoint_cost, verify_authent
from kraken_ops.exchange.futures.engine import (
    ZERO,
    FuturesEngine,
    Order,
    OrderReject,
    _REJECT_REASONS,
    account_uid,
)
from kraken_ops.exchange.futures.instruments import (
    FEE_SCHEDULE_NAME,
    FEE_SCHEDULE_UID,
    FEE_TIERS,
    INSTRUMENTS,
    WALLETS,
    lookup,
    normalize_asset,
)
from kraken_ops.exchange.futures.util import error, iso_ms, iso_s, success, to_bool, to_dec

D = Decimal
PREFIX = "/derivatives/api/v3"

# permission each private endpoint needs (names of kraken_ops.exchange.state.ALL_PERMISSIONS)
PERMISSIONS: dict[str, str] = {
    "accounts": "query_funds", "openpositions": "query_funds", "unwindqueue": "query_funds",
    "subaccounts": "query_funds", "feeschedules/volumes": "query_funds", "notifications": "query_funds",
    "leveragepreferences": "query_funds", "pnlpreferences": "query_funds", "trading-enabled": "query_funds",
    "openorders": "query_orders", "fills": "query_orders", "orders/status": "query_orders",
    "sendorder": "trade", "editorder": "trade", "batchorder": "trade", "cancelallordersafter": "trade",
    "leveragepreferences:put": "trade", "pnlpreferences:put": "trade",
    "cancelorder": "cancel", "cancelallorders": "cancel",
    "transfer": "withdraw", "transfer/subaccount": "withdraw", "withdrawal": "withdraw",
    "trading-enabled:put": "withdraw",
    "history": "query_orders", "account-log": "query_ledgers",
    "trading/instruments": "query_funds", "transfers": "query_ledgers", "assignmentprogram/current": "query_funds",
}
CONTRACT_TYPES = ("futures_inverse", "futures_vanilla", "flexible_futures", "options", "all")
# account-log entries (``info``) written by transfers, and the other side of a one-sided one
TRANSFER_INFOS = {"transfer": None, "subaccount transfer": "subaccount", "cross-exchange transfer": "spot"}


class Reject(Exception):
    """Answer with the error envelope ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


#: parameters whose value may be a JSON object or list (batchorder's ``json``)
STRUCTURED = frozenset({"json"})


def scalar(name: str, value: Any) -> Any:
    """A parameter value as text, as the handlers read it: a JSON number or boolean becomes its
    text, ``null`` is absent, and a list or object is ``invalidArgument`` (except the
    :data:`STRUCTURED` parameters, handed over as they are)."""
    if value is None or isinstance(value, str) or name in STRUCTURED:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        try:
            return repr(value) if isinstance(value, float) else str(value)
        except ValueError:  # an int of more digits than Python converts
            raise Reject("invalidArgument") from None
    raise Reject("invalidArgument")


class Params:
    """Request parameters from the query string and the body (form or JSON), repeated keys kept.
    ``get`` and ``first`` give text (see :func:`scalar`); ``getall`` the raw values."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def get(self, name: str, default: Any = None) -> Any:
        for k, v in reversed(self.pairs):
            if k == name:
                v = scalar(name, v)
                return default if v is None else v
        return default

    def first(self, *names: str) -> Any:
        for n in names:
            v = self.get(n)
            if v is not None and v != "":
                return v
        return None

    def getall(self, name: str) -> list[Any]:
        out: list[Any] = []
        for k, v in self.pairs:
            if k == name:
                out.extend(v if isinstance(v, list) else [v])
        return out

    def __contains__(self, name: str) -> bool:
        return any(k == name for k, _ in self.pairs)


async def read_params(request: web.Request) -> tuple[Params, str, str]:
    raw_path = request.raw_path
    raw_query = raw_path.split("?", 1)[1] if "?" in raw_path else ""
    raw_body = (await request.read()).decode("utf-8", "replace") if request.body_exists else ""
    pairs: list[tuple[str, Any]] = parse_qsl(raw_query, keep_blank_values=True)
    if raw_body:
        if request.content_type == "application/json":
            try:
                data = json.loads(raw_body)
            except ValueError:
                raise Reject("Json Parse Error")
            if isinstance(data, dict):
                pairs.extend(data.items())
        else:
            pairs.extend(parse_qsl(raw_body, keep_blank_values=True))
    return Params(pairs), raw_query, raw_body


class Gate:
    """Authentication, nonce, permission and cost-budget checks shared by REST and history."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.nonces = NonceBook()
        self.budget = TokenBucket(500, 10)
        self.history_budget = TokenBucket(100, 600)

    async def check(self, request: web.Request, endpoint: str, *, cost: int | None = None,
                    history: bool = False, perm: str | None = None) -> tuple[Any, Params]:
        params, raw_query, raw_body = await read_params(request)
        key = request.headers.get("APIKey", "")
        acct = self.ctx.account_by_futures_key(key) if key else None
        if acct is None:
            raise Reject("authenticationError")
        nonce = request.headers.get("Nonce")
        if not verify_authent(acct.futures_secret, request.headers.get("Authent", ""), raw_query, raw_body,
                              nonce or "", request.path):
            raise Reject("authenticationError")
        if nonce is not None:
            try:
                n = int(nonce)
            except ValueError:
                raise Reject("nonceBelowThreshold")
            last = self.ctx.db.last_nonce(key)
            if not self.ctx.check_and_store_nonce(key, n, int(acct.nonce_window or 0)):
                raise Reject("nonceDuplicate" if self.nonces.is_duplicate(key, n, last) else "nonceBelowThreshold")
            self.nonces.remember(key, n)
        perms = acct.permissions
        needed = perm or PERMISSIONS.get(endpoint)
        if ("futures" not in perms) or (needed and needed not in perms):
            raise Reject("authenticationError")
        now = float(self.ctx.clock())
        if history:
            if not self.history_budget.take(key, 1, now):
                raise Reject("apiLimitExceeded")
        else:
            c = cost if cost is not None else endpoint_cost(endpoint, params)
            if not self.budget.take(key, c, now):
                raise Reject("apiLimitExceeded")
        return acct, params


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Handlers:
    """What every group of Futures route handlers shares: the context, the engine, the
    gate (authentication, nonces, budget), the clock, and turning a Reject into Kraken's
    error envelope."""

    def __init__(self, ctx: Any, engine: FuturesEngine, gate: Gate) -> None:
        self.ctx = ctx
        self.engine = engine
        self.gate = gate

    def now(self) -> float:
        return float(self.ctx.clock())

    def wrap(self, fn: Handler) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                return await fn(request)
            except Reject as r:
                return error(self.now(), r.code)
        return handler


class FuturesRest(Handlers):
    """Route handlers of the Futures trading API."""

    def routes(self, app: web.Application) -> None:
        r = app.router
        w = self.wrap
        get = [("instruments", self.instruments), ("instruments/status", self.instruments_status),
               ("instruments/{symbol:[^/]+}/status", self.instrument_status), ("tickers", self.tickers),
               ("tickers/{symbol:[^/]+}", self.ticker), ("orderbook", self.orderbook), ("history", self.history),
               ("feeschedules", self.feeschedules), ("feeschedules/volumes", self.fee_volumes),
               ("accounts", self.accounts), ("openpositions", self.openpositions), ("openorders", self.openorders),
               ("fills", self.fills), ("notifications", self.notifications), ("unwindqueue", self.unwindqueue),
               ("subaccounts", self.subaccounts), ("subaccount/{uid:[^/]+}/trading-enabled", self.trading_enabled),
               ("leveragepreferences", self.leverage_get), ("pnlpreferences", self.pnl_get),
               ("trading/instruments", self.trading_instruments), ("transfers", self.transfers),
               ("assignmentprogram/current", self.assignment_programs)]
        for path, fn in get:
            r.add_get(f"{PREFIX}/{path}", w(fn), allow_head=False)
        post = [("sendorder", self.sendorder), ("editorder", self.editorder), ("cancelorder", self.cancelorder),
                ("cancelallorders", self.cancelallorders), ("cancelallordersafter", self.cancelallordersafter),
                ("batchorder", self.batchorder), ("orders/status", self.orders_status), ("transfer", self.transfer),
                ("transfer/subaccount", self.transfer_subaccount), ("withdrawal", self.withdrawal)]
        for path, fn in post:
            r.add_post(f"{PREFIX}/{path}", w(fn))
        # Kraken documents POST orders/status; ccxt's krakenfutures sends it as a GET with the query
        r.add_get(f"{PREFIX}/orders/status", w(self.orders_status), allow_head=False)
        r.add_put(f"{PREFIX}/subaccount/{{uid:[^/]+}}/trading-enabled", w(self.trading_enabled_put))
        r.add_put(f"{PREFIX}/leveragepreferences", w(self.leverage_put))
        r.add_put(f"{PREFIX}/pnlpreferences", w(self.pnl_put))
        r.add_get("/derivatives/api/v4/historicalfundingrates", w(self.funding_rates), allow_head=False)

    # ------------------------------------------------------------------ public
    async def instruments(self, request: web.Request) -> web.Response:
        return success(self.now(), instruments=[i.public_dict() for i in INSTRUMENTS.values()])

    def _status(self, symbol: str) -> dict[str, Any]:
        return {"tradeable": symbol, "experiencingDislocation": False, "priceDislocationDirection": None,
                "experiencingExtremeVolatility": False, "extremeVolatilityInitialMarginMultiplier": 1}

    async def instruments_status(self, request: web.Request) -> web.Response:
        return success(self.now(), instrumentStatus=[self._status(s) for s in INSTRUMENTS])

    async def instrument_status(self, request: web.Request) -> web.Response:
        inst = lookup(request.match_info["symbol"])
        if inst is None:
            raise Reject("notFound")
        return success(self.now(), **self._status(inst.symbol))

    def _ticker(self, symbol: str) -> dict[str, Any]:
        e = self.engine
        m = e.markets[symbol]
        book = e.book(symbol)
        bid, bid_size = book["bids"][0] if book["bids"] else (None, None)
        ask, ask_size = book["asks"][0] if book["asks"] else (None, None)
        vol, quote = e.day_stats(symbol)
        change = ((m.last - m.open24h) / m.open24h * 100).quantize(D("0.0001")) if m.open24h else ZERO
        return {
            "tag": "perpetual", "pair": m.inst.pair, "symbol": symbol, "markPrice": m.mark,
            "bid": bid, "bidSize": bid_size, "ask": ask, "askSize": ask_size, "vol24h": vol,
            "volumeQuote": quote.quantize(D("0.01")), "openInterest": e.open_interest(symbol),
            "open24h": m.open24h, "indexPrice": m.index.quantize(D("0.01")), "last": m.last,
            "lastTime": iso_ms(m.last_time / 1000), "lastSize": m.last_size, "suspended": False,
            "fundingRate": m.funding_rate, "fundingRatePrediction": m.funding_rate, "postOnly":
            getattr(self.ctx, "status", "online") == "post_only", "change24h": change,
        }

    async def tickers(self, request: web.Request) -> web.Response:
        return success(self.now(), tickers=[self._ticker(s) for s in INSTRUMENTS])

    async def ticker(self, request: web.Request) -> web.Response:
        inst = lookup(request.match_info["symbol"])
        if inst is None:
            raise Reject("notFound")
        return success(self.now(), ticker=self._ticker(inst.symbol))

    async def orderbook(self, request: web.Request) -> web.Response:
        params, _, _ = await read_params(request)
        if not params.get("symbol"):
            raise Reject("requiredArgumentMissing")
        inst = lookup(params.get("symbol"))
        if inst is None:
            raise Reject("notFound")
        book = self.engine.book(inst.symbol)
        return success(self.now(), orderBook={"bids": [[p, s] for p, s in book["bids"]],
                                              "asks": [[p, s] for p, s in book["asks"]]})

    async def history(self, request: web.Request) -> web.Response:
        params, _, _ = await read_params(request)
        inst = lookup(params.get("symbol"))
        if inst is None:
            raise Reject("requiredArgumentMissing" if not params.get("symbol") else "notFound")
        trades = self.engine.public_trades(inst.symbol)
        last_time = params.get("lastTime")
        if last_time:
            try:
                from kraken_ops.exchange.futures.util import parse_iso
                cutoff = int(parse_iso(last_time) * 1000)
            except ValueError:
                raise Reject("invalidArgument")
            trades = [t for t in trades if t["time"] <= cutoff]
        out = [{"time": iso_ms(t["time"] / 1000), "trade_id": t["seq"], "price": t["price"], "size": t["qty"],
                "side": t["side"], "type": t["type"], "uid": t["uid"]} for t in reversed(trades[-100:])]
        return success(self.now(), history=out)

    async def funding_rates(self, request: web.Request) -> web.Response:
        params, _, _ = await read_params(request)
        if not params.get("symbol"):
            raise Reject("requiredArgumentMissing")
        inst = lookup(params.get("symbol"))
        if inst is None:
            return success(self.now(), rates=[])
        rng = random.Random(f"{getattr(self.ctx, 'seed', 0)}:{inst.symbol}")
        hour = int(self.now()) // 3600 * 3600
        rates = []
        mark = self.engine.markets[inst.symbol].mark
        for i in range(24 * 30, 0, -1):
            rel = D(repr(round(rng.gauss(0.00001, 0.00003), 10)))
            ts = hour - i * 3600
            # absolute: what a contract pays, in the collateral (USD for linear, XBT for inverse contracts)
            absolute = rel * mark * inst.contract_size if not inst.inverse else rel * inst.contract_size / mark
            rates.append({"timestamp": iso_ms(ts), "fundingRate": absolute.quantize(D("1e-18")),
                          "relativeFundingRate": rel})
        return success(self.now(), rates=rates)

    async def feeschedules(self, request: web.Request) -> web.Response:
        tiers = [{"makerFee": mk, "takerFee": tk, "usdVolume": v} for v, mk, tk in FEE_TIERS]
        return success(self.now(), feeSchedules=[{"uid": FEE_SCHEDULE_UID, "name": FEE_SCHEDULE_NAME, "tiers": tiers}])

    # ------------------------------------------------------------------ private reads
    async def fee_volumes(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "feeschedules/volumes")
        return success(self.now(), volumesByFeeSchedule={FEE_SCHEDULE_UID: self.engine.volume_30d(acct.name)})

    async def accounts(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "accounts")
        return success(self.now(), accounts=self.engine.accounts(acct.name))

    async def openpositions(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "openpositions")
        out = []
        for p in self.engine.open_positions(acct.name):
            inst = INSTRUMENTS[p.symbol]
            lev = self.engine.leverage_pref(acct.name, p.symbol)
            out.append({"side": "long" if p.size > 0 else "short", "symbol": p.symbol, "price": p.entry,
                        "fillTime": iso_ms(p.fill_time / 1000), "size": abs(p.size), "unrealizedFunding": ZERO,
                        "pnlCurrency": inst.collateral if inst.inverse else self._pnl_currency(acct.name, p.symbol),
                        "maxFixedLeverage": lev})
        return success(self.now(), openPositions=out)

    async def openorders(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "openorders")
        return success(self.now(), openOrders=[o.open_order() for o in self.engine.orders_of(acct.name)])

    async def fills(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "fills")
        last = params.get("lastFillTime")
        sql, args = "SELECT data FROM fut_fills WHERE account=?", [acct.name]
        if last:
            from kraken_ops.exchange.futures.util import parse_iso
            try:
                cutoff = int(parse_iso(last) * 1000)
            except ValueError:
                raise Reject("invalidArgument")
            sql += " AND time<=?"
            args.append(cutoff)
        rows = self.ctx.db.query(sql + " ORDER BY time DESC, rowid DESC LIMIT 100", args)
        out = []
        for row in rows:
            f = json.loads(row["data"])
            item = {"fill_id": f["fill_id"], "symbol": f["symbol"], "side": f["side"], "order_id": f["order_id"],
                    "size": D(f["size"]), "price": D(f["price"]), "fillTime": f["fillTime"], "fillType": f["fillType"]}
            if f.get("cliOrdId"):
                item["cliOrdId"] = f["cliOrdId"]
            out.append(item)
        return success(self.now(), fills=out)

    async def notifications(self, request: web.Request) -> web.Response:
        await self.gate.check(request, "notifications")
        notes = []
        status = getattr(self.ctx, "status", "online")
        if status != "online":
            notes.append({"type": "maintenance" if status == "maintenance" else "market", "priority": "high",
                          "note": f"The exchange is in {status} mode.", "effectiveTime": iso_ms(self.now()),
                          "expectedDowntimeMinutes": None})
        notes.append({"type": "general", "priority": "low",
                      "note": "Local kraken-ops exchange: paper trading only.",
                      "effectiveTime": "2024-01-01T00:00:00.000Z", "expectedDowntimeMinutes": None})
        return success(self.now(), notifications=notes)

    async def unwindqueue(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "unwindqueue")
        out = []
        for p in self.engine.open_positions(acct.name):
            upnl = self.engine.upnl(p)
            pct = 20 if upnl <= 0 else 40 if upnl < 100 else 60
            out.append({"symbol": p.symbol, "percentile": pct})
        return success(self.now(), queue=out)

    async def trading_instruments(self, request: web.Request) -> web.Response:
        """The contracts this account may trade (every local instrument), filtered by ``contractType``."""
        _, params = await self.gate.check(request, "trading/instruments")
        wanted = [t for v in params.getall("contractType") for t in str(v).split(",") if t]
        if any(t not in CONTRACT_TYPES for t in wanted):
            raise Reject("invalidArgument")
        keep = [i for i in INSTRUMENTS.values() if not wanted or "all" in wanted or i.type in wanted]
        return success(self.now(), instruments=[i.public_dict() for i in keep])

    async def transfers(self, request: web.Request) -> web.Response:
        """Transfers in and out of this account's Futures wallets, newest first, rebuilt from
        the account log (one entry per transfer; at most 100, before ``lastTransferTime``)."""
        acct, params = await self.gate.check(request, "transfers")
        sql, args = "SELECT id, time, info, data FROM fut_log WHERE account=? AND info IN (?,?,?)", [acct.name, *TRANSFER_INFOS]
        last, cutoff = params.get("lastTransferTime"), None
        if last:
            from kraken_ops.exchange.futures.util import parse_iso
            try:
                cutoff = int(parse_iso(last) * 1000)
            except ValueError:
                raise Reject("invalidArgument")
        rows = self.ctx.db.query(sql + " ORDER BY id", args)
        entries = [(r["id"], r["time"], r["info"], json.loads(r["data"])) for r in rows]
        out: list[dict[str, Any]] = []
        i = 0
        while i < len(entries):  # pair the two halves of a transfer first, then filter by its time
            rid, time, info, e = entries[i]
            amount = _change(e)
            nxt = entries[i + 1] if i + 1 < len(entries) else None
            if (nxt is not None and nxt[0] == rid + 1 and nxt[2] == info and amount < 0
                    and _change(nxt[3]) == -amount
                    and nxt[3].get("asset") == e.get("asset")):
                frm, to = e.get("margin_account"), nxt[3].get("margin_account")  # both wallets are this account's
                i += 2
            else:
                other = TRANSFER_INFOS[info] or "unknown"
                frm, to = (e.get("margin_account"), other) if amount < 0 else (other, e.get("margin_account"))
                i += 1
            if cutoff is not None and time > cutoff:
                continue
            out.append({"id": str(rid), "date": iso_ms(time / 1000), "from": frm, "to": to, "asset": e.get("asset"),
                        "amount": abs(amount), "status": "complete", "info": info})
        out.reverse()
        return success(self.now(), transfers=out[:100])

    async def assignment_programs(self, request: web.Request) -> web.Response:
        """The local exchange runs no assignment program: an empty list of participants (best guess)."""
        await self.gate.check(request, "assignmentprogram/current")
        return success(self.now(), participants=[])

    def _children(self, name: str) -> list[Any]:
        return [a for a in self.ctx.db.accounts() if getattr(a, "parent", None) == name]

    def _resolve_user(self, master: Any, uid: str | None) -> Any:
        """The account ``uid`` (uid or name) if it is ``master`` itself or one of its subaccounts."""
        if not uid:
            return master
        for a in [master] + self._children(master.name):
            if uid in (a.name, account_uid(a.name)):
                return a
        return None

    async def subaccounts(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "subaccounts")
        subs = []
        for a in self._children(acct.name):
            flex = self.engine.flex_summary(a.name)
            subs.append({
                "accountUid": account_uid(a.name), "email": getattr(a, "email", None) or f"{a.name}@localhost",
                "fullName": a.name,
                "holdingAccounts": [{"currency": k.lower(), "amount": v}
                                    for k, v in sorted(self.engine.balances(a.name, "cash").items())],
                "futuresAccounts": [{"name": "flex", "availableMargin": flex["availableMargin"]}],
                "tradingEnabled": self._trading_enabled(a.name),
            })
        return success(self.now(), masterAccountUid=account_uid(acct.name), subaccounts=subs)

    def _trading_enabled(self, name: str) -> bool:
        rows = self.ctx.db.query("SELECT value FROM fut_prefs WHERE account=? AND kind='trading' AND symbol=''",
                                 (name,))
        return rows[0]["value"] == "true" if rows else True

    async def trading_enabled(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "trading-enabled")
        sub = self._resolve_user(acct, request.match_info["uid"])
        if sub is None or sub.name == acct.name:
            raise Reject("notFound")
        return success(self.now(), tradingEnabled=self._trading_enabled(sub.name))

    async def trading_enabled_put(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "trading-enabled:put")
        sub = self._resolve_user(acct, request.match_info["uid"])
        if sub is None or sub.name == acct.name:
            raise Reject("notFound")
        if params.get("tradingEnabled") is None:
            raise Reject("requiredArgumentMissing")
        enabled = to_bool(params.get("tradingEnabled"))
        self._set_pref(sub.name, "trading", "", "true" if enabled else "false")
        return success(self.now(), tradingEnabled=enabled)

    def _set_pref(self, account: str, kind: str, symbol: str, value: str | None) -> None:
        if value is None:
            self.ctx.db.execute("DELETE FROM fut_prefs WHERE account=? AND kind=? AND symbol=?", (account, kind, symbol))
        else:
            self.ctx.db.execute(
                "INSERT INTO fut_prefs(account, kind, symbol, value) VALUES(?,?,?,?)"
                " ON CONFLICT(account, kind, symbol) DO UPDATE SET value=excluded.value", (account, kind, symbol, value))

    async def leverage_get(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "leveragepreferences")
        rows = self.ctx.db.query("SELECT symbol, value FROM fut_prefs WHERE account=? AND kind='leverage' ORDER BY symbol",
                                 (acct.name,))
        return success(self.now(), leveragePreferences=[{"symbol": r["symbol"], "maxLeverage": D(r["value"])}
                                                        for r in rows])

    async def leverage_put(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "leveragepreferences:put")
        inst = lookup(params.get("symbol"))
        if not params.get("symbol"):
            raise Reject("requiredArgumentMissing")
        if inst is None:
            raise Reject("notFound")
        lev = params.get("maxLeverage")
        if lev in (None, ""):
            self._set_pref(acct.name, "leverage", inst.symbol, None)
        else:
            d = to_dec(lev)
            if d is None or d < 1 or d > 100:
                raise Reject("invalidArgument")
            self._set_pref(acct.name, "leverage", inst.symbol, str(d))
        return success(self.now())

    def _pnl_currency(self, account: str, symbol: str) -> str:
        rows = self.ctx.db.query("SELECT value FROM fut_prefs WHERE account=? AND kind='pnl' AND symbol=?",
                                 (account, symbol))
        return rows[0]["value"] if rows else "USD"

    async def pnl_get(self, request: web.Request) -> web.Response:
        acct, _ = await self.gate.check(request, "pnlpreferences")
        rows = self.ctx.db.query("SELECT symbol, value FROM fut_prefs WHERE account=? AND kind='pnl' ORDER BY symbol",
                                 (acct.name,))
        return success(self.now(), preferences=[{"symbol": r["symbol"], "pnlCurrency": r["value"]} for r in rows])

    async def pnl_put(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "pnlpreferences:put")
        if not params.get("symbol") or not params.get("pnlPreference"):
            raise Reject("requiredArgumentMissing")
        inst = lookup(params.get("symbol"))
        if inst is None or inst.inverse:
            raise Reject("notFound" if inst is None else "invalidArgument")
        cur = normalize_asset(params.get("pnlPreference"))
        if cur not in ("USD", "XBT", "ETH", "EUR", "USDT", "USDC"):
            raise Reject("invalidUnit")
        self._set_pref(acct.name, "pnl", inst.symbol, cur)
        return success(self.now())

    # ------------------------------------------------------------------ orders
    def _order_args(self, params: Params, snake: bool = False) -> dict[str, Any]:
        """Parse sendorder arguments; raises Reject for missing/invalid envelope-level arguments."""
        order_type = params.first("orderType")
        symbol = params.first("symbol")
        side = params.first("side")
        size = params.first("size")
        if not order_type or not symbol or not side or size is None:
            raise Reject("requiredArgumentMissing")
        order_type = str(order_type).lower()
        if order_type not in ("lmt", "post", "ioc", "mkt", "stp", "take_profit"):
            raise Reject("invalidArgument")
        side = str(side).lower()
        if side not in ("buy", "sell"):
            raise Reject("invalidArgument")
        inst = lookup(symbol)
        if inst is None:
            raise Reject("contractNotFound")
        signal = str(params.first("triggerSignal") or "mark").lower()
        signal = {"mark": "mark", "mark_price": "mark", "index": "index", "spot": "index", "spot_price": "index",
                  "index_price": "index", "last": "last", "last_price": "last"}.get(signal)
        if signal is None:
            raise Reject("invalidArgument")
        size_d = to_dec(size)
        limit = params.first("limitPrice", "limit_price")
        stop = params.first("stopPrice", "stop_price")
        limit_d, stop_d = to_dec(limit), to_dec(stop)
        return {"symbol": inst.symbol, "side": side, "order_type": order_type,
                "size": size_d if size_d is not None else D(-1),
                "limit_price": limit_d if limit is None or limit_d is not None else D(-1),
                "stop_price": stop_d if stop is None or stop_d is not None else D(-1),
                "trigger_signal": signal, "reduce_only": to_bool(params.first("reduceOnly", "reduce_only") or False),
                "cli_ord_id": params.first("cliOrdId", "cli_ord_id")}

    def _order_gate(self, account: str) -> None:
        status = getattr(self.ctx, "status", "online")
        if status == "maintenance":
            raise Reject("Unavailable")
        if not self._trading_enabled(account):
            raise Reject("accountInactive")

    def _place(self, account: str, args: dict[str, Any]) -> dict[str, Any]:
        """sendStatus of one order (also used by batchorder)."""
        received = iso_ms(self.now())
        try:
            o, events = self.engine.new_order(account, **args)
        except OrderReject as rej:
            o = getattr(rej, "order")
            return {"order_id": o.order_id, "status": rej.status, "receivedTime": received,
                    "orderEvents": [{"uid": o.order_id, "order": o.event_order(),
                                     "reason": _REJECT_REASONS.get(rej.status, rej.status.upper()), "type": "REJECT"}],
                    **({"cliOrdId": o.cli_ord_id} if o.cli_ord_id else {})}
        if o.is_trigger or (o.unfilled > 0 and o.status in ("untouched", "partiallyFilled") and o.order_type
                            in ("lmt", "post")):
            status = "placed"
        elif o.status == "filled":
            status = "placed"
        else:
            status = "placed" if o.filled > 0 else "cancelled"
        out: dict[str, Any] = {"order_id": o.order_id, "status": status, "receivedTime": received,
                               "orderEvents": events}
        if o.cli_ord_id:
            out["cliOrdId"] = o.cli_ord_id
        return out

    async def sendorder(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "sendorder")
        self._order_gate(acct.name)
        args = self._order_args(params)
        return success(self.now(), sendStatus=self._place(acct.name, args))

    def _edit(self, account: str, order_id: str | None, cli: str | None, size: Any, limit: Any,
              stop: Any) -> dict[str, Any]:
        received = iso_ms(self.now())
        o = self.engine.order_by_id(account, order_id, cli)
        if o is None or not o.is_open:
            return {"status": "orderForEditNotFound", "orderId": order_id, "receivedTime": received,
                    "orderEvents": []}
        size_d, limit_d, stop_d = to_dec(size), to_dec(limit), to_dec(stop)
        # given but not a usable number: refused by the engine (invalidSize / invalidPrice), not ignored
        if size not in (None, "") and size_d is None:
            size_d = D(-1)
        if limit not in (None, "") and limit_d is None:
            limit_d = D(-1)
        if stop not in (None, "") and stop_d is None:
            stop_d = D(-1)
        try:
            events = self.engine.edit_order(o, size=size_d, limit_price=limit_d, stop_price=stop_d)
        except OrderReject as rej:
            return {"status": rej.status, "orderId": o.order_id, "receivedTime": received, "orderEvents": []}
        return {"status": "edited", "orderId": o.order_id, "receivedTime": received, "orderEvents": events}

    async def editorder(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "editorder")
        self._order_gate(acct.name)
        oid, cli = params.first("orderId", "order_id"), params.first("cliOrdId")
        if not oid and not cli:
            raise Reject("requiredArgumentMissing")
        return success(self.now(), editStatus=self._edit(acct.name, oid, cli, params.first("size"),
                                                         params.first("limitPrice", "limit_price"),
                                                         params.first("stopPrice", "stop_price")))

    def _cancel(self, account: str, order_id: str | None, cli: str | None) -> dict[str, Any]:
        received = iso_ms(self.now())
        o = self.engine.order_by_id(account, order_id, cli)
        ref = {"order_id": order_id} if order_id else {"cliOrdId": cli}
        if o is None:
            return {"status": "notFound", "receivedTime": received, **ref}
        if not o.is_open:
            status = "filled" if o.status == "filled" else "notFound"
            return {"status": status, "order_id": o.order_id, "receivedTime": received}
        ev = self.engine.cancel(o)
        return {"status": "cancelled", "order_id": o.order_id, "receivedTime": received, "orderEvents": [ev],
                **({"cliOrdId": o.cli_ord_id} if o.cli_ord_id else {})}

    async def cancelorder(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "cancelorder")
        if getattr(self.ctx, "status", "online") == "maintenance":
            raise Reject("Unavailable")
        oid, cli = params.first("order_id", "orderId"), params.first("cliOrdId")
        if not oid and not cli:
            raise Reject("requiredArgumentMissing")
        return success(self.now(), cancelStatus=self._cancel(acct.name, oid, cli))

    async def cancelallorders(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "cancelallorders")
        if getattr(self.ctx, "status", "online") == "maintenance":
            raise Reject("Unavailable")
        symbol = params.get("symbol")
        inst = lookup(symbol) if symbol else None
        if symbol and inst is None:
            raise Reject("contractNotFound")
        victims, events = self.engine.cancel_all(acct.name, inst.symbol if inst else None)
        return success(self.now(), cancelStatus={
            "receivedTime": iso_ms(self.now()), "cancelOnly": inst.symbol if inst else "all",
            "status": "cancelled" if victims else "noOrdersToCancel",
            "cancelledOrders": [{"order_id": o.order_id, **({"cliOrdId": o.cli_ord_id} if o.cli_ord_id else {})}
                                for o in victims],
            "orderEvents": events})

    async def cancelallordersafter(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "cancelallordersafter")
        raw = params.get("timeout")
        if raw is None:
            raise Reject("requiredArgumentMissing")
        try:
            timeout = int(raw)
        except ValueError:
            raise Reject("invalidArgument")
        if timeout < 0 or timeout > 86400:
            raise Reject("invalidArgument")
        now, trigger = self.engine.set_dead_man(acct.name, timeout)
        return success(self.now(), status={"currentTime": iso_s(now),
                                           "triggerTime": iso_s(trigger) if trigger is not None else "0"})

    async def batchorder(self, request: web.Request) -> web.Response:
        params, _, _ = await read_params(request)
        raw = params.get("json")
        try:
            batch = json.loads(raw) if isinstance(raw, str) else raw
            instructions = batch["batchOrder"] if isinstance(batch, dict) else None
        except (ValueError, KeyError, TypeError):
            instructions = None
        size = len(instructions) if isinstance(instructions, list) else 0
        acct, params = await self.gate.check(request, "batchorder", cost=9 + size)
        if instructions is None:
            raise Reject("Json Parse Error")
        if not isinstance(instructions, list):
            raise Reject("invalidArgument")
        kinds = {str(i.get("order", "")).lower() for i in instructions if isinstance(i, dict)}
        if "cancel" in kinds and "cancel" not in acct.permissions:
            raise Reject("authenticationError")
        self._order_gate(acct.name)
        out = []
        tag_to_id: dict[str, str] = {}
        for ins in instructions:
            if not isinstance(ins, dict):
                raise Reject("invalidArgument")
            kind = str(ins.get("order", "")).lower()
            tag = ins.get("order_tag")
            received = iso_ms(self.now())
            p = Params(list(ins.items()))
            if kind == "send":
                try:
                    args = self._order_args(p)
                except Reject as r:
                    out.append({"status": r.code, "order_tag": tag, "orderEvents": []})
                    continue
                st = self._place(acct.name, args)
                if st["orderEvents"] and st["orderEvents"][0].get("type") == "REJECT":
                    # Kraken's batch answer for a refused order: status and tag only (send-batch-order)
                    out.append({"status": st["status"], "order_tag": tag, "orderEvents": []})
                    continue
                if tag is not None:
                    tag_to_id[str(tag)] = st["order_id"]
                item = {"status": st["status"], "order_tag": tag, "order_id": st["order_id"],
                        "dateTimeReceived": received, "orderEvents": st["orderEvents"]}
                if st.get("cliOrdId"):
                    item["cliOrdId"] = st["cliOrdId"]
                out.append(item)
            elif kind == "edit":
                oid = p.get("order_id") or tag_to_id.get(str(ins.get("order_tag")))
                st = self._edit(acct.name, oid, p.get("cliOrdId"), p.get("size"),
                                p.first("limit_price", "limitPrice"), p.first("stop_price", "stopPrice"))
                out.append({"status": st["status"], "order_id": st.get("orderId"), "dateTimeReceived": received,
                            "orderEvents": st["orderEvents"]})
            elif kind == "cancel":
                st = self._cancel(acct.name, p.get("order_id"), p.get("cliOrdId"))
                if st["status"] == "notFound":
                    # as documented: {"status": "notFound", "order_id"|"cliOrdId": ..., "orderEvents": []}
                    ref = {"order_id": p.get("order_id")} if p.get("order_id") else {"cliOrdId": p.get("cliOrdId")}
                    out.append({"status": "notFound", **ref, "orderEvents": []})
                    continue
                item = {"status": st["status"], "order_id": st.get("order_id"), "dateTimeReceived": received,
                        "orderEvents": st.get("orderEvents", [])}
                if p.get("cliOrdId"):
                    item["cliOrdId"] = p.get("cliOrdId")
                out.append(item)
            else:
                out.append({"status": "invalidArgument", "order_tag": tag, "dateTimeReceived": received,
                            "orderEvents": []})
        return success(self.now(), batchStatus=out)

    async def orders_status(self, request: web.Request) -> web.Response:
        """Orders that are open or were filled/cancelled in the last 5 seconds (Kraken's
        "Get Specific Orders' Status"); older closed orders only in the order history."""
        acct, params = await self.gate.check(request, "orders/status")
        ids = [x for v in params.getall("orderIds") for x in str(v).split(",") if x]
        clis = [x for v in params.getall("cliOrdIds") for x in str(v).split(",") if x]
        out = []
        wanted: list[Any] = [(i, None) for i in ids] + [(None, c) for c in clis]
        if not wanted:  # no ids: the account's open orders (ccxt's fetch_orders sends none)
            wanted = [o for o in self.engine.orders_of(acct.name)]
        recent = self.engine.now_ms() - ORDERS_STATUS_CLOSED_MS
        for item in wanted:
            o = item if isinstance(item, Order) else self.engine.order_by_id(acct.name, *item)
            if o is None or (not o.is_open and o.last_update < recent):  # as Kraken: closed in the last 5 s only
                continue
            status = {"untouched": "ENTERED_BOOK", "partiallyFilled": "ENTERED_BOOK", "filled": "FULLY_EXECUTED",
                      "cancelled": "CANCELLED", "rejected": "REJECTED"}[o.status]
            if o.is_trigger and o.is_open:
                status = "TRIGGER_PLACED"
            order = {"type": "TRIGGER_ORDER" if o.stop_price is not None else "ORDER", "orderId": o.order_id,
                     "cliOrdId": o.cli_ord_id, "symbol": o.symbol, "side": o.side, "quantity": o.size,
                     "filled": o.filled, "limitPrice": o.limit_price, "reduceOnly": o.reduce_only,
                     "timestamp": iso_ms(o.received / 1000), "lastUpdateTimestamp": iso_ms(o.last_update / 1000)}
            if o.stop_price is not None:
                order["stopPrice"] = o.stop_price
            out.append({"order": order, "status": status, "updateReason": o.reason or None, "error": None})
        return success(self.now(), orders=out)

    # ------------------------------------------------------------------ transfers
    async def transfer(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "transfer")
        frm, to, unit, amount = (params.get("fromAccount"), params.get("toAccount"), params.get("unit"),
                                 params.get("amount"))
        if not frm or not to or not unit or amount is None:
            raise Reject("requiredArgumentMissing")
        amt = to_dec(amount)
        if amt is None:
            raise Reject("invalidAmount")
        try:
            self.engine.transfer(acct.name, _wallet(frm), _wallet(to), unit, amt)
        except ValueError as e:
            raise Reject(str(e))
        return success(self.now())

    async def transfer_subaccount(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "transfer/subaccount")
        names = ("fromUser", "toUser", "fromAccount", "toAccount", "unit", "amount")
        vals = {n: params.get(n) for n in names}
        if any(v in (None, "") for v in vals.values()):
            raise Reject("requiredArgumentMissing")
        src = self._resolve_user(acct, vals["fromUser"])
        dst = self._resolve_user(acct, vals["toUser"])
        if src is None or dst is None:
            raise Reject("invalidAccount")
        amt = to_dec(vals["amount"])
        if amt is None:
            raise Reject("invalidAmount")
        try:
            self.engine.transfer(src.name, _wallet(vals["fromAccount"]), _wallet(vals["toAccount"]), vals["unit"],
                                 amt, info="subaccount transfer", to_account=dst.name)
        except ValueError as e:
            raise Reject(str(e))
        return success(self.now())

    async def withdrawal(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "withdrawal")
        currency, amount = params.get("currency"), params.get("amount")
        if not currency or amount is None:
            raise Reject("requiredArgumentMissing")
        wallet = _wallet(params.get("sourceWallet") or "cash")
        if wallet not in ("cash", "flex"):
            raise Reject("invalidAccount")
        unit = normalize_asset(currency)
        amt = to_dec(amount)
        if amt is None or amt <= 0:
            raise Reject("invalidAmount")
        if self.engine.balance(acct.name, wallet, unit) < amt:
            raise Reject("insufficientFunds")
        if wallet == "flex" and self.engine.flex_summary(acct.name)["availableMargin"] < amt * self.engine.asset_usd(unit):
            raise Reject("insufficientFunds")
        self.engine.credit(acct.name, wallet, unit, -amt, info="cross-exchange transfer")
        spot_asset = {"XBT": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR"}.get(unit, unit)
        self.ctx.db.credit(acct.name, spot_asset, amt, type="transfer", subtype="spotfromfutures",
                           refid="FUT" + str(self.engine.now_ms()), wallet="spot", now=self.now())
        return success(self.now())


#: orders/status knows closed orders for this long (Kraken: "filled/cancelled in the last 5 seconds")
ORDERS_STATUS_CLOSED_MS = 5000


def _change(entry: dict[str, Any]) -> Decimal:
    """By how much an account-log entry changed its wallet."""
    return (to_dec(entry.get("new_balance")) or ZERO) - (to_dec(entry.get("old_balance")) or ZERO)


def _wallet(name: Any) -> str:
    n = str(name).strip().lower()
    return {"futures wallet": "flex", "multi-collateral": "flex", "holding": "cash", "cash account": "cash"}.get(n, n)


__all__ = ["FuturesRest", "Gate", "Reject", "read_params", "PERMISSIONS", "WALLETS", "math", "Order"]
