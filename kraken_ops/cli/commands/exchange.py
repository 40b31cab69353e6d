"""``kraken-ops exchange``: run the local Kraken-compatible exchange and manage its accounts.

The exchange package is imported inside the command functions only, so that
``kraken-ops --help`` stays fast. Exit codes: 2 usage error, 3 configuration/state error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from kraken_ops.cli.meta import annotate

app = typer.Typer(help="The local Kraken-compatible exchange (paper trading and tests).", no_args_is_help=True)
account_app = typer.Typer(help="Accounts of the local exchange.", no_args_is_help=True)
app.add_typer(account_app, name="account")

STATE_HELP = "State directory (default: the user data dir of kraken-ops, /exchange)."


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _state(state: Optional[Path]) -> Any:
    from kraken_ops.exchange.state import State

    try:
        return State(state)
    except Exception as exc:  # unreadable dir, corrupt database...
        _fail(f"cannot open the exchange state at {state or 'the default location'}: {exc}", 3)


def _amount(text: str) -> Any:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        _fail(f"bad amount {text!r} (expected a decimal number like 1.5)", 2)
    if not value.is_finite() or value <= 0:
        _fail(f"bad amount {text!r} (must be positive)", 2)
    return value


def _asset(text: str) -> str:
    from kraken_ops.exchange.markets import ASSETS, normalize_asset

    aid = normalize_asset(text)
    if aid is None:
        _fail(f"unknown asset {text!r} (known: {', '.join(a.altname for a in ASSETS.values())})", 2)
    return aid  # type: ignore[return-value]


def _fund_pairs(items: List[str]) -> list[tuple[str, Any]]:
    out = []
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep:
            _fail(f"bad --fund {item!r} (expected ASSET=AMOUNT, e.g. USD=10000)", 2)
        out.append((_asset(asset.strip()), _amount(amount.strip())))
    return out


@app.command()
@annotate(needs_key=False, read_only=False)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8787, "--port", help="TCP port (0 picks a free one)."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed of the market data (deterministic prices)."),
    fresh: bool = typer.Option(False, "--fresh", help="Start from an empty state (deletes the database)."),
    status: str = typer.Option("online", "--status", help="online, maintenance, cancel_only or post_only."),
    fault: List[str] = typer.Option([], "--fault", help="ws-drop=N, latency=MS, http-502=RATE, bad-checksum=RATE."),
    prices: str = typer.Option(
        "synthetic", "--prices", help="Market maker's prices: synthetic (seeded random walk), live (Kraken's public ticker and book) or replay:FILE (recorded NDJSON)."
    ),
    prices_url: Optional[str] = typer.Option(
        None, "--prices-url", envvar="KRAKEN_OPS_PRICES_URL", help="WebSocket v2 URL of --prices live (default wss://ws.kraken.com/v2)."
    ),
    retention_days: float = typer.Option(
        7.0, "--retention-days", help="Days of public market data kept in the state (0 keeps all); users' own history is always kept."
    ),
) -> None:
    """Serve Spot and Futures REST and WebSocket on loopback; prints 'listening on URL' to stderr.

    Example: kraken-ops exchange serve  # http://127.0.0.1:8787, state in the user data dir
    Example: kraken-ops exchange serve --port 0 --state /tmp/paper-exchange --fresh  # a free port, a throwaway state
    """
    from kraken_ops.exchange.context import STATUSES
    from kraken_ops.exchange.prices import PriceFeedError, make_feed
    from kraken_ops.exchange.server import parse_faults, run

    if status not in STATUSES:
        _fail(f"unknown --status {status!r} (use one of {', '.join(STATUSES)})", 2)
    if not 0 <= port <= 65535:
        _fail(f"bad --port {port} (0-65535)", 2)
    if retention_days < 0:
        _fail(f"bad --retention-days {retention_days} (0 keeps everything, or a positive number of days)", 2)
    try:
        faults = parse_faults(fault)
    except ValueError as exc:
        _fail(str(exc), 2)
    try:
        feed = make_feed(prices, prices_url)
    except ValueError as exc:
        _fail(f"bad --prices: {exc}", 2)
    try:
        run(host=host, port=port, state_dir=state, seed=seed, fresh=fresh, status=status, faults=faults, prices=feed,
            retention_days=retention_days)
    except PriceFeedError as exc:
        _fail(str(exc), 4 if exc.kind == "network" else 3)  # docs/scripting.md: 4 network, 3 io
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 3)


@account_app.command("add")
@annotate(needs_key=False, read_only=False)
def account_add(
    name: str = typer.Argument(..., help="Account name."),
    fund: List[str] = typer.Option([], "--fund", help="ASSET=AMOUNT to deposit (repeatable)."),
    permissions: Optional[str] = typer.Option(None, "--permissions", help="Comma-separated permissions (default all)."),
    tier: str = typer.Option("pro", "--tier", help="starter, intermediate or pro (rate limits)."),
    nonce_window: int = typer.Option(0, "--nonce-window", help="Tolerated nonce lag (default 0: strictly increasing)."),
    print_credentials: bool = typer.Option(False, "--print-credentials", help="Print the keys and secrets as JSON."),
    url: Optional[str] = typer.Option(None, "--url", help="Exchange URL for --profile (default: from server.json)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Store a paper profile with these keys."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Create an account with a Spot key and a Futures key.

    Example: kraken-ops exchange account add grid-bot --fund ZUSD=10000 --fund XXBT=1 --profile grid-bot
    """
    from kraken_ops.exchange.state import StateError

    funds = _fund_pairs(fund)
    perms = [p.strip() for p in permissions.split(",") if p.strip()] if permissions is not None else None
    store = None
    if profile:
        try:
            from kraken_ops import profiles

            store = getattr(profiles, "store_paper_profile", None)
        except ImportError:
            store = None
        if store is None:
            _fail("profiles are not available yet", 3)
    db = _state(state)
    target = url
    if store is not None and target is None:
        info = db.state_dir / "server.json"
        try:
            target = json.loads(info.read_text())["url"]
        except (OSError, ValueError, KeyError):
            _fail(f"no running exchange recorded in {info}; pass --url", 3)
    try:
        acct = db.add_account(name, permissions=perms, tier=tier, nonce_window=nonce_window)
        for asset, amount in funds:
            db.deposit(name, asset, amount)
    except StateError as exc:
        _fail(str(exc), 3 if "exists" in str(exc) else 2)
    if profile and store is not None:
        try:
            store(name=profile, url=target, spot_key=acct.spot_key, spot_secret=acct.spot_secret,
                  futures_key=acct.futures_key, futures_secret=acct.futures_secret)
        except Exception as exc:
            _fail(f"cannot store profile {profile!r}: {exc}", 3)
    if print_credentials:
        typer.echo(json.dumps({"name": acct.name, "spot": {"key": acct.spot_key, "secret": acct.spot_secret},
                               "futures": {"key": acct.futures_key, "secret": acct.futures_secret}}))
    else:
        typer.echo(f"created account {name}" + (f" (profile {profile})" if profile else ""), err=True)


