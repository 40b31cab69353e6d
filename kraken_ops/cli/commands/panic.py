"""``kraken-ops panic``: cancel every open order on many accounts at once (and flatten Futures).

Per account, concurrently (one thread per account and market, each with the account's
own profile client): Spot ``CancelAll`` when the profile has a Spot key, Futures
``cancelallorders`` when it has a Futures key, and with ``--flatten`` a reduce-only
market order against each open Futures position, after its orders are cancelled.
Every request is recorded in the audit log. One market failing never stops the other,
nor another account.

The report has a row per account: orders cancelled per market, positions closed, and
what failed. An answer lost on the way back is never guessed at: that market's status
is ``unknown`` (with the command that checks), the account's too.
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

from dataclasses import dataclass, field
from typing import Any, Optional

import typer

from kraken_ops.cli.context import command
from kraken_ops.cli.output import View, col, listed, num, prose

COLUMNS = ["spot", "futures", "positions"]
VIEWS = {
    # a row per account: orders cancelled per market ("?" unknown, "-" no key), positions closed of found
    "report": View(
        listed(),
        ["profile", "environment", "status", *COLUMNS, "detail"],
        table=[
            col("profile", "profile", 1),
            col("environment", "environment", 3),
            col("status", "status", 1),
            num("spot", "spot", 1),
            num("futures", "futures", 1),
            col("positions", "positions", 2),
            prose("detail", "detail", 1),
        ],
    ),
}


@dataclass
class PanicOptions:
    """Inputs of ``kraken-ops panic``."""

    flatten: bool = False


@dataclass
class Step:
    """What happened to one market of one account."""

    market: str
    cancelled: Optional[int] = None
    closed: list = field(default_factory=list)  # {"symbol", "side", "size", "order_id"} per position closed
    errors: list = field(default_factory=list)  # (what, exception)
    positions: Optional[int] = None  # open positions found (with --flatten)


def describe_plan(account: Any, opts: PanicOptions) -> str:
    """What panic does to ``account`` (the confirmation's line)."""
    parts = []
    if "spot" in account.markets:
        parts.append("cancel every Spot order")
    if "futures" in account.markets:
        parts.append("cancel every Futures order")
        if opts.flatten:
            parts.append("close every Futures position (reduce-only market orders)")
    return ", ".join(parts)


def spot_step(account: Any, options: Any, command_name: str) -> Step:
    """Cancel every open Spot order of ``account``."""
    from kraken_ops.cli.clients import close_client
    from kraken_ops.cli.fleet import audited

    step = Step("spot")
    trade = account.client("spot.Trade", options)
    try:
        result = audited(command_name, account, {"market": "spot"}, "cancel every open Spot order", trade.cancel_all_orders)
        step.cancelled = int(result.get("count", 0)) if isinstance(result, dict) else None
    except Exception as exc:
        step.errors.append(("cancel", exc))
    finally:
        close_client(trade)
    return step


def futures_step(account: Any, options: Any, command_name: str, flatten: bool) -> Step:
    """Cancel every open Futures order of ``account``; with ``flatten``, then close its positions."""
    from kraken_ops.cli.clients import close_client
    from kraken_ops.cli.fleet import audited

    step = Step("futures")
    trade = account.client("futures.Trade", options)
    user = None
    try:
        try:
            result = audited(command_name, account, {"market": "futures"}, "cancel every open Futures order", trade.cancel_all_orders)
            status = result.get("cancelStatus") if isinstance(result, dict) else None
            step.cancelled = len((status or {}).get("cancelledOrders") or [])
        except Exception as exc:
            step.errors.append(("cancel", exc))
        if not flatten:
            return step
        user = account.client("futures.User", options)
        try:
            positions = user.get_open_positions().get("openPositions") or []
        except Exception as exc:
            step.errors.append(("positions", exc))
            return step
        step.positions = len(positions)
        for position in positions:
            close_position(step, trade, account, command_name, position)
    finally:
        close_client(trade)
        if user is not None:
            close_client(user)
    return step


def close_position(step: Step, trade: Any, account: Any, command_name: str, position: dict) -> None:
    """A reduce-only market order against ``position`` (recorded in the audit log)."""
    from kraken_ops.cli.fleet import audited

    symbol, size = position.get("symbol"), position.get("size")
    side = "sell" if position.get("side") == "long" else "buy"
    params = {"market": "futures", "flatten": True, "symbol": symbol, "side": side, "size": size, "orderType": "mkt", "reduceOnly": True}
    action = f"close the {position.get('side')} {size} {symbol} position (reduce-only market {side})"
    try:
        result = audited(
            command_name, account, params, action,
            lambda: trade.create_order(orderType="mkt", symbol=symbol, side=side, size=str(size), reduceOnly=True),
        )
        send = result.get("sendStatus") if isinstance(result, dict) else None
        step.closed.append({"symbol": symbol, "side": side, "size": size, "order_id": (send or {}).get("order_id")})
    except Exception as exc:
        step.errors.append((f"close {symbol}", exc))


def account_status(steps: list) -> str:
    """``ok``, ``unknown`` (an answer was lost and not resolved) or ``error``."""
    from kraken_ops.cli.fleet import status_of

    statuses = [status_of(exc) for step in steps for _, exc in step.errors]
    if not statuses:
        return "ok"
    return "unknown" if "unknown" in statuses else "error"


def account_result(account: Any, steps: list, flatten: bool) -> dict:
    """The JSON of one account: per market what was cancelled, closed, and what failed."""
    from kraken_ops.cli.errors import describe

    doc: dict = {"environment": account.environment, "status": account_status(steps)}
    for step in steps:
        part: dict = {"cancelled": step.cancelled}
        if step.market == "futures" and flatten:
            part["positions"] = step.positions
            part["closed"] = step.closed
        if step.errors:
            part["errors"] = [{"step": what, **describe(exc, account.name).envelope()} for what, exc in step.errors]
        doc[step.market] = part
    return doc


def row(account: Any, steps: list, flatten: bool) -> dict:
    """One table row: counts per market, positions closed of found, the first error."""
    from kraken_ops.cli.fleet import short_reason

    by_market = {s.market: s for s in steps}

    def count(market: str) -> str:
        step = by_market.get(market)
        if step is None:
            return "-"
        return "?" if step.cancelled is None else str(step.cancelled)

    futures = by_market.get("futures")
    positions = "-"
    if flatten and futures is not None:
        positions = "?" if futures.positions is None else f"{len(futures.closed)}/{futures.positions}"
    errors = [(s.market, what, exc) for s in steps for what, exc in s.errors]
    detail = ""
    if errors:  # a few words; the whole message is on stderr and in the JSON
        market, what, exc = errors[0]
        detail = f"{market} {what}: {short_reason(exc, account.name)}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")
    return {
        "profile": account.name,
        "environment": account.environment,
        "status": account_status(steps),
        "spot": count("spot"),
        "futures": count("futures"),
        "positions": positions,
        "detail": detail,
    }


