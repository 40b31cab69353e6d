"""The ``kraken-ops`` command-line application.

Every command group lives in ``kraken_ops.cli.commands.<group>`` and is listed in
:data:`COMMANDS`, a static registry of names, one-line helps and loaders. The root
group (:class:`Root`, a :class:`~kraken_ops.cli.groups.LazyGroup`) imports and converts
to click only the command that runs: ``kraken-ops market time`` never imports the
orders module, and ``kraken-ops --help`` imports no command module at all (it shows
the registry's one-line helps). ``kraken-ops --version`` is answered before typer is
asked to build anything; the console script (:mod:`kraken_ops.cli.launcher`) answers
``--version`` and the root's ``--help`` before typer is even imported. Command modules import heavy dependencies (the SDK endpoint
groups, aiohttp, the exchange, rich tables) inside the command functions.

``kraken-ops spot URL`` and ``kraken-ops futures URL`` are the raw commands of
:mod:`kraken_ops.cli.raw`; ``kraken-ops futures market ...`` is the typed futures
group. :class:`RawFallbackGroup` tells them apart: an argument that starts with
``/`` or ``http`` selects the raw command.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli import context
from kraken_ops.cli.launcher import version_line

from kraken_ops.cli.groups import RAW_COMMAND, LazyCommand, LazyGroup, RawFallbackGroup, looks_like_url  # noqa: F401


ROOT_EXAMPLES = """
Examples:
  kraken-ops profile add paper --paper --default  # a funded paper account on the local exchange (started if needed)
  kraken-ops market ticker XBTUSD
  kraken-ops balances
  kraken-ops orders create --pair XBTUSD --side buy --type limit --volume 0.01 --price 25000
  kraken-ops orders list -o json --query 'keys(open)'  # JMESPath on the JSON output
