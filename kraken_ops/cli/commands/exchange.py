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


def _existing_state(state: Optional[Path]) -> Any:
    """The exchange state for a command that changes existing accounts: never created by a command that would fail."""
    from kraken_ops.exchange.state import default_state_dir

    directory = state or default_state_dir()
    if not (directory / "exchange.sqlite3").exists():
        _fail(f"no exchange state in {directory} (no account was ever added there); pass --state DIR of your exchange", 3)
    return _state(state)


def _amount(text: str) -> Any:
    """A deposit amount: a decimal number above 0 and below 1e15 (state.BALANCE_LIMIT)."""
    from decimal import Decimal, InvalidOperation

    from kraken_ops.exchange.state import AmountError, check_admin_amount

    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        _fail(f"bad amount {shown!r} (expected a decimal number like 1.5)", 2)
    try:
        return check_admin_amount(value)
    except AmountError as exc:
        _fail(str(exc), 2)


def _state_error_code(exc: Exception) -> int:
    """2 for a bad amount (usage), 3 for a problem with the state (unknown account...)."""
    from kraken_ops.exchange.state import AmountError

    return 2 if isinstance(exc, AmountError) else 3


def _asset(text: str) -> str:
    from kraken_ops.exchange.markets import ASSETS, normalize_asset

    aid = normalize_asset(text)
    if aid is None:
        _fail(f"unknown asset {text!r} (known: {', '.join(a.altname for a in ASSETS.values())})", 2)
    return aid  # type: ignore[return-value]


def _fund_pairs(items: List[str]) -> list[tuple[str, Any]]:
    from kraken_ops.exchange.state import BALANCE_LIMIT

    out = []
    totals: dict[str, Any] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep:
            _fail(f"bad --fund {item!r} (expected ASSET=AMOUNT, e.g. USD=10000)", 2)
        aid, value = _asset(asset.strip()), _amount(amount.strip())
        totals[aid] = totals.get(aid, 0) + value
        if totals[aid] >= BALANCE_LIMIT:
            _fail(f"the --fund amounts of {asset.strip()} add up to 1e15 or more (balances must stay below it)", 2)
        out.append((aid, value))
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
    fault: List[str] = typer.Option([], "--fault", help="ws-drop=N, latency=MS, http-502=RATE, bad-checksum=RATE, lost-response=RATE, slow-response=MS."),
    prices: str = typer.Option(
        "synthetic", "--prices", help="Market maker's prices: synthetic (seeded random walk), live (Kraken's public ticker and book) or replay:FILE (recorded NDJSON)."
    ),
    prices_url: Optional[str] = typer.Option(
        None, "--prices-url", envvar="KRAKEN_OPS_PRICES_URL", help="WebSocket v2 URL of --prices live (default wss://ws.kraken.com/v2)."
    ),
    retention_days: float = typer.Option(
        7.0, "--retention-days", help="Days of public market data kept in the state (0 keeps all); users' own history is always kept."
    ),
    max_public_rows: int = typer.Option(
        400_000, "--max-public-rows", help="Rows of public market data kept at most, oldest dropped first (0: no cap; ~130 bytes a row)."
    ),
) -> None:
    """Serve Spot and Futures REST and WebSocket on loopback; prints 'listening on URL' to stderr.

    One server per state directory: a second one on the same --state exits 3 naming the first's URL and PID.

    Example: kraken-ops exchange serve  # http://127.0.0.1:8787, state in the user data dir
    Example: kraken-ops exchange serve --port 0 --state /tmp/paper-exchange --fresh  # a free port, a throwaway state
    """
    from kraken_ops.exchange.context import STATUSES
    from kraken_ops.exchange.lock import StateLocked
    from kraken_ops.exchange.prices import PriceFeedError, make_feed
    from kraken_ops.exchange.server import parse_faults, run

    if status not in STATUSES:
        _fail(f"unknown --status {status!r} (use one of {', '.join(STATUSES)})", 2)
    if not 0 <= port <= 65535:
        _fail(f"bad --port {port} (0-65535)", 2)
    if retention_days < 0:
        _fail(f"bad --retention-days {retention_days} (0 keeps everything, or a positive number of days)", 2)
    if max_public_rows < 0:
        _fail(f"bad --max-public-rows {max_public_rows} (0: no cap, or a positive number of rows)", 2)
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
            retention_days=retention_days, max_public_rows=max_public_rows)
    except StateLocked as exc:
        _fail(str(exc), 3)
    except PriceFeedError as exc:
        _fail(str(exc), 4 if exc.kind == "network" else 3)  # docs/scripting.md: 4 network, 3 io
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 3)


