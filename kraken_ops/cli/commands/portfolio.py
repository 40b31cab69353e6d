"""``kraken-ops portfolio``: every account's holdings valued in one currency.

Spot balances, Earn allocations, Futures collateral and the unrealised P&L of Futures
positions, per account, per asset and in total (docs/fleet.md, "Portfolio"). The work
is done by :mod:`kraken_ops.observe`; this module chooses the profiles, runs the
refreshes and renders the report: tables on a terminal (``--live`` redraws them in
place), JSON, NDJSON or CSV otherwise.
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

import typer

from kraken_ops.cli.context import GlobalOptions, command

#: Seconds between two refreshes of ``--live`` (Balance and Earn/Allocations cost 2 of the
#: Spot counter per account; the starter tier decays 0.33 a second, ~5 per 15 s).
DEFAULT_INTERVAL = 15.0

COLUMNS = ["profile", "source", "account", "asset", "amount", "currency", "rate", "value", "method", "note"]


@dataclass
class PortfolioOptions:
    """Inputs of ``kraken-ops portfolio``."""

    currency: str = "USD"
    groups: list[str] = field(default_factory=list)
    live: bool = False
    interval: float = DEFAULT_INTERVAL
    count: Optional[int] = None  # refreshes of --live before stopping (None: until Ctrl-C)


def run_portfolio(opts: PortfolioOptions, options: GlobalOptions, out: Any = None, source: Any = None) -> Any:
    """Value the selected accounts and print the report; returns the last report.

    ``source`` (a :class:`~kraken_ops.observe.fetch.FleetSource`) is built from the
    options when not given.
    """
    import asyncio

    from kraken_ops.cli.output import Output
    from kraken_ops.cli.selection import select_profiles
    from kraken_ops.observe.fetch import FleetSource

    out = out or Output.from_options(options)
    if source is None:
        names = select_profiles(options.profiles, options.all_profiles, opts.groups)
        source = FleetSource(names, opts.currency, timeout=options.timeout)
    live_table = opts.live and out.fmt == "table" and _isatty(out.stdout)
    live_ndjson = opts.live and out.fmt == "ndjson"
    if live_table or live_ndjson:
        report = asyncio.run(_live(opts, source, out, table=live_table))
    else:
        report = asyncio.run(source.once()).report
        emit(report, out)
        warn_unvalued(report, out)
    finish(report, options)
    return report


async def _live(opts: PortfolioOptions, source: Any, out: Any, *, table: bool) -> Any:
    """Refresh every ``opts.interval`` seconds: redraw the tables, or one NDJSON snapshot a line."""
    import asyncio

    from kraken_ops.cli.output import dumps

    live = None
    if table:
        from rich.console import Console
        from rich.live import Live

        live = Live(console=Console(file=out.stdout, no_color=not out.color, highlight=False), auto_refresh=False)
        live.start()
    report = None
    done = 0
    try:
        while True:
            report = (await source.refresh()).report
            done += 1
            if live is not None:
                live.update(render(report, color=out.color, live_interval=opts.interval), refresh=True)
            else:
                out.stdout.write(dumps(report.to_json(), indent=None) + "\n")
                out.stdout.flush()
            if opts.count is not None and done >= opts.count:
                break
            await asyncio.sleep(opts.interval)
    finally:
        if live is not None:
            live.stop()
        await source.close()
    return report


def emit(report: Any, out: Any) -> None:
    """Print one report in the output's format."""
    from kraken_ops.cli.output import View, dumps, listed

    if out.fmt == "json":
        out.stdout.write(dumps(report.to_json()) + "\n")
        out.stdout.flush()
    elif out.fmt in ("ndjson", "csv"):
        out.emit(report.rows(), View(listed(), COLUMNS, only=True))
    else:
        from rich.console import Console

        Console(file=out.stdout, no_color=not out.color, highlight=False, soft_wrap=False).print(render(report, color=out.color))


