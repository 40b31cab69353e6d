"""Valuation: Kraken's asset names and the conversion path (same, direct, inverse, via USD, via XBT)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.observe.valuation import MarketBook, is_earn_name, split_suffix, ticker_price

D = Decimal

ASSETS = {
    "XXBT": {"aclass": "currency", "altname": "XBT", "decimals": 10, "display_decimals": 5},
    "XETH": {"aclass": "currency", "altname": "ETH", "decimals": 10, "display_decimals": 5},
    "ZUSD": {"aclass": "currency", "altname": "USD", "decimals": 4, "display_decimals": 2},
    "ZEUR": {"aclass": "currency", "altname": "EUR", "decimals": 4, "display_decimals": 2},
    "DOT": {"aclass": "currency", "altname": "DOT", "decimals": 10, "display_decimals": 8},
    "ETH2.S": {"aclass": "currency", "altname": "ETH2.S", "decimals": 10, "display_decimals": 5},
    "KFEE": {"aclass": "currency", "altname": "FEE", "decimals": 2, "display_decimals": 2},
    "AAPLx": {"aclass": "tokenized_asset", "altname": "AAPLx", "decimals": 10, "display_decimals": 8},
    "FOO": {"aclass": "currency", "altname": "FOO", "decimals": 8, "display_decimals": 8},
}

PAIRS = {
    "XXBTZUSD": {"altname": "XBTUSD", "base": "XXBT", "quote": "ZUSD", "status": "online"},
    "XXBTZUSD.d": {"altname": "XBTUSD.d", "base": "XXBT", "quote": "ZUSD", "status": "online"},
    "XETHXXBT": {"altname": "ETHXBT", "base": "XETH", "quote": "XXBT", "status": "online"},
    "ZEURZUSD": {"altname": "EURUSD", "base": "ZEUR", "quote": "ZUSD", "status": "online"},
    "DOTUSD": {"altname": "DOTUSD", "base": "DOT", "quote": "ZUSD", "status": "online"},
    "ETH2.SETH": {"altname": "ETH2.SETH", "base": "ETH2.S", "quote": "XETH", "status": "online"},
    "AAPLxUSD": {"altname": "AAPLxUSD", "base": "AAPLx", "quote": "ZUSD", "status": "online", "aclass_base": "tokenized_asset"},
    "FOOJPY": {"altname": "FOOJPY", "base": "FOO", "quote": "ZJPY", "status": "online"},
}


def tick(bid: str, ask: str, last: str | None = None) -> dict:
    return {"a": [ask, "1", "1.000"], "b": [bid, "1", "1.000"], "c": [last or bid, "0.1"]}


TICKERS = {
    "XXBTZUSD": tick("59999", "60001"),
    "XXBTZUSD.d": tick("1", "1"),  # a dark-pool pair's price is never used
    "XETHXXBT": tick("0.05", "0.05"),
    "ZEURZUSD": tick("1.07", "1.09"),
    "DOTUSD": tick("6.9", "7.1"),
    "ETH2.SETH": tick("0.99", "0.99"),
    "AAPLxUSD": tick("199", "201"),
}


@pytest.fixture
def book() -> MarketBook:
    return MarketBook(ASSETS, PAIRS, TICKERS)


def test_suffixes_split_only_known_wallet_suffixes():
    assert split_suffix("XBT.F") == ("XBT", ".F")
    assert split_suffix("DOT.S") == ("DOT", ".S")
    assert split_suffix("USD.HOLD") == ("USD", ".HOLD")
    assert split_suffix("XXBTZUSD.d") == ("XXBTZUSD.d", None)
    assert is_earn_name("ETH2.S") and is_earn_name("SOL.B") and not is_earn_name("USD.HOLD") and not is_earn_name("ZUSD")


def test_asset_names_resolve_from_ids_altnames_any_case_and_btc(book):
    assert book.asset_id("XXBT") == book.asset_id("XBT") == book.asset_id("xbt") == book.asset_id("BTC") == "XXBT"
    assert book.asset_id("usd") == "ZUSD"
    assert book.asset_id("AAPLx") == "AAPLx"
    assert book.asset_id("ZJPY") == "ZJPY"  # known from a pair even without an Assets entry
    assert book.asset_id("NOPE") is None


def test_price_is_the_mid_and_falls_back_to_the_last_trade():
    assert ticker_price(tick("99", "101")) == D(100)
    assert ticker_price({"a": ["0", "1", "1"], "b": ["5", "1", "1"], "c": ["7.5", "1"]}) == D("7.5")
    assert ticker_price({"c": ["0", "1"]}) is None


def test_same_asset_direct_inverse_via_usd_and_via_xbt(book):
    usd = book.value("ZUSD", D("12.5"), "USD")
    assert usd.rate.method == "same" and usd.value == D("12.5000")
    direct = book.value("XXBT", D("0.5"), "USD")
    assert direct.rate.method == "direct" and direct.rate.path == ("XBTUSD",) and direct.value == D("30000.0000")
    inverse = book.value("ZUSD", D("108"), "EUR")
    assert inverse.rate.method == "inverse" and inverse.rate.path == ("1/EURUSD",) and inverse.value == D("100.0000")
    via_usd = book.value("DOT", D("10"), "EUR")
    assert via_usd.rate.method == "via USD" and via_usd.rate.path == ("DOTUSD", "1/EURUSD")
    assert via_usd.value == D("64.8148")  # 10 * 7 / 1.08, rounded to USD's 4 decimals
    via_xbt = book.value("XETH", D("2"), "USD")
    assert via_xbt.rate.method == "via XBT" and via_xbt.rate.path == ("ETHXBT", "XBTUSD") and via_xbt.value == D("6000.0000")


def test_balance_suffixes_value_as_their_asset_or_through_their_own_pair(book):
    flex = book.value("XBT.F", D("1"), "USD")
    assert flex.asset == "XXBT" and flex.value == D("60000.0000")
    staked = book.value("ETH2.S", D("1"), "USD")  # ETH2.SETH, then ETH via XBT: three pairs
    assert staked.asset == "ETH2.S" and staked.rate.method == "via ETH, XBT"
    assert staked.rate.path == ("ETH2.SETH", "ETHXBT", "XBTUSD") and staked.value == D("2970.0000")
    xstock = book.value("AAPLx", D("3"), "USD")
    assert xstock.value == D("600.0000")


def test_an_asset_without_a_path_is_unvalued_with_a_reason_never_zero(book):
    fee = book.value("KFEE", D("500"), "USD")
    assert fee.value is None and fee.rate is None and "no pair from FEE to USD" in fee.reason
    unknown = book.value("NOPE", D("1"), "USD")
    assert unknown.value is None and "unknown asset" in unknown.reason
    no_price = book.value("FOO", D("1"), "ZJPY")  # the pair exists but has no ticker
    assert no_price.value is None and "no price" in no_price.reason
    assert book.value("XXBT", D("1"), "CHF").reason == "unknown currency CHF"
    assert MarketBook().value("XXBT", D("1"), "USD").reason == "no market data"


def test_route_pairs_name_only_what_a_conversion_can_use(book):
    assert book.needed_pairs(["XXBT", "XBT.F"], "USD") >= {"XXBTZUSD"}
    assert "DOTUSD" not in book.needed_pairs(["XXBT"], "USD")
    assert book.needed_pairs(["DOT"], "EUR") == {"DOTUSD", "ZEURZUSD"}
    assert book.needed_pairs(["ETH2.S"], "USD") == {"ETH2.SETH", "XETHXXBT", "XXBTZUSD"}
    assert book.pair("XXBTZUSD.d") is None  # dark-pool pairs are left out
    assert book.needed_pairs(["ZUSD"], "USD") == set()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    amount=st.decimals(min_value=D("0.00000001"), max_value=D("1000000"), places=8),
    bid=st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4),
    spread=st.decimals(min_value=D(0), max_value=D("10"), places=4),
)
def test_direct_and_inverse_rates_are_exact_decimal_arithmetic(amount, bid, spread):
    ask = bid + spread
    book = MarketBook(
        {"AAA": {"altname": "AAA", "decimals": 10}, "BBB": {"altname": "BBB", "decimals": 10}},
        {"AAABBB": {"altname": "AAABBB", "base": "AAA", "quote": "BBB"}},
        {"AAABBB": tick(str(bid), str(ask))},
    )
    mid = (bid + ask) / 2
    forward = book.value("AAA", amount, "BBB")
    assert forward.value == (amount * mid).quantize(D("1e-10"))
    back = book.value("BBB", amount, "AAA")
    assert back.value == (amount * (D(1) / mid)).quantize(D("1e-10"))
    assert isinstance(forward.value, Decimal) and isinstance(back.value, Decimal)
