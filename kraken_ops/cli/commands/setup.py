"""``kraken-ops setup``: the first-run wizard (a production or a paper profile, step by step).

Everything it stores goes through the functions of ``kraken-ops profile add``
(:func:`kraken_ops.cli.commands.profile.run_add` and ``run_add_paper``) and every key
it tests goes through ``kraken-ops profile test`` (:func:`~kraken_ops.cli.commands.profile.run_test`):
the wizard only asks the questions and explains the answers.

* **Production**: the API key and its secret (hidden input on the terminal, or
  ``--stdin``/``--from-env``; never argv), the tier (the client's rate limiter), the
  key's 2FA, an optional Futures key, then a live test of what the key may do (funds,
  orders, closed orders, ledgers, trading with ``validate``, withdrawals with
  ``WithdrawInfo``, WebSocket), a loud warning when the key can withdraw, and the
  profile's read-only, confirmation and default settings.
* **Paper**: the local exchange found (its ``server.json``) or started, an account
  funded, the profile stored.

Every question has a flag, so the wizard also runs without a terminal; then every
question not answered by a flag takes its default (``-y`` does the same on a
terminal). An existing config is never overwritten: setup adds a profile beside the
others and refuses a name that is taken.
"""

# No `from __future__ import annotations` here (see orders.py): typer would compile() them.

import io
import os
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli.context import command, current
from kraken_ops.cli.errors import ConfigProblem, UsageProblem
from kraken_ops.cli.meta import annotate
from kraken_ops.profiles.errors import ProfileError

KEYS_PAGE = "https://www.kraken.com/u/security/api"
TIERS = ("starter", "intermediate", "pro")
OTP_CHOICES = ("none", "password", "totp", "prompt")
DEFAULT_FUNDS_TEXT = "ZUSD=10000 XXBT=1 XETH=10"
WITHDRAW = "withdraw funds"
TRADE = "create & modify orders"


class Tier(str, Enum):
    starter = "starter"
    intermediate = "intermediate"
    pro = "pro"


class Otp(str, Enum):
    none = "none"
    password = "password"
    totp = "totp"
    prompt = "prompt"


@dataclass
class SetupOptions:
    """The answers given by flags (``None``: ask on a terminal, else the default)."""

    environment: Optional[str] = None  # "paper" | "production"
    name: Optional[str] = None
    tier: Optional[str] = None
    otp: Optional[str] = None
    futures: Optional[bool] = None
    from_stdin: bool = False
    from_env: bool = False
    read_only: Optional[bool] = None
    confirm: Optional[bool] = None
    make_default: Optional[bool] = None
    funds: list = field(default_factory=list)
    url: Optional[str] = None
    state: Optional[Path] = None
    test: bool = True
    assume_yes: bool = False
    start_timeout: float = 30.0


class Asker:
    """The wizard's questions: on a terminal they are asked (on stderr), otherwise they take their defaults."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def text(self, question: str, default: str, check: Optional[Callable[[str], Any]] = None) -> str:
        """Ask until ``check`` accepts the answer (its message is shown otherwise); ``check`` may return it cleaned up."""
        if not self.interactive:
            return default
        while True:
            answer = str(typer.prompt(question, default=default, err=True)).strip()
            try:
                checked = check(answer) if check is not None else answer
            except Exception as exc:  # noqa: BLE001 - a ProfileError, a ConfigProblem: its message is the answer
                typer.echo(f"  {exc}", err=True)
                continue
            return checked if isinstance(checked, str) else answer

    def choice(self, question: str, choices: tuple, default: str) -> str:
        """One of ``choices`` (a unique beginning is enough: "pr" for production)."""

        def one_of(answer: str) -> str:
            found = [c for c in choices if c == answer.lower()] or [c for c in choices if c.startswith(answer.lower())]
            if len(found) != 1:
                raise ValueError(f"answer one of: {', '.join(choices)}")
            return found[0]

        return self.text(f"{question} ({'/'.join(choices)})", default, one_of)

    def yes_no(self, question: str, default: bool) -> bool:
        if not self.interactive:
            return default
        return bool(typer.confirm(question, default=default, err=True))

    @staticmethod
    def secret(label: str) -> str:
        """Hidden input on the terminal (getpass: nothing is echoed)."""
        return str(typer.prompt(label, hide_input=True, err=True))


class _Held:
    """An Output that passes messages through and keeps what a reused run function emits."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self.emitted: list = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)

    def emit(self, result: Any, view: Any = None) -> None:
        self.emitted.append(result)


