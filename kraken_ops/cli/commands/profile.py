"""``kraken-ops profile``: add, list, show, remove, rename, default, test, import, export.

Each command fills a small options dataclass and calls a plain ``run_*`` function
that does the work with an :class:`~kraken_ops.cli.output.Output` (data on stdout,
messages on stderr); tests call the run functions directly. Secrets are read from
a hidden prompt or from stdin (``--stdin``), never from the command line, and are
never printed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli.context import command, current
from kraken_ops.cli.meta import annotate
from kraken_ops.cli.errors import ConfigProblem, UsageProblem

app = typer.Typer(
    name="profile",
    help="Named Kraken accounts: API keys, environment, safety settings. Secrets live in the OS keyring.",
    no_args_is_help=True,
)


class Market(str, Enum):
    spot = "spot"
    futures = "futures"


class Environment(str, Enum):
    production = "production"
    sandbox = "sandbox"
    paper = "paper"
    custom = "custom"


class Tier(str, Enum):
    starter = "starter"
    intermediate = "intermediate"
    pro = "pro"


class Otp(str, Enum):
    password = "password"
    totp = "totp"
    prompt = "prompt"
    none = "none"


OTP_PROMPTS = {"password": "2FA password of the spot key", "totp": "TOTP seed of the spot key (base32, Kraken's setup key)"}


def _output() -> Any:
    from kraken_ops.cli.output import Output

    return Output.from_options(current())


def _short(key: str | None, full: bool = False) -> str | None:
    if key is None or full or len(key) <= 12:
        return key
    return f"{key[:4]}…{key[-4:]}"


# --- add ---------------------------------------------------------------------------------------


@dataclass
class AddOptions:
    name: str
    market: str = "spot"
    environment: str | None = None
    url: str | None = None
    read_only: bool | None = None
    confirm: bool | None = None
    tier: str | None = None
    nonce_window: int | None = None
    description: str | None = None
    secret_command: str | None = None
    make_default: bool = False
    allow_shared_key: bool = False
    replace: bool = False
    from_stdin: bool = False
    otp: str | None = None  # password | totp | prompt | none


def _interactive(stdin: Any) -> bool:
    try:
        return bool(stdin.isatty())
    except (AttributeError, ValueError):
        return False


def read_otp_value(opts: AddOptions, *, stdin: Any = None, prompt: Callable[[str], str] | None = None) -> str:
    """The 2FA password or TOTP seed: the next stdin line (``--stdin``) or a hidden prompt, never argv."""
    stdin = stdin if stdin is not None else sys.stdin
    what = OTP_PROMPTS[opts.otp or ""]
    if opts.from_stdin:
        value = stdin.readline().strip()
        if not value:
            raise UsageProblem(f"--stdin with --otp {opts.otp} expects one more line: the {what.split(' of ')[0]}")
        return value
    if prompt is None:
        if not _interactive(stdin):
            raise UsageProblem(f"no terminal to prompt for the {what}: pipe it in with --stdin")

        def prompt(text: str) -> str:
            return typer.prompt(text, hide_input=True, err=True)

    return prompt(what).strip()


def read_credentials(opts: AddOptions, need_secret: bool, *, stdin: Any = None, prompt: Callable[[str], str] | None = None) -> tuple[str, str | None]:
    """The API key and (unless a secret command provides it) the secret: stdin lines or hidden prompts."""
    stdin = stdin if stdin is not None else sys.stdin
    if opts.from_stdin:
        key = stdin.readline().strip()
        secret = stdin.readline().strip() if need_secret else None
        if not key or (need_secret and not secret):
            what = "two lines on stdin: the API key, then the secret" if need_secret else "one line on stdin: the API key"
            raise UsageProblem(f"--stdin expects {what}")
        return key, secret
    if prompt is None:
        try:
            interactive = stdin.isatty()
        except (AttributeError, ValueError):
            interactive = False
        if not interactive:
            raise UsageProblem("no terminal to prompt for the API key and secret: pipe them in with --stdin (key line, secret line)")

        def prompt(text: str) -> str:
            return typer.prompt(text, hide_input=True, err=True)

    key = prompt(f"{opts.market} API key").strip()
    secret = prompt(f"{opts.market} API secret").strip() if need_secret else None
    return key, secret


def run_add(opts: AddOptions, out: Any, *, stdin: Any = None, prompt: Callable[[str], str] | None = None) -> Any:
    """Create or extend a profile and store its secret in the keyring.

    With ``--otp`` on a profile that already has its spot key, only the 2FA setting
    (and its password or seed) is set up; ``--replace`` changes an existing one.
    """
    from kraken_ops.profiles import config as cfg
    from kraken_ops.profiles.manage import add_profile

    cfg.check_name(opts.name)
    if opts.otp is not None and opts.market != "spot":
        raise UsageProblem("Kraken Futures API keys have no two-factor authentication: --otp goes with the spot key")
    existing = cfg.read_config().profiles.get(opts.name)
    uses_command = opts.secret_command is not None or (existing is not None and existing.secret_command is not None)
    if opts.otp is not None and existing is not None and existing.key("spot"):
        return _run_add_otp(opts, existing, out, uses_command=uses_command, stdin=stdin, prompt=prompt)
    if existing is not None and existing.key(opts.market) and not opts.replace:
        raise ConfigProblem(
            f"profile {opts.name!r} already has a {opts.market} key", hint=f"pass --replace to change it, or --market {_other(opts.market)}"
        )
    key, secret = read_credentials(opts, need_secret=not uses_command, stdin=stdin, prompt=prompt)
    otp_value = read_otp_value(opts, stdin=stdin, prompt=prompt) if opts.otp in OTP_PROMPTS and not uses_command else None
    result = add_profile(
        opts.name,
        opts.market,
        key,
        secret,
        environment=opts.environment,
        url=opts.url,
        read_only=opts.read_only,
        confirm=opts.confirm,
        tier=opts.tier,
        nonce_window=opts.nonce_window,
        description=opts.description,
        secret_command=opts.secret_command,
        make_default=opts.make_default,
        allow_shared_key=opts.allow_shared_key,
        replace_key=opts.replace,
        otp=opts.otp,
        otp_value=otp_value,
        replace_otp=opts.replace,
    )
    verb = "added" if result.created else "updated"
    where = "secret_command" if uses_command else "the keyring"
    needs = f"; the key requires 2FA ({_otp_words(result.profile.otp)})" if result.profile.otp and opts.market == "spot" else ""
    out.info(f"{verb} profile {opts.name!r} ({opts.market} key, {result.profile.environment}); secret in {where}{needs}")
    if result.shared_with:
        out.warn(f"the {opts.market} key is shared with {', '.join(result.shared_with)}: their requests will wait for each other")
    if result.became_default:
        out.info(f"{opts.name!r} is now the default profile")
    return result.profile


def _otp_words(kind: str | None) -> str:
    return {
        "password": "a static password, sent with each private call",
        "totp": "TOTP codes computed from the stored seed",
        "prompt": "a code asked on the terminal once per command",
    }.get(kind or "", "none")


def _run_add_otp(opts: AddOptions, existing: Any, out: Any, *, uses_command: bool, stdin: Any, prompt: Callable[[str], str] | None) -> Any:
    """``profile add NAME --otp TYPE`` on a profile that has its spot key: set up (or drop) its 2FA only."""
    from kraken_ops.profiles.manage import add_profile

    if existing.otp is not None and opts.otp != "none" and not opts.replace:
        raise ConfigProblem(f"profile {opts.name!r} already requires an otp ({existing.otp})", hint="pass --replace to change it")
    otp_value = read_otp_value(opts, stdin=stdin, prompt=prompt) if opts.otp in OTP_PROMPTS and not uses_command else None
    result = add_profile(
        opts.name,
        "spot",
        environment=opts.environment,
        url=opts.url,
        read_only=opts.read_only,
        confirm=opts.confirm,
        tier=opts.tier,
        nonce_window=opts.nonce_window,
        description=opts.description,
        secret_command=opts.secret_command,
        make_default=opts.make_default,
        otp=opts.otp,
        otp_value=otp_value,
        replace_otp=opts.replace,
    )
    if result.profile.otp is None:
        out.info(f"profile {opts.name!r}: its spot key no longer sends an otp" + (" (the stored one was deleted)" if existing.stores_otp else ""))
    else:
        where = " (from secret_command, {market} = spot-otp)" if result.profile.stores_otp and uses_command else ""
        out.info(f"profile {opts.name!r}: the spot key requires 2FA, {_otp_words(result.profile.otp)}{where}")
    return result.profile


@dataclass
class PaperOptions:
    """``profile add NAME --paper``: an account on the local exchange, in one step."""

    name: str
    url: str | None = None
    state: Path | None = None
    funds: list[str] = field(default_factory=list)
    account: str | None = None
    tier: str | None = None
    nonce_window: int | None = None
    description: str | None = None
    make_default: bool = False
    start_timeout: float = 30.0


def run_add_paper(opts: PaperOptions, out: Any) -> dict[str, Any]:
    """Start the local exchange if needed, create a funded account, store the paper profile."""
    from kraken_ops.cli.output import RECORD
    from kraken_ops.profiles.manage import set_default
    from kraken_ops.profiles.paper import add_paper_profile

    result = add_paper_profile(
        opts.name,
        url=opts.url,
        state_dir=opts.state,
        funds=opts.funds,
        account=opts.account,
        tier=opts.tier,
        nonce_window=opts.nonce_window,
        description=opts.description,
        start_timeout=opts.start_timeout,
    )
    ex = result.exchange
    if ex.started:
        out.info(f"started the local exchange on {ex.url} (pid {ex.pid}, state {ex.state_dir}, log {ex.log}); stop it with: kill {ex.pid}")
    funded = ", ".join(f"{a}={v}" for a, v in result.funds)
    where = result.profile.secret_file or "the keyring"
    out.info(f"created account {result.account!r} on {ex.url} ({funded}); profile {opts.name!r} (paper) stored, secrets in {where}")
    if opts.make_default:
        set_default(opts.name)
    row = {
        "profile": opts.name,
        "account": result.account,
        "url": ex.url,
        "state_dir": str(ex.state_dir),
        "started": ex.started,
        "pid": ex.pid,
        "funds": dict(result.funds),
        "spot_key": result.profile.spot_key,
        "futures_key": result.profile.futures_key,
    }
    out.emit(row, RECORD)
    return row


def _other(market: str) -> str:
    return "futures" if market == "spot" else "spot"


@command(app, "add", kind="private")
@annotate(needs_key=False)
def add(
    name: str = typer.Argument(..., help="Profile name (letters, digits, _ - .)."),
    market: Market = typer.Option(Market.spot, "--market", help="Which key of the account this is."),
    environment: Optional[Environment] = typer.Option(None, "--environment", "-e", help="production (default), sandbox, paper or custom."),
    url: Optional[str] = typer.Option(None, "--url", help="Base URL for paper (default http://127.0.0.1:8787) or custom."),
    read_only: Optional[bool] = typer.Option(None, "--read-only/--read-write", help="Refuse commands that move money.", show_default=False),
    confirm: Optional[bool] = typer.Option(None, "--confirm/--no-confirm", help="Ask before money moves (default: production only).", show_default=False),
    tier: Optional[Tier] = typer.Option(None, "--tier", help="Kraken verification tier (Spot rate limits)."),
    nonce_window: Optional[int] = typer.Option(None, "--nonce-window", min=0, help="The key's nonce window at Kraken (0: strict, one request at a time)."),
    description: Optional[str] = typer.Option(None, "--description", help="Free text shown by profile list."),
    secret_command: Optional[str] = typer.Option(None, "--secret-command", help="Command printing the secret ({profile}, {market} substituted) instead of the keyring."),
    make_default: bool = typer.Option(False, "--default", help="Make this the default profile."),
    allow_shared_key: bool = typer.Option(False, "--allow-shared-key", help="Allow a key another profile already uses."),
    replace: bool = typer.Option(False, "--replace", help="Replace the profile's existing key for this market."),
    from_stdin: bool = typer.Option(False, "--stdin", help="Read the key and the secret as two lines from stdin instead of prompting (then the otp password or seed)."),
    otp: Optional[Otp] = typer.Option(
        None, "--otp", help="The spot key requires 2FA: password or totp (the password or TOTP seed is read like the secret and stored beside it), prompt (ask each command), none (drop it)."
    ),
    paper: bool = typer.Option(False, "--paper", help="Create a funded account on the local exchange (started in the background if needed) and store its keys."),
    fund: Optional[list[str]] = typer.Option(None, "--fund", metavar="ASSET=AMOUNT", help="With --paper: ASSET=AMOUNT to deposit (repeatable; default ZUSD=10000 XXBT=1 XETH=10)."),
    state: Optional[Path] = typer.Option(None, "--state", metavar="DIR", help="With --paper: the exchange's state dir (default: its user data dir)."),
    account: Optional[str] = typer.Option(None, "--account", help="With --paper: the exchange account name (default: the profile name)."),
    start_timeout: float = typer.Option(30.0, "--start-timeout", min=1, help="With --paper: seconds to wait for a started exchange to listen."),
) -> None:
    """Add a profile (or a market key to one). Prompts for the key and secret with hidden input.

    With --paper: a new account on the local exchange, with both keys, in one step.

    Example: kraken-ops profile add paper --paper --default  # a funded account on the local exchange (started if needed)
    Example: kraken-ops profile add bot1 --paper --fund ZUSD=5000 --fund XXBT=0.5
    Example: kraken-ops profile add main --market spot  # a real key: prompts for the key and the secret
    """
    if paper:
        clashes = [flag for flag, given in (
            ("--market futures", market != Market.spot), ("--environment", environment not in (None, Environment.paper)),
            ("--secret-command", secret_command is not None), ("--stdin", from_stdin), ("--replace", replace),
            ("--allow-shared-key", allow_shared_key), ("--read-only", read_only is not None), ("--confirm", confirm is not None),
            ("--otp", otp is not None),
        ) if given]
        if clashes:
            raise UsageProblem(f"--paper creates both keys itself; it does not take {', '.join(clashes)}")
        run_add_paper(
            PaperOptions(
                name=name, url=url, state=state, funds=list(fund or []), account=account,
                tier=tier.value if tier else None, nonce_window=nonce_window, description=description,
                make_default=make_default, start_timeout=start_timeout,
            ),
            _output(),
        )
        return
    if fund or state is not None or account is not None:
        raise UsageProblem("--fund, --state and --account go with --paper")
    opts = AddOptions(
        name=name,
        market=market.value,
        environment=environment.value if environment else None,
        url=url,
        read_only=read_only,
        confirm=confirm,
        tier=tier.value if tier else None,
        nonce_window=nonce_window,
        description=description,
        secret_command=secret_command,
        make_default=make_default,
        allow_shared_key=allow_shared_key,
        replace=replace,
        from_stdin=from_stdin,
        otp=otp.value if otp else None,
    )
    run_add(opts, _output())


# --- list / show -----------------------------------------------------------------------------------


LIST_COLUMNS = ["name", "default", "environment", "spot_key", "futures_key", "shared", "read_only", "tier", "nonce_window", "description"]


def _views() -> dict[str, Any]:
    """The views of ``profile list`` and ``profile test`` (built on use: output is imported lazily here)."""
    from kraken_ops.cli.output import WIDE, View, col, flag, listed, num, prose

    return {
        "list": View(
            listed(),
            LIST_COLUMNS,
            only=True,
            table=[
                col("default", "", 1, get=lambda r: "*" if r.get("default") else ""),
                col("name", "name", 1),
                col("environment", "environment", 1),
                flag("read_only", "read-only", 2),
                col("shared", "shared key", 2),
                col("spot_key", "spot key", 3, "id"),
                col("futures_key", "futures key", 4, "id"),
                prose("description", "description", 5),
                col("tier", "tier", 6),
                num("nonce_window", "nonce window", WIDE),
                flag("confirm", "confirm", WIDE),
                col("url", "url", WIDE, "id"),
            ],
        ),
        "test": View(
            listed(),
            ["market", "permission", "result", "detail"],
            table=[col("market", "market", 1), prose("permission", "permission", 1), col("result", "result", 1), prose("detail", "detail", 2)],
        ),
    }


def profile_rows(config: Any, *, show_keys: bool = False) -> list[dict[str, Any]]:
    """One row per profile (public keys shortened unless ``show_keys``; never a secret)."""
    shared = config.shared_keys()
    rows = []
    for name in config.names():
        p = config.profiles[name]
        shared_markets = [m for (m, k), users in shared.items() if name in users]
        rows.append(
            {
                "name": name,
                "default": name == config.default,
                "environment": p.environment,
                "url": p.url_for("futures") if p.environment == "sandbox" else p.url_for("spot"),
                "spot_key": _short(p.spot_key, show_keys),
                "futures_key": _short(p.futures_key, show_keys),
                "shared": ",".join(sorted(shared_markets)),
                "read_only": p.read_only,
                "confirm": p.needs_confirmation,
                "tier": p.tier or "starter",
                "nonce_window": p.nonce_window,
                "otp": p.otp or "none",  # the spot key's 2FA type, never its value
                "description": p.description,
            }
        )
    return rows


def run_list(out: Any, *, show_keys: bool = False) -> list[dict[str, Any]]:
    from kraken_ops.profiles import load_config

    config = load_config()
    rows = profile_rows(config, show_keys=show_keys)
    if not rows and not out.is_json:
        out.info("no profiles yet: add one with `kraken-ops profile add NAME` (see docs/profiles.md)")
        return rows
    out.emit(rows, _views()["list"])
    if any(r["shared"] for r in rows) and not out.is_json:
        out.warn("some keys are shared by several profiles (column 'shared'): one API key per bot is safer")
    return rows


@command(app, "list", kind="public")
def list_(show_keys: bool = typer.Option(False, "--show-keys", help="Show public keys in full.")) -> None:
    """List profiles (a table on a terminal, JSON otherwise). Never shows a secret.

    Table: narrow terminals leave out first tier, description, futures key, spot key, shared key, read-only; -o wide adds nonce window, confirm, url.

    Example: kraken-ops profile list
    Example: kraken-ops profile list -o json --query "[?environment=='paper'].name"
    """
    run_list(_output(), show_keys=show_keys)


def _chosen(name: str | None) -> str:
    from kraken_ops.profiles import get_profile

    if name is None:
        options = current()
        name = options.profiles[0] if options.profiles else None
    return get_profile(name).name


def run_show(name: str, out: Any, *, show_keys: bool = False) -> dict[str, Any]:
    from kraken_ops.cli.output import RECORD
    from kraken_ops.profiles import load_config
    from kraken_ops.profiles.config import MARKETS
    from kraken_ops.profiles.secrets import otp_source, secret_source

    config = load_config()
    profile = config.get(name)
    row = next(r for r in profile_rows(config, show_keys=show_keys) if r["name"] == name)
    for market in MARKETS:
        row[f"{market}_secret"] = secret_source(profile, market) if profile.key(market) else None
    row["otp_source"] = otp_source(profile) if profile.otp else None  # where the 2FA password or seed is, never the value
    row["secret_command"] = profile.secret_command
    if profile.environment == "sandbox":
        row["note"] = "Kraken retired its Futures demo environment in 2026; use environment 'paper' instead"
    out.emit(row, RECORD)
    return row


@command(app, "show", kind="public")
def show(
    name: Optional[str] = typer.Argument(None, help="Profile (default: --profile, $KRAKEN_OPS_PROFILE, then the default)."),
    show_keys: bool = typer.Option(False, "--show-keys", help="Show public keys in full."),
) -> None:
    """Show one profile and where its secrets come from (never the secrets).

    Example: kraken-ops profile show paper
    """
    run_show(_chosen(name), _output(), show_keys=show_keys)


# --- remove / rename / default -----------------------------------------------------------------------


def confirm_remove(name: str, yes: bool) -> None:
    """Ask before deleting profile ``name``'s secrets (on a terminal); without one, need ``--yes``."""
    from kraken_ops.cli.safety import ask, stdin_is_tty
    from kraken_ops.profiles import load_config

    profile = load_config().get(name)  # an unknown name fails before any question
    if yes:
        return
    if profile.secret_command is not None:
        what = "its secrets come from secret_command and stay where they are"
    else:
        where = profile.secret_file or "the keyring"
        markets = " and ".join(profile.markets) or "any"
        what = f"its {markets} secrets are deleted from {where}, and Kraken never shows a secret again"
    if not stdin_is_tty():
        raise UsageProblem(f"profile remove {name}: {what}; pass --yes to confirm without a terminal")
    sys.stderr.write(f"Remove profile {name!r}? {what[0].upper()}{what[1:]}.\n")
    if not ask("Proceed?"):
        raise UsageProblem("not confirmed; nothing was removed")