def warn_unvalued(report: Any, out: Any) -> None:
    """One warning line on stderr per amount that could not be valued."""
    for u in report.unvalued:
        where = u["source"] if u["account"] in (u["source"], "spot") else f"{u['source']} {u['account']}"
        out.warn(f"[{u['profile']}] {where}: {u['amount']} {u['asset']} not valued in {report.currency}: {u['reason']}")


def finish(report: Any, options: GlobalOptions) -> None:
    """Report sections that failed (stderr) and raise for exit code 5 when the report is incomplete."""
    from kraken_ops.cli.errors import PartialFailure, describe

    if not report.errors:
        return
    infos = []
    for profile, section, exc in report.errors:
        info = describe(exc, profile)
        infos.append(info)
        tail = f" ({info.kraken_error})" if info.kraken_error and info.kraken_error not in info.message else ""
        print(f"error: [{profile}] {SECTION_NAMES.get(section, section)}: {info.message}{tail}", file=sys.stderr)
        if info.hint:
            print(f"hint: {info.hint}", file=sys.stderr)
        if options.verbose:
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    failed = {p for p, _, _ in report.errors}
    nothing = not report.holdings and not report.positions and failed >= set(report.profiles)
    categories = {i.category for i in infos}
    category = categories.pop() if nothing and len(categories) == 1 else "partial"
    raise PartialFailure(f"portfolio incomplete: {len(report.errors)} part(s) could not be fetched", category=category)


SECTION_NAMES = {
    "profile": "profile",
    "market": "market data",
    "balance": "Spot balances",
    "earn": "Earn allocations",
    "futures_accounts": "Futures accounts",
    "futures_positions": "Futures positions",
}


