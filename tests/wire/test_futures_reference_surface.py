"""Every method of the reference's Futures REST clients exists, with the reference's parameters.

The table is transcribed from python-kraken-sdk's documentation (chapter "FUTURES REST
CLIENTS"). Positional parameters must match in name, order and default, so code written
for the reference runs unchanged; keyword-only parameters must exist with the same
default. kraken-ops may add keyword-only parameters (``count`` on the history methods),
never positional ones.
"""

from __future__ import annotations

import base64
import inspect

import pytest
from futures_recorder import authent

from kraken_ops.futures import (
    AsyncFunding,
    AsyncMarket,
    AsyncTrade,
    AsyncUser,
    FuturesAsyncClient,
    FuturesClient,
    Funding,
    Market,
    Trade,
    User,
)

R = object()  # required (no default)
EP = [("extra_params", "k", None)]
EVENTS = [("before", "p", None), ("continuation_token", "p", None), ("since", "p", None), ("sort", "p", None), ("tradeable", "p", None), *EP]
PUBLIC_EVENTS = [("tradeable", "p", R), ("before", "p", None), ("continuation_token", "p", None), ("since", "p", None), ("sort", "p", None), *EP]

REFERENCE: dict[str, dict[str, list[tuple[str, str, object]]]] = {
    "User": {
        # subaccountId (the docs' name) or its alias subaccountUid (python-kraken-sdk 3.5.1's): one is required
        "check_trading_enabled_on_subaccount": [("subaccountId", "p", None), ("subaccountUid", "k", None), *EP],
        "get_account_log": [
            ("before", "p", None),
            ("count", "p", None),
            ("from_", "p", None),
            ("info", "p", None),
            ("since", "p", None),
            ("sort", "p", None),
            ("to", "p", None),
            *EP,
        ],
        "get_account_log_csv": EP,
        "get_execution_events": EVENTS,
        "get_notifications": EP,
        "get_open_orders": EP,
        "get_open_positions": EP,
        "get_order_events": EVENTS,
        "get_subaccounts": EP,
        "get_trigger_events": EVENTS,
        "get_unwind_queue": EP,
        "get_wallets": EP,
        "set_trading_on_subaccount": [("subaccountId", "p", None), ("trading_enabled", "k", R), ("subaccountUid", "k", None), *EP],
    },
    "Market": {
        "get_fee_schedules": EP,
        "get_fee_schedules_vol": EP,
        "get_historical_funding_rates": [("symbol", "p", R), *EP],
        "get_instruments": EP,
        "get_instruments_status": [("instrument", "p", None), *EP],
        "get_leverage_preference": EP,
        "get_ohlc": [("tick_type", "p", R), ("symbol", "p", R), ("resolution", "p", R), ("from_", "p", None), ("to", "p", None), *EP],
        "get_orderbook": [("symbol", "p", None), *EP],
        "get_pnl_preference": EP,
        "get_public_execution_events": PUBLIC_EVENTS,
        "get_public_mark_price_events": PUBLIC_EVENTS,
        "get_public_order_events": PUBLIC_EVENTS,
        "get_resolutions": [("tick_type", "p", R), ("tradeable", "p", R), *EP],
        "get_tick_types": EP,
        "get_tickers": EP,
        "get_trade_history": [("symbol", "p", None), ("lastTime", "p", None), *EP],
        "get_tradeable_products": [("tick_type", "p", R), *EP],
        "set_leverage_preference": [("symbol", "p", R), ("maxLeverage", "p", None), *EP],
        "set_pnl_preference": [("symbol", "p", R), ("pnlPreference", "p", R), *EP],
    },
    "Trade": {
        "cancel_all_orders": [("symbol", "p", None), *EP],
        "cancel_order": [("order_id", "p", None), ("cliOrdId", "p", None), ("processBefore", "p", None), *EP],
        "create_batch_order": [("batchorder_list", "p", R), ("processBefore", "p", None), *EP],
        "create_order": [
            ("orderType", "p", R),
            ("size", "p", R),
            ("symbol", "p", R),
            ("side", "p", R),
            ("cliOrdId", "p", None),
            ("limitPrice", "p", None),
            ("reduceOnly", "p", None),
            ("stopPrice", "p", None),
            ("triggerSignal", "p", None),
            ("trailingStopDeviationUnit", "p", None),
            ("trailingStopMaxDeviation", "p", None),
            ("processBefore", "p", None),
            *EP,
        ],
        "dead_mans_switch": [("timeout", "p", 0), *EP],
        "edit_order": [
            ("orderId", "p", None),
            ("cliOrdId", "p", None),
            ("limitPrice", "p", None),
            ("size", "p", None),
            ("stopPrice", "p", None),
            ("processBefore", "p", None),
            *EP,
        ],
        "get_fills": [("lastFillTime", "p", None), *EP],
        "get_orders_status": [("orderIds", "p", None), ("cliOrderIds", "p", None), *EP],
    },
    "Funding": {
        "get_historical_funding_rates": [("symbol", "p", R), *EP],
        "initiate_subaccount_transfer": [
            ("amount", "p", R),
            ("fromAccount", "p", R),
            ("fromUser", "p", R),
            ("toAccount", "p", R),
            ("toUser", "p", R),
            ("unit", "p", R),
            *EP,
        ],
        "initiate_wallet_transfer": [("amount", "p", R), ("fromAccount", "p", R), ("toAccount", "p", R), ("unit", "p", R), *EP],
        "initiate_withdrawal_to_spot_wallet": [("amount", "p", R), ("currency", "p", R), ("sourceWallet", "p", None), *EP],
    },
}
CLASSES = {"User": (User, AsyncUser), "Market": (Market, AsyncMarket), "Trade": (Trade, AsyncTrade), "Funding": (Funding, AsyncFunding)}
CASES = [(group, cls, method) for group, methods in REFERENCE.items() for cls in CLASSES[group] for method in methods]


