"""The portfolio report from Kraken's documented answer shapes: what is counted, once, and what is not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kraken_ops.exceptions import KrakenPermissionDeniedError
from kraken_ops.observe.portfolio import AccountAnswers, FuturesMarket, build_report, instrument_currencies
from kraken_ops.observe.valuation import MarketBook

D = Decimal


def tick(price: str) -> dict:
    return {"a": [price, "1", "1.000"], "b": [price, "1", "1.000"], "c": [price, "0.1"]}


BOOK_ASSETS = {
    "XXBT": {"altname": "XBT", "decimals": 10, "display_decimals": 5},
    "XETH": {"altname": "ETH", "decimals": 10, "display_decimals": 5},
    "ZUSD": {"altname": "USD", "decimals": 4, "display_decimals": 2},
    "ZEUR": {"altname": "EUR", "decimals": 4, "display_decimals": 2},
    "DOT": {"altname": "DOT", "decimals": 10, "display_decimals": 8},
    "ETH2.S": {"altname": "ETH2.S", "decimals": 10, "display_decimals": 5},
    "KFEE": {"altname": "FEE", "decimals": 2, "display_decimals": 2},
}
BOOK_PAIRS = {
    "XXBTZUSD": {"altname": "XBTUSD", "base": "XXBT", "quote": "ZUSD"},
    "XETHZUSD": {"altname": "ETHUSD", "base": "XETH", "quote": "ZUSD"},
    "ZEURZUSD": {"altname": "EURUSD", "base": "ZEUR", "quote": "ZUSD"},
    "DOTUSD": {"altname": "DOTUSD", "base": "DOT", "quote": "ZUSD"},
    "ETH2.SETH": {"altname": "ETH2.SETH", "base": "ETH2.S", "quote": "XETH"},
}
BOOK_TICKERS = {"XXBTZUSD": tick("60000"), "XETHZUSD": tick("3000"), "ZEURZUSD": tick("1.25"), "DOTUSD": tick("7"), "ETH2.SETH": tick("1")}

# GET /derivatives/api/v3/accounts, in the shape of Kraken's documentation
FUTURES_ACCOUNTS = {
    "cash": {"type": "cashAccount", "balances": {"xbt": "0.1", "usd": "0"}},
    "fi_xbtusd": {
        "type": "marginAccount",
        "currency": "xbt",
        "balances": {"fi_xbtusd_180615": "0", "pi_xbtusd": "1000", "xbt": "0.01"},
        "auxiliary": {"usd": "0", "pv": "0.01", "pnl": "0", "af": "0.01", "funding": "0"},
        "marginRequirements": {"im": "0", "mm": "0", "lt": "0", "tt": "0"},
    },
    "flex": {
        "type": "multiCollateralMarginAccount",
        "currencies": {"XBT": {"quantity": "0.2", "value": "12000", "collateral": "11400", "available": "0.2"},
                       "USD": {"quantity": "1000", "value": "1000", "collateral": "1000", "available": "900"}},
        "initialMargin": "100", "maintenanceMargin": "50", "portfolioValue": "18000", "collateralValue": "12400",
        "availableMargin": "12300", "pnl": "5000", "unrealizedFunding": "0",
    },
}
POSITIONS = [
    {"side": "long", "symbol": "PF_XBTUSD", "price": "50000", "fillTime": "2024-01-01T00:00:00.000Z", "size": "0.5",
     "unrealizedFunding": "0", "pnlCurrency": "USD"},
    {"side": "short", "symbol": "PI_XBTUSD", "price": "60000", "fillTime": "2024-01-01T00:00:00.000Z", "size": "1000",
     "unrealizedFunding": "0.0001"},
    {"side": "long", "symbol": "PF_ETHUSD", "price": "3000", "size": "1", "pnl": "12.5", "pnlCurrency": "USD"},
]
FUTURES = FuturesMarket.from_answers(
    {"tickers": [{"symbol": "PF_XBTUSD", "markPrice": "60000"}, {"symbol": "PI_XBTUSD", "markPrice": "50000"},
                 {"symbol": "PF_ETHUSD", "markPrice": "3100"}]},
    {"instruments": [
        {"symbol": "PF_XBTUSD", "type": "flexible_futures", "base": "XBT", "quote": "USD", "contractSize": "1"},
        {"symbol": "PI_XBTUSD", "type": "futures_inverse", "underlying": "rr_xbtusd", "contractSize": "1"},
        {"symbol": "PF_ETHUSD", "type": "flexible_futures", "base": "ETH", "quote": "USD", "contractSize": "1"},
    ]},
)

BALANCE = {"ZUSD": "1000.0000", "XXBT": "1.0000000000", "XBT.F": "0.5000000000", "DOT.S": "10.0000000000",
           "ETH2.S": "2.0000000000", "KFEE": "500.00", "ZEUR": "0.0000"}
EARN = {"converted_asset": "USD", "total_allocated": "18000", "next_cursor": None, "items": [
    {"strategy_id": "ESXUM7H-SJHQ6-KOQNNI", "native_asset": "XBT",
     "amount_allocated": {"total": {"native": "0.3000000000", "converted": "18000.0000"}},
     "total_rewarded": {"native": "0", "converted": "0.0000"}},
]}


def _report(answers, currency="USD"):
    book = MarketBook(BOOK_ASSETS, BOOK_PAIRS, BOOK_TICKERS)
    return build_report(answers, {a.profile: (book, FUTURES) for a in answers}, currency, at=0)


def _values(report, profile="bot1"):
    return {(h.source, h.account, h.valuation.name): h.valuation.value for h in report.holdings if h.profile == profile}


def test_spot_balances_are_valued_and_zero_balances_left_out():
    report = _report([AccountAnswers("bot1", balance=BALANCE, earn=EARN)])
    values = _values(report)
    assert values[("spot", "spot", "ZUSD")] == D("1000.0000")
    assert values[("spot", "spot", "XXBT")] == D("60000.0000")
    assert ("spot", "spot", "ZEUR") not in values


def test_earn_suffix_balances_are_not_counted_twice_with_the_allocations():
    report = _report([AccountAnswers("bot1", balance=BALANCE, earn=EARN)])
    values = _values(report)
    assert values[("earn", "ESXUM7H-SJHQ6-KOQNNI", "XBT")] == D("18000.0000")  # the allocation
    assert values[("earn", "balance", "XBT.F")] == D("12000.0000")  # 0.5 in the wallet, 0.3 allocated: 0.2 more
    assert values[("earn", "balance", "DOT.S")] == D("70.0000")  # no DOT allocation: the wallet counts
    xbt = report.asset_totals()["XBT"]
    assert xbt["amount"] == D("1.5")  # 1 spot + 0.3 allocated + 0.2 beyond the allocations, not 1.8


def test_without_an_earn_answer_the_suffix_balances_count_and_the_report_is_incomplete():
    answers = AccountAnswers("bot1", balance=BALANCE, errors={"earn": KrakenPermissionDeniedError("EGeneral:Permission denied")})
    report = _report([answers])
    values = _values(report)
    assert values[("earn", "balance", "XBT.F")] == D("30000.0000")
    assert not report.complete
    doc = report.to_json()
    assert doc["complete"] is False
    assert doc["accounts"]["bot1"]["errors"]["earn"]["error"] == "permission"
    assert doc["errors"][0]["section"] == "earn"


def test_an_asset_without_a_price_path_is_listed_not_counted_as_zero():
    report = _report([AccountAnswers("bot1", balance=BALANCE, earn=EARN)])
    fee = [h for h in report.holdings if h.valuation.name == "KFEE"][0]
    assert fee.valuation.value is None and "no pair from FEE to USD" in fee.valuation.reason
    assert report.unvalued == [{"profile": "bot1", "source": "spot", "account": "spot", "asset": "KFEE", "amount": "500.00",
                                "reason": fee.valuation.reason}]
    counted = sum(v for v in _values(report).values() if v is not None)
    assert report.total == counted


def test_staked_eth2_is_valued_through_its_own_pair():
    report = _report([AccountAnswers("bot1", balance=BALANCE, earn=EARN)])
    assert _values(report)[("earn", "balance", "ETH2.S")] == D("6000.0000")  # 2 * 1 ETH * 3000


def test_futures_collateral_of_flex_cash_and_margin_accounts_but_not_contract_entries():
    report = _report([AccountAnswers("bot1", futures_accounts=FUTURES_ACCOUNTS, futures_positions=[])])
    values = _values(report)
    assert values == {
        ("futures", "cash", "xbt"): D("6000.0000"),
        ("futures", "fi_xbtusd", "xbt"): D("600.0000"),
        ("futures", "flex", "USD"): D("1000.0000"),
        ("futures", "flex", "XBT"): D("12000.0000"),
    }
    summary = report.to_json()["accounts"]["bot1"]["futures_accounts"]
    assert summary["flex"]["portfolioValue"] == "18000" and summary["flex"]["initialMargin"] == "100"
    assert summary["fi_xbtusd"]["auxiliary"]["pv"] == "0.01" and summary["fi_xbtusd"]["marginRequirements"]["im"] == "0"


def test_unrealised_pnl_computed_for_linear_and_inverse_contracts_or_taken_from_kraken():
    report = _report([AccountAnswers("bot1", futures_accounts={}, futures_positions=POSITIONS)])
    by_symbol = {p.symbol: p for p in report.positions}
    linear = by_symbol["PF_XBTUSD"]
    assert (linear.pnl, linear.pnl_currency, linear.pnl_source) == (D("5000.0000"), "USD", "computed")  # 0.5 * (60000 - 50000)
    inverse = by_symbol["PI_XBTUSD"]
    # short 1000 contracts of 1 USD: -1000 * (1/60000 - 1/50000) XBT, rounded to XBT's 10 decimals
    assert (inverse.pnl, inverse.pnl_currency, inverse.pnl_source) == (D("0.0033333333"), "XBT", "computed")
    assert inverse.valuation.value == D("200.0000") and inverse.unrealized_funding == D("0.0001")
    kraken = by_symbol["PF_ETHUSD"]
    assert (kraken.pnl, kraken.pnl_source) == (D("12.5"), "kraken")
    assert report.unrealized_pnl == D("5212.5000")


def test_a_position_without_a_mark_price_is_unvalued_with_a_reason():
    answers = AccountAnswers("bot1", futures_positions=[{"side": "long", "symbol": "PF_SOLUSD", "price": "100", "size": "1"}])
    report = _report([answers])
    (position,) = report.positions
    assert position.pnl is None and position.reason == "no mark price for PF_SOLUSD"
    assert report.unvalued[0]["source"] == "position" and report.unrealized_pnl == 0


def test_totals_per_account_per_asset_and_in_total_add_up():
    a = AccountAnswers("bot1", balance=BALANCE, earn=EARN, futures_accounts=FUTURES_ACCOUNTS, futures_positions=POSITIONS)
    b = AccountAnswers("bot2", balance={"XXBT": "2", "ZEUR": "100"}, earn={"items": []})
    report = _report([a, b])
    totals = report.account_totals()
    for name, t in totals.items():
        assert t["total"] == t["spot"] + t["earn"] + t["futures"] + t["unrealized_pnl"]
    assert totals["bot2"]["total"] == D("120125.0000")  # 2 * 60000 + 100 * 1.25
    assert report.total == totals["bot1"]["total"] + totals["bot2"]["total"]
    assets = report.asset_totals()
    assert sum(row["value"] or 0 for row in assets.values()) + report.unrealized_pnl == report.total
    assert assets["FEE"]["unvalued_amount"] == D("500.00") and assets["FEE"]["value"] is None  # not a zero
    assert doc_assets_fee(report) == {"amount": "500.00", "value": None, "share": None, "unvalued_amount": "500.00"}
    doc = report.to_json()
    assert doc["total"] == format(report.total, "f") and isinstance(doc["total"], str)
    assert doc["assets"]["XBT"]["amount"] == "3.8100000000"  # 1 + 0.3 + 0.2 + 2 spot/earn, 0.1 + 0.01 + 0.2 futures


@pytest.mark.parametrize("currency, expected", [("USD", "60000.0000"), ("EUR", "48000.0000"), ("XBT", "1.0000000000")])
def test_the_report_currency_can_be_any_asset(currency, expected):
    report = _report([AccountAnswers("bot1", balance={"XXBT": "1"})], currency)
    assert report.to_json()["total"] == expected


def test_rows_have_one_line_per_holding_and_position_with_the_same_columns():
    report = _report([AccountAnswers("bot1", balance={"XXBT": "1", "KFEE": "5"}, futures_positions=POSITIONS[:1])])
    rows = report.rows()
    assert {tuple(r) for r in rows} == {tuple(rows[0])}
    fee, xbt, position = rows
    assert fee["asset"] == "KFEE" and fee["value"] is None and "no pair from FEE to USD" in fee["note"]
    assert (xbt["value"], xbt["rate"], xbt["method"]) == ("60000.0000", "60000", "direct (XBTUSD)")
    assert (position["source"], position["account"], position["amount"]) == ("position", "PF_XBTUSD", "5000.0000")


def test_instrument_currencies_from_the_instrument_or_the_symbol():
    assert instrument_currencies("PF_XBTUSD", {"base": "XBT", "quote": "USD"}) == ("XBT", "USD")
    assert instrument_currencies("FI_XBTUSD_240927", None) == ("XBT", "USD")
    assert instrument_currencies("PI_ETHUSD", {"type": "futures_inverse"}) == ("ETH", "USD")


def doc_assets_fee(report):
    return report.to_json()["assets"]["FEE"]
