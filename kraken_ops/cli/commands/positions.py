"""``kraken-ops positions``: open margin positions (list), and ``positions close``."""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Optional

import typer

from kraken_ops.cli.clients import read, run_write
from kraken_ops.cli.completion import complete_pair
from kraken_ops.cli.context import callback, command
from kraken_ops.cli.errors import CliError, UsageProblem
from kraken_ops.cli.output import WIDE, View, col, listed, nested, num, when
from kraken_ops.cli.params import csv_list, decimal_text, one_or_many

app = typer.Typer()  # its help is the list callback's docstring (with its examples)

SPEC_USER = "spot.User"
SPEC_TRADE = "spot.Trade"


def position_rows(result: Any) -> list[dict[str, Any]]:
    """A row per position (or per pair with ``--consolidation market``): the fields a trader
    reads first (position, pair, side, open volume, cost, value, P&L), then Kraken's own."""
    if isinstance(result, list):
        items = [(None, item) for item in result]
    elif isinstance(result, dict):
        items = list(result.items())
    else:
        return listed()(result)
    rows = []
    for key, p in items:
        if not isinstance(p, dict):
            continue
        row: dict[str, Any] = {}
        if key is not None:
            row["position"] = key
        row["pair"] = p.get("pair")
        row["side"] = "long" if p.get("type") == "buy" else "short"
        row["volume"] = _open_volume(p)
        row["cost"] = p.get("cost")
        row["value"] = p.get("value")
        row["pnl"] = p.get("net")
        row.update({k: v for k, v in p.items() if k not in row})
        rows.append(row)
    return rows


def _open_volume(p: dict[str, Any]) -> Any:
    """The volume still open (``vol - vol_closed``), as text with the position's decimals."""
    try:
        vol, closed = Decimal(str(p.get("vol"))), Decimal(str(p.get("vol_closed", "0")))
    except (InvalidOperation, ValueError):
        return p.get("vol")
    return str(vol - closed)


# The table for people: at 80 columns what a trader reads first (pair, side, open volume,
# P&L), then cost, value ...; the position id (which `positions close` takes, as it takes
# the pair) comes last. CSV and NDJSON keep Kraken's own fields after the first ones.
TABLE = [
    col("pair", "pair", 1),
    col("side", "side", 1),
    num("volume", "volume", 1),
    num("cost", "cost", 2),
    num("value", "value", 3),
    num("pnl", "P&L", 1),
    num("margin", "margin", 4),
    num("vol_closed", "closed", 5),
    num("fee", "fee", 6),
    when("time", "opened", 6),
    col("position", "position", 7, "id"),
    col("ordertxid", "order", WIDE, "id"),
    col("ordertype", "type", WIDE),
    col("posstatus", "status", WIDE),
    col("terms", "terms", WIDE),
    when("rollovertm", "rollover", WIDE),
]
VIEW = View(position_rows, ["pair", "side", "volume", "cost", "value", "pnl"], table=TABLE)
VIEWS = {
    "close": View(
        listed("orders"),
        ["pair", "side", "volume", "txid"],
        table=[
            col("pair", "pair", 1),
            col("side", "side", 1),
            num("volume", "volume", 1),
            col("txid", "order", 1, "id"),
            col("descr", "description", WIDE),
            nested("positions", "positions", 2),
        ],
    ),
}


@dataclass
class ListOptions:
    """Inputs of ``kraken-ops positions``."""

    txid: list[str] | None = None
    docalcs: bool = True
    consolidation: str | None = None


def fetch_positions(user: Any, opts: ListOptions) -> Any:
    """OpenPositions through the SDK (one call, so it serves the async clients of --all-profiles too)."""
    return user.get_open_positions(txid=one_or_many(opts.txid), docalcs=opts.docalcs, consolidation=opts.consolidation)


class Consolidation(str, Enum):
    market = "market"


