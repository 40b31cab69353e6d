"""Fleet observation: portfolio valuation across accounts and the Prometheus exporter.

* :mod:`kraken_ops.observe.valuation` -- asset names and conversion paths from Kraken's
  Assets, AssetPairs and Ticker answers (pure, Decimal only).
* :mod:`kraken_ops.observe.portfolio` -- one account's answers (Balance, Earn allocations,
  Futures accounts and positions) into a valued report per account, per asset and in total
  (pure).
* :mod:`kraken_ops.observe.fetch` -- the async SDK clients of each profile and the public
  market data, fetched once per refresh for every account.
* :mod:`kraken_ops.observe.metrics` -- ``kraken-ops metrics serve``: a poller thread and a
  ``prometheus_client`` collector (imports ``prometheus_client``; nothing else here does).

The package sits beside :mod:`kraken_ops.cli` (it uses the profiles, the SDK and the CLI's
error categories) and below the command modules ``cli/commands/portfolio.py`` and
``cli/commands/metrics.py``.
"""

#: ``kraken-ops metrics serve`` defaults (here, so that the command module need not import
#: prometheus_client to show them).
METRICS_PORT = 9464
METRICS_HOST = "127.0.0.1"
METRICS_INTERVAL = 30.0
