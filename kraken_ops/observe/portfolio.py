"""Every account's holdings valued in one currency: per account, per asset and in total.

The input is what Kraken answered for each account (:class:`AccountAnswers`: Balance,
Earn/Allocations, Futures accounts and open positions) and the market data of its
environment (a :class:`~kraken_ops.observe.valuation.MarketBook` and a
:class:`FuturesMarket`); :func:`build_report` turns them into a :class:`Report`. Nothing
here sends a request, so the arithmetic is tested on Kraken's documented shapes.

What is counted (docs/fleet.md, "Portfolio"):

* **spot** -- every Balance entry without an Earn suffix.
* **earn** -- every Earn allocation (``amount_allocated.total``). Balance entries with an
  Earn suffix (``DOT.S``, ``XBT.F`` ...) are the same holdings seen from the wallet and
  are not added again; only what they hold *beyond* the allocations of their asset (legacy
  staking the Earn API does not list) is counted, as ``earn`` from ``balance``. Without an
  Earn answer, the suffix balances are counted instead.
* **futures** -- the collateral of each Futures account: the ``currencies`` of the flex
  (multi-collateral) account, the balances of the cash account, and the collateral
  currency of single-collateral margin accounts (their contract entries are positions).
* **unrealised P&L** of each Futures position: Kraken's own ``pnl`` field when the answer
  has one, else computed from the mark price of the Futures ticker --
  ``size * contractSize * (mark - entry)`` in the quote currency for linear contracts,
  ``size * contractSize * (1/entry - 1/mark)`` in the base currency for inverse ones
  (negated for shorts). ``unrealizedFunding`` is shown, not counted.

An amount that cannot be valued is listed in :attr:`Report.unvalued` with the reason,
and never counted as zero.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any, Iterable, Mapping

from kraken_ops.observe.valuation import ZERO, MarketBook, Valuation, is_earn_name, to_decimal

SOURCES = ("spot", "earn", "futures")

#: Fields of a multi-collateral (flex) Futures account shown in the report, as Kraken sends them (USD).
FLEX_FIELDS = (
    "portfolioValue",
    "collateralValue",
    "balanceValue",
    "initialMargin",
    "initialMarginWithOrders",
    "maintenanceMargin",
    "availableMargin",
    "marginEquity",
    "pnl",
    "totalUnrealized",
    "unrealizedFunding",
)


@dataclass
class FuturesMarket:
    """Futures tickers and instruments of one environment, keyed by upper-case symbol."""

    tickers: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    instruments: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_answers(cls, tickers: Any = None, instruments: Any = None) -> FuturesMarket:
        """From the ``GET tickers`` and ``GET instruments`` answers."""
        out = cls()
        for item in (tickers or {}).get("tickers") or []:
            if isinstance(item, Mapping) and item.get("symbol"):
                out.tickers[str(item["symbol"]).upper()] = item
        for item in (instruments or {}).get("instruments") or []:
            if isinstance(item, Mapping) and item.get("symbol"):
                out.instruments[str(item["symbol"]).upper()] = item
        return out

    def mark(self, symbol: str) -> Decimal | None:
        ticker = self.tickers.get(symbol.upper()) or {}
        return to_decimal(ticker.get("markPrice"))


@dataclass
class AccountAnswers:
    """What Kraken answered for one account; a section is ``None`` when not fetched.

    ``errors`` maps a section that failed to its exception, ``skipped`` a section that was
    not asked for to the reason (e.g. the profile has no Futures key).
    """

    profile: str
    balance: Mapping[str, Any] | None = None
    earn: Mapping[str, Any] | None = None
    futures_accounts: Mapping[str, Any] | None = None
    futures_positions: list[Any] | None = None
    spot_open_orders: Mapping[str, Any] | None = None
    futures_open_orders: list[Any] | None = None
    errors: dict[str, BaseException] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass
class Holding:
    """An amount of one asset in one place (spot wallet, Earn strategy, Futures account)."""

    profile: str
    source: str  # spot | earn | futures
    account: str  # spot | <Earn strategy id> | balance | flex | cash | fi_xbtusd ...
    valuation: Valuation
    group: str  # the asset it is summed under (XBT for XXBT, XBT.F and xbt)
    note: str = ""


@dataclass
class PositionLine:
    """One open Futures position and its unrealised P&L."""

    profile: str
    symbol: str
    side: str
    size: Decimal
    entry: Decimal | None
    mark: Decimal | None
    pnl: Decimal | None
    pnl_currency: str | None
    pnl_source: str  # kraken | computed | unknown
    unrealized_funding: Decimal | None
    valuation: Valuation | None  # the P&L valued in the report's currency
    reason: str | None = None  # why there is no P&L


@dataclass
class Report:
    """The valued holdings of several accounts in one currency."""

    currency: str  # as the user wrote it (USD)
    time: float
    holdings: list[Holding] = field(default_factory=list)
    positions: list[PositionLine] = field(default_factory=list)
    futures_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile -> account -> fields
    errors: list[tuple[str, str, BaseException]] = field(default_factory=list)  # (profile, section, exception)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (profile, section, why)
    profiles: list[str] = field(default_factory=list)
    decimals: int = 8  # of the currency, for rounding
    display_decimals: int = 2

    # --- what could not be counted -------------------------------------------------
    @property
    def unvalued(self) -> list[dict[str, Any]]:
        """Every amount that has no value, with the reason (never counted as zero)."""
        out = [
            {"profile": h.profile, "source": h.source, "account": h.account, "asset": h.valuation.name,
             "amount": str(h.valuation.amount), "reason": h.valuation.reason}
            for h in self.holdings
            if not h.valuation.valued
        ]
        for p in self.positions:
            if p.valuation is None or not p.valuation.valued:
                reason = p.reason if p.valuation is None else p.valuation.reason
                out.append({"profile": p.profile, "source": "position", "account": p.symbol, "asset": p.pnl_currency,
                            "amount": _s(p.pnl), "reason": reason})
        return out

    @property
    def complete(self) -> bool:
        """Whether every section of every account was fetched (unvalued assets aside)."""
        return not self.errors

    # --- totals ----------------------------------------------------------------------
    def account_totals(self) -> dict[str, dict[str, Decimal]]:
        """``profile -> {spot, earn, futures, unrealized_pnl, total}`` (valued amounts only)."""
        totals = {name: {key: ZERO for key in (*SOURCES, "unrealized_pnl", "total")} for name in self.profiles}
        for h in self.holdings:
            if h.valuation.value is not None:
                row = totals.setdefault(h.profile, {key: ZERO for key in (*SOURCES, "unrealized_pnl", "total")})
                row[h.source] += h.valuation.value
                row["total"] += h.valuation.value
        for p in self.positions:
            if p.valuation is not None and p.valuation.value is not None:
                row = totals.setdefault(p.profile, {key: ZERO for key in (*SOURCES, "unrealized_pnl", "total")})
                row["unrealized_pnl"] += p.valuation.value
                row["total"] += p.valuation.value
        return totals

    def asset_totals(self) -> dict[str, dict[str, Decimal | None]]:
        """``asset -> {amount, value, unvalued_amount}`` over every account and place (P&L not included).

        ``value`` is ``None`` when no holding of the asset could be valued.
        """
        out: dict[str, dict[str, Decimal | None]] = {}
        for h in self.holdings:
            row = out.setdefault(h.group, {"amount": ZERO, "value": None, "unvalued_amount": ZERO})
            row["amount"] = (row["amount"] or ZERO) + h.valuation.amount
            if h.valuation.value is None:
                row["unvalued_amount"] = (row["unvalued_amount"] or ZERO) + h.valuation.amount
            else:
                row["value"] = (row["value"] or ZERO) + h.valuation.value
        return dict(sorted(out.items(), key=lambda kv: (-(kv[1]["value"] or ZERO), kv[0])))

    @property
    def total(self) -> Decimal:
        return sum((t["total"] for t in self.account_totals().values()), ZERO)

    @property
    def unrealized_pnl(self) -> Decimal:
        return sum((t["unrealized_pnl"] for t in self.account_totals().values()), ZERO)

    # --- output ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data (amounts and values as exact strings)."""
        from kraken_ops.cli.errors import describe

        totals = self.account_totals()
        total = self.total
        accounts: dict[str, Any] = {}
        for name in self.profiles:
            t = totals.get(name, {})
            accounts[name] = {
                **{key: _s(t.get(key, ZERO)) for key in ("total", *SOURCES, "unrealized_pnl")},
                "unvalued": sum(1 for u in self.unvalued if u["profile"] == name),
                "futures_accounts": self.futures_accounts.get(name, {}),
                "skipped": {section: why for p, section, why in self.skipped if p == name},
                "errors": {section: describe(exc, name).envelope() for p, section, exc in self.errors if p == name},
            }
        assets = {
            name: {"amount": _s(row["amount"]), "value": _s(row["value"]), "share": _share(row["value"], total),
                   **({"unvalued_amount": _s(row["unvalued_amount"])} if row["unvalued_amount"] else {})}
            for name, row in self.asset_totals().items()
        }
        return {
            "currency": self.currency,
            "time": _iso(self.time),
            "complete": self.complete,
            "total": _s(total),
            "unrealized_pnl": _s(self.unrealized_pnl),
            "accounts": accounts,
            "assets": assets,
            "holdings": [holding_json(h) for h in self.holdings],
            "positions": [position_json(p) for p in self.positions],
            "unvalued": self.unvalued,
            "errors": [{"profile": p, "section": section, **describe(exc, p).envelope()} for p, section, exc in self.errors],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per holding and per position (CSV, NDJSON)."""
        out = []
        for h in self.holdings:
            v = h.valuation
            out.append({
                "profile": h.profile, "source": h.source, "account": h.account, "asset": v.name, "amount": str(v.amount),
                "currency": self.currency, "rate": _rate(v), "value": _s(v.value), "method": v.rate.describe() if v.rate else "",
                "note": h.note or (v.reason or ""),
            })
        for p in self.positions:
            v = p.valuation
            out.append({
                "profile": p.profile, "source": "position", "account": p.symbol, "asset": p.pnl_currency or "",
                "amount": _s(p.pnl), "currency": self.currency, "rate": _rate(v) if v else "",
                "value": _s(v.value) if v else "", "method": v.rate.describe() if v and v.rate else "",
                "note": f"{p.side} {p.size} @ {_s(p.entry)}, mark {_s(p.mark)}, P&L {p.pnl_source}"
                + (f"; {p.reason}" if p.reason else (f"; {v.reason}" if v and v.reason else "")),
            })
        return out


def holding_json(h: Holding) -> dict[str, Any]:
    v = h.valuation
    out: dict[str, Any] = {"profile": h.profile, "source": h.source, "account": h.account, "asset": v.name,
                           "asset_id": v.asset, "group": h.group, "amount": str(v.amount), "rate": _rate(v),
                           "method": v.rate.describe() if v.rate else None, "value": _s(v.value)}
    if v.reason:
        out["unvalued_reason"] = v.reason
    if h.note:
        out["note"] = h.note
    return out


def position_json(p: PositionLine) -> dict[str, Any]:
    v = p.valuation
    return {
        "profile": p.profile, "symbol": p.symbol, "side": p.side, "size": str(p.size), "entry_price": _s(p.entry),
        "mark_price": _s(p.mark), "unrealized_pnl": _s(p.pnl), "pnl_currency": p.pnl_currency, "pnl_source": p.pnl_source,
        "unrealized_funding": _s(p.unrealized_funding), "rate": _rate(v) if v else None,
        "value": _s(v.value) if v else None, "unvalued_reason": (p.reason or (v.reason if v else None)),
    }


# --- building ---------------------------------------------------------------------------
def build_report(
    answers: Iterable[AccountAnswers],
    markets: Mapping[str, tuple[MarketBook, FuturesMarket | None]],
    currency: str,
    *,
    at: float | None = None,
    market_errors: Mapping[str, BaseException] | None = None,
) -> Report:
    """Value every account's answers in ``currency`` with the market data of its environment.

    ``markets`` maps each profile to its environment's book and Futures market;
    ``market_errors`` maps a profile to the failure of its public market data (its holdings
    are then listed unvalued).
    """
    report = Report(currency=currency, time=_time.time() if at is None else at)
    market_errors = market_errors or {}
    for acc in answers:
        report.profiles.append(acc.profile)
        book, futures = markets.get(acc.profile, (MarketBook(), None))
        target_id = book.asset_id(currency)
        if target_id is not None:
            report.decimals = book.decimals(target_id)
            report.display_decimals = book.decimals(target_id, display=True)
        if acc.profile in market_errors:
            report.errors.append((acc.profile, "market", market_errors[acc.profile]))
        for section, exc in acc.errors.items():
            report.errors.append((acc.profile, section, exc))
        for section, why in acc.skipped.items():
            report.skipped.append((acc.profile, section, why))
        report.holdings.extend(_spot_and_earn(acc, book, currency))
        holdings, summaries = _futures_accounts(acc, book, futures, currency)
        report.holdings.extend(holdings)
        if summaries:
            report.futures_accounts[acc.profile] = summaries
        report.positions.extend(_positions(acc, book, futures, currency))
    return report


def _group(book: MarketBook, name: str) -> str:
    asset = book.holding_asset(name)
    return book.display(asset) if asset is not None else name.upper()


def _holding(acc: AccountAnswers, book: MarketBook, currency: str, source: str, account: str, name: str,
             amount: Decimal, note: str = "") -> Holding:
    return Holding(acc.profile, source, account, book.value(name, amount, currency), _group(book, name), note)


def _bad_amount(acc: AccountAnswers, source: str, account: str, name: str, raw: Any) -> Holding:
    return Holding(acc.profile, source, account, Valuation(name, None, ZERO, reason=f"amount {raw!r} is not a number"), name)


def _spot_and_earn(acc: AccountAnswers, book: MarketBook, currency: str) -> list[Holding]:
    out: list[Holding] = []
    earn_balances: list[tuple[str, Decimal]] = []
    for name, raw in sorted((acc.balance or {}).items()):
        amount = to_decimal(raw)
        if amount is None:
            out.append(_bad_amount(acc, "spot", "spot", name, raw))
            continue
        if not amount:
            continue
        if is_earn_name(name):
            earn_balances.append((name, amount))
        else:
            out.append(_holding(acc, book, currency, "spot", "spot", name, amount))
    allocated: dict[str, Decimal] = {}
    if acc.earn is not None:
        for item in acc.earn.get("items") or []:
            if not isinstance(item, Mapping):
                continue
            name = str(item.get("native_asset") or "")
            raw = ((item.get("amount_allocated") or {}).get("total") or {}).get("native")
            amount = to_decimal(raw)
            strategy = str(item.get("strategy_id") or "earn")
            if amount is None:
                out.append(_bad_amount(acc, "earn", strategy, name, raw))
                continue
            if not amount:
                continue
            out.append(_holding(acc, book, currency, "earn", strategy, name, amount))
            key = _group(book, name)
            allocated[key] = allocated.get(key, ZERO) + amount
    for name, amount in earn_balances:
        if acc.earn is None:
            out.append(_holding(acc, book, currency, "earn", "balance", name, amount, "Earn/Allocations not available"))
            continue
        key = _group(book, name)
        covered = min(amount, allocated.get(key, ZERO)) if amount > 0 else ZERO
        allocated[key] = allocated.get(key, ZERO) - covered
        rest = amount - covered
        if rest:
            out.append(_holding(acc, book, currency, "earn", "balance", name, rest, "in Balance, not in Earn/Allocations"))
    return out


def _looks_like_contract(name: str, futures: FuturesMarket | None) -> bool:
    upper = name.upper()
    return "_" in upper or (futures is not None and upper in futures.instruments)


def _futures_accounts(
    acc: AccountAnswers, book: MarketBook, futures: FuturesMarket | None, currency: str
) -> tuple[list[Holding], dict[str, Any]]:
    holdings: list[Holding] = []
    summaries: dict[str, Any] = {}
    for account, info in sorted((acc.futures_accounts or {}).items()):
        if not isinstance(info, Mapping):
            continue
        kind = str(info.get("type") or "")
        amounts: list[tuple[str, Any]] = []
        if isinstance(info.get("currencies"), Mapping):  # flex: multi-collateral
            amounts = [(cur, (c or {}).get("quantity")) for cur, c in sorted(info["currencies"].items())]
            summaries[account] = {"type": kind, **{k: _s(to_decimal(info[k])) for k in FLEX_FIELDS if k in info}}
        elif isinstance(info.get("balances"), Mapping):
            amounts = [(cur, v) for cur, v in sorted(info["balances"].items()) if not _looks_like_contract(cur, futures)]
            summary: dict[str, Any] = {"type": kind}
            for part in ("auxiliary", "marginRequirements"):
                if isinstance(info.get(part), Mapping):
                    summary[part] = {k: _s(to_decimal(v)) for k, v in info[part].items()}
            if info.get("currency"):
                summary["currency"] = info["currency"]
            summaries[account] = summary
        for name, raw in amounts:
            amount = to_decimal(raw)
            if amount is None:
                holdings.append(_bad_amount(acc, "futures", account, name, raw))
            elif amount:
                holdings.append(_holding(acc, book, currency, "futures", account, name, amount))
    return holdings, summaries


def instrument_currencies(symbol: str, instrument: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """``(base, quote)`` of a Futures contract from its instrument (or its symbol).

    >>> instrument_currencies("PI_XBTUSD", {"type": "futures_inverse", "underlying": "rr_xbtusd"})
    ('XBT', 'USD')
    >>> instrument_currencies("PF_ETHUSD", {"base": "ETH", "quote": "USD"})
    ('ETH', 'USD')
    """
    instrument = instrument or {}
    if instrument.get("base") and instrument.get("quote"):
        return str(instrument["base"]).upper(), str(instrument["quote"]).upper()
    parts = symbol.upper().split("_")
    core = parts[1] if len(parts) > 1 else parts[0]
    if len(core) > 3:
        return core[:-3], core[-3:]
    return None, None


def is_inverse(instrument: Mapping[str, Any] | None, symbol: str) -> bool:
    kind = str((instrument or {}).get("type") or "")
    if kind:
        return kind == "futures_inverse"
    return symbol.upper().startswith(("PI_", "FI_"))


def _positions(acc: AccountAnswers, book: MarketBook, futures: FuturesMarket | None, currency: str) -> list[PositionLine]:
    out: list[PositionLine] = []
    for p in acc.futures_positions or []:
        if not isinstance(p, Mapping):
            continue
        symbol = str(p.get("symbol") or "")
        side = str(p.get("side") or "")
        size = to_decimal(p.get("size")) or ZERO
        entry = to_decimal(p.get("price"))
        instrument = futures.instruments.get(symbol.upper()) if futures else None
        mark = futures.mark(symbol) if futures else None
        base, quote = instrument_currencies(symbol, instrument)
        inverse = is_inverse(instrument, symbol)
        funding = to_decimal(p.get("unrealizedFunding"))
        reason = None
        pnl_currency = str(p.get("pnlCurrency") or "") or (base if inverse else quote)
        if "pnl" in p and to_decimal(p.get("pnl")) is not None:
            pnl, source = to_decimal(p.get("pnl")), "kraken"
        else:
            pnl, source = None, "computed"
            sign = Decimal(-1) if side == "short" else Decimal(1)
            contract = to_decimal((instrument or {}).get("contractSize")) or Decimal(1)
            if mark is None or entry is None or not mark or not entry:
                reason = f"no mark price for {symbol}" if mark is None or not mark else "no entry price"
                source = "unknown"
            elif inverse:
                pnl, pnl_currency = sign * size * contract * (1 / entry - 1 / mark), base
            else:
                pnl, pnl_currency = sign * size * contract * (mark - entry), quote
            pnl_id = book.asset_id(pnl_currency or "")
            if pnl is not None and pnl_id is not None:
                pnl = book.quantize(pnl, pnl_id)
        valuation = book.value(pnl_currency, pnl, currency) if pnl is not None and pnl_currency else None
        out.append(PositionLine(acc.profile, symbol, side, size, entry, mark, pnl, pnl_currency, source, funding, valuation, reason))
    return out


# --- small helpers ------------------------------------------------------------------------
def _s(value: Decimal | None) -> str | None:
    """An exact string for a Decimal (``None`` stays ``None``)."""
    if value is None:
        return None
    return format(value, "f")


def _rate(v: Valuation | None) -> str | None:
    """The rate with at most 16 significant digits (an inverse rate has no end)."""
    if v is None or v.rate is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 16
        rate = +v.rate.value
    return format(rate.normalize(), "f")


def _share(value: Decimal | None, total: Decimal) -> str | None:
    if value is None or not total:
        return None
    return format((value / total * 100).quantize(Decimal("0.01")), "f")


def _iso(at: float) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(at))


__all__ = ["AccountAnswers", "FuturesMarket", "Holding", "PositionLine", "Report", "build_report", "instrument_currencies"]