@callback(app, kind="read")
def positions(
    txid: Optional[list[str]] = typer.Option(
        None, "--txid", metavar="ID", help="Only these positions (position or order ids; comma list or repeated)."
    ),
    calcs: bool = typer.Option(True, "--calcs/--no-calcs", help="Value and P&L at the current price (Kraken's docalcs; on by default)."),
    consolidation: Optional[Consolidation] = typer.Option(None, "--consolidation", help="market: one row per pair and side."),
) -> None:
    """Open margin positions: list (the default) and close.

    The list shows each position's pair, side, open volume, cost, value and P&L.

    Table: narrow terminals leave out first position, opened, fee, closed, margin, value, cost; -o wide adds order, type, status, terms, rollover.

    Example: kraken-ops positions --all-profiles
    Example: kraken-ops positions --consolidation market -o json
    """
    opts = ListOptions(txid=csv_list(txid), docalcs=calcs, consolidation=consolidation.value if consolidation else None)
    read(SPEC_USER, lambda u: fetch_positions(u, opts), VIEW)


class CloseHow(str, Enum):
    market = "market"
    settle = "settle"


@dataclass
class CloseOptions:
    """Inputs of ``positions close``: which positions, how, how much."""

    targets: list[str]
    how: str = "market"
    volume: str | None = None
    validate: bool = False


@dataclass
class CloseOrder:
    """One order that closes (part of) the positions of one pair and side."""

    pair: str
    position_side: str  # buy (long) or sell (short)
    volume: Decimal
    leverage: str | None
    positions: list[str]

    @property
    def side(self) -> str:
        return "sell" if self.position_side == "buy" else "buy"

    def describe(self, how: str) -> str:
        what = "long" if self.position_side == "buy" else "short"
        verb = "settle" if how == "settle" else f"close with a reduce-only market {self.side} of"
        return f"{verb} {self.volume} {self.pair} ({what}, {len(self.positions)} position(s))"


def plan_close(positions: Any, opts: CloseOptions, aliases: dict[str, set[str]] | None = None) -> list[CloseOrder]:
    """The orders that close the chosen positions: ``targets`` are position ids, the ids of
    the orders that opened them, or pairs (every position on the pair; ``aliases`` maps a pair
    id to its other names); one order per pair and side (Kraken closes positions first in,
    first out); ``volume`` caps each order."""
    if not isinstance(positions, dict):
        raise UsageProblem("unexpected OpenPositions answer (expected positions by id)")
    wanted = [t.upper() for t in opts.targets]
    chosen: dict[tuple[str, str], CloseOrder] = {}
    matched: set[str] = set()
    for posid, p in positions.items():
        if not isinstance(p, dict):
            continue
        pair = str(p.get("pair", ""))
        names = {posid.upper(), str(p.get("ordertxid", "")).upper(), pair.upper()}
        names |= {a.upper() for a in (aliases or {}).get(pair, set())}
        hits = [t for t in wanted if t in names]
        if not hits:
            continue
        matched.update(hits)
        key = (str(p.get("pair")), str(p.get("type")))
        order = chosen.setdefault(key, CloseOrder(key[0], key[1], Decimal(0), _leverage(p), []))
        order.volume += Decimal(_open_volume(p))
        order.positions.append(posid)
    missing = [t for t, orig in zip(wanted, opts.targets) if t not in matched]
    if missing:
        # the account's answer, like Kraken's unknown order id (exit 1), not a usage error
        raise CliError(f"no open position matches {', '.join(missing)}", category="api", hint="list them with: kraken-ops positions")
    if opts.volume is not None:
        cap = Decimal(opts.volume)
        for order in chosen.values():
            order.volume = min(order.volume, cap)
    return list(chosen.values())


def pair_aliases(market: Any, pair_ids: set[str]) -> dict[str, set[str]]:
    """The names of the pairs ``pair_ids`` (ids as OpenPositions gives them) from AssetPairs:
    altname and wsname, with BTC for XBT as Kraken accepts them (``XBTUSD``, ``BTC/USD``)."""
    if not pair_ids:
        return {}
    info = market.get_asset_pairs(pair=",".join(sorted(pair_ids)))
    out: dict[str, set[str]] = {}
    for key, item in (info or {}).items():
        names = {key} | {str(item.get(k)) for k in ("altname", "wsname") if isinstance(item, dict) and item.get(k)}
        names |= {n.replace("XBT", "BTC") for n in names}
        out[key] = names
    return out