# --- the wizard ----------------------------------------------------------------------------------------
def _new_name(config: Any) -> Callable[[str], str]:
    from kraken_ops.profiles.config import check_name

    def check(name: str) -> str:
        check_name(name)
        if name in config.profiles:
            raise ConfigProblem(f"profile {name!r} already exists; setup never overwrites a profile, choose another name")
        return name

    return check


def _free_name(base: str, config: Any) -> str:
    if base not in config.profiles:
        return base
    n = 2
    while f"{base}{n}" in config.profiles:
        n += 1
    return f"{base}{n}"


def _fund_items(text: str) -> list:
    from kraken_ops.profiles.paper import parse_funds

    items = [item for item in text.replace(",", " ").split() if item]
    parse_funds(items)  # ProfileError on a bad one
    return items


def _running_exchange(state: Optional[Path]) -> Optional[str]:
    """The URL of a local exchange that runs on ``state`` (its server.json, and it listens), if any."""
    from kraken_ops.profiles.paper import exchange_state_dir, listens, read_server_json

    try:
        info = read_server_json(exchange_state_dir(state))
        if info is not None and listens(str(info["url"])):
            return str(info["url"]).rstrip("/")
    except Exception:  # noqa: BLE001 - no state dir yet, a bad URL: start one as usual
        return None
    return None


def run_setup(opts: SetupOptions, out: Any, asker: Asker, *, stdin: Any = None) -> dict:
    """Ask, store, test and explain; returns the summary (also printed as JSON in JSON mode)."""
    from kraken_ops.profiles.config import config_path, read_config

    config = read_config()
    if config.profiles:
        names = ", ".join(n + (" (default)" if n == config.default else "") for n in config.names())
        out.info(f"{config_path()} has {len(config.profiles)} profile(s): {names}.")
        out.info("Setup adds a new profile beside them; it never changes or overwrites one.")
        if not asker.yes_no("Add another profile?", True):
            out.info("nothing changed")
            return {"profile": None}
    else:
        out.info(f"kraken-ops setup: a profile for a Kraken account, saved in {config_path()} (its secrets never are).")
    environment = opts.environment
    if environment is None:
        implied = "production" if (opts.from_stdin or opts.from_env or opts.otp or opts.futures) else "paper"
        if asker.interactive:
            out.info("  paper:      an account with paper money on the local exchange (nothing real)")
            out.info("  production: your Kraken account, with an API key you create at")
            out.info(f"              {KEYS_PAGE}")
        environment = asker.choice("Which kind of profile?", ("paper", "production"), implied)
    check = _new_name(config)
    if opts.name is not None:
        check(opts.name)
        name = opts.name
    else:
        name = asker.text("Profile name", _free_name("paper" if environment == "paper" else "main", config), check)
    if opts.make_default is not None:
        make_default = opts.make_default
    elif config.default is None:
        make_default = True  # the first profile is the default anyway
    else:
        make_default = asker.yes_no(f"Make {name!r} the default profile (instead of {config.default!r})?", False)
    if environment == "paper":
        summary = _paper(opts, out, asker, name, make_default)
    else:
        summary = _production(opts, out, asker, name, make_default, stdin=stdin)
    if summary.get("profile") is None:
        if out.is_json:
            out.emit(summary)
        return summary
    summary["next"] = _next_commands(name, environment)
    _finish(out, summary)
    return summary


def _paper(opts: SetupOptions, out: Any, asker: Asker, name: str, make_default: bool) -> dict:
    from kraken_ops.cli.commands.profile import PaperOptions, run_add_paper

    funds = list(opts.funds) or asker.text("Paper money (ASSET=AMOUNT ...)", DEFAULT_FUNDS_TEXT, _fund_items).replace(",", " ").split()
    url = opts.url or _running_exchange(opts.state)
    if url is None:
        from kraken_ops.profiles.paper import PAPER_URL, listens

        if listens(PAPER_URL):  # another program (or another state dir's exchange) has the default port
            out.info(f"{PAPER_URL} is taken by another program: the local exchange will listen on a free port instead.")
            url = PAPER_URL.rsplit(":", 1)[0] + ":0"
    paper = PaperOptions(name=name, url=url, state=opts.state, funds=funds, tier=opts.tier, make_default=make_default, start_timeout=opts.start_timeout)
    try:
        row = run_add_paper(paper, _Held(out))
    except ProfileError as exc:
        if "cannot create the exchange account" not in str(exc) or "exists" not in str(exc):
            raise
        import secrets

        paper.account = f"{name}-{secrets.token_hex(3)}"  # an account of that name is left on the exchange: keep it, use another
        row = run_add_paper(paper, _Held(out))
    from kraken_ops.profiles import load_config

    config = load_config()
    return {
        "profile": name,
        "environment": "paper",
        "url": row["url"],
        "default": config.default == name,
        "account": row["account"],
        "funds": row["funds"],
        "exchange_started": row["started"],
        "exchange_pid": row["pid"],
        "read_only": False,
        "confirm": config.get(name).needs_confirmation,
        "warnings": [],
    }