@pytest.mark.parametrize(("group", "cls", "method"), CASES, ids=[f"{c.__name__}.{m}" for _, c, m in CASES])
def test_reference_method_exists_with_reference_parameters(group, cls, method):
    assert hasattr(cls, method), f"{cls.__name__}.{method} is missing"
    params = list(inspect.signature(getattr(cls, method)).parameters.values())[1:]  # drop self
    positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword = {p.name: p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    expected_positional = [(n, d) for n, kind, d in REFERENCE[group][method] if kind == "p"]
    assert [p.name for p in positional] == [n for n, _ in expected_positional], "positional parameters differ from the reference"
    for param, (_, default) in zip(positional, expected_positional):
        want = inspect.Parameter.empty if default is R else default
        assert param.default == want, f"default of {param.name}"
    for name, kind, default in REFERENCE[group][method]:
        if kind == "k":
            assert name in keyword, f"keyword-only {name} missing"
            want = inspect.Parameter.empty if default is R else default
            assert keyword[name].default == want, f"default of {name}"


@pytest.mark.parametrize("cls", [User, Market, Trade, Funding, AsyncUser, AsyncMarket, AsyncTrade, AsyncFunding, FuturesClient, FuturesAsyncClient])
def test_clients_take_the_reference_constructor_and_base_methods(cls):
    params = inspect.signature(cls.__init__).parameters
    assert list(params)[1:5] == ["key", "secret", "url", "proxy"]
    assert params["sandbox"].kind is inspect.Parameter.KEYWORD_ONLY and params["sandbox"].default is False
    for name in ("request", "get_nonce"):
        assert callable(getattr(cls, name))
    request = inspect.signature(cls.request).parameters
    assert list(request)[1:6] == ["method", "uri", "post_params", "query_params", "timeout"]
    assert {"auth", "return_raw", "extra_params"} <= set(request)


@pytest.mark.parametrize("sync_cls", [User, Market, Trade, Funding])
def test_async_twins_have_the_same_endpoint_methods(sync_cls):
    import kraken_ops.futures as futures

    async_cls = getattr(futures, "Async" + sync_cls.__name__)
    public = lambda cls: {n for n in dir(cls) if not n.startswith("_")}  # noqa: E731
    assert public(sync_cls) <= public(async_cls)


def test_urls_default_sandbox_and_override():
    assert Market().url == "https://futures.kraken.com"
    assert Market(sandbox=True).url == "https://demo-futures.kraken.com"
    assert Market(url="http://127.0.0.1:9/").url == "http://127.0.0.1:9"


def test_the_wire_verifier_reproduces_the_reference_authent_vector():
    """kraken-protocol.md §6.4: the test server's own Authent code agrees with the SDK golden value."""
    secret = base64.b64encode(b"python-kraken-sdk unit-test secret value").decode()
    got = authent(secret, "/derivatives/api/v3/sendorder", "1616492376594", "orderType=lmt&symbol=PI_XBTUSD")
    assert got == "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA=="


def test_the_wire_verifier_reproduces_the_derived_doc_vector():
    """kraken-protocol.md §6.6: the documentation's own inputs."""
    secret = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"
    got = authent(secret, "/derivatives/api/v3/orderbook", "1415957147987", "symbol=fi_xbtusd_180615")
    assert got == "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q=="


def test_subaccount_methods_take_either_spelling_exactly_once():
    from kraken_ops.futures.base import FuturesClient

    class Recording(User):
        def _call(self, call):  # no network: return the path that would be requested
            return call.path

    user = Recording(key="k", secret="c2VjcmV0")
    assert user.check_trading_enabled_on_subaccount("abc") == user.check_trading_enabled_on_subaccount(subaccountUid="abc")
    assert user.set_trading_on_subaccount(subaccountUid="abc", trading_enabled=True).endswith("/subaccount/abc/trading-enabled")
    for bad in ({}, {"subaccountId": "a", "subaccountUid": "b"}):
        with pytest.raises(ValueError):
            user.check_trading_enabled_on_subaccount(**bad)
    assert FuturesClient  # the base client is importable alongside
