"""``kraken-ops mcp``: serve the CLI's commands as MCP tools over stdio.

The ``mcp`` SDK and the server code are imported only when the command runs. Run it
without the app's registration with ``python -m kraken_ops.cli.commands.mcp``.
"""

# No `from __future__ import annotations` here (see orders.py): typer would compile() them.

import sys
from typing import Optional

import typer

from kraken_ops.cli.meta import annotate

app = typer.Typer(help="Serve the commands as MCP tools over stdio, for AI agents.", add_completion=False)

SERVICES_HELP = "Comma list of services: market, account, trade, funding, earn, futures, paper (or all). Default: market,account (read-only)."


@app.callback(invoke_without_command=True)
@annotate(needs_key=False, read_only=False)
def mcp(
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile every tool uses (default: the default profile).", metavar="NAME"),
    services: Optional[str] = typer.Option(None, "--services", help=SERVICES_HELP),
    allow_dangerous: bool = typer.Option(
        False, "--allow-dangerous", help="Run tools that move money without the call's \"acknowledged\": true (never on read-only profiles)."
    ),
) -> None:
    """Serve kraken-ops as an MCP server on stdin/stdout (one tool per command).

    Tools that move money are marked destructive and refuse unless the call carries
    "acknowledged": true (or the server runs with --allow-dangerous); a read-only profile
    never exposes them. Errors come back as the JSON error envelope.

    Example: kraken-ops mcp --profile paper  # read-only tools: market data and the account
    Example: kraken-ops mcp --profile bot1 --services market,account,trade
    """
    from kraken_ops.cli.errors import report

    try:
        from kraken_ops.mcp.catalog import parse_services
        from kraken_ops.mcp.server import ServerConfig, serve

        config = ServerConfig(profile=profile, services=parse_services(services), allow_dangerous=allow_dangerous)
        serve(config)
    except ImportError as exc:
        print(f"error: the MCP server needs the mcp package ({exc.name}); install it with: pip install 'kraken-ops[mcp]'", file=sys.stderr)
        raise typer.Exit(3) from None
    except ValueError as exc:  # unknown service
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:  # unknown profile, unreadable config ...: one line on stderr, never on the protocol stream
        info = report(exc, None, profile=profile, envelope=False)
        raise typer.Exit(info.exit_code) from None


if __name__ == "__main__":
    app(prog_name="kraken-ops mcp")