# --- tables for people --------------------------------------------------------------------------
def _amount(value: Any) -> str:
    """An amount without trailing zeros and never in exponent form."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number.normalize(), "f") if number else "0"
    return text


def _money(value: Optional[Decimal], places: int) -> str:
    if value is None:
        return "-"
    return f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def shown_asset(holding: Any) -> str:
    """The asset as people read it: ``XBT`` for ``XXBT`` and ``xbt``, ``XBT.F`` for ``XBT.F``."""
    from kraken_ops.observe.valuation import split_suffix

    _, suffix = split_suffix(holding.valuation.name)
    group = holding.group
    return group + suffix if suffix and not group.endswith(suffix) else group


def render(report: Any, *, color: bool = True, live_interval: Optional[float] = None) -> Any:
    """The report as rich tables (holdings, positions, per asset, per account) and the total."""
    import time as _time

    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    places = report.display_decimals
    ccy = report.currency
    multi = len(report.profiles) > 1
    parts: list[Any] = []
    stamp = _time.strftime("%H:%M:%S", _time.localtime(report.time))
    heading = f"Portfolio in {ccy} at {stamp}"
    if live_interval is not None:
        heading += f" (every {live_interval:g}s, Ctrl-C to stop)"
    parts.append(Text(heading, style="bold" if color else ""))

    holdings = Table(title="Holdings", title_justify="left", box=None, pad_edge=False)
    if multi:
        holdings.add_column("profile", no_wrap=True)
    for name, justify in (("where", "left"), ("asset", "left"), ("amount", "right"), (f"value {ccy}", "right")):
        holdings.add_column(name, justify=justify, no_wrap=True)
    for h in report.holdings:
        where = h.source if h.account in (h.source, "spot") or h.source == "earn" else f"{h.source} {h.account}"
        value = _money(h.valuation.value, places) if h.valuation.valued else "not valued"
        row = [where, shown_asset(h), _amount(h.valuation.amount), value]
        holdings.add_row(*([h.profile] if multi else []), *row)
    parts.append(holdings if report.holdings else Text("(no holdings)", style="dim" if color else ""))

    if report.positions:
        positions = Table(title="Futures positions", title_justify="left", box=None, pad_edge=False)
        if multi:
            positions.add_column("profile", no_wrap=True)
        for name in ("symbol", "side", "size", "entry", "mark", "P&L", f"value {ccy}"):
            positions.add_column(name, justify="left" if name in ("symbol", "side") else "right", no_wrap=True)
        for p in report.positions:
            pnl = f"{_amount(p.pnl)} {p.pnl_currency or ''}".strip() if p.pnl is not None else "-"
            value = _money(p.valuation.value, places) if p.valuation is not None and p.valuation.valued else "not valued"
            row = [p.symbol, p.side, _amount(p.size), _amount(p.entry), _amount(p.mark), pnl, value]
            positions.add_row(*([p.profile] if multi else []), *row)
        parts.append(positions)

    total = report.total
    by_asset = Table(title="By asset", title_justify="left", box=None, pad_edge=False)
    for name, justify in (("asset", "left"), ("amount", "right"), (f"value {ccy}", "right"), ("share", "right")):
        by_asset.add_column(name, justify=justify, no_wrap=True)
    for asset, row in report.asset_totals().items():
        share = f"{(row['value'] / total * 100):.1f}%" if total and row["value"] else ""
        if row["value"] is None:
            value = "not valued"
        else:  # "+?": some of it could not be valued and is not in the figure
            value = _money(row["value"], places) + (" +?" if row["unvalued_amount"] else "")
        by_asset.add_row(asset, _amount(row["amount"]), value, share)
    if report.holdings:
        parts.append(by_asset)

    if multi:
        accounts = Table(title="By account", title_justify="left", box=None, pad_edge=False)
        for name in ("profile", "spot", "earn", "futures", "P&L", "total"):
            accounts.add_column(name, justify="left" if name == "profile" else "right", no_wrap=True)
        for name, t in report.account_totals().items():
            accounts.add_row(name, *(_money(t[k], places) for k in ("spot", "earn", "futures", "unrealized_pnl", "total")))
        parts.append(accounts)

    line = f"Total {_money(total, places)} {ccy}"
    if report.positions:
        line += f" (unrealised P&L {_money(report.unrealized_pnl, places)})"
    parts.append(Text(line, style="bold" if color else ""))
    missing = len(report.unvalued)
    if missing:
        parts.append(Text(f"{missing} amount(s) not valued and not counted (-o json lists them in 'unvalued')",
                          style="yellow" if color else ""))
    if report.errors:
        failed = ", ".join(f"{p} {SECTION_NAMES.get(s, s)}" for p, s, _ in report.errors)
        parts.append(Text(f"incomplete: {failed} could not be fetched", style="red" if color else ""))
    return Group(*parts)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# --- the command ------------------------------------------------------------------------------
GROUP = typer.Option([], "--group", "-g", help="Profiles tagged with this group (repeatable).", metavar="TAG", show_default=False)


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops portfolio`` is a top-level command."""

    @command(root, "portfolio", kind="read")
    def portfolio(
        currency: str = typer.Option("USD", "--in", help="Value everything in this currency (any Kraken asset).", metavar="ASSET"),
        group: list[str] = GROUP,
        live: bool = typer.Option(False, "--live", help="Refresh in place on a terminal (NDJSON: one snapshot a line)."),
        interval: float = typer.Option(DEFAULT_INTERVAL, "--interval", help="Seconds between --live refreshes.", min=2.0, metavar="SECONDS"),
        count: Optional[int] = typer.Option(None, "--count", "-n", help="Stop --live after N refreshes.", min=1),
    ) -> None:
        """Every account's Spot, Earn and Futures holdings valued in one currency.

        Per account, per asset and in total, with the unrealised P&L of Futures positions.
        For paper profiles this is the paper account's status.

        Example: kraken-ops portfolio --all-profiles --in EUR
        """
        from kraken_ops.cli.context import current

        opts = PortfolioOptions(currency=currency, groups=list(group), live=live, interval=interval, count=count)
        run_portfolio(opts, current())
