"""Prometheus metrics of a fleet of Kraken accounts (``kraken-ops metrics serve``).

An :class:`Exporter` runs two things:

* a **poller thread** with its own event loop, which refreshes a
  :class:`~kraken_ops.observe.fetch.FleetSource` every ``interval`` seconds. Every request
  goes through the profile's client, so through its cross-process rate limiter: when the
  Spot counter is high the poller waits instead of tripping Kraken's limit. An SDK request
  observer (``observer=`` on the clients, :class:`~kraken_ops._core.client.RequestEvent`)
  records each request's latency.
* an **HTTP server** (``prometheus_client``, bound to 127.0.0.1 unless told otherwise)
  whose ``/metrics`` is rendered by :class:`FleetCollector` from the latest snapshot, plus
  the request-latency histogram and the error and refresh counters.

Values are Decimals everywhere else in kraken-ops; Prometheus samples are floats, so they
are converted here, at the exposition boundary, and nowhere before. The metric names are
listed in docs/fleet.md ("Prometheus metrics").
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kraken_ops.observe import METRICS_HOST, METRICS_INTERVAL, METRICS_PORT
from kraken_ops.observe.fetch import FleetSource, Snapshot

PREFIX = "kraken_ops"
DEFAULT_PORT = METRICS_PORT
DEFAULT_HOST = METRICS_HOST
DEFAULT_INTERVAL = METRICS_INTERVAL

#: Which market a report section belongs to (the ``market`` label of the error counter).
SECTION_MARKET = {
    "balance": "spot",
    "earn": "spot",
    "spot_open_orders": "spot",
    "futures_accounts": "futures",
    "futures_positions": "futures",
    "futures_open_orders": "futures",
    "market": "public",
    "profile": "none",
}

#: Path prefixes dropped from the ``endpoint`` label (``/0/private/Balance`` -> ``Balance``).
ENDPOINT_PREFIXES = ("/0/private/", "/0/public/", "/derivatives/api/v3/", "/derivatives/api/v4/", "/api/history/v2/", "/api/charts/v1/")


def endpoint_label(path: str) -> str:
    """A short, bounded label for a request path.

    >>> endpoint_label("/0/private/Earn/Allocations"), endpoint_label("/derivatives/api/v3/accounts")
    ('Earn/Allocations', 'accounts')
    """
    for prefix in ENDPOINT_PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix):] or path
    return path


def _f(value: Decimal | None) -> float:
    return float(value) if value is not None else float("nan")


@dataclass
class State:
    """What the collector reads; replaced as a whole by the poller after each refresh."""

    snapshot: Snapshot | None = None
    limiters: dict[tuple[str, str], Any] | None = None


class FleetCollector(Collector):
    """Renders the latest snapshot and the rate limiters' levels as Prometheus gauges."""

    def __init__(self, exporter: Exporter) -> None:
        self.exporter = exporter

    def describe(self) -> Iterable[Any]:  # no fixed description: keeps registration cheap
        return []

    def collect(self) -> Iterator[Any]:
        state = self.exporter.state
        yield from self._limits(state.limiters or {})
        snap = state.snapshot
        if snap is None:
            return
        report = snap.report
        ccy = report.currency
        up = GaugeMetricFamily(f"{PREFIX}_up", "1 when the last refresh of the profile fetched every part, else 0", labels=["profile"])
        failed = {p for p, _, _ in report.errors}
        for name in report.profiles:
            up.add_metric([name], 0.0 if name in failed else 1.0)
        yield up

        amount = GaugeMetricFamily(f"{PREFIX}_balance", "Amount of an asset held (asset: Kraken's name; asset_group: XBT for XXBT, XBT.F, xbt)",
                                   labels=["profile", "source", "account", "asset", "asset_group"])
        value = GaugeMetricFamily(f"{PREFIX}_balance_value", "Value of a holding in the report's currency",
                                  labels=["profile", "source", "account", "asset", "asset_group", "currency"])
        for h in report.holdings:
            labels = [h.profile, h.source, h.account, h.valuation.name, h.group]
            amount.add_metric(labels, _f(h.valuation.amount))
            if h.valuation.value is not None:
                value.add_metric([*labels, ccy], _f(h.valuation.value))
        yield amount
        yield value

        total = GaugeMetricFamily(f"{PREFIX}_portfolio_value", "Valued holdings plus unrealised P&L of the profile",
                                  labels=["profile", "currency"])
        part = GaugeMetricFamily(f"{PREFIX}_portfolio_part_value",
                                 "The profile's value per part: spot, earn, futures (collateral), unrealized_pnl",
                                 labels=["profile", "part", "currency"])
        unvalued = GaugeMetricFamily(f"{PREFIX}_unvalued_amounts", "Holdings that could not be valued (not counted)",
                                     labels=["profile"])
        counts: dict[str, int] = {}
        for u in report.unvalued:
            counts[u["profile"]] = counts.get(u["profile"], 0) + 1
        for name, t in report.account_totals().items():
            total.add_metric([name, ccy], _f(t["total"]))
            for key in ("spot", "earn", "futures", "unrealized_pnl"):
                part.add_metric([name, key, ccy], _f(t[key]))
            unvalued.add_metric([name], float(counts.get(name, 0)))
        yield total
        yield part
        yield unvalued

        orders = GaugeMetricFamily(f"{PREFIX}_open_orders", "Open orders", labels=["profile", "market"])
        for a in snap.answers:
            if a.spot_open_orders is not None:
                orders.add_metric([a.profile, "spot"], float(len(a.spot_open_orders.get("open") or {})))
            if a.futures_open_orders is not None:
                orders.add_metric([a.profile, "futures"], float(len(a.futures_open_orders)))
        yield orders

        size = GaugeMetricFamily(f"{PREFIX}_futures_position_size", "Size of an open Futures position (contracts)",
                                 labels=["profile", "symbol", "side"])
        pnl = GaugeMetricFamily(f"{PREFIX}_futures_position_pnl", "Unrealised P&L of a Futures position in its P&L currency",
                                labels=["profile", "symbol", "currency", "source"])
        pnl_value = GaugeMetricFamily(f"{PREFIX}_futures_position_pnl_value", "Unrealised P&L valued in the report's currency",
                                      labels=["profile", "symbol", "currency"])
        for p in report.positions:
            size.add_metric([p.profile, p.symbol, p.side], _f(p.size))
            if p.pnl is not None:
                pnl.add_metric([p.profile, p.symbol, p.pnl_currency or "", p.pnl_source], _f(p.pnl))
            if p.valuation is not None and p.valuation.value is not None:
                pnl_value.add_metric([p.profile, p.symbol, ccy], _f(p.valuation.value))
        yield size
        yield pnl
        yield pnl_value

        margin = GaugeMetricFamily(f"{PREFIX}_futures_margin",
                                   "Futures account margin figures as Kraken reports them (flex: USD; margin accounts: their currency)",
                                   labels=["profile", "account", "field"])
        for name, accounts in report.futures_accounts.items():
            for account, fields in accounts.items():
                for key, raw in _margin_fields(fields):
                    margin.add_metric([name, account, key], _f(Decimal(raw)))
        yield margin

        refreshed = GaugeMetricFamily(f"{PREFIX}_last_refresh_timestamp_seconds", "When the last refresh started (Unix time)")
        refreshed.add_metric([], snap.started)
        yield refreshed
        took = GaugeMetricFamily(f"{PREFIX}_refresh_duration_seconds", "How long the last refresh took (rate-limiter waits included)")
        took.add_metric([], snap.finished - snap.started)
        yield took

    def _limits(self, limiters: dict[tuple[str, str], Any]) -> Iterator[Any]:
        level = GaugeMetricFamily(f"{PREFIX}_rate_limit_level", "The client-side rate limiter's counter now (Spot: Kraken's call counter; Futures: cost units)",
                                  labels=["profile", "market"])
        maximum = GaugeMetricFamily(f"{PREFIX}_rate_limit_max", "The counter's limit for the profile's tier",
                                    labels=["profile", "market"])
        for (profile, market), limiter in sorted(limiters.items()):
            try:
                level.add_metric([profile, market], float(limiter.level))
            except Exception:  # a state file that cannot be read: leave the sample out
                continue
            maximum.add_metric([profile, market], float(getattr(limiter, "maximum", float("nan"))))
        yield level
        yield maximum