def _credentials_stdin(opts: SetupOptions, stdin: Any) -> Any:
    """Where ``profile add`` reads the key lines: stdin (``--stdin``), or the environment as if piped in."""
    if not opts.from_env:
        return stdin
    from kraken_ops.profiles.secrets import API_KEY_ENV, SECRET_KEY_ENV

    key, secret = os.environ.get(API_KEY_ENV, "").strip(), os.environ.get(SECRET_KEY_ENV, "").strip()
    if not key or not secret:
        raise UsageProblem(f"--from-env needs both {API_KEY_ENV} and {SECRET_KEY_ENV}")
    return io.StringIO(f"{key}\n{secret}\n")


def _production(opts: SetupOptions, out: Any, asker: Asker, name: str, make_default: bool, *, stdin: Any) -> dict:
    from kraken_ops.cli.commands.profile import AddOptions, run_add

    if opts.from_stdin and opts.from_env:
        raise UsageProblem("--stdin and --from-env both say where the key comes from: choose one")
    terminal = _terminal()
    piped = (opts.from_stdin and not terminal) or opts.from_env  # --stdin on a terminal would echo: hidden prompts instead
    if not piped and not terminal:
        raise UsageProblem(
            "no terminal to ask for the API key and secret: pipe them in with --stdin (key line, secret line) "
            "or pass --from-env (KRAKEN_OPS_API_KEY, KRAKEN_OPS_SECRET_KEY)"
        )
    if opts.from_env and opts.otp in ("password", "totp"):
        raise UsageProblem(f"--from-env has no place for the 2FA {opts.otp}: use --stdin (key, secret, then the {opts.otp} line)")
    tier = opts.tier or asker.choice("Verification tier (rate limits)", TIERS, "starter")
    otp = opts.otp or asker.choice("2FA on the key", OTP_CHOICES, "none")
    if not piped:
        out.info(f"Create the key at {KEYS_PAGE}")
        out.info("with only the permissions this profile needs. Paste the key, then its")
        out.info("secret: nothing is shown while you type or paste.")
    environment, url = ("custom", opts.url) if opts.url else ("production", None)
    source = _credentials_stdin(opts, stdin if stdin is not None else sys.stdin)
    prompt = None if piped else Asker.secret
    add = AddOptions(name=name, market="spot", environment=environment, url=url, tier=tier, otp=None if otp == "none" else otp, from_stdin=piped)
    run_add(add, out, stdin=source, prompt=prompt)
    futures = opts.futures if opts.futures is not None else asker.yes_no("Add a Kraken Futures key too?", False)
    if futures:
        if opts.from_env:
            raise UsageProblem("--from-env holds one key: add the Futures key with --stdin, or later with kraken-ops profile add NAME --market futures")
        run_add(AddOptions(name=name, market="futures", environment=environment, url=url, from_stdin=piped), out, stdin=source, prompt=prompt)
    summary: dict = {"profile": name, "environment": environment, "url": url, "tier": tier, "otp": otp, "warnings": []}
    rows = _probe(opts, out, asker, name, summary) if opts.test else None
    if rows is None and summary.get("removed"):
        return {**summary, "profile": None}
    allowed = {r["permission"] for r in rows or [] if r["result"] == "ok"}
    can_trade = TRADE in allowed if rows is not None else True
    if opts.read_only is not None:
        read_only = opts.read_only
    else:
        read_only = asker.yes_no("Read-only (refuse orders, withdrawals, transfers)?", not can_trade)
    confirm = opts.confirm
    if confirm is None and not read_only:
        confirm = asker.yes_no("Ask before each command that moves money?", True)
    from kraken_ops.profiles.manage import add_profile

    result = add_profile(name, "spot", read_only=read_only, confirm=confirm, make_default=make_default)
    summary.update(read_only=result.profile.read_only, confirm=result.profile.needs_confirmation)
    from kraken_ops.profiles import load_config

    summary["default"] = load_config().default == name
    return summary


def _terminal() -> bool:
    from kraken_ops.cli.safety import stdin_is_tty

    return stdin_is_tty()