"""


class Root(LazyGroup):
    """The ``kraken-ops`` group: commands come from :data:`COMMANDS`, loaded on first use."""

    @property
    def registry(self) -> dict[str, LazyCommand]:  # type: ignore[override]
        return COMMANDS

    def render_help(self, ctx: Any) -> str:
        from kraken_ops.cli import catalog, help

        return help.root_help(ctx, COMMANDS, self.help or "", catalog.split_help(ROOT_EXAMPLES)[1])


app = typer.Typer(
    name="kraken-ops",
    help="Operations suite for Kraken accounts and bots: SDK, profiles, CLI and a local exchange.",
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # one plain style: help from kraken_ops.cli.help, errors as click prints them
    cls=Root,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    profile: list[str] = context._profile_option(True),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Query every configured profile (read commands)."),
    output: Optional[context.OutputFormat] = typer.Option(
        None, "--output", "-o", help="Output format (default: table on a terminal, JSON otherwise).", show_default=False
    ),
    json_: bool = typer.Option(False, "--json", help="Same as -o json."),
    query: Optional[str] = context._query_option(),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Tracebacks and HTTP details on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR=1)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (commands that move money)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="HTTP timeout in seconds.", min=0.1, metavar="SECONDS"),
) -> None:
    """Operations suite for Kraken accounts and bots: SDK, profiles, CLI and a local exchange."""
    ctx.obj = context.root_options(profile, all_profiles, output, json_, verbose, no_color, yes, timeout, query)
    if query is not None:
        from kraken_ops.cli import query as jmespath_query

        jmespath_query.reset_used()  # Root.invoke warns when no JSON went through it
    from kraken_ops.cli import verbose as verbose_logging

    if verbose:
        verbose_logging.enable()
    else:
        verbose_logging.set_active(False)  # a previous in-process run may have turned it on


# --- raw commands -------------------------------------------------------------------------
def _raw_command(market: str) -> Any:
    def raw(
        url: str = typer.Argument(..., help="Full URL or path, e.g. /0/public/Time."),
        x: str = typer.Option("GET", "-X", "--method", help="Request method: GET, POST, PUT or DELETE."),
        data: Optional[str] = typer.Option(None, "-d", "--data", help="Payload as a JSON object string."),
        query: Optional[str] = typer.Option(None, "-q", "--query", help="Query parameters as a JSON object string (futures)."),
        api_key: Optional[str] = typer.Option(None, "--api-key", help="Kraken public API key (or a profile)."),
        secret_key: Optional[str] = typer.Option(None, "--secret-key", help="Kraken secret key (discouraged: visible on argv)."),
    ) -> None:
        from kraken_ops.cli.commands.raw_url import run_raw_command

        run_raw_command(market, url, method=x, data=data, query=query, api_key=api_key, secret_key=secret_key)

    raw.__doc__ = f"Send any {market.capitalize()} REST request (python-kraken-sdk's `kraken {market} URL`).\n\n" + (
        "Example: kraken-ops spot /0/public/Ticker?pair=XBTUSD -p paper  # without -p: api.kraken.com, as python-kraken-sdk\n"
        "Example: kraken-ops spot -X POST /0/private/Balance --profile bot1\n"
        "Example: kraken-ops spot -X POST /0/private/QueryOrders -d '{\"txid\": \"OQCLML-BW3P3-BUCMWZ\"}' -p paper"
        if market == "spot"
        else "Example: kraken-ops futures /derivatives/api/v3/tickers"
    )
    return raw


# --- the registry: one row per top-level command, in display order ---------------------------
def _convert_group(name: str, sub_app: typer.Typer) -> Any:
    """``sub_app`` as the click group ``app.add_typer(sub_app, name=name)`` would have made."""
    holder = typer.Typer()
    holder.add_typer(sub_app, name=name)
    return typer.main.get_group_from_info(
        holder.registered_groups[0],
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
        suggest_commands=app.suggest_commands,
    )


def _group(module: str, build: Callable[[Any], typer.Typer] | None = None, *, optional: bool = False) -> Callable[[], Any]:
    """Loader of the group ``kraken_ops.cli.commands.<module>.app`` (``build`` may extend it first)."""

    def load() -> Any:
        try:
            mod = importlib.import_module(f"kraken_ops.cli.commands.{module}")
        except ImportError:
            if optional:
                return None
            raise
        return _convert_group(module, build(mod) if build else mod.app)

    return load


def _top_level(module: str, name: str) -> Callable[[], Any]:
    """Loader of a command that ``<module>.register_top_level(root)`` adds at the top level."""

    def load() -> Any:
        holder = typer.Typer()
        importlib.import_module(f"kraken_ops.cli.commands.{module}").register_top_level(holder)
        (info,) = [c for c in holder.registered_commands if c.name == name]
        return typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)

    return load


@functools.cache
def _spot_raw_app() -> typer.Typer:
    """``kraken-ops spot URL``: a group whose only command is the raw one, reached by the URL."""
    spot_raw = typer.Typer(cls=RawFallbackGroup, help="Raw Spot REST requests: kraken-ops spot [flags] URL.", no_args_is_help=True)
    context.command(spot_raw, RAW_COMMAND, kind="private")(_raw_command("spot"))
    return spot_raw


@functools.cache
def _futures_app(futures_mod: Any) -> typer.Typer:
    """The typed futures group plus the hidden raw command (``kraken-ops futures URL``), added once."""
    context.command(futures_mod.app, RAW_COMMAND, kind="private", hidden=True)(_raw_command("futures"))
    return futures_mod.app


COMMANDS: dict[str, LazyCommand] = {
    "market": LazyCommand("Spot market data: ticker, order book, OHLC, trades, pairs. No API key needed; also spreads, assets, time and status.", _group("market"), "market"),
    "balances": LazyCommand("Account balances, of one profile or several. Several profiles: --profile a --profile b, or --all-profiles.", _group("balances"), "account"),
    "trade-balance": LazyCommand(
        "Margin trade balance: equity, margin, unrealised P&L. Also free margin, cost basis, valuation.", _top_level("balances", "trade-balance"), "account"
    ),
    "positions": LazyCommand("Open margin positions: list (the default) and close.", _group("positions"), "account"),
    "trades": LazyCommand("Trade history (list, show) and trading volume.", _group("trades"), "account"),
    "ledgers": LazyCommand("Ledger entries: deposits, withdrawals, trades, fees, transfers.", _group("ledgers"), "account"),
    "exports": LazyCommand("Trades and ledgers reports: create, download, delete. Also status and cancel.", _group("exports"), "account"),
    "orders": LazyCommand("Spot orders: list, create, edit, amend, cancel. Also batches, amendment history and the dead man's switch.", _group("orders"), "trading"),
    "ws": LazyCommand("Spot trading over the authenticated WebSocket (v2). Add, amend, edit, cancel, batch.", _group("ws"), "trading"),
    "funding": LazyCommand("Deposits, withdrawals and wallet transfers.", _group("funding"), "funding"),
    "earn": LazyCommand("Kraken Earn: strategies, allocations, (de)allocate.", _group("earn"), "funding"),
    "subaccounts": LazyCommand("Subaccounts (institutional clients): create, transfer.", _group("subaccounts"), "funding"),
    "portfolio": LazyCommand(
        "Every account's Spot, Earn and Futures holdings valued in one currency.", _top_level("portfolio", "portfolio"), "account"
    ),
    "futures": LazyCommand(
        "Kraken Futures: market data, orders, positions, transfers. Also fills, accounts, preferences, history; "
        "`kraken-ops futures URL` sends a raw request.",
        _group("futures", _futures_app),
        "futures",
    ),
    "stream": LazyCommand("Live WebSocket feeds as NDJSON (one JSON object a line).", _group("stream", optional=True), "streaming"),
    "setup": LazyCommand(
        "First-run wizard: a production profile (key, tier, live test of its permissions) or a funded paper one.",
        _top_level("setup", "setup"),
        "profiles",
    ),
    "profile": LazyCommand(
        "Named Kraken accounts: API keys, environment, safety settings. Secrets live in the OS keyring.",
        _group("profile", optional=True),
        "profiles",
    ),
    "exchange": LazyCommand(
        "The local Kraken-compatible exchange (paper trading and tests).", _group("exchange", optional=True), "exchange"
    ),
    "shell": LazyCommand(
        "An interactive shell: every command without typing kraken-ops, with history and Tab completion.", _top_level("shell", "shell"), "tools"
    ),
    "spot": LazyCommand("Raw Spot REST requests: kraken-ops spot [flags] URL.", lambda: _convert_group("spot", _spot_raw_app()), "tools"),
    "mcp": LazyCommand("Serve the commands as MCP tools over stdio, for AI agents.", _group("mcp", optional=True), "tools"),
    "commands": LazyCommand("Every command, its flags and what it does (-o json).", _top_level("info", "commands"), "tools"),
    "version": LazyCommand("The version of kraken-ops.", _top_level("info", "version"), "tools"),
    "metrics": LazyCommand(
        "Prometheus metrics of your accounts: balances, values, orders, positions, rate limits, errors.", _group("metrics"), "tools"
    ),
}


def build_all() -> Any:
    """The whole click command tree, every command loaded (for the docs and completion generators)."""
    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="kraken-ops")
    for name in root.list_commands(ctx):
        root.get_command(ctx, name)
    return root


def main() -> None:  # console-script entry point
    """Run the app; a closed pipe ends quietly, Ctrl-C exits 130, a usage error is one line."""
    from kraken_ops.cli import usage

    usage.install()
    if sys.argv[1:] in (["--version"], ["-V"]):  # answered before any click command is built
        print(version_line())
        return
    try:
        app(prog_name="kraken-ops")  # also under python -m kraken_ops.cli: messages name the command people type
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        from kraken_ops.cli.errors import silence_stdout

        silence_stdout()
        sys.exit(0)
