"""Spot Funding on the wire: every method, sync and async, signed form POSTs.

Two deliberate differences from python-kraken-sdk are pinned here: withdraw_addresses
calls WithdrawAddresses (not WithdrawMethods) and aclass is sent as ``aclass``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from wirecheck import Row, assert_rows_cover, check_row

from kraken_ops.spot import Funding

P = "/0/private/"

ROWS = [
    Row(
        "get_deposit_methods",
        {"asset": "XLM"},
        "POST",
        P + "DepositMethods",
        {"asset": "XLM"},
        result=[{"method": "Stellar XLM", "limit": False, "gen-address": True}],
    ),
    Row("get_deposit_methods", {"asset": "AAPLx", "aclass": "tokenized_asset"}, "POST", P + "DepositMethods", {"asset": "AAPLx", "aclass": "tokenized_asset"}),
    Row(
        "get_deposit_address",
        {"asset": "XLM", "method": "Stellar XLM"},
        "POST",
        P + "DepositAddresses",
        {"asset": "XLM", "method": "Stellar XLM", "new": "false"},
        result=[],
    ),
    Row(
        "get_deposit_address",
        {"asset": "XBT", "method": "Bitcoin Lightning", "new": True, "amount": Decimal("0.00100000")},
        "POST",
        P + "DepositAddresses",
        {"asset": "XBT", "method": "Bitcoin Lightning", "new": "true", "amount": "0.00100000"},
    ),
    Row("get_recent_deposits_status", {}, "POST", P + "DepositStatus", {"cursor": "false"}, result=[]),
    Row(
        "get_recent_deposits_status",
        {"asset": "ZEUR", "method": "Bank Frick (SEPA)", "start": "1680000000", "end": "1690000000", "cursor": "c2", "aclass": "currency", "limit": 10},
        "POST",
        P + "DepositStatus",
        {"asset": "ZEUR", "aclass": "currency", "method": "Bank Frick (SEPA)", "start": "1680000000", "end": "1690000000", "cursor": "c2", "limit": "10"},
    ),
    Row("get_recent_deposits_status", {"cursor": True}, "POST", P + "DepositStatus", {"cursor": "true"}, result={"deposit": [], "next_cursor": "c2"}),
    Row("withdraw_methods", {}, "POST", P + "WithdrawMethods", {}, result=[]),
    Row(
        "withdraw_methods",
        {"asset": "XBT", "aclass": "currency", "network": "Bitcoin"},
        "POST",
        P + "WithdrawMethods",
        {"asset": "XBT", "aclass": "currency", "network": "Bitcoin"},
    ),
    Row("withdraw_addresses", {}, "POST", P + "WithdrawAddresses", {}, result=[]),
    Row(
        "withdraw_addresses",
        {"asset": "XBT", "aclass": "currency", "method": "Bitcoin", "key": "btc-wallet-1", "verified": True},
        "POST",
        P + "WithdrawAddresses",
        {"asset": "XBT", "aclass": "currency", "method": "Bitcoin", "key": "btc-wallet-1", "verified": "true"},
    ),
    Row(
        "get_withdrawal_info",
        {"asset": "DOT", "key": "MyPolkadotWallet", "amount": "4"},
        "POST",
        P + "WithdrawInfo",
        {"asset": "DOT", "key": "MyPolkadotWallet", "amount": "4"},
        result={"method": "Polkadot", "limit": "4.49880000", "amount": "3.95000000", "fee": "0.05000000"},
    ),
    Row(
        "withdraw_funds",
        {"asset": "DOT", "key": "MyPolkadotWallet", "amount": 4},
        "POST",
        P + "Withdraw",
        {"asset": "DOT", "key": "MyPolkadotWallet", "amount": "4"},
        result={"refid": "I7KGS6-UFMTTQ-AGBSO6T"},
    ),
    Row(
        "withdraw_funds",
        {"asset": "XBT", "key": "btc-wallet-1", "amount": Decimal("0.12345678"), "max_fee": "0.0001", "address": "bc1qexample"},
        "POST",
        P + "Withdraw",
        {"asset": "XBT", "key": "btc-wallet-1", "amount": "0.12345678", "address": "bc1qexample", "max_fee": "0.0001"},
    ),
    Row("get_recent_withdraw_status", {}, "POST", P + "WithdrawStatus", {}, result=[]),
    Row(
        "get_recent_withdraw_status",
        {"asset": "DOT", "method": "Polkadot", "start": "1", "end": "2", "cursor": True, "aclass": "currency", "limit": 5},
        "POST",
        P + "WithdrawStatus",
        {"asset": "DOT", "aclass": "currency", "method": "Polkadot", "start": "1", "end": "2", "cursor": "true", "limit": "5"},
    ),
    Row(
        "cancel_withdraw",
        {"asset": "DOT", "refid": "I7KGS6-UFMTTQ-AGBSO6T"},
        "POST",
        P + "WithdrawCancel",
        {"asset": "DOT", "refid": "I7KGS6-UFMTTQ-AGBSO6T"},
        result=True,
    ),
    Row(
        "wallet_transfer",
        {"asset": "XBT", "from_": "Spot Wallet", "to_": "Futures Wallet", "amount": "0.01"},
        "POST",
        P + "WalletTransfer",
        {"asset": "XBT", "from": "Spot Wallet", "to": "Futures Wallet", "amount": "0.01"},
        result={"refid": "ANS1EE5-SKACR4-PENGVP"},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_funding_request_on_the_wire(invoke, server, row: Row) -> None:
    result = check_row(invoke, server, "Funding", row)
    assert result == row.result


def test_every_funding_method_has_a_wire_row() -> None:
    assert_rows_cover(Funding, ROWS)


def test_withdraw_addresses_calls_withdraw_addresses_and_sends_aclass_as_aclass(invoke, server) -> None:
    server.respond_result([])
    invoke("Funding", "withdraw_addresses", aclass="currency")
    assert server.last.path == "/0/private/WithdrawAddresses"
    assert server.last.params() == {"aclass": "currency"}
    invoke("Funding", "withdraw_methods", aclass="currency")
    assert server.last.params() == {"aclass": "currency"}