def _server_url(db: Any) -> str:
    """The URL of the exchange serving ``db``'s state dir, from its server.json (never a stale one)."""
    from kraken_ops.profiles.paper import _alive

    info = db.state_dir / "server.json"
    try:
        data = json.loads(info.read_text())
        url, pid = data["url"], data.get("pid")
    except (OSError, ValueError, KeyError, TypeError):
        _fail(f"no running exchange recorded in {info}; start one with `kraken-ops exchange serve` or pass --url", 3)
    if not isinstance(url, str) or not isinstance(pid, int) or not _alive(pid):
        _fail(f"{info} names {url}, but its server (pid {pid}) is not running: start it with `kraken-ops exchange serve`, or pass --url", 3)
    return url


def _existing_profile(name: str, replace: bool) -> None:
    """Refuse (exit 3) to replace profile ``name`` unless ``--replace`` says so."""
    from kraken_ops.profiles import ProfileError, load_config

    try:
        existing = load_config().profiles.get(name)
    except ProfileError as exc:
        _fail(str(exc), 3)
    if existing is None:
        return
    if existing.environment != "paper":
        _fail(f"profile {name!r} already exists with environment {existing.environment!r}; choose another --profile name "
              "(a non-paper profile is never replaced)", 3)
    if not replace:
        _fail(f"profile {name!r} already exists (paper, {existing.url_for('spot')}); pass --replace to point it at the new "
              "account, or choose another --profile name", 3)


