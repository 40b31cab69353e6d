"""Kraken Futures history API (``/api/history/v2/*`` and ``v3``) and charts API (``/api/charts/v1/*``).

Every history list takes ``since`` and ``before`` (milliseconds), ``sort`` (``asc``/``desc``),
``count``, ``continuation_token`` (and the private ones ``tradeable``) and answers
``elements`` (empty when nothing matches). ``/positions`` lists position update events,
derived from the account log's trade entries (one per fill that changed a position).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from kraken_ops.exchange.futures.engine import PUBLIC, account_uid, event_data
from kraken_ops.exchange.futures.instruments import INSTRUMENTS, lookup
from kraken_ops.exchange.futures.rest import Handlers, Reject, read_params
from kraken_ops.exchange.futures.util import iso_ms, json_response

D = Decimal
RESOLUTIONS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14400, "12h": 43200,
               "1d": 86400, "1w": 604800}
TICK_TYPES = ("mark", "spot", "trade")
HISTORY_VERSIONS = ("v2", "v3")
MAX_CANDLES = 2000
CSV_COLUMNS = ("uid", "dateTime", "account", "type", "symbol", "contract", "change", "new balance",
               "new average", "realized pnl", "fee", "realized funding", "funding rate", "trade price",
               "mark price", "collateral", "execution")


def _token(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode()


#: integers of the history and charts APIs (ms timestamps, ids, counts) fit SQLite's 64 bits
INT_LIMIT = 2**63


def _untoken(token: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(str(token).encode()).decode())
    except Exception:
        raise Reject("invalidArgument")
    if not 0 <= value < INT_LIMIT:
        raise Reject("invalidArgument")
    return value


def _int(params: Any, name: str) -> int | None:
    """A whole-number parameter (millisecond timestamps, ids, counts); ``1.7e12`` and
    ``1700000000000.0`` are whole numbers too."""
    v = params.get(name)
    if v in (None, ""):
        return None
    try:
        value = int(v)
    except ValueError:
        try:
            d = Decimal(str(v).strip())
        except ArithmeticError:
            raise Reject("invalidArgument") from None
        if not d.is_finite() or d != d.to_integral_value() or abs(d) >= INT_LIMIT:
            raise Reject("invalidArgument") from None
        value = int(d)
    if not -INT_LIMIT < value < INT_LIMIT:
        raise Reject("invalidArgument")
    return value


#: the position history filters and the position changes each one selects
POSITION_FILTERS: dict[str, tuple[str, ...]] = {
    "opened": ("open",), "closed": ("close",), "increased": ("increase",), "decreased": ("decrease",),
    "reversed": ("reverse",), "no_change": ("no_change",),
    "trades": ("open", "close", "increase", "decrease", "reverse", "no_change"),
    "funding_realization": (), "settlement": (),
}


def _position_update(uid: str, row_id: int, time_ms: int, e: dict[str, Any]) -> dict[str, Any] | None:
    """The ``PositionUpdate`` of an account-log ``futures trade`` entry that moved a position
    (the entry whose asset is the contract), or None for the collateral entry."""
    contract = e.get("contract")
    if not contract or e.get("asset") != contract:
        return None
    try:
        old, new = Decimal(str(e.get("old_balance") or 0)), Decimal(str(e.get("new_balance") or 0))
    except ArithmeticError:
        return None
    if old == 0 and new != 0:
        change = "open"
    elif new == 0 and old != 0:
        change = "close"
    elif old == new:
        change = "no_change"
    elif (old > 0) != (new > 0):
        change = "reverse"
    else:
        change = "increase" if abs(new) > abs(old) else "decrease"
    inst = lookup(contract)

    def num(d: Decimal) -> str:
        return format(d.normalize(), "f") if d else "0"

    return {
        "accountUid": uid, "tradeable": inst.symbol if inst else str(contract).upper(),
        "oldPosition": num(old), "oldAverageEntryPrice": str(e.get("old_average_entry_price") or "0"),
        "newPosition": num(new), "newAverageEntryPrice": str(e.get("new_average_entry_price") or "0"),
        "fillTime": time_ms, "fee": str(e.get("fee") or "0"), "feeCurrency": e.get("collateral") or "USD",
        "realizedPnL": str(e.get("realized_pnl") or "0"), "positionChange": change,
        "executionUid": e.get("execution"), "executionPrice": str(e.get("trade_price") or "0"),
        "executionSize": num(abs(new - old)), "tradeType": "userExecution", "fundingRealizationTime": None,
        "realizedFunding": None, "settlementPrice": None, "timestamp": time_ms, "updateReason": "trade",
    }


def _time_ms(params: Any, name: str) -> int | None:
    """``since``/``before``: milliseconds, or an ISO-8601 time (python-kraken-sdk's docs pass
    ``before="2023-04-04T16:10:46.260Z"`` as well as ``before="1604937694000"``)."""
    v = params.get(name)
    if isinstance(v, str) and "T" in v and ":" in v:
        from kraken_ops.exchange.futures.util import parse_iso

        try:
            return int(parse_iso(v) * 1000)
        except ValueError:
            raise Reject("invalidArgument") from None
    return _int(params, name)


class FuturesHistory(Handlers):
    """Route handlers of the history (v2/v3) and charts APIs."""

    def routes(self, app: web.Application) -> None:
        r, w = app.router, self.wrap
        # v3 is Kraken's current history API (same element shapes as v2); ccxt's krakenfutures
        # calls v3 for account-log and market/{tradeable}/*, v2 for orders/executions/triggers
        for v in HISTORY_VERSIONS:
            for kind in ("orders", "executions", "triggers"):
                r.add_get(f"/api/history/{v}/{kind}", w(self._private_events(kind)), allow_head=False)
                r.add_get(f"/api/history/{v}/market/{{tradeable:[^/]+}}/{kind}" if kind != "triggers" else
                          f"/api/history/{v}/market/{{tradeable:[^/]+}}/price", w(self._market_events(kind)),
                          allow_head=False)
            r.add_get(f"/api/history/{v}/account-log", w(self.account_log), allow_head=False)
            r.add_get(f"/api/history/{v}/positions", w(self.positions), allow_head=False)
            r.add_get(f"/api/history/{v}/accountlogcsv", w(self.account_log_csv), allow_head=False)
        r.add_get("/api/charts/v1/", w(self.tick_types), allow_head=False)
        r.add_get("/api/charts/v1", w(self.tick_types), allow_head=False)
        r.add_get("/api/charts/v1/{tick_type:[^/]+}", w(self.symbols), allow_head=False)
        r.add_get("/api/charts/v1/{tick_type:[^/]+}/{symbol:[^/]+}", w(self.resolutions), allow_head=False)
        r.add_get("/api/charts/v1/{tick_type:[^/]+}/{symbol:[^/]+}/{resolution:[^/]+}", w(self.candles),
                  allow_head=False)

    # ------------------------------------------------------------------ events
    def _page(self, account: str, kind: str, params: Any, tradeable: str | None) -> dict[str, Any]:
        since, before = _time_ms(params, "since"), _time_ms(params, "before")
        count = _int(params, "count") or 500
        if count < 1 or count > 1000:
            raise Reject("invalidArgument")
        sort = str(params.get("sort") or "desc").lower()
        if sort not in ("asc", "desc"):
            raise Reject("invalidArgument")
        sql = "SELECT id, symbol, time, data FROM fut_events WHERE account=? AND kind=?"
        args: list[Any] = [account, kind]
        if tradeable:
            sql += " AND symbol=?"
            args.append(tradeable)
        if since is not None:
            sql += " AND time>=?"
            args.append(since)
        if before is not None:
            sql += " AND time<?"
            args.append(before)
        token = params.get("continuation_token") or params.get("continuationToken")
        if token:
            last = _untoken(token)
            sql += " AND id>?" if sort == "asc" else " AND id<?"
            args.append(last)
        sql += f" ORDER BY id {'ASC' if sort == 'asc' else 'DESC'} LIMIT ?"
        args.append(count + 1)
        rows = self.ctx.db.query(sql, args)
        more = len(rows) > count
        rows = rows[:count]
        out: dict[str, Any] = {"accountUid": account_uid(account) if account != PUBLIC else None,
                               "len": len(rows), "serverTime": iso_ms(self.now()),
                               "elements": [event_data(r["data"], r["symbol"], r["time"]) for r in rows]}
        if more:
            out["continuationToken"] = _token(rows[-1]["id"])
        return out

    def _private_events(self, kind: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            acct, params = await self.gate.check(request, "history", history=True)
            tradeable = params.get("tradeable")
            inst = lookup(tradeable) if tradeable else None
            if tradeable and inst is None:
                raise Reject("invalidArgument")
            return json_response(self._page(acct.name, kind, params, inst.symbol if inst else None))
        return handler

    def _market_events(self, kind: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            params, _, _ = await read_params(request)
            inst = lookup(request.match_info["tradeable"])
            if inst is None:
                raise Reject("notFound")
            if kind == "triggers":  # the /price route
                return json_response(self._price_page(inst.symbol, params))
            page = self._page(PUBLIC, kind, params, inst.symbol)
            page.pop("accountUid", None)
            return json_response(page)
        return handler

    def _price_page(self, symbol: str, params: Any) -> dict[str, Any]:
        since, before = _time_ms(params, "since"), _time_ms(params, "before")
        count = _int(params, "count") or 500
        sort = str(params.get("sort") or "desc").lower()
        series = self.engine.markets[symbol].series["mark"]
        items = [(t * 1000, p) for t, p, _ in series
                 if (since is None or t * 1000 >= since) and (before is None or t * 1000 < before)]
        if sort == "desc":
            items.reverse()
        token = params.get("continuation_token")
        start = _untoken(token) if token else 0
        page = items[start:start + count]
        out: dict[str, Any] = {"len": len(page), "serverTime": iso_ms(self.now()), "elements": [
            {"uid": f"{symbol}-{ts}", "timestamp": ts, "event": {"price": str(p)}} for ts, p in page]}
        if start + count < len(items):
            out["continuationToken"] = _token(start + count)
        return out

    # ------------------------------------------------------------------ positions
    async def positions(self, request: web.Request) -> web.Response:
        """Position update events (Kraken's ``GET /api/history/v3/positions``): one per fill
        that changed a position, with the filters ``opened``, ``closed``, ``increased``,
        ``decreased``, ``reversed``, ``no_change`` (true: only such events; false: not these),
        ``trades``, ``funding_realization`` and ``settlement``."""
        acct, params = await self.gate.check(request, "history", history=True)
        since, before = _time_ms(params, "since"), _time_ms(params, "before")
        count = _int(params, "count") or 500
        if count < 1 or count > 1000:
            raise Reject("invalidArgument")
        sort = str(params.get("sort") or "desc").lower()
        if sort not in ("asc", "desc"):
            raise Reject("invalidArgument")
        tradeable = params.get("tradeable")
        inst = lookup(tradeable) if tradeable else None
        if tradeable and inst is None:
            raise Reject("invalidArgument")
        flags: dict[str, bool] = {}
        for name in POSITION_FILTERS:
            raw = params.get(name)
            if raw not in (None, ""):
                if str(raw).lower() not in ("true", "false"):
                    raise Reject("invalidArgument")
                flags[name] = str(raw).lower() == "true"
        token = params.get("continuation_token") or params.get("continuationToken")
        last = _untoken(token) if token else None
        sql = "SELECT id, time, data FROM fut_log WHERE account=? AND info='futures trade'"
        args: list[Any] = [acct.name]
        for col, op, val in (("time", ">=", since), ("time", "<", before)):
            if val is not None:
                sql += f" AND {col}{op}?"
                args.append(val)
        if last is not None:
            sql += " AND id>?" if sort == "asc" else " AND id<?"
            args.append(last)
        sql += f" ORDER BY id {'ASC' if sort == 'asc' else 'DESC'} LIMIT 100000"
        uid = account_uid(acct.name)
        out: list[dict[str, Any]] = []
        more = False
        for row in self.ctx.db.query(sql, args):
            event = _position_update(uid, row["id"], row["time"], json.loads(row["data"]))
            if event is None or (inst is not None and event["tradeable"] != inst.symbol):
                continue
            change = event["positionChange"]
            wanted = [n for n, on in flags.items() if on]
            if wanted and not any(change in POSITION_FILTERS[n] for n in wanted):
                continue
            if any(change in POSITION_FILTERS[n] for n, on in flags.items() if not on):
                continue
            if len(out) == count:
                more = True
                break
            out.append({"uid": f"{uid[:24]}{row['id']:012d}", "timestamp": row["time"],
                        "event": {"PositionUpdate": event}, "_id": row["id"]})
        body: dict[str, Any] = {"accountUid": uid, "len": len(out), "serverTime": iso_ms(self.now()),
                                "elements": out}
        if more and out:
            body["continuationToken"] = _token(out[-1]["_id"])
        for e in out:
            del e["_id"]
        return json_response(body)

    # ------------------------------------------------------------------ account log
    def _log_rows(self, account: str, params: Any, limit_default: int = 500) -> list[dict[str, Any]]:
        since, before = _time_ms(params, "since"), _time_ms(params, "before")
        frm, to = _int(params, "from"), _int(params, "to")
        count = _int(params, "count") or limit_default
        if count < 1 or count > 500:
            raise Reject("invalidArgument")
        sort = str(params.get("sort") or "desc").lower()
        if sort not in ("asc", "desc"):
            raise Reject("invalidArgument")
        sql, args = "SELECT id, data FROM fut_log WHERE account=?", [account]
        for col, op, val in (("time", ">=", since), ("time", "<", before), ("id", ">=", frm), ("id", "<=", to)):
            if val is not None:
                sql += f" AND {col}{op}?"
                args.append(val)
        infos = [i for v in params.getall("info") for i in str(v).split(",") if i]
        if infos:
            sql += " AND info IN (%s)" % ",".join("?" * len(infos))
            args.extend(infos)
        sql += f" ORDER BY id {'ASC' if sort == 'asc' else 'DESC'} LIMIT ?"
        args.append(count)
        out = []
        for row in self.ctx.db.query(sql, args):
            entry = json.loads(row["data"])
            entry["id"] = row["id"]
            for k, v in list(entry.items()):
                if isinstance(v, str) and k not in ("date", "asset", "info", "booking_uid", "margin_account",
                                                    "execution", "collateral", "contract"):
                    try:
                        entry[k] = D(v)
                    except Exception:
                        pass
            out.append(entry)
        return out

    async def account_log(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "account-log", history=True)
        return json_response({"accountUid": account_uid(acct.name), "logs": self._log_rows(acct.name, params)})

    async def account_log_csv(self, request: web.Request) -> web.Response:
        acct, params = await self.gate.check(request, "account-log", history=True)
        rows = self.ctx.db.query("SELECT id, data FROM fut_log WHERE account=? ORDER BY id DESC LIMIT 500000",
                                 (acct.name,))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for row in rows:
            e = json.loads(row["data"])
            change = ""
            if e.get("old_balance") is not None and e.get("new_balance") is not None:
                change = str(D(e["new_balance"]) - D(e["old_balance"]))
            w.writerow([row["id"], e.get("date"), e.get("margin_account") or "", e.get("info"),
                        e.get("asset") or "", e.get("contract") or "", change, e.get("new_balance") or "",
                        e.get("new_average_entry_price") or "", e.get("realized_pnl") or "", e.get("fee") or "",
                        e.get("realized_funding") or "", e.get("funding_rate") or "", e.get("trade_price") or "",
                        e.get("mark_price") or "", e.get("collateral") or "", e.get("execution") or ""])
        return web.Response(body=buf.getvalue().encode(), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="account_log.csv"'})

    # ------------------------------------------------------------------ charts
    async def tick_types(self, request: web.Request) -> web.Response:
        return json_response(list(TICK_TYPES))

    def _tick_type(self, request: web.Request) -> str:
        t = request.match_info["tick_type"]
        if t not in TICK_TYPES:
            raise web.HTTPNotFound(text='{"error":"not found"}', content_type="application/json")
        return t

    async def symbols(self, request: web.Request) -> web.Response:
        self._tick_type(request)
        return json_response(list(INSTRUMENTS))

    async def resolutions(self, request: web.Request) -> web.Response:
        self._tick_type(request)
        if lookup(request.match_info["symbol"]) is None:
            raise web.HTTPNotFound(text='{"error":"not found"}', content_type="application/json")
        return json_response(list(RESOLUTIONS))

    async def candles(self, request: web.Request) -> web.Response:
        tick_type = self._tick_type(request)
        inst = lookup(request.match_info["symbol"])
        res = RESOLUTIONS.get(request.match_info["resolution"])
        if inst is None or res is None:
            raise web.HTTPNotFound(text='{"error":"not found"}', content_type="application/json")
        params, _, _ = await read_params(request)
        now = int(self.now())
        frm, to = _int(params, "from"), _int(params, "to")
        to = now if to is None else to
        frm = to - res * MAX_CANDLES if frm is None else frm
        series = self.engine.markets[inst.symbol].series[tick_type]
        buckets: dict[int, list[Decimal]] = {}
        for t, price, vol in series:
            if t < frm - res or t > to:
                continue
            b = t // res * res
            if b < frm // res * res:
                continue
            c = buckets.get(b)
            if c is None:
                buckets[b] = [price, price, price, price, vol]
            else:
                c[1] = max(c[1], price)
                c[2] = min(c[2], price)
                c[3] = price
                c[4] += vol
        keys = sorted(buckets)
        more = len(keys) > MAX_CANDLES
        keys = keys[-MAX_CANDLES:] if more else keys
        candles = [{"time": k * 1000, "open": str(buckets[k][0]), "high": str(buckets[k][1]),
                    "low": str(buckets[k][2]), "close": str(buckets[k][3]), "volume": str(buckets[k][4])}
                   for k in keys]
        return json_response({"candles": candles, "more_candles": more})