@account_app.command("list")
@annotate(needs_key=False, read_only=True)
def account_list(
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", help="table or json (default: table on a TTY)."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """List accounts (never secrets).

    Example: kraken-ops exchange account list
    Example: kraken-ops exchange account list -o json
    """
    from kraken_ops.exchange.markets import fmt_asset

    db = _state(state)
    rows = []
    for a in db.accounts():
        d = a.public_dict()
        d["balances"] = {k: fmt_asset(k, v) for k, v in sorted(db.balances(a.name).items())}
        rows.append(d)
    from kraken_ops.cli.context import inherited

    given = inherited()  # kraken-ops --query EXPR exchange account list
    fmt = output or ("table" if sys.stdout.isatty() and given.query is None else "json")
    if fmt not in ("table", "json"):
        _fail(f"bad --output {fmt!r} (table or json)", 2)
    if fmt == "json":
        if given.query is not None:
            from kraken_ops.cli.errors import UsageProblem
            from kraken_ops.cli.output import Output

            try:
                Output("json", query=given.query).emit(rows)
            except UsageProblem as exc:
                _fail(str(exc), 2)
            return
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table("name", "spot key", "tier", "permissions", "balances")
    for r in rows:
        t.add_row(r["name"], r["spot_key"][:12] + "…", r["tier"], ",".join(r["permissions"]),
                  " ".join(f"{k}={v}" for k, v in r["balances"].items()))
    Console().print(t)


@account_app.command("fund")
@annotate(needs_key=False, read_only=False)
def account_fund(
    name: str = typer.Argument(...),
    items: List[str] = typer.Argument(..., metavar="ASSET=AMOUNT..."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Credit an account (a deposit).

    Example: kraken-ops exchange account fund paper ZUSD=5000 XXBT=1
    """
    from kraken_ops.exchange.state import StateError

    funds = _fund_pairs(items)
    db = _state(state)
    try:
        for asset, amount in funds:
            db.deposit(name, asset, amount)
    except StateError as exc:
        _fail(str(exc), 3)
    typer.echo(f"funded {name}", err=True)


@account_app.command("remove")
@annotate(needs_key=False, read_only=False, dangerous=True)
def account_remove(
    name: str = typer.Argument(...),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Delete an account and its balances.

    Example: kraken-ops exchange account remove grid-bot
    """
    from kraken_ops.exchange.state import StateError

    db = _state(state)
    try:
        db.remove_account(name)
    except StateError as exc:
        _fail(str(exc), 3)
    typer.echo(f"removed {name}", err=True)


@account_app.command("add-withdraw-key")
@annotate(needs_key=False, read_only=False)
def account_add_withdraw_key(
    name: str = typer.Argument(...),
    asset: str = typer.Argument(...),
    key: str = typer.Argument(..., help="Withdrawal key name (as used by Withdraw)."),
    address: str = typer.Argument(...),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Register a withdrawal key (address) for an account.

    Example: kraken-ops exchange account add-withdraw-key paper XBT my-wallet bc1qpaperaddress0000000000000000000000
    """
    from kraken_ops.exchange.state import StateError

    aid = _asset(asset)
    db = _state(state)
    try:
        db.add_withdraw_key(name, aid, key, address)
    except StateError as exc:
        _fail(str(exc), 3)
    typer.echo(f"added withdraw key {key} for {name}", err=True)


@app.command()
@annotate(needs_key=False, read_only=False)
def deposit(
    name: str = typer.Argument(...),
    asset: str = typer.Argument(...),
    amount: str = typer.Argument(...),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Credit a deposit to an account (shows in DepositStatus and Ledgers).

    Example: kraken-ops exchange deposit paper ZUSD 1000
    """
    from kraken_ops.exchange.state import StateError

    aid = _asset(asset)
    value = _amount(amount)
    db = _state(state)
    try:
        refid = db.deposit(name, aid, value)
    except StateError as exc:
        _fail(str(exc), 3)
    typer.echo(refid)
