"""Wire tests for kraken_ops.futures Funding / AsyncFunding against a verifying loopback server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from futures_recorder import FLAVOURS, Case, endpoint_methods, futures_wire, invoke, make_client, run_case, server  # noqa: F401

from kraken_ops.futures.funding import AsyncFunding, Funding, _FundingEndpoints

CLASSES = {"sync": Funding, "async": AsyncFunding}

CASES = [
    Case("get_transfers", {}, "GET", "/derivatives/api/v3/transfers", auth=True),
    Case(
        "get_transfers",
        {"lastTransferTime": "2024-01-01T00:00:00.000Z"},
        "GET",
        "/derivatives/api/v3/transfers",
        query=[("lastTransferTime", "2024-01-01T00:00:00.000Z")],
        raw_query="lastTransferTime=2024-01-01T00%3A00%3A00.000Z",
        auth=True,
        name="get_transfers-before",
    ),
    Case("get_historical_funding_rates", {"symbol": "PI_XBTUSD"}, "GET", "/derivatives/api/v4/historicalfundingrates", query=[("symbol", "PI_XBTUSD")]),
    Case(
        "initiate_wallet_transfer",
        {"amount": Decimal("100.50"), "fromAccount": "cash", "toAccount": "flex", "unit": "USDT"},
        "POST",
        "/derivatives/api/v3/transfer",
        body=[("fromAccount", "cash"), ("toAccount", "flex"), ("unit", "USDT"), ("amount", "100.50")],
        auth=True,
    ),
    Case(
        "initiate_subaccount_transfer",
        {"amount": "2", "fromAccount": "MyCashWallet", "fromUser": "Subaccount1", "toAccount": "MyCashWallet", "toUser": "Subaccount2", "unit": "XBT"},
        "POST",
        "/derivatives/api/v3/transfer/subaccount",
        body=[
            ("fromUser", "Subaccount1"),
            ("toUser", "Subaccount2"),
            ("fromAccount", "MyCashWallet"),
            ("toAccount", "MyCashWallet"),
            ("unit", "XBT"),
            ("amount", "2"),
        ],
        auth=True,
    ),
    Case(
        "initiate_withdrawal_to_spot_wallet",
        {"amount": 100, "currency": "USDT", "sourceWallet": "cash"},
        "POST",
        "/derivatives/api/v3/withdrawal",
        body=[("currency", "USDT"), ("amount", "100"), ("sourceWallet", "cash")],
        auth=True,
    ),
    Case(
        "initiate_withdrawal_to_spot_wallet",
        {"amount": "0.00012345", "currency": "XBT"},
        "POST",
        "/derivatives/api/v3/withdrawal",
        body=[("currency", "XBT"), ("amount", "0.00012345")],
        auth=True,
        name="initiate_withdrawal_to_spot_wallet-default-wallet",
    ),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_funding_endpoint_sends_what_kraken_expects(flavour, case, server):
    run_case(CLASSES, flavour, server, case)


def test_every_funding_endpoint_has_a_wire_case():
    assert endpoint_methods(_FundingEndpoints) == {c.method for c in CASES}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_withdrawal_to_spot_is_refused_in_the_sandbox_without_sending(flavour, server):
    client = CLASSES[flavour](key="k", secret="c2VjcmV0", sandbox=True, rate_limit=False)
    assert client.url == "https://demo-futures.kraken.com"
    with pytest.raises(ValueError, match="sandbox"):
        client.initiate_withdrawal_to_spot_wallet(amount=1, currency="USDT")
    assert server.requests == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_sandbox_client_with_an_explicit_url_uses_that_url(flavour, server):
    client = make_client(CLASSES[flavour], server, sandbox=True)
    assert client.url == server.url
    with pytest.raises(ValueError):
        client.initiate_withdrawal_to_spot_wallet(amount=1, currency="USDT")


def test_the_reference_example_transfer_goes_out_as_typed(server):
    invoke(Funding, server, "initiate_wallet_transfer", amount="100", fromAccount="some cash or margin account", toAccount="another", unit="ADA")
    assert "fromAccount=some+cash+or+margin+account" in server.last.body.decode()
    assert server.last.signature_ok is True
