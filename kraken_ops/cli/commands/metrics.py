"""``kraken-ops metrics serve``: Prometheus metrics of the selected accounts.

The exporter (:mod:`kraken_ops.observe.metrics`) polls every account through its
profile's clients -- so through its rate limiter -- every ``--interval`` seconds and
serves ``/metrics`` on ``--host``:``--port`` (127.0.0.1:9464 by default). See
docs/fleet.md, "Prometheus metrics".
"""

# No `from __future__ import annotations` here: typer evaluates every string annotation
# with compile() when it builds the app, which costs start-up time on every run.

import sys
from dataclasses import dataclass, field
from typing import Any, Optional

import typer

from kraken_ops.cli.context import GlobalOptions, command
from kraken_ops.observe import METRICS_HOST, METRICS_INTERVAL, METRICS_PORT

app = typer.Typer(help="Prometheus metrics of your accounts: balances, values, orders, positions, rate limits, errors.", no_args_is_help=True)

DEFAULT_PORT = METRICS_PORT
DEFAULT_HOST = METRICS_HOST
DEFAULT_INTERVAL = METRICS_INTERVAL


@dataclass
class MetricsOptions:
    """Inputs of ``kraken-ops metrics serve``."""

    port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    interval: float = DEFAULT_INTERVAL
    currency: str = "USD"
    groups: list[str] = field(default_factory=list)
    duration: Optional[float] = None  # stop after this many seconds (None: until Ctrl-C)


def start_exporter(opts: MetricsOptions, options: GlobalOptions) -> Any:
    """Select the profiles, start the exporter and return it (serving and polling)."""
    from kraken_ops.cli.errors import CliError
    from kraken_ops.cli.selection import select_profiles

    names = select_profiles(options.profiles, options.all_profiles, opts.groups)
    try:
        from kraken_ops.observe.metrics import Exporter
    except ImportError as exc:  # pragma: no cover - prometheus_client is a dependency
        raise CliError(f"the metrics exporter needs prometheus_client ({exc})", category="config") from None
    exporter = Exporter(
        names, currency=opts.currency, interval=opts.interval, host=opts.host, port=opts.port, timeout=options.timeout, verbose=options.verbose
    )
    try:
        return exporter.start()
    except OSError as exc:
        exporter.stop()
        raise CliError(f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}", category="io",
                       hint="choose another --port (0 picks a free one)") from None


def run_serve(opts: MetricsOptions, options: GlobalOptions) -> None:
    """Serve until Ctrl-C (or ``--duration``); a poller that cannot go on ends the command with its error."""
    exporter = start_exporter(opts, options)
    names = ", ".join(pc.name for pc in exporter.source.clients)
    print(f"serving metrics on {exporter.url} for {names} (every {opts.interval:g}s)", file=sys.stderr, flush=True)
    try:
        exporter.wait(opts.duration)
    finally:
        exporter.stop()
    if exporter.fatal is not None:
        raise exporter.fatal


@command(app, "serve", kind="read")
def serve(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="TCP port of /metrics (0: any free port).", min=0, max=65535),
    host: str = typer.Option(DEFAULT_HOST, "--host", help="Address to listen on (default: loopback only)."),
    group: list[str] = typer.Option([], "--group", "-g", help="Profiles tagged with this group (repeatable).", metavar="TAG", show_default=False),
    interval: float = typer.Option(DEFAULT_INTERVAL, "--interval", help="Seconds between two polls of every account.", min=1.0, metavar="SECONDS"),
    currency: str = typer.Option("USD", "--in", help="Currency of the value metrics (any Kraken asset).", metavar="ASSET"),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after SECONDS (default: run until Ctrl-C).", min=0.0, metavar="SECONDS"),
) -> None:
    """Serve Prometheus metrics of the selected accounts on /metrics.

    Polls every account through its profile's rate limiter and exposes balances,
    portfolio values, open orders, Futures positions and margin, the rate-limit
    counter, API errors by category and request latencies.

    Example: kraken-ops metrics serve --all-profiles --port 9464 --interval 30
    """
    from kraken_ops.cli.context import current

    run_serve(MetricsOptions(port=port, host=host, interval=interval, currency=currency, groups=list(group), duration=duration), current())