def _leverage(p: dict[str, Any]) -> str | None:
    """The position's leverage (cost / margin), as AddOrder's ``leverage``."""
    try:
        cost, margin = Decimal(str(p.get("cost"))), Decimal(str(p.get("margin")))
    except (InvalidOperation, ValueError):
        return None
    if margin <= 0:
        return None
    return str((cost / margin).to_integral_value())


def _direct_names(positions: Any) -> set[str]:
    """Position ids, the ids of the orders that opened them, and their pair ids (upper case)."""
    if not isinstance(positions, dict):
        return set()
    names = {str(k).upper() for k in positions}
    for p in positions.values():
        if isinstance(p, dict):
            names |= {str(p.get("ordertxid", "")).upper(), str(p.get("pair", "")).upper()}
    return names


def run_close(orders: list[CloseOrder], opts: CloseOptions, trade: Any) -> Any:
    """Send one reduce-only market order (or settle-position order) per pair and side."""
    results = []
    for order in orders:
        if opts.how == "settle":
            answer = trade.create_order(ordertype="settle-position", side=order.side, pair=order.pair, volume=str(order.volume),
                                        leverage=order.leverage, validate=opts.validate)
        else:
            answer = trade.create_order(ordertype="market", side=order.side, pair=order.pair, volume=str(order.volume),
                                        reduce_only=True, validate=opts.validate)
        descr = answer.get("descr", {}).get("order") if isinstance(answer, dict) else None
        txid = (answer.get("txid") or [None])[0] if isinstance(answer, dict) else None
        results.append({"pair": order.pair, "side": order.side, "volume": str(order.volume), "txid": txid, "descr": descr,
                        "positions": order.positions})
    return {"orders": results}


@command(app, "close", kind="write")
def close(
    target: list[str] = typer.Argument(..., autocompletion=complete_pair, help="Position ids, ids of the orders that opened them, or pairs (all their positions)."),
    how: CloseHow = typer.Option(CloseHow.market, "--how", help="market: a reduce-only market order; settle: pay back the borrowed funds from the balance (settle-position, no trade)."),
    volume: Optional[str] = typer.Option(None, "--volume", callback=decimal_text, help="Close at most this volume per pair and side (default: all of it)."),
    validate: bool = typer.Option(False, "--validate", help="Validate only (Kraken's dry run; nothing is closed)."),
) -> None:
    """Close margin positions (moves money: confirms like an order).

    Table: narrow terminals leave out first positions; -o wide adds description.

    Example: kraken-ops positions close TF5GVO-T7ZZ2-6NBKBI
    Example: kraken-ops positions close XBTUSD --how settle --yes
    """
    from kraken_ops.cli.clients import close_client, make_client, targets as profiles_of
    from kraken_ops.cli.context import current

    opts = CloseOptions(targets=csv_list(target) or [], how=how.value, volume=volume, validate=validate)
    options = current()
    profile = profiles_of(options)[0]
    user = make_client(SPEC_USER, profile, options)
    try:
        positions = user.get_open_positions(consolidation=None)
    finally:
        close_client(user)
    aliases: dict[str, set[str]] = {}
    held = {str(p.get("pair")) for p in positions.values() if isinstance(p, dict)} if isinstance(positions, dict) else set()
    if any(t.upper() not in _direct_names(positions) for t in opts.targets):  # a pair by another name: ask AssetPairs
        market = make_client("spot.Market", profile, options)
        try:
            aliases = pair_aliases(market, held)
        finally:
            close_client(market)
    orders = plan_close(positions, opts, aliases)
    description = "; ".join(o.describe(opts.how) for o in orders)
    run_write(SPEC_TRADE, description, lambda t: run_close(orders, opts, t), VIEWS["close"], validate=validate)