def _probe(opts: SetupOptions, out: Any, asker: Asker, name: str, summary: dict) -> Optional[list]:
    """Test the key with ``profile test``'s harmless calls; warn about withdrawals; drop a rejected key if asked."""
    from kraken_ops import exceptions as kx
    from kraken_ops.cli.commands.profile import run_test
    from kraken_ops.cli.errors import describe
    from kraken_ops.profiles.manage import remove_profile

    out.info("Testing the key with harmless calls (nothing is placed, moved or changed)...")
    held = _Held(out)
    try:
        rows = run_test(name, held, timeout=current().timeout)
    except kx.KrakenException as exc:
        info = describe(exc, name)
        if info.category != "auth":
            summary["tested"] = False
            summary["warnings"].append(f"could not test the key ({info.message}); test it later: kraken-ops profile test {name}")
            out.warn(summary["warnings"][-1])
            return None
        out.warn(f"Kraken rejected the key: {info.message}")
        drop = asker.yes_no(f"Remove profile {name!r} again?", True)  # without a terminal: yes, a rejected key is not kept
        if drop:
            for warning in remove_profile(name):
                out.warn(warning)
            out.info(f"removed profile {name!r}; check the key and its secret (and its 2FA), then run kraken-ops setup again")
            raise exc
        summary["tested"] = False
        return None
    summary["tested"] = True
    summary["permissions"] = rows
    if not out.is_json:
        out.emit(permission_rows(rows), PERMISSIONS_VIEW())
    allowed = {r["permission"] for r in rows if r["result"] == "ok"}
    if WITHDRAW in allowed:
        text = (
            "THIS KEY CAN WITHDRAW FUNDS. Anyone who gets it (a log, a copied config, a compromised bot) can send your money "
            "away. A trading bot needs no withdrawal permission: create a key without 'Withdraw Funds' at " + KEYS_PAGE
        )
        summary["warnings"].append(text)
        _loud(out, text)
        keep = asker.yes_no("Keep this key anyway?", False) if asker.interactive else True  # a script asked for it: warned
        if not keep:
            for warning in remove_profile(name):
                out.warn(warning)
            out.info(f"removed profile {name!r}; nothing else changed")
            summary["removed"] = True
            return None
    if TRADE not in allowed:
        out.info("The key cannot place orders: a read-only profile suits it.")
    return rows


def _loud(out: Any, text: str) -> None:
    """A warning people must not miss: wrapped to the terminal (one line for scripts)."""
    if not _terminal():
        out.warn(text)
        return
    import shutil
    import textwrap

    width = max(40, min(100, shutil.get_terminal_size((80, 24)).columns) - 1)
    for line in textwrap.wrap(f"warning: {text}", width, subsequent_indent="         ", break_on_hyphens=False):
        out.info(line)


ALLOWED = {"ok": "yes", "denied": "no"}


def permission_rows(rows: list) -> list:
    """``profile test``'s rows for people: what the key may do, yes or no (a note only when neither)."""
    markets = {r["market"] for r in rows}
    out = []
    for r in rows:
        what = r["permission"] if markets == {"spot"} else f"{r['market']}: {r['permission']}"
        allowed = ALLOWED.get(r["result"], r["result"])
        out.append({"permission": what, "allowed": allowed, "note": "" if r["result"] in ALLOWED else r["detail"]})
    return out


def PERMISSIONS_VIEW() -> Any:  # noqa: N802 - built on use: output is imported lazily
    from kraken_ops.cli.output import View, col, listed, prose

    return View(listed(), ["permission", "allowed", "note"], table=[
        prose("permission", "what the key may do", 1), col("allowed", "allowed", 1), prose("note", "note", 2),
    ])  # fmt: skip


def _next_commands(name: str, environment: str) -> list:
    p = f"-p {name}"
    if environment == "paper":
        return [
            f"kraken-ops balances {p}",
            f"kraken-ops market ticker XBTUSD {p}",
            f"kraken-ops orders create {p} --pair XBTUSD --side buy --type limit --volume 0.01 --price 25000",
            f"kraken-ops orders list {p}",
            f"kraken-ops shell {p}",
        ]
    return [
        f"kraken-ops balances {p}",
        f"kraken-ops orders list {p}",
        f"kraken-ops profile show {name}",
        f"kraken-ops profile test {name}",
        f"kraken-ops shell {p}",
    ]


def _finish(out: Any, summary: dict) -> None:
    if out.is_json:
        out.emit(summary)
        return
    name = summary["profile"]
    facts = [summary["environment"]]
    facts.append("read-only" if summary.get("read_only") else ("asks before money moves" if summary.get("confirm") else "moves money without asking"))
    if summary.get("default"):
        facts.append("the default profile")
    out.info("")
    out.info(f"Profile {name!r} is ready ({', '.join(facts)}). Try next:")
    for line in summary["next"]:
        out.command_hint(line)


