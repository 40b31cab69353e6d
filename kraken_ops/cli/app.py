"""The ``kraken-ops`` command-line application.

Every command group lives in ``kraken_ops.cli.commands.<group>`` and is registered
here. Command modules import heavy dependencies (the SDK endpoint groups, aiohttp,
the exchange, rich tables) inside the command functions so that ``kraken-ops
--help`` stays fast.

``kraken-ops spot URL`` and ``kraken-ops futures URL`` are the raw commands of
:mod:`kraken_ops.cli.raw`; ``kraken-ops futures market ...`` is the typed futures
group. :class:`RawFallbackGroup` tells them apart: an argument that starts with
``/`` or ``http`` selects the raw command.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Optional

import typer

from kraken_ops import __version__
from kraken_ops.cli import context

from kraken_ops.cli.groups import RAW_COMMAND, RawFallbackGroup, looks_like_url  # noqa: F401


app = typer.Typer(
    name="kraken-ops",
    help="Operations suite for Kraken accounts and bots: SDK, profiles, CLI and a local exchange.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kraken-ops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    profile: list[str] = context._profile_option(True),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Query every configured profile (read commands)."),
    output: Optional[context.OutputFormat] = typer.Option(
        None, "--output", "-o", help="Output format (default: table on a terminal, JSON otherwise).", show_default=False
    ),
    json_: bool = typer.Option(False, "--json", help="Same as -o json."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Tracebacks and HTTP details on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR=1)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (commands that move money)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="HTTP timeout in seconds.", min=0.1, metavar="SECONDS"),
) -> None:
    """Operations suite for Kraken accounts and bots.

    Global options go before the command (kraken-ops -o json balances) or after it
    (kraken-ops balances -o json). Exit codes: 0 ok, 1 Kraken rejected the request,
    2 usage, 3 configuration or profile, 4 network or timeout, 5 partial failure, 130 interrupted.
    """
    ctx.obj = context.root_options(profile, all_profiles, output, json_, verbose, no_color, yes, timeout)
    _VERBOSE[0] = verbose
    if verbose:
        _verbose_logging()


_VERBOSE = [False]


def _verbose_logging() -> None:
    """``-v``: log HTTP requests (method, URL, status; never headers or bodies) on stderr."""
    import logging

    class _StderrHandler(logging.Handler):
        """Writes to the *current* sys.stderr (which tests and pipes may replace)."""

        def emit(self, record: logging.LogRecord) -> None:
            if not _VERBOSE[0]:
                return
            try:
                sys.stderr.write(self.format(record) + "\n")
            except (ValueError, OSError):
                pass

    for name in ("urllib3", "kraken_ops"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not any(getattr(h, "_kraken_ops", False) for h in logger.handlers):
            handler = _StderrHandler()
            handler._kraken_ops = True  # type: ignore[attr-defined]
            handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
            logger.addHandler(handler)


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
        "Example: kraken-ops spot -X POST /0/private/Balance --profile bot1"
        if market == "spot"
        else "Example: kraken-ops futures /derivatives/api/v3/tickers"
    )
    return raw


def _register() -> None:
    """Register every command group (modules are small; heavy imports stay inside commands)."""
    groups = [
        ("market", "market"),
        ("balances", "balances"),
        ("orders", "orders"),
        ("trades", "trades"),
        ("ledgers", "ledgers"),
        ("exports", "exports"),
        ("funding", "funding"),
        ("earn", "earn"),
        ("subaccounts", "subaccounts"),
        ("futures", "futures"),
    ]
    for name, module in groups:
        mod = importlib.import_module(f"kraken_ops.cli.commands.{module}")
        app.add_typer(mod.app, name=name)
    from kraken_ops.cli.commands import balances, positions

    balances.register_top_level(app)
    positions.register_top_level(app)

    # `kraken-ops spot URL`: a group whose only command is the raw one, reached by the URL.
    spot_raw = typer.Typer(cls=RawFallbackGroup, help="Raw Spot REST requests: kraken-ops spot [OPTIONS] URL.", no_args_is_help=True)
    context.command(spot_raw, RAW_COMMAND, kind="private")(_raw_command("spot"))
    app.add_typer(spot_raw, name="spot")

    futures_mod = importlib.import_module("kraken_ops.cli.commands.futures")
    context.command(futures_mod.app, RAW_COMMAND, kind="private", hidden=True)(_raw_command("futures"))

    for name, module in (("profile", "profile"), ("exchange", "exchange"), ("stream", "stream")):
        try:
            mod = importlib.import_module(f"kraken_ops.cli.commands.{module}")
        except ImportError:
            continue
        app.add_typer(mod.app, name=name)


_register()


def main() -> None:  # console-script entry point
    """Run the app; a closed pipe ends quietly, Ctrl-C exits 130."""
    try:
        app()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        from kraken_ops.cli.errors import silence_stdout

        silence_stdout()
        sys.exit(0)
