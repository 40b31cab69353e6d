"""The ``kraken-ops`` command-line application.

Every command group lives in ``kraken_ops.cli.commands.<group>`` and is registered
here. Command modules import heavy dependencies (aiohttp, the exchange, rich
tables) inside the command functions so that ``kraken-ops --help`` stays fast.
"""

from __future__ import annotations

import typer

from kraken_ops import __version__

app = typer.Typer(
    name="kraken-ops",
    help="Operations suite for Kraken accounts and bots: SDK, profiles, CLI and a local exchange.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kraken-ops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Operations suite for Kraken accounts and bots."""


def _register() -> None:
    from kraken_ops.cli.commands import exchange

    app.add_typer(exchange.app, name="exchange")


_register()


def main() -> None:  # console-script entry point
    app()
