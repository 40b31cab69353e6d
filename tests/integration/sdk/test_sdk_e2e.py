"""The SDK end to end against the local exchange: sync and async twins, real signatures."""

from __future__ import annotations

import io
import time
import zipfile
from decimal import Decimal

import pytest

from kraken_ops import exceptions as exc
from kraken_ops.futures import AsyncUser as FAsyncUser
from kraken_ops.futures import Trade as FTrade
from kraken_ops.futures import User as FUser
from kraken_ops.spot import AsyncTrade, AsyncUser, Market, Trade, User


@pytest.fixture()
def account(exchange, unique_name):
    return exchange.add_account(unique_name, fund={"ZUSD": "50000", "XXBT": "2"})


def test_market_data_keeps_kraken_names_and_exact_numbers(exchange) -> None:
    with Market(url=exchange.url) as market:
        pairs = market.get_asset_pairs(pair="XBT/USD")
        ticker = market.get_ticker(pair="XBTUSD")
    assert pairs["XBT/USD"]["altname"] == "XBTUSD"
    bid = ticker["XXBTZUSD"]["b"][0]
    assert isinstance(bid, str) and Decimal(bid) > 0


def test_balance_order_lifecycle_sync(exchange, account) -> None:
    user = User(key=account.spot_key, secret=account.spot_secret, url=exchange.url)
    trade = Trade(key=account.spot_key, secret=account.spot_secret, url=exchange.url)
    assert user.get_balance(currency="USD")["balance"] == Decimal("50000")
    placed = trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.0123456789", price="10000.05", truncate=True)
    (txid,) = placed["txid"]
    order = user.get_orders_info(txid=txid)[txid]
    assert order["vol"] == "0.01234567"  # lot_decimals 8, rounded down, never through a float
    assert order["descr"]["price"] == "10000.0"  # pair_decimals 1
    held = user.get_balance(currency="ZUSD")
    assert held["available_balance"] < held["balance"]
    assert trade.cancel_order(txid=txid)["count"] == 1
    with pytest.raises(exc.KrakenUnknownOrderError):
        trade.cancel_order(txid="OAAAAA-BBBBB-CCCCCC")


def test_insufficient_funds_raises_the_mapped_exception(exchange, account) -> None:
    trade = Trade(key=account.spot_key, secret=account.spot_secret, url=exchange.url)
    with pytest.raises(exc.KrakenInsufficientFundsError) as info:
        trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="100", price="50000")
    assert info.value.kraken_error == "EOrder:Insufficient funds"


def test_wrong_secret_is_invalid_signature(exchange, account) -> None:
    other = exchange.add_account(account.name + "-other")
    with pytest.raises(exc.KrakenInvalidSignatureError):
        User(key=account.spot_key, secret=other.spot_secret, url=exchange.url).get_account_balance()


def test_export_is_streamed_as_a_zip(exchange, account) -> None:
    user = User(key=account.spot_key, secret=account.spot_secret, url=exchange.url)
    report = user.request_export_report(report="ledgers", description="e2e", format_="CSV")
    deadline = time.monotonic() + 30
    while True:
        status = [r for r in user.get_export_report_status(report="ledgers") if r["id"] == report["id"]][0]
        if status["status"] == "Processed" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["status"] == "Processed"
    response = user.retrieve_export(id_=report["id"])
    data = b"".join(response.iter_content(4096))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names and names[0].endswith(".csv")
    assert user.delete_export_report(id_=report["id"], type_="delete") == {"delete": True}


async def test_async_twins_share_the_endpoints(exchange, account) -> None:
    async with AsyncUser(key=account.spot_key, secret=account.spot_secret, url=exchange.url) as user:
        balances = await user.get_account_balance()
        assert Decimal(balances["XXBT"]) == Decimal("2")
    async with AsyncTrade(key=account.spot_key, secret=account.spot_secret, url=exchange.url) as trade:
        placed = await trade.create_order(ordertype="limit", side="sell", pair="XBTUSD", volume="0.5", price="999999.9", validate=True)
        assert "txid" not in placed and placed["descr"]["order"].startswith("sell 0.50000000 XBTUSD")


def test_futures_order_and_accounts(exchange, account) -> None:
    from kraken_ops.spot import Funding

    Funding(key=account.spot_key, secret=account.spot_secret, url=exchange.url).wallet_transfer(
        asset="ZUSD", from_="Spot Wallet", to_="Futures Wallet", amount="5000"
    )
    ftrade = FTrade(key=account.futures_key, secret=account.futures_secret, url=exchange.url)
    placed = ftrade.create_order(orderType="lmt", size="0.001", symbol="PF_XBTUSD", side="buy", limitPrice="1000")
    assert placed["sendStatus"]["status"] == "placed"
    assert FUser(key=account.futures_key, secret=account.futures_secret, url=exchange.url).get_open_orders()["openOrders"]
    cancelled = ftrade.cancel_order(order_id=placed["sendStatus"]["order_id"])
    assert cancelled["cancelStatus"]["status"] == "cancelled"


async def test_futures_async_wallets(exchange, account) -> None:
    async with FAsyncUser(key=account.futures_key, secret=account.futures_secret, url=exchange.url) as user:
        wallets = await user.get_wallets()
    assert wallets["result"] == "success" and "accounts" in wallets