@account_app.command("add")
@annotate(needs_key=False, read_only=False)
def account_add(
    name: str = typer.Argument(..., help="Account name."),
    fund: List[str] = typer.Option([], "--fund", help="ASSET=AMOUNT to deposit (repeatable)."),
    permissions: Optional[str] = typer.Option(None, "--permissions", help="Comma-separated permissions (default all)."),
    tier: str = typer.Option("pro", "--tier", help="starter, intermediate or pro (rate limits)."),
    nonce_window: int = typer.Option(0, "--nonce-window", help="Tolerated nonce lag (default 0: strictly increasing)."),
    print_credentials: bool = typer.Option(False, "--print-credentials", help="Print the keys and secrets as JSON."),
    url: Optional[str] = typer.Option(None, "--url", help="Exchange URL for --profile (default: from server.json of a running server)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Store a paper profile with these keys."),
    replace: bool = typer.Option(False, "--replace", help="With --profile: replace an existing paper profile of that name."),
    otp_password: bool = typer.Option(
        False, "--otp-password", help="The Spot key requires a static 2FA password as otp (asked with hidden input, or one line on stdin)."
    ),
    otp_totp: bool = typer.Option(
        False, "--otp-totp", help="The Spot key requires a TOTP code as otp: a seed is generated and printed once, with an otpauth:// URI."
    ),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Create an account with a Spot key and a Futures key (and, with --profile, a paper profile for it).

    All or nothing: if the profile cannot be stored, the account is removed again.

    Example: kraken-ops exchange account add grid-bot --fund ZUSD=10000 --fund XXBT=1 --profile grid-bot
    """
    from kraken_ops.exchange.state import StateError

    funds = _fund_pairs(fund)
    perms = [p.strip() for p in permissions.split(",") if p.strip()] if permissions is not None else None
    if replace and not profile:
        _fail("--replace goes with --profile", 2)
    if otp_password and otp_totp:
        _fail("a key has one kind of 2FA: pass --otp-password or --otp-totp, not both", 2)
    if profile:
        from kraken_ops.profiles.config import check_name
        from kraken_ops.profiles.errors import ProfileError

        try:
            check_name(profile)
        except ProfileError as exc:
            _fail(str(exc), 2)
        _existing_profile(profile, replace)
    password = _read_otp_password() if otp_password else None
    seed = None
    if otp_totp:
        from kraken_ops.exchange.auth import new_totp_seed

        seed = new_totp_seed()
    db = _state(state)
    target = url
    if profile and target is None:
        target = _server_url(db)
    try:
        acct = db.add_account(name, permissions=perms, tier=tier, nonce_window=nonce_window, otp_password=password, otp_totp_seed=seed)
    except StateError as exc:
        _fail(str(exc), 3 if "exists" in str(exc) else 2)  # a bound of a deposit (AmountError) is 2 too
    otp = ("password", password) if password is not None else ("totp", seed) if seed is not None else None
    stored = None
    try:
        for asset, amount in funds:
            db.deposit(name, asset, amount)
        if profile:
            from kraken_ops.profiles import store_paper_profile

            stored = store_paper_profile(profile, target, acct.spot_key, acct.spot_secret, acct.futures_key, acct.futures_secret,
                                         tier=tier, nonce_window=nonce_window, description=f"local exchange account {name!r}",
                                         replace=replace, secret_dir=db.state_dir, otp=otp)
    except Exception as exc:  # the profile (or a deposit) failed: take the account back, nobody will ever see its secret
        try:
            db.remove_account(name)
            undone = f"; account {name!r} was removed again"
        except Exception:  # noqa: BLE001
            undone = f"; account {name!r} could not be removed: remove it with `kraken-ops exchange account remove {name} --yes`"
        what = f"cannot store profile {profile!r}" if profile and not isinstance(exc, StateError) else "cannot fund the account"
        _fail(f"{what}: {exc}{undone}", 3)
    uri = otpauth_uri(name, seed) if seed is not None else None
    if print_credentials:
        doc: dict[str, Any] = {"name": acct.name, "spot": {"key": acct.spot_key, "secret": acct.spot_secret},
                               "futures": {"key": acct.futures_key, "secret": acct.futures_secret}}
        if otp is not None:  # the password is never echoed: the user typed it
            doc["spot"]["otp"] = {"type": "totp", "seed": seed, "uri": uri} if seed is not None else {"type": "password"}
        typer.echo(json.dumps(doc))
    else:
        where = ""
        if stored is not None:
            where = f"; secrets in {stored.secret_file} (no keyring on this machine)" if stored.secret_file else "; secrets in the keyring"
        needs = f"; its spot key requires a {otp[0]} as otp" if otp is not None else ""
        typer.echo(f"created account {name}" + (f" (profile {profile}{where})" if profile else "") + needs, err=True)
        if seed is not None:
            typer.echo(f"totp seed: {seed}")
            typer.echo(uri)
            typer.echo("the TOTP seed is shown only this once: add it to an authenticator app (scan the otpauth:// URI) "
                       + ("; the profile computes codes from its stored copy" if profile else
                          "or store it in a profile with `kraken-ops profile add NAME --otp totp`"), err=True)


def otpauth_uri(account: str, seed: str) -> str:
    """The ``otpauth://totp/...`` URI of a TOTP seed, for authenticator apps (QR codes).

    >>> otpauth_uri("bot 1", "JBSWY3DPEHPK3PXP")
    'otpauth://totp/kraken-ops%20exchange:bot%201?secret=JBSWY3DPEHPK3PXP&issuer=kraken-ops%20exchange&algorithm=SHA1&digits=6&period=30'
    """
    from urllib.parse import quote

    issuer = quote("kraken-ops exchange")
    return f"otpauth://totp/{issuer}:{quote(account)}?secret={seed}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"


def _read_otp_password() -> str:
    """The 2FA password of a new account: a hidden prompt (typed twice) on a terminal, else one line of stdin."""
    from kraken_ops.cli.safety import stdin_is_tty

    if stdin_is_tty():
        first = typer.prompt("2FA password of the spot key", hide_input=True, err=True)
        if typer.prompt("the same password again", hide_input=True, err=True) != first:
            _fail("the two passwords differ; nothing was created", 2)
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password.strip():
        _fail("--otp-password: no password given (type it at the prompt, or pipe one line on stdin); nothing was created", 2)
    return password


@account_app.command("list")
@annotate(needs_key=False, read_only=True)
def account_list(
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FORMAT", help="table, wide or json (default: table on a TTY)."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """List accounts (never secrets).

    Table: narrow terminals leave out first spot key, permissions, tier.

    Example: kraken-ops exchange account list
    Example: kraken-ops exchange account list -o json
    """
    import logging

    from kraken_ops.exchange.markets import fmt_asset

    # a balance row that cannot be read is skipped; say so here, once, not through logging too
    logging.getLogger("kraken_ops.exchange").addHandler(logging.NullHandler())
    db = _state(state)
    rows = []
    for a in db.accounts():
        d = a.public_dict()
        d["balances"] = {k: fmt_asset(k, v) for k, v in sorted(db.balances(a.name).items())}
        rows.append(d)
    for message in dict.fromkeys(db.warnings):
        typer.echo(f"warning: {message}", err=True)
    from kraken_ops.cli.context import inherited

    given = inherited()  # kraken-ops --query EXPR exchange account list
    fmt = output or ("table" if sys.stdout.isatty() and given.query is None else "json")
    if fmt not in ("table", "wide", "json"):
        _fail(f"bad --output {fmt!r} (table, wide or json)", 2)
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
    from kraken_ops.cli.output import Output

    Output(fmt).emit(rows, account_view())


def account_view() -> Any:
    """The table of ``exchange account list`` (never a secret: public keys only)."""
    from kraken_ops.cli.output import View, col, listed, prose

    return View(
        listed(),
        table=[
            col("name", "name", 1),
            prose("balances", "balances", 1, get=lambda r: ", ".join(f"{k}\u00a0{v}" for k, v in (r.get("balances") or {}).items())),
            prose("permissions", "permissions", 3, get=lambda r: ", ".join(r.get("permissions") or [])),
            col("tier", "tier", 2),
            col("spot_key", "spot key", 4, "id", get=lambda r: (r.get("spot_key") or "")[:12] + "…"),
        ],
    )


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
    db = _existing_state(state)
    try:
        for asset, amount in funds:
            db.deposit(name, asset, amount)
    except StateError as exc:
        _fail(str(exc), _state_error_code(exc))
    typer.echo(f"funded {name}", err=True)


def _profiles_using(acct: Any) -> list[str]:
    """Profiles of the current config file whose keys are this account's (best effort)."""
    try:
        from kraken_ops.profiles import load_config

        config = load_config()
    except Exception:  # noqa: BLE001 - an unreadable config must not block the exchange
        return []
    return sorted(n for n, p in config.profiles.items() if p.spot_key == acct.spot_key or p.futures_key == acct.futures_key)


@account_app.command("remove")
@annotate(needs_key=False, read_only=False, dangerous=True)
def account_remove(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (needed without a terminal)."),
    state: Optional[Path] = typer.Option(None, "--state", help=STATE_HELP),
) -> None:
    """Delete an account and its balances (asks first; --yes without a terminal).

    Example: kraken-ops exchange account remove grid-bot --yes
    """
    from kraken_ops.cli.safety import ask, stdin_is_tty
    from kraken_ops.exchange.state import StateError

    db = _existing_state(state)
    acct = db.account(name)
    if acct is None:
        _fail(f"no account named {name!r} in {db.state_dir}", 3)
    users = _profiles_using(acct)
    using = f"profile {', '.join(users)} still uses it" if users else "no profile of this config uses it"
    root = ctx.find_root().obj
    if not (yes or getattr(root, "yes", False)):
        if not stdin_is_tty():
            _fail(f"removing account {name!r} deletes it and its balances ({using}): pass --yes to confirm without a terminal", 2)
        sys.stderr.write(f"Remove account {name!r} and its balances from the local exchange in {db.state_dir} ({using})?\n")
        if not ask("Proceed?"):
            _fail("not confirmed; nothing was removed", 2)
    try:
        db.remove_account(name)
    except StateError as exc:
        _fail(str(exc), 3)
    typer.echo(f"removed {name}", err=True)
    for user in users:
        typer.echo(f"warning: profile {user} still points at the removed account: remove it with `kraken-ops profile remove {user}`",
                   err=True)


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
    db = _existing_state(state)
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
    db = _existing_state(state)
    try:
        refid = db.deposit(name, aid, value)
    except StateError as exc:
        _fail(str(exc), _state_error_code(exc))
    typer.echo(refid)