@command(app, "remove", kind="public")
@annotate(read_only=False, dangerous=True)
def remove(
    name: str = typer.Argument(..., help="Profile to remove."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (needed without a terminal)."),
) -> None:
    """Remove a profile and delete its secrets (asks first; --yes without a terminal).

    Example: kraken-ops profile remove bot2 --yes
    """
    from kraken_ops.profiles.manage import remove_profile

    out = _output()
    confirm_remove(name, yes or current().yes)
    for warning in remove_profile(name):
        out.warn(warning)
    out.info(f"removed profile {name!r}")


@command(app, "rename", kind="public")
@annotate(read_only=False)
def rename(old: str = typer.Argument(..., help="Current name."), new: str = typer.Argument(..., help="New name.")) -> None:
    """Rename a profile (its keyring entries move with it).

    Example: kraken-ops profile rename bot2 grid-bot
    """
    from kraken_ops.profiles.manage import rename_profile

    out = _output()
    for warning in rename_profile(old, new):
        out.warn(warning)
    out.info(f"renamed profile {old!r} to {new!r}")


@command(app, "default", kind="public")
@annotate(read_only=False)
def default(name: str = typer.Argument(..., help="Profile to use when none is given.")) -> None:
    """Set the default profile.

    Example: kraken-ops profile default paper
    """
    from kraken_ops.profiles.manage import set_default

    set_default(name)
    _output().info(f"default profile: {name}")


# --- test --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One harmless private call that shows whether the key has a permission."""

    market: str
    permission: str
    group: str  # "spot.user" module path under kraken_ops
    cls: str
    method: str
    args: dict[str, Any] = field(default_factory=dict)
    fallback: tuple[str, str] = ("POST", "")  # request() when the group is not available
    any_answer: bool = False  # a call refused for its arguments: any answer but "Permission denied" shows the permission


# Kraken checks the permission before the arguments, so a call that cannot succeed still shows it:
# AddOrder with validate=true (places nothing; a limit buy of 0.0001 XBT at 1 USD is below the
# minimums anyway) and WithdrawInfo for a withdrawal key nobody has (a read: fee information).
PROBE_ORDER = {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": "0.0001", "price": "1", "validate": True}
PROBE_WITHDRAWAL = {"asset": "XBT", "key": "kraken-ops-permission-probe", "amount": "0.001"}

CHECKS: tuple[Check, ...] = (
    Check("spot", "query funds", "spot.user", "User", "get_account_balance", fallback=("POST", "/0/private/Balance")),
    Check("spot", "query open orders & trades", "spot.user", "User", "get_open_orders", fallback=("POST", "/0/private/OpenOrders")),
    Check("spot", "query closed orders & trades", "spot.user", "User", "get_closed_orders", fallback=("POST", "/0/private/ClosedOrders")),
    Check("spot", "query ledger entries", "spot.user", "User", "get_ledgers_info", fallback=("POST", "/0/private/Ledgers")),
    Check("spot", "create & modify orders", "spot.trade", "Trade", "create_order", PROBE_ORDER, ("POST", "/0/private/AddOrder"), any_answer=True),
    Check("spot", "withdraw funds", "spot.funding", "Funding", "get_withdrawal_info", PROBE_WITHDRAWAL, ("POST", "/0/private/WithdrawInfo"), any_answer=True),
    Check("spot", "websocket interface", "spot.user", "User", "get_websockets_token", fallback=("POST", "/0/private/GetWebSocketsToken")),
    Check("futures", "general (accounts)", "futures.user", "User", "get_wallets", fallback=("GET", "/derivatives/api/v3/accounts")),
    Check("futures", "open orders", "futures.user", "User", "get_open_orders", fallback=("GET", "/derivatives/api/v3/openorders")),
    Check("futures", "open positions", "futures.user", "User", "get_open_positions", fallback=("GET", "/derivatives/api/v3/openpositions")),
)


def _client_for(check: Check, profile: str, timeout: float | None) -> tuple[Any, Callable[[], Any]]:
    import importlib

    overrides: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
    try:
        cls = getattr(importlib.import_module(f"kraken_ops.{check.group}"), check.cls)
        method = getattr(cls, check.method)
    except (ImportError, AttributeError):
        base = importlib.import_module(f"kraken_ops.{check.market}.base")
        cls = getattr(base, "SpotClient" if check.market == "spot" else "FuturesClient")
        client = cls.from_profile(profile, **overrides)
        verb, path = check.fallback
        return client, lambda: client.request(verb, path)
    client = cls.from_profile(profile, **overrides)
    return client, lambda: method(client, **check.args)


def run_test(name: str, out: Any, *, timeout: float | None = None, checks: tuple[Check, ...] = CHECKS) -> list[dict[str, Any]]:
    """Try one harmless private call per permission; report what the key can do."""
    from kraken_ops import exceptions as kx
    from kraken_ops.profiles import get_profile

    profile = get_profile(name)
    if not profile.markets:
        raise ConfigProblem(f"profile {name!r} has no key yet", hint=f"add one with: kraken-ops profile add {name} --market spot")
    rows: list[dict[str, Any]] = []
    rejected: dict[str, BaseException] = {}
    for check in checks:
        if check.market not in profile.markets:
            continue
        row = {"market": check.market, "permission": check.permission, "result": "", "detail": ""}
        rows.append(row)
        if check.market in rejected:
            row.update(result="skipped", detail="key rejected")
            continue
        client, call = _client_for(check, name, timeout)
        try:
            call()
            row["result"] = "ok"
        except kx.KrakenPermissionDeniedError as exc:
            row.update(result="denied", detail=exc.kraken_error or "permission denied")
        except (kx.KrakenInvalidAPIKeyError, kx.KrakenInvalidSignatureError, kx.KrakenAuthenticationError, kx.KrakenAuthenticationFailedError) as exc:
            row.update(result="rejected", detail=exc.kraken_error or type(exc).__name__)
            rejected[check.market] = exc
        except (kx.KrakenNetworkError, kx.KrakenConfigError):
            raise
        except kx.KrakenException as exc:
            if check.any_answer:  # refused for its arguments, past the permission check
                row.update(result="ok", detail=f"checked without effect ({exc.kraken_error or type(exc).__name__})")
            else:
                row.update(result="error", detail=exc.kraken_error or str(exc))
        finally:
            close = getattr(client, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass
    out.emit(rows, _views()["test"])
    if rejected and len(rejected) == len(profile.markets):
        raise next(iter(rejected.values()))
    return rows


@command(app, "test", kind="public")
@annotate(needs_key=True)
def test(name: Optional[str] = typer.Argument(None, help="Profile (default: --profile, $KRAKEN_OPS_PROFILE, then the default).")) -> None:
    """Check what a profile's keys can do with harmless private calls (balance, open orders, WebSocket token...).

    Table: narrow terminals leave out first detail.

    Example: kraken-ops profile test paper
    """
    chosen = _chosen(name)
    run_test(chosen, _output(), timeout=current().timeout)


# --- import / export -----------------------------------------------------------------------------------


@command(app, "import", kind="public")
@annotate(read_only=False)
def import_(
    file: Path = typer.Argument(..., help="A profile file (TOML, [profiles.NAME] tables; see profiles/)."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite profiles of the same name."),
    allow_shared_key: bool = typer.Option(False, "--allow-shared-key", help="Allow keys another profile already uses."),
) -> None:
    """Import profiles from a file (no secrets in it; store them with `profile add NAME --market M`).

    Example: kraken-ops profile import profiles/treasury-readonly.toml  # then: kraken-ops profile add treasury --market spot
    """
    from kraken_ops.profiles.manage import import_profiles

    out = _output()
    result = import_profiles(file, replace_existing=replace, allow_shared_key=allow_shared_key)
    out.info(f"imported: {', '.join(result.imported)}" + (f" (default: {result.default})" if result.default else ""))
    for name, market in result.needs_secret:
        if market == "spot-otp":
            kind = config_otp(name)
            what = "TOTP seed" if kind == "totp" else "2FA password"
            out.info(f"{name}: the spot key's {what} is not stored yet: kraken-ops profile add {name} --otp {kind} --replace")
        else:
            out.info(f"{name}: the {market} key has no secret yet: kraken-ops profile add {name} --market {market} --replace")
    if out.is_json:
        out.emit({"imported": result.imported, "needs_secret": [f"{n}:{m}" for n, m in result.needs_secret], "default": result.default})


def config_otp(name: str) -> str:
    from kraken_ops.profiles import load_config

    return load_config().get(name).otp or "password"


@command(app, "export", kind="public")
def export(
    names: Optional[list[str]] = typer.Argument(None, help="Profiles to export (default: all)."),
    to: Optional[Path] = typer.Option(None, "--to", help="Write to this file instead of stdout."),
    no_keys: bool = typer.Option(False, "--no-keys", help="Leave out the public API keys too."),
) -> None:
    """Export profiles as a TOML profile file (never a secret).

    Example: kraken-ops profile export paper --to paper.toml
    Example: kraken-ops profile export -o json
    """
    from kraken_ops.profiles.manage import export_document

    text = export_document(list(names or []) or None, include_keys=not no_keys)
    if current().output == "json":
        import tomllib

        document = tomllib.loads(text)
        if to is None:
            _output().emit(document)  # through Output, so that --query applies
            return
        from kraken_ops.cli.output import dumps

        text = dumps(document) + "\n"
    if to is None:
        sys.stdout.write(text)
        return
    try:
        to.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigProblem(f"cannot write {to}: {exc.strerror or type(exc).__name__}") from None
    _output().info(f"exported {len(names or []) or 'all'} profile(s) to {to}")


__all__ = ["app", "run_add", "run_add_paper", "PaperOptions", "run_list", "run_show", "run_test", "AddOptions", "CHECKS", "Check"]
