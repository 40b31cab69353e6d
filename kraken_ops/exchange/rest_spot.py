"""Spot REST: ``/0/public/*`` and ``/0/private/*`` (kraken-protocol.md §1-§2).

Private requests are checked in Kraken's order (§7.1): key, signature over the raw
body, the ``otp`` of a key with 2FA, nonce (with the account's window), permission,
REST call counter, then the endpoint's own validation and business rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import time
import zipfile
from decimal import Decimal
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web

from kraken_ops.exchange import auth, books
from kraken_ops.exchange.engine import (NUMBER_LIMIT, TIME_LIMIT, KrakenError, Order, Params, as_list, invalid,
                                        parse_bool, parse_decimal, ref_list)
from kraken_ops.exchange.margin import consolidate as margin_consolidate
from kraken_ops.exchange.markets import (ASSET_CLASSES, ASSETS, INTERVALS, MAKER_RATE, PAIRS, TAKER_RATE, find_pair,
                                         fmt_asset, normalize_asset, pair_in_class, result_key)
from kraken_ops.exchange.state import Account, StateError, new_id, readable_amount

D = Decimal
Handler = Callable[[Any, Account, dict[str, Any]], Any]

REST_LIMITS = {"starter": (15.0, 0.33), "intermediate": (20.0, 0.5), "pro": (20.0, 1.0)}
HISTORY_CALLS = {"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"}
TRADING_CALLS = {"AddOrder", "AddOrderBatch", "AmendOrder", "EditOrder", "CancelOrder", "CancelOrderBatch",
                 "CancelAll", "CancelAllOrdersAfter"}
EXPORT_QUEUED_S = 0.3
EXPORT_PROCESSING_S = 0.6
WITHDRAW_PENDING_S = 5.0
EARN_PENDING_S = 1.0


def envelope(result: Any = None, errors: list[str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": errors or []}
    if not errors:
        body["result"] = result
    return web.Response(text=json.dumps(body, default=str), content_type="application/json")


def err(error: str) -> web.Response:
    return envelope(errors=[error])


class RestCounter:
    """The per-key REST call counter (§1.7)."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, float]] = {}

    def charge(self, account: Account, key: str, cost: int, now: float) -> bool:
        maximum, decay = REST_LIMITS.get(account.tier, REST_LIMITS["pro"])
        value, at = self.values.get(key, (0.0, now))
        value = max(0.0, value - decay * (now - at))
        if value + cost > maximum:
            self.values[key] = (value, now)
            return False
        self.values[key] = (value + cost, now)
        return True


# ------------------------------------------------------------------ public
def asset_class_param(params: dict[str, Any], name: str = "asset_class") -> str:
    """The asset class a request names (``asset_class``, ``aclass`` or ``aclass_base``);
    Kraken's default is ``currency``."""
    value = params.get(name)
    if value in (None, ""):
        return "currency"
    if value not in ASSET_CLASSES:
        raise invalid(name)
    return str(value)


def _pairs_param(params: dict[str, Any], default_all: bool = True, class_param: str = "asset_class") -> list[tuple[str, Any]]:
    """The pairs a public request names, within its asset class (as at Kraken, an xStock or
    forex pair is unknown unless the request carries its class; no pair: every pair of the class)."""
    aclass = asset_class_param(params, class_param)
    names = as_list(params.get("pair"))
    if not names:
        if not default_all:
            raise invalid("pair")
        return [(p.id, p) for p in PAIRS.values() if pair_in_class(p, aclass)]
    out = []
    for n in names:
        p = find_pair(n)
        if p is None or not pair_in_class(p, aclass):
            raise KrakenError("EQuery:Unknown asset pair")
        out.append((result_key(p, n), p))
    return out


def _one_pair(params: dict[str, Any]) -> tuple[str, Any]:
    pairs = _pairs_param(params, default_all=False)
    return pairs[0]


def _since(params: dict[str, Any], name: str) -> Decimal | None:
    """``since`` of OHLC, Trades and Spread: unix seconds (Trades also takes its own
    nanosecond ``last``); a finite number from 0, else ``EGeneral:Invalid arguments:since``."""
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        d = D(str(value).strip())
    except (ArithmeticError, ValueError):
        raise invalid(name) from None
    if not d.is_finite() or not 0 <= d < D(10) ** 20:
        raise invalid(name)
    return d


def pub_time(ctx: Any, params: dict[str, Any]) -> Any:
    now = ctx.clock()
    return {"unixtime": int(now), "rfc1123": formatdate(now, usegmt=False).replace("-0000", "+0000")}


def pub_status(ctx: Any, params: dict[str, Any]) -> Any:
    return {"status": ctx.status, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.clock()))}


def pub_assets(ctx: Any, params: dict[str, Any]) -> Any:
    names = as_list(params.get("asset"))
    aclass = asset_class_param(params, "aclass")
    if not names:
        return {a.id: a.to_kraken(aclass) for a in ASSETS.values() if a.in_class(aclass)}
    out = {}
    for n in names:
        aid = normalize_asset(n)
        if aid is None or not ASSETS[aid].in_class(aclass):
            raise KrakenError("EQuery:Unknown asset")
        out[aid] = ASSETS[aid].to_kraken(aclass)
    return out


def pub_asset_pairs(ctx: Any, params: dict[str, Any]) -> Any:
    info = params.get("info") or "info"
    if info not in ("info", "leverage", "fees", "margin"):
        raise invalid("info")
    return {key: p.to_kraken(info) for key, p in _pairs_param(params, class_param="aclass_base")}


def pub_ticker(ctx: Any, params: dict[str, Any]) -> Any:
    now = ctx.clock()
    out = {}
    for key, p in _pairs_param(params):
        pd = ctx.markets.data[p.id]
        book = ctx.engine.books[p.id]
        bids = book.levels("buy", 1) or [(pd.mid, D(0), 0)]
        asks = book.levels("sell", 1) or [(pd.mid, D(0), 0)]
        st = ctx.markets.stats(p.id, now)
        tv, tvw, tn, tl, th = st["today"]
        dv, dvw, dn, dl, dh = st["day"]
        out[key] = {
            "a": [p.fmt_price(asks[0][0]), str(int(asks[0][1]) or 1), p.fmt_vol(asks[0][1])],
            "b": [p.fmt_price(bids[0][0]), str(int(bids[0][1]) or 1), p.fmt_vol(bids[0][1])],
            "c": [p.fmt_price(pd.last), p.fmt_vol(pd.last_vol)],
            "v": [p.fmt_vol(tv), p.fmt_vol(dv)],
            "p": [p.fmt_price(tvw), p.fmt_price(dvw)],
            "t": [tn, dn],
            "l": [p.fmt_price(tl), p.fmt_price(dl)],
            "h": [p.fmt_price(th), p.fmt_price(dh)],
            "o": p.fmt_price(st["open_today"]),
        }
    return out