def _margin_fields(fields: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, value in fields.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                if v is not None:
                    yield f"{key}.{sub}", v
        elif key not in ("type", "currency") and value is not None:
            yield key, value


class Exporter:
    """The poller thread and the ``/metrics`` HTTP server for a set of profiles.

    >>> exporter = Exporter(["bot1", "bot2"], port=0).start()  # doctest: +SKIP
    >>> exporter.url                                           # doctest: +SKIP
    'http://127.0.0.1:43321/metrics'
    """

    def __init__(
        self,
        names: Sequence[str | None],
        *,
        currency: str = "USD",
        interval: float = DEFAULT_INTERVAL,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        timeout: float | None = None,
        source: FleetSource | None = None,
        verbose: bool = False,
    ) -> None:
        self.interval = interval
        self.verbose = verbose
        self.host = host
        self.port = port
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Kraken REST request latency (rate-limiter waits excluded)",
            ["profile", "market", "endpoint"],
            registry=self.registry,
        )
        self.errors = Counter(
            f"{PREFIX}_api_errors",
            "Failed parts of a refresh by error category (the CLI's categories: auth, permission, rate_limit, nonce, network ...)",
            ["profile", "market", "category"],
            registry=self.registry,
        )
        self.refreshes = Counter(f"{PREFIX}_refreshes", "Refreshes completed", registry=self.registry)
        self.state = State()
        self.registry.register(FleetCollector(self))
        self.source = source or FleetSource(names, currency, timeout=timeout, with_orders=True, observer_for=self.observer_for)
        if source is not None:
            source.observer_for = self.observer_for
            source.with_orders = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd: Any = None
        self.fatal: BaseException | None = None  # what stopped the poller (e.g. an unknown --in currency)
        self.first_refresh = threading.Event()

    # --- request observer ----------------------------------------------------------
    def observer_for(self, profile: str) -> Any:
        """An SDK request observer that records latencies under ``profile``."""
        latency = self.latency

        def observe(event: Any) -> None:
            latency.labels(profile, event.market, endpoint_label(event.path)).observe(event.seconds)

        return observe

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Exporter:
        """Open the clients, start the poller thread and the HTTP server; returns ``self``."""
        from prometheus_client import start_http_server

        self.source.open()
        self.state = State(None, self.source.limiters())
        self._httpd, _ = start_http_server(self.port, addr=self.host, registry=self.registry)
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._run, name="kraken-ops-metrics-poller", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and serving (waits for a refresh in progress to end)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def wait(self, duration: float | None = None) -> None:
        """Block until ``duration`` seconds passed, the poller stopped, or Ctrl-C."""
        deadline = None if duration is None else time.monotonic() + duration
        while self._thread is not None and self._thread.is_alive():
            left = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if left <= 0:
                return
            self._thread.join(left)

    # --- the poller ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._loop())
        except BaseException as exc:  # never die silently: `serve` reports it
            self.fatal = exc
            self.first_refresh.set()

    async def _loop(self) -> None:
        from kraken_ops.cli.errors import CliError

        try:
            while not self._stop.is_set():
                began = time.monotonic()
                task = asyncio.ensure_future(self.source.refresh())
                while not task.done():  # a refresh may wait long for the rate limiter: stop anyway
                    if self._stop.is_set():
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
                        return
                    await asyncio.wait({task}, timeout=0.2)
                try:
                    snap = task.result()
                except CliError as exc:  # a usage problem (unknown currency): polling cannot help
                    self.fatal = exc
                    self.first_refresh.set()
                    return
                except Exception as exc:  # a bug: count it, say it, and keep serving the last snapshot
                    self.errors.labels("", "none", "internal").inc()
                    print(f"warning: a refresh failed ({type(exc).__name__}: {exc}); run with -v for details", file=sys.stderr)
                    if self.verbose:
                        import traceback

                        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
                else:
                    self._publish(snap)
                self.first_refresh.set()
                while not self._stop.is_set() and time.monotonic() - began < self.interval:
                    await asyncio.sleep(min(0.2, max(0.0, self.interval - (time.monotonic() - began))))
        finally:
            await self.source.close()

    def _publish(self, snap: Snapshot) -> None:
        from kraken_ops.cli.errors import category_of

        for profile, section, exc in snap.report.errors:
            self.errors.labels(profile, SECTION_MARKET.get(section, "none"), category_of(exc)).inc()
        self.refreshes.inc()
        self.state = State(snap, self.state.limiters)


__all__ = ["Exporter", "FleetCollector", "endpoint_label", "DEFAULT_PORT", "DEFAULT_HOST", "DEFAULT_INTERVAL"]
