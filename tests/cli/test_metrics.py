"""``kraken-ops metrics serve``: scraped over HTTP while it polls the local exchange."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from typing import Any

import pytest

from kraken_ops.cli.commands.metrics import MetricsOptions, start_exporter
from kraken_ops.cli.context import GlobalOptions

D = Decimal
DOT_STRATEGY = "ESRFUO3-Q62XD-WIOIL7"


def _scrape(url: str) -> dict[tuple[str, frozenset], float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(url, timeout=10).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _get(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _trader(cli: Any, name: str, **fields: Any) -> Any:
    """Spot funds, an Earn allocation, a Spot and a Futures open order and a Futures position."""
    from kraken_ops.futures import Trade as FuturesTrade
    from kraken_ops.spot import Earn, Trade

    account = cli.add_profile(name, cli.account({"ZUSD": "10000", "XXBT": "1", "DOT": "100"}), **fields)
    url = cli.exchange.url
    with Earn(key=account.spot_key, secret=account.spot_secret, url=url) as earn:
        earn.allocate_earn_funds(amount="40", strategy_id=DOT_STRATEGY)
    with Trade(key=account.spot_key, secret=account.spot_secret, url=url) as trade:
        trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="1000")
    cli.exchange.call(lambda: cli.exchange.ctx.futures_engine.credit(account.name, "flex", "USD", D("2000"), info="test"))
    with FuturesTrade(key=account.futures_key, secret=account.futures_secret, url=url) as futures:
        futures.create_order(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
        futures.create_order(orderType="lmt", symbol="PF_XBTUSD", side="buy", size="0.01", limitPrice="1000")
    return account


@pytest.fixture
def running(cli):
    started: list[Any] = []

    def start(profiles: list[str], **opts: Any) -> Any:
        exporter = start_exporter(MetricsOptions(port=0, interval=3600, **opts), GlobalOptions(profiles=profiles))
        started.append(exporter)
        assert exporter.first_refresh.wait(60), "the first refresh did not finish"
        assert exporter.fatal is None, exporter.fatal
        return exporter

    yield start
    for exporter in started:
        exporter.stop()


def test_scraped_metrics_show_balances_values_orders_positions_limits_errors_and_latency(cli, running):
    _trader(cli, "bot1")
    cli.add_profile("bot2", cli.account({"ZUSD": "5000", "XETH": "2"}))
    cli.add_profile("noearn", cli.account({"ZUSD": "7"}, permissions=["query_funds", "query_orders", "futures"]))
    exporter = running(["bot1", "bot2", "noearn"])
    assert exporter.url.startswith("http://127.0.0.1:") and exporter.url.endswith("/metrics")
    s = _scrape(exporter.url)

    # balances as Kraken names them, in each place, and their values
    assert _get(s, "kraken_ops_balance", profile="bot1", source="spot", account="spot", asset="ZUSD", asset_group="USD") == 10000
    assert _get(s, "kraken_ops_balance", profile="bot1", source="spot", account="spot", asset="DOT", asset_group="DOT") == 60
    assert _get(s, "kraken_ops_balance", profile="bot1", source="earn", account=DOT_STRATEGY, asset="DOT", asset_group="DOT") == 40
    assert _get(s, "kraken_ops_balance", profile="bot2", source="spot", account="spot", asset="XETH", asset_group="ETH") == 2
    assert _get(s, "kraken_ops_balance_value", profile="bot1", source="spot", account="spot", asset="ZUSD", asset_group="USD",
                currency="USD") == 10000
    assert _get(s, "kraken_ops_balance", profile="bot1", source="futures", account="flex", asset="USD", asset_group="USD") > 1990

    # portfolio values: the total is the sum of its parts, as in `kraken-ops portfolio`
    report = exporter.state.snapshot.report
    for name in ("bot1", "bot2"):
        total = _get(s, "kraken_ops_portfolio_value", profile=name, currency="USD")
        parts = sum(_get(s, "kraken_ops_portfolio_part_value", profile=name, part=p, currency="USD")
                    for p in ("spot", "earn", "futures", "unrealized_pnl"))
        assert total == pytest.approx(parts) and total == pytest.approx(float(report.account_totals()[name]["total"]))
    assert _get(s, "kraken_ops_unvalued_amounts", profile="bot1") == 0

    # open orders and Futures positions and margin
    assert _get(s, "kraken_ops_open_orders", profile="bot1", market="spot") == 1
    assert _get(s, "kraken_ops_open_orders", profile="bot1", market="futures") == 1
    assert _get(s, "kraken_ops_open_orders", profile="bot2", market="spot") == 0
    assert _get(s, "kraken_ops_futures_position_size", profile="bot1", symbol="PF_XBTUSD", side="long") == 0.01
    pnl = _get(s, "kraken_ops_futures_position_pnl", profile="bot1", symbol="PF_XBTUSD", currency="USD", source="computed")
    assert pnl == pytest.approx(float(report.positions[0].pnl))
    assert _get(s, "kraken_ops_futures_margin", profile="bot1", account="flex", field="initialMargin") > 0

    # the client-side rate limiters: the profiles' tier (starter by default) and the Futures budget
    assert _get(s, "kraken_ops_rate_limit_max", profile="bot1", market="spot") == 15
    assert _get(s, "kraken_ops_rate_limit_max", profile="bot1", market="futures") == 500
    assert 0 < _get(s, "kraken_ops_rate_limit_level", profile="bot1", market="spot") <= 15

    # errors by the CLI's categories, and which profiles are fully up
    assert _get(s, "kraken_ops_api_errors_total", profile="noearn", market="spot", category="permission") == 1
    assert _get(s, "kraken_ops_up", profile="noearn") == 0
    assert _get(s, "kraken_ops_up", profile="bot1") == _get(s, "kraken_ops_up", profile="bot2") == 1

    # request latencies, per profile and endpoint, public market data under "(public)"
    for endpoint in ("Balance", "Earn/Allocations", "OpenOrders", "accounts", "openpositions", "openorders"):
        assert _get(s, "kraken_ops_request_duration_seconds_count", profile="bot1", market="spot" if endpoint[0].isupper() else "futures",
                    endpoint=endpoint) == 1
    assert _get(s, "kraken_ops_request_duration_seconds_count", profile="(public)", market="spot", endpoint="Ticker") >= 1
    assert _get(s, "kraken_ops_refreshes_total") == 1

    # every series the Grafana dashboard in docs/ queries is one the exporter serves
    import re
    from pathlib import Path

    dashboard = (Path(__file__).resolve().parents[2] / "docs" / "grafana-kraken-ops.json").read_text()
    served = {name for name, _ in s}
    assert set(re.findall(r"kraken_ops_[a-z_]+", dashboard)) <= served


def test_polling_waits_for_the_rate_limiter_instead_of_tripping_krakens_counter(cli, running):
    from kraken_ops import exceptions as kx
    from kraken_ops.profiles.rate_store import shared_counter_for
    from kraken_ops.spot import User

    exchange = cli.exchange

    def preload(key: str, level: float) -> None:  # as if another bot had just used the key
        exchange.call(lambda: exchange.ctx.rest_counter.values.__setitem__(key, (level, exchange.ctx.clock())))

    # the exchange really refuses a key whose counter is full (pro tier: 20)
    control = cli.account({"ZUSD": "1"}, tier="pro")
    preload(control.spot_key, 19.5)
    with User(key=control.spot_key, secret=control.spot_secret, url=exchange.url, rate_limit=False) as user:
        with pytest.raises(kx.KrakenApiLimitExceededError):
            user.get_account_balance()
            user.get_account_balance()

    account = cli.add_profile("busy", cli.account({"ZUSD": "100"}, tier="pro"), tier="pro")
    preload(account.spot_key, 19.0)
    counter = shared_counter_for("spot", account.spot_key, "pro")
    assert counter.acquire(19.0) == 0.0  # the other bot's calls: sent ...
    counter.release(19.0)                # ... and answered just now
    exporter = running(["busy"])
    report = exporter.state.snapshot.report
    assert report.errors == []  # Balance, Earn/Allocations and OpenOrders all answered: the poller waited
    assert report.total == D("100.0000")
    level, _ = exchange.ctx.rest_counter.values[account.spot_key]
    assert level <= 20


def test_serve_as_a_process_prints_its_url_and_stops_on_ctrl_c(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "100"}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kraken_ops.cli", "metrics", "serve", "-p", "bot1", "--port", "0", "--interval", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env(),
    )
    try:
        line = proc.stderr.readline()
        assert line.startswith("serving metrics on http://127.0.0.1:"), line
        url = line.split()[3]
        deadline = time.monotonic() + 60
        while True:
            samples = _scrape(url)
            if ("kraken_ops_up", frozenset({("profile", "bot1")})) in samples or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert _get(samples, "kraken_ops_up", profile="bot1") == 1
        assert _get(samples, "kraken_ops_portfolio_value", profile="bot1", currency="USD") == 100
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_a_port_in_use_is_one_clear_error(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1"}))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("metrics", "serve", "-p", "bot1", "--port", str(port), "--duration", "0")
    assert result.exit_code == 12
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_currency_stops_the_exporter_with_a_usage_error(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1"}))
    result = cli("metrics", "serve", "-p", "bot1", "--port", "0", "--in", "NOPE", "--duration", "60")
    assert result.exit_code == 2
    assert "--in NOPE" in result.stderr


def test_duration_ends_the_exporter_by_itself(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1"}))
    result = cli("metrics", "serve", "-p", "bot1", "--port", "0", "--duration", "1")
    assert result.exit_code == 0, result.stderr
    assert "serving metrics on http://127.0.0.1:" in result.stderr


def test_help_of_metrics_does_not_import_prometheus_client():
    code = (
        "import sys; sys.argv = ['kraken-ops', 'metrics', 'serve', '--help']\n"
        "from kraken_ops.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(__import__('json').dumps('prometheus_client' in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "--interval" in result.stdout
    assert json.loads(result.stderr.strip().splitlines()[-1]) is False


class _FakeSource:
    """A FleetSource stand-in: ``refresh`` runs the given coroutine function."""

    def __init__(self, refresh: Any) -> None:
        self._refresh = refresh
        self.clients: list[Any] = []
        self.closed = False
        self.observer_for = None
        self.with_orders = False

    def open(self) -> None:
        pass

    def limiters(self) -> dict:
        return {}

    async def refresh(self) -> Any:
        return await self._refresh()

    async def close(self) -> None:
        self.closed = True


def test_a_refresh_that_fails_unexpectedly_is_counted_and_the_exporter_keeps_serving(capsys):
    from kraken_ops.observe.metrics import Exporter

    async def broken() -> Any:
        raise RuntimeError("boom")

    exporter = Exporter([], port=0, interval=3600, source=_FakeSource(broken)).start()
    try:
        assert exporter.first_refresh.wait(30) and exporter.fatal is None
        s = _scrape(exporter.url)
        assert _get(s, "kraken_ops_api_errors_total", profile="", market="none", category="internal") == 1
    finally:
        exporter.stop()
    assert "warning: a refresh failed (RuntimeError: boom)" in capsys.readouterr().err


def test_stopping_cancels_a_refresh_that_waits_for_the_rate_limiter():
    import asyncio

    from kraken_ops.observe.metrics import Exporter

    async def waits_forever() -> Any:
        await asyncio.sleep(3600)

    source = _FakeSource(waits_forever)
    exporter = Exporter([], port=0, interval=3600, source=source).start()
    time.sleep(0.3)
    exporter.stop(timeout=10)
    assert not exporter._thread.is_alive() and source.closed
