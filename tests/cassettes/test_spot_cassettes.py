"""Replay Kraken Spot's documented example responses through the SDK (vcrpy, record_mode="none").

The cassettes under ``cassettes/spot_*`` hold, as response bodies, the example
responses of the reference documentation (python-kraken-sdk, "SPOT REST CLIENTS").
Requests are matched on method, URL, query and body (nonce filtered), so a replay
also pins what the SDK sends. Each case runs on the sync and the async client and
checks what the SDK makes of Kraken's real shapes: exact numbers (Decimal, never
float), lists, booleans and the get_balance / truncate post-processing.
"""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

import kraken_ops.spot

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SECRET = base64.b64encode(b"cassette replay secret, not a real key").decode()
KINDS = ("sync", "async")


def replay(vcr_: Any, cassette: str, group: str, kind: str, method: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call ``<group>.<method>`` on a fresh client while ``cassette`` answers."""
    cls = getattr(kraken_ops.spot, group if kind == "sync" else f"Async{group}")
    client = cls(key="cassette-key", secret=SECRET, rate_limit=False)
    with vcr_.use_cassette(cassette):
        if kind == "sync":
            with client:
                return getattr(client, method)(*args, **kwargs)

        async def run() -> Any:
            async with client:
                return await getattr(client, method)(*args, **kwargs)

        return asyncio.run(run())


MARKET = "spot_market/market_documented.yaml"
USER = "spot_user/user_documented.yaml"
TRADE = "spot_trade/trade_documented.yaml"
FUNDING = "spot_funding/funding_documented.yaml"
EARN = "spot_earn/earn_documented.yaml"

BATCH_ORDERS = [
    {
        "close": {"ordertype": "stop-loss-limit", "price": 21000, "price2": 20000},
        "ordertype": "limit",
        "price": 25000,
        "timeinforce": "GTC",
        "type": "buy",
        "userref": 16861348843,
        "volume": 1,
    },
    {"ordertype": "limit", "price": 1000000, "timeinforce": "GTC", "type": "sell", "userref": 16861348843, "volume": 2},
]

# (cassette, group, method, kwargs, check) — one row per documented example.
CASES: list[tuple[str, str, str, dict[str, Any], Callable[[Any], None]]] = [
    # --- market ---
    (MARKET, "Market", "get_system_status", {}, lambda r: r == {"status": "online", "timestamp": "2023-04-05T17:12:31Z"}),
    (
        MARKET,
        "Market",
        "get_asset_pairs",
        {"pair": "XBTUSD"},
        lambda r: r["XXBTZUSD"]["pair_decimals"] == 1
        and r["XXBTZUSD"]["ordermin"] == "0.0001"
        and r["XXBTZUSD"]["fees"][1] == [500000, Decimal("0.24")],
    ),
    (MARKET, "Market", "get_assets", {"assets": "DOT"}, lambda r: r["DOT"]["collateral_value"] == Decimal("0.9")),
    (MARKET, "Market", "get_assets", {"assets": ["MATIC", "XBT"]}, lambda r: set(r) == {"MATIC", "XXBT"} and r["XXBT"]["altname"] == "XBT"),
    (MARKET, "Market", "get_ticker", {"pair": "XBTUSD"}, lambda r: r["XXBTZUSD"]["c"] == ["27947.90000", "0.00842808"] and r["XXBTZUSD"]["t"] == [33574, 43062]),
    (MARKET, "Market", "get_ohlc", {"pair": "XBTUSD"}, lambda r: r["XXBTZUSD"][0] == [1680671100, "28488.9", "28489.0", "28488.8", "28489.0", "28488.9", "1.03390376", 8]),
    (MARKET, "Market", "get_order_book", {"pair": "XBTUSD", "count": 2}, lambda r: r["XXBTZUSD"]["bids"][0] == ["27999.90000", "2.240", 1680714419]),
    (MARKET, "Market", "get_recent_trades", {"pair": "XBTUSD"}, lambda r: r["XXBTZUSD"][0][2] == Decimal("1680712703.2524643") and len(r["XXBTZUSD"]) == 3),
    (MARKET, "Market", "get_recent_spreads", {"pair": "XBTUSD"}, lambda r: r["XXBTZUSD"][-1] == [1680714601, "28015.00000", "28016.90000"]),
    # --- user ---
    (USER, "User", "get_account_balance", {}, lambda r: r["ZUSD"] == "241983.1415" and r["DOT"] == "32011.21197000"),
    (USER, "User", "get_balances", {}, lambda r: r["XXBT"] == {"balance": "2.1031709100", "hold_trade": "0.1401000000"}),
    (
        USER,
        "User",
        "get_balance",
        {"currency": "XBT"},
        lambda r: r == {"currency": "XXBT", "balance": Decimal("2.1031709100"), "available_balance": Decimal("1.9630709100")},
    ),
    (USER, "User", "get_balance", {"currency": "EUR"}, lambda r: r == {"currency": "ZEUR", "balance": Decimal("500.0000"), "available_balance": Decimal("500.0000")}),
    (USER, "User", "get_trade_balance", {}, lambda r: r["eb"] == "983691.5512" and r["mf"] == "322296.9914"),
    (USER, "User", "get_open_orders", {}, lambda r: r["open"]["OCUG7Z-4EM5R-7ZCJ47"]["opentm"] == Decimal("1680777427.576083")),
    (
        USER,
        "User",
        "get_closed_orders",
        {},
        lambda r: r["closed"]["OBGFYP-XVQNL-P4GMWF"]["reason"] is None and r["closed"]["OBGFYP-XVQNL-P4GMWF"]["descr"]["price"] == "1860.76",
    ),
    (USER, "User", "get_orders_info", {"txid": "OG5IL4-6AR7I-ZAPZEZ"}, lambda r: r["OG5IL4-6AR7I-ZAPZEZ"]["vol"] == "45.77910000"),
    (USER, "User", "get_order_amends", {"order_id": "OVM3PT-56ACO-53SM2T"}, lambda r: r == {"amends": [], "count": 0}),
    (USER, "User", "get_trades_history", {}, lambda r: r["count"] == 630 and r["trades"]["TPLJ5E-NONOU-5LH7JL"]["trade_id"] == 43914718),
    (USER, "User", "get_trades_info", {"txid": "TNGMNU-XQSRA-LKCWOK"}, lambda r: r["TNGMNU-XQSRA-LKCWOK"]["price"] == "1855.16000"),
    (USER, "User", "get_open_positions", {}, lambda r: r["TF5GVO-T7ZZ2-6NBKBI"]["net"] == "+134186.9728"),
    (USER, "User", "get_ledgers_info", {"asset": ["KFEE", "EUR", "ETH"]}, lambda r: r["count"] == 519 and r["ledger"]["LKLSX7-VUXD4-HDLK2P"]["fee"] == "5.95"),
    (USER, "User", "get_ledgers", {"id_": "LKLSX7-VUXD4-HDLK2P"}, lambda r: r["LKLSX7-VUXD4-HDLK2P"]["time"] == Decimal("1680777419.8115911")),
    (USER, "User", "get_trade_volume", {"pair": "DOTUSD"}, lambda r: r["fees"]["DOTUSD"]["nextvolume"] == "250000.0000"),
    (USER, "User", "request_export_report", {"report": "ledgers", "description": "myLedgers1", "format_": "CSV"}, lambda r: r == {"id": "GEHI"}),
    (USER, "User", "get_export_report_status", {"report": "ledgers"}, lambda r: isinstance(r, list) and r[0]["status"] == "Queued"),
    (USER, "User", "delete_export_report", {"id_": "GEHI", "type_": "delete"}, lambda r: r == {"delete": True}),
    (USER, "User", "create_subaccount", {"username": "user", "email": "user@domain.com"}, lambda r: r is True),
    (
        USER,
        "User",
        "account_transfer",
        {"asset": "XBT", "amount": "1.0", "from_": "ABCD 1234 EFGH 5678", "to_": "IJKL 0987 MNOP 6543"},
        lambda r: r == {"transfer_id": "TOH3AS2-LPCWR8-JDQGEU", "status": "complete"},
    ),
    # --- trade ---
    (
        TRADE,
        "Trade",
        "create_order",
        {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": 4, "price": 23000, "expiretm": 121, "displayvol": 0.5, "oflags": ["post", "fcib"]},
        lambda r: r == {"txid": ["TPPI2H-CUZZ2-EQR2IE"], "descr": {"order": "buy 4.0000 XBTUSD @ limit 23000.0"}},
    ),
    (
        TRADE,
        "Trade",
        "create_order",
        {
            "ordertype": "stop-loss-limit",
            "pair": "XBTUSD",
            "side": "buy",
            "volume": 1.2,
            "price": 24000,
            "price2": "+1000",
            "validate": True,
            "trigger": "last",
            "timeinforce": "GTC",
            "close_ordertype": "take-profit-limit",
            "close_price": 27000,
            "close_price2": "#2%",
        },
        lambda r: "txid" not in r and r["descr"]["close"].startswith("close position @ take profit"),
    ),
    (
        TRADE,
        "Trade",
        "create_order",
        {"ordertype": "limit", "side": "buy", "pair": "XBTUSD", "volume": 0.123456789, "price": 21123.12849829993, "truncate": True},
        lambda r: r["txid"] == ["TNGMNU-XQSRA-LKCWOK"],
    ),
    (TRADE, "Trade", "create_order_batch", {"orders": BATCH_ORDERS, "pair": "BTC/USD"}, lambda r: [o["txid"] for o in r["orders"]] == ["05TLGX-DKKTU-WKRAZ5", "OBFYFP-XVQNL-P4GMWF"]),
    (
        TRADE,
        "Trade",
        "edit_order",
        {"txid": "OBGFYP-XVQNL-P4GMWF", "volume": 0.75, "pair": "XBTUSD", "price": 1250000},
        lambda r: r["status"] == "ok" and r["orders_cancelled"] == 1 and r["originaltxid"] == "OBGFYP-XVQNL-P4GMWF",
    ),
    (TRADE, "Trade", "amend_order", {"extra_params": {"txid": "OVM3PT-56ACO-53SM2T", "limit_price": "105636.9"}}, lambda r: r == {"amend_id": "TEZA4R-DSDGT-IJBOJK"}),
    (TRADE, "Trade", "cancel_order", {"txid": "OAUHYR-YCVK6-P22G6P"}, lambda r: r == {"count": 1}),
    (TRADE, "Trade", "cancel_all_orders", {}, lambda r: r == {"count": 2}),
    (TRADE, "Trade", "cancel_all_orders_after_x", {"timeout": 60}, lambda r: r["triggerTime"] == "2023-04-06T06:52:56Z"),
    (TRADE, "Trade", "cancel_order_batch", {"orders": ["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"]}, lambda r: r == {"count": 2}),
    # the reference's truncate examples
    (TRADE, "Trade", "truncate", {"amount": 0.123456789, "amount_type": "volume", "pair": "XBTUSD"}, lambda r: r == "0.12345678"),
    (TRADE, "Trade", "truncate", {"amount": 21123.12849829993, "amount_type": "price", "pair": "XBTUSD"}, lambda r: r == "21123.1"),
    (TRADE, "Trade", "truncate", {"amount": 0.1, "amount_type": "volume", "pair": "XBTUSD"}, lambda r: r == "0.10000000"),
    (TRADE, "Trade", "truncate", {"amount": 21123, "amount_type": "price", "pair": "XBTUSD"}, lambda r: r == "21123.0"),
    # --- funding ---
    (FUNDING, "Funding", "get_deposit_methods", {"asset": "XLM"}, lambda r: r[1] == {"method": "Stellar XLM Multi", "limit": False, "gen-address": True}),
    (FUNDING, "Funding", "get_deposit_address", {"asset": "XLM", "method": "Stellar XLM"}, lambda r: len(r) == 2 and r[0]["new"] is True),
    (FUNDING, "Funding", "get_recent_deposits_status", {}, lambda r: [d["asset"] for d in r] == ["ZEUR", "ZEUR", "XETH"] and r[2]["amount"] == "0.0119328120"),
    (FUNDING, "Funding", "withdraw_methods", {"asset": "XBT"}, lambda r: r[0]["minimum"] == "0.0004"),
    (FUNDING, "Funding", "withdraw_addresses", {"asset": "XBT", "verified": True}, lambda r: r[0]["key"] == "btc-wallet-1" and r[0]["verified"] is True),
    (FUNDING, "Funding", "get_withdrawal_info", {"asset": "DOT", "key": "MyPolkadotWallet", "amount": "4"}, lambda r: r["fee"] == "0.05000000"),
    (FUNDING, "Funding", "withdraw_funds", {"asset": "DOT", "key": "MyPolkadotWallet", "amount": 4}, lambda r: r == {"refid": "I7KGS6-UFMTTQ-AGBS06T"}),
    (FUNDING, "Funding", "get_recent_withdraw_status", {}, lambda r: r[0]["time"] == 1677816733 and r[0]["status"] == "Success"),
    (FUNDING, "Funding", "cancel_withdraw", {"asset": "DOT", "refid": "I7KGS6-UFMTTQ-AGBS06T"}, lambda r: r is True),
    (
        FUNDING,
        "Funding",
        "wallet_transfer",
        {"asset": "XBT", "from_": "Spot Wallet", "to_": "Futures Wallet", "amount": 0.01},
        lambda r: r == {"refid": "ANS1EE5-SKACR4-PENGVP"},
    ),
    # --- earn ---
    (EARN, "Earn", "allocate_earn_funds", {"amount": 2000, "strategy_id": "ESRFUO3-Q62XD-WIOIL7"}, lambda r: r is True),
    (EARN, "Earn", "deallocate_earn_funds", {"amount": 2000, "strategy_id": "ESRFUO3-Q62XD-WIOIL7"}, lambda r: r is True),
    (EARN, "Earn", "get_allocation_status", {"strategy_id": "ESRFUO3-Q62XD-WIOIL7"}, lambda r: r == {"pending": False}),
    (EARN, "Earn", "get_deallocation_status", {"strategy_id": "ESRFUO3-Q62XD-WIOIL7"}, lambda r: r == {"pending": False}),
    (
        EARN,
        "Earn",
        "list_earn_strategies",
        {"asset": "DOT"},
        lambda r: r["next_cursor"] is None
        and [s["lock_type"]["type"] for s in r["items"]] == ["bonded", "instant"]
        and r["items"][0]["lock_type"]["bonding_period_variable"] is False,
    ),
    (EARN, "Earn", "list_earn_allocations", {"converted_asset": "USD"}, lambda r: r["total_allocated"] == "49.2398" and r["items"][0]["native_asset"] == "ETH"),
]
IDS = [f"{group}.{method}-{i}" for i, (_, group, method, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("cassette", "group", "method", "kwargs", "check"), CASES, ids=IDS)
def test_documented_response_replays_through_the_sdk(kraken_vcr, kind, cassette, group, method, kwargs, check) -> None:
    result = replay(kraken_vcr, cassette, group, kind, method, **kwargs)
    assert check(result), f"unexpected result: {result!r}"


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return True


@pytest.mark.parametrize("kind", KINDS)
def test_numbers_in_documented_responses_never_become_floats(kraken_vcr, kind) -> None:
    pairs = replay(kraken_vcr, MARKET, "Market", kind, "get_asset_pairs", pair="XBTUSD")
    ledgers = replay(kraken_vcr, USER, "User", kind, "get_ledgers_info", asset=["KFEE", "EUR", "ETH"])
    assert _no_floats(pairs) and _no_floats(ledgers)
    assert pairs["XXBTZUSD"]["fees_maker"][-1] == [100000000, Decimal("0.0")]


def test_retrieve_export_replays_the_zip_as_a_stream(kraken_vcr) -> None:
    with kraken_vcr.use_cassette(USER):
        with kraken_ops.spot.User(key="cassette-key", secret=SECRET, rate_limit=False) as user:
            response = user.retrieve_export(id_="GEHI")
            data = b"".join(response.iter_content(chunk_size=64))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["ledgers.csv"]
        assert b"LKLSX7-VUXD4-HDLK2P" in archive.read("ledgers.csv")


def test_a_request_the_cassette_does_not_hold_fails_instead_of_reaching_the_network(kraken_vcr) -> None:
    from vcr.errors import CannotOverwriteExistingCassetteException

    with pytest.raises(CannotOverwriteExistingCassetteException):
        replay(kraken_vcr, MARKET, "Market", "sync", "get_ticker", pair="ETHUSD")


def test_a_changed_body_does_not_match_the_cassette(kraken_vcr) -> None:
    from vcr.errors import CannotOverwriteExistingCassetteException

    with pytest.raises(CannotOverwriteExistingCassetteException):
        replay(kraken_vcr, TRADE, "Trade", "sync", "cancel_order", txid="OTHER-ORDER-ID")


@pytest.mark.parametrize("group", ["market", "user", "trade", "funding", "earn"])
def test_every_group_has_a_cassette_without_secrets(group: str) -> None:
    files = sorted((CASSETTES / f"spot_{group}").glob("*.yaml"))
    assert files, f"no cassette for spot_{group}"
    for path in files:
        text = path.read_text()
        data = yaml.safe_load(text)
        assert data["interactions"], path
        for interaction in data["interactions"]:
            headers = {k.lower() for k in interaction["request"]["headers"]}
            assert not headers & {"api-key", "api-sign"}, path
            assert "nonce" not in (interaction["request"]["body"] or ""), path


def test_recording_filters_keys_signatures_and_nonces(vcr_factory, tmp_path: Path) -> None:
    """Record against a loopback server with the shared settings: nothing secret is stored."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "wire"))
    from recorder import RecordingServer, SpotVerifier

    with RecordingServer(SpotVerifier({"rec-key": SECRET})) as server:
        server.respond_result({"count": 1})
        recorder = vcr_factory(cassette_library_dir=str(tmp_path), record_mode="all")
        with recorder.use_cassette("recorded.yaml"):
            with kraken_ops.spot.Trade(key="rec-key", secret=SECRET, url=server.url, rate_limit=False) as trade:
                assert trade.cancel_order(txid="OAUHYR-YCVK6-P22G6P") == {"count": 1}
            with kraken_ops.spot.Trade(key="rec-key", secret=SECRET, url=server.url, rate_limit=False) as trade:
                trade.cancel_order_batch(orders=["A", "B"])
        sent = server.requests
    text = (tmp_path / "recorded.yaml").read_text()
    assert "rec-key" not in text and SECRET not in text
    for rec in sent:
        assert rec.header("API-Sign") not in text
        assert rec.nonce and rec.nonce not in text
    interactions = yaml.safe_load(text)["interactions"]
    assert interactions[0]["request"]["body"] == "txid=OAUHYR-YCVK6-P22G6P"
    assert "nonce" not in interactions[1]["request"]["body"]