def register_top_level(root: typer.Typer) -> None:
    """Add ``setup`` to the root app."""

    @command(root, "setup", kind="private")
    @annotate(needs_key=False, read_only=False)
    def setup(
        paper: bool = typer.Option(False, "--paper", help="A paper profile: an account with paper money on the local exchange."),
        production: bool = typer.Option(False, "--production", help="A profile for your Kraken account (its API key)."),
        name: Optional[str] = typer.Option(None, "--name", metavar="NAME", help="The profile's name (default: paper or main; never one that exists; -p NAME says the same)."),
        tier: Optional[Tier] = typer.Option(None, "--tier", help="Your verification tier at Kraken: the client's rate limits (default starter)."),
        otp: Optional[Otp] = typer.Option(None, "--otp", help="The key's 2FA: none (default), password, totp (read like the secret) or prompt (asked each command)."),
        from_stdin: bool = typer.Option(False, "--stdin", help="Read the key and the secret as lines on stdin (then the 2FA password or seed, then the Futures key and secret)."),
        from_env: bool = typer.Option(False, "--from-env", help="Take the key and the secret from KRAKEN_OPS_API_KEY and KRAKEN_OPS_SECRET_KEY."),
        futures: Optional[bool] = typer.Option(None, "--futures/--no-futures", help="Also store a Kraken Futures key (default: no).", show_default=False),
        read_only: Optional[bool] = typer.Option(None, "--read-only/--read-write", help="Refuse commands that move money (default: read-only when the key cannot trade).", show_default=False),
        confirm: Optional[bool] = typer.Option(None, "--confirm/--no-confirm", help="Ask before money moves (default: yes).", show_default=False),
        make_default: Optional[bool] = typer.Option(None, "--default/--no-default", help="Make it the default profile (default: only if there is none).", show_default=False),
        fund: Optional[list[str]] = typer.Option(None, "--fund", metavar="ASSET=AMOUNT", help="Paper: an amount to deposit (repeatable; default ZUSD=10000 XXBT=1 XETH=10)."),
        url: Optional[str] = typer.Option(None, "--url", metavar="URL", help="Paper: the local exchange (default: the running one, else started on port 8787). Production: a Kraken-compatible URL (environment custom)."),
        state: Optional[Path] = typer.Option(None, "--state", metavar="DIR", help="Paper: the local exchange's state dir."),
        no_test: bool = typer.Option(False, "--no-test", help="Do not test the key (production)."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing: every question not given by a flag takes its default."),
        start_timeout: float = typer.Option(30.0, "--start-timeout", min=1, help="Paper: seconds to wait for a started exchange."),
    ) -> None:
        """First-run wizard: a production profile (key, tier, live test of its permissions) or a funded paper one.

        On a terminal it asks each question (the key and secret with hidden input); every
        question has a flag, so it also runs without one. It adds a profile beside the
        ones you have and never overwrites one.

        Example: kraken-ops setup  # asks: paper or production, name, key, tier, read-only, default
        Example: kraken-ops setup --paper --name demo --fund ZUSD=5000 --fund XXBT=0.5
        Example: cat keys.txt | kraken-ops setup --production --name main --stdin --tier intermediate --read-only  # key line, secret line
        Example: kraken-ops setup --production --name ci --from-env --read-only --no-default
        """
        if paper and production:
            raise UsageProblem("--paper and --production: choose one")
        environment = "paper" if paper else ("production" if production else None)
        if environment == "paper":
            clashes = [flag for flag, given in (("--stdin", from_stdin), ("--from-env", from_env), ("--otp", otp is not None),
                                                ("--futures", bool(futures)), ("--read-only", bool(read_only)), ("--no-test", no_test)) if given]
            if clashes:
                raise UsageProblem(f"--paper creates its keys itself; it does not take {', '.join(clashes)}")
        elif environment == "production" and (fund or state is not None):
            raise UsageProblem("--fund and --state go with --paper")
        options = current()
        given_name = name or (options.profiles[0] if options.profiles else None)  # -p NAME reads as --name NAME
        opts = SetupOptions(
            environment=environment, name=given_name, tier=tier.value if tier else None, otp=otp.value if otp else None,
            futures=futures, from_stdin=from_stdin, from_env=from_env, read_only=read_only, confirm=confirm,
            make_default=make_default, funds=list(fund or []), url=url, state=state, test=not no_test,
            assume_yes=yes or options.yes, start_timeout=start_timeout,
        )  # fmt: skip
        from kraken_ops.cli.output import Output

        run_setup(opts, Output.from_options(options), Asker(_terminal() and not opts.assume_yes))