def pub_ohlc(ctx: Any, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    try:
        interval = int(params.get("interval") or 1)
    except ValueError:
        raise invalid("interval") from None
    if interval not in INTERVALS:
        raise invalid("interval")
    since = _since(params, "since")
    rows, last = ctx.markets.ohlc(p.id, interval, int(since) if since is not None else None, ctx.clock())
    return {key: rows, "last": last}


def pub_depth(ctx: Any, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    try:
        count = int(params.get("count") or 100)
    except ValueError:
        raise invalid("count") from None
    if not 1 <= count <= 500:
        raise invalid("count")
    book = ctx.engine.books[p.id]
    fmt = lambda lv: [[p.fmt_price(a), p.fmt_vol(b), int(t)] for a, b, t in lv]  # noqa: E731
    return {key: {"asks": fmt(book.levels("sell", count)), "bids": fmt(book.levels("buy", count))}}


def pub_trades(ctx: Any, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    try:
        count = int(params.get("count") or 1000)
    except ValueError:
        raise invalid("count") from None
    if not 1 <= count <= 1000:
        raise invalid("count")
    since = _since(params, "since")
    trades = list(ctx.markets.data[p.id].trades)
    if since is not None:
        s = int(since) if since >= 10**12 else int(since * 10**9)  # nanoseconds (Trades' "last") or seconds
        trades = [t for t in trades if int(t[2] * 1e9) > s]
    trades = trades[:count] if since is not None else trades[-count:]
    rows = [[p.fmt_price(t[0]), p.fmt_vol(t[1]), round(t[2], 4), t[3], t[4], t[5], t[6]] for t in trades]
    last = str(int(trades[-1][2] * 1e9)) if trades else str(int(ctx.clock() * 1e9))
    return {key: rows, "last": last}


def pub_spread(ctx: Any, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    since = _since(params, "since")
    rows = list(ctx.markets.data[p.id].spreads)
    if since is not None:
        rows = [r for r in rows if r[0] > int(since)]
    out = [[r[0], p.fmt_price(r[1]), p.fmt_price(r[2])] for r in rows]
    return {key: out, "last": out[-1][0] if out else int(ctx.clock())}


def pub_grouped_book(ctx: Any, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    return books.grouped_book(ctx, p, key, params)


PUBLIC: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "Time": pub_time, "SystemStatus": pub_status, "Assets": pub_assets, "AssetPairs": pub_asset_pairs,
    "Ticker": pub_ticker, "OHLC": pub_ohlc, "Depth": pub_depth, "Trades": pub_trades, "Spread": pub_spread,
    "GroupedBook": pub_grouped_book,
}


# ------------------------------------------------------------------ private: account data
def p_balance(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    out = {a: fmt_asset(a, v) for a, v in sorted(ctx.db.balances(acct.name).items())}
    for a, v in sorted(ctx.db.balances(acct.name, "earn").items()):
        if v:
            out[(ASSETS[a].altname if a in ASSETS else a) + ".F"] = fmt_asset(a, v)
    return out


def p_balance_ex(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    holds = ctx.engine.holds(acct.name)
    return {a: {"balance": fmt_asset(a, v), "hold_trade": fmt_asset(a, holds.get(a, D(0)))}
            for a, v in sorted(ctx.db.balances(acct.name).items())}


def _value_in(ctx: Any, asset: str, amount: Decimal, target: str) -> Decimal:
    return ctx.engine.value_in(asset, amount, target)


def p_trade_balance(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    """TradeBalance, computed from the balances and the open margin positions (see
    :meth:`Engine.margin_summary`); ``ml`` only while there are positions, as at Kraken."""
    target = normalize_asset(params.get("asset") or "ZUSD")
    if target is None:
        raise KrakenError("EQuery:Unknown asset")
    s = ctx.engine.margin_summary(acct.name, target)
    f = lambda v: fmt_asset(target, v)  # noqa: E731
    out = {k: f(s[k]) for k in ("eb", "tb", "m", "n", "c", "v", "e", "mf")}
    if s["ml"] is not None:
        out["ml"] = format(s["ml"].quantize(D("0.01")), "f")
    out["uv"] = f(s["uv"])
    return out


def _order_matches(o: Order, params: dict[str, Any]) -> bool:
    if params.get("userref") not in (None, "") and str(o.userref) != str(params["userref"]):
        return False
    if params.get("cl_ord_id") not in (None, "") and o.cl_ord_id != params["cl_ord_id"]:
        return False
    return True


def p_open_orders(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    trades = parse_bool(params.get("trades"), "trades")
    orders = sorted((o for o in ctx.engine.orders.values() if o.account == acct.name), key=lambda o: -o.opentm)
    return {"open": {o.txid: o.to_kraken(trades) for o in orders if _order_matches(o, params)}}


def _num(value: Any, name: str) -> float | None:
    """An optional time bound (unix seconds): finite and below TIME_LIMIT in absolute value."""
    if value in (None, ""):
        return None
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise invalid(name) from None
    if not -TIME_LIMIT < t < TIME_LIMIT:  # also NaN and infinities
        raise invalid(name)
    return t


def _ofs(params: dict[str, Any]) -> int:
    """A result offset: a whole number from 0 (Kraken's ``ofs``)."""
    value = params.get("ofs")
    if value in (None, ""):
        return 0
    try:
        ofs = int(str(value).strip())
    except ValueError:
        raise invalid("ofs") from None
    if not 0 <= ofs < 2**31:
        raise invalid("ofs")
    return ofs


def p_closed_orders(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    trades = parse_bool(params.get("trades"), "trades")
    start, end = _num(params.get("start"), "start"), _num(params.get("end"), "end")
    ofs = _ofs(params)
    closetime = params.get("closetime") or "both"
    if closetime not in ("open", "close", "both"):
        raise invalid("closetime")
    rows = ctx.db.query("SELECT data FROM orders WHERE account=? AND status IN ('closed','canceled','expired')"
                        " ORDER BY closetm DESC", (acct.name,))
    orders = [Order.from_record(r["data"]) for r in rows]

    def in_range(o: Order) -> bool:
        ts = [o.opentm] if closetime == "open" else [o.closetm or 0] if closetime == "close" \
            else [o.opentm, o.closetm or 0]
        return any((start is None or t > start) and (end is None or t <= end) for t in ts)

    orders = [o for o in orders if in_range(o) and _order_matches(o, params)]
    page = orders[ofs:ofs + 50]
    return {"closed": {o.txid: o.to_kraken(trades) for o in page}, "count": len(orders)}


def p_query_orders(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    txids = as_list(params.get("txid"))
    if not txids or len(txids) > 50:
        raise invalid("txid")
    trades = parse_bool(params.get("trades"), "trades")
    out = {}
    for t in txids:
        o = ctx.engine.load_order(acct.name, t)
        if o is None:
            raise KrakenError("EOrder:Invalid order")
        if _order_matches(o, params):
            out[t] = o.to_kraken(trades)
    return out


def p_order_amends(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    if not params.get("order_id"):
        raise invalid("order_id")
    return ctx.engine.order_amends(acct.name, str(params["order_id"]))


def _trades_rows(ctx: Any, acct: Account) -> list[tuple[str, dict[str, Any]]]:
    rows = ctx.db.query("SELECT txid, data FROM trades WHERE account=? ORDER BY time DESC", (acct.name,))
    return [(r["txid"], json.loads(r["data"])) for r in rows]


def p_trades_history(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    typ = params.get("type") or "all"
    if typ not in ("all", "any position", "closed position", "closing position", "no position"):
        raise invalid("type")
    start, end = _num(params.get("start"), "start"), _num(params.get("end"), "end")
    ofs = _ofs(params)
    with_ledgers = parse_bool(params.get("ledgers"), "ledgers")
    rows = [(t, d) for t, d in _trades_rows(ctx, acct)
            if (start is None or d["time"] > start) and (end is None or d["time"] <= end)]
    rows = [(t, d) for t, d in rows if _position_kind(ctx, d, typ)]
    out = {}
    for t, d in rows[ofs:ofs + 50]:
        if not with_ledgers:
            d = {k: v for k, v in d.items() if k != "ledgers"}
        out[t] = d
    return {"trades": out, "count": len(rows)}


def _position_kind(ctx: Any, trade: dict[str, Any], kind: str) -> bool:
    """TradesHistory ``type``: any position (margin trades), closed position (trades that opened
    a position now closed), closing position (trades that closed one), no position (spot)."""
    if kind == "all":
        return True
    margin = "posstatus" in trade or "closing" in trade.get("misc", "").split(",")
    if kind == "no position":
        return not margin
    if kind == "any position":
        return margin
    if kind == "closing position":
        return "closing" in trade.get("misc", "").split(",")
    return trade.get("posstatus") == "closed"


def p_query_trades(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    txids = as_list(params.get("txid"))
    if not txids or len(txids) > 20:
        raise invalid("txid")
    out = {}
    for t in txids:
        rows = ctx.db.query("SELECT data FROM trades WHERE txid=? AND account=?", (t, acct.name))
        if not rows:
            raise invalid("txid")
        d = json.loads(rows[0]["data"])
        d.pop("ledgers", None)
        out[t] = d
    return out


def p_open_positions(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    """OpenPositions: by position id (the opening trade's id), ``txid`` filters (position ids
    or the orders that opened them), ``docalcs`` adds ``value`` and ``net`` at the last traded
    price, ``consolidation=market`` answers one entry per pair and side (a list)."""
    docalcs = parse_bool(params.get("docalcs"), "docalcs")
    consolidation = params.get("consolidation")
    if consolidation not in (None, "", "market"):
        raise invalid("consolidation")
    wanted = set(as_list(params.get("txid")))
    engine = ctx.engine
    positions = [p for p in engine.open_positions(acct.name)
                 if not wanted or p.posid in wanted or p.ordertxid in wanted]
    quote_fmt = lambda pair: (lambda v: fmt_asset(pair.quote, v))  # noqa: E731
    if consolidation:
        return margin_consolidate(positions, engine.position_price, docalcs, quote_fmt)
    return {p.posid: p.to_kraken(engine.position_price(p.pair) if docalcs else None, quote_fmt(p.pair))
            for p in positions}


def _ledger_dict(r: Any) -> dict[str, Any]:
    return {"refid": r["refid"], "time": round(r["time"], 4), "type": r["type"], "subtype": r["subtype"],
            "aclass": r["aclass"], "asset": r["asset"], "wallet": "spot / main" if r["wallet"] == "spot"
            else r["wallet"], "amount": fmt_asset(r["asset"], D(r["amount"])),
            "fee": fmt_asset(r["asset"], D(r["fee"])), "balance": fmt_asset(r["asset"], D(r["balance"]))}


def _ledger_ok(r: Any) -> bool:
    """Whether a ledger row can be shown (an unreadable amount is skipped with a warning, so that
    one bad row written before the admin bounds existed does not take the account's Ledgers down)."""
    return all(readable_amount(r[c], "ledger " + c, r["account"], r["id"]) is not None
               for c in ("amount", "fee", "balance"))


def _ledger_rows(ctx: Any, acct: Account, params: dict[str, Any]) -> list[Any]:
    assets = [a for a in as_list(params.get("asset")) if a != "all"]
    ids = []
    for a in assets:
        aid = normalize_asset(a)
        if aid is None:
            raise KrakenError("EQuery:Unknown asset")
        ids.append(aid)
    typ = params.get("type") or "all"
    start, end = _num(params.get("start"), "start"), _num(params.get("end"), "end")
    rows = ctx.db.query("SELECT * FROM ledgers WHERE account=? AND wallet='spot' ORDER BY time DESC, rowid DESC",
                        (acct.name,))
    return [r for r in rows if (not ids or r["asset"] in ids) and (typ == "all" or r["type"] == typ)
            and (start is None or r["time"] > start) and (end is None or r["time"] <= end) and _ledger_ok(r)]


def p_ledgers(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    rows = _ledger_rows(ctx, acct, params)
    ofs = _ofs(params)
    out: dict[str, Any] = {"ledger": {r["id"]: _ledger_dict(r) for r in rows[ofs:ofs + 50]}}
    if not parse_bool(params.get("without_count"), "without_count"):
        out["count"] = len(rows)
    return out


def p_query_ledgers(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    ids = as_list(params.get("id"))
    if not ids or len(ids) > 20:
        raise invalid("id")
    out = {}
    for i in ids:
        rows = ctx.db.query("SELECT * FROM ledgers WHERE id=? AND account=?", (i, acct.name))
        if not rows or not _ledger_ok(rows[0]):
            raise invalid("id")
        out[i] = _ledger_dict(rows[0])
    return out


def p_trade_volume(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    volume = D(0)
    for _, d in _trades_rows(ctx, acct):
        p = find_pair(d["pair"])
        if p is not None:
            volume += _value_in(ctx, p.quote, D(d["cost"]), "ZUSD")
    out: dict[str, Any] = {"currency": "ZUSD", "volume": fmt_asset("ZUSD", volume)}
    names = as_list(params.get("pair"))
    if names:
        fees, fees_maker = {}, {}
        for n in names:
            p = find_pair(n)
            if p is None:
                raise KrakenError("EQuery:Unknown asset pair")
            k = result_key(p, n)
            fees[k] = {"fee": str(TAKER_RATE * 100), "minfee": "0.1000", "maxfee": "0.2600", "nextfee": "0.2400",
                       "nextvolume": "50000.0000", "tiervolume": "0.0000"}
            fees_maker[k] = {"fee": str(MAKER_RATE * 100), "minfee": "0.0000", "maxfee": "0.1600",
                             "nextfee": "0.1400", "nextvolume": "50000.0000", "tiervolume": "0.0000"}
        out["fees"] = fees
        out["fees_maker"] = fees_maker
    return out


def p_credit_lines(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return None  # as Kraken answers for an account without a credit line (result: null)


def p_level3(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    key, p = _one_pair(params)
    return books.level3_rest(ctx, p, key, params)


# balance endpoints that take rebase_multiplier (xStocks: rebased = underlying equity, base = SPV
# tokens); the local exchange's xStocks have a multiplier of 1, so both views are equal
REBASE_ENDPOINTS = {"Balance", "BalanceEx", "TradeBalance", "CreditLines"}
REBASE_MULTIPLIERS = ("rebased", "base")


# ------------------------------------------------------------------ private: trading
def _order_params(params: dict[str, Any]) -> dict[str, Any]:
    """Checks of AddOrder parameters the engine does not read (``leverage``, ``reduce_only``
    and ``trigger`` are the engine's: margin orders and trailing stops)."""
    stp = params.get("stptype")
    if stp not in (None, "", "cancel-newest", "cancel-oldest", "cancel-both"):
        raise invalid("stptype")
    return params


def _check_pair_class(params: dict[str, Any], pair_name: Any = None) -> None:
    """Orders on xStocks and forex pairs must name their class (``asset_class``), as at
    Kraken (kraken-protocol.md §2, python-kraken-sdk's xStocks chapter); without it the pair
    is unknown. Pairs that do not exist are left to the engine's own checks."""
    aclass = asset_class_param(params)
    name = params.get("pair") if pair_name is None else pair_name
    pair = find_pair(str(name)) if name else None
    if pair is not None and not pair_in_class(pair, aclass):
        raise KrakenError("EQuery:Unknown asset pair")


def p_add_order(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    _check_pair_class(params)
    return ctx.engine.add_order(acct, _order_params(params))


def p_add_order_batch(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    _check_pair_class(params)
    orders = params.get("orders")
    if isinstance(orders, str):
        try:
            orders = json.loads(orders, parse_float=Decimal)
        except ValueError:
            raise invalid("orders") from None
    return ctx.engine.add_order_batch(acct, params.get("pair"), orders, params.get("validate"),
                                      params.get("deadline"))


def p_amend_order(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    """AmendOrder: Kraken needs ``pair`` for orders on xStocks (and forex pairs); when given
    it must be the order's pair (``asset_class``, if given, must be the pair's class)."""
    ref = params.get("txid") or params.get("order_id") or params.get("cl_ord_id")
    found = ctx.engine.find_open(acct.name, str(ref)) if ref else []
    if found:
        pair = found[0].pair
        name = params.get("pair")
        if name:
            named = find_pair(str(name))
            if named is None or named is not pair:
                raise KrakenError("EQuery:Unknown asset pair")
        elif pair.aclass_base != "currency":
            raise invalid("pair")
        if params.get("asset_class") not in (None, "") and asset_class_param(params) != pair.aclass_base:
            raise KrakenError("EQuery:Unknown asset pair")
    return ctx.engine.amend_order(acct, params)


def p_edit_order(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    _check_pair_class(params)
    return ctx.engine.edit_order(acct, params)


def p_cancel_order(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return ctx.engine.cancel_order(acct, params.get("txid"), params.get("cl_ord_id"))


def p_cancel_all(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return {"count": ctx.engine.cancel_all(acct)}


def p_cancel_all_after(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    if params.get("timeout") in (None, ""):
        raise invalid("timeout")
    return ctx.engine.cancel_all_after(acct, params["timeout"])


def p_cancel_batch(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    orders = ref_list(params.get("orders"), "orders")
    cl = ref_list(params.get("cl_ord_ids"), "cl_ord_ids")
    if not orders and not cl:
        raise invalid("orders")
    return ctx.engine.cancel_batch(acct, orders, cl)


def p_ws_token(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    token = secrets.token_urlsafe(32)
    ctx.ws_tokens[token] = (acct.name, ctx.clock())
    return {"token": token, "expires": 900}


# ------------------------------------------------------------------ private: exports
def _export_status(ctx: Any, data: dict[str, Any]) -> str:
    age = ctx.clock() - data["created"]
    if age < EXPORT_QUEUED_S:
        return "Queued"
    if age < EXPORT_PROCESSING_S:
        return "Processing"
    return "Processed"


TRADE_FIELDS = ["txid", "ordertxid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol", "margin",
                "misc", "ledgers"]
LEDGER_FIELDS = ["txid", "refid", "time", "type", "subtype", "aclass", "asset", "wallet", "amount", "fee", "balance"]


def p_add_export(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    report = params.get("report")
    if report not in ("trades", "ledgers"):
        raise invalid("report")
    if not params.get("description"):
        raise invalid("description")
    fmt = (params.get("format") or "CSV").upper()
    if fmt not in ("CSV", "TSV"):
        raise invalid("format")
    all_fields = TRADE_FIELDS if report == "trades" else LEDGER_FIELDS
    fields = as_list(params.get("fields")) or ["all"]
    if fields != ["all"] and not set(fields) <= set(all_fields):
        raise invalid("fields")
    now = ctx.clock()
    while True:  # four letters, as Kraken's ids; a new one until it is unused
        eid = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        if not ctx.db.query("SELECT 1 FROM exports WHERE id=?", (eid,)):
            break
    data = {"id": eid, "descr": str(params["description"]), "format": fmt, "report": report, "fields": fields,
            "created": now, "starttm": _num(params.get("starttm"), "starttm"),
            "endtm": _num(params.get("endtm"), "endtm"), "asset": params.get("asset") or "all"}
    ctx.db.execute("INSERT INTO exports(id, account, report, data) VALUES(?,?,?,?)",
                   (eid, acct.name, report, json.dumps(data)))
    return {"id": eid}


def p_export_status(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    report = params.get("report")
    if report not in ("trades", "ledgers"):
        raise invalid("report")
    out = []
    for r in ctx.db.query("SELECT data FROM exports WHERE account=? AND report=? ORDER BY rowid", (acct.name, report)):
        d = json.loads(r["data"])
        status = _export_status(ctx, d)
        created = int(d["created"])
        out.append({
            "id": d["id"], "descr": d["descr"], "format": d["format"], "report": report, "subtype": "all",
            "status": status, "flags": "0", "fields": ",".join(d["fields"]), "createdtm": str(created),
            "expiretm": str(created + 14 * 86400), "starttm": str(created) if status != "Queued" else None,
            "completedtm": str(created) if status == "Processed" else None,
            "datastarttm": str(int(d["starttm"] or 0)), "dataendtm": str(int(d["endtm"] or created)),
            "aclass": "forex", "asset": d["asset"],
        })
    return out


def _build_zip(ctx: Any, acct: Account, d: dict[str, Any]) -> bytes:
    report = d["report"]
    fields = TRADE_FIELDS if report == "trades" else LEDGER_FIELDS
    if d["fields"] != ["all"]:
        fields = [f for f in fields if f in d["fields"]]
    start, end = d.get("starttm"), d.get("endtm")
    rows: list[dict[str, Any]] = []
    if report == "trades":
        for t, data in reversed(_trades_rows(ctx, acct)):
            rows.append({"txid": t, **data, "ledgers": ",".join(data.get("ledgers", []))})
    else:
        for r in ctx.db.query("SELECT * FROM ledgers WHERE account=? ORDER BY time, rowid", (acct.name,)):
            if _ledger_ok(r):
                rows.append({"txid": r["id"], **_ledger_dict(r)})
    rows = [r for r in rows if (start is None or r["time"] >= start) and (end is None or r["time"] <= end)]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t" if d["format"] == "TSV" else ",", lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow([r.get(f, "") for f in fields])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{report}.{d['format'].lower()}", buf.getvalue())
    return out.getvalue()


def p_retrieve_export(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    eid = params.get("id")
    rows = ctx.db.query("SELECT data, zip FROM exports WHERE id=? AND account=?", (eid, acct.name))
    if not eid or not rows:
        raise invalid("id")
    d = json.loads(rows[0]["data"])
    if _export_status(ctx, d) != "Processed":
        raise KrakenError("EExport:Report not ready")
    blob = rows[0]["zip"]
    if blob is None:
        blob = _build_zip(ctx, acct, d)
        ctx.db.execute("UPDATE exports SET zip=? WHERE id=?", (blob, eid))
    return web.Response(body=bytes(blob), content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{eid}.zip"'})


def p_remove_export(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    eid = params.get("id")
    typ = params.get("type")
    if typ not in ("cancel", "delete"):
        raise invalid("type")
    rows = ctx.db.query("SELECT data FROM exports WHERE id=? AND account=?", (eid, acct.name))
    if not eid or not rows:
        raise invalid("id")
    d = json.loads(rows[0]["data"])
    if typ == "cancel" and _export_status(ctx, d) == "Processed":
        raise invalid("type")
    ctx.db.execute("DELETE FROM exports WHERE id=?", (eid,))
    return {typ: True}


# ------------------------------------------------------------------ private: funding
DEPOSIT_METHODS = {
    "XXBT": ("Bitcoin", "0.0001", "0.00040"), "XETH": ("Ether (Hex)", "0.001", "0.00250"),
    "ZUSD": ("Bank Frick (SWIFT)", "10.00", "5.00"), "ZEUR": ("SEPA (Instant)", "1.00", "0.00"),
    "DOT": ("Polkadot", "1", "0.05"), "SOL": ("Solana", "0.01", "0.001"),
    "ZGBP": ("Faster Payments", "1.00", "0.00"),
    "AAPLx": ("AAPLx (SPL)", "0.001", "0.00010"), "TSLAx": ("TSLAx (SPL)", "0.001", "0.00010"),
    "NVDAx": ("NVDAx (SPL)", "0.001", "0.00010"),
}


def _asset_param(params: dict[str, Any], error: str = "EQuery:Unknown asset", required: bool = True,
                 class_param: str | None = "aclass") -> str | None:
    """The request's asset id. With ``class_param`` the asset must be of the asset class the
    request names there (default ``currency``): xStocks need ``aclass=tokenized_asset``."""
    name = params.get("asset")
    if not name:
        if required:
            raise invalid("asset")
        if class_param:
            asset_class_param(params, class_param)
        return None
    aid = normalize_asset(str(name))
    if aid is None or (class_param and not ASSETS[aid].in_class(asset_class_param(params, class_param))):
        raise KrakenError(error)
    return aid


def _in_requested_class(params: dict[str, Any], asset_id: str) -> bool:
    a = ASSETS.get(asset_id)
    return a is None or a.in_class(asset_class_param(params, "aclass"))


def p_deposit_methods(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params)
    if aid not in DEPOSIT_METHODS:
        raise KrakenError("EFunding:No funding method")
    method, minimum, _ = DEPOSIT_METHODS[aid]
    return [{"method": method, "limit": False, "fee": "0.0000000000", "gen-address": aid not in ("ZUSD", "ZEUR"),
             "minimum": minimum}]


def p_deposit_addresses(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params)
    if aid not in DEPOSIT_METHODS:
        raise KrakenError("EFunding:No funding method")
    if params.get("method") and params["method"] != DEPOSIT_METHODS[aid][0]:
        raise invalid("method")
    seed = hashlib.sha256(f"{acct.name}:{aid}".encode()).hexdigest()
    addrs = [{"address": ("bc1q" if aid == "XXBT" else "0x" if aid == "XETH" else "kx") + seed[:38],
              "expiretm": "0"}]
    if parse_bool(params.get("new"), "new"):
        addrs.insert(0, {"address": "bc1q" + secrets.token_hex(19), "expiretm": "0", "new": True})
    return addrs


def _funding_rows(ctx: Any, acct: Account, kind: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    aid = _asset_param(params, required=False)
    out = []
    for r in ctx.db.query("SELECT * FROM funding WHERE account=? AND kind=? ORDER BY time DESC", (acct.name, kind)):
        d = json.loads(r["data"])
        if kind == "withdrawal" and d["status"] == "Initial" and ctx.clock() - r["time"] >= WITHDRAW_PENDING_S:
            d["status"] = "Success"
            ctx.db.execute("UPDATE funding SET status='Success', data=? WHERE refid=?", (json.dumps(d), r["refid"]))
        if aid and r["asset"] != aid:
            continue
        if not aid and not _in_requested_class(params, r["asset"]):
            continue
        if params.get("method") and d.get("method") != params["method"]:
            continue
        out.append(d)
    return out


def p_deposit_status(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    rows = _funding_rows(ctx, acct, "deposit", params)
    if params.get("cursor") not in (None, "", "false", "False"):
        return {"deposit": rows, "next_cursor": None}
    return rows


def p_withdraw_methods(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, required=False)
    out = []
    for a, (method, minimum, _) in DEPOSIT_METHODS.items():
        if (aid is None and _in_requested_class(params, a)) or a == aid:
            out.append({"asset": a, "method": method, "network": method.split(" ")[0], "minimum": minimum})
    return out


def p_withdraw_addresses(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, required=False)
    out = []
    for r in ctx.db.query("SELECT * FROM withdraw_keys WHERE account=? ORDER BY key", (acct.name,)):
        if aid and r["asset"] != aid:
            continue
        if not aid and not _in_requested_class(params, r["asset"]):
            continue
        if params.get("key") and r["key"] != params["key"]:
            continue
        out.append({"address": r["address"], "asset": ASSETS[r["asset"]].altname if r["asset"] in ASSETS
                    else r["asset"], "method": DEPOSIT_METHODS.get(r["asset"], ("Local",))[0], "key": r["key"],
                    "verified": True})
    return out


def _withdraw_key(ctx: Any, acct: Account, aid: str, key: Any) -> Any:
    if not key:
        raise invalid("key")
    rows = ctx.db.query("SELECT * FROM withdraw_keys WHERE account=? AND asset=? AND key=?", (acct.name, aid, key))
    if not rows:
        raise KrakenError("EFunding:Unknown withdraw key")
    return rows[0]


def p_withdraw_info(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, "EFunding:Unknown asset")
    _withdraw_key(ctx, acct, aid, params.get("key"))
    amount = _funding_amount(params)
    fee = D(DEPOSIT_METHODS.get(aid, ("", "0", "0"))[2])
    return {"method": DEPOSIT_METHODS.get(aid, ("Local",))[0], "limit": fmt_asset(aid, ctx.engine.available(
        acct.name, aid)), "amount": fmt_asset(aid, amount - fee), "fee": fmt_asset(aid, fee)}


def _funding_amount(params: dict[str, Any]) -> Decimal:
    try:
        amount = D(str(params.get("amount")).strip())
    except Exception:
        raise KrakenError("EFunding:Invalid amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= NUMBER_LIMIT:
        raise KrakenError("EFunding:Invalid amount")
    return amount


def p_withdraw(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, "EFunding:Unknown asset")
    row = _withdraw_key(ctx, acct, aid, params.get("key"))
    amount = _funding_amount(params)
    if params.get("address") and params["address"] != row["address"]:
        raise invalid("address")
    fee = D(DEPOSIT_METHODS.get(aid, ("", "0", "0"))[2])
    if params.get("max_fee") not in (None, "") and parse_decimal(params["max_fee"], "max_fee", False) < fee:
        raise KrakenError("EFunding:Max fee exceeded")
    if amount <= fee:
        raise KrakenError("EFunding:Invalid amount")
    if ctx.engine.available(acct.name, aid) < amount:
        raise KrakenError("EFunding:Insufficient funds")
    now = ctx.clock()
    refid = new_id("A", (6, 6, 6))
    ctx.db.credit(acct.name, aid, -(amount - fee), type="withdrawal", refid=refid, fee=fee, now=now)
    data = {"method": DEPOSIT_METHODS.get(aid, ("Local",))[0], "aclass": ASSETS[aid].aclass, "asset": aid,
            "refid": refid,
            "txid": "", "info": row["address"], "amount": fmt_asset(aid, amount - fee), "fee": fmt_asset(aid, fee),
            "time": int(now), "status": "Initial", "key": row["key"]}
    ctx.db.execute("INSERT INTO funding(refid, account, kind, asset, time, status, data) VALUES(?,?,?,?,?,?,?)",
                   (refid, acct.name, "withdrawal", aid, now, "Initial", json.dumps(data)))
    return {"refid": refid}


def p_withdraw_status(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    rows = _funding_rows(ctx, acct, "withdrawal", params)
    for r in rows:
        r.pop("key", None)
    if params.get("cursor") not in (None, "", "false", "False"):
        return {"withdrawals": rows, "next_cursor": None}
    return rows


def p_withdraw_cancel(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, "EFunding:Unknown asset", class_param=None)
    refid = params.get("refid")
    if not refid:
        raise KrakenError("EFunding:Invalid reference id")
    _funding_rows(ctx, acct, "withdrawal", {})  # settle statuses
    rows = ctx.db.query("SELECT * FROM funding WHERE refid=? AND account=? AND kind='withdrawal' AND asset=?",
                        (refid, acct.name, aid))
    if not rows:
        raise KrakenError("EFunding:Unknown reference id")
    d = json.loads(rows[0]["data"])
    if d["status"] != "Initial":
        raise KrakenError("EFunding:Invalid reference id")
    total = D(d["amount"]) + D(d["fee"])
    ctx.db.credit(acct.name, aid, total, type="withdrawal", subtype="cancel", refid=refid, now=ctx.clock())
    d["status"] = "Failure"
    d["status-prop"] = "canceled"
    ctx.db.execute("UPDATE funding SET status='Failure', data=? WHERE refid=?", (json.dumps(d), refid))
    return True


def p_wallet_transfer(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, "EFunding:Unknown asset", class_param=None)
    if params.get("from") != "Spot Wallet":
        raise invalid("from")
    if params.get("to") != "Futures Wallet":
        raise invalid("to")
    amount = _funding_amount(params)
    if ctx.engine.available(acct.name, aid) < amount:
        raise KrakenError("EFunding:Insufficient funds")
    refid = "FT" + secrets.token_urlsafe(20)
    ctx.db.credit(acct.name, aid, -amount, type="transfer", subtype="spottofutures", refid=refid, now=ctx.clock())
    ctx.wallet_transfer_to_futures(acct.name, aid, amount)
    return {"refid": refid}


def p_create_subaccount(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    username = params.get("username")
    if not username:
        raise invalid("username")
    if not params.get("email") or "@" not in str(params["email"]):
        raise invalid("email")
    try:
        ctx.db.add_account(str(username), permissions=acct.permissions, tier=acct.tier, parent=acct.name,
                           email=str(params["email"]))
    except StateError:
        raise invalid("username") from None
    return True


def p_account_transfer(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    aid = _asset_param(params, "EFunding:Unknown asset", class_param="asset_class")
    amount = _funding_amount(params)
    src, dst = params.get("from"), params.get("to")
    a_src, a_dst = ctx.db.account(str(src or "")), ctx.db.account(str(dst or ""))
    if a_src is None:
        raise invalid("from")
    if a_dst is None:
        raise invalid("to")
    related = {acct.name}
    related |= {a.name for a in ctx.db.accounts() if a.parent == acct.name}
    if acct.parent:
        related.add(acct.parent)
    if a_src.name not in related or a_dst.name not in related or a_src.name == a_dst.name:
        raise KrakenError("EGeneral:Permission denied")
    if ctx.engine.available(a_src.name, aid) < amount:
        raise KrakenError("EFunding:Insufficient funds")
    tid = new_id("T", (6, 6, 6))
    now = ctx.clock()
    with ctx.db.transaction():
        ctx.db.credit(a_src.name, aid, -amount, type="transfer", subtype="spotfromsubaccount", refid=tid, now=now)
        ctx.db.credit(a_dst.name, aid, amount, type="transfer", subtype="spottosubaccount", refid=tid, now=now)
    return {"transfer_id": tid, "status": "complete"}


# ------------------------------------------------------------------ private: earn
STRATEGIES = [
    {"id": "ESRFUO3-Q62XD-WIOIL7", "asset": "DOT", "lock": "instant", "apr": ("8.0000", "12.0000"), "min": "0.01"},
    {"id": "ESXUM7H-SJHQ6-KOQNNI", "asset": "XXBT", "lock": "flex", "apr": ("0.1000", "0.2500"), "min": "0.0001"},
    {"id": "ESDQCOL-WTZEU-NU55QF", "asset": "XETH", "lock": "bonded", "apr": ("2.5000", "4.0000"), "min": "0.01"},
    {"id": "ESMWVX6-JAPVY-23L3CV", "asset": "ZUSD", "lock": "flex", "apr": ("3.0000", "4.5000"), "min": "1"},
    {"id": "ESOLPMN-BTYKZ-ZWWVDQ", "asset": "SOL", "lock": "instant", "apr": ("5.0000", "7.0000"), "min": "0.1"},
]
STRATEGY_BY_ID = {s["id"]: s for s in STRATEGIES}


def _strategy_item(s: dict[str, Any]) -> dict[str, Any]:
    lock: dict[str, Any] = {"type": s["lock"], "payout_frequency": 604800}
    if s["lock"] == "bonded":
        lock.update({"bonding_period": 0, "unbonding_period": 0})
    return {"id": s["id"], "asset": ASSETS[s["asset"]].altname if s["asset"] != "XXBT" else "XBT",
            "lock_type": lock, "apr_estimate": {"low": s["apr"][0], "high": s["apr"][1]},
            "user_min_allocation": s["min"], "allocation_fee": "0.0000", "deallocation_fee": "0.0000",
            "auto_compound": {"type": "enabled"}, "yield_source": {"type": "staking"}, "can_allocate": True,
            "can_deallocate": True, "allocation_restriction_info": []}


def e_strategies(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    items = [_strategy_item(s) for s in STRATEGIES]
    if params.get("asset"):
        aid = normalize_asset(str(params["asset"]))
        items = [i for i, s in zip(items, STRATEGIES) if s["asset"] == aid]
    locks = as_list(params.get("lock_type"))
    if locks:
        items = [i for i in items if i["lock_type"]["type"] in locks]
    if parse_bool(params.get("ascending"), "ascending") is False:
        pass
    return {"next_cursor": None, "items": items}


def _strategy(params: dict[str, Any]) -> dict[str, Any]:
    sid = params.get("strategy_id")
    if not sid:
        raise invalid("strategy_id")
    s = STRATEGY_BY_ID.get(str(sid))
    if s is None:
        raise KrakenError("EGeneral:Invalid arguments:Invalid strategy ID")
    return s


def _allocation(ctx: Any, acct: Account, sid: str) -> Any:
    rows = ctx.db.query("SELECT * FROM earn_allocations WHERE account=? AND strategy_id=?", (acct.name, sid))
    return rows[0] if rows else None


def _earn_move(ctx: Any, acct: Account, params: dict[str, Any], kind: str) -> Any:
    s = _strategy(params)
    try:
        amount = D(str(params.get("amount")).strip())
        assert amount.is_finite() and 0 < amount < NUMBER_LIMIT
    except Exception:
        raise invalid("amount") from None
    if amount < D(s["min"]):
        raise KrakenError("EEarnings:Below min:(De)allocation operation amount less than minimum")
    now = ctx.clock()
    row = _allocation(ctx, acct, s["id"])
    if row is not None and row["pending_until"] and row["pending_until"] > now:
        raise KrakenError("EEarnings:Busy:Another (de)allocation for the same strategy is in progress")
    current = D(row["amount"]) if row else D(0)
    asset = s["asset"]
    if kind == "allocate":
        if ctx.engine.available(acct.name, asset) < amount:
            raise KrakenError("EEarnings:Insufficient funds:Insufficient funds to complete the (de)allocation request")
        new = current + amount
    else:
        if current < amount:
            raise KrakenError("EEarnings:Insufficient funds:Insufficient funds to complete the (de)allocation request")
        new = current - amount
    refid = new_id("E")
    sign = -1 if kind == "allocate" else 1
    with ctx.db.transaction():
        ctx.db.credit(acct.name, asset, sign * amount, type="earn", subtype=kind + "ation", refid=refid, now=now)
        ctx.db.credit(acct.name, asset, -sign * amount, type="earn", subtype=kind + "ation", refid=refid, now=now,
                      wallet="earn")
        ctx.db.conn.execute(
            "INSERT INTO earn_allocations(account, strategy_id, amount, pending_kind, pending_until, pending_amount)"
            " VALUES(?,?,?,?,?,?) ON CONFLICT(account, strategy_id) DO UPDATE SET amount=excluded.amount,"
            " pending_kind=excluded.pending_kind, pending_until=excluded.pending_until,"
            " pending_amount=excluded.pending_amount",
            (acct.name, s["id"], str(new), kind, now + EARN_PENDING_S, str(amount)))
    return True


def e_allocate(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return _earn_move(ctx, acct, params, "allocate")


def e_deallocate(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return _earn_move(ctx, acct, params, "deallocate")


def _earn_status(ctx: Any, acct: Account, params: dict[str, Any], kind: str) -> Any:
    s = _strategy(params)
    row = _allocation(ctx, acct, s["id"])
    pending = bool(row and row["pending_kind"] == kind and (row["pending_until"] or 0) > ctx.clock())
    return {"pending": pending}


def e_allocate_status(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return _earn_status(ctx, acct, params, "allocate")


def e_deallocate_status(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    return _earn_status(ctx, acct, params, "deallocate")


def e_allocations(ctx: Any, acct: Account, params: dict[str, Any]) -> Any:
    conv = normalize_asset(params.get("converted_asset") or "USD") or "ZUSD"
    hide = parse_bool(params.get("hide_zero_allocations"), "hide_zero_allocations")
    items = []
    total = D(0)
    now = ctx.clock()
    for r in ctx.db.query("SELECT * FROM earn_allocations WHERE account=? ORDER BY strategy_id", (acct.name,)):
        s = STRATEGY_BY_ID.get(r["strategy_id"])
        if s is None:
            continue
        amount = D(r["amount"])
        if hide and not amount:
            continue
        converted = _value_in(ctx, s["asset"], amount, conv)
        total += converted
        alloc: dict[str, Any] = {"total": {"native": fmt_asset(s["asset"], amount),
                                           "converted": fmt_asset(conv, converted)}}
        if r["pending_until"] and r["pending_until"] > now:
            key = "pending" if r["pending_kind"] == "allocate" else "exit_queue"
            alloc[key] = {"native": fmt_asset(s["asset"], D(r["pending_amount"])), "converted": "0.0000"}
        items.append({"strategy_id": s["id"], "native_asset": _strategy_item(s)["asset"],
                      "amount_allocated": alloc, "total_rewarded": {"native": "0", "converted": "0.0000"}})
    return {"converted_asset": ASSETS[conv].altname, "total_allocated": fmt_asset(conv, total),
            "total_rewarded": "0.0000", "next_cursor": None, "items": items}


# ------------------------------------------------------------------ dispatch tables
# endpoint -> (handler, permission)
PRIVATE: dict[str, tuple[Handler, str]] = {
    "Balance": (p_balance, "query_funds"),
    "BalanceEx": (p_balance_ex, "query_funds"),
    "TradeBalance": (p_trade_balance, "query_funds"),
    "CreditLines": (p_credit_lines, "query_funds"),
    "Level3": (p_level3, "query_orders"),
    "OpenOrders": (p_open_orders, "query_orders"),
    "ClosedOrders": (p_closed_orders, "query_orders"),
    "QueryOrders": (p_query_orders, "query_orders"),
    "OrderAmends": (p_order_amends, "query_orders"),
    "TradesHistory": (p_trades_history, "query_orders"),
    "QueryTrades": (p_query_trades, "query_orders"),
    "OpenPositions": (p_open_positions, "query_orders"),
    "TradeVolume": (p_trade_volume, "query_funds"),
    "Ledgers": (p_ledgers, "query_ledgers"),
    "QueryLedgers": (p_query_ledgers, "query_ledgers"),
    "AddOrder": (p_add_order, "trade"),
    "AddOrderBatch": (p_add_order_batch, "trade"),
    "AmendOrder": (p_amend_order, "trade"),
    "EditOrder": (p_edit_order, "trade"),
    "CancelOrder": (p_cancel_order, "cancel"),
    "CancelAll": (p_cancel_all, "cancel"),
    "CancelAllOrdersAfter": (p_cancel_all_after, "cancel"),
    "CancelOrderBatch": (p_cancel_batch, "cancel"),
    "GetWebSocketsToken": (p_ws_token, "websocket"),
    "AddExport": (p_add_export, "export"),
    "ExportStatus": (p_export_status, "export"),
    "RetrieveExport": (p_retrieve_export, "export"),
    "RemoveExport": (p_remove_export, "export"),
    "DepositMethods": (p_deposit_methods, "query_funds"),
    "DepositAddresses": (p_deposit_addresses, "query_funds"),
    "DepositStatus": (p_deposit_status, "query_funds"),
    "WithdrawMethods": (p_withdraw_methods, "query_funds"),
    "WithdrawAddresses": (p_withdraw_addresses, "query_funds"),
    "WithdrawInfo": (p_withdraw_info, "withdraw"),
    "Withdraw": (p_withdraw, "withdraw"),
    "WithdrawStatus": (p_withdraw_status, "query_funds"),
    "WithdrawCancel": (p_withdraw_cancel, "withdraw"),
    "WalletTransfer": (p_wallet_transfer, "withdraw"),
    "CreateSubaccount": (p_create_subaccount, "withdraw"),
    "AccountTransfer": (p_account_transfer, "withdraw"),
    "Earn/Strategies": (e_strategies, "earn"),
    "Earn/Allocations": (e_allocations, "earn"),
    "Earn/Allocate": (e_allocate, "earn"),
    "Earn/Deallocate": (e_deallocate, "earn"),
    "Earn/AllocateStatus": (e_allocate_status, "earn"),
    "Earn/DeallocateStatus": (e_deallocate_status, "earn"),
}


#: parameters that take several values (a list in a JSON body, repeated keys in a form, or
#: comma-separated text); every other parameter is one value (see engine.Params)
LIST_PARAMS: dict[str, frozenset[str]] = {
    **{m: frozenset({"pair", "asset"}) for m in PUBLIC},
    "QueryOrders": frozenset({"txid"}), "QueryTrades": frozenset({"txid"}), "QueryLedgers": frozenset({"id"}),
    "Ledgers": frozenset({"asset"}), "TradeVolume": frozenset({"pair"}), "AddOrder": frozenset({"oflags"}),
    "EditOrder": frozenset({"oflags"}), "AddOrderBatch": frozenset({"orders"}), "CancelOrder": frozenset({"txid"}),
    "CancelOrderBatch": frozenset({"orders", "cl_ord_ids"}), "AddExport": frozenset({"fields"}),
    "OpenPositions": frozenset({"txid"}),
    "Earn/Strategies": frozenset({"lock_type"}),
}


# ------------------------------------------------------------------ request handling
def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Form or JSON body -> params (JSON keeps nested values)."""
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if "json" in content_type or stripped.startswith("{"):
        try:
            data = json.loads(text or "{}", parse_float=Decimal)
        except ValueError:
            raise KrakenError("EGeneral:Invalid arguments") from None
        if not isinstance(data, dict):
            raise KrakenError("EGeneral:Invalid arguments")
        return data
    params: dict[str, Any] = {}
    for k, v in parse_qsl(text, keep_blank_values=True):
        if k in params:  # repeated keys become lists (e.g. txid=..&txid=..)
            prev = params[k]
            params[k] = (prev if isinstance(prev, list) else [prev]) + [v]
        else:
            params[k] = v
    return params


def setup(app: web.Application, ctx: Any) -> None:
    ctx.rest_counter = RestCounter()
    if not hasattr(ctx, "ws_tokens"):
        ctx.ws_tokens = {}

    async def public(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fn = PUBLIC.get(method)
        if fn is None:
            return err("EGeneral:Unknown method")
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            try:
                params.update(parse_body(await request.read(), request.content_type or ""))
            except KrakenError as exc:
                return err(exc.error)
        try:
            return envelope(fn(ctx, Params(params, LIST_PARAMS.get(method, ()))))
        except KrakenError as exc:
            return err(exc.error)

    async def private(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        entry = PRIVATE.get(method)
        if entry is None:
            return err("EGeneral:Unknown method")
        handler, permission = entry
        raw = await request.read()
        key = request.headers.get("API-Key", "")
        acct = ctx.account_by_spot_key(key) if key else None
        if acct is None:
            return err("EAPI:Invalid key")
        try:
            params = parse_body(raw, request.content_type or "")
        except KrakenError as exc:
            return err(exc.error)
        nonce_raw = params.get("nonce")
        nonce_s = str(nonce_raw) if nonce_raw is not None else ""
        if not auth.verify_spot(acct.spot_secret, request.path, nonce_s, raw, request.headers.get("API-Sign", "")):
            return err("EAPI:Invalid signature")
        if not auth.otp_accepted(acct.otp, acct.otp_secret, params.get("otp"), ctx.clock()):  # keys with 2FA
            return err(auth.OTP_ERROR)
        try:
            nonce = int(nonce_s)
        except ValueError:
            return err("EAPI:Invalid nonce")
        if not ctx.check_and_store_nonce(acct.spot_key, nonce, acct.nonce_window):
            return err("EAPI:Invalid nonce")
        if permission not in acct.permissions:
            return err("EGeneral:Permission denied")
        if method not in TRADING_CALLS:
            cost = 2 if method in HISTORY_CALLS else 1
            if not ctx.rest_counter.charge(acct, acct.spot_key, cost, ctx.clock()):
                return err("EAPI:Rate limit exceeded")
        if ctx.status == "maintenance":
            return err("EService:Unavailable")
        params.pop("nonce", None)
        params.pop("otp", None)
        if method in REBASE_ENDPOINTS and params.get("rebase_multiplier") not in (None, *REBASE_MULTIPLIERS):
            return err("EGeneral:Invalid arguments:rebase_multiplier")
        try:
            result = handler(ctx, acct, Params(params, LIST_PARAMS.get(method, ())))
        except KrakenError as exc:
            return err(exc.error)
        if isinstance(result, web.StreamResponse):
            return result
        return envelope(result)

    app.router.add_route("GET", "/0/public/{method}", public)
    app.router.add_route("POST", "/0/public/{method}", public)
    app.router.add_route("POST", "/0/private/{method:.+}", private)