def run_panic(opts: PanicOptions, options: Any, out: Any) -> dict:
    """Select, confirm, act on every account concurrently, print the report, raise for the exit code."""
    from kraken_ops.cli import audit, fleet
    from kraken_ops.cli.errors import report

    accounts = fleet.select(options, ("spot", "futures"), any_market=True)
    active = fleet.confirm(options, accounts, lambda a: describe_plan(a, opts), out=out)
    name = audit.command_name(options) or "panic"
    fleet.record_skips(name, accounts, {"flatten": opts.flatten}, "panic")
    units = []
    for account in active:
        if "spot" in account.markets:
            units.append(fleet.Unit((account.name, "spot"), account, lambda a=account: spot_step(a, options, name)))
        if "futures" in account.markets:
            units.append(fleet.Unit((account.name, "futures"), account, lambda a=account: futures_step(a, options, name, opts.flatten)))
    results, errors, interrupted = fleet.run_units(units)
    steps: dict = {a.name: [] for a in active}
    for (who, market), exc in errors.items():  # a step that could not even start (no client, Ctrl-C)
        steps[who].append(Step(market, errors=[("start", exc)]))
    for (who, _market), step in results.items():
        steps[who].append(step)
    for who in steps:
        steps[who].sort(key=lambda s: s.market != "spot")
    doc: dict = {}
    rows = []
    for account in accounts:
        if account.skip:
            doc[account.name] = {"skipped": account.skip}
            rows.append({"profile": account.name, "environment": account.environment, "status": "skipped", "spot": "-", "futures": "-", "positions": "-", "detail": account.skip})
            continue
        doc[account.name] = account_result(account, steps[account.name], opts.flatten)
        rows.append(row(account, steps[account.name], opts.flatten))
    if out.fmt == "json":
        out.emit(doc)
    else:
        out.emit(rows, VIEWS["report"])
    failures = fleet.Report(accounts)
    for account in active:
        problems = [exc for step in steps[account.name] for _, exc in step.errors]
        for exc in problems:
            if not isinstance(exc, fleet.NotSent):
                report(exc, options, profile=account.name, envelope=False, show_profile=True)
        if problems:  # the account's failure, for the exit code: an unknown outcome speaks for it when there is one
            unknown = [e for e in problems if fleet.status_of(e) == "unknown"]
            failures.errors[account.name] = (unknown or problems)[0]
    if interrupted:
        raise KeyboardInterrupt
    fleet.raise_for(failures)
    return doc


def register_top_level(root: typer.Typer) -> None:
    """``kraken-ops panic`` lives at the top level."""

    @command(root, "panic", kind="fleet")
    def panic(
        flatten: bool = typer.Option(False, "--flatten", help="Also close every Futures position with reduce-only market orders."),
    ) -> None:
        """Cancel every Spot and Futures order of each account at once. --flatten also closes Futures positions.

        Accounts: --profile (repeatable), --group TAG or --all-profiles (default: the
        default profile). One confirmation lists every account; without a terminal pass
        --yes. Read-only profiles are skipped. Prints a row per account (orders cancelled
        per market, positions closed, errors); exit 5 when some accounts failed, 14 when
        every failure is an answer lost on the way back.

        Table: narrow terminals leave out first environment, positions.

        Example: kraken-ops panic --group bots --yes
        Example: kraken-ops panic --all-profiles --flatten --yes -o json
        """
        from kraken_ops.cli.context import current
        from kraken_ops.cli.output import Output

        options = current()
        run_panic(PanicOptions(flatten=flatten), options, Output.from_options(options))
